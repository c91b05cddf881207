/// \file
/// Parameters of the full-covariance kinds (LDA, QDA), derived from their sufficient statistics, and their
/// scoring through Cholesky factors over blocks of rows.
#pragma once

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <Eigen/Eigenvalues>
#include <cmath>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "../covariance.hpp"
#include "../errors.hpp"
#include "../options.hpp"
#include "../statistics.hpp"
#include "diagnostics.hpp"
#include "diagonal_model.hpp"
#include "kernels.hpp"

GDA_DIAGNOSTICS_PUSH

namespace gda::detail {

/// Ledoit-Wolf shrinkage intensity towards (tr S / p) I for the covariance S of n Gaussian samples: the
/// Rao-Blackwellised form of Chen, Wiesel, Eldar and Hero (2010), which replaces the fourth moments of the
/// classic estimate by their Gaussian values, so it needs S and n only:
///   rho = min(1, ((n - 2) / n tr(S^2) + tr(S)^2) / ((n + 2) (tr(S^2) - tr(S)^2 / p))).
inline double ledoit_wolf_intensity(const Eigen::MatrixXd& S, double n) {
  const double p = static_cast<double>(S.rows());
  const double tr = S.trace(), tr2 = S.squaredNorm();  // tr(S^2) = ||S||_F^2 for symmetric S
  const double den = (n + 2) * (tr2 - tr * tr / p);
  if (!(den > 0)) return 1;  // S is already a scaled identity
  return std::min(1.0, std::max(0.0, ((n - 2) / n * tr2 + tr * tr) / den));
}

/// Fitted parameters of SharedFull (LDA) or PerClassFull (QDA).
///
/// Scores use x' = x - c and mu'_k = mu_k - c with c the overall mean, and Sigma = L L^T (Cholesky; no inverse
/// is ever formed). LDA: the quadratic term and the log-determinant are common to all classes, so the posterior
/// needs one product: S_k(x) = x' . lin_k + b_k with lin_k = Sigma^-1 mu'_k (two triangular solves) and
/// b_k = log alpha_k - 1/2 mu'_k . lin_k; J_k adds -1/2 ||L^-1 x'||^2 - 1/2 log det(2 pi Sigma) when asked for.
/// QDA: J_k(x) = b_k - 1/2 ||L_k^-1 (x' - mu'_k)||^2 with b_k = log alpha_k - 1/2 log det(2 pi Sigma_k): one
/// triangular solve per class over each block of rows.
template <typename Scalar, typename Kind>
struct FullModel {
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
  using Vector = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;
  using RowVector = Eigen::Matrix<Scalar, 1, Eigen::Dynamic>;
  using Covariance = std::conditional_t<Kind::shared, Matrix, std::vector<Matrix>>;
  using Wide = long double;

  Vector priors;
  Matrix means;
  Covariance covariance;  // as used, regularisation included
  Scalar shrinkage = 0;   // LDA: the intensity applied (estimated with Options::ledoit_wolf)

  RowVector centre;
  Matrix centred_means;        // mu'_k, K x D
  std::vector<Matrix> factor;  // L (LDA: one) or L_k (QDA: one per class, empty for a dead class)
  // QDA: U_k = L_k^-1, its rows padded with zeros to a multiple of the scoring kernel's chunk
  std::vector<Matrix> inverse_factor;
  Matrix class_means;  // QDA: mu'_k as columns, D x K
  Matrix lin;          // LDA: Sigma^-1 mu'_k, K x D
  Matrix lin_rest;     // LDA: linear_rest of lin, (K - 1) x D
  RowVector bias;      // b_k; -inf for a class that cannot be predicted
  Scalar common = 0;   // LDA: -1/2 log det(2 pi Sigma)
  Eigen::Array<bool, Eigen::Dynamic, 1> alive;
  std::string problem;

  // LDA's discriminant projection: columns are the directions, most discriminant first.
  Matrix scalings;
  RowVector projection_centre;
  Vector explained_variance_ratio;

