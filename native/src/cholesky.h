// Blocked, multi-threaded Cholesky factorisation A = L L^T (right-looking, like LAPACK dpotrf:
// factor a diagonal block, solve the panel below it, update the trailing matrix with one
// rank-nb GEMM on its lower triangle).
#pragma once
#include <cstdint>

namespace gm {

// a: n x n column-major, symmetric positive definite, only its lower triangle read. On success
// holds L (strict upper triangle zeroed) and returns true; returns false when A is not
// numerically positive definite (then a is left partly overwritten).
bool choleskyLower(double* a, int64_t n, int threads);

}  // namespace gm
