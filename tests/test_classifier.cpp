// Estimates and posteriors of the estimator against hand calculation and the long-double reference, and
// the properties every kind must have.
#include <algorithm>
#include <limits>
#include <numeric>
#include <random>

#include "common.hpp"

using test::ld;

TEST_CASE("hand-computed: two 1-D classes at 0 and 2 with unit variance") {
  // Class 10 = {-1, 1}: mean 0, M2 = 2; class 20 = {1, 3}: mean 2, M2 = 2. Shared and per-class variances are
  // both 1 with var_smoothing = 0, and P(20 | x) = 1 / (1 + exp(-(2x - 2))).
  Eigen::MatrixXd X(4, 1);
  X << -1, 1, 1, 3;
  Eigen::VectorXi y(4);
  y << 10, 10, 20, 20;
  gda::Options opt;
  opt.var_smoothing = 0;
  gda::SharedVarianceNB<> shared(opt);
  gda::GaussianNB<> per_class(opt);
  shared.fit(X, y);
  per_class.fit(X, y);
  CHECK(shared.variances()[0] == doctest::Approx(1.0).epsilon(1e-15));
  CHECK(per_class.variances()(0, 0) == doctest::Approx(1.0).epsilon(1e-15));
  CHECK(per_class.variances()(1, 0) == doctest::Approx(1.0).epsilon(1e-15));
  Eigen::MatrixXd probe(4, 1);
  probe << 1, 2, -3, 40;
  for (const Eigen::MatrixXd& p : {shared.predict_proba(probe), per_class.predict_proba(probe)}) {
    for (Eigen::Index i = 0; i < probe.rows(); ++i) {
      const double x = probe(i, 0);
      const double want = 1 / (1 + std::exp(-(2 * x - 2)));
      INFO("x = " << x);
      CHECK(p(i, 1) == doctest::Approx(want).epsilon(1e-14));
      CHECK(p(i, 0) == doctest::Approx(1 - want).epsilon(1e-14));
    }
  }
  // J_20(2) = log(1/2) - 1/2 log(2 pi) - 0 and J_10(2) = log(1/2) - 1/2 log(2 pi) - 2.
  const Eigen::MatrixXd j = shared.predict_joint_log_proba(probe.row(1));
  CHECK(j(0, 1) == doctest::Approx(std::log(0.5) - 0.5 * std::log(2 * M_PI)).epsilon(1e-15));
  CHECK(j(0, 0) == doctest::Approx(std::log(0.5) - 0.5 * std::log(2 * M_PI) - 2).epsilon(1e-15));
  // x = 1 is an exact tie; the other three are clear.
  CHECK(shared.predict(probe.bottomRows(3)) == Eigen::Vector3i(20, 10, 20));
}

TEST_CASE("hand-computed: six 2-D points, means, variances and epsilon") {
  // Class 3: (1, 2), (1.5, 2.5), (0.5, 1.8); class -7: (5, 6), (5.5, 6.5), (4.8, 5.9).
  Eigen::MatrixXd X(6, 2);
  X << 1, 2, 1.5, 2.5, 0.5, 1.8, 5, 6, 5.5, 6.5, 4.8, 5.9;
  Eigen::VectorXi y(6);
  y << 3, 3, 3, -7, -7, -7;
  gda::Options opt;
  opt.var_smoothing = 0.1;
  gda::GaussianNB<> m(opt);
  m.fit(X, y);
  CHECK(m.classes() == Eigen::Vector2i(-7, 3));
  CHECK(m.class_count() == Eigen::Vector2d(3, 3));
  // Var of feature 0 over all six points: mean 3.05, squared deviations 4.2025 + 2.4025 + 6.5025 + 3.8025 +
  // 6.0025 + 3.0625 = 25.975; feature 1 has 24.868..., so the largest variance is 25.975 / 6.
  const double eps = 0.1 * 25.975 / 6;
  CHECK(m.epsilon() == doctest::Approx(eps).epsilon(1e-14));
  CHECK(m.means()(0, 0) == doctest::Approx(5.1).epsilon(1e-15));
  CHECK(m.means()(0, 1) == doctest::Approx(18.4 / 3).epsilon(1e-15));
  CHECK(m.means()(1, 1) == doctest::Approx(2.1).epsilon(1e-15));
  // Deviations of class 3, feature 1: -0.1, 0.4, -0.3, so (0.01 + 0.16 + 0.09) / 3.
  CHECK(m.variances()(1, 1) == doctest::Approx(0.26 / 3 + eps).epsilon(1e-14));
  CHECK(m.variances()(1, 0) == doctest::Approx(0.5 / 3 + eps).epsilon(1e-14));
  gda::SharedVarianceNB<> s(opt);
  s.fit(X, y);
  // Pooled: feature 0 has M2 0.5 (class 3) + 0.26 (class -7) over W = 6.
  CHECK(s.variances()[0] == doctest::Approx(0.76 / 6 + eps).epsilon(1e-14));
}

