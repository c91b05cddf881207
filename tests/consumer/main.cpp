// Fits and predicts through the installed or embedded headers; exits non-zero on a wrong answer.
#include <gda/gda.hpp>
#include <iostream>

int main() {
  Eigen::MatrixXd X(4, 1);
  X << -1, 1, 1, 3;
  Eigen::VectorXi y(4);
  y << 0, 0, 1, 1;
  gda::SharedVarianceNB<> model;
  model.fit(X, y);
  Eigen::MatrixXd probe(2, 1);
  probe << -2, 4;
  const Eigen::VectorXi labels = model.predict(probe);
  std::cout << "gda " << gda::version << ": " << labels.transpose() << "\n";
  return (labels[0] == 0 && labels[1] == 1) ? 0 : 1;
}
