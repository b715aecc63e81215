#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "bindings.h"
#include "napi_arrays.h"

namespace gm {

Napi::FunctionReference MomentsBinding::constructor_;

namespace {

Napi::Float64Array ToFloat64Array(Napi::Env env, const std::vector<double>& v) {
  auto out = Napi::Float64Array::New(env, v.size());
  std::copy(v.begin(), v.end(), out.Data());
  return out;
}

// Adds a batch off the JS thread; the batch's buffer is kept alive by a reference.
class UpdateWorker : public Napi::AsyncWorker {
 public:
  UpdateWorker(Napi::Env env, MomentsBinding* self, Napi::TypedArray batch, int64_t rows, int threads,
               int64_t rowOffset)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), self_(self), rows_(rows),
        threads_(threads), rowOffset_(rowOffset) {
    if (batch.TypedArrayType() == napi_float32_array)
      f32_ = batch.As<Napi::Float32Array>().Data();
    else
      f64_ = batch.As<Napi::Float64Array>().Data();
    batchRef_ = Napi::Persistent(batch);
    selfRef_ = Napi::Persistent(self->Value());
  }
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override {
    try {
      if (f32_)
        self_->moments().update(f32_, rows_, threads_, rowOffset_);
      else
        self_->moments().update(f64_, rows_, threads_, rowOffset_);
    } catch (const std::exception& e) {
      SetError(e.what());
    }
  }
  void OnOK() override {
    self_->busy = false;
    deferred_.Resolve(Env().Undefined());
  }
  void OnError(const Napi::Error& e) override {
    self_->busy = false;
    deferred_.Reject(e.Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  MomentsBinding* self_;
  int64_t rows_;
  int threads_;
  int64_t rowOffset_;
  const float* f32_ = nullptr;
  const double* f64_ = nullptr;
  Napi::Reference<Napi::TypedArray> batchRef_;
  Napi::ObjectReference selfRef_;
};

}  // namespace

const double* Float64Arg(Napi::Env env, const Napi::Value& v, size_t expected, const char* name) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
    throw Napi::TypeError::New(env, std::string(name) + " must be a Float64Array");
  auto a = v.As<Napi::Float64Array>();
  if (a.ElementLength() != expected)
    throw Napi::RangeError::New(env, std::string(name) + " must have " + std::to_string(expected) +
                                         " elements, got " + std::to_string(a.ElementLength()));
  return a.Data();
}

void MomentsBinding::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function fn = DefineClass(env, "Moments",
                                  {InstanceMethod("update", &MomentsBinding::Update),
                                   InstanceMethod("merge", &MomentsBinding::Merge),
                                   InstanceMethod("state", &MomentsBinding::State),
                                   InstanceMethod("setState", &MomentsBinding::SetState),
                                   InstanceMethod("finalize", &MomentsBinding::Finalize),
                                   InstanceAccessor("count", &MomentsBinding::Count, nullptr),
                                   InstanceAccessor("dims", &MomentsBinding::Dims, nullptr)});
  constructor_ = Napi::Persistent(fn);
  constructor_.SuppressDestruct();
  exports.Set("Moments", fn);
}

MomentsBinding::MomentsBinding(const Napi::CallbackInfo& info) : Napi::ObjectWrap<MomentsBinding>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    Napi::TypeError::New(env, "Moments(dims): dims must be a number").ThrowAsJavaScriptException();
    return;
  }
  const double requested = info[0].As<Napi::Number>().DoubleValue();
  if (!(requested >= 1)) {
    Napi::RangeError::New(env, "Moments(dims): dims must be positive").ThrowAsJavaScriptException();
    return;
  }
  // dims^2 float64 sums (x2 with scratch): 65536 dimensions are already 32 GiB each.
  if (requested > 65536 || requested != static_cast<double>(static_cast<int>(requested))) {
    Napi::RangeError::New(env, "Moments(dims): dims must be an integer in 1..65536, got " + NumStr(requested))
        .ThrowAsJavaScriptException();
    return;
  }
  const int dims = static_cast<int>(requested);
  moments_ = std::make_unique<RunningMoments>(dims);
  external_ = static_cast<int64_t>(dims) * dims * static_cast<int64_t>(sizeof(double));
  Napi::MemoryManagement::AdjustExternalMemory(env, external_);
}

MomentsBinding::~MomentsBinding() {
  if (external_) Napi::MemoryManagement::AdjustExternalMemory(Env(), -external_);
}

