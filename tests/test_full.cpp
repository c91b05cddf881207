// LDA and QDA: estimates and posteriors against hand calculation and the long-double reference, shrinkage and
// regularisation, singular covariances, and the discriminant projection.
#include <Eigen/Eigenvalues>

#include "common.hpp"

using test::ld;

namespace {

template <typename Est>
void check_against(const Est& m, const ref::FullModel& r, const Eigen::MatrixXd& probe) {
  using Scalar = typename Est::Scalar;
  const double tol = std::is_same_v<Scalar, float> ? 1e-3 : 1e-10;
  const auto k_count = static_cast<Eigen::Index>(r.classes.size());
  const Eigen::Index d = m.n_features();
  for (Eigen::Index k = 0; k < k_count; ++k) {
    CAPTURE(k);
    CHECK(m.classes()[k] == r.classes[std::size_t(k)]);
    CHECK_CLOSE(m.priors()[k], r.prior[std::size_t(k)], tol);
    for (Eigen::Index a = 0; a < d; ++a) {
      CHECK_CLOSE(m.means()(k, a), r.mean[std::size_t(k)][std::size_t(a)], tol);
      for (Eigen::Index b = 0; b < d; ++b) {
        const ld want = r.cov[std::size_t(k)][std::size_t(a)][std::size_t(b)];
        if constexpr (Est::Kind::shared)
          CHECK_CLOSE(m.covariance()(a, b), want, tol);
        else
          CHECK_CLOSE(m.covariance()[std::size_t(k)](a, b), want, tol);
      }
    }
  }
  test::check_joint(m, r, probe, tol);
  test::check_posteriors(m, r, probe, tol);
}

}  // namespace

TEST_CASE_TEMPLATE("LDA and QDA match the long-double reference", Est, GDA_FULL_ESTIMATORS) {
  using Scalar = typename Est::Scalar;
  auto data = ref::blobs(600, 4, 3, 13, 2.0, 2.5, {-1, 5, 8});
  data.X = test::correlate(data.X);
  const Eigen::MatrixXd probe = test::correlate(ref::blobs(40, 4, 3, 14, 2.0, 2.5).X);
  const Eigen::MatrixXd Xs = data.X.cast<Scalar>().template cast<double>();  // the values the model sees
  SUBCASE("unweighted") {
    Est m;
    m.fit(test::as<Scalar>(data.X), data.y);
    check_against(m, ref::fit_full(Xs, data.y, {}, Est::Kind::shared), probe);
  }
  SUBCASE("weighted") {
    Eigen::Matrix<Scalar, Eigen::Dynamic, 1> w(data.X.rows());
    std::vector<ld> wl;
    for (Eigen::Index i = 0; i < w.size(); ++i) {
      w[i] = Scalar(0.25 * double(i % 7));
      wl.push_back(w[i]);
    }
    Est m;
    m.fit(test::as<Scalar>(data.X), data.y, w);
    check_against(m, ref::fit_full(Xs, data.y, wl, Est::Kind::shared), probe);
  }
  SUBCASE("regularised") {
    gda::Options o;
    if constexpr (Est::Kind::shared)
      o.shrinkage = 0.3;
    else
      o.reg_param = 0.2;
    Est m(o);
    m.fit(test::as<Scalar>(data.X), data.y);
    check_against(m, ref::fit_full(Xs, data.y, {}, Est::Kind::shared, 0.3L, 0.2L), probe);
  }
}

// Enough classes and features for every chunk of the scoring kernels (classes beyond one register tile, QDA's
// whitened outputs beyond one chunk), and enough rows for several blocks, the last ending in a partial tile;
// row-major input goes through the other path into the kernels.
TEST_CASE_TEMPLATE("LDA and QDA match the reference with many classes, features and rows", Est, GDA_FULL_ESTIMATORS) {
  using Scalar = typename Est::Scalar;
  auto data = ref::blobs(3000, 13, 14, 21, 3.0, 1.5);
  data.X = test::correlate(data.X);
  const Eigen::MatrixXd probe = test::correlate(ref::blobs(2501, 13, 14, 22, 3.0, 1.5).X);
  const Eigen::MatrixXd Xs = data.X.cast<Scalar>().template cast<double>();
  gda::Options o;
  if constexpr (!Est::Kind::shared) o.reg_param = 0.05;  // some classes have few samples for 13 features
  Est m(o);
  m.fit(test::as<Scalar>(data.X), data.y);
  check_against(m, ref::fit_full(Xs, data.y, {}, Est::Kind::shared, 0.0L, Est::Kind::shared ? 0.0L : 0.05L), probe);
  using RowMajor = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const RowMajor rows = test::as<Scalar>(probe);
  CHECK(m.predict_proba(rows) == m.predict_proba(test::as<Scalar>(probe)));
}

