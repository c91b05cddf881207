// Saving and loading: exact round trips for every kind and scalar, continuing after a load, scalar conversion,
// and a loader that rejects every malformed file with FormatError; import from parameters.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <sstream>
#include <string>
#include <utility>

#include "common.hpp"

namespace {

template <typename Est>
std::string saved(const Est& m) {
  std::ostringstream out(std::ios::binary);
  m.save(out);
  return out.str();
}

template <typename Est>
Est loaded(const std::string& bytes, gda::Convert convert = gda::Convert::never) {
  std::istringstream in(bytes, std::ios::binary);
  return Est::load(in, convert);
}

template <typename Est>
Est fitted_model(std::uint32_t seed) {
  const ref::Blobs b = ref::blobs(300, 4, 3, seed, 0, 2, {-5, 2, 40});
  Eigen::VectorXd w = Eigen::VectorXd::LinSpaced(300, 0.5, 2.0);
  Est m;
  m.fit(test::correlate(b.X).cast<typename Est::Scalar>(), b.y, w.cast<typename Est::Scalar>());
  return m;
}

template <typename Est>
void check_identical(const Est& a, const Est& b) {
  REQUIRE(a.is_fitted() == b.is_fitted());
  CHECK(a.classes() == b.classes());
  CHECK(a.statistics().weights() == b.statistics().weights());
  CHECK(a.statistics().means() == b.statistics().means());
  CHECK(a.statistics().mean_residuals() == b.statistics().mean_residuals());
  CHECK(a.statistics().m2() == b.statistics().m2());
  CHECK(a.options().var_smoothing == b.options().var_smoothing);
  CHECK(a.options().shrinkage == b.options().shrinkage);
  CHECK(a.options().reg_param == b.options().reg_param);
  CHECK(a.options().priors == b.options().priors);
  if (!a.is_fitted()) return;
  CHECK(a.priors() == b.priors());
  CHECK(a.means() == b.means());
  if constexpr (Est::Kind::full && Est::Kind::shared)
    CHECK(a.covariance() == b.covariance());
  else if constexpr (Est::Kind::full)
    for (std::size_t k = 0; k < a.covariance().size(); ++k) CHECK(a.covariance()[k] == b.covariance()[k]);
  else
    CHECK(a.variances() == b.variances());
  const ref::Blobs probe = ref::blobs(50, a.n_features(), 3, 99);
  const auto X = probe.X.cast<typename Est::Scalar>().eval();
  CHECK(a.predict_proba(X) == b.predict_proba(X));
  CHECK(a.predict_joint_log_proba(X) == b.predict_joint_log_proba(X));
  CHECK(a.predict(X) == b.predict(X));
}

// A hand-made file: the test writes headers byte by byte so it can state what each hostile case contains.
struct Bytes {
  std::string s;
  void u8(unsigned v) { s.push_back(static_cast<char>(v & 0xFF)); }
  void u32(std::uint32_t v) {
    for (int b = 0; b < 4; ++b) u8(v >> (8 * b));
  }
  void u64(std::uint64_t v) {
    for (int b = 0; b < 8; ++b) u8(static_cast<unsigned>(v >> (8 * b)));
  }
  void f64(double v) {
    std::uint64_t u;
    std::memcpy(&u, &v, 8);
    u64(u);
  }
  void header(unsigned version, unsigned scalar, unsigned kind, unsigned flags, std::uint64_t k, std::uint64_t d,
              std::uint64_t payload) {
    for (unsigned c : {0x89u, unsigned('G'), unsigned('D'), unsigned('A'), 13u, 10u, 26u, 10u}) u8(c);
    u32(version);
    u8(scalar);
    u8(kind);
    u8(flags);
    u8(0);
    u64(k);
    u64(d);
    f64(1e-9);
    f64(0);
    f64(0);
    u64(payload);
  }
  std::string sealed() const {
    Bytes b = *this;
    b.u32(gda::detail::crc32(reinterpret_cast<const unsigned char*>(s.data()), s.size()));
    return b.s;
  }
};

// A valid one-feature GaussianNB<double> file with two classes, whose parts a test may spoil.
struct SmallFile {
  int classes[2] = {1, 7};
  double weights[2] = {2, 3}, means[2] = {0, 1}, residuals[2] = {0, 0}, m2[2] = {2, 3};
  double prior_sum_check[2] = {0.5, 0.5};
  bool priors = false, fitted = true;
  std::string bytes() const {
    Bytes b;
    b.header(1, 8, 1, (priors ? 1 : 0) | (fitted ? 2 : 0), 2, 1, priors ? 2 * (12 + 24 + 8) : 2 * (12 + 24));
    for (int c : classes) b.u32(static_cast<std::uint32_t>(c));
    if (priors)
      for (double p : prior_sum_check) b.f64(p);
    for (double w : weights) b.f64(w);
    for (double m : means) b.f64(m);
    for (double r : residuals) b.f64(r);
    for (double v : m2) b.f64(v);
    return b.sealed();
  }
};

template <typename Fn>
std::string format_error(Fn fn) {
  try {
    fn();
  } catch (const gda::FormatError& e) {
    return e.what();
  }
  return "no FormatError";
}

}  // namespace