  /// Derives every parameter from the statistics (MODEL.md, estimates). Never throws for data reasons: what
  /// makes the model unusable is stated in `problem`.
  static FullModel build(const FullStatistics& st, const Options& opt, const Eigen::VectorXi& classes) {
    FullModel m;
    const Eigen::Index k_count = st.n_classes(), d = st.n_features();
    const double w_all = st.total_weight();
    if (!(w_all > 0)) {
      m.problem = "the sample weights sum to zero";
      return m;
    }
    const Eigen::VectorXd priors = opt.priors.size() ? opt.priors : Eigen::VectorXd(st.weights() / w_all);
    m.priors = priors.cast<Scalar>();
    m.means = st.means().cast<Scalar>();
    m.alive = (st.weights().array() > 0) && (priors.array() > 0);
    if (!m.alive.any()) {
      m.problem = "every class with samples has prior 0";
      return m;
    }
    const FullStatistics all = st.pooled();
    const Eigen::RowVectorXd c = all.means().row(0);
    const Eigen::MatrixXd mu =
        (st.means().rowwise() - c) + (st.mean_residuals().rowwise() - all.mean_residuals().row(0));
    m.centre = c.cast<Scalar>();
    m.centred_means = mu.cast<Scalar>();
    Eigen::RowVectorXd bias = priors.array().log().transpose();

    if constexpr (Kind::shared) {
      // Pooled within-class covariance: sum_k M2_k / W, then shrunk towards (tr Sigma / D) I.
      Eigen::MatrixXd sigma = Eigen::MatrixXd::Zero(d, d);
      for (Eigen::Index k = 0; k < k_count; ++k) sigma += st.second_moment(k);
      sigma /= w_all;
      const double a = opt.shrinkage == Options::ledoit_wolf ? ledoit_wolf_intensity(sigma, w_all) : opt.shrinkage;
      const double target = sigma.trace() / static_cast<double>(d);
      sigma *= 1 - a;
      sigma.diagonal().array() += a * target;
      m.shrinkage = static_cast<Scalar>(a);
      Eigen::LLT<Eigen::MatrixXd> llt;
      if (!factorise(sigma, llt, "the shared covariance",
                     "e.g. more features than samples, or constant or collinear features; set Options::shrinkage "
                     "(for instance to gda::Options::ledoit_wolf)",
                     m.problem))
        return m;
      const Eigen::MatrixXd lin = llt.solve(mu.transpose()).transpose();  // Sigma^-1 mu'_k
      bias -= 0.5 * (lin.array() * mu.array()).rowwise().sum().matrix().transpose();
      m.common = static_cast<Scalar>(-0.5 * (d * log_two_pi + log_det(llt)));
      m.lin = lin.cast<Scalar>();
      m.lin_rest = linear_rest<Scalar>(lin, m.alive);
      m.factor.push_back(llt.matrixL().toDenseMatrix().cast<Scalar>());
      m.covariance = sigma.cast<Scalar>();
      m.project(st, priors, sigma, mu, c);
    } else {
      m.covariance.resize(static_cast<std::size_t>(k_count));
      m.factor.resize(static_cast<std::size_t>(k_count));
      m.inverse_factor.resize(static_cast<std::size_t>(k_count));
      const Eigen::Index chunk = ScoreTile<Scalar>::outputs, padded = (d + chunk - 1) / chunk * chunk;
      for (Eigen::Index k = 0; k < k_count; ++k) {
        if (!m.alive[k]) continue;
        // Sigma_k = M2_k / W_k, blended with the identity: (1 - r) Sigma_k + r I
        Eigen::MatrixXd sigma = st.second_moment(k) / st.weights()[k];
        sigma *= 1 - opt.reg_param;
        sigma.diagonal().array() += opt.reg_param;
        Eigen::LLT<Eigen::MatrixXd> llt;
        if (!factorise(sigma, llt, "the covariance of class " + std::to_string(classes[k]),
                       "e.g. fewer samples than features in the class, or constant or collinear features; set "
                       "Options::reg_param > 0",
                       m.problem))
          return m;
        bias[k] -= 0.5 * (d * log_two_pi + log_det(llt));
        m.factor[static_cast<std::size_t>(k)] = llt.matrixL().toDenseMatrix().cast<Scalar>();
        // Scoring multiplies by L_k^-1 rather than solving with L_k: a triangular solve is a chain of dependent
        // steps, the product is independent multiply-adds that fill the registers. The factor has passed the
        // conditioning check above, so its inverse, computed in double, is as accurate as the solve.
        Matrix& u = m.inverse_factor[static_cast<std::size_t>(k)];
        u.setZero(padded, d);
        u.topRows(d) = llt.matrixL().solve(Eigen::MatrixXd::Identity(d, d)).cast<Scalar>();
        if (!u.allFinite()) {
          m.problem = "the inverse covariance of class " + std::to_string(classes[k]) + " overflows the scalar type";
          return m;
        }
        m.covariance[static_cast<std::size_t>(k)] = sigma.cast<Scalar>();
      }
    }
    finish_classes<Scalar>(m, bias, classes, Kind::shared ? &m.lin : nullptr);
    if constexpr (!Kind::shared) m.class_means = m.centred_means.transpose();
    return m;
  }

