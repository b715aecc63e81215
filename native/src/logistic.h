// L2-regularised logistic regression fitted by L-BFGS, as scikit-learn's LogisticRegression
// (lbfgs, C, max_iter 100, tol 1e-4 on the projected gradient): multinomial (softmax) for more
// than two classes, one logistic unit for two; the intercept is not penalised.
#pragma once
#include <cstdint>
#include <vector>

#include "pairwise.h"

namespace gm {

struct LogisticOptions {
  double c = 1.0;
  int maxIter = 100;
  double tol = 1e-4;
  int memory = 10;  // L-BFGS history (scipy's default m = 10)
};

struct LogisticModel {
  int64_t classes = 0, d = 0;
  std::vector<double> w;  // rows x d (rows = classes, or 1 for two classes)
  std::vector<double> b;
  int iterations = 0;
};

LogisticModel fitLogistic(const Rows& x, const int32_t* labels, int64_t classes, const LogisticOptions& o);

// Class probabilities, rows x classes.
std::vector<double> predictProba(const LogisticModel& m, const Rows& x);

}  // namespace gm
