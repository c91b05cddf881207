// gda's benchmarks: fit and predict_proba of every kind, float and double, both storage orders (and predict, the
// labels, at the main shape), beside
// (a) a kernel that only reads X once, the memory-bandwidth limit, and (b) a textbook plain-loop
// implementation, all in this one binary so every figure is a ratio measured in one run.
//
// Counters: bytes_per_second is the bytes of X processed per second; x_read_once is the time over the time of
// reading the same X once (1.0 is the limit); for predict_proba, moved_once is the time over the time of reading
// X once and writing the n x K output once, the limit when the output is as large as X or larger;
// vs_textbook is how many times faster than the textbook loop on the same data. Everything runs on one thread
// unless the name says threads=2; there x_read_once_threads is the time over the time two threads take to read X
// once, the two cores' limit. huge_pages/ runs again over X in huge pages, against its own read-once time;
// huge_page_kib is how much of the process is in them.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <gda/gda.hpp>
#include <map>
#include <string>
#include <vector>

#include "data.hpp"
#include "textbook.hpp"

namespace {

using Index = Eigen::Index;
using Clock = std::chrono::steady_clock;

struct Shape {
  Index n, d, k;
};

std::string name(const Shape& s) {
  return "n=" + std::to_string(s.n) + ",d=" + std::to_string(s.d) + ",k=" + std::to_string(s.k);
}

template <typename Scalar, bool RowMajor>
std::string variant(const Shape& s) {
  return std::string(std::is_same_v<Scalar, float> ? "float" : "double") + "/" + (RowMajor ? "row" : "col") + "/" +
         name(s);
}

// Mean seconds per iteration of the reference kernels, keyed by variant, for the ratios.
std::map<std::string, double>& read_once_seconds() {
  static std::map<std::string, double> m;
  return m;
}
std::map<std::string, double>& moved_once_seconds() {
  static std::map<std::string, double> m;
  return m;
}
std::map<std::string, double>& textbook_seconds() {
  static std::map<std::string, double> m;
  return m;
}

// Runs `body` once per iteration, timing it, and sets the bytes and ratio counters.
template <typename Body>
double timed(benchmark::State& state, double x_bytes, const std::string& key, Body&& body) {
  double total = 0;
  for (auto _ : state) {
    const auto t0 = Clock::now();
    body();
    total += std::chrono::duration<double>(Clock::now() - t0).count();
  }
  const double mean = total / double(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(x_bytes * double(state.iterations())));
  if (const auto it = read_once_seconds().find(key); it != read_once_seconds().end())
    state.counters["x_read_once"] = mean / it->second;
  return mean;
}

// Calls f with X of the shape, in ordinary memory or, when `huge`, in memory advised for huge pages; and the key of
// its reference times.
template <typename Scalar, bool RowMajor, typename F>
void with_x(const Shape& s, bool huge, F&& f) {
  const std::string key = variant<Scalar, RowMajor>(s);
  if (huge)
    f(bench::X_huge<Scalar, RowMajor>(s.n, s.d, s.k), "huge/" + key);
  else
    f(bench::X<Scalar, RowMajor>(s.n, s.d, s.k), key);
}

// KiB of the process in transparent huge pages, from Linux's /proc/self/smaps_rollup (0 where there is none).
double huge_page_kib() {
  std::FILE* f = std::fopen("/proc/self/smaps_rollup", "r");
  if (!f) return 0;
  char line[256];
  double kib = 0;
  while (std::fgets(line, sizeof line, f))
    if (std::strncmp(line, "AnonHugePages:", 14) == 0) kib = std::atof(line + 14);
  std::fclose(f);
  return kib;
}

// The sum of the `size` values at p, each of `threads` threads summing one contiguous share: the limit of that many
// cores reading X once, whatever its storage order.
template <typename Scalar>
Scalar sum_shares(const Scalar* p, Index size, int threads) {
  using Vector = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;
  std::vector<Scalar> part(static_cast<std::size_t>(threads), Scalar(0));
#ifdef _OPENMP
#pragma omp parallel for num_threads(threads) schedule(static, 1)
#endif
  for (int t = 0; t < threads; ++t) {
    const Index first = size * t / threads, last = size * (t + 1) / threads;
    part[static_cast<std::size_t>(t)] = Eigen::Map<const Vector>(p + first, last - first).sum();
  }
  Scalar total = 0;
  for (const Scalar v : part) total += v;
  return total;
}

// The read-once key of `threads` threads reading the X of `key`.
std::string threads_key(const std::string& key, int threads) {
  return threads == 1 ? key : key + "/threads=" + std::to_string(threads);
}

// Reads X once (a vectorised sum) on `threads` threads. Its time is the reference of x_read_once for one thread,
// and of x_read_once_threads for more.
template <typename Scalar, bool RowMajor>
void read_once(benchmark::State& state, Shape s, bool huge = false, int threads = 1) {
  with_x<Scalar, RowMajor>(s, huge, [&](const auto& X, const std::string& key) {
    const std::string own = threads_key(key, threads);
    read_once_seconds().erase(own);
    const double mean = timed(state, double(X.size()) * sizeof(Scalar), key, [&] {
      benchmark::DoNotOptimize(threads == 1 ? X.sum() : sum_shares(X.data(), X.size(), threads));
    });
    read_once_seconds()[own] = mean;
    if (huge) state.counters["huge_page_kib"] = huge_page_kib();
  });
}

// Reads X once (a vectorised sum) and writes an n x K output once (memset, the C library's fastest write):
// what predict_proba cannot beat, whatever the sizes of X and of its output.
template <typename Scalar, bool RowMajor>
void moved_once(benchmark::State& state, Shape s) {
  const auto& X = bench::X<Scalar, RowMajor>(s.n, s.d, s.k);
  const std::string key = variant<Scalar, RowMajor>(s);
  Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic> out =
      Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>::Zero(s.n, s.k);
  moved_once_seconds().erase(key);
  const double mean = timed(state, double(X.size()) * sizeof(Scalar), key, [&] {
    benchmark::DoNotOptimize(X.sum());
    std::memset(static_cast<void*>(out.data()), 0, std::size_t(out.size()) * sizeof(Scalar));
    benchmark::DoNotOptimize(out.data());
  });
  moved_once_seconds()[key] = mean;
}

// The moved_once counter of a predict_proba benchmark that took `mean` seconds per call.
void set_moved_once(benchmark::State& state, const std::string& key, double mean) {
  if (const auto it = moved_once_seconds().find(key); it != moved_once_seconds().end())
    state.counters["moved_once"] = mean / it->second;
}

template <typename Scalar, bool RowMajor>
void textbook(benchmark::State& state, Shape s, bool full, bool fit) {
  const auto& X = bench::X<Scalar, RowMajor>(s.n, s.d, s.k);
  const auto& y = bench::data(s.n, s.d, s.k).y;
  const std::string key = variant<Scalar, RowMajor>(s);
  const int k = int(s.k);
  // Outputs are written once before timing, as a caller's reused buffer would be: the first write to fresh
  // pages takes a page fault per 4 KiB, which is the allocator's cost and not the loop's.
  Eigen::MatrixXd out = Eigen::MatrixXd::Zero(s.n, s.k);
  double mean;
  if (full) {
    const auto g = bench::textbook::fit_full(X, y, k);
    mean = fit ? timed(state, double(X.size()) * sizeof(Scalar), key,
                       [&] { benchmark::DoNotOptimize(bench::textbook::fit_full(X, y, k)); })
               : timed(state, double(X.size()) * sizeof(Scalar), key,
                       [&] { bench::textbook::predict_proba_full(g, X, out); });
  } else {
    const auto m = bench::textbook::fit_nb(X, y, k);
    mean = fit ? timed(state, double(X.size()) * sizeof(Scalar), key,
                       [&] { benchmark::DoNotOptimize(bench::textbook::fit_nb(X, y, k)); })
               : timed(state, double(X.size()) * sizeof(Scalar), key,
                       [&] { bench::textbook::predict_proba_nb(m, X, out); });
  }
  if (!fit) set_moved_once(state, key, mean);
  textbook_seconds()[key + (full ? "/full" : "/nb") + (fit ? "/fit" : "/predict")] = mean;
}

// What an estimator benchmark times.
enum class Op { fit, predict_proba, predict };

template <typename Model, bool RowMajor>
void estimator(benchmark::State& state, Shape s, Op op, int threads, bool huge = false) {
  using Scalar = typename Model::Scalar;
  const auto& y = bench::data(s.n, s.d, s.k).y;
  with_x<Scalar, RowMajor>(s, huge, [&](const auto& X, const std::string& key) {
    gda::ThreadLimit limit(threads);
    gda::Options options;
    if constexpr (Model::Kind::full) {
      if (Model::Kind::shared)
        options.shrinkage = 1e-3;  // well-posed at every shape
      else
        options.reg_param = 1e-3;
    }
    Model model(options);
    model.fit(X, y);
    // Outputs touched, as in textbook().
    Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic> out;
    Eigen::VectorXi labels;
    if (op == Op::predict_proba) out.setZero(s.n, s.k);
    if (op == Op::predict) labels.setZero(s.n);
    const double bytes = double(X.size()) * sizeof(Scalar);
    const double mean = op == Op::fit             ? timed(state, bytes, key, [&] { model.fit(X, y); })
                        : op == Op::predict_proba ? timed(state, bytes, key, [&] { model.predict_proba(X, out); })
                                                  : timed(state, bytes, key, [&] { model.predict(X, labels); });
    if (op == Op::predict_proba) set_moved_once(state, key, mean);
    if (const auto it = read_once_seconds().find(threads_key(key, threads));
        threads > 1 && it != read_once_seconds().end())
      state.counters["x_read_once_threads"] = mean / it->second;
    // The textbook loops fit and compute posteriors; labels have no textbook figure of their own.
    const std::string family = Model::Kind::full ? "/full" : "/nb";
    if (const auto it = textbook_seconds().find(key + family + (op == Op::fit ? "/fit" : "/predict"));
        op != Op::predict && it != textbook_seconds().end())
      state.counters["vs_textbook"] = it->second / mean;
  });
}

// The hot kernels of include/gda/detail/kernels.hpp on their own, single thread, over the same X: block
// statistics (one pass, diagonal), scoring in the linear and residual forms, and the row-wise log-sum-exp over
// a ready n x K score matrix. "cached" runs the scoring kernel n / block times over one block that stays in
// cache: the arithmetic alone, without memory. The overlap cases measure the machine instead (multiply_adds).
enum class KernelCase {
  statistics,
  linear,
  residual,
  linear_cached,
  residual_cached,
  log_sum_exp,
  overlap_memory_order,
  overlap_tile_order,
  overlap_cached
};

// How well this machine overlaps arithmetic with reading X, whatever gda does: K multiply-adds per packet of X
// (the linear form's arithmetic per value, at the main shape's K = 10), over X in memory order, which the
// hardware prefetcher follows, or in the order the row-major scoring kernel visits a tile of 16 rows (a packet of
// each row in turn), which it does not, so each tile is requested in software while the one before is computed
// on. `cached` repeats the first 256 KiB, in tile order: the arithmetic alone.
template <int K>
double multiply_adds(const double* x, Index packets, Index row_packets, bool tile_order) {
  namespace ei = Eigen::internal;
  using Packet = ei::packet_traits<double>::type;
  constexpr Index W = ei::packet_traits<double>::size, tile_rows = 16;
  const Index tile = tile_rows * row_packets;
  Packet acc[K];
  for (auto& a : acc) a = ei::pset1<Packet>(0.0);
  const Packet w = ei::pset1<Packet>(1.0);
  for (Index t = 0; t + tile <= packets; t += tile)
    for (Index k = 0; k < tile; ++k) {
      const Index p = tile_order ? t + (k % tile_rows) * row_packets + k / tile_rows : t + k;
#if defined(__GNUC__)
      if (tile_order) __builtin_prefetch(x + std::min(t + tile + k, packets - 1) * W, 0, 2);
#endif
      const Packet v = ei::ploadu<Packet>(x + p * W);
      for (int q = 0; q < K; ++q) acc[q] = ei::pmadd(v, w, acc[q]);
    }
  for (int q = 1; q < K; ++q) acc[0] = ei::padd(acc[0], acc[q]);
  return ei::predux(acc[0]);
}

template <typename Scalar, bool RowMajor>
void kernel(benchmark::State& state, Shape s, KernelCase which) {
  namespace dt = gda::detail;
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
  const auto& X = bench::X<Scalar, RowMajor>(s.n, s.d, s.k);
  const Eigen::VectorXi& y = bench::data(s.n, s.d, s.k).y;
  const std::string key = variant<Scalar, RowMajor>(s);
  const dt::MatrixRefOf<std::decay_t<decltype(X)>> xr(X);
  // Coefficients of the right shapes; their values do not change the work.
  const Matrix a = Matrix::Random(s.k, s.d), h = -Matrix::Random(s.k, s.d).cwiseAbs();
  const Eigen::Matrix<Scalar, 1, Eigen::Dynamic> c = X.colwise().mean(),
                                                 b = Eigen::Matrix<Scalar, 1, Eigen::Dynamic>::Zero(s.k);
  const Index block = dt::score_block_rows(s.d, s.k, sizeof(Scalar), false);
  dt::ScoreScratch<Scalar> sc;
  Matrix out = Matrix::Zero(s.n, s.k);  // touched, as in textbook()
  auto score_all = [&](auto form, bool cached) {
    constexpr dt::Form f = decltype(form)::value;
    for (Index r0 = 0; r0 < s.n; r0 += block) {
      const Index nb = std::min(block, s.n - r0);
      dt::score_rows<f>(xr, cached ? 0 : r0, nb, c.data(), a.data(), h.data(), b.data(), s.k, sc.xc, sc.s);
      benchmark::DoNotOptimize(sc.s.data());
    }
  };
  using Linear = std::integral_constant<dt::Form, dt::Form::linear>;
  using Residual = std::integral_constant<dt::Form, dt::Form::residual>;
  const Eigen::VectorXi classes = Eigen::VectorXi::LinSpaced(s.k, 0, int(s.k) - 1);
  const dt::LabelMap map(classes);
  const dt::LabelRef<int> yr(y);
  dt::FitScratch fs;
  Matrix scores;
  if (which == KernelCase::log_sum_exp) scores = Matrix::Random(s.n, s.k) * Scalar(20);
  timed(state, double(X.size()) * sizeof(Scalar), key, [&] {
    switch (which) {
      case KernelCase::statistics: {
        gda::SufficientStatistics<false> st(s.k, s.d);
        dt::accumulate<decltype(xr), int, Scalar, false>(xr, yr, nullptr, map, 0, s.n, st, fs, "bench");
        benchmark::DoNotOptimize(st.means().data());
        break;
      }
      case KernelCase::linear:
        score_all(Linear{}, false);
        break;
      case KernelCase::residual:
        score_all(Residual{}, false);
        break;
      case KernelCase::linear_cached:
        score_all(Linear{}, true);
        break;
      case KernelCase::residual_cached:
        score_all(Residual{}, true);
        break;
      case KernelCase::overlap_memory_order:
      case KernelCase::overlap_tile_order:
      case KernelCase::overlap_cached: {
        if constexpr (std::is_same_v<Scalar, double>) {
          constexpr Index W = Eigen::internal::packet_traits<double>::size;
          const Index packets = X.size() / W, row_packets = std::max<Index>(s.d / W, 1);
          if (which == KernelCase::overlap_cached) {
            const Index block = (Index{256} << 10) / Index(sizeof(double)) / W;
            double sum = 0;
            for (Index r = 0; r + block <= packets; r += block) {
              const double* first = X.data();
              benchmark::DoNotOptimize(first);  // one call per block, not hoisted out of the loop
              sum += multiply_adds<10>(first, block, row_packets, true);
            }
            benchmark::DoNotOptimize(sum);
          } else {
            benchmark::DoNotOptimize(
                multiply_adds<10>(X.data(), packets, row_packets, which == KernelCase::overlap_tile_order));
          }
        }
        break;
      }
      case KernelCase::log_sum_exp: {
        const bool stream = std::size_t(s.n * s.k) * sizeof(Scalar) >= dt::stream_output_bytes;
        for (Index r0 = 0; r0 < s.n; r0 += block) {
          const Index nb = std::min(block, s.n - r0);
          sc.s = scores.middleRows(r0, nb);
          dt::finish_block<dt::Output::proba>(sc, classes, out.middleRows(r0, nb), stream);
        }
        benchmark::DoNotOptimize(out.data());
        break;
      }
    }
  });
}

// Registers a benchmark reported in milliseconds of real time, as every one here is.
template <typename F>
benchmark::internal::Benchmark* reg(const std::string& name, F f) {
  return benchmark::RegisterBenchmark(name.c_str(), f)->Unit(benchmark::kMillisecond)->UseRealTime();
}

template <typename Scalar, bool RowMajor>
void register_kernels(const Shape& s) {
  const std::string v = variant<Scalar, RowMajor>(s);
  std::vector<std::pair<const char*, KernelCase>> cases = {{"block_statistics", KernelCase::statistics},
                                                           {"score_linear", KernelCase::linear},
                                                           {"score_residual", KernelCase::residual},
                                                           {"score_linear_cached", KernelCase::linear_cached},
                                                           {"score_residual_cached", KernelCase::residual_cached},
                                                           {"log_sum_exp", KernelCase::log_sum_exp}};
  // The machine's own limits, once: they measure the row-major kernel's tile order.
  if (std::is_same_v<Scalar, double> && RowMajor)
    cases.insert(cases.end(), {{"overlap_memory_order", KernelCase::overlap_memory_order},
                               {"overlap_tile_order", KernelCase::overlap_tile_order},
                               {"overlap_cached", KernelCase::overlap_cached}});
  for (const auto& [label, which] : cases)
    reg("kernel/" + std::string(label) + "/" + v, [s, which = which](benchmark::State& st) {
      kernel<Scalar, RowMajor>(st, s, which);
    })->MinTime(0.5);
}

// Registers `prefix`fit and `prefix`predict_proba of Model on `threads` threads over the X of shape s (in huge pages
// if `huge`), and `prefix`predict with `labels`: a heavy one runs once, the others for at least half a second.
template <typename Model, bool RowMajor>
void register_estimator(const std::string& prefix, const char* kname, const Shape& s, int threads, bool heavy,
                        bool huge, bool labels = false) {
  const std::string suffix =
      std::string(kname) + "/" + variant<typename Model::Scalar, RowMajor>(s) + "/threads=" + std::to_string(threads);
  std::vector<std::pair<Op, const char*>> ops{{Op::fit, "fit/"}, {Op::predict_proba, "predict_proba/"}};
  if (labels) ops.emplace_back(Op::predict, "predict/");
  for (const auto& [op, name] : ops) {
    auto* b = reg(prefix + name + suffix, [s, op = op, threads, huge](benchmark::State& st) {
      estimator<Model, RowMajor>(st, s, op, threads, huge);
    });
    if (heavy)
      b->Iterations(1);
    else
      b->MinTime(0.5);
  }
}

template <typename Scalar, bool RowMajor>
void register_variant(const Shape& s, bool full_kinds, bool textbook_full, bool two_threads, bool labels = false) {
  const std::string v = variant<Scalar, RowMajor>(s);
  reg("read_once/" + v, [s](benchmark::State& st) { read_once<Scalar, RowMajor>(st, s); })->MinTime(0.5);
  if (two_threads)
    reg("read_once/" + threads_key(v, 2), [s](benchmark::State& st) {
      read_once<Scalar, RowMajor>(st, s, false, 2);
    })->MinTime(0.5);
  reg("moved_once/" + v, [s](benchmark::State& st) { moved_once<Scalar, RowMajor>(st, s); })->MinTime(0.5);
  reg("textbook_fit/nb/" + v, [s](benchmark::State& st) {
    textbook<Scalar, RowMajor>(st, s, false, true);
  })->Iterations(2);
  reg("textbook_predict_proba/nb/" + v, [s](benchmark::State& st) {
    textbook<Scalar, RowMajor>(st, s, false, false);
  })->Iterations(1);
  if (textbook_full) {
    reg("textbook_fit/full/" + v, [s](benchmark::State& st) {
      textbook<Scalar, RowMajor>(st, s, true, true);
    })->Iterations(1);
    reg("textbook_predict_proba/full/" + v, [s](benchmark::State& st) {
      textbook<Scalar, RowMajor>(st, s, true, false);
    })->Iterations(1);
  }
  auto kind = [&](auto tag, const char* kname, bool heavy) {
    using Model = gda::GaussianClassifier<Scalar, decltype(tag)>;
    const std::vector<int> counts = two_threads ? std::vector<int>{1, 2} : std::vector<int>{1};
    for (const int t : counts) register_estimator<Model, RowMajor>("", kname, s, t, heavy, false, labels && t == 1);
  };
  kind(gda::SharedDiagonal{}, "SharedVarianceNB", false);
  kind(gda::PerClassDiagonal{}, "GaussianNB", false);
  if (full_kinds) {
    kind(gda::SharedFull{}, "LDA", s.d > 64);
    kind(gda::PerClassFull{}, "QDA", s.d >= 64);
  }
}

// X in huge pages (see bench::X_huge): reading it once, and SharedVarianceNB's and GaussianNB's fit and predict_proba
// on one thread, each against the read-once time of the same memory.
template <bool RowMajor>
void register_huge_pages(const Shape& s) {
  const std::string v = variant<double, RowMajor>(s);
  reg("huge_pages/read_once/" + v, [s](benchmark::State& st) {
    read_once<double, RowMajor>(st, s, true);
  })->MinTime(0.5);
  register_estimator<gda::SharedVarianceNB<double>, RowMajor>("huge_pages/", "SharedVarianceNB", s, 1, false, true);
  register_estimator<gda::GaussianNB<double>, RowMajor>("huge_pages/", "GaussianNB", s, 1, false, true);
}

}  // namespace

