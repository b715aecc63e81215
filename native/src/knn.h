// k-th nearest-neighbour distances within a set (the radii of the k-NN balls of improved
// precision/recall, Kynkäänniemi et al. 2019, and density/coverage, Naeem et al. 2020).
#pragma once
#include <vector>

#include "pairwise.h"

namespace gm {

// For each k in ks: the distance of every row to its k-th nearest neighbour in the set, not
// counting the row itself, i.e. the (k+1)-th smallest distance with the row's own (zero) distance
// included, as both torch-fidelity (kthvalue(k + 1)) and prdc (argpartition, k + 1) take it.
// Duplicated rows are neighbours at distance 0. Requires k + 1 <= x.n.
std::vector<std::vector<double>> neighbourRadii(const Rows& x, const std::vector<int>& ks, const PairwiseOptions& o);

// Rows::squaredNorms (the same bits), rows in blocks on `threads` threads.
std::vector<double> squaredNormsOn(const Rows& x, int threads);

// neighbourRadii's symmetric pass in parts, for the scale-out service. A part [r0, r1) holds the
// tiles of rows [r0, r1) of x against rows [r0, x.n) (forEachUpperTile): every pair {p, q} with
// r0 <= min(p, q) < r1, computed once for both rows. Row r's partners in the part: rows
// [r0, x.n) (itself included) when r < r1, rows [r0, r1) when r >= r1. Parts [0, b1), [b1, b2),
// ..., [bk, n) cover every pair once, and a pair's distance has the same bits whichever part
// computes it, so merging a row's lists over the parts gives the whole pass's.
//
// Float64: for every row r in [r0, x.n) (row-major, (x.n - r0) x need), the `need` smallest
// squared distances to its partners, ascending (+inf past them); the `need` smallest of a row's
// lists over all parts are neighbourRadii's, bit for bit. Throws for o.precision Float32.
std::vector<double> upperBlockSmallest(const Rows& x, int64_t r0, int64_t r1, int need, const PairwiseOptions& o);

// Float32, first pass: for every row r in [r0, x.n), its L = need + 2 smallest float32-pass
// squared distances among its partners, ascending (ties by row), with their rows (indices into x;
// -1 and +inf past the partners); maxSquared: the largest squared norm of rows [r0, x.n).
struct PartCandidates {
  int L = 0;
  std::vector<double> value;
  std::vector<int64_t> index;
  double maxSquared = 0;
};
PartCandidates upperBlockCandidates(const Rows& x, int64_t r0, int64_t r1, int need, const PairwiseOptions& o);

// Float32, second pass, rows [r0, r0 + count): index/value (count x L, each row ascending by value,
// then index; -1 for none) the L smallest of the row's candidates over all parts (their union
// holds the L smallest float32 values of the row's pairs, as the thread lists of one pass do);
// maxSquared at least every row's squared norm. Returns count x need: the exact `need` smallest
// squared distances of each row to all of x, as neighbourRadii's float32 pass decides them
// (candidates re-checked in float64; rows that cannot be decided again in float64).
std::vector<double> recheckCandidates(const Rows& x, int64_t r0, int64_t count, const int64_t* index, const double* value, int L, int need,
                                      double maxSquared, const PairwiseOptions& o);

// The k nearest rows of b to every row of a (a.n x k, ascending distance, ties by index; fewer
// than k when b has fewer rows: index -1, distance +inf), exact: a float32 pass keeps a few extra
// candidates whose float64 distances decide, rows it cannot decide run again in float64.
struct Neighbours {
  int k = 0;
  std::vector<int64_t> index;
  std::vector<double> distance;
};
Neighbours nearestNeighbours(const Rows& a, const Rows& b, int k, const PairwiseOptions& o);

}  // namespace gm
