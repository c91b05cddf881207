// partial_fit, merge and threads all reduce to the same sufficient statistics, so every way of fitting gives
// the single fit's answer: checked on random splits, merge orders and thread counts.
#include <algorithm>
#include <numeric>
#include <random>

#include "common.hpp"

using test::ld;

namespace {

// Splits [0, n) into pieces of random sizes: many of one row, some large.
std::vector<Eigen::Index> random_cuts(Eigen::Index n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> kind(0, 3);
  std::vector<Eigen::Index> cuts{0};
  while (cuts.back() < n) {
    const int k = kind(rng);
    const Eigen::Index len = k == 0 ? 1 : k == 1 ? 7 : k == 2 ? 53 : 400;
    cuts.push_back(std::min(n, cuts.back() + len));
  }
  return cuts;
}

// The largest relative difference of two fitted models' parameters and log posteriors on probe.
template <typename Est>
double max_rel_diff(const Est& a, const Est& b, const Eigen::MatrixXd& probe) {
  auto rel = [](const auto& x, const auto& y) { return ((x - y).array().abs() / (1 + y.array().abs())).maxCoeff(); };
  double d = rel(a.means(), b.means());
  d = std::max(d, rel(test::variances(a), test::variances(b)));
  d = std::max(d, rel(a.priors(), b.priors()));
  if constexpr (Est::Kind::full) {
    if constexpr (Est::Kind::shared)
      d = std::max(d, rel(a.covariance(), b.covariance()));
    else
      for (std::size_t k = 0; k < a.covariance().size(); ++k)
        d = std::max(d, rel(a.covariance()[k], b.covariance()[k]));
  } else {
    d = std::max(d, std::abs(a.epsilon() - b.epsilon()) / b.epsilon());
  }
  d = std::max(d, rel(a.predict_log_proba(probe), b.predict_log_proba(probe)));
  return d;
}

const Eigen::Vector4i all_classes(0, 1, 2, 3);

}  // namespace

TEST_CASE_TEMPLATE("partial_fit in random pieces equals one fit", Kind, gda::SharedDiagonal, gda::PerClassDiagonal,
                   gda::SharedFull, gda::PerClassFull) {
  using Est = gda::GaussianClassifier<double, Kind>;
  for (const double offset : {0.0, 37.0, -100.0, 1e9}) {
    CAPTURE(offset);
    // Class means lie within 100 standard deviations of zero except at the offset of 1e9.
    auto data = ref::blobs(2500, 5, 4, 100 + std::uint32_t(std::abs(offset) / 10), offset, 3.0);
    if (Kind::full) data.X = test::correlate(data.X);
    // Sorting by label makes most pieces lack most classes.
    std::vector<Eigen::Index> order(std::size_t(data.X.rows()));
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](auto i, auto j) { return data.y[i] < data.y[j]; });
    Eigen::MatrixXd X(data.X.rows(), data.X.cols());
    Eigen::VectorXi y(data.y.size());
    for (std::size_t i = 0; i < order.size(); ++i) {
      X.row(Eigen::Index(i)) = data.X.row(order[i]);
      y[Eigen::Index(i)] = data.y[order[i]];
    }
    Est whole;
    whole.fit(X, y);
    Est stream;
    const auto cuts = random_cuts(X.rows(), 7);
    for (std::size_t c = 0; c + 1 < cuts.size(); ++c) {
      const Eigen::Index r0 = cuts[c], len = cuts[c + 1] - cuts[c];
      if (c == 0)
        stream.partial_fit(X.middleRows(r0, len), y.segment(r0, len), all_classes);
      else
        stream.partial_fit(X.middleRows(r0, len), y.segment(r0, len));
    }
    // 1e-7 is the bound promised at offsets of 1e9; compensated means do far better.
    const double tol = offset == 1e9 ? 1e-9 : 1e-12;
    CHECK(stream.class_count() == whole.class_count());
    CHECK(max_rel_diff(stream, whole, data.X) <= tol);
    // And against the long-double reference directly.
    if constexpr (Kind::full) {
      const auto r = ref::fit_full(X, y, {}, Kind::shared);
      for (Eigen::Index k = 0; k < 4; ++k)
        for (Eigen::Index j = 0; j < 5; ++j) {
          CHECK_CLOSE(stream.means()(k, j), r.mean[std::size_t(k)][std::size_t(j)], tol);
          for (Eigen::Index i = 0; i < 5; ++i) {
            const auto& cov = r.cov[std::size_t(k)][std::size_t(j)][std::size_t(i)];
            if constexpr (Kind::shared)
              CHECK_CLOSE(stream.covariance()(j, i), cov, tol);
            else
              CHECK_CLOSE(stream.covariance()[std::size_t(k)](j, i), cov, tol);
          }
        }
    } else {
      const auto r = ref::fit(X, y, {}, Kind::shared, 1e-9);
      for (Eigen::Index k = 0; k < 4; ++k)
        for (Eigen::Index j = 0; j < 5; ++j) {
          CHECK_CLOSE(stream.means()(k, j), r.mean[std::size_t(k)][std::size_t(j)], tol);
          CHECK_CLOSE(test::variance(stream, k, j), r.var[std::size_t(k)][std::size_t(j)], tol);
        }
    }
  }
}