// Loads a file of any kind and scalar by asking inspect() first, as a program that reads unknown models does.
template <typename Fn>
void with_loaded(const std::filesystem::path& path, Fn fn) {
  const gda::ModelInfo info = gda::inspect(path);
  const auto as = [&](auto tag) {
    using Est = decltype(tag);
    fn(Est::load(path));
  };
  if (info.full && info.shared)
    info.scalar_bytes == 4 ? as(gda::LDA<float>()) : as(gda::LDA<double>());
  else if (info.full)
    info.scalar_bytes == 4 ? as(gda::QDA<float>()) : as(gda::QDA<double>());
  else if (info.shared)
    info.scalar_bytes == 4 ? as(gda::SharedVarianceNB<float>()) : as(gda::SharedVarianceNB<double>());
  else
    info.scalar_bytes == 4 ? as(gda::GaussianNB<float>()) : as(gda::GaussianNB<double>());
}

TEST_CASE("model files written by earlier versions of gda still load") {
  // fuzz/corpus holds committed files of every kind and scalar (fuzz/make_corpus.cpp wrote them).
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(GDA_CORPUS)) {
    const std::string name = entry.path().filename().string();
    CAPTURE(name);
    with_loaded(entry.path(), [&](const auto& m) {
      // One row cannot define variances, except through QDA's reg_param (0.25 I), which the QDA files set.
      CHECK(m.is_fitted() == (name.find("one_row") == std::string::npos || name.rfind("qda", 0) == 0));
      CHECK(m.classes().size() == 3);
      CHECK(m.statistics().n_features() == 3);
      const std::string scalar = sizeof(typename std::decay_t<decltype(m)>::Scalar) == 4 ? "float" : "double";
      CHECK(name.find(scalar) != std::string::npos);
    });
    ++files;
  }
  CHECK(files == 16);
}

TEST_CASE("the checksum is zlib's CRC-32") {
  // The standard check value of CRC-32/ISO-HDLC.
  const char* digits = "123456789";
  CHECK(gda::detail::crc32(reinterpret_cast<const unsigned char*>(digits), 9) == 0xCBF43926u);
}

TEST_CASE_TEMPLATE("save and load round-trip bit for bit", Est, GDA_ESTIMATORS) {
  gda::Options opt;
  opt.priors = Eigen::Vector3d(0.2, 0.5, 0.3);
  if constexpr (Est::Kind::full && Est::Kind::shared) opt.shrinkage = gda::Options::ledoit_wolf;
  if constexpr (Est::Kind::full && !Est::Kind::shared) opt.reg_param = 0.125;
  if constexpr (!Est::Kind::full) opt.var_smoothing = 1e-3;
  for (const bool with_options : {false, true}) {
    CAPTURE(with_options);
    const ref::Blobs b = ref::blobs(300, 4, 3, 5, 0, 2, {-5, 2, 40});
    Est m(with_options ? opt : gda::Options{});
    m.fit(test::correlate(b.X).cast<typename Est::Scalar>(), b.y);
    const std::string bytes = saved(m);
    check_identical(m, loaded<Est>(bytes));
    // Saving the loaded model writes the same bytes.
    CHECK(saved(loaded<Est>(bytes)) == bytes);
  }
}

