// Fits both naive Bayes models of gda on Fisher's iris data and prints what they learnt.
//
//   quickstart [path/to/iris.csv]
//
// The CSV has a header line, four numeric feature columns and the integer class in the last column.
#include <gda/gda.hpp>
#include <iomanip>
#include <iostream>
#include <string>

#include "csv.hpp"

namespace {

// Shared variances are one per feature; print them as a row like the per-class matrix.
template <typename Model>
Eigen::MatrixXd variances_as_rows(const Model& model) {
  if constexpr (Model::Kind::shared)
    return model.variances().transpose();
  else
    return model.variances();
}

template <typename Model>
void report(const char* title, Model& model, const csv::Dataset& data) {
  model.fit(data.X, data.y);
  const Eigen::IOFormat fmt(4, 0, "  ", "\n", "    ", "");
  std::cout << "== " << title << " ==\n"
            << "training accuracy: " << model.score(data.X, data.y) << "\n"
            << "classes: " << model.classes().transpose() << "\n"
            << "priors:\n"
            << model.priors().transpose().format(fmt) << "\n"
            << "means (class x feature):\n"
            << model.means().format(fmt) << "\n"
            << "variances" << (Model::Kind::shared ? " (one per feature)" : " (class x feature)") << ":\n"
            << variances_as_rows(model).format(fmt) << "\n"
            << "epsilon: " << model.epsilon() << "\n";
  const Eigen::Index rows[] = {0, 60, 70, 83, 133};
  std::cout << "posteriors of rows 0, 60, 70, 83, 133 (one column per class):\n";
  for (Eigen::Index r : rows)
    std::cout << "    row " << std::setw(3) << r << " (label " << data.y[r]
              << "): " << model.predict_proba(data.X.row(r)).format(Eigen::IOFormat(4, 0, "  ")) << "  -> predicted "
              << model.predict(data.X.row(r))[0] << "\n";
  std::cout << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const csv::Dataset data = csv::read_all(argc > 1 ? argv[1] : GDA_EXAMPLE_DATA);
    std::cout << "iris: " << data.X.rows() << " samples, " << data.X.cols() << " features\n\n";
    gda::SharedVarianceNB<> shared;
    report("naive Bayes, variances shared by all classes (gda::SharedVarianceNB)", shared, data);
    gda::GaussianNB<> per_class;
    report("naive Bayes, variances per class (gda::GaussianNB)", per_class, data);
  } catch (const std::exception& e) {
    std::cerr << "quickstart: " << e.what() << "\n";
    return 1;
  }
}
