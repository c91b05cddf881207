// Compiled, never run, by run.cmake at -O2 -march=native -Wall -Wextra -Wpedantic: every estimator, scalar type
// and storage order through every public call, so that each of gda's kernels is instantiated and inlined as in
// a user's optimised build.
#include <gda/gda.hpp>
#include <sstream>

namespace {

template <typename Model, typename Matrix>
double exercise(const Matrix& X, const Eigen::VectorXi& y, const Eigen::VectorXd& w_double) {
  const Eigen::Matrix<typename Model::Scalar, Eigen::Dynamic, 1> w = w_double.cast<typename Model::Scalar>();
  Model model;
  model.fit(X, y).fit(X, y, w).partial_fit(X, y, w);
  Model other;
  other.partial_fit(X, y, model.classes());
  model.merge(other);
  std::stringstream file;
  model.save(file);
  const Model again = Model::load(file);
  using Out = Eigen::Matrix<typename Model::Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  Out out(X.rows(), model.classes().size());
  again.predict_proba(X, out);
  return double(out.sum()) + double(again.predict_proba(X).sum()) + double(again.predict_log_proba(X).sum()) +
         double(again.predict_joint_log_proba(X).sum()) + double(again.predict(X).sum()) + again.score(X, y);
}

template <typename Scalar, int Order>
double every_kind(const Eigen::VectorXi& y, const Eigen::VectorXd& w) {
  const Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Order> X =
      Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Order>::Random(y.size(), 40);
  return exercise<gda::SharedVarianceNB<Scalar>>(X, y, w) + exercise<gda::GaussianNB<Scalar>>(X, y, w) +
         exercise<gda::LDA<Scalar>>(X, y, w) + exercise<gda::QDA<Scalar>>(X, y, w);
}

}  // namespace

double every_path(const Eigen::VectorXi& y, const Eigen::VectorXd& w) {
  return every_kind<double, Eigen::ColMajor>(y, w) + every_kind<double, Eigen::RowMajor>(y, w) +
         every_kind<float, Eigen::ColMajor>(y, w) + every_kind<float, Eigen::RowMajor>(y, w);
}
