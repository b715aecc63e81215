// A promise-returning AsyncProgressWorker around a job that runs off the JS thread and may report
// (done, total) progress; the JS values it reads are kept alive until the promise settles.
#pragma once
#include <napi.h>

#include <functional>
#include <vector>

#include "pairwise.h"

namespace gm {

class JobWorker : public Napi::AsyncProgressWorker<int64_t> {
 public:
  using Job = std::function<void(const ProgressFn&)>;
  using Result = std::function<Napi::Value(Napi::Env)>;

  JobWorker(Napi::Env env, const Napi::Value& onProgress, const std::vector<Napi::Value>& keep, Job job, Result result)
      : Napi::AsyncProgressWorker<int64_t>(env), deferred_(Napi::Promise::Deferred::New(env)), job_(std::move(job)),
        result_(std::move(result)) {
    if (onProgress.IsFunction()) progress_ = Napi::Persistent(onProgress.As<Napi::Function>());
    for (const auto& v : keep)
      if (v.IsObject()) keep_.push_back(Napi::Persistent(v.As<Napi::Object>()));
  }
  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute(const ExecutionProgress& p) override {
    try {
      ProgressFn report;
      if (!progress_.IsEmpty()) report = [&p](int64_t done, int64_t total) {
        const int64_t v[2] = {done, total};
        p.Send(v, 2);
      };
      job_(report);
    } catch (const std::exception& e) {
      SetError(e.what());
    }
  }
  void OnProgress(const int64_t* v, size_t n) override {
    if (progress_.IsEmpty() || n != 2) return;
    Napi::Env env = Env();
    progress_.Call({Napi::Number::New(env, static_cast<double>(v[0])), Napi::Number::New(env, static_cast<double>(v[1]))});
  }
  void OnOK() override { deferred_.Resolve(result_(Env())); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  Job job_;
  Result result_;
  Napi::FunctionReference progress_;
  std::vector<Napi::ObjectReference> keep_;
};

}  // namespace gm
