// The sufficient statistics: the merge formula against a direct two-pass computation, their validation, and
// the one-pass block-centred reduction at offsets where the textbook sum-of-squares formula fails.
#include <random>

#include "common.hpp"

using test::ld;

namespace {

// Two-pass weighted mean and M2 of class k, in long double.
void direct(const Eigen::MatrixXd& X, const Eigen::VectorXi& y, int k, Eigen::Index j, ld& w, ld& mean, ld& m2) {
  w = 0;
  ld s = 0;
  for (Eigen::Index i = 0; i < X.rows(); ++i)
    if (y[i] == k) {
      w += 1;
      s += X(i, j);
    }
  mean = s / w;
  m2 = 0;
  for (Eigen::Index i = 0; i < X.rows(); ++i)
    if (y[i] == k) m2 += (X(i, j) - mean) * (X(i, j) - mean);
}

}  // namespace

TEST_CASE("merging two sets equals the statistics of their union") {
  const auto data = ref::blobs(400, 3, 2, 3, 10.0);
  gda::GaussianNB<> a, b, all;
  a.fit(data.X.topRows(150), data.y.head(150));
  b.fit(data.X.bottomRows(250), data.y.tail(250));
  all.fit(data.X, data.y);
  gda::DiagonalStatistics merged = a.statistics();
  merged.merge(b.statistics());
  for (int k = 0; k < 2; ++k)
    for (Eigen::Index j = 0; j < 3; ++j) {
      CAPTURE(k);
      CAPTURE(j);
      ld w, mean, m2;
      direct(data.X, data.y, k, j, w, mean, m2);
      CHECK(merged.weights()[k] == double(w));
      CHECK_CLOSE(merged.means()(k, j), mean, 1e-14);
      CHECK_CLOSE(merged.m2()(k, j), m2, 1e-13);
      CHECK_CLOSE(all.statistics().m2()(k, j), m2, 1e-13);
    }
  // Pooled over classes: the overall mean and M2 of each feature.
  const gda::DiagonalStatistics pooled = merged.pooled();
  for (Eigen::Index j = 0; j < 3; ++j) {
    ld s = 0, m2 = 0;
    for (Eigen::Index i = 0; i < 400; ++i) s += data.X(i, j);
    const ld mean = s / 400;
    for (Eigen::Index i = 0; i < 400; ++i) m2 += (data.X(i, j) - mean) * (data.X(i, j) - mean);
    CHECK_CLOSE(pooled.means()(0, j), mean, 1e-14);
    CHECK_CLOSE(pooled.m2()(0, j), m2, 1e-13);
  }
}

TEST_CASE("hand-computed merge of two one-row sets") {
  // {1} and {3}: W = 2, mean 2, M2 = 0 + 0 + (3 - 1)^2 * 1 * 1 / 2 = 2.
  gda::DiagonalStatistics s(1, 1);
  s.add(0, 1.0, Eigen::RowVectorXd::Constant(1, 1.0), Eigen::RowVectorXd::Zero(1));
  s.add(0, 1.0, Eigen::RowVectorXd::Constant(1, 3.0), Eigen::RowVectorXd::Zero(1));
  CHECK(s.weights()[0] == 2);
  CHECK(s.means()(0, 0) == 2);
  CHECK(s.m2()(0, 0) == 2);
}

TEST_CASE("statistics from parts are validated") {
  const Eigen::VectorXd w = Eigen::Vector2d(2, 0);
  const Eigen::MatrixXd mean = Eigen::MatrixXd::Zero(2, 3);
  const Eigen::MatrixXd m2 = Eigen::MatrixXd::Ones(2, 3);
  CHECK_THROWS_AS(gda::DiagonalStatistics(w, Eigen::MatrixXd::Zero(3, 3), m2), gda::InvalidArgument);
  CHECK_THROWS_AS(gda::DiagonalStatistics(Eigen::Vector2d(-1, 1), mean, m2), gda::InvalidArgument);
  CHECK_THROWS_AS(gda::DiagonalStatistics(Eigen::Vector2d(1, 1), mean, -m2), gda::InvalidArgument);
  // m2 of class 1 is non-zero while its weight is 0.
  CHECK_THROWS_AS(gda::DiagonalStatistics(w, mean, m2), gda::InvalidArgument);
  Eigen::MatrixXd ok = m2;
  ok.row(1).setZero();
  const gda::DiagonalStatistics s(w, mean, ok);
  CHECK(s.n_classes() == 2);
  CHECK(s.n_features() == 3);
  gda::DiagonalStatistics other(3, 3);
  CHECK_THROWS_AS(other.merge(s), gda::InvalidArgument);
}