TEST_CASE_TEMPLATE("merging shards in any order equals one fit", Kind, gda::SharedDiagonal, gda::PerClassDiagonal,
                   gda::SharedFull, gda::PerClassFull) {
  using Est = gda::GaussianClassifier<double, Kind>;
  for (const double offset : {0.0, 1e9}) {
    auto data = ref::blobs(1800, 3, 4, 200, offset, 2.0);
    if (Kind::full) data.X = test::correlate(data.X);
    Est whole;
    whole.fit(data.X, data.y);
    const auto cuts = random_cuts(data.X.rows(), 11);
    std::vector<Est> shards;
    for (std::size_t c = 0; c + 1 < cuts.size(); ++c) {
      Est s;
      s.partial_fit(data.X.middleRows(cuts[c], cuts[c + 1] - cuts[c]), data.y.segment(cuts[c], cuts[c + 1] - cuts[c]),
                    all_classes);
      shards.push_back(s);
    }
    std::vector<std::size_t> order(shards.size());
    std::iota(order.begin(), order.end(), 0);
    std::mt19937 rng(3);
    for (int trial = 0; trial < 3; ++trial) {
      std::shuffle(order.begin(), order.end(), rng);
      Est merged;  // an unfitted estimator takes the first shard's classes
      for (const std::size_t i : order) merged.merge(shards[i]);
      CHECK(max_rel_diff(merged, whole, data.X) <= (offset == 0 ? 1e-12 : 1e-9));
    }
    // A pairwise tree of merges too.
    std::vector<Est> level = shards;
    while (level.size() > 1) {
      std::vector<Est> next;
      for (std::size_t i = 0; i + 1 < level.size(); i += 2) next.push_back(level[i].merge(level[i + 1]));
      if (level.size() % 2) next.push_back(level.back());
      level = next;
    }
    CHECK(max_rel_diff(level[0], whole, data.X) <= (offset == 0 ? 1e-12 : 1e-9));
  }
}