// Row-major input with at most a register tile of classes is scored where it lies, with its blocks of
// columns transposed in registers (LDA's linear scores; QDA keeps its own kernel): feature counts below, at
// and past a packet, and a probe whose last packet of rows is partial.
TEST_CASE_TEMPLATE("LDA and QDA on row-major input match the reference", Est, GDA_FULL_ESTIMATORS) {
  using Scalar = typename Est::Scalar;
  using RowMajor = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const double tol = std::is_same_v<Scalar, float> ? 1e-3 : 1e-10;
  for (const Eigen::Index d : {1, 3, 9, 19}) {
    CAPTURE(d);
    auto data = ref::blobs(900, d, 6, 61, 3.0, 1.5);
    data.X = test::correlate(data.X);
    const Eigen::MatrixXd probe = test::correlate(ref::blobs(1001, d, 6, 62, 3.0, 1.5).X);
    const Eigen::MatrixXd Xs = data.X.cast<Scalar>().template cast<double>();
    Est m;
    m.fit(test::as<Scalar>(data.X), data.y);
    const auto r = ref::fit_full(Xs, data.y, {}, Est::Kind::shared);
    const RowMajor rows = test::as<Scalar>(probe);
    const auto logp = m.predict_log_proba(rows);
    for (Eigen::Index i = 0; i < probe.rows(); ++i) {
      CAPTURE(i);
      const auto rl = ref::log_proba(r, probe.row(i));
      for (Eigen::Index k = 0; k < 6; ++k) CHECK_CLOSE(logp(i, k), rl[std::size_t(k)], tol);
    }
  }
}

TEST_CASE("hand-computed: a 2-D covariance") {
  // Class 0: (0, 0), (2, 0), (0, 2), (2, 2) has mean (1, 1) and, by maximum likelihood, covariance I;
  // class 1: (4, 4), (6, 6) has mean (5, 5) and covariance [[1, 1], [1, 1]] (singular alone).
  Eigen::MatrixXd X(6, 2);
  X << 0, 0, 2, 0, 0, 2, 2, 2, 4, 4, 6, 6;
  const Eigen::VectorXi y = (Eigen::VectorXi(6) << 0, 0, 0, 0, 1, 1).finished();
  gda::LDA<> lda;
  lda.fit(X, y);
  // Pooled: (4 I + 2 [[1, 1], [1, 1]]) / 6 = [[1, 1/3], [1/3, 1]].
  CHECK(lda.covariance()(0, 0) == doctest::Approx(1.0).epsilon(1e-15));
  CHECK(lda.covariance()(0, 1) == doctest::Approx(1.0 / 3).epsilon(1e-15));
  CHECK(lda.priors()[0] == doctest::Approx(2.0 / 3).epsilon(1e-15));
  // J_0((1, 1)) = log(2/3) - log(2 pi) - 1/2 log det, det = 1 - 1/9 = 8/9, and no Mahalanobis term.
  const Eigen::MatrixXd j = lda.predict_joint_log_proba(Eigen::RowVector2d(1, 1));
  CHECK(j(0, 0) == doctest::Approx(std::log(2.0 / 3) - std::log(2 * M_PI) - 0.5 * std::log(8.0 / 9)).epsilon(1e-14));
  // QDA cannot invert class 1's covariance without reg_param; with r = 0.5: 0.5 [[1, 1], [1, 1]] + 0.5 I.
  gda::QDA<> qda;
  CHECK_THROWS_WITH_AS(qda.fit(X, y), doctest::Contains("the covariance of class 1 is singular"), gda::InvalidArgument);
  gda::Options o;
  o.reg_param = 0.5;
  gda::QDA<> reg(o);
  reg.fit(X, y);
  CHECK(reg.covariance()[1](0, 0) == doctest::Approx(1.0).epsilon(1e-15));
  CHECK(reg.covariance()[1](0, 1) == doctest::Approx(0.5).epsilon(1e-15));
  CHECK(reg.covariance()[0](0, 1) == doctest::Approx(0.0));
}

