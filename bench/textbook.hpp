// Textbook implementations, as a first C++ version of each model would be written: plain loops over rows,
// one-pass sums of x and x^2, and per-row scoring against every class. The baselines gda's kernels are set beside.
#pragma once

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <cmath>
#include <vector>

namespace bench::textbook {

// Per-class naive Bayes (variances per class; the shared kind differs only in one pooled sum).
struct NaiveBayes {
  Eigen::MatrixXd mean, var;
  Eigen::VectorXd log_prior;
};

template <typename Mat>
NaiveBayes fit_nb(const Mat& X, const Eigen::VectorXi& y, int k_count) {
  const Eigen::Index n = X.rows(), d = X.cols();
  Eigen::MatrixXd s = Eigen::MatrixXd::Zero(k_count, d), ss = Eigen::MatrixXd::Zero(k_count, d);
  Eigen::VectorXd count = Eigen::VectorXd::Zero(k_count);
  for (Eigen::Index i = 0; i < n; ++i) {
    const int k = y[i];
    count[k] += 1;
    for (Eigen::Index j = 0; j < d; ++j) {
      const double x = X(i, j);
      s(k, j) += x;
      ss(k, j) += x * x;
    }
  }
  NaiveBayes m;
  m.mean = s.array().colwise() / count.array();
  m.var = (ss.array().colwise() / count.array() - m.mean.array().square()).max(1e-9);
  m.log_prior = (count / double(n)).array().log();
  return m;
}

template <typename Mat, typename Out>
void predict_proba_nb(const NaiveBayes& m, const Mat& X, Out& out) {
  const Eigen::Index n = X.rows(), d = X.cols(), k_count = m.mean.rows();
  std::vector<double> j(static_cast<std::size_t>(k_count));
  for (Eigen::Index i = 0; i < n; ++i) {
    double best = -1e300;
    for (Eigen::Index k = 0; k < k_count; ++k) {
      double acc = m.log_prior[k];
      for (Eigen::Index f = 0; f < d; ++f) {
        const double dev = X(i, f) - m.mean(k, f);
        acc -= 0.5 * (std::log(2 * M_PI * m.var(k, f)) + dev * dev / m.var(k, f));
      }
      j[std::size_t(k)] = acc;
      best = std::max(best, acc);
    }
    double sum = 0;
    for (Eigen::Index k = 0; k < k_count; ++k) sum += std::exp(j[std::size_t(k)] - best);
    for (Eigen::Index k = 0; k < k_count; ++k) out(i, k) = std::exp(j[std::size_t(k)] - best) / sum;
  }
}

// Full covariances (QDA; LDA is the same with one matrix): class scatter by row outer products, and scoring
// with the explicit inverse.
struct Gaussian {
  Eigen::MatrixXd mean;
  std::vector<Eigen::MatrixXd> inv;
  Eigen::VectorXd bias;
};

template <typename Mat>
Gaussian fit_full(const Mat& X, const Eigen::VectorXi& y, int k_count) {
  const Eigen::Index n = X.rows(), d = X.cols();
  Eigen::MatrixXd s = Eigen::MatrixXd::Zero(k_count, d);
  std::vector<Eigen::MatrixXd> sxx(std::size_t(k_count), Eigen::MatrixXd::Zero(d, d));
  Eigen::VectorXd count = Eigen::VectorXd::Zero(k_count);
  for (Eigen::Index i = 0; i < n; ++i) {
    const int k = y[i];
    count[k] += 1;
    for (Eigen::Index a = 0; a < d; ++a) {
      s(k, a) += X(i, a);
      for (Eigen::Index b = 0; b < d; ++b) sxx[std::size_t(k)](a, b) += X(i, a) * X(i, b);
    }
  }
  Gaussian g;
  g.mean = s.array().colwise() / count.array();
  g.bias.resize(k_count);
  for (int k = 0; k < k_count; ++k) {
    const Eigen::MatrixXd cov = sxx[std::size_t(k)] / count[k] - g.mean.row(k).transpose() * g.mean.row(k);
    g.inv.push_back(cov.inverse());
    g.bias[k] =
        std::log(count[k] / double(n)) - 0.5 * std::log(cov.determinant()) - 0.5 * double(d) * std::log(2 * M_PI);
  }
  return g;
}

template <typename Mat, typename Out>
void predict_proba_full(const Gaussian& g, const Mat& X, Out& out) {
  const Eigen::Index n = X.rows(), d = X.cols(), k_count = g.mean.rows();
  std::vector<double> j(static_cast<std::size_t>(k_count)), dev(static_cast<std::size_t>(d));
  for (Eigen::Index i = 0; i < n; ++i) {
    double best = -1e300;
    for (Eigen::Index k = 0; k < k_count; ++k) {
      for (Eigen::Index a = 0; a < d; ++a) dev[std::size_t(a)] = X(i, a) - g.mean(k, a);
      double q = 0;
      for (Eigen::Index a = 0; a < d; ++a)
        for (Eigen::Index b = 0; b < d; ++b)
          q += dev[std::size_t(a)] * g.inv[std::size_t(k)](a, b) * dev[std::size_t(b)];
      j[std::size_t(k)] = g.bias[k] - 0.5 * q;
      best = std::max(best, j[std::size_t(k)]);
    }
    double sum = 0;
    for (Eigen::Index k = 0; k < k_count; ++k) sum += std::exp(j[std::size_t(k)] - best);
    for (Eigen::Index k = 0; k < k_count; ++k) out(i, k) = std::exp(j[std::size_t(k)] - best) / sum;
  }
}

}  // namespace bench::textbook