TEST_CASE_TEMPLATE("features around 1e9 with unit spread keep their variance", Layout, Eigen::MatrixXd,
                   Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>) {
  // One class, 20000 rows, x = 1e9 + N(0, 1): the true M2 is known to the last digit from a two-pass sum.
  std::mt19937 rng(17);
  std::normal_distribution<double> normal(0, 1);
  Layout X(20000, 2);
  for (Eigen::Index i = 0; i < X.rows(); ++i) {
    X(i, 0) = 1e9 + normal(rng);
    X(i, 1) = -3e9 + 0.5 * normal(rng);
  }
  const Eigen::VectorXi y = Eigen::VectorXi::Zero(X.rows());
  gda::Options o;
  o.var_smoothing = 0;
  gda::GaussianNB<> m(o);
  m.fit(X, y);
  for (Eigen::Index j = 0; j < 2; ++j) {
    ld s = 0;
    for (Eigen::Index i = 0; i < X.rows(); ++i) s += X(i, j);
    const ld mean = s / X.rows();
    ld m2 = 0;
    for (Eigen::Index i = 0; i < X.rows(); ++i) m2 += (X(i, j) - mean) * (X(i, j) - mean);
    const ld var = m2 / X.rows();
    CAPTURE(j);
    CHECK_CLOSE(m.variances()(0, j), var, 1e-6);
    // The mean is correctly rounded: blocks of rows merge their means as hi + lo, so no merge leaves an ulp
    // (1.2e-7 here) behind. The exact mean, from deviations that are exact in double (x lies within a factor
    // of 2 of the offset).
    const double offset = j == 0 ? 1e9 : -3e9;
    ld dev = 0;
    for (Eigen::Index i = 0; i < X.rows(); ++i) dev += X(i, j) - offset;
    CHECK(m.statistics().means()(0, j) == double(offset + dev / X.rows()));
    // The textbook one-pass formula in double, for contrast: it is off by far more than the tolerance.
    double sx = 0, sxx = 0;
    for (Eigen::Index i = 0; i < X.rows(); ++i) {
      sx += X(i, j);
      sxx += X(i, j) * X(i, j);
    }
    const double textbook = (sxx - sx * sx / double(X.rows())) / double(X.rows());
    CHECK_FALSE(test::close(textbook, var, 1e-6));
  }
}

TEST_CASE_TEMPLATE("the full kinds keep scatter matrices of features around 1e9 over many blocks", Est, gda::LDA<>,
                   gda::QDA<>) {
  // Two interleaved classes, 20000 rows of two correlated features at 1e9 and -3e9 with unit spread, weighted: five
  // blocks of rows, each merged into the class's running scatter. Reference: two passes in long double.
  std::mt19937 rng(23);
  std::normal_distribution<double> normal(0, 1);
  std::uniform_real_distribution<double> weight(0.5, 2);
  const Eigen::Index n = 20000;
  Eigen::MatrixXd X(n, 2);
  Eigen::VectorXi y(n);
  Eigen::VectorXd w(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    y[i] = int(i % 2);
    const double a = normal(rng), b = normal(rng);
    X(i, 0) = 1e9 + 2.0 * y[i] + a;
    X(i, 1) = -3e9 + 0.5 * b + 0.3 * a;
    w[i] = weight(rng);
  }
  Est m;
  m.fit(X, y, w);
  const gda::FullStatistics& st = m.statistics();
  for (int k = 0; k < 2; ++k) {
    ld wk = 0, s[2] = {0, 0};
    for (Eigen::Index i = 0; i < n; ++i)
      if (y[i] == k) {
        wk += w[i];
        for (int j = 0; j < 2; ++j) s[j] += w[i] * X(i, j);
      }
    const ld mean[2] = {s[0] / wk, s[1] / wk};
    ld m2[2][2] = {{0, 0}, {0, 0}};
    for (Eigen::Index i = 0; i < n; ++i)
      if (y[i] == k)
        for (int a = 0; a < 2; ++a)
          for (int b = 0; b < 2; ++b) m2[a][b] += w[i] * (X(i, a) - mean[a]) * (X(i, b) - mean[b]);
    CAPTURE(k);
    CHECK_CLOSE(st.weights()[k], wk, 1e-13);
    for (int a = 0; a < 2; ++a) {
      CHECK_CLOSE(st.means()(k, a), mean[a], 1e-15);
      for (int b = 0; b < 2; ++b) {
        CAPTURE(a);
        CAPTURE(b);
        // Relative to the diagonal, as the off-diagonal sum may be small.
        const ld scale = std::sqrt(m2[a][a] * m2[b][b]);
        CHECK(std::fabs(st.second_moment(k)(a, b) - m2[a][b]) <= 1e-9L * scale);
      }
    }
  }
}
