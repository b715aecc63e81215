// N-API for the pairwise kernels: neighbourRadii, countBalls, kernelSums, kernelSumsSubsets, kmeans,
// parzenLogSums, gramMatrix, symmetricTopEigen.
// Each returns a promise; the work runs off the JS thread and reports (done, total) tiles to an
// optional progress callback. Feature arrays are read in place and kept alive until it settles.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <mutex>
#include <string>

#include "bindings.h"
#include "density.h"
#include "job_worker.h"
#include "napi_arrays.h"
#include "gemm.h"
#include "kmeans.h"
#include "knn.h"
#include "mmd.h"
#include "prdc.h"
#include "symmetric_eigen.h"

namespace gm {
namespace {

int64_t IntArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info.Length() <= i || !info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a number");
  return info[i].As<Napi::Number>().Int64Value();
}

// options: { tile?: number, threads?: number, dense?: boolean, precision?: 'float32' | 'float64' }
PairwiseOptions OptionsArg(const Napi::Value& v) {
  PairwiseOptions o;
  if (!v.IsObject()) return o;
  auto obj = v.As<Napi::Object>();
  if (obj.Get("tile").IsNumber()) o.tile = obj.Get("tile").As<Napi::Number>().Int64Value();
  if (obj.Get("threads").IsNumber()) o.threads = obj.Get("threads").As<Napi::Number>().Int32Value();
  if (obj.Get("dense").IsBoolean()) o.dense = obj.Get("dense").As<Napi::Boolean>().Value();
  const Napi::Value precision = obj.Get("precision");
  if (!precision.IsUndefined()) {
    const std::string p = precision.ToString().Utf8Value();
    if (p == "float32")
      o.precision = Precision::Float32;
    else if (p != "float64")
      throw Napi::RangeError::New(v.Env(), "precision must be 'float32' or 'float64', got '" + p + "'");
  }
  if (o.tile < 1) throw Napi::RangeError::New(v.Env(), "tile must be a positive integer");
  return o;
}

// options[key]: a Float64Array of `rows` squared norms (the caller keeps the options object alive
// while the work runs), or null when absent.
const double* NormsOption(Napi::Env env, const Napi::Value& options, const char* key, int64_t rows) {
  if (!options.IsObject()) return nullptr;
  const Napi::Value v = options.As<Napi::Object>().Get(key);
  if (v.IsUndefined()) return nullptr;
  return Float64Arg(env, v, static_cast<size_t>(rows), key);
}

// neighbourRadii(x, rows, ks: number[], options?, onProgress?): Promise<Float64Array[]>
Napi::Value NeighbourRadii(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Rows x = RowsArg(env, info[0], IntArg(info, 1, "rows"), "x");
  if (!info[2].IsArray()) throw Napi::TypeError::New(env, "ks must be an array of integers");
  auto arr = info[2].As<Napi::Array>();
  std::vector<int> ks;
  for (uint32_t i = 0; i < arr.Length(); ++i) ks.push_back(arr.Get(i).As<Napi::Number>().Int32Value());
  PairwiseOptions o = OptionsArg(info[3]);
  auto out = std::make_shared<std::vector<std::vector<double>>>();
  auto* w = new JobWorker(
      env, info[4], {info[0]},
      [x, ks, o, out](const ProgressFn& p) {
        PairwiseOptions po = o;
        po.progress = p;
        *out = neighbourRadii(x, ks, po);
      },
      [out](Napi::Env env) -> Napi::Value {
        auto a = Napi::Array::New(env, out->size());
        for (size_t i = 0; i < out->size(); ++i) a.Set(static_cast<uint32_t>(i), ToF64(env, (*out)[i]));
        return a;
      });
  w->Queue();
  return w->Promise();
}

// nearestNeighbours(a, aRows, b, bRows, k, options?, onProgress?): Promise<{ index, distance }>
// (Float64Arrays of aRows x k; index -1 and distance Infinity where b has fewer than k rows)
Napi::Value NearestNeighbours(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Rows a = RowsArg(env, info[0], IntArg(info, 1, "aRows"), "a");
  const Rows b = RowsArg(env, info[2], IntArg(info, 3, "bRows"), "b");
  if (a.d != b.d) throw Napi::RangeError::New(env, "a and b have different dimensions");
  const int k = static_cast<int>(IntArg(info, 4, "k"));
  if (k < 1) throw Napi::RangeError::New(env, "k must be at least 1");
  PairwiseOptions o = OptionsArg(info[5]);
  auto out = std::make_shared<Neighbours>();
  auto* w = new JobWorker(
      env, info[6], {info[0], info[2]},
      [a, b, k, o, out](const ProgressFn& p) {
        PairwiseOptions po = o;
        po.progress = p;
        *out = nearestNeighbours(a, b, k, po);
      },
      [out](Napi::Env env) -> Napi::Value {
        auto r = Napi::Object::New(env);
        r.Set("index", ToF64(env, std::vector<double>(out->index.begin(), out->index.end())));
        r.Set("distance", ToF64(env, out->distance));
        return r;
      });
  w->Queue();
  return w->Promise();
}

// The arguments both parts of the radii pass take: x, rows, start, end, need, options.
struct UpperBlockArgs {
  Rows x;
  int64_t start, end;
  int need;
  PairwiseOptions o;
};

static UpperBlockArgs UpperBlockArgsOf(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  UpperBlockArgs a{RowsArg(env, info[0], IntArg(info, 1, "rows"), "x"), IntArg(info, 2, "start"), IntArg(info, 3, "end"), static_cast<int>(IntArg(info, 4, "need")), {}};
  if (a.start < 0 || a.end <= a.start || a.end > a.x.n) throw Napi::RangeError::New(env, "start, end must satisfy 0 <= start < end <= rows");
  if (a.need < 1) throw Napi::RangeError::New(env, "need must be at least 1");
  a.o = OptionsArg(info[5]);
  a.o.norms = NormsOption(env, info[5], "norms", a.x.n);
  return a;
}

// neighbourBlock(x, rows, start, end, need, options?, onProgress?): Promise<Float64Array>
// (rows - start) x need squared distances: upperBlockSmallest (knn.h), one part of the radii pass.
Napi::Value NeighbourBlock(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const UpperBlockArgs a = UpperBlockArgsOf(info);
  auto out = std::make_shared<std::vector<double>>();
  auto* w = new JobWorker(
      env, info[6], {info[0], info[5]},
      [a, out](const ProgressFn& p) {
        PairwiseOptions po = a.o;
        po.progress = p;
        *out = upperBlockSmallest(a.x, a.start, a.end, a.need, po);
      },
      [out](Napi::Env env) -> Napi::Value { return ToF64(env, *out); });
  w->Queue();
  return w->Promise();
}

// neighbourBlockCandidates(x, rows, start, end, need, options?, onProgress?)
// : Promise<{ value: Float64Array, index: Int32Array, L: number, maxSquared: number }>
// upperBlockCandidates (knn.h): the float32 first pass of one part, (rows - start) x L lists.
Napi::Value NeighbourBlockCandidates(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const UpperBlockArgs a = UpperBlockArgsOf(info);
  if (a.x.n > 0x7fffffff) throw Napi::RangeError::New(env, "at most 2^31 - 1 rows");
  auto out = std::make_shared<PartCandidates>();
  auto* w = new JobWorker(
      env, info[6], {info[0], info[5]},
      [a, out](const ProgressFn& p) {
        PairwiseOptions po = a.o;
        po.progress = p;
        *out = upperBlockCandidates(a.x, a.start, a.end, a.need, po);
      },
      [out](Napi::Env env) -> Napi::Value {
        auto r = Napi::Object::New(env);
        r.Set("value", ToF64(env, out->value));
        r.Set("index", ToI32(env, std::vector<int32_t>(out->index.begin(), out->index.end())));
        r.Set("L", Napi::Number::New(env, out->L));
        r.Set("maxSquared", Napi::Number::New(env, out->maxSquared));
        return r;
      });
  w->Queue();
  return w->Promise();
}

// neighbourRecheck(x, rows, start, count, index: Int32Array, value: Float64Array, L, need, maxSquared,
// options?, onProgress?): Promise<Float64Array> (count x need): recheckCandidates (knn.h).
Napi::Value NeighbourRecheck(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Rows x = RowsArg(env, info[0], IntArg(info, 1, "rows"), "x");
  const int64_t start = IntArg(info, 2, "start"), count = IntArg(info, 3, "count");
  const int L = static_cast<int>(IntArg(info, 6, "L")), need = static_cast<int>(IntArg(info, 7, "need"));
  if (start < 0 || count < 1 || start + count > x.n) throw Napi::RangeError::New(env, "start, count must satisfy 0 <= start < start + count <= rows");
  if (need < 1 || L < need) throw Napi::RangeError::New(env, "need must be at least 1 and at most L");
  const size_t entries = static_cast<size_t>(count * L);
  if (!info[4].IsTypedArray() || info[4].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    throw Napi::TypeError::New(env, "index must be an Int32Array");
  auto idx = info[4].As<Napi::Int32Array>();
  if (idx.ElementLength() != entries) throw Napi::RangeError::New(env, "index must have count x L elements");
  auto index = std::make_shared<std::vector<int64_t>>(idx.Data(), idx.Data() + entries);
  for (int64_t j : *index)
    if (j < -1 || j >= x.n) throw Napi::RangeError::New(env, "index holds a row outside the set");
  const double* value = Float64Arg(env, info[5], entries, "value");
  if (!info[8].IsNumber()) throw Napi::TypeError::New(env, "maxSquared must be a number");
  const double maxSquared = info[8].As<Napi::Number>().DoubleValue();
  PairwiseOptions o = OptionsArg(info[9]);
  o.norms = NormsOption(env, info[9], "norms", x.n);
  auto out = std::make_shared<std::vector<double>>();
  auto* w = new JobWorker(
      env, info[10], {info[0], info[5], info[9]},
      [x, start, count, index, value, L, need, maxSquared, o, out](const ProgressFn& p) {
        PairwiseOptions po = o;
        po.progress = p;
        *out = recheckCandidates(x, start, count, index->data(), value, L, need, maxSquared, po);
      },
      [out](Napi::Env env) -> Napi::Value { return ToF64(env, *out); });
  w->Queue();
  return w->Promise();
}

// realismScores(real, realRows, fake, fakeRows, radii: Float64Array (NaN: left out), squared, eps, options?)
// : Promise<{ score: Float64Array, inside: Uint8Array }>
Napi::Value RealismScores(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Rows real = RowsArg(env, info[0], IntArg(info, 1, "realRows"), "real");
  const Rows fake = RowsArg(env, info[2], IntArg(info, 3, "fakeRows"), "fake");
  if (real.d != fake.d) throw Napi::RangeError::New(env, "real and fake have different dimensions");
  const double* radii = Float64Arg(env, info[4], static_cast<size_t>(real.n), "radii");
  const bool squared = info[5].ToBoolean().Value();
  const double eps = info[6].IsNumber() ? info[6].As<Napi::Number>().DoubleValue() : 0.0;
  PairwiseOptions o = OptionsArg(info[7]);
  auto out = std::make_shared<Realism>();
  auto* w = new JobWorker(
      env, env.Undefined(), {info[0], info[2], info[4]},
      [real, fake, radii, squared, eps, o, out](const ProgressFn&) { *out = realismScores(real, fake, radii, squared, eps, o); },
      [out](Napi::Env env) -> Napi::Value {
        auto r = Napi::Object::New(env);
        r.Set("score", ToF64(env, out->score));
        auto inside = Napi::Uint8Array::New(env, out->inside.size());
        std::copy(out->inside.begin(), out->inside.end(), inside.Data());
        r.Set("inside", inside);
        return r;
      });
  w->Queue();
  return w->Promise();
}

// symmetricEigenvalues(m: Float64Array (n x n, the lower triangle read), n, threads?): Promise<Float64Array>,
// ascending (numpy's eigvalsh).
Napi::Value SymmetricEigenvalues(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int64_t n = IntArg(info, 1, "n");
  if (n < 1) throw Napi::RangeError::New(env, "n must be positive");
  const double* m = Float64Arg(env, info[0], static_cast<size_t>(n * n), "m");
  const int threads = info.Length() > 2 && info[2].IsNumber() ? info[2].As<Napi::Number>().Int32Value() : 0;
  auto out = std::make_shared<std::vector<double>>();
  auto* w = new JobWorker(
      env, env.Undefined(), {info[0]},
      [m, n, threads, out](const ProgressFn&) {
        Eigen::MatrixXd a = Eigen::Map<const Eigen::MatrixXd>(m, n, n);
        const Eigen::VectorXd v = symmetricEigenvalues(a, threads);
        out->assign(v.data(), v.data() + v.size());
        std::sort(out->begin(), out->end());
      },
      [out](Napi::Env env) -> Napi::Value { return ToF64(env, *out); });
  w->Queue();
  return w->Promise();
}

// countBalls(real, realRows, fake, fakeRows, sets: {realRadii, fakeRadii, strict}[], options?, onProgress?)
Napi::Value CountBalls(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Rows real = RowsArg(env, info[0], IntArg(info, 1, "realRows"), "real");
  const Rows fake = RowsArg(env, info[2], IntArg(info, 3, "fakeRows"), "fake");
  if (real.d != fake.d) throw Napi::RangeError::New(env, "real and fake have different dimensions");
  if (!info[4].IsArray()) throw Napi::TypeError::New(env, "sets must be an array");
  auto arr = info[4].As<Napi::Array>();
  std::vector<BallSet> sets;
  std::vector<Napi::Value> keep = {info[0], info[2]};
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    auto s = arr.Get(i).As<Napi::Object>();
    const double* rr = Float64Arg(env, s.Get("realRadii"), static_cast<size_t>(real.n), "realRadii");
    const double* rf = Float64Arg(env, s.Get("fakeRadii"), static_cast<size_t>(fake.n), "fakeRadii");
    sets.push_back({rr, rf, s.Get("strict").ToBoolean().Value()});
    keep.push_back(s.Get("realRadii"));
    keep.push_back(s.Get("fakeRadii"));
  }
  PairwiseOptions o = OptionsArg(info[5]);
  o.norms = NormsOption(env, info[5], "realNorms", real.n);
  o.otherNorms = NormsOption(env, info[5], "fakeNorms", fake.n);
  keep.push_back(info[5]);
  auto out = std::make_shared<BallCounts>();
  auto* w = new JobWorker(
      env, info[6], keep,
      [real, fake, sets, o, out](const ProgressFn& p) {
        PairwiseOptions po = o;
        po.progress = p;
        *out = countBalls(real, fake, sets, po);
      },
      [out](Napi::Env env) -> Napi::Value {
        auto r = Napi::Object::New(env);
        auto fir = Napi::Array::New(env), rif = Napi::Array::New(env);
        for (size_t s = 0; s < out->fakeInReal.size(); ++s) {
          fir.Set(static_cast<uint32_t>(s), ToU32(env, out->fakeInReal[s]));
          rif.Set(static_cast<uint32_t>(s), ToU32(env, out->realInFake[s]));
        }
        auto cov = Napi::Array::New(env);
        for (size_t s = 0; s < out->realCovered.size(); ++s) cov.Set(static_cast<uint32_t>(s), ToU32(env, out->realCovered[s]));
        r.Set("fakeInReal", fir);
        r.Set("realInFake", rif);
        r.Set("realCovered", cov);
        r.Set("rechecked", Napi::Number::New(env, static_cast<double>(out->rechecked)));
        return r;
      });
  w->Queue();
  return w->Promise();
}

// kernel: { kind: 'poly' | 'rbf', degree, gamma, coef0, sigma }
KernelSpec KernelArg(Napi::Env env, const Napi::Value& v) {
  if (!v.IsObject()) throw Napi::TypeError::New(env, "kernel must be an object");
  auto o = v.As<Napi::Object>();
  KernelSpec k;
  const std::string kind = o.Get("kind").ToString().Utf8Value();
  if (kind == "poly")
    k.kind = KernelSpec::Poly;
  else if (kind == "rbf")
    k.kind = KernelSpec::Rbf;
  else
    throw Napi::RangeError::New(env, "kernel.kind must be 'poly' or 'rbf'");
  const auto num = [&](const char* key, double& dst) {
    if (o.Get(key).IsNumber()) dst = o.Get(key).As<Napi::Number>().DoubleValue();
  };
  num("degree", k.degree);
  num("gamma", k.gamma);
  num("coef0", k.coef0);
  num("sigma", k.sigma);
  // An RBF with sigma 0 divides by zero (every sum NaN); a non-finite parameter poisons the sums.
  if (k.kind == KernelSpec::Rbf && !(k.sigma > 0 && std::isfinite(k.sigma)))
    throw Napi::RangeError::New(env, "kernel.sigma must be a positive finite number, got " + NumStr(k.sigma));
  if (!std::isfinite(k.degree) || !std::isfinite(k.gamma) || !std::isfinite(k.coef0))
    throw Napi::RangeError::New(env, "kernel.degree, gamma and coef0 must be finite");
  // (gamma x.y + coef0)^degree: a degree <= 0 makes 0^degree infinite (NaN sums).
  if (k.kind == KernelSpec::Poly && !(k.degree > 0))
    throw Napi::RangeError::New(env, "kernel.degree must be positive, got " + NumStr(k.degree));
  return k;
}

Napi::Object SumsObject(Napi::Env env, const KernelSums& s) {
  auto r = Napi::Object::New(env);
  r.Set("xx", s.xx);
  r.Set("xxDiag", s.xxDiag);
  r.Set("yy", s.yy);
  r.Set("yyDiag", s.yyDiag);
  r.Set("xy", s.xy);
  r.Set("xyDiag", s.xyDiag);
  return r;
}

// kernelSums(x, xRows, y, yRows, kernel, options?, onProgress?): Promise<sums>
Napi::Value KernelSumsFn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Rows x = RowsArg(env, info[0], IntArg(info, 1, "xRows"), "x");
  const Rows y = RowsArg(env, info[2], IntArg(info, 3, "yRows"), "y");
  if (x.d != y.d) throw Napi::RangeError::New(env, "x and y have different dimensions");
  const KernelSpec k = KernelArg(env, info[4]);
  PairwiseOptions o = OptionsArg(info[5]);
  auto out = std::make_shared<KernelSums>();
  auto* w = new JobWorker(
      env, info[6], {info[0], info[2]},
      [x, y, k, o, out](const ProgressFn& p) {
        PairwiseOptions po = o;
        po.progress = p;
        *out = kernelSums(x, y, k, po);
      },
      [out](Napi::Env env) -> Napi::Value { return SumsObject(env, *out); });
  w->Queue();
  return w->Promise();
}