int main(int argc, char** argv) {
  const Shape main_shape{1000000, 64, 10}, wide{200000, 512, 10}, many_classes{1000000, 16, 100};
  // The main shape: every kind, scalar and layout; the textbook full kinds once; two threads and predict for double.
  register_variant<double, false>(main_shape, true, true, true, true);
  register_variant<double, true>(main_shape, true, false, true, true);
  register_kernels<double, false>(main_shape);
  register_kernels<double, true>(main_shape);
  register_huge_pages<false>(main_shape);
  register_huge_pages<true>(main_shape);
  register_variant<float, false>(main_shape, true, false, false);
  register_variant<float, true>(main_shape, true, false, false);
  // Wide data: full kinds for double column-major only (QDA's cost grows as D^2).
  register_variant<double, false>(wide, true, false, false);
  register_variant<double, true>(wide, false, false, false);
  register_variant<float, false>(wide, false, false, false);
  register_variant<float, true>(wide, false, false, false);
  // Many classes.
  register_variant<double, false>(many_classes, true, false, false);
  register_variant<double, true>(many_classes, true, false, false);
  register_variant<float, false>(many_classes, true, false, false);
  register_variant<float, true>(many_classes, true, false, false);
  // Linear growth in n.
  for (const Index n : {1000, 10000, 100000, 1000000, 10000000})
    register_variant<double, false>(Shape{n, 16, 10}, false, false, false);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
}
