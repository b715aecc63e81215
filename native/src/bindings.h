#pragma once
#include <napi.h>

#include <memory>

#include "moments.h"

namespace gm {

class MomentsBinding : public Napi::ObjectWrap<MomentsBinding> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  explicit MomentsBinding(const Napi::CallbackInfo& info);
  ~MomentsBinding() override;

  RunningMoments& moments() { return *moments_; }
  bool busy = false;

 private:
  Napi::Value Update(const Napi::CallbackInfo& info);
  Napi::Value Merge(const Napi::CallbackInfo& info);
  Napi::Value State(const Napi::CallbackInfo& info);
  Napi::Value SetState(const Napi::CallbackInfo& info);
  Napi::Value Finalize(const Napi::CallbackInfo& info);
  Napi::Value Count(const Napi::CallbackInfo& info);
  Napi::Value Dims(const Napi::CallbackInfo& info);
  void ThrowIfBusy(Napi::Env env);

  std::unique_ptr<RunningMoments> moments_;
  int64_t external_ = 0;  // bytes of native sums reported to V8, so that it collects idle accumulators
  static Napi::FunctionReference constructor_;
};

void InitFrechetBinding(Napi::Env env, Napi::Object exports);
void InitResizeBinding(Napi::Env env, Napi::Object exports);
void InitPairwiseBinding(Napi::Env env, Napi::Object exports);
void InitVaeBinding(Napi::Env env, Napi::Object exports);
void InitSvmBinding(Napi::Env env, Napi::Object exports);
void InitFiniteBinding(Napi::Env env, Napi::Object exports);
void InitMemoryBinding(Napi::Env env, Napi::Object exports);

// The memory of `mem` (its first `bytes`) as an ArrayBuffer that frees it when collected; `mem`
// gives it up (or keeps it, when the runtime refuses external memory and gets a copy).
Napi::ArrayBuffer HugeArrayBufferOf(Napi::Env env, HugeArray& mem, size_t bytes);

// The data of a Float64Array argument of exactly `expected` elements; throws a JS TypeError/RangeError
// naming the argument otherwise.
const double* Float64Arg(Napi::Env env, const Napi::Value& v, size_t expected, const char* name);
const char* SimdLevel();

}  // namespace gm
