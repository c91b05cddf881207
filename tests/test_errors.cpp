// Every bad input throws a clear exception naming the function, the argument and the fault, and a call that
// throws leaves a fitted estimator exactly as it was.
#include <functional>
#include <limits>
#include <string>

#include "common.hpp"

namespace {

// Runs f, requires it to throw E, and checks that the message contains every fragment.
template <typename E>
void expect_throw(const std::function<void()>& f, std::initializer_list<const char*> fragments) {
  bool thrown = false;
  try {
    f();
  } catch (const E& e) {
    thrown = true;
    const std::string what = e.what();
    for (const char* frag : fragments) {
      INFO("message: " << what);
      INFO("expected to contain: " << frag);
      CHECK(what.find(frag) != std::string::npos);
    }
  }
  CHECK(thrown);
}

}  // namespace

TEST_CASE("options out of range, or for another kind, throw at construction") {
  gda::Options o;
  o.var_smoothing = -1;
  expect_throw<gda::InvalidArgument>([&] { gda::GaussianNB<> m(o); }, {"var_smoothing"});
  o.var_smoothing = std::numeric_limits<double>::quiet_NaN();
  expect_throw<gda::InvalidArgument>([&] { gda::GaussianNB<> m(o); }, {"var_smoothing"});
  o = gda::Options{};
  o.priors = Eigen::Vector2d(0.5, 0.6);
  expect_throw<gda::InvalidArgument>([&] { gda::SharedVarianceNB<> m(o); }, {"priors", "sum to 1"});
  o.priors = Eigen::Vector2d(1.5, -0.5);
  expect_throw<gda::InvalidArgument>([&] { gda::SharedVarianceNB<> m(o); }, {"priors[1]", ">= 0"});
  o.priors = Eigen::Vector2d(std::numeric_limits<double>::quiet_NaN(), 1);
  expect_throw<gda::InvalidArgument>([&] { gda::SharedVarianceNB<> m(o); }, {"priors[0]"});
  o = gda::Options{};
  o.shrinkage = 1.5;
  expect_throw<gda::InvalidArgument>([&] { gda::LDA<> m(o); }, {"shrinkage", "[0, 1]"});
  o.shrinkage = 0.3;
  expect_throw<gda::InvalidArgument>([&] { gda::QDA<> m(o); }, {"shrinkage applies to gda::LDA", "PerClassFull"});
  expect_throw<gda::InvalidArgument>([&] { gda::GaussianNB<> m(o); }, {"shrinkage applies to gda::LDA"});
  o = gda::Options{};
  o.reg_param = -0.1;
  expect_throw<gda::InvalidArgument>([&] { gda::QDA<> m(o); }, {"reg_param", "[0, 1]"});
  o.reg_param = 0.1;
  expect_throw<gda::InvalidArgument>([&] { gda::LDA<> m(o); }, {"reg_param applies to gda::QDA"});
  CHECK(std::is_base_of_v<std::invalid_argument, gda::InvalidArgument>);
}

TEST_CASE_TEMPLATE("using an unfitted estimator throws std::logic_error", Est, GDA_ESTIMATORS) {
  using Scalar = typename Est::Scalar;
  const Est m;
  const Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic> X = Eigen::Matrix<Scalar, -1, -1>::Ones(3, 2);
  CHECK_FALSE(m.is_fitted());
  expect_throw<std::logic_error>([&] { (void)m.predict(X); }, {"predict", "not fitted"});
  expect_throw<std::logic_error>([&] { (void)m.predict_proba(X); }, {"predict_proba"});
  expect_throw<std::logic_error>([&] { (void)m.predict_log_proba(X); }, {"predict_log_proba"});
  expect_throw<std::logic_error>([&] { (void)m.predict_joint_log_proba(X); }, {"predict_joint_log_proba"});
  expect_throw<std::logic_error>([&] { (void)m.score(X, Eigen::VectorXi::Zero(3)); }, {"predict"});
  expect_throw<std::logic_error>([&] { (void)m.means(); }, {"means"});
  expect_throw<std::logic_error>([&] { (void)m.classes(); }, {"classes"});
  expect_throw<std::logic_error>([&] { (void)test::variance(m, 0, 0); }, {"not fitted"});
  CHECK(std::is_base_of_v<std::logic_error, gda::NotFitted>);
}