TEST_CASE_TEMPLATE("a file holds exactly one model; save to a path replaces it whole", Est, GDA_ESTIMATORS) {
  const Est m = fitted_model<Est>(3);
  const std::filesystem::path dir = std::filesystem::temp_directory_path();
  const std::filesystem::path path = dir / ("gda_test_" + std::to_string(gda::detail::kind_code<typename Est::Kind>()) +
                                            "_" + std::to_string(sizeof(typename Est::Scalar)) + ".gda");
  m.save(path);
  m.save(path);  // over an existing file
  check_identical(m, Est::load(path));
  CHECK_FALSE(std::filesystem::exists(path.string() + ".tmp"));
  {
    std::ofstream out(path, std::ios::binary | std::ios::app);
    out << "x";
  }
  CHECK(format_error([&] { Est::load(path); }).find("bytes after the model") != std::string::npos);
  std::filesystem::remove(path);
  CHECK_THROWS_AS(Est::load(path), gda::IoError);
  CHECK_THROWS_AS(m.save(dir / "no such directory" / "m.gda"), gda::IoError);
  CHECK_THROWS_AS(Est().save(path), gda::NotFitted);
  // Several models in one stream, read back in order.
  const Est other = fitted_model<Est>(4);
  std::stringstream both(std::ios::in | std::ios::out | std::ios::binary);
  m.save(both);
  other.save(both);
  check_identical(m, Est::load(both));
  check_identical(other, Est::load(both));
}

TEST_CASE_TEMPLATE("a loaded model continues with partial_fit and merge", Est, GDA_ESTIMATORS) {
  using Scalar = typename Est::Scalar;
  const ref::Blobs b = ref::blobs(400, 3, 3, 11, 0, 2, {0, 1, 2});
  const auto X = test::correlate(b.X).cast<Scalar>().eval();
  const Eigen::VectorXi classes = Eigen::Vector3i(0, 1, 2);

  Est straight;
  straight.partial_fit(X.topRows(150), b.y.head(150), classes).partial_fit(X.bottomRows(250), b.y.tail(250));
  Est first;
  first.partial_fit(X.topRows(150), b.y.head(150), classes);
  Est resumed = loaded<Est>(saved(first));
  resumed.partial_fit(X.bottomRows(250), b.y.tail(250));
  check_identical(straight, resumed);

  Est rest;
  rest.partial_fit(X.bottomRows(250), b.y.tail(250), classes);
  Est merged = loaded<Est>(saved(first));
  merged.merge(loaded<Est>(saved(rest)));
  Est merged_direct = first;
  merged_direct.merge(rest);
  check_identical(merged_direct, merged);

  // Statistics that cannot predict yet (one row) are saved and resumed too.
  Est one;
  one.partial_fit(X.topRows(1), b.y.head(1), classes);
  REQUIRE_FALSE(one.is_fitted());
  Est one_back = loaded<Est>(saved(one));
  CHECK_FALSE(one_back.is_fitted());
  one_back.partial_fit(X.bottomRows(399), b.y.tail(399));
  Est one_direct = one;
  one_direct.partial_fit(X.bottomRows(399), b.y.tail(399));
  check_identical(one_direct, one_back);
}

