// Typed-array arguments and results of the N-API bindings: feature rows read in place, and
// std::vectors copied into new Float64/Int32/Uint32 arrays.
#pragma once
#include <napi.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "rows.h"

namespace gm {

// A Float32Array or Float64Array of rows x d values.
inline Rows RowsArg(Napi::Env env, const Napi::Value& v, int64_t rows, const char* name) {
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
  if (rows <= 0 || len % rows != 0)
    throw Napi::RangeError::New(env, std::string(name) + ": " + std::to_string(len) + " values are not " +
                                         std::to_string(rows) + " rows");
  r.n = rows;
  r.d = len / rows;
  return r;
}

// A number for a message: shortest round-trip form (1e-06, 3, 1073741824), not std::to_string's %f.
inline std::string NumStr(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  std::string s(buf);
  for (int digits = 1; digits <= 17; ++digits) {
    std::snprintf(buf, sizeof buf, "%.*g", digits, v);
    if (std::strtod(buf, nullptr) == v) return buf;
  }
  return s;
}

template <typename Array, typename T>
Array CopyToArray(Napi::Env env, const std::vector<T>& v) {
  auto a = Array::New(env, v.size());
  std::copy(v.begin(), v.end(), a.Data());
  return a;
}

inline Napi::Float64Array ToF64(Napi::Env env, const std::vector<double>& v) { return CopyToArray<Napi::Float64Array>(env, v); }
inline Napi::Int32Array ToI32(Napi::Env env, const std::vector<int32_t>& v) { return CopyToArray<Napi::Int32Array>(env, v); }
inline Napi::Uint32Array ToU32(Napi::Env env, const std::vector<uint32_t>& v) { return CopyToArray<Napi::Uint32Array>(env, v); }

}  // namespace gm
