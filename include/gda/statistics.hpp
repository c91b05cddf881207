/// \file
/// Sufficient statistics of the Gaussian class-conditional models, and their exact merge.
#pragma once

#include <Eigen/Core>
#include <cmath>
#include <string>
#include <utility>

#include "errors.hpp"

namespace gda {

/// Per-class sufficient statistics (W_k, mu_k, M2_k) of the diagonal covariance kinds, in double precision.
///
/// W_k is the summed sample weight of class k, mu_k its weighted mean (row k of means()) and
/// M2_k = sum_{i in k} w_i (x_i - mu_k)^2 its centred second moment, per feature (row k of m2()).
/// Every estimate of the model is a function of these, and two sets merge exactly (Chan, Golub and LeVeque):
///     W = W_A + W_B,  delta = mu_B - mu_A,  mu = mu_A + delta W_B / W,  M2 = M2_A + M2_B + delta^2 W_A W_B / W.
/// That is what makes partial_fit, merge, threads and several processes give the single fit's answer.
///
/// Example, moving statistics through one's own transport:
/// \code
///   const auto& s = model.statistics();   // send s.weights(), s.means(), s.m2(), s.mean_residuals()
///   gda::DiagonalStatistics r(weights, means, m2, residuals);            // received; validated here
///   auto shard = gda::GaussianNB<>::from_statistics(classes, r);
///   total.merge(shard);
/// \endcode
class DiagonalStatistics {
 public:
  /// Empty statistics (every class with weight 0) for n_classes classes and n_features features.
  DiagonalStatistics(Eigen::Index n_classes, Eigen::Index n_features)
      : weight_(Eigen::VectorXd::Zero(n_classes)),
        mean_(Eigen::MatrixXd::Zero(n_classes, n_features)),
        mean_lo_(Eigen::MatrixXd::Zero(n_classes, n_features)),
        m2_(Eigen::MatrixXd::Zero(n_classes, n_features)) {}

