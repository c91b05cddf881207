// A plain-loop, long-double implementation of MODEL.md's diagonal models, written independently of the
// library (two passes over the data, no merging, no matrix products), plus seeded data generators.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace ref {

using ld = long double;

struct Model {
  bool shared = false;
  std::vector<int> classes;
  std::vector<ld> count, prior;
  std::vector<std::vector<ld>> mean, var;  // K x D; var rows equal for shared
  ld epsilon = 0;
};

// X n x D, labels y, weights w (empty = 1). priors empty = estimated.
template <typename MatX>
Model fit(const MatX& X, const Eigen::VectorXi& y, const std::vector<ld>& w, bool shared, ld var_smoothing,
          const std::vector<ld>& priors = {}) {
  const auto n = static_cast<std::size_t>(X.rows()), d = static_cast<std::size_t>(X.cols());
  auto weight = [&](std::size_t i) { return w.empty() ? ld(1) : w[i]; };
  Model m;
  m.shared = shared;
  for (std::size_t i = 0; i < n; ++i) m.classes.push_back(y[static_cast<Eigen::Index>(i)]);
  std::sort(m.classes.begin(), m.classes.end());
  m.classes.erase(std::unique(m.classes.begin(), m.classes.end()), m.classes.end());
  const std::size_t k_count = m.classes.size();
  auto cls = [&](std::size_t i) {
    return static_cast<std::size_t>(
        std::lower_bound(m.classes.begin(), m.classes.end(), y[static_cast<Eigen::Index>(i)]) - m.classes.begin());
  };
  m.count.assign(k_count, 0);
  m.mean.assign(k_count, std::vector<ld>(d, 0));
  for (std::size_t i = 0; i < n; ++i) {
    m.count[cls(i)] += weight(i);
    for (std::size_t j = 0; j < d; ++j) m.mean[cls(i)][j] += weight(i) * ld(X(i, j));
  }
  ld total = 0;
  for (std::size_t k = 0; k < k_count; ++k) {
    total += m.count[k];
    for (std::size_t j = 0; j < d; ++j) m.mean[k][j] = m.count[k] > 0 ? m.mean[k][j] / m.count[k] : 0;
  }
  // epsilon from the weighted variance of each feature over all samples
  std::vector<ld> all_mean(d, 0), all_var(d, 0);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < d; ++j) all_mean[j] += weight(i) * ld(X(i, j)) / total;
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < d; ++j)
      all_var[j] += weight(i) * (ld(X(i, j)) - all_mean[j]) * (ld(X(i, j)) - all_mean[j]) / total;
  m.epsilon = var_smoothing * *std::max_element(all_var.begin(), all_var.end());

  std::vector<std::vector<ld>> ss(k_count, std::vector<ld>(d, 0));
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < d; ++j) {
      const ld dev = ld(X(i, j)) - m.mean[cls(i)][j];
      ss[cls(i)][j] += weight(i) * dev * dev;
    }
  m.var.assign(k_count, std::vector<ld>(d, 0));
  for (std::size_t j = 0; j < d; ++j) {
    ld pooled = 0;
    for (std::size_t k = 0; k < k_count; ++k) pooled += ss[k][j];
    for (std::size_t k = 0; k < k_count; ++k)
      m.var[k][j] = (shared ? pooled / total : (m.count[k] > 0 ? ss[k][j] / m.count[k] : 0)) + m.epsilon;
  }
  m.prior = priors;
  if (m.prior.empty())
    for (std::size_t k = 0; k < k_count; ++k) m.prior.push_back(m.count[k] / total);
  return m;
}

// J_k(x) for one row.
template <typename Row>
std::vector<ld> joint(const Model& m, const Row& x) {
  const ld pi = 3.14159265358979323846264338327950288L;
  std::vector<ld> out;
  for (std::size_t k = 0; k < m.classes.size(); ++k) {
    ld j = std::log(m.prior[k]);
    for (std::size_t f = 0; f < m.mean[k].size(); ++f) {
      const ld dev = ld(x[static_cast<Eigen::Index>(f)]) - m.mean[k][f];
      j -= 0.5L * std::log(2 * pi * m.var[k][f]) + 0.5L * dev * dev / m.var[k][f];
    }
    out.push_back(j);
  }
  return out;
}

// Full covariances (LDA: shared, QDA: per class), maximum likelihood, with LDA's shrinkage towards
// (tr / D) I (a fixed intensity, or < 0 for the Gaussian Ledoit-Wolf estimate) and QDA's blend with I.
struct FullModel {
  bool shared = false;
  std::vector<int> classes;
  std::vector<ld> count, prior;
  std::vector<std::vector<ld>> mean;              // K x D
  std::vector<std::vector<std::vector<ld>>> cov;  // K of D x D (all equal for LDA)
  ld shrinkage = 0;
};

