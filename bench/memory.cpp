// Peak resident memory of fit and predict_proba beyond X and the output, for every kind, at growing n:
// each measurement runs in a forked child whose X and output are already resident, so the growth of its
// peak resident set (getrusage) is what the call itself needed.
//
//   gda_memory [d] [k]      (defaults 64 and 10; one thread)
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <gda/gda.hpp>
#include <string>

namespace {

long peak_kib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

// Runs f in a child and returns the child's peak growth in MiB.
template <typename F>
double in_child(F&& f) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    const long before = peak_kib();
    f();
    const double mib = double(peak_kib() - before) / 1024.0;
    if (write(fds[1], &mib, sizeof mib) != sizeof mib) _exit(1);
    _exit(0);
  }
  close(fds[1]);
  double mib = -1;
  if (read(fds[0], &mib, sizeof mib) != sizeof mib) mib = -1;
  close(fds[0]);
  waitpid(pid, nullptr, 0);
  return mib;
}

template <typename Model>
void measure(const char* name, const Eigen::MatrixXd& X, const Eigen::VectorXi& y, Eigen::Index k) {
  gda::Options o;
  if constexpr (Model::Kind::full) {
    if (Model::Kind::shared)
      o.shrinkage = 1e-3;
    else
      o.reg_param = 1e-3;
  }
  Model fitted(o);
  fitted.fit(X, y);
  Eigen::MatrixXd out = Eigen::MatrixXd::Zero(X.rows(), k);  // resident before the child starts
  const double fit_mib = in_child([&] {
    Model m(o);
    m.fit(X, y);
  });
  const double predict_mib = in_child([&] { fitted.predict_proba(X, out); });
  std::printf("%-18s n=%-9ld X %7.1f MiB   fit +%6.1f MiB   predict_proba +%6.1f MiB\n", name, long(X.rows()),
              double(X.size()) * 8 / (1 << 20), fit_mib, predict_mib);
}

}  // namespace

int main(int argc, char** argv) {
  const Eigen::Index d = argc > 1 ? std::stol(argv[1]) : 64, k = argc > 2 ? std::stol(argv[2]) : 10;
  gda::set_num_threads(1);
  for (const Eigen::Index n : {100000, 1000000, 4000000}) {
    Eigen::MatrixXd X = Eigen::MatrixXd::Random(n, d);
    Eigen::VectorXi y(n);
    for (Eigen::Index i = 0; i < n; ++i) y[i] = int(i % k);
    X.col(0) += y.cast<double>();
    measure<gda::SharedVarianceNB<>>("SharedVarianceNB", X, y, k);
    measure<gda::GaussianNB<>>("GaussianNB", X, y, k);
    measure<gda::LDA<>>("LDA", X, y, k);
    measure<gda::QDA<>>("QDA", X, y, k);
  }
}