const uint32_t* IndexArg(Napi::Env env, const Napi::Value& v, int64_t expected, int64_t bound, const char* name) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array)
    throw Napi::TypeError::New(env, std::string(name) + " must be a Uint32Array");
  auto a = v.As<Napi::Uint32Array>();
  if (static_cast<int64_t>(a.ElementLength()) != expected)
    throw Napi::RangeError::New(env, std::string(name) + " must have subsets * m elements");
  for (size_t i = 0; i < a.ElementLength(); ++i)
    if (a[i] >= bound) throw Napi::RangeError::New(env, std::string(name) + " holds an index out of range");
  return a.Data();
}

// kernelSumsSubsets(x, xRows, y, yRows, idxX, idxY, subsets, m, kernel, options?, onProgress?):
// Promise<sums[]>
Napi::Value KernelSumsSubsetsFn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Rows x = RowsArg(env, info[0], IntArg(info, 1, "xRows"), "x");
  const Rows y = RowsArg(env, info[2], IntArg(info, 3, "yRows"), "y");
  if (x.d != y.d) throw Napi::RangeError::New(env, "x and y have different dimensions");
  const int64_t subsets = IntArg(info, 6, "subsets"), m = IntArg(info, 7, "m");
  if (subsets < 1 || m < 2) throw Napi::RangeError::New(env, "subsets must be >= 1 and m >= 2");
  const uint32_t* ix = IndexArg(env, info[4], subsets * m, x.n, "idxX");
  const uint32_t* iy = IndexArg(env, info[5], subsets * m, y.n, "idxY");
  const KernelSpec k = KernelArg(env, info[8]);
  PairwiseOptions o = OptionsArg(info[9]);
  auto out = std::make_shared<std::vector<KernelSums>>();
  auto* w = new JobWorker(
      env, info[10], {info[0], info[2], info[4], info[5]},
      [x, y, ix, iy, subsets, m, k, o, out](const ProgressFn& p) {
        PairwiseOptions po = o;
        po.progress = p;
        *out = kernelSumsSubsets(x, y, ix, iy, subsets, m, k, po);
      },
      [out](Napi::Env env) -> Napi::Value {
        auto a = Napi::Array::New(env, out->size());
        for (size_t i = 0; i < out->size(); ++i) a.Set(static_cast<uint32_t>(i), SumsObject(env, (*out)[i]));
        return a;
      });
  w->Queue();
  return w->Promise();
}