// Compares every fitted quantity and every predict_* of `m` with the reference model `r` on `probe`.
template <typename Est>
void check_against(const Est& m, const ref::Model& r, const Eigen::MatrixXd& probe) {
  using Scalar = typename Est::Scalar;
  const double tol = test::tolerance<Scalar>();
  const auto k_count = static_cast<Eigen::Index>(r.classes.size());
  REQUIRE(m.classes().size() == k_count);
  CHECK_CLOSE(m.epsilon(), r.epsilon, tol);
  for (Eigen::Index k = 0; k < k_count; ++k) {
    CAPTURE(k);
    CHECK(m.classes()[k] == r.classes[std::size_t(k)]);
    CHECK_CLOSE(m.class_count()[k], r.count[std::size_t(k)], 1e-12);
    CHECK_CLOSE(m.priors()[k], r.prior[std::size_t(k)], tol);
    for (Eigen::Index j = 0; j < m.n_features(); ++j) {
      CAPTURE(j);
      CHECK_CLOSE(m.means()(k, j), r.mean[std::size_t(k)][std::size_t(j)], tol);
      CHECK_CLOSE(test::variance(m, k, j), r.var[std::size_t(k)][std::size_t(j)], tol);
    }
  }
  test::check_joint(m, r, probe, tol);
  test::check_posteriors(m, r, probe, tol);
}

TEST_CASE_TEMPLATE("matches the long-double reference", Est, GDA_DIAGONAL_ESTIMATORS) {
  using Scalar = typename Est::Scalar;
  const std::vector<int> labels = {-7, 3, 42, 100};
  const auto data = ref::blobs(700, 7, 4, 11, 3.0, 2.0, labels);
  const auto probe = ref::blobs(50, 7, 4, 12, 3.0, 2.0).X;
  gda::Options opt;
  opt.var_smoothing = 1e-3;  // large enough for epsilon to matter in every comparison
  Est m(opt);

  SUBCASE("unweighted") {
    m.fit(test::as<Scalar>(data.X), data.y);
    check_against(m, ref::fit(data.X.cast<Scalar>(), data.y, {}, Est::Kind::shared, opt.var_smoothing), probe);
  }
  SUBCASE("weighted") {
    std::mt19937 rng(5);
    std::uniform_real_distribution<double> unif(0.0, 3.0);
    Eigen::Matrix<Scalar, Eigen::Dynamic, 1> w(data.X.rows());
    for (Eigen::Index i = 0; i < w.size(); ++i) w[i] = Scalar(unif(rng));
    w[3] = 0;  // a zero weight is allowed and means "absent"
    std::vector<ld> wl(w.data(), w.data() + w.size());
    m.fit(test::as<Scalar>(data.X), data.y, w);
    check_against(m, ref::fit(data.X.cast<Scalar>(), data.y, wl, Est::Kind::shared, opt.var_smoothing), probe);
  }
  SUBCASE("fixed priors") {
    opt.priors = Eigen::Vector4d(0.1, 0.2, 0.3, 0.4);
    Est fixed(opt);
    fixed.fit(test::as<Scalar>(data.X), data.y);
    check_against(
        fixed,
        ref::fit(data.X.cast<Scalar>(), data.y, {}, Est::Kind::shared, opt.var_smoothing, {0.1L, 0.2L, 0.3L, 0.4L}),
        probe);
  }
  SUBCASE("default smoothing, single feature, two classes") {
    const auto small = ref::blobs(40, 1, 2, 3);
    Est d;
    d.fit(test::as<Scalar>(small.X), small.y);
    check_against(d, ref::fit(small.X.cast<Scalar>(), small.y, {}, Est::Kind::shared, 1e-9), small.X);
  }
}

