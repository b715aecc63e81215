// Packed, cache-blocked, multi-threaded float64 matrix product (the Goto/BLIS scheme: pack a
// kc x nc panel of B and an mc x kc block of A, then run a register-blocked micro-kernel over
// them). Micro-kernels for AVX-512 and AVX2/FMA are compiled into every build and chosen at run
// time from the CPU's features, so one portable binary still runs at full speed.
#pragma once
#include <cstdint>

#include "rows.h"

namespace gm {

// A strided read-only view: element (i, j) is p[i * rs + j * cs]. Transposing swaps rs and cs.
struct View {
  const double* p;
  int64_t rs;
  int64_t cs;
  double operator()(int64_t i, int64_t j) const { return p[i * rs + j * cs]; }
  View t() const { return View{p, cs, rs}; }
  View at(int64_t i, int64_t j) const { return View{p + i * rs + j * cs, rs, cs}; }
};

inline View colMajor(const double* p, int64_t ld) { return View{p, 1, ld}; }
inline View rowMajor(const double* p, int64_t ld) { return View{p, ld, 1}; }

enum class Part { Full, Lower };

// C += alpha * A * B, A m x k, B k x n, C column-major m x n with leading dimension ldc.
// Part::Lower computes at least the entries with i >= j (square C, skipping blocks wholly above
// the diagonal); some entries above it may be updated too and must not be relied on.
void gemm(int64_t m, int64_t n, int64_t k, double alpha, View a, View b, double* c, int64_t ldc, Part part,
          int threads);

// Float64: the rows widened to float64 as the panels are packed, products and sums in float64.
// Float32: the rows packed as float32 (float64 rows rounded), the products and the sum over each
// panel of 512 columns in float32, the panel sums added to C in float64 (about twice the rate).
enum class Precision { Float64, Float32 };

// C += A B^T (C = A B^T when overwrite) for rows [i0, i0 + m) of a and [j0, j0 + n) of b (k = their
// width), the rows read where they lie and converted as the panels are packed. part as for gemm;
// with overwrite and Part::Lower, entries above the diagonal may hold anything.
void gemmRows(int64_t m, int64_t n, const Rows& a, int64_t i0, const Rows& b, int64_t j0, double* c, int64_t ldc,
              Part part, int threads, Precision precision = Precision::Float64, bool overwrite = false);

// The lower triangle of Z Z^T for Z = [top; bottom] (top.n + bottom.n rows, read where they lie;
// both float32 or both float64 rows of one width), into C (column-major, ldc), as gemmRows.
void gemmRowsStacked(const Rows& top, const Rows& bottom, double* c, int64_t ldc, int threads, Precision precision,
                     bool overwrite);

// RunningMoments' centred symmetric rank-m update: for the m rows y_p of `rows` (row-major, width
// d), C += sum_p (y_p - s)(y_p - s)^T as gemm's Part::Lower (C column-major, ldc) and sums[c] +=
// sum_p (y_pc - s_c) in row order. Each y_pc - s_c is formed once in float64 and packed once in
// the layouts of both sides of the product, which its threads then read where they lie; the
// entries are gemm's on the centred rows, bit for bit.
template <class T>
void centredRankUpdate(const T* rows, int64_t m, int64_t d, const double* shift, double* sums, double* c, int64_t ldc,
                       int threads);

// <a_i, b_j> bit for bit as gemmRows computes it in float64 (same panels, same order, fused or
// not as the kernel in use): for re-checking, one pair at a time, a decision taken in float32.
double gemmRowsDot(const Rows& a, int64_t i, const Rows& b, int64_t j);
// The same for rows js[0 .. count) of b, into out (several chains at once: faster per pair).
void gemmRowsDots(const Rows& a, int64_t i, const Rows& b, const int64_t* js, int64_t count, double* out);

// e such that a float32 entry of gemmRows and the float64 one of the same rows differ by at most
// e * sum_p |a_p b_p| <= e * |a| |b| (k = the rows' width).
double float32DotError(int64_t k);

// The micro-kernel in use: "avx512", "avx2" or "generic".
const char* gemmKernelName();

}  // namespace gm