  /// Scores rows [r0, r0 + nb) of X into S (nb x K): J_k(x) when `joint`, otherwise J_k(x) up to a term common
  /// to all classes. Xc is scratch.
  template <typename XRef>
  void scores(const XRef& X, Eigen::Index r0, Eigen::Index nb, bool joint, Matrix& Xc, Matrix& S) const {
    const Eigen::Index k_count = centred_means.rows();
    if constexpr (Kind::shared) {
      if (!joint) {
        score_linear(X, r0, nb, centre, lin, lin_rest, bias, alive, Xc, S);
        return;
      }
      Xc.noalias() = X.middleRows(r0, nb).rowwise() - centre;
      S.noalias() = Xc * lin.transpose();
      // -1/2 ||L^-1 x'||^2 per row: one triangular solve for the block
      const Matrix y = factor[0].template triangularView<Eigen::Lower>().solve(Xc.transpose());
      S.colwise() += ((-0.5 * y.colwise().squaredNorm()).array() + common).matrix().transpose();
      S.rowwise() += bias;
    } else {
      // b_k - 1/2 ||L_k^-1 (x' - mu'_k)||^2, a tile of rows at a time for every class while the tile is in L1
      S.resize(nb, k_count);
      with_block(X, r0, nb, Xc, [&](const Scalar* x, Eigen::Index ld, Scalar* pad, Ahead<Scalar>& ahead) {
        for_each_tile<ScoreTile<Scalar>::rows, false>(
            x, ld, nb, X.cols(), pad, ahead,
            [&](const Scalar* xt, Eigen::Index ldt, Eigen::Index i0, int valid, Eigen::Index) {
              Scalar q[ScoreTile<Scalar>::rows];
              for (Eigen::Index k = 0; k < k_count; ++k) {
                if (alive[k]) {
                  const Matrix& u = inverse_factor[static_cast<std::size_t>(k)];
                  whitened_norm_tile(xt, ldt, X.cols(), centre.data(), class_means.col(k).data(), u.data(), u.rows(),
                                     q);
                } else {
                  std::fill(q, q + valid, Scalar(0));
                }
                for (int r = 0; r < valid; ++r) S(i0 + r, k) = bias[k] - Scalar(0.5) * q[r];
              }
            });
      });
    }
  }

  /// The scores of one row in long double, for rows whose fast form overflowed: J_k(x) when `joint` or for QDA,
  /// otherwise LDA's S_k(x), without the term common to all classes. Throws NonFiniteValue for a non-finite row.
  template <typename XRef>
  Eigen::Matrix<Wide, 1, Eigen::Dynamic> scores_wide(const XRef& X, Eigen::Index i, bool joint, const char* fn) const {
    check_row_finite(X, i, fn);
    const Eigen::Index k_count = centred_means.rows(), d = X.cols();
    Eigen::Matrix<Wide, 1, Eigen::Dynamic> s(k_count);
    Eigen::Matrix<Wide, Eigen::Dynamic, 1> xc(d), y(d);
    for (Eigen::Index f = 0; f < d; ++f) xc[f] = Wide(X(i, f)) - Wide(centre[f]);
    for (Eigen::Index k = 0; k < k_count; ++k) {
      if (!alive[k]) {
        s[k] = -std::numeric_limits<Wide>::infinity();
        continue;
      }
      if (Kind::shared && !joint) {
        s[k] = Wide(bias[k]);
        for (Eigen::Index f = 0; f < d; ++f) s[k] += xc[f] * Wide(lin(k, f));
        continue;
      }
      // Forward substitution L y = x' - mu'_k, and the log-determinant from the diagonal of L.
      const Matrix& l = factor[Kind::shared ? 0 : static_cast<std::size_t>(k)];
      Wide logdet = 0;
      for (Eigen::Index a = 0; a < d; ++a) {
        Wide v = xc[a] - Wide(centred_means(k, a));
        for (Eigen::Index b = 0; b < a; ++b) v -= Wide(l(a, b)) * y[b];
        y[a] = v / Wide(l(a, a));
        logdet += 2 * std::log(Wide(l(a, a)));
      }
      s[k] =
          std::log(Wide(priors[k])) - Wide(0.5) * (Wide(d) * Wide(log_two_pi) + logdet) - Wide(0.5) * y.squaredNorm();
    }
    return s;
  }

