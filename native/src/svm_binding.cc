// N-API for the linear classifiers (L2-SVM, logistic regression), trained and applied off the JS
// thread: linearSvm(...) -> { w, b, iterations, trainPred, testPred? }, logistic(...) -> probabilities.
#include <memory>
#include <string>

#include "bindings.h"
#include "job_worker.h"
#include "linear_svm.h"
#include "logistic.h"

namespace gm {
namespace {

Rows FloatRows(Napi::Env env, const Napi::Value& v, int64_t rows, const char* name) {
  if (!v.IsTypedArray()) throw Napi::TypeError::New(env, std::string(name) + " must be a Float32Array or Float64Array");
  auto t = v.As<Napi::TypedArray>();
  Rows r;
  if (t.TypedArrayType() == napi_float32_array)
    r.f32 = t.As<Napi::Float32Array>().Data();
  else if (t.TypedArrayType() == napi_float64_array)
    r.f64 = t.As<Napi::Float64Array>().Data();
  else
    throw Napi::TypeError::New(env, std::string(name) + " must be a Float32Array or Float64Array");
  const int64_t len = static_cast<int64_t>(t.ElementLength());
  if (rows <= 0 || len % rows != 0) throw Napi::RangeError::New(env, std::string(name) + ": " + std::to_string(len) + " values are not " + std::to_string(rows) + " rows");
  r.n = rows;
  r.d = len / rows;
  return r;
}

Napi::Value LinearSvm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 5 || !info[1].IsNumber() || !info[3].IsNumber() || !info[4].IsObject())
    throw Napi::TypeError::New(env, "linearSvm(train, rows, labels, classes, options, test?, testRows?)");
  const Rows train = FloatRows(env, info[0], info[1].As<Napi::Number>().Int64Value(), "train");
  if (!info[2].IsTypedArray() || info[2].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array ||
      static_cast<int64_t>(info[2].As<Napi::Int32Array>().ElementLength()) != train.n)
    throw Napi::TypeError::New(env, "labels must be an Int32Array with one label per row");
  const int32_t* labels = info[2].As<Napi::Int32Array>().Data();
  const int64_t classes = info[3].As<Napi::Number>().Int64Value();
  auto o = info[4].As<Napi::Object>();
  LinearSvmOptions opts;
  if (o.Get("c").IsNumber()) opts.c = o.Get("c").As<Napi::Number>().DoubleValue();
  if (o.Get("tol").IsNumber()) opts.tol = o.Get("tol").As<Napi::Number>().DoubleValue();
  if (o.Get("maxIter").IsNumber()) opts.maxIter = o.Get("maxIter").As<Napi::Number>().Int32Value();
  if (o.Get("bias").IsNumber()) opts.bias = o.Get("bias").As<Napi::Number>().DoubleValue();
  if (o.Get("seed").IsNumber()) opts.seed = static_cast<uint64_t>(o.Get("seed").As<Napi::Number>().Int64Value());
  if (o.Get("threads").IsNumber()) opts.threads = o.Get("threads").As<Napi::Number>().Int32Value();
  if (o.Get("classWeight").IsTypedArray()) {
    auto cw = o.Get("classWeight").As<Napi::Float64Array>();
    opts.classWeight.assign(cw.Data(), cw.Data() + cw.ElementLength());
  }
  const bool hasTest = info.Length() >= 7 && info[5].IsTypedArray();
  Rows test;
  if (hasTest) {
    test = FloatRows(env, info[5], info[6].As<Napi::Number>().Int64Value(), "test");
    if (test.d != train.d) throw Napi::RangeError::New(env, "test features have a different width than the training features");
  }
  struct Out {
    LinearSvmModel m;
    std::vector<int32_t> trainPred, testPred;
  };
  auto out = std::make_shared<Out>();
  std::vector<Napi::Value> keep = {info[0], info[2]};
  if (hasTest) keep.push_back(info[5]);
  auto* w = new JobWorker(
      env, Napi::Value(), keep,
      [train, labels, classes, opts, hasTest, test, out](const ProgressFn&) {
        out->m = trainLinearSvm(train, labels, classes, opts);
        out->trainPred = predictLinearSvm(out->m, train);
        if (hasTest) out->testPred = predictLinearSvm(out->m, test);
      },
      [out, hasTest](Napi::Env env) -> Napi::Value {
        auto r = Napi::Object::New(env);
        auto f64 = [&](const std::vector<double>& v) {
          auto a = Napi::Float64Array::New(env, v.size());
          std::copy(v.begin(), v.end(), a.Data());
          return a;
        };
        auto i32 = [&](const std::vector<int32_t>& v) {
          auto a = Napi::Int32Array::New(env, v.size());
          std::copy(v.begin(), v.end(), a.Data());
          return a;
        };
        r.Set("w", f64(out->m.w));
        r.Set("b", f64(out->m.b));
        r.Set("iterations", i32(std::vector<int32_t>(out->m.iterations.begin(), out->m.iterations.end())));
        r.Set("trainPred", i32(out->trainPred));
        if (hasTest) r.Set("testPred", i32(out->testPred));
        return r;
      });
  w->Queue();
  return w->Promise();
}