TEST_CASE("more features than samples: an exception that names the option, and shrinkage that fixes it") {
  const auto data = ref::blobs(12, 20, 2, 31);
  gda::LDA<> plain;
  CHECK_THROWS_WITH_AS(plain.fit(data.X, data.y), doctest::Contains("set Options::shrinkage"), gda::InvalidArgument);
  gda::Options o;
  o.shrinkage = gda::Options::ledoit_wolf;
  gda::LDA<> lw(o);
  lw.fit(data.X, data.y);
  CHECK(lw.shrinkage() > 0);
  CHECK(lw.shrinkage() <= 1);
  CHECK(lw.predict_proba(data.X).allFinite());
  // The intensity equals the reference's Gaussian Ledoit-Wolf formula, from the same statistics.
  const auto r = ref::fit_full(data.X, data.y, {}, true, -1);
  CHECK_CLOSE(lw.shrinkage(), r.shrinkage, 1e-12);
  check_against(lw, r, data.X);
  gda::QDA<> qda;
  CHECK_THROWS_WITH_AS(qda.fit(data.X, data.y), doctest::Contains("set Options::reg_param > 0"), gda::InvalidArgument);
}

TEST_CASE("Ledoit-Wolf shrinks a noisy estimate more when there are fewer samples") {
  gda::Options o;
  o.shrinkage = gda::Options::ledoit_wolf;
  double previous = 1;
  for (const Eigen::Index n : {30, 300, 3000}) {
    const auto data = ref::blobs(n, 10, 2, 41);
    gda::LDA<> m(o);
    m.fit(data.X, data.y);
    CAPTURE(n);
    CHECK(m.shrinkage() < previous);
    previous = m.shrinkage();
  }
}

TEST_CASE_TEMPLATE("the discriminant projection solves Sb v = lambda Sigma v", Scalar, float, double) {
  auto data = ref::blobs(500, 5, 4, 51, 1.0, 3.0);
  data.X = test::correlate(data.X);
  gda::LDA<Scalar> m;
  m.fit(data.X.cast<Scalar>(), data.y);
  const Eigen::MatrixXd v = m.scalings().template cast<double>();
  REQUIRE(v.cols() == 3);  // K - 1
  // Sb from the fitted parameters: sum_k alpha_k (mu_k - m)(mu_k - m)^T with m = sum_k alpha_k mu_k.
  const Eigen::MatrixXd mu = m.means().template cast<double>();
  const Eigen::VectorXd alpha = m.priors().template cast<double>();
  const Eigen::RowVectorXd mbar = alpha.transpose() * mu;
  Eigen::MatrixXd sb = Eigen::MatrixXd::Zero(5, 5);
  for (Eigen::Index k = 0; k < 4; ++k) sb += alpha[k] * (mu.row(k) - mbar).transpose() * (mu.row(k) - mbar);
  const Eigen::MatrixXd sigma = m.covariance().template cast<double>();
  const double tol = std::is_same_v<Scalar, float> ? 1e-3 : 1e-9;
  double previous = 1e300;
  for (Eigen::Index j = 0; j < 3; ++j) {
    CAPTURE(j);
    const double norm = v.col(j).transpose() * sigma * v.col(j);
    CHECK(norm == doctest::Approx(1).epsilon(tol));
    const double lambda = v.col(j).transpose() * sb * v.col(j);
    CHECK((sb * v.col(j) - lambda * sigma * v.col(j)).norm() <= tol * (1 + lambda));
    CHECK(lambda <= previous);
    previous = lambda;
  }
  const auto ratio = m.explained_variance_ratio();
  CHECK(ratio.sum() == doctest::Approx(1).epsilon(tol));  // K - 1 directions carry all of Sb's rank
  // The projected class means, centred: transform of mu_k is (mu_k - m) v.
  const Eigen::MatrixXd z = m.transform(m.means()).template cast<double>();
  CHECK((z - (mu.rowwise() - mbar) * v).cwiseAbs().maxCoeff() <= tol * 10);
  CHECK_THROWS_AS((void)m.transform(Eigen::Matrix<Scalar, -1, -1>::Zero(2, 4)), gda::InvalidArgument);
}

TEST_CASE("scores beyond double's range still give a distribution") {
  // Means at -+1e250, x = 0: both joint log-likelihoods are about -5e499, equal, beyond double's range; the
  // long-double path must give 1/2 each (subtracting the maximum before the log-sum, not after).
  const Eigen::Vector2i c(0, 1);
  const Eigen::Vector2d p(0.5, 0.5), mu(-1e250, 1e250);
  const Eigen::MatrixXd x = Eigen::MatrixXd::Zero(1, 1);
  const auto qda = gda::QDA<>::from_parameters(c, p, mu, Eigen::RowVector2d(1, 1));
  const auto nb = gda::GaussianNB<>::from_parameters(c, p, mu, Eigen::Vector2d(1, 1));
  for (const Eigen::MatrixXd& proba : {qda.predict_proba(x), nb.predict_proba(x)}) {
    CHECK(proba(0, 0) == doctest::Approx(0.5));
    CHECK(proba(0, 1) == doctest::Approx(0.5));
  }
}
