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
///   auto s = model.statistics();                       // send s.weights(), s.means(), s.m2()
///   gda::DiagonalStatistics r(weights, means, m2);     // on the receiving side; validates
///   other.merge_statistics(r);
/// \endcode
class DiagonalStatistics {
 public:
  /// Empty statistics (every class with weight 0) for n_classes classes and n_features features.
  DiagonalStatistics(Eigen::Index n_classes, Eigen::Index n_features)
      : weight_(Eigen::VectorXd::Zero(n_classes)),
        mean_(Eigen::MatrixXd::Zero(n_classes, n_features)),
        m2_(Eigen::MatrixXd::Zero(n_classes, n_features)) {}

  /// Statistics from their parts (K weights, K x D means, K x D centred second moments), as received from
  /// another process. Throws InvalidArgument on mismatched shapes, negative or non-finite weights, non-finite
  /// means, negative or non-finite moments, or a class of weight 0 with a non-zero mean or moment.
  DiagonalStatistics(Eigen::VectorXd weights, Eigen::MatrixXd means, Eigen::MatrixXd m2)
      : weight_(std::move(weights)), mean_(std::move(means)), m2_(std::move(m2)) {
    const auto k = weight_.size();
    if (mean_.rows() != k || m2_.rows() != k || m2_.cols() != mean_.cols())
      throw InvalidArgument("DiagonalStatistics: weights has " + std::to_string(k) + " entries, means is " +
                            shape(mean_) + " and m2 is " + shape(m2_) + "; expected K, K x D and K x D");
    for (Eigen::Index c = 0; c < k; ++c) {
      const std::string row = "[" + std::to_string(c) + "]";
      if (!std::isfinite(weight_[c]) || weight_[c] < 0)
        throw InvalidArgument("DiagonalStatistics: weights" + row + " must be finite and >= 0, got " +
                              std::to_string(weight_[c]));
      if (!mean_.row(c).allFinite()) throw InvalidArgument("DiagonalStatistics: means row " + row + " is not finite");
      if (!m2_.row(c).allFinite() || (m2_.row(c).array() < 0).any())
        throw InvalidArgument("DiagonalStatistics: m2 row " + row + " must be finite and >= 0");
      if (weight_[c] == 0 && (mean_.row(c).any() || m2_.row(c).any()))
        throw InvalidArgument("DiagonalStatistics: class " + row + " has weight 0 but a non-zero mean or m2");
    }
  }

  /// Number of classes K.
  Eigen::Index n_classes() const { return weight_.size(); }
  /// Number of features D.
  Eigen::Index n_features() const { return mean_.cols(); }
  /// W_k, the summed sample weight of each class (length K).
  const Eigen::VectorXd& weights() const { return weight_; }
  /// mu_k, the weighted mean of each class (K x D); zero for a class of weight 0.
  const Eigen::MatrixXd& means() const { return mean_; }
  /// M2_k, the weighted centred sum of squares of each class and feature (K x D).
  const Eigen::MatrixXd& m2() const { return m2_; }
  /// W, the summed weight of all classes.
  double total_weight() const { return weight_.sum(); }

  /// Merges class k of another set, (w, mean, m2), into class k: the Chan-Golub-LeVeque update.
  /// No checks: the kernels call it with data they validated.
  template <typename MeanVec, typename M2Vec>
  void add(Eigen::Index k, double w, const MeanVec& mean, const M2Vec& m2) {
    const double wa = weight_[k];
    if (w <= 0) return;
    if (wa <= 0) {
      weight_[k] = w;
      mean_.row(k) = mean;
      m2_.row(k) = m2;
      return;
    }
    const double wt = wa + w;
    // delta = mu_B - mu_A;  mu = mu_A + delta W_B / W;  M2 = M2_A + M2_B + delta^2 W_A W_B / W
    const Eigen::RowVectorXd delta = mean - mean_.row(k);
    mean_.row(k) += delta * (w / wt);
    m2_.row(k) += m2 + delta.cwiseAbs2() * (wa * w / wt);
    weight_[k] = wt;
  }

  /// Merges another set of the same shape into this one, class by class. Throws InvalidArgument if shapes differ.
  void merge(const DiagonalStatistics& other) {
    if (other.n_classes() != n_classes() || other.n_features() != n_features())
      throw InvalidArgument("DiagonalStatistics::merge: other has " + std::to_string(other.n_classes()) +
                            " classes and " + std::to_string(other.n_features()) + " features, this has " +
                            std::to_string(n_classes()) + " and " + std::to_string(n_features()));
    for (Eigen::Index k = 0; k < n_classes(); ++k) add(k, other.weight_[k], other.mean_.row(k), other.m2_.row(k));
  }

  /// The statistics of all samples pooled, labels ignored: a single class holding W, the overall mean and
  /// the overall centred second moment of each feature.
  DiagonalStatistics pooled() const {
    DiagonalStatistics all(1, n_features());
    for (Eigen::Index k = 0; k < n_classes(); ++k) all.add(0, weight_[k], mean_.row(k), m2_.row(k));
    return all;
  }

  /// Exchanges contents with another set; never throws.
  void swap(DiagonalStatistics& other) noexcept {
    weight_.swap(other.weight_);
    mean_.swap(other.mean_);
    m2_.swap(other.m2_);
  }

 private:
  static std::string shape(const Eigen::MatrixXd& m) {
    return std::to_string(m.rows()) + " x " + std::to_string(m.cols());
  }

  Eigen::VectorXd weight_;
  Eigen::MatrixXd mean_;
  Eigen::MatrixXd m2_;
};

}  // namespace gda