// kmeans(x, rows, { k, restarts, maxIter, tol, seed, threads }, onProgress?):
// Promise<{ labels: Int32Array, centres: Float64Array, inertia, iterations, restart }>
Napi::Value KMeansFn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Rows x = RowsArg(env, info[0], IntArg(info, 1, "rows"), "x");
  if (!info[2].IsObject()) throw Napi::TypeError::New(env, "options must be an object");
  auto obj = info[2].As<Napi::Object>();
  KMeansOptions o;
  const auto num = [&](const char* key) -> Napi::Value { return obj.Get(key); };
  if (!num("k").IsNumber()) throw Napi::TypeError::New(env, "options.k must be a number");
  o.k = num("k").As<Napi::Number>().Int64Value();
  if (num("restarts").IsNumber()) o.restarts = num("restarts").As<Napi::Number>().Int32Value();
  if (num("maxIter").IsNumber()) o.maxIter = num("maxIter").As<Napi::Number>().Int32Value();
  if (num("tol").IsNumber()) o.tol = num("tol").As<Napi::Number>().DoubleValue();
  if (!(o.tol >= 0) || !std::isfinite(o.tol)) throw Napi::RangeError::New(env, "options.tol must be a finite number >= 0");
  if (num("seed").IsNumber()) o.seed = static_cast<uint64_t>(num("seed").As<Napi::Number>().Int64Value());
  if (num("threads").IsNumber()) o.threads = num("threads").As<Napi::Number>().Int32Value();
  auto out = std::make_shared<KMeansResult>();
  auto* w = new JobWorker(
      env, info[3], {info[0]},
      [x, o, out](const ProgressFn& p) {
        KMeansOptions ko = o;
        ko.progress = p;
        *out = kmeans(x, ko);
      },
      [out](Napi::Env env) -> Napi::Value {
        auto r = Napi::Object::New(env);
        r.Set("labels", ToI32(env, out->labels));
        r.Set("centres", ToF64(env, out->centres));
        r.Set("inertia", out->inertia);
        r.Set("iterations", out->iterations);
        r.Set("restart", out->restart);
        return r;
      });
  w->Queue();
  return w->Promise();
}

