/// \file
/// Parameters of the diagonal kinds, derived from their sufficient statistics, and their scoring as
/// matrix products over blocks of rows.
#pragma once

#include <Eigen/Core>
#include <cmath>
#include <limits>
#include <string>

#include "../covariance.hpp"
#include "../errors.hpp"
#include "../options.hpp"
#include "../statistics.hpp"
#include "diagnostics.hpp"
#include "kernels.hpp"

GDA_DIAGNOSTICS_PUSH

namespace gda::detail {

inline constexpr double log_two_pi = 1.8378770664093454835606594728112;

/// The last step of either model's build: a class that cannot be predicted scores -inf, its terms zeroed so
/// that 0 * inf never makes a NaN; then the terms of the others are checked to fit the scalar type. `terms`:
/// the K x D matrix the model scores through besides its centred means (lin, or the per-class scaled means), if
/// any.
template <typename Scalar, typename Model>
void finish_classes(Model& m, Eigen::RowVectorXd& bias, const Eigen::VectorXi& classes, typename Model::Matrix* terms) {
  for (Eigen::Index k = 0; k < bias.size(); ++k) {
    if (m.alive[k]) continue;
    bias[k] = -std::numeric_limits<double>::infinity();
    m.centred_means.row(k).setZero();
    if (terms) terms->row(k).setZero();
  }
  m.bias = bias.cast<Scalar>();
  // Means of double statistics may lie beyond float's range; means() must hold them, alive or not.
  for (Eigen::Index k = 0; k < bias.size(); ++k)
    if (!m.means.row(k).allFinite() ||
        (m.alive[k] &&
         (!m.centred_means.row(k).allFinite() || !std::isfinite(m.bias[k]) || (terms && !terms->row(k).allFinite())))) {
      m.problem = "the parameters of class " + std::to_string(classes[k]) + " overflow the scalar type";
      return;
    }
}

/// Fitted parameters of SharedDiagonal or PerClassDiagonal, and the terms that make scoring fast and exact.
///
/// Scores are computed on x' = x - c and mu'_k = mu_k - c, with c the overall mean, so features far from zero
/// lose no digits. Shared variances: the x'^2 term and the log-determinant are common to every class, so the
/// posterior needs only one product (MODEL.md, "Why prediction is a matrix product"):
///   S_k(x) = x' . lin_k + b_k,  lin_k = mu'_k / sigma^2,  b_k = log alpha_k - 1/2 sum_j mu'_kj^2 / sigma_j^2,
/// and J_k(x) = S_k(x) - 1/2 sum_j x'_j^2 / sigma_j^2 - 1/2 sum_j log(2 pi sigma_j^2) when J itself is asked for.
/// Posteriors take S_k(x) - x' . lin_0 instead, one product fewer (linear_rest).
/// Per-class variances: S_k(x) = J_k(x) = b_k - sum_j (h_kj x'_j - h_kj mu'_kj)^2, h_kj = 1 / (sqrt(2) sigma_kj),
/// b_k = log alpha_k - 1/2 sum_j log(2 pi sigma_kj^2). The residual form, one pass over the cached block per class,
/// replaces the expanded two-product form: expanding the square cancels catastrophically for a tight class far
/// from c (a feature constant within a class has variance epsilon), which in float loses every digit. Scaling
/// both terms of the residual by h_kj costs no more digits than the residual itself: x' and mu'_kj are each
/// rounded relative to their own size, so the difference is uncertain by about as much either way.
template <typename Scalar, typename Kind>
struct DiagonalModel {
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
  using Vector = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;
  using RowVector = Eigen::Matrix<Scalar, 1, Eigen::Dynamic>;
  using Variances = std::conditional_t<Kind::shared, Vector, Matrix>;
  using Wide = long double;

  Vector priors;
  Matrix means;
  Variances variances;
  Scalar epsilon = 0;