TEST_CASE_TEMPLATE("bad fit input throws and a failed refit keeps the old model", Est, GDA_ESTIMATORS) {
  using Scalar = typename Est::Scalar;
  using Mat = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
  using Vec = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;
  const auto data = ref::blobs(120, 3, 3, 7);
  const Mat X = data.X.cast<Scalar>();
  const Eigen::VectorXi& y = data.y;
  Est m;
  m.fit(X, y);
  const test::Snapshot<Est> before(m, data.X);
  const Scalar nan = std::numeric_limits<Scalar>::quiet_NaN();
  const Scalar inf = std::numeric_limits<Scalar>::infinity();

  SUBCASE("empty X") {
    expect_throw<gda::InvalidArgument>([&] { m.fit(Mat(0, 3), Eigen::VectorXi(0)); }, {"fit", "X is empty"});
    expect_throw<gda::InvalidArgument>([&] { m.fit(Mat(5, 0), Eigen::VectorXi::Zero(5)); }, {"fit", "X is empty"});
  }
  SUBCASE("lengths of X, y and w differ") {
    expect_throw<gda::InvalidArgument>([&] { m.fit(X, y.head(100)); }, {"fit", "120 rows", "100 labels"});
    expect_throw<gda::InvalidArgument>([&] { m.fit(X, y, Vec::Ones(7)); }, {"fit", "w has 7"});
    expect_throw<gda::InvalidArgument>([&] { m.fit(X, Eigen::MatrixXi::Zero(120, 2)); }, {"fit", "y must be a vector"});
  }
  SUBCASE("a NaN or an infinity in X, located") {
    for (const Scalar bad : {nan, inf, -inf}) {
      Mat Xb = X;
      Xb(77, 2) = bad;
      bool thrown = false;
      try {
        m.fit(Xb, y);
      } catch (const gda::NonFiniteValue& e) {
        thrown = true;
        CHECK(e.row() == 77);
        CHECK(e.col() == 2);
        CHECK(std::string(e.what()).find("fit: X has a non-finite value") != std::string::npos);
        CHECK(std::string(e.what()).find("row 77, column 2") != std::string::npos);
      }
      CHECK(thrown);
      // Also at weight 0, where the row contributes nothing else.
      Vec w = Vec::Ones(120);
      w[77] = 0;
      expect_throw<gda::NonFiniteValue>([&] { m.fit(Xb, y, w); }, {"row 77, column 2"});
      // And when every row of its class has weight 0, so that the class has no statistics to update.
      for (Eigen::Index i = 0; i < 120; ++i) w[i] = y[i] == y[77] ? 0 : 1;
      expect_throw<gda::NonFiniteValue>([&] { m.fit(Xb, y, w); }, {"row 77, column 2"});
    }
  }
  SUBCASE("bad weights") {
    Vec w = Vec::Ones(120);
    w[5] = -1;
    expect_throw<gda::InvalidArgument>([&] { m.fit(X, y, w); }, {"fit", "w[5]", "non-negative"});
    w[5] = nan;
    expect_throw<gda::InvalidArgument>([&] { m.fit(X, y, w); }, {"w[5]"});
    w[5] = inf;
    expect_throw<gda::InvalidArgument>([&] { m.fit(X, y, w); }, {"w[5]"});
    expect_throw<gda::InvalidArgument>([&] { m.fit(X, y, Vec::Zero(120)); }, {"fit", "weights sum to zero"});
  }
  SUBCASE("fixed priors of the wrong length for the classes") {
    gda::Options o;
    o.priors = Eigen::Vector2d(0.5, 0.5);
    Est p(o);
    p.fit(X.topRows(40), Eigen::VectorXi(y.head(40).unaryExpr([](int v) { return v % 2; })));
    const test::Snapshot<Est> p_before(p, data.X);
    expect_throw<gda::InvalidArgument>([&] { p.fit(X, y); }, {"fit", "priors has 2 entries", "3 classes"});
    CHECK(test::Snapshot<Est>(p, data.X) == p_before);
  }
  SUBCASE("all of X constant") {
    expect_throw<gda::InvalidArgument>([&] { m.fit(Mat::Constant(10, 3, Scalar(2.5)), y.head(10)); },
                                       {"fit", Est::Kind::full ? "is singular" : "every feature of X is constant"});
  }
  SUBCASE("a zero variance without regularisation names the fault and the option") {
    Mat Xz = X;
    Xz.col(1).setConstant(Scalar(3));
    if constexpr (Est::Kind::full) {
      Est z;
      const char* option = Est::Kind::shared ? "Options::shrinkage" : "Options::reg_param";
      expect_throw<gda::InvalidArgument>([&] { z.fit(Xz, y); }, {"fit", "covariance", "singular", option});
      CHECK_FALSE(z.is_fitted());
    } else {
      gda::Options o;
      o.var_smoothing = 0;
      Est z(o);
      expect_throw<gda::InvalidArgument>([&] { z.fit(Xz, y); }, {"fit", "feature 1", "var_smoothing"});
      CHECK_FALSE(z.is_fitted());
    }
  }
  SUBCASE("labels that do not fit in int") {
    Eigen::Matrix<long long, Eigen::Dynamic, 1> y64 = y.cast<long long>();
    y64[9] = 1LL << 33;
    expect_throw<gda::InvalidArgument>([&] { m.fit(X, y64); }, {"fit", "y[9]", "does not fit in int"});
  }
  CHECK(test::Snapshot<Est>(m, data.X) == before);
}