// gemmSeconds(n, threads, precision?): the median time of three n x n x n products with the native
// GEMM (after a warm-up), float64 (gemm) or float32 (gemmRows' Float32, A A^T of float32 rows), for
// benchmarks that relate kernel times to the machine's GEMM rate.
Napi::Value GemmSeconds(const Napi::CallbackInfo& info) {
  const int64_t n = IntArg(info, 0, "n");
  const int threads = static_cast<int>(IntArg(info, 1, "threads"));
  const bool f32 = info.Length() > 2 && info[2].IsString() && info[2].As<Napi::String>().Utf8Value() == "float32";
  // n^2 doubles twice: beyond 2^15 (16 GiB) it is no benchmark, and n * n must not overflow.
  if (n < 1 || n > 32768) throw Napi::RangeError::New(info.Env(), "n must be in 1..32768, got " + std::to_string(n));
  std::vector<double> a(static_cast<size_t>(n * n)), c(static_cast<size_t>(n * n));
  for (int64_t i = 0; i < n * n; ++i) a[i] = std::sin(0.001 * static_cast<double>(i));
  std::vector<float> af(f32 ? a.begin() : a.end(), a.end());
  Rows rows;
  rows.f32 = af.data();
  rows.n = rows.d = n;
  std::vector<double> times;
  for (int r = 0; r < 4; ++r) {
    std::fill(c.begin(), c.end(), 0.0);
    const auto t0 = std::chrono::steady_clock::now();
    if (f32)
      gemmRows(n, n, rows, 0, rows, 0, c.data(), n, Part::Full, threads, Precision::Float32);
    else
      gemm(n, n, n, 1.0, colMajor(a.data(), n), colMajor(a.data(), n), c.data(), n, Part::Full, threads);
    if (r > 0) times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(times.begin(), times.end());
  return Napi::Number::New(info.Env(), times[1]);
}

// squaredNorms(x, rows, threads?): Float64Array: each row's squared norm as the pairwise passes
// compute it (Rows::squaredNorms' bits), for callers that pass them to several calls (option norms).
Napi::Value SquaredNorms(const Napi::CallbackInfo& info) {
  const Rows x = RowsArg(info.Env(), info[0], IntArg(info, 1, "rows"), "x");
  const int threads = info.Length() > 2 && info[2].IsNumber() ? info[2].As<Napi::Number>().Int32Value() : 0;
  return ToF64(info.Env(), squaredNormsOn(x, threads));
}

// parzenLogSums(test, testRows, samples, sampleRows, scales: Float64Array, options?, onProgress?)
// : Promise<Float64Array> (testRows x scales.length, row-major)
Napi::Value ParzenLogSums(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Rows test = RowsArg(env, info[0], IntArg(info, 1, "testRows"), "test");
  const Rows samples = RowsArg(env, info[2], IntArg(info, 3, "sampleRows"), "samples");
  if (test.d != samples.d) throw Napi::RangeError::New(env, "test and samples have different dimensions");
  if (!info[4].IsTypedArray() || info[4].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
    throw Napi::TypeError::New(env, "scales must be a Float64Array");
  const auto sa = info[4].As<Napi::Float64Array>();
  std::vector<double> scales(sa.Data(), sa.Data() + sa.ElementLength());
  if (scales.empty()) throw Napi::RangeError::New(env, "scales must not be empty");
  PairwiseOptions o = OptionsArg(info[5]);
  o.precision = Precision::Float64;
  auto out = std::make_shared<std::vector<double>>();
  auto* w = new JobWorker(
      env, info[6], {info[0], info[2]},
      [test, samples, scales, o, out](const ProgressFn& progress) {
        PairwiseOptions p = o;
        p.progress = progress;
        *out = parzenLogSums(test, samples, scales, p);
      },
      [out](Napi::Env env) -> Napi::Value { return ToF64(env, *out); });
  w->Queue();
  return w->Promise();
}

// gramMatrix(x, rows, options?): Promise<Float64Array> (rows x rows inner products, float64)
Napi::Value GramMatrix(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Rows x = RowsArg(env, info[0], IntArg(info, 1, "rows"), "x");
  if (x.n > 46340) throw Napi::RangeError::New(env, "gramMatrix: too many rows for a dense n x n matrix");
  PairwiseOptions o = OptionsArg(info[2]);
  o.precision = Precision::Float64;
  auto out = std::make_shared<std::vector<double>>();
  auto* w = new JobWorker(
      env, env.Undefined(), {info[0]}, [x, o, out](const ProgressFn&) { *out = gramMatrix(x, o); },
      [out](Napi::Env env) -> Napi::Value { return ToF64(env, *out); });
  w->Queue();
  return w->Promise();
}

// symmetricTopEigen(m: Float64Array (n x n, lower triangle read), n, top)
// : Promise<{ values: Float64Array (descending), vectors: Float64Array (top x n, one eigenvector per row) }>
Napi::Value SymmetricTopEigen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int64_t n = IntArg(info, 1, "n");
  const int64_t top = IntArg(info, 2, "top");
  if (n < 1) throw Napi::RangeError::New(env, "n must be positive");
  if (top < 1 || top > n) throw Napi::RangeError::New(env, "top must be in 1..n");
  const double* m = Float64Arg(env, info[0], static_cast<size_t>(n * n), "m");
  auto values = std::make_shared<std::vector<double>>();
  auto vectors = std::make_shared<std::vector<double>>();
  auto* w = new JobWorker(
      env, env.Undefined(), {info[0]},
      [m, n, top, values, vectors](const ProgressFn&) {
        Eigen::VectorXd v;
        Eigen::MatrixXd u;
        symmetricTopEigen(Eigen::Map<const Eigen::MatrixXd>(m, n, n), static_cast<int>(top), v, u);
        values->assign(v.data(), v.data() + v.size());
        vectors->resize(static_cast<size_t>(n * top));
        for (int64_t k = 0; k < top; ++k)
          for (int64_t i = 0; i < n; ++i) (*vectors)[k * n + i] = u(i, k);
      },
      [values, vectors](Napi::Env env) -> Napi::Value {
        auto r = Napi::Object::New(env);
        r.Set("values", ToF64(env, *values));
        r.Set("vectors", ToF64(env, *vectors));
        return r;
      });
  w->Queue();
  return w->Promise();
}

// projectRows(x, rows, components: Float64Array (k x d, one per row), k, mean: Float64Array (d), threads?)
// : Promise<Float64Array> (rows x k, row-major): (x_i - mean) . c_j, as x_i . c_j - mean . c_j from one GEMM.
Napi::Value ProjectRows(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Rows x = RowsArg(env, info[0], IntArg(info, 1, "rows"), "x");
  const int64_t k = IntArg(info, 3, "k");
  if (k < 1) throw Napi::RangeError::New(env, "k must be positive");
  const double* comps = Float64Arg(env, info[2], static_cast<size_t>(k * x.d), "components");
  const double* mean = Float64Arg(env, info[4], static_cast<size_t>(x.d), "mean");
  const int threads = info.Length() > 5 && info[5].IsNumber() ? info[5].As<Napi::Number>().Int32Value() : 0;
  auto out = std::make_shared<std::vector<double>>();
  auto* w = new JobWorker(
      env, env.Undefined(), {info[0], info[2], info[4]},
      [x, comps, mean, k, threads, out](const ProgressFn&) {
        Rows c;
        c.f64 = comps;
        c.n = k;
        c.d = x.d;
        std::vector<double> offset(static_cast<size_t>(k));
        for (int64_t j = 0; j < k; ++j) {
          double s = 0;
          for (int64_t t = 0; t < x.d; ++t) s += mean[t] * comps[j * x.d + t];
          offset[j] = s;
        }
        out->assign(static_cast<size_t>(x.n * k), 0.0);
        constexpr int64_t block = 4096;
        std::vector<double> g(static_cast<size_t>(block * k));
        for (int64_t i0 = 0; i0 < x.n; i0 += block) {
          const int64_t m = std::min(block, x.n - i0);
          std::fill(g.begin(), g.end(), 0.0);
          gemmRows(m, k, x, i0, c, 0, g.data(), m, Part::Full, threads, Precision::Float64);
          for (int64_t i = 0; i < m; ++i)
            for (int64_t j = 0; j < k; ++j) (*out)[(i0 + i) * k + j] = g[j * m + i] - offset[j];
        }
      },
      [out](Napi::Env env) -> Napi::Value { return ToF64(env, *out); });
  w->Queue();
  return w->Promise();
}

}  // namespace