template <typename MatX>
FullModel fit_full(const MatX& X, const Eigen::VectorXi& y, const std::vector<ld>& w, bool shared, ld shrinkage = 0,
                   ld reg_param = 0) {
  // Means, counts and priors as the diagonal reference computes them.
  const Model base = fit(X, y, w, false, 0);
  FullModel m;
  m.shared = shared;
  m.classes = base.classes;
  m.count = base.count;
  m.prior = base.prior;
  m.mean = base.mean;
  const std::size_t k_count = m.classes.size(), d = static_cast<std::size_t>(X.cols());
  auto cls = [&](Eigen::Index i) {
    return static_cast<std::size_t>(std::lower_bound(m.classes.begin(), m.classes.end(), y[i]) - m.classes.begin());
  };
  std::vector<std::vector<std::vector<ld>>> scatter(k_count, std::vector<std::vector<ld>>(d, std::vector<ld>(d, 0)));
  for (Eigen::Index i = 0; i < X.rows(); ++i) {
    const std::size_t k = cls(i);
    const ld wi = w.empty() ? 1 : w[std::size_t(i)];
    for (std::size_t a = 0; a < d; ++a)
      for (std::size_t b = 0; b < d; ++b)
        scatter[k][a][b] +=
            wi * (ld(X(i, Eigen::Index(a))) - m.mean[k][a]) * (ld(X(i, Eigen::Index(b))) - m.mean[k][b]);
  }
  ld total = 0;
  for (ld c : m.count) total += c;
  m.cov.assign(k_count, std::vector<std::vector<ld>>(d, std::vector<ld>(d, 0)));
  if (shared) {
    std::vector<std::vector<ld>> s(d, std::vector<ld>(d, 0));
    for (std::size_t k = 0; k < k_count; ++k)
      for (std::size_t a = 0; a < d; ++a)
        for (std::size_t b = 0; b < d; ++b) s[a][b] += scatter[k][a][b] / total;
    ld tr = 0, tr2 = 0;
    for (std::size_t a = 0; a < d; ++a) {
      tr += s[a][a];
      for (std::size_t b = 0; b < d; ++b) tr2 += s[a][b] * s[a][b];
    }
    if (shrinkage < 0) {  // Chen, Wiesel, Eldar and Hero (2010), Rao-Blackwellised Ledoit-Wolf
      const ld n = total, p = ld(d);
      shrinkage = std::min<ld>(1, ((n - 2) / n * tr2 + tr * tr) / ((n + 2) * (tr2 - tr * tr / p)));
    }
    m.shrinkage = shrinkage;
    for (std::size_t k = 0; k < k_count; ++k)
      for (std::size_t a = 0; a < d; ++a)
        for (std::size_t b = 0; b < d; ++b)
          m.cov[k][a][b] = (1 - shrinkage) * s[a][b] + (a == b ? shrinkage * tr / ld(d) : 0);
  } else {
    for (std::size_t k = 0; k < k_count; ++k)
      for (std::size_t a = 0; a < d; ++a)
        for (std::size_t b = 0; b < d; ++b)
          m.cov[k][a][b] = (1 - reg_param) * scatter[k][a][b] / m.count[k] + (a == b ? reg_param : 0);
  }
  return m;
}

// Lower Cholesky factor by the textbook loops.
inline std::vector<std::vector<ld>> cholesky(const std::vector<std::vector<ld>>& a) {
  const std::size_t d = a.size();
  std::vector<std::vector<ld>> l(d, std::vector<ld>(d, 0));
  for (std::size_t j = 0; j < d; ++j) {
    ld diag = a[j][j];
    for (std::size_t p = 0; p < j; ++p) diag -= l[j][p] * l[j][p];
    l[j][j] = std::sqrt(diag);
    for (std::size_t i = j + 1; i < d; ++i) {
      ld v = a[i][j];
      for (std::size_t p = 0; p < j; ++p) v -= l[i][p] * l[j][p];
      l[i][j] = v / l[j][j];
    }
  }
  return l;
}

template <typename Row>
std::vector<ld> joint(const FullModel& m, const Row& x) {
  const ld pi = 3.14159265358979323846264338327950288L;
  std::vector<ld> out;
  for (std::size_t k = 0; k < m.classes.size(); ++k) {
    const auto l = cholesky(m.cov[k]);
    const std::size_t d = l.size();
    std::vector<ld> z(d);
    ld j = std::log(m.prior[k]) - 0.5L * ld(d) * std::log(2 * pi);
    for (std::size_t a = 0; a < d; ++a) {
      ld v = ld(x[Eigen::Index(a)]) - m.mean[k][a];
      for (std::size_t b = 0; b < a; ++b) v -= l[a][b] * z[b];
      z[a] = v / l[a][a];
      j -= std::log(l[a][a]) + 0.5L * z[a] * z[a];
    }
    out.push_back(j);
  }
  return out;
}

// log P(y = k | x) from joint() of either reference model.
template <typename M, typename Row>
std::vector<ld> log_proba(const M& m, const Row& x) {
  std::vector<ld> j = joint(m, x);
  const ld mx = *std::max_element(j.begin(), j.end());
  ld s = 0;
  for (ld v : j) s += std::exp(v - mx);
  for (ld& v : j) v -= mx + std::log(s);
  return j;
}

// Gaussian blobs: class k has mean offset + spread * k * (1, 2, ..., D) / D and per-feature scale.
struct Blobs {
  Eigen::MatrixXd X;
  Eigen::VectorXi y;
};

inline Blobs blobs(Eigen::Index n, Eigen::Index d, int k_count, std::uint32_t seed, double offset = 0,
                   double separation = 2, const std::vector<int>& labels = {}) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> normal(0, 1);
  std::uniform_int_distribution<int> pick(0, k_count - 1);
  Blobs b{Eigen::MatrixXd(n, d), Eigen::VectorXi(n)};
  for (Eigen::Index i = 0; i < n; ++i) {
    const int k = pick(rng);
    b.y[i] = labels.empty() ? k : labels[static_cast<std::size_t>(k)];
    for (Eigen::Index j = 0; j < d; ++j)
      b.X(i, j) = offset + separation * k * double(j + 1) / double(d) + (0.5 + 0.25 * ((j + k) % 3)) * normal(rng);
  }
  return b;
}

}  // namespace ref
