#include <string>
#include <vector>

#include "bindings.h"
#include "frechet.h"

namespace gm {
namespace {

// The worker owns copies: the caller's arrays may change while it runs.
std::vector<double> CopyFloat64(Napi::Env env, const Napi::Value& v, size_t expected, const char* name) {
  const double* p = Float64Arg(env, v, expected, name);
  return std::vector<double>(p, p + expected);
}

class FrechetWorker : public Napi::AsyncWorker {
 public:
  FrechetWorker(Napi::Env env, int dims, std::vector<double> mu1, std::vector<double> s1, std::vector<double> mu2,
                std::vector<double> s2, double eps, int threads)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), dims_(dims), mu1_(std::move(mu1)),
        s1_(std::move(s1)), mu2_(std::move(mu2)), s2_(std::move(s2)), eps_(eps), threads_(threads) {}
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override {
    try {
      res_ = frechetDistance(dims_, mu1_.data(), s1_.data(), mu2_.data(), s2_.data(), eps_, threads_);
    } catch (const std::exception& e) {
      SetError(e.what());
    }
  }
  void OnOK() override {
    Napi::Env env = Env();
    Napi::Object o = Napi::Object::New(env);
    o.Set("distance", res_.distance);
    o.Set("meanTerm", res_.meanTerm);
    o.Set("trace1", res_.trace1);
    o.Set("trace2", res_.trace2);
    o.Set("traceSqrt", res_.traceSqrt);
    o.Set("epsApplied", res_.epsApplied);
    o.Set("route", res_.route);
    deferred_.Resolve(o);
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  int dims_;
  std::vector<double> mu1_, s1_, mu2_, s2_;
  double eps_;
  int threads_;
  FrechetResult res_;
};

// frechetDistance(dims, mu1, sigma1, mu2, sigma2, eps, threads): Promise<result>
Napi::Value FrechetDistance(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 5 || !info[0].IsNumber())
    throw Napi::TypeError::New(env, "frechetDistance(dims, mu1, sigma1, mu2, sigma2, eps?, threads?)");
  int dims = info[0].As<Napi::Number>().Int32Value();
  if (dims <= 0) throw Napi::RangeError::New(env, "dims must be positive");
  size_t d = static_cast<size_t>(dims);
  auto mu1 = CopyFloat64(env, info[1], d, "mu1");
  auto s1 = CopyFloat64(env, info[2], d * d, "sigma1");
  auto mu2 = CopyFloat64(env, info[3], d, "mu2");
  auto s2 = CopyFloat64(env, info[4], d * d, "sigma2");
  double eps = info.Length() > 5 && info[5].IsNumber() ? info[5].As<Napi::Number>().DoubleValue() : 1e-6;
  int threads = info.Length() > 6 && info[6].IsNumber() ? info[6].As<Napi::Number>().Int32Value() : 0;
  auto* w = new FrechetWorker(env, dims, std::move(mu1), std::move(s1), std::move(mu2), std::move(s2), eps, threads);
  w->Queue();
  return w->Promise();
}

}  // namespace

void InitFrechetBinding(Napi::Env env, Napi::Object exports) {
  exports.Set("frechetDistance", Napi::Function::New(env, FrechetDistance));
}

const char* SimdLevel() {
#if defined(__AVX512F__)
  return "avx512";
#elif defined(__AVX2__) && defined(__FMA__)
  return "avx2-fma";
#elif defined(__SSE4_2__)
  return "sse4.2";
#else
  return "generic";
#endif
}

}  // namespace gm
