// N-API for the linear classifiers (L2-SVM, logistic regression), trained and applied off the JS
// thread: linearSvm(...) -> { w, b, iterations, trainPred, testPred? }, logistic(...) -> probabilities.
// Both take (train, rows, labels, classes, options, test?, testRows?).
#include <memory>
#include <string>

#include "bindings.h"
#include "job_worker.h"
#include "linear_svm.h"
#include "logistic.h"
#include "napi_arrays.h"

namespace gm {
namespace {

// The data the two classifiers share (read by the job off the JS thread).
struct ClassifierData {
  Rows train, test;
  bool hasTest = false;
  const int32_t* labels = nullptr;
  int64_t classes = 0;
};

// The data, the options object, and the arrays to keep alive while the job runs.
struct ClassifierArgs {
  ClassifierData data;
  Napi::Object options;
  std::vector<Napi::Value> keep;
};

ClassifierArgs ParseClassifierArgs(const Napi::CallbackInfo& info, const char* fn) {
  Napi::Env env = info.Env();
  if (info.Length() < 5 || !info[1].IsNumber() || !info[3].IsNumber() || !info[4].IsObject())
    throw Napi::TypeError::New(env, std::string(fn) + "(train, rows, labels, classes, options, test?, testRows?)");
  ClassifierArgs args;
  ClassifierData& a = args.data;
  a.train = RowsArg(env, info[0], info[1].As<Napi::Number>().Int64Value(), "train");
  if (!info[2].IsTypedArray() || info[2].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array ||
      static_cast<int64_t>(info[2].As<Napi::Int32Array>().ElementLength()) != a.train.n)
    throw Napi::TypeError::New(env, "labels must be an Int32Array with one label per row");
  a.labels = info[2].As<Napi::Int32Array>().Data();
  a.classes = info[3].As<Napi::Number>().Int64Value();
  args.options = info[4].As<Napi::Object>();
  args.keep = {info[0], info[2]};
  a.hasTest = info.Length() >= 7 && info[5].IsTypedArray();
  if (a.hasTest) {
    a.test = RowsArg(env, info[5], info[6].As<Napi::Number>().Int64Value(), "test");
    if (a.test.d != a.train.d) throw Napi::RangeError::New(env, "test features have a different width than the training features");
    args.keep.push_back(info[5]);
  }
  return args;
}

template <typename T>
void NumberOption(const Napi::Object& o, const char* key, T& dst) {
  if (o.Get(key).IsNumber()) dst = static_cast<T>(o.Get(key).As<Napi::Number>().DoubleValue());
}

Napi::Value LinearSvm(const Napi::CallbackInfo& info) {
  const ClassifierArgs args = ParseClassifierArgs(info, "linearSvm");
  const ClassifierData a = args.data;
  LinearSvmOptions opts;
  NumberOption(args.options, "c", opts.c);
  NumberOption(args.options, "tol", opts.tol);
  NumberOption(args.options, "maxIter", opts.maxIter);
  NumberOption(args.options, "bias", opts.bias);
  NumberOption(args.options, "seed", opts.seed);
  NumberOption(args.options, "threads", opts.threads);
  if (args.options.Get("classWeight").IsTypedArray()) {
    auto cw = args.options.Get("classWeight").As<Napi::Float64Array>();
    opts.classWeight.assign(cw.Data(), cw.Data() + cw.ElementLength());
  }
  struct Out {
    LinearSvmModel m;
    std::vector<int32_t> trainPred, testPred;
  };
  auto out = std::make_shared<Out>();
  auto* w = new JobWorker(
      info.Env(), Napi::Value(), args.keep,
      [a, opts, out](const ProgressFn&) {
        out->m = trainLinearSvm(a.train, a.labels, a.classes, opts);
        out->trainPred = predictLinearSvm(out->m, a.train);
        if (a.hasTest) out->testPred = predictLinearSvm(out->m, a.test);
      },
      [out, hasTest = a.hasTest](Napi::Env env) -> Napi::Value {
        auto r = Napi::Object::New(env);
        r.Set("w", ToF64(env, out->m.w));
        r.Set("b", ToF64(env, out->m.b));
        r.Set("iterations", ToI32(env, std::vector<int32_t>(out->m.iterations.begin(), out->m.iterations.end())));
        r.Set("trainPred", ToI32(env, out->trainPred));
        if (hasTest) r.Set("testPred", ToI32(env, out->testPred));
        return r;
      });
  w->Queue();
  return w->Promise();
}

Napi::Value Logistic(const Napi::CallbackInfo& info) {
  const ClassifierArgs args = ParseClassifierArgs(info, "logistic");
  const ClassifierData a = args.data;
  LogisticOptions opts;
  NumberOption(args.options, "c", opts.c);
  NumberOption(args.options, "maxIter", opts.maxIter);
  NumberOption(args.options, "tol", opts.tol);
  struct Out {
    LogisticModel m;
    std::vector<double> trainProba, testProba;
  };
  auto out = std::make_shared<Out>();
  auto* w = new JobWorker(
      info.Env(), Napi::Value(), args.keep,
      [a, opts, out](const ProgressFn&) {
        out->m = fitLogistic(a.train, a.labels, a.classes, opts);
        out->trainProba = predictProba(out->m, a.train);
        if (a.hasTest) out->testProba = predictProba(out->m, a.test);
      },
      [out, hasTest = a.hasTest](Napi::Env env) -> Napi::Value {
        auto r = Napi::Object::New(env);
        r.Set("w", ToF64(env, out->m.w));
        r.Set("b", ToF64(env, out->m.b));
        r.Set("iterations", out->m.iterations);
        r.Set("trainProba", ToF64(env, out->trainProba));
        if (hasTest) r.Set("testProba", ToF64(env, out->testProba));
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