// Enough classes for every chunk of the scoring kernel (more than one register tile of classes, and a rest),
// and enough rows for several blocks, the last ending in a partial tile: 3,640 rows per fitting block at D = 9,
// so that fitting merges blocks of every class, over features that do not fill whole packets. Row-major input
// goes through the other path into the kernel.
TEST_CASE_TEMPLATE("matches the reference with many classes and rows", Est, GDA_DIAGONAL_ESTIMATORS) {
  using Scalar = typename Est::Scalar;
  const auto data = ref::blobs(9000, 9, 27, 31, 5.0, 1.0);
  const auto probe = ref::blobs(3333, 9, 27, 32, 5.0, 1.0).X;
  gda::Options opt;
  opt.var_smoothing = 1e-3;
  Est m(opt);
  m.fit(test::as<Scalar>(data.X), data.y);
  check_against(m, ref::fit(data.X.cast<Scalar>(), data.y, {}, Est::Kind::shared, opt.var_smoothing), probe);
  using RowMajor = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const RowMajor rows = test::as<Scalar>(probe);
  CHECK(m.predict_proba(rows) == m.predict_proba(test::as<Scalar>(probe)));
}

// Column-major X is fitted a panel of features at a time, over blocks of at least 1,024 rows: 45 features make
// chunks of 32 and 8 features (with AVX-512) and a rest of 5, and 2,600 rows make three blocks. X lies off
// alignment in a taller matrix filled with 1e30 around it, and has weights, so that a read outside it or a row
// paired with another row's weight or class shows against the reference.
TEST_CASE_TEMPLATE("column-major input fitted in panels matches the reference", Est, GDA_DIAGONAL_ESTIMATORS) {
  using Scalar = typename Est::Scalar;
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
  const auto data = ref::blobs(2600, 45, 6, 61, 3.0, 1.0);
  const auto probe = ref::blobs(200, 45, 6, 62, 3.0, 1.0).X;
  const Eigen::Index n = data.X.rows();
  std::mt19937 rng(8);
  std::uniform_real_distribution<double> unif(0.0, 2.0);
  Eigen::Matrix<Scalar, Eigen::Dynamic, 1> w(n);
  for (Eigen::Index i = 0; i < n; ++i) w[i] = Scalar(unif(rng));
  const std::vector<ld> wl(w.data(), w.data() + n);
  Matrix tall = Matrix::Constant(n + 7, data.X.cols(), Scalar(1e30));
  tall.middleRows(3, n) = test::as<Scalar>(data.X);
  gda::Options opt;
  opt.var_smoothing = 1e-3;
  Est m(opt);
  m.fit(tall.middleRows(3, n), data.y, w);
  check_against(m, ref::fit(data.X.cast<Scalar>(), data.y, wl, Est::Kind::shared, opt.var_smoothing), probe);
}