TEST_CASE_TEMPLATE("results are the same for every thread count", Est, GDA_ESTIMATORS) {
  using Scalar = typename Est::Scalar;
  // Enough rows for several fitting chunks and many scoring blocks.
  const auto data = ref::blobs(60000, 40, 5, 300, 4.0);
  const auto X = test::as<Scalar>(data.X);
  Eigen::Matrix<Scalar, Eigen::Dynamic, 1> w = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>::LinSpaced(X.rows(), 0.5, 2);
  Est one, two, three;
  Eigen::Matrix<Scalar, -1, -1> p1, p2, p3;
  {
    gda::ThreadLimit limit(1);
    CHECK(gda::num_threads() == 1);
    one.fit(X, data.y, w);
    p1 = one.predict_proba(X);
  }
  {
    gda::ThreadLimit limit(2);
#ifdef _OPENMP
    CHECK(gda::num_threads() == 2);
#endif
    two.fit(X, data.y, w);
    p2 = two.predict_proba(X);
  }
  {
    gda::ThreadLimit limit(3);
    three.fit(X, data.y, w);
    p3 = three.predict_proba(X);
  }
  // The chunking and the merge order do not depend on the thread count: bit-for-bit equal.
  CHECK(one.statistics().means() == two.statistics().means());
  CHECK(one.statistics().m2() == two.statistics().m2());
  CHECK(one.statistics().m2() == three.statistics().m2());
  CHECK(p1 == p2);
  CHECK(p1 == p3);
}

TEST_CASE("thread settings") {
  CHECK_THROWS_AS(gda::set_num_threads(-1), gda::InvalidArgument);
  CHECK_THROWS_AS(gda::ThreadLimit(-2), gda::InvalidArgument);
  const int all = gda::num_threads();
  {
    gda::ThreadLimit outer(1);
    {
      gda::ThreadLimit inner(0);  // defers to the global setting
      CHECK(gda::num_threads() == all);
    }
    CHECK(gda::num_threads() == 1);
  }
  CHECK(gda::num_threads() == all);
#ifdef _OPENMP
  gda::set_num_threads(1);
  CHECK(gda::num_threads() == 1);
  gda::set_num_threads(0);
  CHECK(gda::num_threads() == all);
#endif
}

TEST_CASE("epsilon comes from all data seen, not from the last batch") {
  // Batch 1 has a small spread, batch 2 a large one: the single fit's epsilon uses the spread of both.
  const auto a = ref::blobs(300, 2, 2, 400, 0, 1);
  auto b = ref::blobs(300, 2, 2, 401, 0, 1);
  b.X *= 50;
  Eigen::MatrixXd X(600, 2);
  X << a.X, b.X;
  Eigen::VectorXi y(600);
  y << a.y, b.y;
  gda::GaussianNB<> whole, stream;
  whole.fit(X, y);
  stream.partial_fit(a.X, a.y, Eigen::Vector2i(0, 1));
  const double eps_first = stream.epsilon();
  stream.partial_fit(b.X, b.y);
  CHECK(stream.epsilon() == doctest::Approx(whole.epsilon()).epsilon(1e-12));
  CHECK(stream.epsilon() > 100 * eps_first);
}

TEST_CASE("a stream may start with too little data to predict") {
  Eigen::MatrixXd x1(1, 2);
  x1 << 1, 2;
  gda::SharedVarianceNB<> m;
  m.partial_fit(x1, Eigen::VectorXi::Constant(1, 5), Eigen::Vector2i(5, 6));
  CHECK_FALSE(m.is_fitted());
  CHECK(m.classes() == Eigen::Vector2i(5, 6));
  CHECK_THROWS_AS((void)m.predict(x1), gda::NotFitted);
  Eigen::MatrixXd x2(2, 2);
  x2 << 3, 1, 4, 0;
  m.partial_fit(x2, Eigen::Vector2i(6, 6));
  CHECK(m.is_fitted());
  // The three rows in one fit give the same model.
  Eigen::MatrixXd all(3, 2);
  all << x1, x2;
  gda::SharedVarianceNB<> whole;
  whole.fit(all, Eigen::Vector3i(5, 6, 6));
  CHECK(max_rel_diff(m, whole, all) <= 1e-12);
}