// logistic(train, rows, labels, classes, { c, maxIter, tol }, test?, testRows?)
// -> Promise<{ w, b, iterations, trainProba, testProba? }> (probabilities rows x classes)
Napi::Value Logistic(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 5 || !info[1].IsNumber() || !info[3].IsNumber() || !info[4].IsObject())
    throw Napi::TypeError::New(env, "logistic(train, rows, labels, classes, options, test?, testRows?)");
  const Rows train = FloatRows(env, info[0], info[1].As<Napi::Number>().Int64Value(), "train");
  if (!info[2].IsTypedArray() || info[2].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array ||
      static_cast<int64_t>(info[2].As<Napi::Int32Array>().ElementLength()) != train.n)
    throw Napi::TypeError::New(env, "labels must be an Int32Array with one label per row");
  const int32_t* labels = info[2].As<Napi::Int32Array>().Data();
  const int64_t classes = info[3].As<Napi::Number>().Int64Value();
  auto o = info[4].As<Napi::Object>();
  LogisticOptions opts;
  if (o.Get("c").IsNumber()) opts.c = o.Get("c").As<Napi::Number>().DoubleValue();
  if (o.Get("maxIter").IsNumber()) opts.maxIter = o.Get("maxIter").As<Napi::Number>().Int32Value();
  if (o.Get("tol").IsNumber()) opts.tol = o.Get("tol").As<Napi::Number>().DoubleValue();
  const bool hasTest = info.Length() >= 7 && info[5].IsTypedArray();
  Rows test;
  if (hasTest) {
    test = FloatRows(env, info[5], info[6].As<Napi::Number>().Int64Value(), "test");
    if (test.d != train.d) throw Napi::RangeError::New(env, "test features have a different width than the training features");
  }
  struct Out {
    LogisticModel m;
    std::vector<double> trainProba, testProba;
  };
  auto out = std::make_shared<Out>();
  std::vector<Napi::Value> keep = {info[0], info[2]};
  if (hasTest) keep.push_back(info[5]);
  auto* w = new JobWorker(
      env, Napi::Value(), keep,
      [train, labels, classes, opts, hasTest, test, out](const ProgressFn&) {
        out->m = fitLogistic(train, labels, classes, opts);
        out->trainProba = predictProba(out->m, train);
        if (hasTest) out->testProba = predictProba(out->m, test);
      },
      [out, hasTest](Napi::Env env) -> Napi::Value {
        auto r = Napi::Object::New(env);
        auto f64 = [&](const std::vector<double>& v) {
          auto a = Napi::Float64Array::New(env, v.size());
          std::copy(v.begin(), v.end(), a.Data());
          return a;
        };
        r.Set("w", f64(out->m.w));
        r.Set("b", f64(out->m.b));
        r.Set("iterations", out->m.iterations);
        r.Set("trainProba", f64(out->trainProba));
        if (hasTest) r.Set("testProba", f64(out->testProba));
        return r;
      });
  w->Queue();
  return w->Promise();
}

}  // namespace

void InitSvmBinding(Napi::Env env, Napi::Object exports) {
  exports.Set("linearSvm", Napi::Function::New(env, LinearSvm));
  exports.Set("logistic", Napi::Function::New(env, Logistic));
}

}  // namespace gm
