// Fits one model across MPI ranks: each rank reduces its shard of the data to sufficient statistics, the ranks
// exchange them, and every rank merges them in rank order into the same model a single process would fit.
//
//   mpirun -np 3 mpi_fit [data.csv] [--check]
//
// The CSV has a header, numeric features and the integer label in the last column (default: bundled iris).
// Here every rank parses the file and keeps its own contiguous slice of rows; a real deployment would read
// only its own part. With --check, every rank also fits the whole file alone and exits non-zero unless the
// merged model agrees with it to 1e-12 relative, and all ranks hold the same model bit for bit.
#include <mpi.h>

#include <algorithm>
#include <cstring>
#include <gda/gda.hpp>
#include <iostream>
#include <string>
#include <vector>

#include "csv.hpp"

namespace {

using Model = gda::GaussianNB<>;

// The union of every rank's labels, sorted: the classes all ranks declare.
Eigen::VectorXi agree_on_classes(const Eigen::VectorXi& local_labels, MPI_Comm comm) {
  std::vector<int> mine(local_labels.data(), local_labels.data() + local_labels.size());
  std::sort(mine.begin(), mine.end());
  mine.erase(std::unique(mine.begin(), mine.end()), mine.end());
  int ranks = 0;
  MPI_Comm_size(comm, &ranks);
  int count = static_cast<int>(mine.size());
  std::vector<int> counts(static_cast<std::size_t>(ranks)), offsets(static_cast<std::size_t>(ranks), 0);
  MPI_Allgather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, comm);
  for (int r = 1; r < ranks; ++r) offsets[std::size_t(r)] = offsets[std::size_t(r - 1)] + counts[std::size_t(r - 1)];
  std::vector<int> all(static_cast<std::size_t>(offsets.back() + counts.back()));
  MPI_Allgatherv(mine.data(), count, MPI_INT, all.data(), counts.data(), offsets.data(), MPI_INT, comm);
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  return Eigen::Map<Eigen::VectorXi>(all.data(), static_cast<Eigen::Index>(all.size()));
}

// Statistics as one flat buffer: K weights, then K x D means, mean residuals and second moments.
std::vector<double> pack(const gda::DiagonalStatistics& s) {
  const Eigen::Index kd = s.n_classes() * s.n_features();
  std::vector<double> buf(static_cast<std::size_t>(s.n_classes() + 3 * kd));
  Eigen::Map<Eigen::VectorXd>(buf.data(), s.n_classes()) = s.weights();
  Eigen::Map<Eigen::MatrixXd>(buf.data() + s.n_classes(), s.n_classes(), s.n_features()) = s.means();
  Eigen::Map<Eigen::MatrixXd>(buf.data() + s.n_classes() + kd, s.n_classes(), s.n_features()) = s.mean_residuals();
  Eigen::Map<Eigen::MatrixXd>(buf.data() + s.n_classes() + 2 * kd, s.n_classes(), s.n_features()) = s.m2();
  return buf;
}

gda::DiagonalStatistics unpack(const double* buf, Eigen::Index k, Eigen::Index d) {
  using Mat = Eigen::Map<const Eigen::MatrixXd>;
  return gda::DiagonalStatistics(Eigen::Map<const Eigen::VectorXd>(buf, k), Mat(buf + k, k, d),
                                 Mat(buf + k + 2 * k * d, k, d), Mat(buf + k + k * d, k, d));
}

double max_relative_difference(const Model& a, const Model& b, const csv::RowMatrix& X) {
  auto rel = [](const auto& x, const auto& y) { return ((x - y).array().abs() / (1 + y.array().abs())).maxCoeff(); };
  return std::max({rel(a.means(), b.means()), rel(a.variances(), b.variances()), rel(a.priors(), b.priors()),
                   rel(a.predict_log_proba(X), b.predict_log_proba(X))});
}

int run(int argc, char** argv) {
  std::string path = GDA_EXAMPLE_DATA;
  bool check = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--check") == 0)
      check = true;
    else
      path = argv[i];
  }
  int rank = 0, ranks = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);

  const csv::Dataset data = csv::read_all(path);
  const Eigen::Index n = data.X.rows(), d = data.X.cols();
  const Eigen::Index r0 = n * rank / ranks, r1 = n * (rank + 1) / ranks;
  const Eigen::VectorXi classes = agree_on_classes(data.y.segment(r0, r1 - r0), MPI_COMM_WORLD);
  const Eigen::Index k = classes.size();

  // This rank's statistics; a shard may lack classes, or be empty.
  Model local;
  gda::DiagonalStatistics mine(k, d);
  if (r1 > r0) {
    local.partial_fit(data.X.middleRows(r0, r1 - r0), data.y.segment(r0, r1 - r0), classes);
    mine = local.statistics();
  }

  // Every rank receives every rank's statistics and merges them in rank order, so all hold the same model.
  const std::vector<double> sent = pack(mine);
  std::vector<double> received(sent.size() * static_cast<std::size_t>(ranks));
  MPI_Allgather(sent.data(), static_cast<int>(sent.size()), MPI_DOUBLE, received.data(), static_cast<int>(sent.size()),
                MPI_DOUBLE, MPI_COMM_WORLD);
  Model model = Model::from_statistics(classes, unpack(received.data(), k, d));
  for (int r = 1; r < ranks; ++r)
    model.merge(Model::from_statistics(classes, unpack(received.data() + std::size_t(r) * sent.size(), k, d)));

  if (rank == 0) {
    std::cout << ranks << " ranks fitted " << n << " rows of " << path << "\n"
              << "class counts: " << model.class_count().transpose() << "\n"
              << "means:\n"
              << model.means() << "\nvariances:\n"
              << model.variances() << "\n"
              << "training accuracy: " << model.score(data.X, data.y) << "\n";
  }
  if (!check) return 0;

  Model single;
  single.fit(data.X, data.y);
  const double diff = max_relative_difference(model, single, data.X);
  // The same model on every rank: the sum of its log posteriors, compared bit for bit across ranks.
  const double fingerprint = model.predict_log_proba(data.X).sum();
  double lo = 0, hi = 0;
  MPI_Allreduce(&fingerprint, &lo, 1, MPI_DOUBLE, MPI_MIN, MPI_COMM_WORLD);
  MPI_Allreduce(&fingerprint, &hi, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  const bool ok = diff <= 1e-12 && lo == hi;
  std::cout << "rank " << rank << ": largest relative difference to a single-process fit " << diff
            << (lo == hi ? ", identical on all ranks" : ", DIFFERENT across ranks") << (ok ? "" : "  FAILED") << "\n";
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int status = 0;
  try {
    status = run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "mpi_fit: " << e.what() << "\n";
    status = 1;
  }
  MPI_Finalize();
  return status;
}
