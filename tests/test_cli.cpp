// The command-line tool driven as a user drives it: files written here, the program run through the shell,
// its exit code, stdout and stderr checked. Its answers are compared with the library's on the same numbers.
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common.hpp"

namespace {

const std::filesystem::path dir = std::filesystem::temp_directory_path() / "gda_test_cli";

struct Run {
  int code;
  std::string out, err;
};

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs `gda <args>` in the scratch directory.
Run tool(const std::string& args) {
  const std::string cmd = "cd '" + dir.string() + "' && '" + std::string(GDA_CLI) + "' " + args + " >out.txt 2>err.txt";
  const int status = std::system(cmd.c_str());
  REQUIRE(WIFEXITED(status));
  return {WEXITSTATUS(status), slurp(dir / "out.txt"), slurp(dir / "err.txt")};
}

void write(const std::string& name, const std::string& text) { std::ofstream(dir / name, std::ios::binary) << text; }

// Features with 17 significant digits, so the file holds exactly the doubles the test compares against.
std::string csv(const Eigen::MatrixXd& X, const Eigen::VectorXi& y, bool header, Eigen::Index label_at) {
  std::ostringstream s;
  s.precision(17);
  const Eigen::Index d = X.cols();
  if (header) {
    for (Eigen::Index j = 0; j <= d; ++j)
      s << (j ? "," : "") << (j == label_at ? std::string("y") : "x" + std::to_string(j < label_at ? j : j - 1));
    s << "\n";
  }
  for (Eigen::Index i = 0; i < X.rows(); ++i) {
    for (Eigen::Index j = 0, f = 0; j <= d; ++j) {
      if (j) s << ",";
      if (j == label_at)
        s << y[i];
      else
        s << X(i, f++);
    }
    s << "\n";
  }
  return s.str();
}

Eigen::MatrixXd parse_csv(const std::string& text, bool skip_header) {
  std::istringstream in(text);
  std::string line;
  if (skip_header) std::getline(in, line);
  std::vector<std::vector<double>> rows;
  while (std::getline(in, line)) {
    std::vector<double> r;
    std::stringstream ls(line);
    for (std::string f; std::getline(ls, f, ',');) r.push_back(std::strtod(f.c_str(), nullptr));
    rows.push_back(r);
  }
  Eigen::MatrixXd m(Eigen::Index(rows.size()), rows.empty() ? 0 : Eigen::Index(rows[0].size()));
  for (std::size_t i = 0; i < rows.size(); ++i)
    for (std::size_t j = 0; j < rows[i].size(); ++j) m(Eigen::Index(i), Eigen::Index(j)) = rows[i][j];
  return m;
}

// Sorted by label, so that the stream meets the classes one after another and must widen the model.
ref::Blobs sorted_blobs() {
  ref::Blobs b = ref::blobs(400, 3, 3, 17, 0, 2, {-4, 6, 9});
  std::vector<Eigen::Index> order(400);
  for (Eigen::Index i = 0; i < 400; ++i) order[std::size_t(i)] = i;
  std::stable_sort(order.begin(), order.end(), [&](auto a, auto c) { return b.y[a] < b.y[c]; });
  ref::Blobs s{Eigen::MatrixXd(400, 3), Eigen::VectorXi(400)};
  for (Eigen::Index i = 0; i < 400; ++i) {
    s.X.row(i) = test::correlate(b.X).row(order[std::size_t(i)]);
    s.y[i] = b.y[order[std::size_t(i)]];
  }
  return s;
}

}  // namespace

