/// \file
/// Hyper-parameters of the estimators, given at construction.
#pragma once

#include <Eigen/Core>
#include <cmath>
#include <string>

#include "errors.hpp"

namespace gda {

/// Hyper-parameters of a gda estimator. The defaults reproduce scikit-learn's GaussianNB.
struct Options {
  /// Diagonal kinds only: fraction of the largest feature variance added to every variance (epsilon):
  /// epsilon = var_smoothing * max_j Var(x_j), weighted, over all samples seen. Finite, >= 0.
  double var_smoothing = 1e-9;

  /// Set shrinkage to this to estimate its intensity from the data (Ledoit-Wolf).
  static constexpr double ledoit_wolf = -1;

  /// LDA (SharedFull) only: the shared covariance becomes (1 - a) Sigma + a (tr Sigma / D) I, a scaled identity
  /// blended in for singular or ill-conditioned data. In [0, 1], or Options::ledoit_wolf for Ledoit-Wolf's
  /// optimal intensity under the Gaussian model (Chen, Wiesel, Eldar and Hero, 2010), a function of the
  /// sufficient statistics, so that it streams and merges exactly. Default 0.
  double shrinkage = 0;

  /// QDA (PerClassFull) only: each class covariance becomes (1 - r) Sigma_k + r I. In [0, 1]; default 0.
  double reg_param = 0;

  /// Fixed class priors in the order of the sorted classes; empty (the default) estimates them as W_k / W.
  /// Entries must be finite, >= 0 and sum to 1 (within 1e-5, as scikit-learn's np.isclose).
  Eigen::VectorXd priors;

  /// Throws InvalidArgument naming the first option out of range.
  void check() const {
    if (!std::isfinite(var_smoothing) || var_smoothing < 0)
      throw InvalidArgument("Options: var_smoothing must be finite and >= 0, got " + std::to_string(var_smoothing));
    if (!(shrinkage == ledoit_wolf || (shrinkage >= 0 && shrinkage <= 1)))
      throw InvalidArgument("Options: shrinkage must be in [0, 1] or Options::ledoit_wolf, got " +
                            std::to_string(shrinkage));
    if (!(reg_param >= 0 && reg_param <= 1))
      throw InvalidArgument("Options: reg_param must be in [0, 1], got " + std::to_string(reg_param));
    if (priors.size() == 0) return;
    double sum = 0;
    for (Eigen::Index k = 0; k < priors.size(); ++k) {
      if (!std::isfinite(priors[k]) || priors[k] < 0)
        throw InvalidArgument("Options: priors[" + std::to_string(k) + "] must be finite and >= 0, got " +
                              std::to_string(priors[k]));
      sum += priors[k];
    }
    if (std::abs(sum - 1.0) > 1e-5 + 1e-8)
      throw InvalidArgument("Options: priors must sum to 1, they sum to " + std::to_string(sum));
  }
};

}  // namespace gda
