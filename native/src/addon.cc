// N-API registration only: argument checks, conversions and async workers around the numeric core.
#include <napi.h>

#include "bindings.h"

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  gm::MomentsBinding::Init(env, exports);
  gm::InitFrechetBinding(env, exports);
  gm::InitResizeBinding(env, exports);
  gm::InitPairwiseBinding(env, exports);
  gm::InitVaeBinding(env, exports);
  gm::InitSvmBinding(env, exports);
  gm::InitFiniteBinding(env, exports);
  gm::InitMemoryBinding(env, exports);
  exports.Set("simdLevel", Napi::String::New(env, gm::SimdLevel()));
  return exports;
}

NODE_API_MODULE(genmetrics, Init)