  RowVector centre;                             // c
  Matrix centred_means;                         // mu'_k, K x D
  Matrix lin;                                   // shared only: mu'_k / sigma^2, K x D
  Matrix lin_rest;                              // shared only: linear_rest of lin, (K - 1) x D
  Matrix neg_half_precision;                    // shared only: -1/2 / sigma^2, 1 x D
  Matrix root_half_precision;                   // per class only: h_k = 1 / (sqrt(2) sigma_k), K x D
  Matrix neg_scaled_means;                      // per class only: -h_k mu'_k, K x D
  RowVector bias;                               // b_k; -inf for a class that cannot be predicted
  Scalar common = 0;                            // shared: -1/2 sum_j log(2 pi sigma_j^2)
  Eigen::Array<bool, Eigen::Dynamic, 1> alive;  // W_k > 0 and alpha_k > 0
  std::string problem;                          // why this model cannot score, if it cannot

  /// Derives every parameter from the statistics (MODEL.md, estimates and smoothing). Never throws for data
  /// reasons: what makes the model unusable is stated in `problem`.
  static DiagonalModel build(const DiagonalStatistics& st, const Options& opt, const Eigen::VectorXi& classes) {
    DiagonalModel m;
    const Eigen::Index k_count = st.n_classes(), d = st.n_features();
    const double w_all = st.total_weight();
    if (!(w_all > 0)) {
      m.problem = "the sample weights sum to zero";
      return m;
    }
    const DiagonalStatistics all = st.pooled();
    const Eigen::RowVectorXd var_all = all.m2().row(0) / w_all;
    const double max_var = var_all.maxCoeff();
    if (!(max_var > 0)) {
      m.problem =
          "every feature of X is constant over all samples seen, so there is no spread to estimate "
          "variances from";
      return m;
    }
    // Without smoothing epsilon is 0 even when the overall spread overflows (0 * inf would be NaN).
    const double eps = opt.var_smoothing == 0 ? 0.0 : opt.var_smoothing * max_var;
    m.epsilon = static_cast<Scalar>(eps);
    const Eigen::VectorXd priors = opt.priors.size() ? opt.priors : Eigen::VectorXd(st.weights() / w_all);
    m.priors = priors.cast<Scalar>();
    m.means = st.means().cast<Scalar>();
    m.alive = (st.weights().array() > 0) && (priors.array() > 0);
    if (!m.alive.any()) {
      m.problem = "every class with samples has prior 0";
      return m;
    }

    // Variances in double, then checked where the model will use them: in Scalar.
    Eigen::MatrixXd var(Kind::shared ? 1 : k_count, d);
    if constexpr (Kind::shared) {
      var.row(0) = st.m2().colwise().sum() / w_all;  // pooled within-class: sum_k M2_k / W
    } else {
      for (Eigen::Index k = 0; k < k_count; ++k)
        var.row(k) =
            st.weights()[k] > 0 ? Eigen::RowVectorXd(st.m2().row(k) / st.weights()[k]) : Eigen::RowVectorXd::Zero(d);
    }
    var.array() += eps;
    for (Eigen::Index r = 0; r < var.rows(); ++r) {
      if (!Kind::shared && !m.alive[r]) continue;
      for (Eigen::Index j = 0; j < d; ++j) {
        const Scalar v = static_cast<Scalar>(var(r, j));
        if (std::isfinite(v) && v >= std::numeric_limits<Scalar>::min()) continue;
        const std::string where =
            "feature " + std::to_string(j) + (Kind::shared ? std::string() : " of class " + std::to_string(classes[r]));
        m.problem = std::isfinite(v)
                        ? "the variance of " + where + " is zero (or below the scalar's range); set var_smoothing > 0"
                        : "the variance of " + where + " overflows the scalar type";
        return m;
      }
    }
    if constexpr (Kind::shared)
      m.variances = var.row(0).transpose().cast<Scalar>();
    else
      m.variances = var.cast<Scalar>();

    // Scoring terms, computed in double from the centred means mu'_k = mu_k - c.
    const Eigen::RowVectorXd c = all.means().row(0);
    const Eigen::MatrixXd mu =
        (st.means().rowwise() - c) + (st.mean_residuals().rowwise() - all.mean_residuals().row(0));
    const Eigen::ArrayXXd inv = var.array().inverse();
    Eigen::RowVectorXd bias = priors.array().log().transpose();
    if constexpr (Kind::shared) {
      const Eigen::MatrixXd lin = (mu.array().rowwise() * inv.row(0)).matrix();  // mu'_k / sigma^2
      bias -= 0.5 * (lin.array() * mu.array()).rowwise().sum().matrix().transpose();
      m.lin = lin.cast<Scalar>();
      m.lin_rest = linear_rest<Scalar>(lin, m.alive);
      m.common = static_cast<Scalar>(-0.5 * (d * log_two_pi + var.array().log().sum()));
    } else {
      bias -= 0.5 * (d * log_two_pi + var.array().log().rowwise().sum()).matrix().transpose();
    }
    m.centre = c.cast<Scalar>();
    m.centred_means = mu.cast<Scalar>();
    if constexpr (Kind::shared) {
      m.neg_half_precision = (-0.5 * inv).matrix().cast<Scalar>();
    } else {
      const Eigen::ArrayXXd root = (0.5 * inv).sqrt();
      m.root_half_precision = root.matrix().cast<Scalar>();
      m.neg_scaled_means = (-root * mu.array()).matrix().cast<Scalar>();
      for (Eigen::Index k = 0; k < k_count; ++k)
        if (!m.alive[k]) m.root_half_precision.row(k).setZero();
    }
    finish_classes<Scalar>(m, bias, classes, Kind::shared ? &m.lin : &m.neg_scaled_means);
    return m;
  }

