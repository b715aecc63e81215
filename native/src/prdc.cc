#include "prdc.h"

#include <algorithm>
#include <cmath>
#include <memory>

#include "gemm.h"

namespace gm {
namespace {

// A radius as the float32 pass tests it: squared distances below lo are surely inside (whatever
// the rounding of the square root and of the comparison), above hi surely outside.
void bands(const double* radii, int64_t n, std::vector<double>& lo, std::vector<double>& hi) {
  for (int64_t i = 0; i < n; ++i) {
    const double r2 = radii[i] * radii[i];
    lo.push_back(r2 * (1 - 1e-14));
    hi.push_back(r2 * (1 + 1e-14));
  }
}

// One real against the fakes of a tile, from the float32 squared distances v and their error bounds
// M: adds the sure memberships (fakes surely inside the real's ball, to fir and covered; the real
// surely inside fake balls, to hits) and tells whether some pair lies within a band. Written so
// that the compiler vectorises it: the common case of the float32 pass.
bool sureCounts(int64_t rows, const double* __restrict v, const double* __restrict M, double rlo, double rhi,
                const double* __restrict flo, const double* __restrict fhi, uint32_t* __restrict fir, uint32_t& covered,
                uint32_t& hits) {
  uint32_t c = 0, h = 0, unsure = 0;
  for (int64_t i = 0; i < rows; ++i) {
    const double lo = v[i] - M[i], hi = v[i] + M[i];
    const uint32_t inR = hi < rlo, outR = lo > rhi, inF = hi < flo[i], outF = lo > fhi[i];
    fir[i] += inR;
    c += inR;
    h += inF;
    unsure |= (inR | outR | (inF | outF) << 1) ^ 3u;
  }
  covered += c;
  hits += h;
  return unsure != 0;
}

}  // namespace

BallCounts countBalls(const Rows& real, const Rows& fake, const std::vector<BallSet>& sets, const PairwiseOptions& o) {
  const size_t S = sets.size();
  const int64_t nf = fake.n, nr = real.n;
  const bool f32 = o.precision == Precision::Float32;
  struct Acc {
    std::vector<std::vector<uint32_t>> fakeInReal, realInFake, realCovered;
    std::vector<double> dist;    // the distances of one real to the tile's fakes
    std::vector<double> margin;  // float32: the error bounds of their squares
    int64_t rechecked = 0;
  };
  // The squared norms (for the tiles too); in float32 the squared-distance bands of every radius
  // and the norms of the error bound (squaredDistanceMargin).
  const std::vector<double> realSq = o.norms ? std::vector<double>(o.norms, o.norms + nr) : real.squaredNorms();
  const std::vector<double> fakeSq = o.otherNorms ? std::vector<double>(o.otherNorms, o.otherNorms + nf) : fake.squaredNorms();
  std::vector<std::vector<double>> realLo(S), realHi(S), fakeLo(S), fakeHi(S);
  std::vector<double> realNorm, fakeNorm;
  const double e = float32DotError(real.d);
  if (f32) {
    for (size_t s = 0; s < S; ++s) {
      bands(sets[s].realRadii, nr, realLo[s], realHi[s]);
      bands(sets[s].fakeRadii, nf, fakeLo[s], fakeHi[s]);
    }
    for (double v : realSq) realNorm.push_back(std::sqrt(v));
    for (double v : fakeSq) fakeNorm.push_back(std::sqrt(v));
  }
  std::vector<std::unique_ptr<Acc>> accs(static_cast<size_t>(tileWorkers(o)));
  // Rows of a tile are fakes, columns reals.
  forEachTile(fake, real, false, o, [&](const Tile& t, int w) {
    auto& a = accs[w];
    if (!a) {
      a = std::make_unique<Acc>();
      a->fakeInReal.assign(S, std::vector<uint32_t>(static_cast<size_t>(nf), 0));
      a->realInFake.assign(S, std::vector<uint32_t>(static_cast<size_t>(nr), 0));
      a->realCovered.assign(S, std::vector<uint32_t>(static_cast<size_t>(nr), 0));
      a->dist.resize(static_cast<size_t>(o.tile));
      a->margin.resize(static_cast<size_t>(o.tile));
    }
    double* dist = a->dist.data();
    for (int64_t j = 0; j < t.cols; ++j) {
      const int64_t r = t.j0 + j;
      if (!f32) {
        for (int64_t i = 0; i < t.rows; ++i) dist[i] = std::sqrt(t.squaredDistance(i, j));
        for (size_t s = 0; s < S; ++s) {
          const BallSet& b = sets[s];
          const double rr = b.realRadii[r];
          const double* rf = b.fakeRadii + t.i0;
          uint32_t* fir = a->fakeInReal[s].data() + t.i0;
          uint32_t hits = 0, covered = 0;
          for (int64_t i = 0; i < t.rows; ++i) {
            const bool inReal = b.strict ? dist[i] < rr : dist[i] <= rr;
            fir[i] += inReal;
            covered += inReal;
            hits += b.strict ? dist[i] < rf[i] : dist[i] <= rf[i];
          }
          a->realInFake[s][r] += hits;
          a->realCovered[s][r] += covered;
        }
        continue;
      }
      // Float32: the sure decisions from the squared distances, vectorised; the pairs within the
      // band of a radius (rare) are decided again from their float64 distance.
      double* v = dist;
      double* M = a->margin.data();
      const double nrm = realNorm[r], rsq = realSq[r];
      for (int64_t i = 0; i < t.rows; ++i) {
        v[i] = t.squaredDistance(i, j);
        M[i] = squaredDistanceMargin(e, nrm, fakeNorm[t.i0 + i], rsq, fakeSq[t.i0 + i]);
      }
      for (size_t s = 0; s < S; ++s) {
        const BallSet& b = sets[s];
        const double rlo = realLo[s][r], rhi = realHi[s][r];
        const double* flo = fakeLo[s].data() + t.i0;
        const double* fhi = fakeHi[s].data() + t.i0;
        uint32_t* fir = a->fakeInReal[s].data() + t.i0;
        uint32_t covered = 0, hits = 0;
        if (sureCounts(t.rows, v, M, rlo, rhi, flo, fhi, fir, covered, hits)) {
          for (int64_t i = 0; i < t.rows; ++i) {
            const double lo = v[i] - M[i], hi = v[i] + M[i];
            const bool sureR = hi < rlo || lo > rhi, sureF = hi < flo[i] || lo > fhi[i];
            if (sureR && sureF) continue;
            const int64_t f = t.i0 + i;
            const double exact = std::sqrt(squaredDistance(fakeSq[f], rsq, gemmRowsDot(fake, f, real, r)));
            ++a->rechecked;
            if (!sureR && (b.strict ? exact < b.realRadii[r] : exact <= b.realRadii[r])) {
              ++fir[i];
              ++covered;
            }
            if (!sureF && (b.strict ? exact < b.fakeRadii[f] : exact <= b.fakeRadii[f])) ++hits;
          }
        }
        a->realInFake[s][r] += hits;
        a->realCovered[s][r] += covered;
      }
    }
  }, fakeSq.data(), realSq.data());
  BallCounts out;
  out.fakeInReal.assign(S, std::vector<uint32_t>(static_cast<size_t>(nf), 0));
  out.realInFake.assign(S, std::vector<uint32_t>(static_cast<size_t>(nr), 0));
  out.realCovered.assign(S, std::vector<uint32_t>(static_cast<size_t>(nr), 0));
  for (const auto& a : accs) {
    if (!a) continue;
    for (size_t s = 0; s < S; ++s) {
      for (int64_t i = 0; i < nf; ++i) out.fakeInReal[s][i] += a->fakeInReal[s][i];
      for (int64_t r = 0; r < nr; ++r) {
        out.realInFake[s][r] += a->realInFake[s][r];
        out.realCovered[s][r] += a->realCovered[s][r];
      }
    }
    out.rechecked += a->rechecked;
  }
  return out;
}

Realism realismScores(const Rows& real, const Rows& fake, const double* radii, bool squared, double eps, const PairwiseOptions& o) {
  struct Acc {
    std::vector<double> score;
    std::vector<uint8_t> inside;
  };
  std::vector<std::unique_ptr<Acc>> accs(static_cast<size_t>(tileWorkers(o)));
  // Rows of a tile are fakes, columns reals.
  forEachTile(fake, real, false, o, [&](const Tile& t, int w) {
    auto& a = accs[w];
    if (!a) {
      a = std::make_unique<Acc>();
      a->score.assign(static_cast<size_t>(fake.n), 0.0);
      a->inside.assign(static_cast<size_t>(fake.n), 0);
    }
    for (int64_t j = 0; j < t.cols; ++j) {
      const double r = radii[t.j0 + j];
      if (std::isnan(r)) continue;
      double* score = a->score.data() + t.i0;
      uint8_t* inside = a->inside.data() + t.i0;
      for (int64_t i = 0; i < t.rows; ++i) {
        const double d2 = t.squaredDistance(i, j);
        const double d = squared ? d2 : std::sqrt(d2);
        score[i] = std::max(score[i], r / (d + eps));
        inside[i] |= d <= r;
      }
    }
  });
  Realism out;
  out.score.assign(static_cast<size_t>(fake.n), 0.0);
  out.inside.assign(static_cast<size_t>(fake.n), 0);
  for (const auto& a : accs) {
    if (!a) continue;
    for (int64_t i = 0; i < fake.n; ++i) {
      out.score[i] = std::max(out.score[i], a->score[i]);
      out.inside[i] |= a->inside[i];
    }
  }
  return out;
}

}  // namespace gm