TEST_CASE_TEMPLATE("another scalar type loads only on request", Kind, gda::SharedDiagonal, gda::PerClassDiagonal,
                   gda::SharedFull, gda::PerClassFull) {
  using F = gda::GaussianClassifier<float, Kind>;
  using D = gda::GaussianClassifier<double, Kind>;
  const F f = fitted_model<F>(21);
  const std::string bytes = saved(f);
  CHECK(format_error([&] { loaded<D>(bytes); }).find("saved with float") != std::string::npos);
  const D d = loaded<D>(bytes, gda::Convert::scalar);
  // The statistics travel unchanged (they are double in both); the parameters follow them in double.
  CHECK(d.statistics().m2() == f.statistics().m2());
  CHECK(d.statistics().means() == f.statistics().means());
  const ref::Blobs probe = ref::blobs(40, 4, 3, 8);
  CHECK((d.predict_proba(probe.X) - f.predict_proba(probe.X.cast<float>()).template cast<double>())
            .cwiseAbs()
            .maxCoeff() < 1e-4);
  const D dd = fitted_model<D>(21);
  CHECK(format_error([&] { loaded<F>(saved(dd)); }).find("saved with double") != std::string::npos);
  CHECK(loaded<F>(saved(dd), gda::Convert::scalar).statistics().m2() == dd.statistics().m2());
}

TEST_CASE_TEMPLATE("converting to float refuses means beyond float's range", Kind, gda::SharedDiagonal,
                   gda::PerClassDiagonal, gda::SharedFull, gda::PerClassFull) {
  const ref::Blobs b = ref::blobs(100, 2, 2, 7);
  gda::GaussianClassifier<double, Kind> big;
  big.fit((b.X.array() * 1e39 + 2e39).matrix().eval(), b.y);  // float's largest is 3.4e38
  const std::string msg =
      format_error([&] { loaded<gda::GaussianClassifier<float, Kind>>(saved(big), gda::Convert::scalar); });
  INFO(msg);
  CHECK(msg.find("the scalar type") != std::string::npos);
}

TEST_CASE("a file of another kind, version or signature says so") {
  const auto nb = fitted_model<gda::GaussianNB<>>(1);
  const std::string bytes = saved(nb);
  CHECK(format_error([&] { loaded<gda::QDA<>>(bytes); }) ==
        "load: the model is PerClassDiagonal (GaussianNB), not PerClassFull (QDA)");
  std::string v2 = bytes.substr(0, bytes.size() - 4);
  v2[8] = 2;
  Bytes sealed;
  sealed.s = v2;
  CHECK(format_error([&] {
          loaded<gda::GaussianNB<>>(sealed.sealed());
        }).find("format version 2 (written by a newer gda)") != std::string::npos);
  // offset() points at the field at fault: the version at byte 8, the end of a truncated header, the checksum.
  const auto offset = [](const std::string& b) {
    try {
      loaded<gda::GaussianNB<>>(b);
    } catch (const gda::FormatError& e) {
      return e.offset();
    }
    return ~0ull;
  };
  CHECK(offset(sealed.sealed()) == 8);
  CHECK(offset(bytes.substr(0, 30)) == 30);
  std::string flipped = bytes;
  flipped[100] = static_cast<char>(flipped[100] ^ 1);
  CHECK(offset(flipped) == bytes.size() - 4);
  CHECK(format_error([&] { loaded<gda::GaussianNB<>>("GDA model"); }).find("not a gda model") != std::string::npos);
  CHECK(format_error([&] { loaded<gda::GaussianNB<>>(""); }).find("not a gda model") != std::string::npos);
  const gda::ModelInfo info = [&] {
    std::istringstream in(bytes);
    return gda::inspect(in);
  }();
  CHECK(info.version == 1);
  CHECK(info.scalar_bytes == 8);
  CHECK(!info.shared);
  CHECK(!info.full);
  CHECK(info.fitted);
  CHECK(info.classes == nb.classes());
  CHECK(info.class_count == nb.class_count());
  CHECK(info.n_features == 4);
}

