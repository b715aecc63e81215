#include <stdexcept>
#include <string>
#include <vector>

#include "bindings.h"
#include "parallel.h"
#include "resize.h"

namespace gm {
namespace {

ResizeMode ParseMode(Napi::Env env, const Napi::Value& v) {
  const std::string m = v.IsString() ? v.As<Napi::String>().Utf8Value() : "";
  if (m == "legacy-pytorch") return ResizeMode::LegacyPytorch;
  if (m == "legacy-tensorflow") return ResizeMode::LegacyTensorflow;
  if (m == "clean") return ResizeMode::Clean;
  throw Napi::TypeError::New(env, "mode must be 'legacy-pytorch', 'legacy-tensorflow' or 'clean', got '" + m + "'");
}

// Resizes a batch of decoded images into one N x 3 x size x size Float32Array, one image per task,
// off the JS thread. The image buffers and the output are kept alive by references.
class PreprocessWorker : public Napi::AsyncWorker {
 public:
  PreprocessWorker(Napi::Env env, Napi::Array images, ResizeMode mode, int size, bool normalize, Napi::Float32Array out,
                   int threads)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), mode_(mode), size_(size),
        normalize_(normalize), threads_(threads) {
    const uint32_t n = images.Length();
    const size_t per = static_cast<size_t>(3) * size * size;
    if (out.ElementLength() != per * n)
      throw Napi::RangeError::New(env, "output must hold " + std::to_string(per * n) + " floats (N x 3 x size x size), got " +
                                           std::to_string(out.ElementLength()));
    out_ = out.Data();
    refs_.reserve(n + 1);
    refs_.push_back(Napi::Persistent(out.As<Napi::Object>()));
    for (uint32_t i = 0; i < n; ++i) {
      Napi::Value item = images[i];
      if (!item.IsObject()) throw Napi::TypeError::New(env, "images[" + std::to_string(i) + "] must be {data, width, height, channels}");
      Napi::Object o = item.As<Napi::Object>();
      Napi::Value data = o.Get("data");
      if (!data.IsTypedArray() || data.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
        throw Napi::TypeError::New(env, "images[" + std::to_string(i) + "].data must be a Uint8Array");
      Napi::Uint8Array bytes = data.As<Napi::Uint8Array>();
      ImageView v{bytes.Data(), o.Get("width").ToNumber().Int32Value(), o.Get("height").ToNumber().Int32Value(),
                  o.Get("channels").ToNumber().Int32Value()};
      if (v.width <= 0 || v.height <= 0 || v.channels < 1 || v.channels > 4 ||
          bytes.ElementLength() != static_cast<size_t>(v.width) * v.height * v.channels)
        throw Napi::RangeError::New(env, "images[" + std::to_string(i) + "]: data length does not match width x height x channels (1-4)");
      views_.push_back(v);
      refs_.push_back(Napi::Persistent(bytes.As<Napi::Object>()));
    }
  }
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override {
    try {
      const size_t per = static_cast<size_t>(3) * size_ * size_;
      parallelFor(static_cast<long>(views_.size()), threads_,
                  [&](long i) { preprocessImage(views_[i], mode_, size_, normalize_, out_ + per * i); });
    } catch (const std::exception& e) {
      SetError(e.what());
    }
  }
  void OnOK() override { deferred_.Resolve(Env().Undefined()); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  ResizeMode mode_;
  int size_;
  bool normalize_;
  int threads_;
  float* out_ = nullptr;
  std::vector<ImageView> views_;
  std::vector<Napi::ObjectReference> refs_;
};

// preprocess(images, mode, size, normalize, out, threads): Promise<void>
Napi::Value Preprocess(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 5 || !info[0].IsArray() || !info[2].IsNumber() || !info[4].IsTypedArray() ||
      info[4].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    throw Napi::TypeError::New(env, "preprocess(images, mode, size, normalize, out: Float32Array, threads?)");
  const ResizeMode mode = ParseMode(env, info[1]);
  const int size = info[2].As<Napi::Number>().Int32Value();
  // 3 x size^2 floats per image must not overflow the size_t arithmetic (nor ask for petabytes).
  if (size <= 0 || size > 65536) throw Napi::RangeError::New(env, "size must be in 1..65536, got " + std::to_string(size));
  const bool normalize = info[3].ToBoolean().Value();
  const int threads = info.Length() > 5 && info[5].IsNumber() ? info[5].As<Napi::Number>().Int32Value() : 0;
  auto* w = new PreprocessWorker(env, info[0].As<Napi::Array>(), mode, size, normalize, info[4].As<Napi::Float32Array>(), threads);
  w->Queue();
  return w->Promise();
}

}  // namespace

void InitResizeBinding(Napi::Env env, Napi::Object exports) {
  exports.Set("preprocess", Napi::Function::New(env, Preprocess));
}

}  // namespace gm