// Input with at most a register tile of classes is scored where it lies, a tile of rows at a time; row-major
// tiles have their columns transposed in registers. Feature counts below, at and past a packet and a step of 4
// columns (for every SIMD width), and a probe whose last tile of rows is partial. Each probe is also scored as
// the left columns of a row-major matrix whose rows are 4 KiB apart, which takes one-packet tiles instead of two
// where they are used and requests the next block row by row, and as rows of a taller column-major matrix,
// starting off alignment. The values around both views are 1e30, so a read past the view shows. With 13
// classes the tiles go through a copy instead.
TEST_CASE_TEMPLATE("input scored in place matches the reference", Est, GDA_DIAGONAL_ESTIMATORS) {
  using Scalar = typename Est::Scalar;
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
  using RowMajor = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const double tol = test::tolerance<Scalar>();
  const Eigen::Index wide = 4096 / Eigen::Index(sizeof(Scalar));
  for (const Eigen::Index d : {1, 3, 9, 19, 40}) {
    for (const int k_count : {2, 5, 12, 13}) {
      CAPTURE(d);
      CAPTURE(k_count);
      const auto data = ref::blobs(600, d, k_count, 51, 3.0, 1.0);
      const Eigen::MatrixXd probe = ref::blobs(1001, d, k_count, 52, 3.0, 1.0).X;
      const Eigen::Index n = probe.rows();
      Est m;
      m.fit(test::as<Scalar>(data.X), data.y);
      const auto r = ref::fit(data.X.cast<Scalar>(), data.y, {}, Est::Kind::shared, gda::Options{}.var_smoothing);
      const RowMajor rows = test::as<Scalar>(probe);
      RowMajor strided = RowMajor::Constant(n, wide, Scalar(1e30));
      strided.leftCols(d) = rows;
      Matrix tall = Matrix::Constant(n + 8, d, Scalar(1e30));
      tall.middleRows(3, n) = test::as<Scalar>(probe);
      for (const int view : {0, 1, 2}) {
        CAPTURE(view);
        const auto logp = view == 0   ? m.predict_log_proba(rows)
                          : view == 1 ? m.predict_log_proba(strided.leftCols(d))
                                      : m.predict_log_proba(tall.middleRows(3, n));
        const auto p = view == 0   ? m.predict_proba(rows)
                       : view == 1 ? m.predict_proba(strided.leftCols(d))
                                   : m.predict_proba(tall.middleRows(3, n));
        for (Eigen::Index i = 0; i < n; ++i) {
          CAPTURE(i);
          const auto rl = ref::log_proba(r, probe.row(i));
          for (Eigen::Index k = 0; k < k_count; ++k) {
            CHECK_CLOSE(logp(i, k), rl[std::size_t(k)], tol);
            CHECK_CLOSE(p(i, k), std::exp(rl[std::size_t(k)]), tol);
          }
        }
      }
    }
  }
}

// SharedVarianceNB's and LDA's posteriors are scored less class 0's linear term, which no posterior sees; a class
// that cannot be predicted (prior 0, here fixed) has its own terms zeroed, and class 0 then shifts nothing. Every
// pattern of such classes must still give the reference's posteriors, and a non-finite value in X must still
// be found in the scores.
TEST_CASE_TEMPLATE("linear-form posteriors match the reference whichever classes have prior 0", Est,
                   gda::SharedVarianceNB<double>, gda::SharedVarianceNB<float>, gda::LDA<double>, gda::LDA<float>) {
  using Scalar = typename Est::Scalar;
  const double tol = std::is_same_v<Scalar, float> ? 1e-3 : 1e-10;
  const auto data = ref::blobs(400, 5, 4, 21, 1.0, 1.5);
  const Eigen::MatrixXd probe = ref::blobs(60, 5, 4, 22, 1.0, 1.5).X;
  const Eigen::MatrixXd Xs = data.X.cast<Scalar>().template cast<double>();  // the values the model sees
  const std::vector<std::vector<double>> patterns = {
      {0.0, 0.5, 0.3, 0.2}, {0.4, 0.0, 0.6, 0.0}, {0.0, 0.0, 0.0, 1.0}, {1.0, 0.0, 0.0, 0.0}, {0.1, 0.2, 0.3, 0.4}};
  for (const auto& priors : patterns) {
    CAPTURE(priors[0]);
    CAPTURE(priors[1]);
    CAPTURE(priors[2]);
    gda::Options o;
    o.priors = Eigen::Map<const Eigen::VectorXd>(priors.data(), 4);
    Est m(o);
    m.fit(test::as<Scalar>(data.X), data.y);
    auto r = [&] {
      if constexpr (Est::Kind::full)
        return ref::fit_full(Xs, data.y, {}, true);
      else
        return ref::fit(Xs, data.y, {}, true, o.var_smoothing);
    }();
    r.prior.assign(priors.begin(), priors.end());
    test::check_posteriors(m, r, probe, tol);
    for (const double bad : {std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(),
                             std::numeric_limits<double>::quiet_NaN()}) {
      Eigen::MatrixXd Xb = probe.topRows(5);
      Xb(3, 2) = bad;
      CHECK_THROWS_AS(m.predict_proba(test::as<Scalar>(Xb)), gda::NonFiniteValue);
      CHECK_THROWS_AS(m.predict(test::as<Scalar>(Xb)), gda::NonFiniteValue);
    }
  }
}