  /// Statistics from their parts (K weights, K x D means, K x D centred second moments, and optionally the
  /// K x D mean_residuals(); empty means zero), as received from another process. Throws InvalidArgument on
  /// mismatched shapes, negative or non-finite weights, non-finite means or residuals, negative or non-finite
  /// moments, or a class of weight 0 with a non-zero mean or moment.
  DiagonalStatistics(Eigen::VectorXd weights, Eigen::MatrixXd means, Eigen::MatrixXd m2,
                     Eigen::MatrixXd mean_residuals = Eigen::MatrixXd())
      : weight_(std::move(weights)), mean_(std::move(means)), mean_lo_(std::move(mean_residuals)), m2_(std::move(m2)) {
    const auto k = weight_.size();
    if (mean_lo_.size() == 0) mean_lo_.setZero(mean_.rows(), mean_.cols());
    if (mean_.rows() != k || m2_.rows() != k || m2_.cols() != mean_.cols() || mean_lo_.rows() != k ||
        mean_lo_.cols() != mean_.cols())
      throw InvalidArgument("DiagonalStatistics: weights has " + std::to_string(k) + " entries, means is " +
                            shape(mean_) + ", m2 is " + shape(m2_) + " and mean_residuals is " + shape(mean_lo_) +
                            "; expected K, K x D, K x D and K x D (or empty)");
    for (Eigen::Index c = 0; c < k; ++c) {
      const std::string row = "[" + std::to_string(c) + "]";
      if (!std::isfinite(weight_[c]) || weight_[c] < 0)
        throw InvalidArgument("DiagonalStatistics: weights" + row + " must be finite and >= 0, got " +
                              std::to_string(weight_[c]));
      if (!mean_.row(c).allFinite() || !mean_lo_.row(c).allFinite())
        throw InvalidArgument("DiagonalStatistics: means or mean_residuals row " + row + " is not finite");
      if (!m2_.row(c).allFinite() || (m2_.row(c).array() < 0).any())
        throw InvalidArgument("DiagonalStatistics: m2 row " + row + " must be finite and >= 0");
      if (weight_[c] == 0 && (mean_.row(c).any() || mean_lo_.row(c).any() || m2_.row(c).any()))
        throw InvalidArgument("DiagonalStatistics: class " + row + " has weight 0 but a non-zero mean or m2");
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
  /// M2_k, the weighted centred sum of squares of each class and feature (K x D).
  const Eigen::MatrixXd& m2() const { return m2_; }
  /// W, the summed weight of all classes.
  double total_weight() const { return weight_.sum(); }

  /// Merges class k of another set, (w, mean + mean_lo, m2), into class k: the Chan-Golub-LeVeque update.
  /// No checks: the kernels call it with data they validated.
  template <typename MeanVec, typename LoVec, typename M2Vec>
  void add(Eigen::Index k, double w, const MeanVec& mean, const LoVec& mean_lo, const M2Vec& m2) {
    const double wa = weight_[k];
    if (w <= 0) return;
    if (wa <= 0) {
      weight_[k] = w;
      mean_.row(k) = mean;
      mean_lo_.row(k) = mean_lo;
      m2_.row(k) = m2;
      return;
    }
    const double wt = wa + w;
    // delta = mu_B - mu_A, both as hi + lo; the difference of the his is exact when they are close
    const Eigen::ArrayXXd delta = (mean - mean_.row(k)).array() + (mean_lo - mean_lo_.row(k)).array();
    // mu = mu_A + delta W_B / W, kept as hi + lo through an error-free sum (Knuth's TwoSum)
    const Eigen::ArrayXXd inc = mean_lo_.row(k).array() + delta * (w / wt);
    const Eigen::ArrayXXd hi = mean_.row(k).array() + inc;
    const Eigen::ArrayXXd back = hi - mean_.row(k).array();
    mean_lo_.row(k) = ((mean_.row(k).array() - (hi - back)) + (inc - back)).matrix();
    mean_.row(k) = hi.matrix();
    // M2 = M2_A + M2_B + delta^2 W_A W_B / W
    m2_.row(k) += (m2.array() + delta.square() * (wa * w / wt)).matrix();
    weight_[k] = wt;
  }

  /// add() for a mean given as one double.
  template <typename MeanVec, typename M2Vec>
  void add(Eigen::Index k, double w, const MeanVec& mean, const M2Vec& m2) {
    add(k, w, mean, Eigen::RowVectorXd::Zero(n_features()), m2);
  }

  /// Merges another set of the same shape into this one, class by class. Throws InvalidArgument if shapes differ.
  void merge(const DiagonalStatistics& other) {
    if (other.n_classes() != n_classes() || other.n_features() != n_features())
      throw InvalidArgument("DiagonalStatistics::merge: other has " + std::to_string(other.n_classes()) +
                            " classes and " + std::to_string(other.n_features()) + " features, this has " +
                            std::to_string(n_classes()) + " and " + std::to_string(n_features()));
    for (Eigen::Index k = 0; k < n_classes(); ++k)
      add(k, other.weight_[k], other.mean_.row(k), other.mean_lo_.row(k), other.m2_.row(k));
  }

  /// The statistics of all samples pooled, labels ignored: a single class holding W, the overall mean and
  /// the overall centred second moment of each feature.
  DiagonalStatistics pooled() const {
    DiagonalStatistics all(1, n_features());
    for (Eigen::Index k = 0; k < n_classes(); ++k) all.add(0, weight_[k], mean_.row(k), mean_lo_.row(k), m2_.row(k));
    return all;
  }

  /// Exchanges contents with another set; never throws.
  void swap(DiagonalStatistics& other) noexcept {
    weight_.swap(other.weight_);
    mean_.swap(other.mean_);
    mean_lo_.swap(other.mean_lo_);
    m2_.swap(other.m2_);
  }

 private:
  static std::string shape(const Eigen::MatrixXd& m) {
    return std::to_string(m.rows()) + " x " + std::to_string(m.cols());
  }

  Eigen::VectorXd weight_;
  Eigen::MatrixXd mean_;
  Eigen::MatrixXd mean_lo_;
  Eigen::MatrixXd m2_;
};

}  // namespace gda
