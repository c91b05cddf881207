// Fits both naive Bayes models of gda on Fisher's iris data and prints what they learnt.
//
//   quickstart [path/to/iris.csv]
//
// The CSV has a header line, four numeric feature columns and the integer class in the last column.
#include <Eigen/Core>
#include <fstream>
#include <gda/gda.hpp>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

struct Dataset {
  Eigen::MatrixXd X;
  Eigen::VectorXi y;
};

// A CSV reader just big enough for the bundled file; the gda command-line tool reads arbitrary CSV.
Dataset read_csv(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::string line;
  std::getline(in, line);  // header
  std::vector<std::vector<double>> rows;
  std::vector<int> labels;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::vector<double> fields;
    std::stringstream ss(line);
    for (std::string cell; std::getline(ss, cell, ',');) fields.push_back(std::stod(cell));
    labels.push_back(static_cast<int>(fields.back()));
    fields.pop_back();
    rows.push_back(fields);
  }
  Dataset d{Eigen::MatrixXd(rows.size(), rows.front().size()), Eigen::VectorXi(labels.size())};
  for (std::size_t i = 0; i < rows.size(); ++i) {
    for (std::size_t j = 0; j < rows[i].size(); ++j) d.X(i, j) = rows[i][j];
    d.y[i] = labels[i];
  }
  return d;
}

// Shared variances are one per feature; print them as a row like the per-class matrix.
template <typename Model>
Eigen::MatrixXd variances_as_rows(const Model& model) {
  if constexpr (Model::Kind::shared)
    return model.variances().transpose();
  else
    return model.variances();
}

template <typename Model>
void report(const char* title, Model& model, const Dataset& data) {
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
    const Dataset data = read_csv(argc > 1 ? argv[1] : GDA_EXAMPLE_DATA);
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