TEST_CASE("every truncation and every flipped bit is a FormatError") {
  const std::string bytes = saved(fitted_model<gda::QDA<float>>(2));
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    CAPTURE(n);
    CHECK_THROWS_AS(loaded<gda::QDA<float>>(bytes.substr(0, n)), gda::FormatError);
  }
  for (std::size_t i = 0; i < bytes.size(); ++i)
    for (int bit = 0; bit < 8; bit += 3) {
      CAPTURE(i);
      std::string bad = bytes;
      bad[i] = static_cast<char>(bad[i] ^ (1 << bit));
      CHECK_THROWS_AS(loaded<gda::QDA<float>>(bad), gda::FormatError);
    }
}

TEST_CASE("hostile headers fail before any large allocation") {
  using NB = gda::GaussianNB<>;
  // A valid file of the hand-made kind loads, so the failures below are the spoiled parts'.
  const NB small = loaded<NB>(SmallFile{}.bytes());
  CHECK(small.means()(1, 0) == 1.0);
  // Pooled: W = 5, mean 0.6, M2 = 2 + 3 + 1^2 * 2 * 3 / 5 = 6.2, so epsilon = 1e-9 * 6.2 / 5.
  CHECK(small.variances()(1, 0) == doctest::Approx(1.0 + 1.24e-9).epsilon(1e-15));

  const std::uint64_t max_dim = std::numeric_limits<std::int32_t>::max();
  struct Case {
    std::uint64_t k, d, payload;
    unsigned kind;
    const char* says;
  };
  const Case cases[] = {
      {0, 1, 0, 1, "number of classes 0"},
      {1, 0, 0, 1, "number of features 0"},
      {max_dim + 1, 1, 0, 1, "out of range"},
      {std::uint64_t(1) << 63, std::uint64_t(1) << 63, 0, 3, "out of range"},
      {max_dim, max_dim, 0, 3, "does not match"},  // K D^2 doubles: 2^93 bytes, overflows 64 bits
      {3, 2, 12345, 1, "does not match"},
      // Consistent sizes that the stream does not hold: 2^31 classes, 77 GB announced, a few bytes present.
      {max_dim, 1, max_dim * 36, 1, "truncated"},
      {1, 46340, 8ull * 46340 * 46340 + 12 + 16 * 46340, 3, "truncated"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.says);
    Bytes b;
    b.header(1, 8, c.kind, 2, c.k, c.d, c.payload);
    b.u64(0);
    CHECK(format_error([&] { loaded<NB>(b.sealed()); }).find(c.says) != std::string::npos);
    CHECK(format_error([&] { loaded<gda::QDA<>>(b.sealed()); }).find("load:") == 0);
  }
  Bytes codes;
  codes.header(1, 5, 1, 2, 2, 1, 72);
  CHECK(format_error([&] { loaded<NB>(codes.sealed()); }).find("scalar code 5") != std::string::npos);
  Bytes kind;
  kind.header(1, 8, 9, 2, 2, 1, 72);
  CHECK(format_error([&] { loaded<NB>(kind.sealed()); }).find("kind code 9") != std::string::npos);
  Bytes flags;
  flags.header(1, 8, 1, 0x80, 2, 1, 72);
  CHECK(format_error([&] { loaded<NB>(flags.sealed()); }).find("unknown flags") != std::string::npos);
}

