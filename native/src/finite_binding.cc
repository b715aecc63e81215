#include <string>

#include "bindings.h"
#include "finite.h"

namespace gm {
namespace {

// firstNonFinite(data: Float32Array | Float64Array, threads?): the index of the first NaN or Inf,
// or -1. Synchronous: a scan at memory speed (milliseconds per 100 MB) over all cores.
Napi::Value FirstNonFinite(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsTypedArray())
    throw Napi::TypeError::New(env, "firstNonFinite(data: Float32Array | Float64Array, threads?: number)");
  const int threads = info.Length() > 1 && info[1].IsNumber() ? info[1].As<Napi::Number>().Int32Value() : 0;
  auto t = info[0].As<Napi::TypedArray>();
  const int64_t n = static_cast<int64_t>(t.ElementLength());
  int64_t at;
  if (t.TypedArrayType() == napi_float32_array)
    at = firstNonFinite(t.As<Napi::Float32Array>().Data(), n, threads);
  else if (t.TypedArrayType() == napi_float64_array)
    at = firstNonFinite(t.As<Napi::Float64Array>().Data(), n, threads);
  else
    throw Napi::TypeError::New(env, "firstNonFinite: data must be a Float32Array or Float64Array");
  return Napi::Number::New(env, static_cast<double>(at));
}

}  // namespace

void InitFiniteBinding(Napi::Env env, Napi::Object exports) {
  exports.Set("firstNonFinite", Napi::Function::New(env, FirstNonFinite));
}

}  // namespace gm