TEST_CASE_TEMPLATE("fit and predict give the library's answers for every kind", Est, gda::SharedVarianceNB<>,
                   gda::GaussianNB<>, gda::LDA<>, gda::QDA<>) {
  std::filesystem::create_directories(dir);
  const ref::Blobs b = sorted_blobs();
  write("train.csv", csv(b.X, b.y, true, 1));  // label in the middle, named y
  const ref::Blobs probe = ref::blobs(30, 3, 3, 18);
  write("new.csv", csv(probe.X, probe.y, false, 3));
  const char* kind =
      Est::Kind::full ? (Est::Kind::shared ? "lda" : "qda") : (Est::Kind::shared ? "shared" : "gaussian");
  const Run fit = tool(std::string("fit --kind ") + kind + " --label y --chunk-rows 37 -m m.gda train.csv");
  INFO(fit.err);
  REQUIRE(fit.code == 0);
  CHECK(fit.err.empty());  // no progress line: stderr is not a terminal

  Est want;
  want.fit(b.X, b.y);
  const Est got = Est::load(dir / "m.gda");
  CHECK(got.classes() == want.classes());
  CHECK((got.means() - want.means()).cwiseAbs().maxCoeff() <= 1e-12);
  CHECK((test::variances(got) - test::variances(want)).cwiseAbs().maxCoeff() <= 1e-12);

  const Run proba = tool("predict -m m.gda --proba --label 3 new.csv");
  REQUIRE(proba.code == 0);
  CHECK(proba.out.substr(0, proba.out.find('\n')) == "-4,6,9");
  const Eigen::MatrixXd p = parse_csv(proba.out, true);
  REQUIRE(p.rows() == 30);
  CHECK((p - want.predict_proba(probe.X)).cwiseAbs().maxCoeff() <= 1e-12);

  const Run labels = tool("predict -m m.gda --label -1 new.csv");
  REQUIRE(labels.code == 0);
  CHECK(labels.out.substr(0, 6) == "label\n");
  CHECK(parse_csv(labels.out, true).col(0).cast<int>() == want.predict(probe.X));
}

TEST_CASE("headers are detected or declared, stdin is read, info describes the model") {
  std::filesystem::create_directories(dir);
  const ref::Blobs b = ref::blobs(120, 2, 2, 5);
  write("plain.csv", csv(b.X, b.y, false, 0));  // no header, label first
  REQUIRE(tool("fit --kind qda --float --label 0 -m q.gda - < plain.csv").code == 0);
  const Run info = tool("info q.gda");
  REQUIRE(info.code == 0);
  CHECK(info.out.find("PerClassFull (QDA)") != std::string::npos);
  CHECK(info.out.find("scalar         float") != std::string::npos);
  CHECK(info.out.find("classes        2: 0 1") != std::string::npos);
  gda::QDA<float> want;
  want.fit(b.X.cast<float>(), b.y);
  CHECK(gda::QDA<float>::load(dir / "q.gda").statistics().m2() == want.statistics().m2());

  // A header line that is all numbers must be declared.
  write("numeric_header.csv", "1,2,3\n" + csv(b.X, b.y, false, 2));
  REQUIRE(tool("fit --header yes -m h.gda numeric_header.csv").code == 0);
  CHECK(gda::GaussianNB<>::load(dir / "h.gda").class_count().sum() == 120);
  REQUIRE(tool("fit -m h2.gda numeric_header.csv").code == 0);
  CHECK(gda::GaussianNB<>::load(dir / "h2.gda").class_count().sum() == 121);

  const Run progress = tool("fit --progress always -m p.gda plain.csv --label 0");
  CHECK(progress.code == 0);
  CHECK(progress.err.find("gda fit: 120 rows") != std::string::npos);
}