  /// The scores of one row in long double, straight from the parameters: the fallback for rows whose fast
  /// form overflowed. J_k(x) when `joint`; otherwise, with shared variances, J_k(x) less the x'^2 term common
  /// to all classes, which at such magnitudes would swamp the class differences. Throws NonFiniteValue if the
  /// row itself is not finite.
  template <typename XRef>
  Eigen::Matrix<Wide, 1, Eigen::Dynamic> scores_wide(const XRef& X, Eigen::Index i, bool joint, const char* fn) const {
    check_row_finite(X, i, fn);
    const Eigen::Index k_count = means.rows();
    const Wide pi = 3.14159265358979323846264338327950288L;
    Eigen::Matrix<Wide, 1, Eigen::Dynamic> s(k_count);
    for (Eigen::Index k = 0; k < k_count; ++k) {
      if (!alive[k]) {
        s[k] = -std::numeric_limits<Wide>::infinity();
        continue;
      }
      Wide acc = std::log(static_cast<Wide>(priors[k]));
      for (Eigen::Index f = 0; f < X.cols(); ++f) {
        const Wide v = Kind::shared ? Wide(variances(f)) : Wide(variances(k, f));
        const Wide xc = Wide(X(i, f)) - Wide(centre[f]), mu = Wide(centred_means(k, f));
        if (Kind::shared && !joint)
          acc += (xc - Wide(0.5) * mu) * mu / v;  // -1/2 (x' - mu')^2 / v + 1/2 x'^2 / v
        else
          acc -= Wide(0.5) * (std::log(2 * pi * v) + (xc - mu) * (xc - mu) / v);
      }
      s[k] = acc;
    }
    return s;
  }

  /// Scores rows [r0, r0 + nb) of X into S (nb x K): J_k(x) when `joint`, otherwise J_k(x) up to a term common
  /// to all classes. Xc is scratch. Rows that overflowed are left for the caller to redo through scores_wide.
  template <typename XRef>
  void scores(const XRef& X, Eigen::Index r0, Eigen::Index nb, bool joint, Matrix& Xc, Matrix& S) const {
    const Eigen::Index k_count = centred_means.rows();
    if constexpr (Kind::shared) {
      if (joint) {
        Xc.noalias() = X.middleRows(r0, nb).rowwise() - centre;
        S.noalias() = Xc * lin.transpose();
        const Vector quad = Xc.cwiseAbs2() * neg_half_precision.row(0).transpose();
        S.colwise() += (quad.array() + common).matrix();
        S.rowwise() += bias;
      } else {
        score_linear(X, r0, nb, centre, lin, lin_rest, bias, alive, Xc, S);
      }
    } else {
      score_rows<Form::residual>(X, r0, nb, centre.data(), neg_scaled_means.data(), root_half_precision.data(),
                                 bias.data(), k_count, Xc, S);
    }
  }
};

}  // namespace gda::detail

GDA_DIAGNOSTICS_POP