void InitPairwiseBinding(Napi::Env env, Napi::Object exports) {
  exports.Set("neighbourRadii", Napi::Function::New(env, NeighbourRadii));
  exports.Set("nearestNeighbours", Napi::Function::New(env, NearestNeighbours));
  exports.Set("neighbourBlock", Napi::Function::New(env, NeighbourBlock));
  exports.Set("neighbourBlockCandidates", Napi::Function::New(env, NeighbourBlockCandidates));
  exports.Set("neighbourRecheck", Napi::Function::New(env, NeighbourRecheck));
  exports.Set("symmetricEigenvalues", Napi::Function::New(env, SymmetricEigenvalues));
  exports.Set("realismScores", Napi::Function::New(env, RealismScores));
  exports.Set("countBalls", Napi::Function::New(env, CountBalls));
  exports.Set("kernelSums", Napi::Function::New(env, KernelSumsFn));
  exports.Set("kernelSumsSubsets", Napi::Function::New(env, KernelSumsSubsetsFn));
  exports.Set("kmeans", Napi::Function::New(env, KMeansFn));
  exports.Set("gemmSeconds", Napi::Function::New(env, GemmSeconds));
  exports.Set("squaredNorms", Napi::Function::New(env, SquaredNorms));
  exports.Set("parzenLogSums", Napi::Function::New(env, ParzenLogSums));
  exports.Set("gramMatrix", Napi::Function::New(env, GramMatrix));
  exports.Set("projectRows", Napi::Function::New(env, ProjectRows));
  exports.Set("symmetricTopEigen", Napi::Function::New(env, SymmetricTopEigen));
}

}  // namespace gm