 private:
  static double log_det(const Eigen::LLT<Eigen::MatrixXd>& llt) {
    return 2 * llt.matrixLLT().diagonal().array().log().sum();
  }

  // Cholesky factor of sigma; false with `problem` set when sigma is singular or too ill-conditioned to
  // factor reliably (reciprocal condition number below D times the double epsilon).
  static bool factorise(const Eigen::MatrixXd& sigma, Eigen::LLT<Eigen::MatrixXd>& llt, const std::string& what,
                        const std::string& hint, std::string& problem) {
    if (!sigma.allFinite()) {
      problem = what + " overflows double";
      return false;
    }
    llt.compute(sigma);
    const double floor = static_cast<double>(sigma.rows()) * std::numeric_limits<double>::epsilon();
    if (llt.info() != Eigen::Success || !(llt.rcond() > floor)) {
      problem = what + " is singular (" + hint + ")";
      return false;
    }
    const Eigen::MatrixXd l = llt.matrixL();
    if (!l.cast<Scalar>().allFinite() || (l.diagonal().cast<Scalar>().array() == Scalar(0)).any()) {
      problem = what + " does not fit the scalar type";
      return false;
    }
    return true;
  }

  // LDA's discriminant directions: the generalised eigenvectors of the between-class scatter
  // Sb = sum_k alpha_k (mu_k - m)(mu_k - m)^T, m = sum_k alpha_k mu_k, against the within-class covariance
  // (Sb v = lambda Sigma v, v^T Sigma v = 1), the min(K - 1, D) largest first.
  void project(const FullStatistics& st, const Eigen::VectorXd& priors, const Eigen::MatrixXd& sigma,
               const Eigen::MatrixXd& mu, const Eigen::RowVectorXd& c) {
    const Eigen::Index k_count = st.n_classes(), d = st.n_features();
    const Eigen::RowVectorXd m_bar = priors.transpose() * mu;  // in the centred frame
    Eigen::MatrixXd sb = Eigen::MatrixXd::Zero(d, d);
    for (Eigen::Index k = 0; k < k_count; ++k) {
      const Eigen::RowVectorXd dev = mu.row(k) - m_bar;
      sb.noalias() += priors[k] * dev.transpose() * dev;
    }
    Eigen::GeneralizedSelfAdjointEigenSolver<Eigen::MatrixXd> ges(sb, sigma);
    const Eigen::Index n_dir = std::min<Eigen::Index>(k_count - 1, d);
    const Eigen::VectorXd lambda = ges.eigenvalues().cwiseMax(0.0);  // ascending
    const double total = lambda.sum();
    Eigen::MatrixXd v(d, n_dir);
    Eigen::VectorXd ratio(n_dir);
    for (Eigen::Index j = 0; j < n_dir; ++j) {
      v.col(j) = ges.eigenvectors().col(d - 1 - j);
      Eigen::Index big;
      v.col(j).cwiseAbs().maxCoeff(&big);
      if (v(big, j) < 0) v.col(j) = -v.col(j);  // a sign fixed by the data, not by the solver
      ratio[j] = total > 0 ? lambda[d - 1 - j] / total : 0;
    }
    scalings = v.cast<Scalar>();
    explained_variance_ratio = ratio.cast<Scalar>();
    projection_centre = (m_bar + c).cast<Scalar>();
  }
};

}  // namespace gda::detail

GDA_DIAGNOSTICS_POP