TEST_CASE_TEMPLATE("bad predict input throws", Est, GDA_ESTIMATORS) {
  using Scalar = typename Est::Scalar;
  using Mat = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
  const auto data = ref::blobs(90, 5, 3, 8);
  Est m;
  m.fit(data.X.cast<Scalar>(), data.y);
  const test::Snapshot<Est> before(m, data.X);
  expect_throw<gda::InvalidArgument>([&] { (void)m.predict_proba(Mat::Zero(4, 7)); },
                                     {"predict_proba: X has 7 columns, the model was fitted on 5"});
  expect_throw<gda::InvalidArgument>([&] { (void)m.predict(Mat::Zero(4, 4)); }, {"predict: X has 4 columns"});
  expect_throw<gda::InvalidArgument>([&] { (void)m.predict_log_proba(Mat(0, 5)); }, {"predict_log_proba", "empty"});
  Mat Xb = data.X.cast<Scalar>();
  Xb(33, 4) = std::numeric_limits<Scalar>::quiet_NaN();
  expect_throw<gda::NonFiniteValue>([&] { (void)m.predict_joint_log_proba(Xb); },
                                    {"predict_joint_log_proba", "row 33, column 4"});
  Xb(33, 4) = -std::numeric_limits<Scalar>::infinity();
  expect_throw<gda::NonFiniteValue>([&] { (void)m.predict(Xb); }, {"predict", "row 33, column 4"});
  Mat out(90, 2);
  expect_throw<gda::InvalidArgument>([&] { m.predict_proba(data.X.cast<Scalar>(), out); },
                                     {"predict_proba", "out is 90 x 2, expected 90 x 3"});
  Eigen::VectorXi labels(89);
  expect_throw<gda::InvalidArgument>([&] { m.predict(data.X.cast<Scalar>(), labels); }, {"predict", "out is 89 x 1"});
  CHECK(test::Snapshot<Est>(m, data.X) == before);
}

TEST_CASE("a class whose every weight is zero has probability zero") {
  const auto data = ref::blobs(150, 2, 3, 9);
  Eigen::VectorXd w = Eigen::VectorXd::Ones(150);
  for (Eigen::Index i = 0; i < 150; ++i)
    if (data.y[i] == 1) w[i] = 0;
  gda::GaussianNB<> m;
  m.fit(data.X, data.y, w);
  CHECK(m.classes().size() == 3);
  CHECK(m.class_count()[1] == 0);
  CHECK(m.priors()[1] == 0);
  const Eigen::MatrixXd p = m.predict_proba(data.X);
  CHECK(p.col(1).isZero(0));
  CHECK(p.allFinite());
  CHECK((m.predict(data.X).array() != 1).all());
  // Fixed priors cannot revive it: a class without data has no likelihood.
  gda::Options o;
  o.priors = Eigen::Vector3d(0, 0.5, 0.5);
  gda::GaussianNB<> f(o);
  f.fit(data.X, data.y, w);
  CHECK(f.predict_proba(data.X).col(1).isZero(0));
  CHECK(f.predict_proba(data.X).col(0).isZero(0));
  CHECK((f.predict(data.X).array() == 2).all());
  o.priors = Eigen::Vector3d(0, 1, 0);
  gda::GaussianNB<> none(o);
  expect_throw<gda::InvalidArgument>([&] { none.fit(data.X, data.y, w); },
                                     {"fit", "every class with samples has prior 0"});
}

TEST_CASE("a class too far from the others for the scalar type is refused, not mis-scored") {
  // Feature 0 is -1e30 in class 0 and +1e30 in class 1, constant within each; var_smoothing 1e-90 leaves each
  // class a standard deviation of 1e-15 (overall variance 1e60). In standard deviations the means lie 7e44 from
  // the centre: beyond float, well within double.
  Eigen::MatrixXd X(6, 2);
  X << -1e30, 0.5, -1e30, -0.25, -1e30, 1.0, 1e30, 0.0, 1e30, 2.0, 1e30, -1.0;
  const Eigen::VectorXi y = (Eigen::VectorXi(6) << 0, 0, 0, 1, 1, 1).finished();
  gda::Options o;
  o.var_smoothing = 1e-90;
  gda::GaussianNB<float> f(o);
  expect_throw<gda::InvalidArgument>([&] { f.fit(X.cast<float>().eval(), y); },
                                     {"fit", "the parameters of class 0 overflow the scalar type"});
  gda::GaussianNB<double> d(o);
  d.fit(X, y);
  const Eigen::MatrixXd p = d.predict_proba(X);
  CHECK(p.col(0).head(3).isOnes(0));
  CHECK(p.col(1).tail(3).isOnes(0));
}

// Finite X whose centred squares overflow double: each kind checks its block moments (per feature, or the diagonal
// of the running scatter matrix for LDA and QDA) and names the column, rather than returning infinite variances.
TEST_CASE_TEMPLATE("finite values whose squares overflow double are refused, naming the column", Est,
                   gda::SharedVarianceNB<double>, gda::GaussianNB<double>, gda::LDA<double>, gda::QDA<double>) {
  Eigen::MatrixXd X(6, 2);
  X << 0.5, 1e200, 1.5, -1e200, 1.0, 1e200, 4.0, 1.0, 5.0, 2.0, 4.5, 3.0;
  const Eigen::VectorXi y = (Eigen::VectorXi(6) << 0, 0, 0, 1, 1, 1).finished();
  Est m;
  expect_throw<gda::InvalidArgument>([&] { m.fit(X, y); }, {"fit", "column 1", "too large"});
  CHECK_FALSE(m.is_fitted());
}