TEST_CASE("hostile contents with a valid checksum are rejected") {
  using NB = gda::GaussianNB<>;
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  const std::pair<std::function<void(SmallFile&)>, const char*> spoilers[] = {
      {[&](SmallFile& f) { f.means[1] = nan; }, "not finite"},
      {[](SmallFile& f) { f.m2[0] = -1; }, "non-negative"},
      {[](SmallFile& f) { f.residuals[1] = 1e-15; }, "not the rounding residual"},
      {[](SmallFile& f) { f.residuals[0] = 1e-300; }, "not the rounding residual"},
      {[&](SmallFile& f) { f.weights[0] = inf; }, "weights[0]"},
      {[](SmallFile& f) { f.classes[1] = -4; }, "sorted and distinct"},
      {[](SmallFile& f) { f.priors = true, f.prior_sum_check[1] = 0.4; }, "priors must sum to 1"},
      {[](SmallFile& f) { f.m2[0] = f.m2[1] = f.means[1] = 0; }, "marked as fitted"},
      {[](SmallFile& f) { f.fitted = false; }, "marked as not fitted"},
  };
  for (const auto& [spoil, what] : spoilers) {
    SmallFile f;
    spoil(f);
    const std::string msg = format_error([&] { loaded<NB>(f.bytes()); });
    INFO(msg);
    CHECK(msg.find(what) != std::string::npos);
  }

  // A scatter matrix with a negative eigenvalue: [[1, 2], [2, 1]] has eigenvalues 3 and -1.
  Bytes b;
  b.header(1, 8, 3, 0, 1, 2, 12 + 32 + 32);
  b.u32(0);
  b.f64(2);
  for (int j = 0; j < 4; ++j) b.f64(0);
  for (double v : {1.0, 2.0, 2.0, 1.0}) b.f64(v);
  const std::string msg = format_error([&] { loaded<gda::QDA<>>(b.sealed()); });
  CHECK(msg.find("not positive semi-definite") != std::string::npos);
}

TEST_CASE_TEMPLATE("from_parameters reproduces a fitted model's parameters", Est, GDA_ESTIMATORS) {
  using Scalar = typename Est::Scalar;
  const ref::Blobs b = ref::blobs(500, 3, 3, 31, 0, 2, {-1, 0, 9});
  const auto X = test::correlate(b.X).cast<Scalar>().eval();
  gda::Options o;
  o.var_smoothing = 0;
  Est fit(o);
  fit.fit(X, b.y);
  Eigen::MatrixXd variances;
  if constexpr (Est::Kind::full && Est::Kind::shared) {
    variances = fit.covariance().template cast<double>();
  } else if constexpr (Est::Kind::full) {
    variances.resize(3, 9);
    for (std::size_t k = 0; k < 3; ++k)
      variances.middleCols(Eigen::Index(k) * 3, 3) = fit.covariance()[k].template cast<double>();
  } else {
    variances = fit.variances().template cast<double>();
  }
  const Eigen::VectorXd priors = fit.priors().template cast<double>();
  const Eigen::MatrixXd means = fit.means().template cast<double>();
  const Est imported = Est::from_parameters(fit.classes(), priors, means, variances, fit.class_count());
  const double tol = std::is_same_v<Scalar, float> ? 1e-5 : 1e-12;
  CHECK((imported.means() - fit.means()).cwiseAbs().maxCoeff() == 0);
  CHECK((imported.priors() - fit.priors()).cwiseAbs().maxCoeff() == 0);
  CHECK((test::variances(imported) - test::variances(fit)).cwiseAbs().maxCoeff() <= tol);
  CHECK((imported.predict_proba(X) - fit.predict_proba(X)).cwiseAbs().maxCoeff() <= tol * 10);
  // The class counts make the statistics those of the fit, so partial_fit continues as after the fit (the
  // priors stay fixed as given).
  const ref::Blobs more = ref::blobs(200, 3, 3, 32, 0, 2, {-1, 0, 9});
  const auto X2 = test::correlate(more.X).cast<Scalar>().eval();
  Est continued = imported;
  continued.partial_fit(X2, more.y);
  Est all = fit;
  all.partial_fit(X2, more.y);
  CHECK((continued.means() - all.means()).cwiseAbs().maxCoeff() <= tol * 10);
  CHECK((test::variances(continued) - test::variances(all)).cwiseAbs().maxCoeff() <= tol * 10);
}

