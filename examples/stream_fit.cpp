// Fits a model on a CSV file of any size in bounded memory: the file is read in chunks of a fixed number of
// rows and each chunk is added with partial_fit, so peak memory depends on the chunk size, not the file size.
//
//   stream_fit data.csv [--chunk-rows N] [--kind shared|gaussian] [--classes 0,1,2]
//
// The CSV has a header, numeric features and the integer label in the last column. Without --classes, a
// first pass over the file (also in chunks) collects the labels that partial_fit must declare. Prints the
// fitted parameters with 17 significant digits and the process's peak resident memory.
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <gda/gda.hpp>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "csv.hpp"

namespace {

struct Args {
  std::string path;
  Eigen::Index chunk_rows = 65536;
  std::string kind = "gaussian";
  std::vector<int> classes;
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--chunk-rows") {
      a.chunk_rows = std::stol(value());
      if (a.chunk_rows < 1) throw std::runtime_error("--chunk-rows must be at least 1");
    } else if (arg == "--kind") {
      a.kind = value();
      if (a.kind != "shared" && a.kind != "gaussian") throw std::runtime_error("--kind is shared or gaussian");
    } else if (arg == "--classes") {
      std::stringstream ss(value());
      for (std::string item; std::getline(ss, item, ',');) a.classes.push_back(std::stoi(item));
    } else if (a.path.empty()) {
      a.path = arg;
    } else {
      throw std::runtime_error("unexpected argument " + arg);
    }
  }
  if (a.path.empty()) throw std::runtime_error("usage: stream_fit data.csv [--chunk-rows N] [--kind K] [--classes L]");
  return a;
}

std::vector<int> scan_labels(const std::string& path, Eigen::Index chunk_rows) {
  csv::ChunkReader reader(path);
  csv::RowMatrix X(chunk_rows, reader.n_features());
  Eigen::VectorXi y(chunk_rows);
  std::vector<int> labels;
  while (const Eigen::Index got = reader.read(X, y)) {
    labels.insert(labels.end(), y.data(), y.data() + got);
    std::sort(labels.begin(), labels.end());
    labels.erase(std::unique(labels.begin(), labels.end()), labels.end());
  }
  return labels;
}

template <typename Model>
int fit_and_print(const Args& a) {
  const std::vector<int> labels = a.classes.empty() ? scan_labels(a.path, a.chunk_rows) : a.classes;
  const Eigen::Map<const Eigen::VectorXi> classes(labels.data(), static_cast<Eigen::Index>(labels.size()));
  csv::ChunkReader reader(a.path);
  csv::RowMatrix X(a.chunk_rows, reader.n_features());  // the only buffer that grows with the chunk
  Eigen::VectorXi y(a.chunk_rows);
  Model model;
  long long rows = 0, chunks = 0;
  while (const Eigen::Index got = reader.read(X, y)) {
    if (chunks == 0)
      model.partial_fit(X.topRows(got), y.head(got), classes);
    else
      model.partial_fit(X.topRows(got), y.head(got));
    rows += got;
    ++chunks;
  }
  if (rows == 0) throw std::runtime_error(a.path + " has no data rows");
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);

  std::printf("rows: %lld\nchunks: %lld\nclasses:", rows, chunks);
  for (int c : labels) std::printf(" %d", c);
  auto print = [](const char* name, const auto& m) {
    std::printf("\n%s:", name);
    for (Eigen::Index i = 0; i < m.rows(); ++i)
      for (Eigen::Index j = 0; j < m.cols(); ++j) std::printf(" %.17g", double(m(i, j)));
  };
  print("count", model.class_count());
  print("prior", model.priors());
  print("mean", model.means());
  print("variance", model.variances());
  std::printf("\nepsilon: %.17g\npeak_resident_kib: %ld\n", double(model.epsilon()), usage.ru_maxrss);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Args a = parse(argc, argv);
    return a.kind == "shared" ? fit_and_print<gda::SharedVarianceNB<>>(a) : fit_and_print<gda::GaussianNB<>>(a);
  } catch (const std::exception& e) {
    std::cerr << "stream_fit: " << e.what() << "\n";
    return 1;
  }
}
