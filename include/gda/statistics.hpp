/// \file
/// Sufficient statistics of the Gaussian class-conditional models, and their exact merge.
#pragma once

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <cmath>
#include <limits>
#include <string>
#include <utility>

#include "detail/diagnostics.hpp"
#include "errors.hpp"

GDA_DIAGNOSTICS_PUSH

namespace gda {

namespace detail {

/// Symmetric up to rounding: every |m_ij - m_ji| within 1e-12 of the largest |m_ij|.
template <typename M>
bool symmetric(const M& m) {
  return ((m - m.transpose()).cwiseAbs().array() <= 1e-12 * m.cwiseAbs().maxCoeff()).all();
}

// mu = mu_A + step with mu kept as hi + lo: an error-free sum (Knuth's TwoSum) puts the rounding error of the
// new hi into lo. P is a double or an Eigen packet of them.
template <typename P>
void two_sum_update(P& hi, P& lo, const P& step) {
  namespace ei = Eigen::internal;
  const P inc = ei::padd(lo, step);
  const P sum = ei::padd(hi, inc);
  const P back = ei::psub(sum, hi);
  lo = ei::padd(ei::psub(hi, ei::psub(sum, back)), ei::psub(inc, back));
  hi = sum;
}

// One feature (P a double) or a packet of features of the Chan-Golub-LeVeque merge of B into A, for the
// diagonal kinds: delta = mu_B - mu_A (each as hi + lo), mu = mu_A + delta f by TwoSum, and
// M2 = M2_A + (M2_B + delta^2 c), with f = W_B / W and c = W_A W_B / W.
template <typename P>
void merge_moments(P& hi, P& lo, P& m2, const P& hi_b, const P& lo_b, const P& m2_b, const P& f, const P& c) {
  namespace ei = Eigen::internal;
  const P delta = ei::padd(ei::psub(hi_b, hi), ei::psub(lo_b, lo));
  two_sum_update(hi, lo, ei::pmul(delta, f));
  m2 = ei::padd(m2, ei::padd(m2_b, ei::pmul(ei::pmul(delta, delta), c)));
}

}  // namespace detail

/// Per-class sufficient statistics (W_k, mu_k, M2_k), in double precision; `Full` selects the second moment:
/// per feature for the diagonal kinds (DiagonalStatistics), the D x D scatter matrix for the full kinds
/// (FullStatistics).
///
/// W_k is the summed sample weight of class k, mu_k its weighted mean (row k of means()) and
/// M2_k = sum_{i in k} w_i (x_i - mu_k)^2 (diagonal: row k of m2(), K x D) or
/// M2_k = sum_{i in k} w_i (x_i - mu_k)(x_i - mu_k)^T (full: scatter(k), columns k D .. k D + D - 1 of the
/// D x KD matrix m2()). Every estimate of the model is a function of these, and two sets merge exactly (Chan,
/// Golub and LeVeque):
///     W = W_A + W_B,  delta = mu_B - mu_A,  mu = mu_A + delta W_B / W,
///     M2 = M2_A + M2_B + delta^2 W_A W_B / W   (full: delta delta^T in place of delta^2).
/// That is what makes partial_fit, merge, threads and several processes give the single fit's answer.
///
/// Example, moving statistics through one's own transport:
/// \code
///   const auto& s = model.statistics();   // send s.weights(), s.means(), s.m2(), s.mean_residuals()
///   gda::DiagonalStatistics r(weights, means, m2, residuals);            // received; validated here
///   auto shard = gda::GaussianNB<>::from_statistics(classes, r);
///   total.merge(shard);
/// \endcode
template <bool Full>
class SufficientStatistics {
 public:
  /// True for the scatter matrices of the full kinds.
  static constexpr bool full = Full;

  /// Empty statistics (every class with weight 0) for n_classes classes and n_features features.
  SufficientStatistics(Eigen::Index n_classes, Eigen::Index n_features)
      : weight_(Eigen::VectorXd::Zero(n_classes)),
        mean_(Eigen::MatrixXd::Zero(n_classes, n_features)),
        mean_lo_(Eigen::MatrixXd::Zero(n_classes, n_features)),
        m2_(Eigen::MatrixXd::Zero(m2_rows(n_classes, n_features), m2_cols(n_classes, n_features))) {}

