// Seeded synthetic data for the benchmarks, generated once per shape and kept for the whole run.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <new>
#include <random>
#include <tuple>
#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace bench {

template <typename Scalar, bool RowMajor>
using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, RowMajor ? Eigen::RowMajor : Eigen::ColMajor>;

struct Data {
  Eigen::MatrixXd X;  // column-major double; the other layouts and scalars are made from it on demand
  Eigen::VectorXi y;
};

// K Gaussian classes in D dimensions: class k has mean 3 k (j + 1) / D and a per-class, per-feature scale.
inline const Data& data(Eigen::Index n, Eigen::Index d, Eigen::Index k) {
  static std::map<std::tuple<Eigen::Index, Eigen::Index, Eigen::Index>, std::unique_ptr<Data>> cache;
  auto& slot = cache[{n, d, k}];
  if (!slot) {
    slot = std::make_unique<Data>();
    std::mt19937_64 rng(static_cast<std::uint64_t>(n * 131 + d * 7 + k));
    std::normal_distribution<double> normal(0, 1);
    std::uniform_int_distribution<int> pick(0, static_cast<int>(k) - 1);
    slot->y.resize(n);
    for (Eigen::Index i = 0; i < n; ++i) slot->y[i] = pick(rng);
    slot->X.resize(n, d);
    for (Eigen::Index j = 0; j < d; ++j)
      for (Eigen::Index i = 0; i < n; ++i) {
        const int c = slot->y[i];
        slot->X(i, j) = 3.0 * c * double(j + 1) / double(d) + (0.5 + 0.1 * ((c + j) % 5)) * normal(rng);
      }
  }
  return *slot;
}

// X in the requested scalar and storage order, made once and kept.
template <typename Scalar, bool RowMajor>
const Matrix<Scalar, RowMajor>& X(Eigen::Index n, Eigen::Index d, Eigen::Index k) {
  static std::map<std::tuple<Eigen::Index, Eigen::Index, Eigen::Index>, std::unique_ptr<Matrix<Scalar, RowMajor>>>
      cache;
  auto& slot = cache[{n, d, k}];
  if (!slot) slot = std::make_unique<Matrix<Scalar, RowMajor>>(data(n, d, k).X.template cast<Scalar>());
  return *slot;
}

// X() again in memory advised for transparent huge pages (2 MiB, Linux): the same values, for the benchmarks that
// show what the page size does to the memory limit and to gda. Where the system grants no huge pages, it is
// ordinary memory (the benchmarks report how much of the process is in huge pages).
template <typename Scalar, bool RowMajor>
Eigen::Map<const Matrix<Scalar, RowMajor>> X_huge(Eigen::Index n, Eigen::Index d, Eigen::Index k) {
  using Memory = std::unique_ptr<Scalar, decltype(&std::free)>;
  static std::map<std::tuple<Eigen::Index, Eigen::Index, Eigen::Index>, Memory> cache;
  auto [slot, added] = cache.try_emplace({n, d, k}, nullptr, &std::free);
  if (added) {
    constexpr std::size_t page = std::size_t{2} << 20;
    const std::size_t bytes = std::size_t(n * d) * sizeof(Scalar), rounded = (bytes + page - 1) / page * page;
    slot->second.reset(static_cast<Scalar*>(std::aligned_alloc(page, rounded)));
    if (!slot->second) {
      cache.erase(slot);
      throw std::bad_alloc();
    }
#if defined(__linux__)
    madvise(slot->second.get(), rounded, MADV_HUGEPAGE);
#endif
    const auto& x = X<Scalar, RowMajor>(n, d, k);
    std::copy(x.data(), x.data() + x.size(), slot->second.get());
  }
  return {slot->second.get(), n, d};
}

}  // namespace bench
