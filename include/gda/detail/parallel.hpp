/// \file
/// OpenMP loops whose results do not depend on the thread count, and whose exceptions reach the caller.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <exception>
#include <vector>

#include "../threads.hpp"
#include "diagnostics.hpp"

GDA_DIAGNOSTICS_PUSH

#ifdef _OPENMP
#define GDA_STRINGIFY(...) #__VA_ARGS__
#define GDA_OMP(...) _Pragma(GDA_STRINGIFY(omp __VA_ARGS__))
#else
#define GDA_OMP(...)
#endif

namespace gda::detail {

/// Calls body(i, slot) for every i in [0, count) on up to `threads` threads; slot in [0, threads) is unique
/// among the calls running at once, for per-thread scratch. If calls throw, the exception of the smallest i is
/// rethrown after all have finished, so the error reported does not depend on the thread count either.
template <typename Body>
void parallel_for(Eigen::Index count, int threads, Body&& body) {
#ifdef _OPENMP
  const int t = static_cast<int>(std::min<Eigen::Index>(std::max(threads, 1), std::max<Eigen::Index>(count, 1)));
#else
  static_cast<void>(threads);
#endif
  Eigen::Index failed_at = count;
  std::exception_ptr failure;
  // Even one thread runs inside a parallel region, whose threads ask for no nested threads: Eigen would
  // otherwise spread every block's small product over all cores (or set up to, at a cost per product),
  // whatever thread count was asked for. The setting is the region's own and ends with it.
  GDA_OMP(parallel num_threads(t)) {
    int slot = 0;
#ifdef _OPENMP
    slot = omp_get_thread_num();
    omp_set_num_threads(1);
#endif
#ifdef _OPENMP
    // Consecutive indices go to one thread in runs of `grain`, so that a block's request for the next one
    // from memory serves the thread that will use it; the runs stay short enough to balance the threads.
    const Eigen::Index grain = std::max<Eigen::Index>(1, count / (Eigen::Index{16} * t));
#endif
    GDA_OMP(for schedule(dynamic, grain))
    for (Eigen::Index i = 0; i < count; ++i) {
      try {
        body(i, slot);
      } catch (...) {
        GDA_OMP(critical(gda_parallel_for_failure))
        if (i < failed_at) {
          failed_at = i;
          failure = std::current_exception();
        }
      }
    }
  }
  if (failure) std::rethrow_exception(failure);
}

/// Reduces rows [0, n) to one set of statistics: fixed chunks of `chunk` rows are reduced independently,
/// `threads` at a time, and merged in chunk order. The chunking and the merge order depend on n alone, so the
/// result is bit-for-bit the same for any thread count. accumulate(r0, r1, stats, slot) adds rows [r0, r1).
template <typename Stats, typename Accumulate>
Stats reduce_rows(Eigen::Index n, Eigen::Index chunk, int threads, const Stats& zero, Accumulate&& accumulate) {
  const Eigen::Index n_chunks = (n + chunk - 1) / chunk;
  const int t = static_cast<int>(std::min<Eigen::Index>(std::max(threads, 1), std::max<Eigen::Index>(n_chunks, 1)));
  Stats total = zero;
  std::vector<Stats> part(static_cast<std::size_t>(t), zero);
  for (Eigen::Index c0 = 0; c0 < n_chunks; c0 += t) {
    const Eigen::Index wave = std::min<Eigen::Index>(t, n_chunks - c0);
    parallel_for(wave, t, [&](Eigen::Index i, int slot) {
      Stats& s = part[static_cast<std::size_t>(i)];
      s = zero;
      const Eigen::Index r0 = (c0 + i) * chunk;
      accumulate(r0, std::min(n, r0 + chunk), s, slot);
    });
    for (Eigen::Index i = 0; i < wave; ++i) total.merge(part[static_cast<std::size_t>(i)]);
  }
  return total;
}

}  // namespace gda::detail

GDA_DIAGNOSTICS_POP
