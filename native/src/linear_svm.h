// Linear L2-regularised, L2-loss (squared hinge) support vector classification by dual coordinate
// descent (Hsieh et al. 2008, the solver of LIBLINEAR's -s 1 and scikit-learn's LinearSVC), one
// class against the rest, with a bias feature (scikit-learn's intercept_scaling) and shrinking.
#pragma once
#include <cstdint>
#include <vector>

#include "pairwise.h"

namespace gm {

struct LinearSvmOptions {
  double c = 1.0;
  double tol = 1e-4;     // stop when the projected-gradient spread is <= tol
  int maxIter = 1000;    // passes over the data per class
  double bias = 1.0;     // value of the appended bias feature (<= 0: none)
  uint64_t seed = 0;     // shuffling of the coordinate order
  int threads = 0;       // classes in parallel
  // Per-class weights of C (scikit-learn's class_weight), as LIBLINEAR applies them one-vs-rest:
  // the problem of class k weighs its positives by C * weight[k] and its negatives by C (two
  // classes: C * weight[1] and C * weight[0]). Empty: all 1.
  std::vector<double> classWeight;
};

struct LinearSvmModel {
  int64_t classes = 0, d = 0;
  std::vector<double> w;   // classes x d
  std::vector<double> b;   // classes (0 without bias)
  std::vector<int> iterations;  // per class
};

// labels in [0, classes); with 2 classes one binary problem (class 1 positive), w has one row.
LinearSvmModel trainLinearSvm(const Rows& x, const int32_t* labels, int64_t classes, const LinearSvmOptions& o);

// Decision values (rows x model rows) and the predicted class of every row.
std::vector<int32_t> predictLinearSvm(const LinearSvmModel& m, const Rows& x);

}  // namespace gm