// Outputs of 8 MiB and more are written with non-temporal stores, aligned in the middle of each column: a
// probe that large, written into a column-major output starting one row off alignment, must hold the same
// values as a row-major output (plain stores) and the reference's.
TEST_CASE_TEMPLATE("large outputs match the reference and the other storage order", Est, gda::GaussianNB<double>,
                   gda::GaussianNB<float>, gda::LDA<double>) {
  using Scalar = typename Est::Scalar;
  const Eigen::Index n = 240001;
  const int k_count = 12;
  REQUIRE(std::size_t(n) * k_count * sizeof(Scalar) >= gda::detail::stream_output_bytes);
  const auto data = ref::blobs(2000, 3, k_count, 41, 2.0, 1.0);
  const Eigen::MatrixXd probe = ref::blobs(n, 3, k_count, 42, 2.0, 1.0).X;
  Est m;
  m.fit(test::as<Scalar>(data.X), data.y);
  const auto Xs = test::as<Scalar>(probe);
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
  using RowMajor = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  Matrix p_big = Matrix::Constant(n + 2, k_count, Scalar(-1)), lp_big = p_big;
  RowMajor p_rows(n, k_count), lp_rows(n, k_count);
  m.predict_proba(Xs, p_big.middleRows(1, n));
  m.predict_log_proba(Xs, lp_big.middleRows(1, n));
  m.predict_proba(Xs, p_rows);
  m.predict_log_proba(Xs, lp_rows);
  CHECK(p_big.middleRows(1, n) == Matrix(p_rows));
  CHECK(lp_big.middleRows(1, n) == Matrix(lp_rows));
  CHECK((p_big.row(0).array() == -1).all());  // the rows around the output are untouched
  CHECK((p_big.row(n + 1).array() == -1).all());
  const double tol = test::tolerance<Scalar>();
  const bool shared = Est::Kind::shared;
  int bad = 0;
  auto check_row = [&](Eigen::Index i, const std::vector<ld>& rl) {
    for (Eigen::Index k = 0; k < k_count; ++k) {
      const bool ok = test::close(p_big(i + 1, k), std::exp(rl[std::size_t(k)]), tol) &&
                      test::close(lp_big(i + 1, k), rl[std::size_t(k)], tol);
      if (!ok && ++bad <= 5) {
        INFO("row " << i << ", class " << k);
        CHECK(ok);
      }
    }
  };
  auto check_all = [&](const auto& r) {
    for (Eigen::Index i = 0; i < n; ++i) check_row(i, ref::log_proba(r, probe.row(i)));
  };
  if constexpr (Est::Kind::full)
    check_all(ref::fit_full(data.X.cast<Scalar>(), data.y, {}, shared));
  else
    check_all(ref::fit(data.X.cast<Scalar>(), data.y, {}, shared, 1e-9));
  CHECK(bad == 0);
}

TEST_CASE_TEMPLATE("posteriors are distributions and predict is their argmax", Est, GDA_ESTIMATORS) {
  using Scalar = typename Est::Scalar;
  const auto data = ref::blobs(400, 5, 3, 21);
  Est m;
  m.fit(test::as<Scalar>(data.X), data.y);
  const auto probe = test::as<Scalar>(ref::blobs(300, 5, 3, 22, 0, 1).X);
  const auto p = m.predict_proba(probe);
  const auto lp = m.predict_log_proba(probe);
  const Eigen::VectorXi pred = m.predict(probe);
  for (Eigen::Index i = 0; i < p.rows(); ++i) {
    CAPTURE(i);
    CHECK(p.row(i).sum() == doctest::Approx(1).epsilon(test::tolerance<Scalar>()));
    CHECK((p.row(i).array() >= 0).all());
    Eigen::Index best;
    lp.row(i).maxCoeff(&best);
    CHECK(pred[i] == m.classes()[best]);
  }
  CHECK(m.score(probe, pred) == 1.0);
}

