// Agreement with scikit-learn on committed fixtures (tests/fixtures/make_sklearn_fixtures.py made them):
// LinearDiscriminantAnalysis(solver="lsqr") and GaussianNB posteriors, and the explained variance ratio of
// LinearDiscriminantAnalysis(solver="eigen").
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "common.hpp"

namespace {

// A fixture CSV: its header fields and the numbers below it.
struct Table {
  std::vector<std::string> header;
  Eigen::MatrixXd values;
};

Table read(const std::string& name) {
  std::ifstream in(std::string(GDA_FIXTURES) + "/" + name);
  REQUIRE_MESSAGE(in.good(), "cannot open fixture " << name);
  Table t;
  std::string line;
  std::getline(in, line);
  std::stringstream hs(line);
  for (std::string f; std::getline(hs, f, ',');) t.header.push_back(f);
  std::vector<std::vector<double>> rows;
  while (std::getline(in, line)) {
    std::stringstream ls(line);
    std::vector<double> r;
    // strtod, not stod: scikit-learn writes subnormal probabilities such as 1.5e-312, which stod rejects.
    for (std::string f; std::getline(ls, f, ',');) r.push_back(std::strtod(f.c_str(), nullptr));
    rows.push_back(r);
  }
  t.values.resize(Eigen::Index(rows.size()), Eigen::Index(rows.front().size()));
  for (std::size_t i = 0; i < rows.size(); ++i)
    for (std::size_t j = 0; j < rows[i].size(); ++j) t.values(Eigen::Index(i), Eigen::Index(j)) = rows[i][j];
  return t;
}

struct Data {
  Eigen::MatrixXd X;
  Eigen::VectorXi y;
};

Data split(const Table& t) {
  const Eigen::Index d = t.values.cols() - 1;
  return {t.values.leftCols(d), t.values.col(d).cast<int>()};
}

Eigen::VectorXi header_labels(const Table& t) {
  Eigen::VectorXi c(Eigen::Index(t.header.size()));
  for (std::size_t k = 0; k < t.header.size(); ++k) c[Eigen::Index(k)] = std::stoi(t.header[k]);
  return c;
}

}  // namespace

TEST_CASE("posteriors match scikit-learn") {
  for (const std::string data : {"blobs", "iris"}) {
    CAPTURE(data);
    const Data train = data == "blobs" ? split(read("blobs_train.csv")) : split(read("../../examples/data/iris.csv"));
    const Data test = data == "blobs" ? split(read("blobs_test.csv")) : train;

    const Table lda_want = read(data + "_lda_lsqr_proba.csv");
    gda::LDA<> lda;
    lda.fit(train.X, train.y);
    CHECK(lda.classes() == header_labels(lda_want));
    const Eigen::MatrixXd lda_got = lda.predict_proba(test.X);
    INFO("LDA largest difference " << (lda_got - lda_want.values).cwiseAbs().maxCoeff());
    CHECK((lda_got - lda_want.values).cwiseAbs().maxCoeff() <= 1e-12);

    const Table nb_want = read(data + "_gaussian_nb_proba.csv");
    gda::GaussianNB<> nb;
    nb.fit(train.X, train.y);
    CHECK(nb.classes() == header_labels(nb_want));
    const Eigen::MatrixXd nb_got = nb.predict_proba(test.X);
    INFO("GaussianNB largest difference " << (nb_got - nb_want.values).cwiseAbs().maxCoeff());
    CHECK((nb_got - nb_want.values).cwiseAbs().maxCoeff() <= 1e-12);

    const Table evr = read(data + "_lda_explained_variance.csv");
    REQUIRE(lda.explained_variance_ratio().size() == evr.values.rows());
    for (Eigen::Index j = 0; j < evr.values.rows(); ++j)
      CHECK(lda.explained_variance_ratio()[j] == doctest::Approx(evr.values(j, 0)).epsilon(1e-10));
  }
}

TEST_CASE("models imported from scikit-learn's parameters give scikit-learn's posteriors") {
  const Data test = split(read("blobs_test.csv"));
  const Eigen::VectorXi classes = read("import_gnb_classes.csv").values.col(0).cast<int>();
  const auto check = [&](const auto& model, const std::string& name) {
    const Table want = read("import_" + name + "_proba.csv");
    CHECK(model.classes() == header_labels(want));
    const double diff = (model.predict_proba(test.X) - want.values).cwiseAbs().maxCoeff();
    INFO(name << " largest difference " << diff);
    CHECK(diff <= 1e-12);
  };
  // GaussianNB: class_prior_, theta_, var_ (epsilon included), and class_count_ to continue fitting.
  check(gda::GaussianNB<>::from_parameters(classes, read("import_gnb_prior.csv").values.col(0),
                                           read("import_gnb_theta.csv").values, read("import_gnb_var.csv").values,
                                           read("import_gnb_count.csv").values.col(0)),
        "gnb");
  // LinearDiscriminantAnalysis(solver="lsqr"): priors_, means_, covariance_.
  check(gda::LDA<>::from_parameters(classes, read("import_lda_prior.csv").values.col(0),
                                    read("import_lda_means.csv").values, read("import_lda_covariance.csv").values),
        "lda");
  // QuadraticDiscriminantAnalysis(store_covariance=True): covariance_ (divided by n_k - 1) side by side.
  check(gda::QDA<>::from_parameters(classes, read("import_qda_prior.csv").values.col(0),
                                    read("import_qda_means.csv").values, read("import_qda_covariance.csv").values),
        "qda");
}
