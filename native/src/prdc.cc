#include "prdc.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

namespace gm {

BallCounts countBalls(const Rows& real, const Rows& fake, const std::vector<BallSet>& sets, const PairwiseOptions& o) {
  const size_t S = sets.size();
  const int64_t nf = fake.n, nr = real.n;
  struct Acc {
    std::vector<std::vector<uint32_t>> fakeInReal, realInFake;
    std::vector<double> nearest;
    std::vector<double> column;  // distances of one real to the tile's fakes
  };
  std::vector<std::unique_ptr<Acc>> accs(static_cast<size_t>(tileWorkers(o)));
  // Rows of a tile are fakes, columns reals.
  forEachTile(fake, real, false, o, [&](const Tile& t, int w) {
    auto& a = accs[w];
    if (!a) {
      a = std::make_unique<Acc>();
      a->fakeInReal.assign(S, std::vector<uint32_t>(static_cast<size_t>(nf), 0));
      a->realInFake.assign(S, std::vector<uint32_t>(static_cast<size_t>(nr), 0));
      a->nearest.assign(static_cast<size_t>(nr), std::numeric_limits<double>::infinity());
      a->column.resize(static_cast<size_t>(o.tile));
    }
    double* dist = a->column.data();
    for (int64_t j = 0; j < t.cols; ++j) {
      const int64_t r = t.j0 + j;
      double nearest = a->nearest[r];
      for (int64_t i = 0; i < t.rows; ++i) {
        dist[i] = std::sqrt(t.squaredDistance(i, j));
        nearest = std::min(nearest, dist[i]);
      }
      a->nearest[r] = nearest;
      for (size_t s = 0; s < S; ++s) {
        const BallSet& b = sets[s];
        const double rr = b.realRadii[r];
        const double* rf = b.fakeRadii + t.i0;
        uint32_t* fir = a->fakeInReal[s].data() + t.i0;
        uint32_t hits = 0;
        if (b.strict) {
          for (int64_t i = 0; i < t.rows; ++i) {
            fir[i] += dist[i] < rr;
            hits += dist[i] < rf[i];
          }
        } else {
          for (int64_t i = 0; i < t.rows; ++i) {
            fir[i] += dist[i] <= rr;
            hits += dist[i] <= rf[i];
          }
        }
        a->realInFake[s][r] += hits;
      }
    }
  });
  BallCounts out;
  out.fakeInReal.assign(S, std::vector<uint32_t>(static_cast<size_t>(nf), 0));
  out.realInFake.assign(S, std::vector<uint32_t>(static_cast<size_t>(nr), 0));
  out.nearestFake.assign(static_cast<size_t>(nr), std::numeric_limits<double>::infinity());
  for (const auto& a : accs) {
    if (!a) continue;
    for (size_t s = 0; s < S; ++s) {
      for (int64_t i = 0; i < nf; ++i) out.fakeInReal[s][i] += a->fakeInReal[s][i];
      for (int64_t r = 0; r < nr; ++r) out.realInFake[s][r] += a->realInFake[s][r];
    }
    for (int64_t r = 0; r < nr; ++r) out.nearestFake[r] = std::min(out.nearestFake[r], a->nearest[r]);
  }
  return out;
}

}  // namespace gm