TEST_CASE_TEMPLATE("invariant to row order", Est, GDA_ESTIMATORS) {
  using Scalar = typename Est::Scalar;
  const auto data = ref::blobs(500, 4, 3, 31);
  std::vector<Eigen::Index> perm(std::size_t(data.X.rows()));
  std::iota(perm.begin(), perm.end(), 0);
  std::shuffle(perm.begin(), perm.end(), std::mt19937(7));
  Eigen::MatrixXd Xp(data.X.rows(), data.X.cols());
  Eigen::VectorXi yp(data.y.size());
  for (std::size_t i = 0; i < perm.size(); ++i) {
    Xp.row(Eigen::Index(i)) = data.X.row(perm[i]);
    yp[Eigen::Index(i)] = data.y[perm[i]];
  }
  Est a, b;
  a.fit(test::as<Scalar>(data.X), data.y);
  b.fit(test::as<Scalar>(Xp), yp);
  const double tol = test::tolerance<Scalar>();
  for (Eigen::Index k = 0; k < 3; ++k)
    for (Eigen::Index j = 0; j < 4; ++j) {
      CHECK_CLOSE(a.means()(k, j), b.means()(k, j), tol);
      CHECK_CLOSE(test::variance(a, k, j), test::variance(b, k, j), tol);
    }
  const auto pa = a.predict_proba(test::as<Scalar>(data.X));
  const auto pb = b.predict_proba(test::as<Scalar>(data.X));
  CHECK((pa - pb).cwiseAbs().maxCoeff() <= tol);
}

TEST_CASE_TEMPLATE("renaming labels renames the classes and nothing else", Est, GDA_ESTIMATORS) {
  using Scalar = typename Est::Scalar;
  const auto data = ref::blobs(300, 3, 3, 41);
  // 0 -> 50, 1 -> -4, 2 -> 7: sorted order becomes (-4, 7, 50), i.e. old classes (1, 2, 0).
  const int rename[] = {50, -4, 7};
  Eigen::VectorXi y2(data.y.size());
  for (Eigen::Index i = 0; i < y2.size(); ++i) y2[i] = rename[data.y[i]];
  Est a, b;
  a.fit(test::as<Scalar>(data.X), data.y);
  b.fit(test::as<Scalar>(data.X), y2);
  CHECK(b.classes() == Eigen::Vector3i(-4, 7, 50));
  const auto pa = a.predict_proba(test::as<Scalar>(data.X));
  const auto pb = b.predict_proba(test::as<Scalar>(data.X));
  const Eigen::Index old_of_new[] = {1, 2, 0};
  // The same numbers up to the order of summation in the log-sum-exp.
  for (Eigen::Index k = 0; k < 3; ++k) {
    CHECK((pb.col(k) - pa.col(old_of_new[k])).cwiseAbs().maxCoeff() <= 10 * std::numeric_limits<Scalar>::epsilon());
    CHECK(b.means().row(k) == a.means().row(old_of_new[k]));
  }
  const Eigen::VectorXi qa = a.predict(test::as<Scalar>(data.X)), qb = b.predict(test::as<Scalar>(data.X));
  for (Eigen::Index i = 0; i < qa.size(); ++i) CHECK(qb[i] == rename[qa[i]]);
}

TEST_CASE_TEMPLATE("integer weights equal duplicated rows", Est, GDA_ESTIMATORS) {
  using Scalar = typename Est::Scalar;
  const auto data = ref::blobs(200, 4, 3, 51);
  std::mt19937 rng(9);
  std::uniform_int_distribution<int> times(0, 3);
  Eigen::Matrix<Scalar, Eigen::Dynamic, 1> w(data.X.rows());
  std::vector<Eigen::Index> rows;
  for (Eigen::Index i = 0; i < w.size(); ++i) {
    const int t = times(rng);
    w[i] = Scalar(t);
    for (int c = 0; c < t; ++c) rows.push_back(i);
  }
  Eigen::MatrixXd Xd(Eigen::Index(rows.size()), data.X.cols());
  Eigen::VectorXi yd(Eigen::Index(rows.size()));
  for (std::size_t r = 0; r < rows.size(); ++r) {
    Xd.row(Eigen::Index(r)) = data.X.row(rows[r]);
    yd[Eigen::Index(r)] = data.y[rows[r]];
  }
  Est weighted, duplicated;
  weighted.fit(test::as<Scalar>(data.X), data.y, w);
  duplicated.fit(test::as<Scalar>(Xd), yd);
  const double tol = test::tolerance<Scalar>();
  CHECK(weighted.class_count() == duplicated.class_count());
  if constexpr (!Est::Kind::full) CHECK_CLOSE(weighted.epsilon(), duplicated.epsilon(), tol);
  for (Eigen::Index k = 0; k < 3; ++k)
    for (Eigen::Index j = 0; j < 4; ++j) {
      CHECK_CLOSE(weighted.means()(k, j), duplicated.means()(k, j), tol);
      CHECK_CLOSE(test::variance(weighted, k, j), test::variance(duplicated, k, j), tol);
    }
  const auto probe = test::as<Scalar>(data.X);
  CHECK((weighted.predict_log_proba(probe) - duplicated.predict_log_proba(probe)).cwiseAbs().maxCoeff() <= 100 * tol);
}