TEST_CASE("bad input exits with 1 and says where, bad usage with 2") {
  std::filesystem::create_directories(dir);
  write("bad.csv", "a,b,label\n1,2,0\n3,4,1\n\n5,oops,1\n");
  Run r = tool("fit -m x.gda bad.csv");
  CHECK(r.code == 1);
  CHECK(r.err == "gda: bad.csv:5: column 2 ('b'): cannot read 'oops' as a finite number\n");
  write("nan.csv", "a,b,label\n1,2,0\n3,nan,1\n");
  CHECK(tool("fit -m x.gda nan.csv").err.find("nan.csv:3: column 2") != std::string::npos);
  write("fields.csv", "a,b,label\n1,2,0\n3,4\n");
  CHECK(tool("fit -m x.gda fields.csv").err.find("fields.csv:3: 2 fields, expected 3") != std::string::npos);
  write("label.csv", "a,b,label\n1,2,0\n3,4,1.5\n");
  CHECK(tool("fit -m x.gda label.csv").err.find("cannot read '1.5' as an integer label") != std::string::npos);
  write("constant.csv", "a,label\n1,0\n1,1\n");
  r = tool("fit -m x.gda constant.csv");
  CHECK(r.code == 1);
  CHECK(r.err.find("the data define no model") != std::string::npos);
  CHECK(tool("fit -m x.gda missing.csv").code == 1);
  CHECK_FALSE(std::filesystem::exists(dir / "x.gda"));

  write("good.csv", "a,b,label\n1,2,0\n3,4,1\n2,2,0\n5,1,1\n");
  REQUIRE(tool("fit -m good.gda good.csv").code == 0);
  std::string bytes = slurp(dir / "good.gda");
  bytes[80] = static_cast<char>(bytes[80] ^ 1);
  write("corrupt.gda", bytes);
  r = tool("predict -m corrupt.gda --label label good.csv");
  CHECK(r.code == 1);
  CHECK(r.err.find("checksum") != std::string::npos);
  CHECK(tool("info corrupt.gda").code == 1);
  r = tool("predict -m good.gda good.csv");
  CHECK(r.code == 1);
  CHECK(r.err.find("name it with --label") != std::string::npos);

  CHECK(tool("").code == 2);
  CHECK(tool("fit good.csv").code == 2);                      // no --model
  CHECK(tool("fit --kind svm -m x.gda good.csv").code == 2);  // no such kind
  CHECK(tool("fit --kind gaussian --shrinkage 0.5 -m x.gda good.csv").code == 2);
  CHECK(tool("predict -m good.gda --proba --log-proba good.csv").code == 2);
  CHECK(tool("--help").code == 0);
}

TEST_CASE("scikit-learn's parameters imported by the tool predict scikit-learn's posteriors") {
  // tests/fixtures/make_sklearn_fixtures.py wrote the parameters and scikit-learn's predict_proba on blobs_test.
  std::filesystem::create_directories(dir);
  const std::string f = std::string("'") + GDA_FIXTURES + "/";
  for (const std::string kind : {"gnb", "lda", "qda"}) {
    CAPTURE(kind);
    const std::string means = kind == "gnb" ? "theta" : "means", var = kind == "gnb" ? "var" : "covariance";
    const Run imported =
        tool("import --kind " + std::string(kind == "gnb" ? "gaussian" : kind) + " --classes " + f +
             "import_gnb_classes.csv' --priors " + f + "import_" + kind + "_prior.csv' --means " + f + "import_" +
             kind + "_" + means + ".csv' --variances " + f + "import_" + kind + "_" + var + ".csv' -m imported.gda");
    INFO(imported.err);
    REQUIRE(imported.code == 0);
    const Run p = tool("predict -m imported.gda --proba --label -1 " + f + "blobs_test.csv'");
    REQUIRE(p.code == 0);
    const Eigen::MatrixXd got = parse_csv(p.out, true);
    const Eigen::MatrixXd want = parse_csv(slurp(std::string(GDA_FIXTURES) + "/import_" + kind + "_proba.csv"), true);
    REQUIRE(got.rows() == want.rows());
    CHECK((got - want).cwiseAbs().maxCoeff() <= 1e-12);
  }
  const Run wrong = tool("import --kind lda --classes " + f + "import_gnb_classes.csv' --priors " + f +
                         "import_qda_prior.csv' --means " + f + "import_qda_means.csv' --variances " + f +
                         "import_qda_covariance.csv' -m x.gda");
  CHECK(wrong.code == 1);
  CHECK(wrong.err.find("variances is 5 x 15, expected 5 x 5") != std::string::npos);
}
