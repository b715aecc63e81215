#include <string>
#include <vector>

#include "bindings.h"
#include "finite.h"
#include "legacy_random.h"

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

// legacyChoices(seed, sizes: number[], take): Uint32Array of sizes.length * take: for each size in
// turn, legacy NumPy's RandomState(seed).choice(size, take, replace=False), from one stream.
Napi::Value LegacyChoices(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsNumber() || !info[1].IsArray() || !info[2].IsNumber())
    throw Napi::TypeError::New(env, "legacyChoices(seed: number, sizes: number[], take: number)");
  const double seed = info[0].As<Napi::Number>().DoubleValue();
  if (!(seed >= 0 && seed <= 4294967295.0) || seed != static_cast<double>(static_cast<uint32_t>(seed)))
    throw Napi::RangeError::New(env, "legacyChoices: seed must be an integer in [0, 2^32)");
  const double take = info[2].As<Napi::Number>().DoubleValue();
  auto list = info[1].As<Napi::Array>();
  std::vector<int64_t> sizes(list.Length());
  for (uint32_t q = 0; q < list.Length(); ++q) {
    const Napi::Value v = list.Get(q);
    const double n = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
    if (!(n >= take && take >= 0 && n <= 4294967295.0) || n != static_cast<double>(static_cast<int64_t>(n)) ||
        take != static_cast<double>(static_cast<int64_t>(take)))
      throw Napi::RangeError::New(env, "legacyChoices: sizes must be integers in [take, 2^32), take a non-negative integer");
    sizes[q] = static_cast<int64_t>(n);
  }
  const int64_t t = static_cast<int64_t>(take);
  auto out = Napi::Uint32Array::New(env, sizes.size() * static_cast<size_t>(t));
  legacyChoices(static_cast<uint32_t>(seed), sizes.data(), static_cast<int64_t>(sizes.size()), t, out.Data());
  return out;
}

}  // namespace

void InitFiniteBinding(Napi::Env env, Napi::Object exports) {
  exports.Set("firstNonFinite", Napi::Function::New(env, FirstNonFinite));
  exports.Set("legacyChoices", Napi::Function::New(env, LegacyChoices));
}

}  // namespace gm