TEST_CASE_TEMPLATE("float and double agree to float precision", Kind, gda::SharedDiagonal, gda::PerClassDiagonal) {
  const auto data = ref::blobs(600, 6, 4, 61, 5.0);
  gda::GaussianClassifier<double, Kind> d;
  gda::GaussianClassifier<float, Kind> f;
  d.fit(data.X, data.y);
  f.fit(data.X.cast<float>(), data.y);
  const Eigen::MatrixXd pd = d.predict_proba(data.X);
  const Eigen::MatrixXd pf = f.predict_proba(data.X.cast<float>()).template cast<double>();
  CHECK((pd - pf).cwiseAbs().maxCoeff() <= 1e-4);
  CHECK((d.means() - f.means().template cast<double>()).cwiseAbs().maxCoeff() <= 1e-5 * 10);
  const Eigen::MatrixXd jd = d.predict_joint_log_proba(data.X);
  const Eigen::MatrixXd jf = f.predict_joint_log_proba(data.X.cast<float>()).template cast<double>();
  CHECK(((jd - jf).array().abs() / (1 + jd.array().abs())).maxCoeff() <= 1e-5);
}

TEST_CASE_TEMPLATE("row-major, column-major, mapped and block inputs agree", Est, GDA_ESTIMATORS) {
  using Scalar = typename Est::Scalar;
  using ColMajor = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor>;
  using RowMajor = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const auto data = ref::blobs(3000, 9, 5, 71);  // more rows than one block, so blocks meet
  const ColMajor Xc = data.X.cast<Scalar>();
  const RowMajor Xr = Xc;
  std::vector<Scalar> buffer(Xr.data(), Xr.data() + Xr.size());  // a caller's C-order buffer
  const Eigen::Map<const RowMajor> mapped(buffer.data(), Xr.rows(), Xr.cols());
  ColMajor wide(Xc.rows() + 4, Xc.cols() + 3);  // X as an interior block of a larger matrix
  wide.setConstant(Scalar(1e30));
  wide.block(2, 1, Xc.rows(), Xc.cols()) = Xc;
  const Eigen::Map<const Eigen::VectorXi> ymap(data.y.data(), data.y.size());

  Est a, b, c, e;
  a.fit(Xc, data.y);
  b.fit(Xr, data.y);
  c.fit(mapped, ymap);
  e.fit(wide.block(2, 1, Xc.rows(), Xc.cols()), data.y.transpose());
  const double tol = test::tolerance<Scalar>();
  for (const Est* o : {&b, &c, &e}) {
    CHECK(((a.means() - o->means()).array().abs() <= tol).all());
    CHECK(a.class_count() == o->class_count());
    const auto pa = a.predict_proba(Xc);
    CHECK((pa - o->predict_proba(Xr)).cwiseAbs().maxCoeff() <= tol);
    CHECK((pa - o->predict_proba(mapped)).cwiseAbs().maxCoeff() <= tol);
    CHECK((pa - o->predict_proba(wide.block(2, 1, Xc.rows(), Xc.cols()))).cwiseAbs().maxCoeff() <= tol);
  }
}

TEST_CASE_TEMPLATE("outputs written into the caller's matrices equal the returned ones", Est, GDA_ESTIMATORS) {
  using Scalar = typename Est::Scalar;
  const auto data = ref::blobs(100, 3, 4, 81);
  const auto X = test::as<Scalar>(data.X);
  Est m;
  m.fit(X, data.y);
  Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> out(100, 4);
  m.predict_proba(X, out);
  CHECK(out == m.predict_proba(X));
  m.predict_log_proba(X, out);
  CHECK(out == m.predict_log_proba(X));
  m.predict_joint_log_proba(X, out);
  CHECK(out == m.predict_joint_log_proba(X));
  Eigen::VectorXi labels(100);
  m.predict(X, labels);
  CHECK(labels == m.predict(X));
  Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic> big = Eigen::Matrix<Scalar, -1, -1>::Zero(110, 6);
  m.predict_proba(X, big.block(5, 1, 100, 4));  // a block of a larger matrix
  CHECK(big.block(5, 1, 100, 4) == m.predict_proba(X));
  CHECK(big.col(0).isZero());
}

