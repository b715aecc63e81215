#include <cmath>
#include <string>

#include "bindings.h"
#include "frechet.h"
#include "gemm.h"

namespace gm {
namespace {

// The worker reads the caller's arrays in place (2048-d covariances are 32 MiB each) and keeps
// them alive with references; like any async call on a buffer, the caller must not modify them
// until the promise settles.
class FrechetWorker : public Napi::AsyncWorker {
 public:
  FrechetWorker(Napi::Env env, int dims, const Napi::CallbackInfo& info, double eps, int threads)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), dims_(dims), eps_(eps),
        threads_(threads) {
    const size_t d = static_cast<size_t>(dims);
    const char* names[4] = {"mu1", "sigma1", "mu2", "sigma2"};
    for (int i = 0; i < 4; ++i) {
      data_[i] = Float64Arg(env, info[i + 1], i % 2 == 0 ? d : d * d, names[i]);
      refs_[i] = Napi::Persistent(info[i + 1].As<Napi::Object>());
    }
  }
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override {
    try {
      res_ = frechetDistance(dims_, data_[0], data_[1], data_[2], data_[3], eps_, threads_);
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
    o.Set("rawDistance", res_.rawDistance);
    o.Set("clamped", res_.clamped);
    o.Set("route", res_.route);
    deferred_.Resolve(o);
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  int dims_;
  const double* data_[4];
  Napi::ObjectReference refs_[4];
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
  double eps = info.Length() > 5 && info[5].IsNumber() ? info[5].As<Napi::Number>().DoubleValue() : 1e-6;
  if (!(eps >= 0) || !std::isfinite(eps)) throw Napi::RangeError::New(env, "eps must be a finite number >= 0");
  int threads = info.Length() > 6 && info[6].IsNumber() ? info[6].As<Napi::Number>().Int32Value() : 0;
  auto* w = new FrechetWorker(env, dims, info, eps, threads);
  w->Queue();
  return w->Promise();
}

}  // namespace

void InitFrechetBinding(Napi::Env env, Napi::Object exports) {
  exports.Set("frechetDistance", Napi::Function::New(env, FrechetDistance));
}

const char* SimdLevel() { return gemmKernelName(); }

}  // namespace gm