  /// Statistics from their parts (K weights, K x D means, the second moments as m2() lays them out, and
  /// optionally the K x D mean_residuals(); empty means zero), as received from another process. Throws
  /// InvalidArgument on mismatched shapes, negative or non-finite weights, non-finite means or residuals,
  /// non-finite or negative variances, asymmetric scatter matrices, or a class of weight 0 with non-zero parts.
  SufficientStatistics(Eigen::VectorXd weights, Eigen::MatrixXd means, Eigen::MatrixXd m2,
                       Eigen::MatrixXd mean_residuals = Eigen::MatrixXd())
      : weight_(std::move(weights)), mean_(std::move(means)), mean_lo_(std::move(mean_residuals)), m2_(std::move(m2)) {
    const auto k = weight_.size(), d = mean_.cols();
    const char* who = Full ? "FullStatistics" : "DiagonalStatistics";
    if (mean_lo_.size() == 0) mean_lo_.setZero(mean_.rows(), mean_.cols());
    if (mean_.rows() != k || m2_.rows() != m2_rows(k, d) || m2_.cols() != m2_cols(k, d) || mean_lo_.rows() != k ||
        mean_lo_.cols() != d)
      throw InvalidArgument(std::string(who) + ": weights has " + std::to_string(k) + " entries, means is " +
                            shape(mean_) + ", m2 is " + shape(m2_) + " and mean_residuals is " + shape(mean_lo_) +
                            "; expected K, K x D, " + (Full ? "D x KD" : "K x D") + " and K x D (or empty)");
    for (Eigen::Index c = 0; c < k; ++c) {
      const std::string row = "[" + std::to_string(c) + "]";
      if (!std::isfinite(weight_[c]) || weight_[c] < 0)
        throw InvalidArgument(std::string(who) + ": weights" + row + " must be finite and >= 0, got " +
                              std::to_string(weight_[c]));
      if (!mean_.row(c).allFinite() || !mean_lo_.row(c).allFinite())
        throw InvalidArgument(std::string(who) + ": means or mean_residuals row " + row + " is not finite");
      // A residual is the rounding error of its mean: at most half an ulp of it (0 for a mean of 0).
      if (!(mean_lo_.row(c).array().abs() <= mean_.row(c).array().abs() * std::numeric_limits<double>::epsilon()).all())
        throw InvalidArgument(std::string(who) + ": mean_residuals row " + row +
                              " is not the rounding residual of its mean (larger than an ulp of it)");
      const Eigen::MatrixXd m = second_moment(c);
      if (!m.allFinite() || (m.diagonal().array() < 0).any())
        throw InvalidArgument(std::string(who) + ": the second moment of class " + row +
                              " must be finite with a non-negative diagonal");
      if (Full && !detail::symmetric(m))
        throw InvalidArgument(std::string(who) + ": the scatter matrix of class " + row + " is not symmetric");
      if (Full && !positive_semidefinite(m))
        throw InvalidArgument(std::string(who) + ": the scatter matrix of class " + row +
                              " is not positive semi-definite, as a sum of outer products is");
      if (weight_[c] == 0 && (mean_.row(c).any() || mean_lo_.row(c).any() || m.any()))
        throw InvalidArgument(std::string(who) + ": class " + row + " has weight 0 but a non-zero mean or m2");
    }
  }

  /// Number of classes K.
  Eigen::Index n_classes() const { return weight_.size(); }
  /// Number of features D.
  Eigen::Index n_features() const { return mean_.cols(); }
  /// W_k, the summed sample weight of each class (length K).
  const Eigen::VectorXd& weights() const { return weight_; }
  /// mu_k, the weighted mean of each class (K x D), correctly rounded; zero for a class of weight 0.
  const Eigen::MatrixXd& means() const { return mean_; }
  /// The rounding residual of each mean: means() + mean_residuals() is mu_k to about twice double precision.
  /// Merges use it, so that a long stream of small batches does not let the means drift by an ulp per batch
  /// (at features near 1e9 an ulp is 1.2e-7). Send it with the other parts for a bit-exact transport.
  const Eigen::MatrixXd& mean_residuals() const { return mean_lo_; }
  /// The centred second moments: K x D (diagonal) or the K scatter matrices side by side, D x KD (full).
  const Eigen::MatrixXd& m2() const { return m2_; }
  /// The second moment of class k as a matrix: 1 x D (diagonal) or D x D (full).
  auto second_moment(Eigen::Index k) const {
    if constexpr (Full)
      return m2_.middleCols(k * n_features(), n_features());
    else
      return m2_.row(k);
  }
  /// W, the summed weight of all classes.
  double total_weight() const { return weight_.sum(); }