TEST_CASE_TEMPLATE("points far from every mean keep finite posteriors", Est, GDA_ESTIMATORS) {
  using Scalar = typename Est::Scalar;
  const auto data = ref::blobs(200, 3, 3, 91);
  Est m;
  m.fit(test::as<Scalar>(data.X), data.y);
  const Scalar big = std::is_same_v<Scalar, float> ? Scalar(1e18) : Scalar(1e150);
  const Scalar huge = std::numeric_limits<Scalar>::max() / 2;
  Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic> far(6, 3);
  far << 1e4, -1e4, 1e4,        //
      big, big, big,            //
      -big, 0, big,             //
      huge, -huge, huge,        //
      Scalar(1e-30), 0, -huge,  //
      Scalar(1e6), Scalar(-1e6), 0;
  const auto p = m.predict_proba(far);
  const auto lp = m.predict_log_proba(far);
  const Eigen::VectorXi pred = m.predict(far);
  for (Eigen::Index i = 0; i < far.rows(); ++i) {
    CAPTURE(i);
    CHECK(p.row(i).allFinite());
    CHECK(!lp.row(i).array().isNaN().any());
    CHECK(std::isfinite(lp.row(i).maxCoeff()));
    CHECK(p.row(i).sum() == doctest::Approx(1).epsilon(1e-5));
    Eigen::Index best;
    p.row(i).maxCoeff(&best);
    CHECK(pred[i] == m.classes()[best]);
  }
  // Row 0 against the reference: with everything finite, the posteriors must still be right.
  std::vector<ld> rl;
  if constexpr (Est::Kind::full)
    rl = ref::log_proba(ref::fit_full(data.X.cast<Scalar>(), data.y, {}, Est::Kind::shared), far.row(0));
  else
    rl = ref::log_proba(ref::fit(data.X.cast<Scalar>(), data.y, {}, Est::Kind::shared, 1e-9), far.row(0));
  for (Eigen::Index k = 0; k < 3; ++k) CHECK_CLOSE(lp(0, k), rl[std::size_t(k)], test::tolerance<Scalar>());
}

TEST_CASE_TEMPLATE("a class of one sample and a feature constant in every class still fit", Est,
                   GDA_DIAGONAL_ESTIMATORS) {
  using Scalar = typename Est::Scalar;
  // Feature 1 is 4 everywhere; class 9 has a single sample, so its own variances are 0 before smoothing.
  Eigen::MatrixXd X(5, 2);
  X << 0, 4, 1, 4, 2, 4, 10, 4, 1.5, 4;
  Eigen::VectorXi y(5);
  y << 1, 1, 1, 9, 1;
  Est m;
  m.fit(test::as<Scalar>(X), y);
  const auto r = ref::fit(X.cast<Scalar>(), y, {}, Est::Kind::shared, 1e-9);
  CHECK(m.epsilon() > 0);
  for (Eigen::Index k = 0; k < 2; ++k)
    for (Eigen::Index j = 0; j < 2; ++j)
      CHECK_CLOSE(test::variance(m, k, j), r.var[std::size_t(k)][std::size_t(j)], 1e-5);
  const auto p = m.predict_proba(test::as<Scalar>(X));
  CHECK(p.allFinite());
  CHECK(m.predict(test::as<Scalar>(X)) == y);
}

TEST_CASE("labels of other integer types and extreme values") {
  const auto data = ref::blobs(60, 2, 3, 101);
  Eigen::Matrix<long long, Eigen::Dynamic, 1> y64(data.y.size());
  const long long values[] = {std::numeric_limits<int>::min(), 0, std::numeric_limits<int>::max()};
  for (Eigen::Index i = 0; i < y64.size(); ++i) y64[i] = values[data.y[i]];
  gda::GaussianNB<> m;
  m.fit(data.X, y64);
  CHECK(m.classes() == Eigen::Vector3i(std::numeric_limits<int>::min(), 0, std::numeric_limits<int>::max()));
  CHECK(m.score(data.X, y64) > 0.5);
  y64[4] = 1LL << 40;
  CHECK_THROWS_AS(m.fit(data.X, y64), gda::InvalidArgument);
}
