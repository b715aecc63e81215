// N-API for the VAE evaluation's per-sample log-likelihoods (synchronous: one decoder batch at a
// time, milliseconds, between onnxruntime calls).
#include <string>

#include "bindings.h"
#include "vae.h"

namespace gm {
namespace {

const float* F32(Napi::Env env, const Napi::Value& v, size_t expected, const char* name) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    throw Napi::TypeError::New(env, std::string(name) + " must be a Float32Array");
  auto a = v.As<Napi::Float32Array>();
  if (a.ElementLength() < expected)
    throw Napi::RangeError::New(env, std::string(name) + " holds " + std::to_string(a.ElementLength()) + " values, needs " + std::to_string(expected));
  return a.Data();
}

// vaeLogLikelihoods(x, points, d, { out, logvar?, fixedLogvar, samples, perPoint, firstPoint, kind, threads? }): Float64Array
Napi::Value VaeLogLikelihoods(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 4 || !info[1].IsNumber() || !info[2].IsNumber() || !info[3].IsObject())
    throw Napi::TypeError::New(env, "vaeLogLikelihoods(x, points, d, batch)");
  const int64_t points = info[1].As<Napi::Number>().Int64Value(), d = info[2].As<Napi::Number>().Int64Value();
  // Bounds before any product: points * d and samples * d must not overflow int64 (kMax^2 < 2^63).
  constexpr int64_t kMax = int64_t{1} << 31;
  if (points < 1 || d < 1 || points > kMax || d > kMax)
    throw Napi::RangeError::New(env, "points and d must be integers in 1..2^31, got " + std::to_string(points) + " and " + std::to_string(d));
  const float* x = F32(env, info[0], static_cast<size_t>(points * d), "x");
  auto o = info[3].As<Napi::Object>();
  DecodedBatch b;
  b.samples = o.Get("samples").As<Napi::Number>().Int64Value();
  b.perPoint = o.Get("perPoint").As<Napi::Number>().Int64Value();
  b.firstPoint = o.Get("firstPoint").As<Napi::Number>().Int64Value();
  if (b.samples < 0 || b.samples > kMax || b.perPoint < 1 || b.perPoint > kMax || b.firstPoint < 0 || b.firstPoint + (b.samples + b.perPoint - 1) / b.perPoint > points)
    throw Napi::RangeError::New(env, "samples, perPoint and firstPoint do not fit the data");
  b.out = F32(env, o.Get("out"), static_cast<size_t>(b.samples * d), "out");
  b.logvar = o.Get("logvar").IsTypedArray() ? F32(env, o.Get("logvar"), static_cast<size_t>(b.samples * d), "logvar") : nullptr;
  b.fixedLogvar = o.Get("fixedLogvar").IsNumber() ? o.Get("fixedLogvar").As<Napi::Number>().DoubleValue() : 0.0;
  const std::string kind = o.Get("kind").ToString().Utf8Value();
  if (kind != "bernoulli" && kind != "gaussian") throw Napi::RangeError::New(env, "kind must be 'bernoulli' or 'gaussian'");
  const int threads = o.Get("threads").IsNumber() ? o.Get("threads").As<Napi::Number>().Int32Value() : 0;
  auto dst = Napi::Float64Array::New(env, static_cast<size_t>(b.samples));
  logLikelihoods(x, d, b, kind == "bernoulli" ? Likelihood::Bernoulli : Likelihood::Gaussian, dst.Data(), threads);
  return dst;
}

}  // namespace

void InitVaeBinding(Napi::Env env, Napi::Object exports) {
  exports.Set("vaeLogLikelihoods", Napi::Function::New(env, VaeLogLikelihoods));
}

}  // namespace gm