TEST_CASE("partial_fit and merge reject what does not fit and change nothing") {
  const auto data = ref::blobs(200, 3, 3, 500);
  gda::GaussianNB<> m;
  CHECK_THROWS_WITH_AS(m.partial_fit(data.X, data.y), doctest::Contains("the first call must declare classes"),
                       gda::InvalidArgument);
  CHECK_THROWS_WITH_AS(m.partial_fit(data.X, data.y, Eigen::Vector3i(0, 1, 1)),
                       doctest::Contains("classes lists the label 1 twice"), gda::InvalidArgument);
  // Label 2 is not among the declared classes {0, 1}.
  CHECK_THROWS_WITH_AS(m.partial_fit(data.X, data.y, Eigen::Vector2i(0, 1)),
                       doctest::Contains("is not one of the declared classes"), gda::InvalidArgument);
  CHECK_THROWS_AS((void)m.classes(), gda::NotFitted);

  m.partial_fit(data.X.topRows(100), data.y.head(100), Eigen::Vector3i(2, 0, 1));  // any order
  CHECK(m.classes() == Eigen::Vector3i(0, 1, 2));
  const test::Snapshot<gda::GaussianNB<>> before(m, data.X);
  Eigen::VectorXi bad = data.y.tail(100);
  bad[60] = 9;
  CHECK_THROWS_WITH_AS(m.partial_fit(data.X.bottomRows(100), bad), doctest::Contains("y[60] = 9"),
                       gda::InvalidArgument);
  CHECK_THROWS_WITH_AS(m.partial_fit(data.X.bottomRows(100), data.y.tail(100), Eigen::Vector2i(0, 1)),
                       doctest::Contains("differ from the classes"), gda::InvalidArgument);
  CHECK_THROWS_WITH_AS(m.partial_fit(data.X.leftCols(2), data.y), doctest::Contains("X has 2 columns"),
                       gda::InvalidArgument);
  Eigen::MatrixXd nan = data.X.bottomRows(100);
  nan(99, 1) = std::nan("");
  CHECK_THROWS_AS(m.partial_fit(nan, data.y.tail(100)), gda::NonFiniteValue);
  gda::GaussianNB<> other, unfitted;
  other.fit(data.X.leftCols(2), data.y);
  CHECK_THROWS_WITH_AS(m.merge(other), doctest::Contains("merge: other has 2 features"), gda::InvalidArgument);
  other.fit(data.X, Eigen::VectorXi(data.y.array().min(1)));
  CHECK_THROWS_WITH_AS(m.merge(other), doctest::Contains("merge: other has classes (0, 1)"), gda::InvalidArgument);
  CHECK_THROWS_WITH_AS(m.merge(unfitted), doctest::Contains("other has not been fitted"), gda::InvalidArgument);
  CHECK(test::Snapshot<gda::GaussianNB<>>(m, data.X) == before);
}

TEST_CASE("statistics travel: from_statistics rebuilds the model") {
  const auto data = ref::blobs(300, 4, 3, 600, 2.0);
  gda::SharedVarianceNB<> m;
  m.fit(data.X, data.y);
  const gda::DiagonalStatistics& s = m.statistics();
  // As received from another process: plain arrays, validated on construction. With the residuals the
  // transport is exact; without them the means lose at most their last bit.
  const gda::DiagonalStatistics received(s.weights(), s.means(), s.m2(), s.mean_residuals());
  const auto copy = gda::SharedVarianceNB<>::from_statistics(m.classes(), received);
  CHECK(copy.predict_proba(data.X) == m.predict_proba(data.X));
  const auto rounded =
      gda::SharedVarianceNB<>::from_statistics(m.classes(), gda::DiagonalStatistics(s.weights(), s.means(), s.m2()));
  CHECK((rounded.predict_log_proba(data.X) - m.predict_log_proba(data.X)).cwiseAbs().maxCoeff() <= 1e-12);
  CHECK_THROWS_AS(gda::DiagonalStatistics(s.weights(), s.means(), s.m2(), Eigen::MatrixXd::Zero(1, 1)),
                  gda::InvalidArgument);
  CHECK_THROWS_AS(gda::SharedVarianceNB<>::from_statistics(Eigen::Vector3i(0, 2, 1), received), gda::InvalidArgument);
  CHECK_THROWS_AS(gda::SharedVarianceNB<>::from_statistics(Eigen::Vector2i(0, 1), received), gda::InvalidArgument);
}
