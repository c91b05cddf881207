// Writes the fuzzer's seed corpus: valid model files of every kind and scalar, with and without options,
// fitted and not yet fitted. The files are committed; tests/test_persistence.cpp also loads them, so a change
// of format that would break files saved earlier is caught. Usage: make_corpus <directory>
#include <Eigen/Core>
#include <gda/gda.hpp>
#include <iostream>
#include <string>

namespace {

template <typename Est>
void write(const std::string& dir, const std::string& name, std::uint32_t seed, gda::Options options = {}) {
  using Scalar = typename Est::Scalar;
  std::srand(seed);
  const Eigen::Index n = 60, d = 3;
  Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic> X =
      Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>::Random(n, d);
  Eigen::VectorXi y(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    y[i] = int(i % 3) * 5 - 2;
    X.row(i).array() += Scalar(y[i]);
  }
  Est m(options);
  m.fit(X, y);
  m.save(dir + "/" + name + (sizeof(Scalar) == 4 ? "_float" : "_double") + ".gda");
  Est one(options);
  one.partial_fit(X.topRows(1), y.head(1), Eigen::Vector3i(-2, 3, 8));
  one.save(dir + "/" + name + (sizeof(Scalar) == 4 ? "_float" : "_double") + "_one_row.gda");
}

template <typename Scalar>
void write_all(const std::string& dir) {
  gda::Options priors;
  priors.priors = Eigen::Vector3d(0.5, 0.25, 0.25);
  write<gda::SharedVarianceNB<Scalar>>(dir, "shared", 1);
  write<gda::GaussianNB<Scalar>>(dir, "gaussian", 2, priors);
  gda::Options lw;
  lw.shrinkage = gda::Options::ledoit_wolf;
  write<gda::LDA<Scalar>>(dir, "lda", 3, lw);
  gda::Options reg;
  reg.reg_param = 0.25;
  write<gda::QDA<Scalar>>(dir, "qda", 4, reg);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_corpus <directory>\n";
    return 2;
  }
  write_all<float>(argv[1]);
  write_all<double>(argv[1]);
  return 0;
}