TEST_CASE("from_parameters computes the posterior of the parameters given") {
  // Two classes, one feature: N(0, 1) with prior 0.25 and N(2, 4) with prior 0.75; at x = 1 by hand:
  // J_0 = log 0.25 - log(2 pi)/2 - 1/2, J_1 = log 0.75 - log(8 pi)/2 - 1/8.
  const auto m = gda::GaussianNB<>::from_parameters(Eigen::Vector2i(3, 8), Eigen::Vector2d(0.25, 0.75),
                                                    Eigen::Vector2d(0, 2), Eigen::Vector2d(1, 4));
  const double pi = 3.14159265358979323846;
  const double j0 = std::log(0.25) - 0.5 * std::log(2 * pi) - 0.5;
  const double j1 = std::log(0.75) - 0.5 * std::log(8 * pi) - 0.125;
  const Eigen::MatrixXd x = Eigen::MatrixXd::Constant(1, 1, 1.0);
  const Eigen::MatrixXd joint = m.predict_joint_log_proba(x);
  CHECK(joint(0, 0) == doctest::Approx(j0).epsilon(1e-14));
  CHECK(joint(0, 1) == doctest::Approx(j1).epsilon(1e-14));
  CHECK(m.predict_proba(x)(0, 0) == doctest::Approx(1 / (1 + std::exp(j1 - j0))).epsilon(1e-14));
  CHECK(m.epsilon() == 0);
}

TEST_CASE("from_parameters rejects bad parameters by name") {
  const Eigen::Vector2i c(0, 1);
  const Eigen::Vector2d p(0.5, 0.5);
  const Eigen::MatrixXd mu = Eigen::MatrixXd::Zero(2, 2);
  const Eigen::MatrixXd var = Eigen::MatrixXd::Ones(2, 2);
  const auto message = [](auto fn) {
    try {
      fn();
    } catch (const gda::InvalidArgument& e) {
      return std::string(e.what());
    }
    return std::string("no InvalidArgument");
  };
  using NB = gda::GaussianNB<>;
  CHECK(message([&] { NB::from_parameters(c, Eigen::Vector3d(0.2, 0.3, 0.5), mu, var); }).find("priors (3)") !=
        std::string::npos);
  CHECK(message([&] { NB::from_parameters(c, p, mu, Eigen::MatrixXd::Ones(3, 2)); }).find("variances is 3 x 2") !=
        std::string::npos);
  Eigen::MatrixXd bad_mu = mu;
  bad_mu(1, 0) = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_AS(NB::from_parameters(c, p, bad_mu, var), gda::NonFiniteValue);
  CHECK(message([&] { NB::from_parameters(c, p, bad_mu, var); }) == "from_parameters: means(1, 0) is not finite");
  Eigen::MatrixXd zero_var = var;
  zero_var(0, 1) = 0;
  CHECK(message([&] { NB::from_parameters(c, p, mu, zero_var); }).find("variances(0, 1) = 0") != std::string::npos);
  CHECK(message([&] { NB::from_parameters(c, Eigen::Vector2d(0.5, 0.6), mu, var); }).find("sum to 1") !=
        std::string::npos);
  CHECK(message([&] { NB::from_parameters(Eigen::Vector2i(1, 0), p, mu, var); }).find("sorted") != std::string::npos);
  CHECK(message([&] { NB::from_parameters(c, p, mu, var, Eigen::Vector2d(1, 0)); }).find("class_count[1]") !=
        std::string::npos);
  Eigen::Matrix2d asym;
  asym << 1, 0.5, 0.4, 1;
  CHECK(message([&] { gda::LDA<>::from_parameters(c, p, mu, asym); }).find("not symmetric") != std::string::npos);
  Eigen::Matrix2d indefinite;
  indefinite << 1, 2, 2, 1;
  CHECK(message([&] { gda::LDA<>::from_parameters(c, p, mu, indefinite); }).find("not positive definite") !=
        std::string::npos);
  Eigen::MatrixXd qda_cov(2, 4);
  qda_cov << 1, 0, 1, 2, 0, 1, 2, 1;
  CHECK(message([&] {
          gda::QDA<>::from_parameters(c, p, mu, qda_cov);
        }).find("matrix of class 1 is not positive definite") != std::string::npos);
}
