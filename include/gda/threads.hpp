/// \file
/// How many threads gda's loops use: all cores by default, a process-wide setting, or a scoped override for
/// the calls made inside a block of code. Without OpenMP every loop runs on the calling thread.
#pragma once

#include <atomic>
#include <string>

#include "errors.hpp"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace gda {

namespace detail {

inline std::atomic<int>& global_threads() {
  static std::atomic<int> n{0};
  return n;
}

inline int& scoped_threads() {
  thread_local int n = 0;
  return n;
}

inline void check_threads(int n, const char* fn) {
  if (n < 0)
    throw InvalidArgument(std::string(fn) + ": the thread count must be >= 0 (0: all cores), got " + std::to_string(n));
}

}  // namespace detail

/// Sets the number of threads gda uses in every later call, process-wide; 0 (the default) means all cores.
/// Throws InvalidArgument if n < 0.
inline void set_num_threads(int n) {
  detail::check_threads(n, "set_num_threads");
  detail::global_threads() = n;
}

/// The number of threads the next gda call on this thread will use: the innermost ThreadLimit, else
/// set_num_threads(), else all cores (1 when gda is built without OpenMP).
inline int num_threads() {
#ifdef _OPENMP
  if (const int s = detail::scoped_threads(); s > 0) return s;
  if (const int g = detail::global_threads(); g > 0) return g;
  return omp_get_max_threads();
#else
  return 1;
#endif
}

/// Chooses the thread count of the gda calls made on this thread while it lives, e.g. per call:
/// \code
///   { gda::ThreadLimit one(1); model.fit(X, y); }   // this fit on one core
/// \endcode
/// 0 defers to set_num_threads(). Throws InvalidArgument if n < 0.
class ThreadLimit {
 public:
  explicit ThreadLimit(int n) : previous_(detail::scoped_threads()) {
    detail::check_threads(n, "ThreadLimit");
    detail::scoped_threads() = n;
  }
  ~ThreadLimit() { detail::scoped_threads() = previous_; }
  ThreadLimit(const ThreadLimit&) = delete;
  ThreadLimit& operator=(const ThreadLimit&) = delete;

 private:
  int previous_;
};

}  // namespace gda