void MomentsBinding::ThrowIfBusy(Napi::Env env) {
  if (busy) throw Napi::Error::New(env, "Moments: an update is still running on this accumulator");
}

// update(batch: Float32Array | Float64Array, rows, threads?, rowOffset?): Promise<void>
// rowOffset only numbers the rows in error messages.
Napi::Value MomentsBinding::Update(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ThrowIfBusy(env);
  auto kind = info.Length() > 0 && info[0].IsTypedArray() ? info[0].As<Napi::TypedArray>().TypedArrayType()
                                                           : napi_int8_array;
  if ((kind != napi_float32_array && kind != napi_float64_array) || info.Length() < 2 || !info[1].IsNumber())
    throw Napi::TypeError::New(env, "update(batch: Float32Array | Float64Array, rows: number, threads?: number)");
  auto batch = info[0].As<Napi::TypedArray>();
  int64_t rows = info[1].As<Napi::Number>().Int64Value();
  int threads = info.Length() > 2 && info[2].IsNumber() ? info[2].As<Napi::Number>().Int32Value() : 0;
  int64_t rowOffset = info.Length() > 3 && info[3].IsNumber() ? info[3].As<Napi::Number>().Int64Value() : 0;
  if (rows < 0 || static_cast<size_t>(rows) * moments_->dims() != batch.ElementLength())
    throw Napi::RangeError::New(env, "update: batch has " + std::to_string(batch.ElementLength()) +
                                         " values, expected rows x dims = " + std::to_string(rows) + " x " +
                                         std::to_string(moments_->dims()));
  busy = true;
  auto* worker = new UpdateWorker(env, this, batch, rows, threads, rowOffset);
  worker->Queue();
  return worker->Promise();
}

Napi::Value MomentsBinding::Merge(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ThrowIfBusy(env);
  if (info.Length() < 1 || !info[0].IsObject() || !info[0].As<Napi::Object>().InstanceOf(constructor_.Value()))
    throw Napi::TypeError::New(env, "merge(other: Moments)");
  MomentsBinding* other = Napi::ObjectWrap<MomentsBinding>::Unwrap(info[0].As<Napi::Object>());
  if (other->busy) throw Napi::Error::New(env, "merge: the other accumulator is still updating");
  try {
    moments_->merge(other->moments());
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, e.what());
  }
  return env.Undefined();
}

Napi::Value MomentsBinding::State(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ThrowIfBusy(env);
  Napi::Object out = Napi::Object::New(env);
  out.Set("n", Napi::Number::New(env, static_cast<double>(moments_->count())));
  out.Set("shift", ToFloat64Array(env, moments_->shift()));
  out.Set("sum", ToFloat64Array(env, moments_->sum()));
  out.Set("sumOuter", ToFloat64Array(env, moments_->sumOuter()));
  return out;
}

// setState(n, shift, sum, sumOuter)
Napi::Value MomentsBinding::SetState(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ThrowIfBusy(env);
  try {
    if (info.Length() < 4 || !info[0].IsNumber()) throw std::invalid_argument("setState(n, shift, sum, sumOuter)");
    const size_t d = moments_->dims();
    double n = info[0].As<Napi::Number>().DoubleValue();
    if (!(n >= 0) || n != static_cast<double>(static_cast<int64_t>(n)))
      throw std::invalid_argument("n must be a non-negative integer");
    moments_->setState(static_cast<int64_t>(n), Float64Arg(env, info[1], d, "shift"),
                       Float64Arg(env, info[2], d, "sum"), Float64Arg(env, info[3], d * d, "sum_outer"));
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, e.what());
  }
  return env.Undefined();
}

Napi::Value MomentsBinding::Finalize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ThrowIfBusy(env);
  const size_t d = static_cast<size_t>(moments_->dims());
  auto mean = Napi::Float64Array::New(env, d);
  // The covariance is written into huge-page memory handed to V8 (fewer first-touch faults).
  HugeArray covData(d * d, /*zero=*/false);
  try {
    moments_->finalize(mean.Data(), covData.data());
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, e.what());
  }
  auto cov = Napi::Float64Array::New(env, d * d, HugeArrayBufferOf(env, covData, d * d * sizeof(double)), 0);
  Napi::Object out = Napi::Object::New(env);
  out.Set("mean", mean);
  out.Set("cov", cov);
  return out;
}

Napi::Value MomentsBinding::Count(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(moments_->count()));
}

Napi::Value MomentsBinding::Dims(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), moments_->dims());
}

}  // namespace gm
