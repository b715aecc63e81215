// Fréchet distance between two Gaussians (Dowson & Landau 1982; FID, Heusel et al. 2017):
//   d^2 = |mu1 - mu2|^2 + tr(S1) + tr(S2) - 2 tr((S1^1/2 S2 S1^1/2)^1/2)
// computed with symmetric eigendecompositions in float64 only (no general sqrtm).
#pragma once
#include <string>

namespace gm {

struct FrechetResult {
  double distance = 0;
  double meanTerm = 0;     // |mu1 - mu2|^2
  double trace1 = 0;       // tr S1
  double trace2 = 0;       // tr S2
  double traceSqrt = 0;    // tr((S1^1/2 S2 S1^1/2)^1/2)
  bool epsApplied = false; // pytorch-fid's eps*I offset was needed
  double rawDistance = 0;  // the distance before a round-off negative value was set to 0
  bool clamped = false;    // distance was a round-off negative value, reported as 0
  std::string route;       // "cholesky" or "eigh"
};

// S1, S2: dims x dims symmetric (column-major; symmetric, so row-major works too).
// eps: offset added to both diagonals only when the first attempt is not finite (pytorch-fid).
FrechetResult frechetDistance(int dims, const double* mu1, const double* s1, const double* mu2,
                              const double* s2, double eps, int threads);

// tr((A^1/2 B A^1/2)^1/2) for symmetric positive semi-definite A, B.
double traceSqrtProduct(int dims, const double* a, const double* b, int threads, std::string* route);

}  // namespace gm