  /// Merges class k of another set, (w, mean + mean_lo, m2), into class k: the Chan-Golub-LeVeque update.
  /// m2 is 1 x D (diagonal) or D x D (full). No checks: the kernels call it with data they validated.
  template <typename MeanVec, typename LoVec, typename M2>
  void add(Eigen::Index k, double w, const MeanVec& mean, const LoVec& mean_lo, const M2& m2) {
    const double wa = weight_[k];
    if (w <= 0) return;
    if (wa <= 0) {
      weight_[k] = w;
      mean_.row(k) = mean;
      mean_lo_.row(k) = mean_lo;
      moment(k) = m2;
      return;
    }
    const double wt = wa + w, f = w / wt, c = wa * w / wt;
    if constexpr (Full) {
      // delta = mu_B - mu_A, both as hi + lo; the difference of the his is exact when they are close
      const Eigen::RowVectorXd delta = (mean - mean_.row(k)) + (mean_lo - mean_lo_.row(k));
      update_mean(k, delta, f);
      // M2 = M2_A + M2_B + delta delta^T W_A W_B / W
      moment(k) += m2 + (delta.transpose() * delta) * c;
    } else {
      // Feature by feature, without temporaries (the class's row is strided).
      for (Eigen::Index j = 0; j < n_features(); ++j)
        detail::merge_moments(mean_(k, j), mean_lo_(k, j), m2_(k, j), double(mean(j)), double(mean_lo(j)),
                              double(m2(j)), f, c);
    }
    weight_[k] = wt;
  }

  /// add() for a mean given as one double.
  template <typename MeanVec, typename M2>
  void add(Eigen::Index k, double w, const MeanVec& mean, const M2& m2) {
    add(k, w, mean, Eigen::RowVectorXd::Zero(n_features()), m2);
  }

  /// Merges another set of the same shape into this one, class by class. Throws InvalidArgument if shapes differ.
  void merge(const SufficientStatistics& other) {
    if (other.n_classes() != n_classes() || other.n_features() != n_features())
      throw InvalidArgument("merge: the other statistics have " + std::to_string(other.n_classes()) + " classes and " +
                            std::to_string(other.n_features()) + " features, these have " +
                            std::to_string(n_classes()) + " and " + std::to_string(n_features()));
    for (Eigen::Index k = 0; k < n_classes(); ++k)
      add(k, other.weight_[k], other.mean_.row(k), other.mean_lo_.row(k), other.second_moment(k));
  }

  /// The statistics of all samples pooled, labels ignored: a single class holding W, the overall mean and
  /// the overall centred second moment.
  SufficientStatistics pooled() const {
    SufficientStatistics all(1, n_features());
    for (Eigen::Index k = 0; k < n_classes(); ++k)
      all.add(0, weight_[k], mean_.row(k), mean_lo_.row(k), second_moment(k));
    return all;
  }

  /// Exchanges contents with another set; never throws.
  void swap(SufficientStatistics& other) noexcept {
    weight_.swap(other.weight_);
    mean_.swap(other.mean_);
    mean_lo_.swap(other.mean_lo_);
    m2_.swap(other.m2_);
  }

 private:
  static Eigen::Index m2_rows(Eigen::Index k, Eigen::Index d) { return Full ? d : k; }
  static Eigen::Index m2_cols(Eigen::Index k, Eigen::Index d) { return Full ? k * d : d; }
  // Pivoted LDL^T: a sum of outer products has D >= 0 up to rounding, a matrix with a negative eigenvalue
  // beyond rounding does not.
  template <typename M>
  static bool positive_semidefinite(const M& m) {
    if (m.rows() == 0) return true;
    const Eigen::LDLT<Eigen::MatrixXd> ldlt(m);
    const double scale = m.diagonal().maxCoeff();
    const double tol = 1e2 * static_cast<double>(m.rows()) * std::numeric_limits<double>::epsilon() * scale;
    return ldlt.info() == Eigen::Success && ldlt.vectorD().minCoeff() >= -tol;
  }

  static std::string shape(const Eigen::MatrixXd& m) {
    return std::to_string(m.rows()) + " x " + std::to_string(m.cols());
  }

  // mu = mu_A + delta W_B / W, as hi + lo.
  void update_mean(Eigen::Index k, const Eigen::RowVectorXd& delta, double f) {
    for (Eigen::Index j = 0; j < n_features(); ++j) detail::two_sum_update(mean_(k, j), mean_lo_(k, j), delta[j] * f);
  }

  auto moment(Eigen::Index k) {
    if constexpr (Full)
      return m2_.middleCols(k * n_features(), n_features());
    else
      return m2_.row(k);
  }

  Eigen::VectorXd weight_;
  Eigen::MatrixXd mean_;
  Eigen::MatrixXd mean_lo_;
  Eigen::MatrixXd m2_;
};

/// Statistics of the diagonal kinds: M2 per class and feature (K x D).
using DiagonalStatistics = SufficientStatistics<false>;
/// Statistics of the full kinds: one D x D scatter matrix per class.
using FullStatistics = SufficientStatistics<true>;

}  // namespace gda

GDA_DIAGNOSTICS_POP
