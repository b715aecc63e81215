#include <cstring>
#include <string>

#if defined(__unix__) || defined(__APPLE__)
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#define GM_HAVE_MMAP 1
#if defined(MADV_POPULATE_READ)
constexpr int kPopulateRead = MADV_POPULATE_READ;
#elif defined(__linux__)
constexpr int kPopulateRead = 22;  // Linux's value, for older headers
#else
constexpr int kPopulateRead = -1;  // none: the pages are mapped as they are read
#endif
#endif

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

// mapFile(path, bytes): the first `bytes` of a file as an ArrayBuffer over a private mapping of it,
// or null where that is not possible (no mmap, a runtime that refuses external memory, a file
// shorter than `bytes`). The pages are those of the page cache, mapped at once: no copy and no
// fresh memory, whose first touches cost 1.7 ms per MB on some virtual machines (a 160 MB features
// file read into new pages: 270-295 ms; two mapped and their KID rows checked: 0.14 s). Copy-on-write, so a
// write to the array stays in this process. As with np.load(mmap_mode=...), a file truncated by
// another process while mapped makes reads past its new end fault.
Napi::Value MapFile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsNumber())
    throw Napi::TypeError::New(env, "mapFile(path: string, bytes: number)");
#ifdef GM_HAVE_MMAP
  const std::string path = info[0].As<Napi::String>().Utf8Value();
  const double requested = info[1].As<Napi::Number>().DoubleValue();
  if (!(requested > 0 && requested <= 9007199254740991.0)) return env.Null();
  const size_t bytes = static_cast<size_t>(requested);
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return env.Null();
  struct stat st;
  void* p = MAP_FAILED;
  if (fstat(fd, &st) == 0 && static_cast<size_t>(st.st_size) >= bytes) {
    p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    // Mapped for reading at once (MAP_POPULATE would prefault a writable private mapping for
    // writing: a copy of every page); a hint only, and unknown before Linux 5.14.
    if (p != MAP_FAILED && kPopulateRead >= 0) madvise(p, bytes, kPopulateRead);
  }
  close(fd);
  if (p == MAP_FAILED) return env.Null();
  napi_value out;
  const auto unmap = [](napi_env, void* data, void* hint) { munmap(data, reinterpret_cast<size_t>(hint)); };
  if (napi_create_external_arraybuffer(env, p, bytes, unmap, reinterpret_cast<void*>(bytes), &out) != napi_ok) {
    munmap(p, bytes);
    return env.Null();
  }
  return Napi::ArrayBuffer(env, out);
#else
  return env.Null();
#endif
}

}  // namespace

Napi::ArrayBuffer HugeArrayBufferOf(Napi::Env env, HugeArray& mem, size_t bytes) {
  napi_value out;
  if (napi_create_external_arraybuffer(
          env, mem.data(), bytes,
          [](napi_env, void* p, void* capacity) { HugeArray::release(static_cast<double*>(p), reinterpret_cast<size_t>(capacity)); },
          reinterpret_cast<void*>(mem.capacity()),
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
  exports.Set("mapFile", Napi::Function::New(env, MapFile));
}

}  // namespace gm
