// Helpers shared by the test files: the estimator list of the contract suite and tolerance checks.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <gda/gda.hpp>
#include <limits>
#include <type_traits>
#include <vector>

#include "reference.hpp"

namespace test {

using ld = long double;

// Relative-plus-absolute tolerance of each scalar: a double result agrees with the long double reference to
// about 1e-10 of its magnitude; a float one to float precision times the condition of the sums involved.
template <typename Scalar>
constexpr double tolerance() {
  return std::is_same_v<Scalar, float> ? 2e-4 : 1e-10;
}

inline bool close(ld got, ld want, double tol) { return std::fabs(got - want) <= tol * (1 + std::fabs(want)); }

#define CHECK_CLOSE(got, want, tol)                                                  \
  do {                                                                               \
    const auto got_ = (got);                                                         \
    const auto want_ = (want);                                                       \
    INFO("got " << double(got_) << ", want " << double(want_) << ", tol " << (tol)); \
    CHECK(test::close(got_, want_, (tol)));                                          \
  } while (0)

template <typename Scalar>
Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic> as(const Eigen::MatrixXd& X) {
  return X.cast<Scalar>();
}

// Checks predict_joint_log_proba of `m` on `probe` against the reference model `r` (diagonal or full), within tol.
template <typename Est, typename Ref>
void check_joint(const Est& m, const Ref& r, const Eigen::MatrixXd& probe, double tol) {
  const auto joint = m.predict_joint_log_proba(as<typename Est::Scalar>(probe));
  REQUIRE(joint.cols() == static_cast<Eigen::Index>(r.classes.size()));
  for (Eigen::Index i = 0; i < probe.rows(); ++i) {
    CAPTURE(i);
    const auto rj = ref::joint(r, probe.row(i));
    for (Eigen::Index k = 0; k < joint.cols(); ++k) {
      CAPTURE(k);
      CHECK_CLOSE(joint(i, k), rj[std::size_t(k)], tol);
    }
  }
}

// Checks predict_log_proba, predict_proba and predict of `m` on `probe` against the reference model `r` (diagonal
// or full): within tol, and exactly -inf and 0 for a class the reference gives probability 0 (a prior of 0). A
// float model may legitimately break a near-tie the other way, so its predictions are checked where the
// reference's best class is clear.
template <typename Est, typename Ref>
void check_posteriors(const Est& m, const Ref& r, const Eigen::MatrixXd& probe, double tol) {
  using Scalar = typename Est::Scalar;
  const auto X = as<Scalar>(probe);
  const auto logp = m.predict_log_proba(X);
  const auto p = m.predict_proba(X);
  const Eigen::VectorXi pred = m.predict(X);
  REQUIRE(logp.cols() == static_cast<Eigen::Index>(r.classes.size()));
  for (Eigen::Index i = 0; i < probe.rows(); ++i) {
    CAPTURE(i);
    const auto rl = ref::log_proba(r, probe.row(i));
    for (Eigen::Index k = 0; k < logp.cols(); ++k) {
      CAPTURE(k);
      const ld want = rl[std::size_t(k)];
      if (want == -std::numeric_limits<ld>::infinity()) {
        CHECK(logp(i, k) == -std::numeric_limits<Scalar>::infinity());
        CHECK(p(i, k) == 0);
      } else {
        CHECK_CLOSE(logp(i, k), want, tol);
        CHECK_CLOSE(p(i, k), std::exp(want), tol);
      }
    }
    const auto best = std::max_element(rl.begin(), rl.end()) - rl.begin();
    if (std::is_same_v<Scalar, double> || rl[std::size_t(best)] > std::log(0.5L) + 1e-3L)
      CHECK(pred[i] == r.classes[std::size_t(best)]);
  }
}

// Variance of class k, feature j, whatever the kind: variances() or the diagonal of covariance().
template <typename Est>
double variance(const Est& m, Eigen::Index k, Eigen::Index j) {
  if constexpr (Est::Kind::full && Est::Kind::shared)
    return double(m.covariance()(j, j));
  else if constexpr (Est::Kind::full)
    return double(m.covariance()[std::size_t(k)](j, j));
  else if constexpr (Est::Kind::shared)
    return double(m.variances()[j]);
  else
    return double(m.variances()(k, j));
}

// All variances of a fitted model, K x D, for comparisons.
template <typename Est>
Eigen::MatrixXd variances(const Est& m) {
  Eigen::MatrixXd v(m.classes().size(), m.n_features());
  for (Eigen::Index k = 0; k < v.rows(); ++k)
    for (Eigen::Index j = 0; j < v.cols(); ++j) v(k, j) = variance(m, k, j);
  return v;
}

// Features correlated by a fixed mixing, so that full covariances differ from diagonal ones.
inline Eigen::MatrixXd correlate(const Eigen::MatrixXd& X) {
  const Eigen::Index d = X.cols();
  Eigen::MatrixXd mix = Eigen::MatrixXd::Identity(d, d);
  for (Eigen::Index j = 0; j + 1 < d; ++j) mix(j, j + 1) = 0.6;
  return X * mix;
}

// Everything observable of a fitted model, to check that a throwing call changed nothing.
template <typename Est>
struct Snapshot {
  Eigen::VectorXi classes;
  Eigen::VectorXd count;
  Eigen::MatrixXd means, proba, variances;
  Eigen::VectorXd priors;

  Snapshot(const Est& m, const Eigen::MatrixXd& probe)
      : classes(m.classes()),
        count(m.class_count()),
        means(m.means().template cast<double>()),
        proba(m.predict_proba(probe.cast<typename Est::Scalar>()).template cast<double>()),
        variances(test::variances(m)),
        priors(m.priors().template cast<double>()) {}

  bool operator==(const Snapshot& o) const {
    return classes == o.classes && count == o.count && means == o.means && proba == o.proba && priors == o.priors &&
           variances == o.variances;
  }
};

}  // namespace test

// The contract suite runs over every estimator kind and scalar.
#define GDA_DIAGONAL_ESTIMATORS                                                                              \
  gda::GaussianClassifier<float, gda::SharedDiagonal>, gda::GaussianClassifier<double, gda::SharedDiagonal>, \
      gda::GaussianClassifier<float, gda::PerClassDiagonal>, gda::GaussianClassifier<double, gda::PerClassDiagonal>
#define GDA_FULL_ESTIMATORS                                                                          \
  gda::GaussianClassifier<float, gda::SharedFull>, gda::GaussianClassifier<double, gda::SharedFull>, \
      gda::GaussianClassifier<float, gda::PerClassFull>, gda::GaussianClassifier<double, gda::PerClassFull>
#define GDA_ESTIMATORS GDA_DIAGONAL_ESTIMATORS, GDA_FULL_ESTIMATORS
