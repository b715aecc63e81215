#include <cstring>
#include <string>

#include "bindings.h"
#include "scratch.h"

namespace gm {
namespace {

// hugeArrayBuffer(bytes): an ArrayBuffer in memory marked for transparent huge pages (see
// HugeArray), for large arrays that are filled at once (feature rows read from a file): a 164 MB
// read into fresh 4 KiB pages spends more time in page faults (40 ms) than in the copy (27 ms).
// Contents unspecified.
Napi::Value HugeArrayBuffer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(env, "hugeArrayBuffer(bytes: number)");
  const double bytes = info[0].As<Napi::Number>().DoubleValue();
  if (!(bytes >= 0 && bytes <= 9007199254740991.0) || bytes != static_cast<double>(static_cast<size_t>(bytes)))
    throw Napi::RangeError::New(env, "hugeArrayBuffer: bytes must be a non-negative integer");
  const size_t n = static_cast<size_t>(bytes);
  HugeArray mem((n + 7) / 8, /*zero=*/false);
  return HugeArrayBufferOf(env, mem, n);
}

}  // namespace

Napi::ArrayBuffer HugeArrayBufferOf(Napi::Env env, HugeArray& mem, size_t bytes) {
  napi_value out;
  if (napi_create_external_arraybuffer(
          env, mem.data(), bytes, [](napi_env, void* p, void*) { HugeArray::release(static_cast<double*>(p)); }, nullptr,
          &out) == napi_ok) {
    mem.detach();
    return Napi::ArrayBuffer(env, out);
  }
  // A runtime that refuses external memory (a V8 sandbox): a copy in its own.
  auto copy = Napi::ArrayBuffer::New(env, bytes);
  std::memcpy(copy.Data(), mem.data(), bytes);
  return copy;
}

void InitMemoryBinding(Napi::Env env, Napi::Object exports) {
  exports.Set("hugeArrayBuffer", Napi::Function::New(env, HugeArrayBuffer));
}

}  // namespace gm
