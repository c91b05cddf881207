/// \file
/// The hot loops: block statistics for fitting, and the row-wise log-sum-exp of scoring.
/// Both work on blocks of rows small enough to stay in cache, so X is read from memory once.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "../errors.hpp"
#include "../statistics.hpp"
#include "diagnostics.hpp"
#include "labels.hpp"

GDA_DIAGNOSTICS_PUSH

namespace gda::detail {

/// A view of X in its own storage order: plain matrices, Maps and blocks bind without a copy; only an
/// expression without storage (or with a non-unit inner stride) is evaluated into a temporary.
template <typename Scalar, bool RowMajor>
using MatrixRef = Eigen::Ref<
    const Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, RowMajor ? Eigen::RowMajor : Eigen::ColMajor>, 0,
    Eigen::OuterStride<>>;

template <typename Derived>
using MatrixRefOf = MatrixRef<typename Derived::Scalar, bool(Derived::IsRowMajor)>;

template <typename Scalar>
using VectorRef = Eigen::Ref<const Eigen::Matrix<Scalar, Eigen::Dynamic, 1>, 0, Eigen::InnerStride<>>;

/// Rows per block: about 256 KiB of X, so a block and its class sums sit in L2 while it is read twice.
inline Eigen::Index block_rows(Eigen::Index n_features, std::size_t scalar_bytes) {
  const auto per_row = static_cast<Eigen::Index>(scalar_bytes) * std::max<Eigen::Index>(n_features, 1);
  return std::clamp<Eigen::Index>((Eigen::Index{256} << 10) / per_row, 16, 4096);
}

/// Rows per fitting block. The full kinds need more than fit in cache: each class's scatter is updated once
/// per block, and with D = 512 a cache-sized block gives rank-6 updates of a 2 MiB matrix, bound by memory.
/// About 8 D rows make each update a real matrix product.
inline Eigen::Index fit_block_rows(Eigen::Index n_features, bool full) {
  const Eigen::Index cached = block_rows(n_features, sizeof(double));
  return full ? std::max(cached, std::min<Eigen::Index>(8 * n_features, Eigen::Index{1} << 16)) : cached;
}

/// Rows per fitting block of column-major X for the diagonal kinds, which is read one panel of up to 32 features at a
/// time (accumulate): at least 1024, so that each column is read in runs of 8 KiB or more. Between 512 and 4096 rows
/// made no clear difference at D = 64; at D = 512, where a whole-row block has 64 rows, 1024 took 0.41 of the time.
inline Eigen::Index panel_rows(Eigen::Index n_features) {
  return std::max<Eigen::Index>(1024, block_rows(n_features, sizeof(double)));
}

/// Rows per scoring block: cache-sized, but at least 512 rows for the full kinds, whose per-class triangular
/// solves are inefficient on thin panels.
inline Eigen::Index score_block_rows(Eigen::Index n_features, Eigen::Index n_classes, std::size_t scalar_bytes,
                                     bool full) {
  // A multiple of 32 rows, so that only the last block of X ends in a partial tile of the scoring kernel.
  // And an odd multiple: the block's K score columns are nb apart, and an even multiple of 32 rows puts them
  // on a few sets of the L1 cache, so that with many classes each pass over a row's scores misses it.
  const Eigen::Index cached =
      (std::max<Eigen::Index>(block_rows(n_features + n_classes, scalar_bytes), 32) - 32) / 64 * 64 + 32;
  return full ? std::max<Eigen::Index>(cached, 544) : cached;
}

inline std::string at(const char* arg, Eigen::Index i) { return std::string(arg) + "[" + std::to_string(i) + "]"; }

/// Throws NonFiniteValue for the first non-finite entry of row i of X, if it has one.
template <typename XRef>
void check_row_finite(const XRef& X, Eigen::Index i, const char* fn) {
  for (Eigen::Index j = 0; j < X.cols(); ++j)
    if (!std::isfinite(X(i, j)))
      throw NonFiniteValue(std::string(fn) + ": X has a non-finite value (" + std::to_string(X(i, j)) + ") at row " +
                               std::to_string(i) + ", column " + std::to_string(j),
                           i, j);
}

using RowMatrixXd = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowMatrixXf = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// Asks for the cache line at p to be brought into L2 (locality 2: it is needed a block later, not now) or,
/// with locality 3, into every level.
template <int locality = 2>
inline void prefetch(const void* p) {
#if defined(__GNUC__)
  __builtin_prefetch(p, 0, locality);
#else
  (void)p;
#endif
}

#if defined(__GNUC__)
#pragma GCC diagnostic push
// SIMD types such as __m512d as template arguments lose their alignment attribute; Eigen's packets expect that.
#pragma GCC diagnostic ignored "-Wignored-attributes"
#endif
/// Transposes the W x W block in t (W the packet size): t.packet[j] becomes column j. With AVX-512, rounds of
/// shuffles on full registers (24 for doubles, 64 for floats), where Eigen's transposition goes through 256-bit
/// halves with extracts and inserts, more than twice the instructions.
template <typename Packet>
EIGEN_ALWAYS_INLINE void transpose_in_registers(
    Eigen::internal::PacketBlock<Packet, Eigen::internal::unpacket_traits<Packet>::size>& t) {
  namespace ei = Eigen::internal;
#if defined(EIGEN_VECTORIZE_AVX512)
  if constexpr (std::is_same_v<Packet, ei::Packet8d>) {
    __m512d u[8], v[8];
    for (int r = 0; r < 8; r += 2) {
      u[r] = _mm512_unpacklo_pd(t.packet[r], t.packet[r + 1]);
      u[r + 1] = _mm512_unpackhi_pd(t.packet[r], t.packet[r + 1]);
    }
    for (int p = 0; p < 8; p += 4)
      for (int q = 0; q < 2; ++q) {
        v[p + q] = _mm512_shuffle_f64x2(u[p + q], u[p + q + 2], 0x88);
        v[p + q + 2] = _mm512_shuffle_f64x2(u[p + q], u[p + q + 2], 0xDD);
      }
    // v[q] holds columns q and q + 4 of rows 0-3, v[q + 4] the same of rows 4-7
    for (int q = 0; q < 4; ++q) {
      t.packet[q] = _mm512_shuffle_f64x2(v[q], v[q + 4], 0x88);
      t.packet[q + 4] = _mm512_shuffle_f64x2(v[q], v[q + 4], 0xDD);
    }
    return;
  }
  if constexpr (std::is_same_v<Packet, ei::Packet16f>) {
    // As for doubles, with one more round within 128-bit lanes.
    __m512 u[16], v[16];
    for (int r = 0; r < 16; r += 2) {
      u[r] = _mm512_unpacklo_ps(t.packet[r], t.packet[r + 1]);
      u[r + 1] = _mm512_unpackhi_ps(t.packet[r], t.packet[r + 1]);
    }
    // v[4 g + o] holds, in lane i, column 4 i + o of rows 4 g .. 4 g + 3
    for (int g = 0; g < 4; ++g)
      for (int h = 0; h < 2; ++h) {
        const __m512d a = _mm512_castps_pd(u[4 * g + h]), b = _mm512_castps_pd(u[4 * g + h + 2]);
        v[4 * g + 2 * h] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, b));
        v[4 * g + 2 * h + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, b));
      }
    for (int o = 0; o < 4; ++o) {
      const __m512 w0 = _mm512_shuffle_f32x4(v[o], v[4 + o], 0x88), w1 = _mm512_shuffle_f32x4(v[o], v[4 + o], 0xDD);
      const __m512 w2 = _mm512_shuffle_f32x4(v[8 + o], v[12 + o], 0x88);
      const __m512 w3 = _mm512_shuffle_f32x4(v[8 + o], v[12 + o], 0xDD);
      t.packet[o] = _mm512_shuffle_f32x4(w0, w2, 0x88);
      t.packet[4 + o] = _mm512_shuffle_f32x4(w1, w3, 0x88);
      t.packet[8 + o] = _mm512_shuffle_f32x4(w0, w2, 0xDD);
      t.packet[12 + o] = _mm512_shuffle_f32x4(w1, w3, 0xDD);
    }
    return;
  }
#endif
  ei::ptranspose(t);
}

/// Copies rows [0, nb) of a column-major matrix (entry (i, j) at src[j * ld + i]) into the row-major nb x d
/// matrix at dst (entry (i, j) at dst[i * ldd + j]); read the other way round, it turns a row-major block into a
/// column-major one. Eigen's cross-order assignment moves one scalar at a time; here W x W tiles (W the SIMD width)
/// are loaded from W columns, transposed in registers and stored as W row pieces, walking down W columns at a
/// time so that the reads stay W sequential streams. With `readable` > 0 (the rows of each column that may be
/// read from src, at least nb), each stream is also requested 8 cache lines ahead of the tile being read, up to
/// that row: on its own the hardware prefetcher kept W streams only partly busy (column-major fit at (1e6, 64, 10)
/// took 0.86-0.93 of the time with the requests, float as double). Not for runs of fewer than 32 lines per column,
/// such as the 8 of a whole-row block at D = 512, where the requests were 1-7% slower.
template <typename Scalar>
void transpose_rows(const Scalar* src, Eigen::Index ld, Eigen::Index nb, Eigen::Index d, Scalar* dst, Eigen::Index ldd,
                    Eigen::Index readable = 0) {
  namespace ei = Eigen::internal;
  using Packet = typename ei::packet_traits<Scalar>::type;
  constexpr int W = ei::unpacket_traits<Packet>::size;
  constexpr Eigen::Index line = Eigen::Index{64} / Eigen::Index(sizeof(Scalar)), distance = 8 * line;
  if (nb < 4 * distance) readable = 0;
  Eigen::Index j0 = 0;
  if constexpr (W > 1) {
    for (; j0 + W <= d; j0 += W) {
      Eigen::Index i0 = 0;
      for (; i0 + W <= nb; i0 += W) {
        if (i0 % line == 0 && i0 + distance < readable)
          for (int c = 0; c < W; ++c) prefetch<3>(src + (j0 + c) * ld + i0 + distance);
        ei::PacketBlock<Packet, W> tile;
        for (int c = 0; c < W; ++c) tile.packet[c] = ei::ploadu<Packet>(src + (j0 + c) * ld + i0);
        transpose_in_registers(tile);
        for (int r = 0; r < W; ++r) ei::pstoreu(dst + (i0 + r) * ldd + j0, tile.packet[r]);
      }
      for (; i0 < nb; ++i0)
        for (Eigen::Index j = j0; j < j0 + W; ++j) dst[i0 * ldd + j] = src[j * ld + i0];
    }
  }
  for (Eigen::Index j = j0; j < d; ++j)
    for (Eigen::Index i = 0; i < nb; ++i) dst[i * ldd + j] = src[j * ld + i];
}

/// The next block of X, requested into L2 a few cache lines at a time while the current one is computed on,
/// so that memory is busy during the arithmetic too (a cache line is taken as 64 bytes, true of the processors
/// that matter here; a wrong guess elsewhere costs only speed). Each piece of a column-major block lies on a
/// page of its own, where the hardware prefetcher starts cold, and it never runs ahead into the next block
/// while the current one is read from cache. It is `pieces` runs of `len` scalars, `gap` apart: the
/// block's column pieces of column-major X, or its rows of row-major X.
template <typename Scalar>
class Ahead {
 public:
  static constexpr Eigen::Index line = Eigen::Index{64} / Eigen::Index(sizeof(Scalar));
  Ahead(const Scalar* p, Eigen::Index pieces, Eigen::Index len, Eigen::Index gap)
      : p_(p), pieces_(len > 0 ? pieces : 0), len_(len), gap_(gap) {}
  /// Cache lines not yet requested.
  Eigen::Index left() const { return (pieces_ - piece_) * ((len_ + line - 1) / line) - offset_ / line; }
  /// `count` cache lines from `first` on, `line` scalars apart, for a kernel to request itself.
  struct Run {
    const Scalar* first = nullptr;
    Eigen::Index count = 0;
  };
  /// Two runs: the lines of a share may cross the end of a piece (a column of a column-major block, some 70
  /// lines at D = 64).
  using Runs = std::pair<Run, Run>;
  /// Requests the lines of Runs a few at a time, for a kernel to spread them over its arithmetic.
  class Trickle {
   public:
    explicit Trickle(const Runs& runs) : p_(runs.first.first), left_(runs.first.count), then_(runs.second) {}
    /// Requests the next `lines` lines, or those left.
    EIGEN_ALWAYS_INLINE void next(Eigen::Index lines) {
      for (; lines > 0; --lines) {
        if (left_ == 0) {
          if (then_.count == 0) return;
          p_ = then_.first, left_ = then_.count, then_.count = 0;
        }
        // Not through prefetch(): that changes GCC 12's code for the row-major scoring kernels, which
        // inline this (score_tile_rows lost its inline prefetch instructions), and was not measured.
#if defined(__GNUC__)
        __builtin_prefetch(p_, 0, 2);
#endif
        p_ += line, --left_;
      }
    }

   private:
    const Scalar* p_;
    Eigen::Index left_;
    Run then_;
  };
  /// The next at most `lines` cache lines, now counted as requested.
  Runs take(Eigen::Index lines) {
    const Run a = take_run(lines);
    return {a, take_run(lines - a.count)};
  }
  /// Requests the next `lines` cache lines, or all that are left. Line by line, each step checking the end
  /// of its piece: against working out each piece's count and requesting its lines in one inner loop, that
  /// made row-major predict_proba 20% faster and fit 3-4%, for the same requests.
  void request(Eigen::Index lines) {
    for (; lines > 0 && piece_ < pieces_; --lines) {
      prefetch(p_ + piece_ * gap_ + offset_);
      offset_ += line;
      if (offset_ >= len_) offset_ = 0, ++piece_;
    }
  }

 private:
  Run take_run(Eigen::Index lines) {
    if (piece_ >= pieces_ || lines <= 0) return {};
    const Run run{p_ + piece_ * gap_ + offset_, std::min(lines, (len_ - offset_ + line - 1) / line)};
    offset_ += run.count * line;
    if (offset_ >= len_) offset_ = 0, ++piece_;
    return run;
  }

  const Scalar* p_ = nullptr;
  Eigen::Index pieces_ = 0, len_ = 0, gap_ = 0, piece_ = 0, offset_ = 0;
};

/// An Ahead over rows [r0, r0 + count) of X in its storage order: D column pieces, or the rows, which are one
/// run when contiguous so that rows shorter than a cache line do not request it once each.
template <typename XRef>
Ahead<typename XRef::Scalar> ahead_of(const XRef& X, Eigen::Index r0, Eigen::Index count) {
  using A = Ahead<typename XRef::Scalar>;
  const Eigen::Index d = X.cols(), stride = X.outerStride();
  if constexpr (XRef::IsRowMajor)
    return stride == d ? A(X.data() + r0 * stride, 1, count * d, 0) : A(X.data() + r0 * stride, count, d, stride);
  else
    return A(X.data() + r0, d, count, stride);
}

/// How a class's score grows with each feature: linearly, + a_kj x'_j (shared variances and LDA), or as a
/// scaled squared residual, - (h_kj x'_j + a_kj)^2 (per-class variances, with h_kj = 1 / (sqrt(2) sigma_kj) and
/// a_kj = -h_kj mu'_kj): two multiply-adds per class and feature, where the weighted square h (x' - a)^2 takes three
/// operations.
enum class Form { linear, residual };

/// SIMD geometry of the scoring kernel: a tile is 2 packets of rows by `classes` classes, its accumulators
/// held in registers (24 of AVX-512's 32; 4 classes with 16 registers).
template <typename Scalar>
struct ScoreTile {
  using Packet = typename Eigen::internal::packet_traits<Scalar>::type;
  static constexpr int width = Eigen::internal::unpacket_traits<Packet>::size;
  static constexpr int rows = 2 * width;
  static constexpr int classes = EIGEN_ARCH_DEFAULT_NUMBER_OF_REGISTERS >= 32 ? 12 : 4;
  // QDA's chunk of whitened outputs: a chunk costs (its end) x (its size) multiply-adds over a triangle, and
  // 8 divides the common D = 64 and the like without padding where 12 would waste a fifth.
  static constexpr int outputs = EIGEN_ARCH_DEFAULT_NUMBER_OF_REGISTERS >= 32 ? 8 : 4;
};

/// A class's score from its bias and the sum the kernel accumulated: b + sum (linear) or b - sum (residual).
template <Form form, typename Packet>
EIGEN_ALWAYS_INLINE Packet biased(const Packet& b, const Packet& sum) {
  return form == Form::linear ? Eigen::internal::padd(b, sum) : Eigen::internal::psub(b, sum);
}

/// Stores the first `valid` of the N packets' scalars, consecutive, at out.
template <typename Packet, typename Scalar, int N>
EIGEN_ALWAYS_INLINE void store_valid(Scalar* out, int valid, const Packet (&v)[N]) {
  constexpr int W = Eigen::internal::unpacket_traits<Packet>::size;
  if (valid == N * W) {
    for (int p = 0; p < N; ++p) Eigen::internal::pstoreu(out + p * W, v[p]);
  } else {
    Scalar tmp[N * W];
    for (int p = 0; p < N; ++p) Eigen::internal::pstoreu(tmp + p * W, v[p]);
    std::copy(tmp, tmp + valid, out);
  }
}

/// Stores a tile's scores for classes [k0, k0 + KC), b_k + sum (linear) or b_k - sum (residual), at s + k lds:
/// the first `valid` rows of the packets acc0[q], then each of more[q]. Unrolled, with the test of `valid`
/// outside the loop and the caller's zeroing loop unrolled too, so that GCC 12 keeps the accumulators in
/// registers from start to end: otherwise it zeroed them in memory with two calls to memset per tile and
/// stored them there after the last column. predict_proba at (1e6, 16, 100) took 0.87-0.94 of the time, at
/// (1e6, 64, 10) 0.98-1.0.
template <Form form, typename Packet, int KC, typename Scalar, typename... More>
EIGEN_ALWAYS_INLINE void store_scores(Scalar* s, Eigen::Index lds, const Scalar* b, Eigen::Index k0, int valid,
                                      const Packet (&acc0)[KC], const More&... more) {
  namespace ei = Eigen::internal;
  constexpr int W = ei::unpacket_traits<Packet>::size, N = 1 + sizeof...(More);
  const auto put = [&](Scalar* out, int q) {
    const Packet bq = ei::pset1<Packet>(b[k0 + q]);
    int p = 0;
    const auto one = [&](const Packet(&acc)[KC]) { ei::pstoreu(out + W * p++, biased<form>(bq, acc[q])); };
    one(acc0);
    (one(more), ...);
  };
  if (valid == N * W) {
#if defined(__GNUC__)
#pragma GCC unroll 16
#endif
    for (int q = 0; q < KC; ++q) put(s + (k0 + q) * lds, q);
  } else {
    Scalar tmp[KC][N * W];
#if defined(__GNUC__)
#pragma GCC unroll 16
#endif
    for (int q = 0; q < KC; ++q) put(tmp[q], q);
    for (int q = 0; q < KC; ++q) std::copy(tmp[q], tmp[q] + valid, s + (k0 + q) * lds);
  }
}

/// p, hidden from the optimiser, so that a coefficient read through both p and reread(p) is loaded twice. With
/// AVX-512 each multiply-add then takes its coefficient from memory as a broadcast operand, where a broadcast
/// into a register shared by several multiply-adds is an instruction of its own. Side by side on AMD Zen 4, with
/// identical outputs, predict_proba with the fit of 100,000 rows took 0.90-0.95 of the time at (1e6, 64, 10)
/// (QDA 0.86), and on a row-major X in cache 0.89. Elsewhere p itself.
template <typename T>
EIGEN_ALWAYS_INLINE const T* reread(const T* p) {
#if defined(EIGEN_VECTORIZE_AVX512) && defined(__GNUC__)
  __asm__("" : "+r"(p));
#endif
  return p;
}

/// One column's step of a tile of two packets of rows: x0 and x1 hold the rows' x'_j, and the column's
/// coefficients of the tile's KC classes start at a + offset (and h + offset for the residual form).
template <Form form, int KC, typename Packet, typename Scalar>
EIGEN_ALWAYS_INLINE void two_packet_step(const Packet& x0, const Packet& x1, const Scalar* a, const Scalar* h,
                                         Eigen::Index offset, Packet (&acc0)[KC], Packet (&acc1)[KC]) {
  namespace ei = Eigen::internal;
  const Scalar* aj = a + offset;
  if constexpr (form == Form::linear) {
    const Scalar* aj1 = reread(aj);
    for (int q = 0; q < KC; ++q) {
      acc0[q] = ei::pmadd(x0, ei::pset1<Packet>(aj[q]), acc0[q]);
      acc1[q] = ei::pmadd(x1, ei::pset1<Packet>(aj1[q]), acc1[q]);
    }
  } else {
    const Scalar *hj = h + offset, *hj1 = reread(hj);
    for (int q = 0; q < KC; ++q) {
      const Packet m = ei::pset1<Packet>(aj[q]);
      const Packet t0 = ei::pmadd(x0, ei::pset1<Packet>(hj[q]), m), t1 = ei::pmadd(x1, ei::pset1<Packet>(hj1[q]), m);
      acc0[q] = ei::pmadd(t0, t0, acc0[q]);
      acc1[q] = ei::pmadd(t1, t1, acc1[q]);
    }
  }
}

/// Scores `tile.rows` rows (column j at x + j ld) against classes [k0, k0 + KC): sum_j of the form's term on
/// x'_j = x_j - c_j, plus b_k, stored to s + k lds for the first `valid` rows. Column by column, each x'_j is
/// loaded once and used by every class, so the work per loaded value is 2 KC fused multiply-adds, all in
/// registers. Coefficients are K x D column-major, so a column's classes are adjacent. After each column,
/// `per` more of the lines in `runs` (of the next block) are requested: spread this finely, the requests slow
/// the arithmetic less than in one burst per tile (a sixth less time for predict_proba with the linear form
/// at D = 64, K = 10, a tenth with the residual form). Each column's rows [near, near + tile.rows) are
/// requested too, for a tile read in place that many rows ahead of the next ones (near = 0 requests the
/// tile's own lines, without branching).
template <Form form, int KC, typename Scalar>
void score_tile(const Scalar* x, Eigen::Index ld, Eigen::Index d, const Scalar* c, const Scalar* a, const Scalar* h,
                const Scalar* b, Eigen::Index k_count, Eigen::Index k0, Scalar* s, Eigen::Index lds, int valid,
                typename Ahead<Scalar>::Runs runs, Eigen::Index per, Eigen::Index near) {
  namespace ei = Eigen::internal;
  using T = ScoreTile<Scalar>;
  using Packet = typename T::Packet;
  const Scalar* xn = x + near;
  Packet acc0[KC], acc1[KC];
  // Unrolled, for store_scores.
#if defined(__GNUC__)
#pragma GCC unroll 16
#endif
  for (int q = 0; q < KC; ++q) acc0[q] = acc1[q] = ei::pset1<Packet>(Scalar(0));
  // The requests inline: through Trickle or prefetch(), GCC 12 keeps the accumulators on the stack.
  const Scalar* pf = runs.first.first;
  Eigen::Index pf_left = runs.first.count;
  for (Eigen::Index j = 0; j < d; ++j) {
    for (int q = 0; q < int(per); ++q) {
      if (pf_left == 0) {
        if (runs.second.count == 0) break;
        pf = runs.second.first, pf_left = runs.second.count, runs.second.count = 0;
      }
#if defined(__GNUC__)
      __builtin_prefetch(pf, 0, 2);
#endif
      pf += Ahead<Scalar>::line, --pf_left;
    }
#if defined(__GNUC__)
    __builtin_prefetch(xn + j * ld, 0, 2);
    __builtin_prefetch(xn + j * ld + T::width, 0, 2);
#endif
    const Packet cj = ei::pset1<Packet>(c[j]);
    const Packet x0 = ei::psub(ei::ploadu<Packet>(x + j * ld), cj);
    const Packet x1 = ei::psub(ei::ploadu<Packet>(x + j * ld + T::width), cj);
    two_packet_step<form, KC>(x0, x1, a, h, j * k_count + k0, acc0, acc1);
  }
  store_scores<form>(s, lds, b, k0, valid, acc0, acc1);
}

/// The W x W block of row-major X at x (row r at x + r ld, less c), transposed into t: t.packet[j] holds column
/// j of the W rows.
template <typename Packet, typename Scalar>
EIGEN_ALWAYS_INLINE void load_transposed(
    const Scalar* x, Eigen::Index ld, const Packet& c,
    Eigen::internal::PacketBlock<Packet, Eigen::internal::unpacket_traits<Packet>::size>& t) {
  namespace ei = Eigen::internal;
  constexpr int W = ei::unpacket_traits<Packet>::size;
  for (int r = 0; r < W; ++r) t.packet[r] = ei::psub(ei::ploadu<Packet>(x + r * ld), c);
  transpose_in_registers(t);
}

/// score_tile for the W rows (one packet) of row-major X at x (row r at x + r ld): each W x W block is
/// transposed in registers as it is loaded, so that the kernel reads X where it lies instead of a transposed
/// copy, and the shuffles overlap the multiply-adds.
template <Form form, int KC, typename Scalar>
void score_tile_rows(const Scalar* x, Eigen::Index ld, Eigen::Index d, const Scalar* c, const Scalar* a,
                     const Scalar* h, const Scalar* b, Eigen::Index k_count, Eigen::Index k0, Scalar* s,
                     Eigen::Index lds, int valid, typename Ahead<Scalar>::Runs runs, Eigen::Index per) {
  namespace ei = Eigen::internal;
  using Packet = typename ScoreTile<Scalar>::Packet;
  constexpr int W = ScoreTile<Scalar>::width;
  Packet acc[KC];
  for (int q = 0; q < KC; ++q) acc[q] = ei::pset1<Packet>(Scalar(0));
  typename Ahead<Scalar>::Trickle requests(runs);
  const auto column = [&](Eigen::Index j, const Packet& xj) {
    requests.next(per);
    const Scalar* aj = a + j * k_count + k0;
    if constexpr (form == Form::linear) {
      for (int q = 0; q < KC; ++q) acc[q] = ei::pmadd(xj, ei::pset1<Packet>(aj[q]), acc[q]);
    } else {
      const Scalar* hj = h + j * k_count + k0;
      for (int q = 0; q < KC; ++q) {
        const Packet e = ei::pmadd(xj, ei::pset1<Packet>(hj[q]), ei::pset1<Packet>(aj[q]));
        acc[q] = ei::pmadd(e, e, acc[q]);
      }
    }
  };
  Eigen::Index j0 = 0;
  ei::PacketBlock<Packet, W> t;
  // Unrolled, so that t.packet[j] names a register: rolled, GCC 12 keeps the block on the stack and the kernel
  // is no faster than transposing into a copy. Except for the residual form built by clang, which, unrolled,
  // computed the terms h x' + a of many columns ahead and spilled them: rolled, it reads the block from the stack,
  // one load per column, and row-major GaussianNB predict_proba in cache took 0.74-0.76 of the time (float at
  // D = 64 and 512, double at D = 512), the linear form 1.05 of it.
#if defined(__clang__)
  constexpr bool rolled = form == Form::residual;
#else
  constexpr bool rolled = false;
#endif
  for (; j0 + W <= d; j0 += W) {
    load_transposed(x + j0, ld, ei::ploadu<Packet>(c + j0), t);
    if constexpr (rolled) {
#if defined(__clang__)
#pragma clang loop unroll(disable)
#endif
      for (int j = 0; j < W; ++j) column(j0 + j, t.packet[j]);
    } else {
#if defined(__GNUC__)
#pragma GCC unroll 16
#endif
      for (int j = 0; j < W; ++j) column(j0 + j, t.packet[j]);
    }
  }
  if (j0 < d) {
    // The last columns, padded with zeros to a square block.
    alignas(64) Scalar rest[W * W] = {}, c_rest[W] = {};
    for (int r = 0; r < W; ++r) std::copy(x + r * ld + j0, x + r * ld + d, rest + r * W);
    std::copy(c + j0, c + d, c_rest);
    load_transposed(rest, W, ei::pload<Packet>(c_rest), t);
    for (int j = 0; j < d - j0; ++j) column(j0 + j, t.packet[j]);
  }
  // Not store_scores: with the accumulators in registers to the end, GCC 12 keeps some of the loop's pointers
  // on the stack, and row-major predict_proba at (2e5, 512, 10), whose rows are 4 KiB apart, took 1.28-1.31
  // times as long.
  for (int q = 0; q < KC; ++q)
    store_valid(s + (k0 + q) * lds, valid, {biased<form>(ei::pset1<Packet>(b[k0 + q]), acc[q])});
}

#if defined(EIGEN_VECTORIZE_AVX512)
/// Columns [0, 4) of the 8 rows of row-major X at x (row r at x + r ld), less c4 (the 4 centres, twice), into
/// t: t[j] holds column j of the 8 rows. Each row's 4 values are loaded as one piece, two rows' pieces set side
/// by side in a register, and those 4 registers transposed within 128-bit lanes. Only 4 registers are live
/// where the whole 8 x 8 transposition of score_tile_rows needs 8, which leaves room for tiles of 2 packets.
EIGEN_ALWAYS_INLINE void load_columns4(const double* x, Eigen::Index ld, const __m512d& c4, __m512d (&t)[4]) {
  // z holds rows (0, 2), (1, 3), (4, 6) and (5, 7) in its halves, so that the columns come out in row order.
  constexpr int first[4] = {0, 1, 4, 5};
  __m512d z[4];
  for (int i = 0; i < 4; ++i) {
    const double* r = x + first[i] * ld;
    const __m512d pair = _mm512_insertf64x4(_mm512_castpd256_pd512(_mm256_loadu_pd(r)), _mm256_loadu_pd(r + 2 * ld), 1);
    z[i] = _mm512_sub_pd(pair, c4);
  }
  const __m512d u0 = _mm512_unpacklo_pd(z[0], z[1]), u1 = _mm512_unpackhi_pd(z[0], z[1]);
  const __m512d u2 = _mm512_unpacklo_pd(z[2], z[3]), u3 = _mm512_unpackhi_pd(z[2], z[3]);
  t[0] = _mm512_shuffle_f64x2(u0, u2, 0x88);
  t[1] = _mm512_shuffle_f64x2(u1, u3, 0x88);
  t[2] = _mm512_shuffle_f64x2(u0, u2, 0xDD);
  t[3] = _mm512_shuffle_f64x2(u1, u3, 0xDD);
}

/// score_tile for 16 rows (two packets) of row-major double X at x (row r at x + r ld), read where they lie:
/// 4 columns at a time are loaded and transposed in registers by load_columns4, the shuffles overlapping the
/// multiply-adds, and each coefficient serves both packets. score_tile_rows, with one packet of rows,
/// took 1.1-1.2 times as long from cache at D = 64, K = 10 (both forms). (In float, 4 columns of 2 packets of
/// 16 rows were 5-13% faster in some runs and up to 43% slower in others, and are not used.) Requests 2 lines
/// of `runs` per column, a tile's share when the next block is as large as this one (any more after the tile).
/// Spread this finely and without branches: requests in bursts, one per 4 or 8 columns, made predict_proba
/// about a tenth slower from memory, and a loop or branch per column kept GCC 12 from holding the accumulators
/// in registers.
template <Form form, int KC>
void score_tile_row_pairs(const double* x, Eigen::Index ld, Eigen::Index d, const double* c, const double* a,
                          const double* h, const double* b, Eigen::Index k_count, Eigen::Index k0, double* s,
                          Eigen::Index lds, int valid, Ahead<double>::Runs runs, Eigen::Index) {
  namespace ei = Eigen::internal;
  using Scalar = double;
  using Packet = ei::Packet8d;
  constexpr int W = 8;
  Packet acc0[KC], acc1[KC];
  // Unrolled, for store_scores.
#if defined(__GNUC__)
#pragma GCC unroll 16
#endif
  for (int q = 0; q < KC; ++q) acc0[q] = acc1[q] = ei::pset1<Packet>(Scalar(0));
  constexpr Eigen::Index line = Ahead<Scalar>::line;
  const Scalar* p1 = runs.first.count > 0 ? runs.first.first : x;
  const Eigen::Index last = std::max<Eigen::Index>(runs.first.count - 1, 0);
  const auto column = [&](Eigen::Index j, const Packet& x0, const Packet& x1) {
    __builtin_prefetch(p1 + std::min(2 * j, last) * line, 0, 2);
    __builtin_prefetch(p1 + std::min(2 * j + 1, last) * line, 0, 2);
    two_packet_step<form, KC>(x0, x1, a, h, j * k_count + k0, acc0, acc1);
  };
  Packet t0[4], t1[4];
  Eigen::Index j0 = 0;
  for (; j0 + 4 <= d; j0 += 4) {
    const Packet c4 = _mm512_broadcast_f64x4(_mm256_loadu_pd(c + j0));
    load_columns4(x + j0, ld, c4, t0);
    load_columns4(x + W * ld + j0, ld, c4, t1);
#if defined(__GNUC__)
#pragma GCC unroll 4
#endif
    for (int j = 0; j < 4; ++j) column(j0 + j, t0[j], t1[j]);
  }
  if (j0 < d) {
    // The last columns, padded with zeros to 4.
    alignas(64) Scalar rest[2 * W * 4] = {}, c_rest[4] = {};
    for (int r = 0; r < 2 * W; ++r) std::copy(x + r * ld + j0, x + r * ld + d, rest + r * 4);
    std::copy(c + j0, c + d, c_rest);
    const Packet c4 = _mm512_broadcast_f64x4(_mm256_loadu_pd(c_rest));
    load_columns4(rest, 4, c4, t0);
    load_columns4(rest + W * 4, 4, c4, t1);
    for (int j = 0; j < d - j0; ++j) column(j0 + j, t0[j], t1[j]);
  }
  for (Eigen::Index i = 2 * d; i <= last; ++i) __builtin_prefetch(p1 + i * line, 0, 2);
  for (Eigen::Index i = 0; i < runs.second.count; ++i) __builtin_prefetch(runs.second.first + i * line, 0, 2);
  store_scores<form>(s, lds, b, k0, valid, acc0, acc1);
}
#endif

/// Which kernel scores a tile: score_tile, score_tile_rows or score_tile_row_pairs.
enum class TileKind { columns, rows, row_pairs };

/// The kernel of `kind` for the classes [k0, k_count) left after the full chunks: their count, 1 to KC, is
/// chosen at run time but must be a constant for the accumulators to live in registers.
template <Form form, int KC, TileKind kind, typename Scalar>
void score_tile_rest(int rest, const Scalar* x, Eigen::Index ld, Eigen::Index d, const Scalar* c, const Scalar* a,
                     const Scalar* h, const Scalar* b, Eigen::Index k_count, Eigen::Index k0, Scalar* s,
                     Eigen::Index lds, int valid, typename Ahead<Scalar>::Runs runs, Eigen::Index per,
                     Eigen::Index near = 0) {
  if constexpr (KC > 0) {
    if (rest == KC) {
#if defined(EIGEN_VECTORIZE_AVX512)
      if constexpr (kind == TileKind::row_pairs && std::is_same_v<Scalar, double>)
        return score_tile_row_pairs<form, KC>(x, ld, d, c, a, h, b, k_count, k0, s, lds, valid, runs, per);
#endif
      if constexpr (kind == TileKind::rows)
        return score_tile_rows<form, KC>(x, ld, d, c, a, h, b, k_count, k0, s, lds, valid, runs, per);
      if constexpr (kind == TileKind::columns)
        return score_tile<form, KC>(x, ld, d, c, a, h, b, k_count, k0, s, lds, valid, runs, per, near);
    }
    score_tile_rest<form, KC - 1, kind>(rest, x, ld, d, c, a, h, b, k_count, k0, s, lds, valid, runs, per, near);
  }
}

/// Calls f(tile, ld, i0, valid, share) for the tiles of `rows` rows of a block of nb rows, column-major (column j
/// at x + j ld) or with `row_major` (row i at x + i ld). A last
/// partial tile is copied into `pad` (tile rows x d, in the block's order) with zeros below, so that every row is
/// computed by the same instructions. Each tile's even share of the next block is requested by f as it works,
/// or after it, for as much as f left.
template <int rows, bool row_major, typename Scalar, typename F>
void for_each_tile(const Scalar* x, Eigen::Index ld, Eigen::Index nb, Eigen::Index d, Scalar* pad, Ahead<Scalar>& ahead,
                   F&& f) {
  const Eigen::Index tiles = (nb + rows - 1) / rows, share = (ahead.left() + tiles - 1) / tiles;
  Eigen::Index after = ahead.left();  // lines still to request after the current tile
  for (Eigen::Index i0 = 0; i0 < nb; i0 += rows) {
    const int valid = static_cast<int>(std::min<Eigen::Index>(rows, nb - i0));
    const Scalar* tile = row_major ? x + i0 * ld : x + i0;
    if (valid == rows) {
      f(tile, ld, i0, valid, share);
    } else {
      for (int r = 0; r < rows; ++r)
        for (Eigen::Index j = 0; j < d; ++j) {
          const Scalar v = r < valid ? (row_major ? tile[r * ld + j] : tile[j * ld + r]) : Scalar(0);
          (row_major ? pad[r * d + j] : pad[j * rows + r]) = v;
        }
      f(static_cast<const Scalar*>(pad), row_major ? d : Eigen::Index{rows}, i0, valid, share);
    }
    after = std::max<Eigen::Index>(after - share, 0);
    if (ahead.left() > after) ahead.request(ahead.left() - after);
  }
}

/// S = the scores of the nb rows of a column-major block (column j at x + j ld) against all K classes, into
/// the column-major nb x K matrix at s: S_ik = b_k + sum_j a_kj x'_ij (linear) or b_k - sum_j (h_kj x'_ij
/// + a_kj)^2 (residual), x' = x - c. With `readable` rows of X at x (in place, past the block's end), each
/// tile requests the rows two tiles below it, in every column, and `ahead` is left alone: D streams
/// then stay a short, even distance ahead of their reads. Against requesting the next block's column pieces in
/// turn, column-major predict_proba took 0.79-0.88 of the time at (1e6, 64, 10) and 0.60-0.71 at (2e5, 512, 10).
template <Form form, typename Scalar>
void score_block(const Scalar* x, Eigen::Index ld, Eigen::Index nb, Eigen::Index d, const Scalar* c, const Scalar* a,
                 const Scalar* h, const Scalar* b, Eigen::Index k_count, Scalar* s, Scalar* pad, Ahead<Scalar>& ahead,
                 Eigen::Index readable = 0) {
  using T = ScoreTile<Scalar>;
  const Eigen::Index full_chunks = k_count / T::classes;
  const int rest = static_cast<int>(k_count % T::classes);
  Ahead<Scalar> none(nullptr, 0, 0, 0);
  Ahead<Scalar>& next = readable > 0 ? none : ahead;
  for_each_tile<T::rows, false>(
      x, ld, nb, d, pad, next, [&](const Scalar* xt, Eigen::Index ldt, Eigen::Index i0, int valid, Eigen::Index share) {
        // The tile's share goes out over the columns of its first chunk of classes.
        auto runs = next.take(share);
        const Eigen::Index per = (runs.first.count + runs.second.count + d - 1) / d;
        // 0 for the padded last tile, and near the end of X
        const Eigen::Index near =
            valid == T::rows ? std::clamp<Eigen::Index>(readable - i0 - T::rows, 0, 2 * T::rows) : 0;
        for (Eigen::Index q = 0; q < full_chunks; ++q, runs = {})
          score_tile<form, T::classes>(xt, ldt, d, c, a, h, b, k_count, q * T::classes, s + i0, nb, valid, runs, per,
                                       near);
        if (rest)
          score_tile_rest<form, T::classes, TileKind::columns>(
              rest, xt, ldt, d, c, a, h, b, k_count, full_chunks * T::classes, s + i0, nb, valid, runs, per, near);
      });
}

/// Whether the 16 rows of score_tile_row_pairs, `ld_bytes` apart, can be read in place: not if more than 8 of
/// them fall in one set of an L1 cache whose ways are 4 KiB (as on x86 processors), where the lines of one step
/// of 4 columns evict each other before the next step reads their second halves. Rows of 4 KiB (D = 512) made
/// predict_proba 9% slower.
inline bool row_pairs_fit(Eigen::Index ld_bytes) {
  constexpr Eigen::Index way = 4096, line = 64;
  Eigen::Index g = way;  // gcd(ld_bytes, way): the rows fall on way / g offsets within a way
  while (g > 1 && ld_bytes % g != 0) g /= 2;
  return 16 * std::max(g, line) <= 8 * way;
}

/// score_block for nb rows of row-major X at x (row i at x + i ld) and at most ScoreTile::classes classes, read
/// in place: in double with AVX-512 in tiles of 2 packets of rows (score_tile_row_pairs) when row_pairs_fit,
/// otherwise of one packet (score_tile_rows). A last partial tile goes through `pad` (ScoreTile::rows x d, zeros
/// below). With more classes the transposition would be redone for every chunk of them, and the two-packet tiles of
/// score_block on a transposed copy are faster. Tiles of at most 8 KiB of contiguous rows, with `readable` rows of
/// X at x (in place, past the block's end), request the first tile at least 8 KiB below them instead of lines of
/// `ahead`: predict_proba took 0.82-0.99 of the time at D = 64, 0.89-0.98 at D = 16 (tiles of 16 rows ahead, at
/// D = 16, were 4-7% slower in float; larger tiles gained nothing clear).
template <Form form, typename Scalar>
void score_row_major(const Scalar* x, Eigen::Index ld, Eigen::Index nb, Eigen::Index d, const Scalar* c,
                     const Scalar* a, const Scalar* h, const Scalar* b, Eigen::Index k_count, Scalar* s, Scalar* pad,
                     Ahead<Scalar>& ahead, Eigen::Index readable) {
  using T = ScoreTile<Scalar>;
  constexpr Eigen::Index near_bytes = 8192;
  const auto tiles = [&](auto kind) {
    constexpr TileKind k = decltype(kind)::value;
    constexpr int rows = k == TileKind::row_pairs ? T::rows : T::width;
    const Eigen::Index tile_bytes = rows * ld * Eigen::Index(sizeof(Scalar));
    const bool near = ld == d && readable > 0 && tile_bytes <= near_bytes;
    const Eigen::Index below = (near_bytes + tile_bytes - 1) / std::max<Eigen::Index>(tile_bytes, 1) * rows;
    Ahead<Scalar> none(nullptr, 0, 0, 0);
    Ahead<Scalar>& next = near ? none : ahead;
    for_each_tile<rows, true>(x, ld, nb, d, pad, next,
                              [&](const Scalar* xt, Eigen::Index ldt, Eigen::Index i0, int valid, Eigen::Index share) {
                                auto runs = next.take(share);
                                const Eigen::Index first = std::min(i0 + below, readable - rows);
                                if (near && first > i0)  // none near the end of X
                                  runs.first = {x + first * ld, tile_bytes / 64};
                                const Eigen::Index per = (runs.first.count + runs.second.count + d - 1) / d;
                                score_tile_rest<form, T::classes, k>(static_cast<int>(k_count), xt, ldt, d, c, a, h, b,
                                                                     k_count, 0, s + i0, nb, valid, runs, per);
                              });
  };
#if defined(EIGEN_VECTORIZE_AVX512)
  if constexpr (std::is_same_v<Scalar, double>)
    if (row_pairs_fit(ld * Eigen::Index(sizeof(Scalar))))
      return tiles(std::integral_constant<TileKind, TileKind::row_pairs>{});
#endif
  tiles(std::integral_constant<TileKind, TileKind::rows>{});
}

/// QDA's term for one tile of rows and one class: q = ||U (x' - m)||^2, x' = x - c, with U = L^-1 the inverse
/// of the class's Cholesky factor (lower triangular, column-major, its rows padded with zeros to a multiple of
/// ScoreTile::outputs, columns ldu apart). Each chunk of outputs (U (x' - m))_j, j in [j0, j0 + KC), is
/// accumulated in registers over l <= j: the same register tiling as score_tile, the rows of U standing in for
/// the classes. Stores q for the tile's rows at q_out.
template <typename Scalar>
void whitened_norm_tile(const Scalar* x, Eigen::Index ld, Eigen::Index d, const Scalar* c, const Scalar* m,
                        const Scalar* u, Eigen::Index ldu, Scalar* q_out) {
  namespace ei = Eigen::internal;
  using T = ScoreTile<Scalar>;
  using Packet = typename T::Packet;
  constexpr int KC = T::outputs;
  Packet n0 = ei::pset1<Packet>(Scalar(0)), n1 = n0;
  for (Eigen::Index j0 = 0; j0 < d; j0 += KC) {
    Packet acc0[KC], acc1[KC];
    for (int q = 0; q < KC; ++q) acc0[q] = acc1[q] = ei::pset1<Packet>(Scalar(0));
    const Eigen::Index l_end = std::min(d, j0 + KC);  // U_jl = 0 for l > j
    for (Eigen::Index l = 0; l < l_end; ++l) {
      const Packet cl = ei::pset1<Packet>(c[l]), ml = ei::pset1<Packet>(m[l]);
      const Packet t0 = ei::psub(ei::psub(ei::ploadu<Packet>(x + l * ld), cl), ml);
      const Packet t1 = ei::psub(ei::psub(ei::ploadu<Packet>(x + l * ld + T::width), cl), ml);
      const Scalar *ul = u + l * ldu + j0, *ul1 = reread(ul);
      for (int q = 0; q < KC; ++q) {
        acc0[q] = ei::pmadd(t0, ei::pset1<Packet>(ul[q]), acc0[q]);
        acc1[q] = ei::pmadd(t1, ei::pset1<Packet>(ul1[q]), acc1[q]);
      }
    }
    for (int q = 0; q < KC; ++q) {
      n0 = ei::pmadd(acc0[q], acc0[q], n0);
      n1 = ei::pmadd(acc1[q], acc1[q], n1);
    }
  }
  ei::pstoreu(q_out, n0);
  ei::pstoreu(q_out + T::width, n1);
}
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

/// Calls block(x, ld, pad) on rows [r0, r0 + nb) of X in either storage order, as a column-major block in
/// `work` (column j at x + j ld), with `pad` room for the kernel's padded last tile.
template <typename XRef, typename Matrix, typename Block>
void with_block(const XRef& X, Eigen::Index r0, Eigen::Index nb, Matrix& work, Block&& block) {
  using Scalar = typename XRef::Scalar;
  const Eigen::Index d = X.cols(), tile = ScoreTile<Scalar>::rows;
  // ld one tile more than nb, so that it is never a multiple of 4 KiB, whose aliasing in the caches would
  // slow the transposition's stores.
  const Eigen::Index ld = nb + tile;
  work.resize(ld + tile, d);  // the block, then the padded tile
  if constexpr (XRef::IsRowMajor) {
    transpose_rows(X.data() + r0 * X.outerStride(), X.outerStride(), d, nb, work.data(), ld);
  } else {
    // Copied column by column, one sequential stream at a time: the kernels visit all D columns of a tile.
    for (Eigen::Index j = 0; j < d; ++j) {
      const Scalar* col = X.data() + j * X.outerStride() + r0;
      std::copy(col, col + nb, work.data() + j * ld);
    }
  }
  Ahead<Scalar> ahead = ahead_of(X, r0 + nb, std::min(nb, X.rows() - r0 - nb));
  block(static_cast<const Scalar*>(work.data()), ld, work.data() + ld * d, ahead);
}

/// score_block on rows [r0, r0 + nb) of X in either storage order, into S (nb x K). The coefficients a and h
/// are K x D column-major, c and b hold D and K values. With at most ScoreTile::classes classes, each value of X
/// is used once and is read where it lies (column-major predict_proba at (1e6, 64, 10) took 0.87-0.96 of the
/// time of scoring a copy). With more, every chunk of classes reads the tile again, and a copy keeps it in L1
/// where columns a multiple of 4 KiB apart would share a set (in place was 4-20% slower, n = 2^20).
template <Form form, typename XRef, typename Matrix>
void score_rows(const XRef& X, Eigen::Index r0, Eigen::Index nb, const typename XRef::Scalar* c,
                const typename XRef::Scalar* a, const typename XRef::Scalar* h, const typename XRef::Scalar* b,
                Eigen::Index k_count, Matrix& work, typename XRef::Scalar* s) {
  using Scalar = typename XRef::Scalar;
  if (k_count <= ScoreTile<Scalar>::classes) {
    const Eigen::Index d = X.cols(), ld = X.outerStride();
    work.resize(ScoreTile<Scalar>::rows, std::max<Eigen::Index>(d, 1));  // the padded last tile
    Ahead<Scalar> ahead = ahead_of(X, r0 + nb, std::min(nb, X.rows() - r0 - nb));
    if constexpr (XRef::IsRowMajor)
      score_row_major<form>(X.data() + r0 * ld, ld, nb, d, c, a, h, b, k_count, s, work.data(), ahead, X.rows() - r0);
    else
      score_block<form>(X.data() + r0, ld, nb, d, c, a, h, b, k_count, s, work.data(), ahead, X.rows() - r0);
    return;
  }
  with_block(X, r0, nb, work, [&](const Scalar* x, Eigen::Index ld, Scalar* pad, Ahead<Scalar>& ahead) {
    score_block<form>(x, ld, nb, X.cols(), c, a, h, b, k_count, s, pad, ahead);
  });
}

/// score_rows into S, resized to nb x K.
template <Form form, typename XRef, typename Matrix>
void score_rows(const XRef& X, Eigen::Index r0, Eigen::Index nb, const typename XRef::Scalar* c,
                const typename XRef::Scalar* a, const typename XRef::Scalar* h, const typename XRef::Scalar* b,
                Eigen::Index k_count, Matrix& work, Matrix& S) {
  S.resize(nb, k_count);
  score_rows<form>(X, r0, nb, c, a, h, b, k_count, work, S.data());
}

/// The linear form's terms (K x D, computed in double) less those of class 0, for classes 1 to K - 1. Posteriors
/// do not see a term common to every class, so the scores S_k - x' . lin_0 serve as well as S_k, and they need
/// a product with one class fewer: class 0 scores its bias alone. Rows of classes that cannot be predicted are
/// zero, as in the model's own terms, and so are lin_0's when class 0 cannot be. Empty for one class, or when a
/// difference overflows Scalar.
template <typename Scalar>
Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic> linear_rest(const Eigen::MatrixXd& lin,
                                                                  const Eigen::Array<bool, Eigen::Dynamic, 1>& alive) {
  const Eigen::Index k_count = lin.rows();
  if (k_count < 2) return {};
  const Eigen::RowVectorXd ref = alive[0] ? Eigen::RowVectorXd(lin.row(0)) : Eigen::RowVectorXd::Zero(lin.cols());
  Eigen::MatrixXd rest = lin.bottomRows(k_count - 1).rowwise() - ref;
  for (Eigen::Index k = 1; k < k_count; ++k)
    if (!alive[k]) rest.row(k - 1).setZero();
  const Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic> narrow = rest.cast<Scalar>();
  if (!narrow.allFinite()) return {};
  return narrow;
}

/// The linear form's scores of rows [r0, r0 + nb) into S (nb x K), up to a term common to every class: through
/// `rest` (linear_rest of `lin`) unless it is empty. c, b and lin (as a) as for score_rows; `alive`, the classes
/// that can be predicted.
template <typename XRef, typename Matrix, typename Vector>
void score_linear(const XRef& X, Eigen::Index r0, Eigen::Index nb, const Vector& c, const Matrix& lin,
                  const Matrix& rest, const Vector& b, const Eigen::Array<bool, Eigen::Dynamic, 1>& alive, Matrix& work,
                  Matrix& S) {
  using Scalar = typename XRef::Scalar;
  const Eigen::Index k_count = lin.rows();
  if (rest.rows() == 0)
    return score_rows<Form::linear>(X, r0, nb, c.data(), lin.data(), nullptr, b.data(), k_count, work, S);
  S.resize(nb, k_count);
  S.col(0).setConstant(b[0]);
  score_rows<Form::linear>(X, r0, nb, c.data(), rest.data(), nullptr, b.data() + 1, k_count - 1, work, S.data() + nb);
  // Class 0's score no longer sees X: an infinity in a row that sent every other class to -inf would leave it
  // looking sound, class 0 certain. A class that can be predicted scores -inf only through a non-finite value or
  // an overflow, so such rows get a NaN, which sends them to the caller's long-double path. 0 S_k is that NaN
  // when S_k is infinite (or NaN, which reaches the fallback anyway) and a zero that leaves S_0 as it is when S_k is
  // finite: one vectorised multiply-add per class. Eigen's select, built by clang, compared and branched one row at
  // a time: a tenth of predict_proba's time on a row-major X in cache at (2048, 64, 10), against 3% now.
  for (Eigen::Index k = 1; k < k_count; ++k)
    if (alive[k]) S.col(0).noalias() += Scalar(0) * S.col(k);
}

/// Scratch of one thread's fit: a block's classes and weights, its rows grouped by class, its rows transposed
/// when X is column-major, and per-class accumulators (K x D, row-major, so a class's row is contiguous).
struct FitScratch {
  std::vector<int> cls;
  std::vector<Eigen::Index> order, start, next;  // the block's rows grouped by class
  std::vector<double> wt;
  std::vector<char> present;  // classes with rows in the block (of positive weight, after pass 1)
  Eigen::VectorXd wsum;
  RowMatrixXd rows, shift, s1, mean, mean_lo, s2;
  // Diagonal kinds: the blocks merged so far, class rows contiguous so that each merge is vectorised;
  // added to the caller's statistics once, at the end.
  Eigen::VectorXd run_w;
  RowMatrixXd run_mean, run_lo, run_m2;
  RowMatrixXf rows_float;  // a column-major float block, transposed
  // Full kinds: one class's centred rows (scatter_cols(D) columns), and the running scatter matrices side by side,
  // scatter_cols(D) square each, lower triangles until the end.
  RowMatrixXd z;
  Eigen::MatrixXd run_scatter;
};

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wignored-attributes"
#endif
/// The rows of a cached block grouped by class, for the passes of fitting: class k's rows are
/// order[start[k]], ..., order[start[k + 1] - 1], rows of x (row i at x + i ld, D features), weights wt
/// (nullptr: all 1), and a K x D row-major centre c.
template <typename Scalar>
struct ClassRows {
  const Scalar* x;
  Eigen::Index ld, d;
  const Eigen::Index* order;
  const Eigen::Index* start;
  const double* wt;
  const double* c;
  Eigen::Index col0 = 0;  // the feature at x[0]: 0 for whole rows, j0 for a panel of features j0, j0 + 1, ...
};

/// A packet of doubles from as many consecutive values at x, widened when they are float. A loop the compiler
/// turns into one widening load, where Eigen has no such cast.
template <typename Packet, typename Scalar>
Packet load_double(const Scalar* x) {
  if constexpr (std::is_same_v<Scalar, double>) {
    return Eigen::internal::ploadu<Packet>(x);
  } else {
    double wide[Eigen::internal::unpacket_traits<Packet>::size];
    for (int q = 0; q < Eigen::internal::unpacket_traits<Packet>::size; ++q) wide[q] = static_cast<double>(x[q]);
    return Eigen::internal::ploadu<Packet>(wide);
  }
}

/// Whether the passes over Scalar rows move work onto the multiply-add pipes: float's widening to double runs on
/// the pipes of additions, so the first pass sums, and the second centres, as multiply-adds by 1 (exact all the
/// same), which leaves each pass's two kinds of pipe about evenly loaded. Side by side, float fits at (1e6, 64, 10)
/// took 0.94-0.98 of the time with every subtraction and sum of both passes moved, and 0.97-0.99 of that with only
/// the first pass's sums and the second's centring (both orders of X, the same statistics bit for bit). For double
/// no clear difference.
template <typename Scalar>
inline constexpr bool on_fma = !std::is_same_v<Scalar, double>;

/// Features [j0, j0 + NP packets) of class k's pass: out_kj = sum_i w_i (x_ij - c_kj), squared when `square`.
/// The NP sums and centres sit in registers while the class's rows stream past, so each row costs NP loads and
/// no stores.
template <bool square, bool weighted, int NP, typename Packet, typename Scalar, typename Ahead>
void class_pass_chunk(const ClassRows<Scalar>& g, Eigen::Index k, Eigen::Index j0, double* out, Ahead& ahead,
                      Eigen::Index share) {
  namespace ei = Eigen::internal;
  constexpr int L = ei::unpacket_traits<Packet>::size;
  Packet acc[NP], c[NP];
  const Packet one = ei::pset1<Packet>(1.0);
  for (int p = 0; p < NP; ++p) {
    acc[p] = ei::pset1<Packet>(0.0);
    c[p] = ei::ploadu<Packet>(g.c + k * g.d + j0 + p * L);
    if constexpr (on_fma<Scalar> && square) c[p] = ei::pnegate(c[p]);
  }
  // A local copy, so that the request state stays in registers: through the reference it was stored and
  // reloaded on every row, as it may alias g. Row-major float fit took 0.89 of the time, (1e6, 16, 100) 0.90.
  Ahead local = ahead;
  const Eigen::Index end = g.start[k + 1];
  for (Eigen::Index r = g.start[k]; r < end; ++r) {
    const Eigen::Index i = g.order[r];
    const Scalar* x = g.x + i * g.ld + (j0 - g.col0);
    const Packet w = ei::pset1<Packet>(weighted ? g.wt[i] : 1.0);
    for (int p = 0; p < NP; ++p) {
      const Packet v = load_double<Packet>(x + p * L);
      if constexpr (square) {
        const Packet t = on_fma<Scalar> ? ei::pmadd(v, one, c[p]) : ei::psub(v, c[p]);  // c[p] negated for on_fma
        acc[p] = ei::pmadd(weighted ? ei::pmul(w, t) : t, t, acc[p]);
      } else {
        const Packet t = ei::psub(v, c[p]);
        acc[p] = weighted ? ei::pmadd(w, t, acc[p]) : on_fma<Scalar> ? ei::pmadd(t, one, acc[p]) : ei::padd(acc[p], t);
      }
    }
    local.request(share);
  }
  ahead = local;
  for (int p = 0; p < NP; ++p) ei::pstoreu(out + k * g.d + j0 + p * L, acc[p]);
}

/// Calls f(j0, np, packet) over the feature chunks of a pass: chunks of up to 4 full packets, then of up to 4
/// scalars for the remainder. Four keeps the sums and centres in registers on every instruction set.
template <typename F>
void for_each_chunk(Eigen::Index d, F&& f) {
  using Packet = typename Eigen::internal::packet_traits<double>::type;
  constexpr Eigen::Index L = Eigen::internal::unpacket_traits<Packet>::size;
  Eigen::Index j0 = 0;
  for (; j0 + L <= d; j0 += 4 * L) f(j0, std::min<Eigen::Index>(4, (d - j0) / L), Packet{});
  j0 = d / L * L;
  for (; j0 < d; j0 += 4) f(j0, std::min<Eigen::Index>(4, d - j0), double{});
}

/// Calls f(std::integral_constant<int, np>{}) for np in 1..4 (4 for anything larger).
template <typename F>
void with_count(Eigen::Index np, F&& f) {
  switch (np) {
    case 1:
      f(std::integral_constant<int, 1>{});
      break;
    case 2:
      f(std::integral_constant<int, 2>{});
      break;
    case 3:
      f(std::integral_constant<int, 3>{});
      break;
    default:
      f(std::integral_constant<int, 4>{});
      break;
  }
}

/// Calls f(k, j0, NP, packet) for every class k with active[k] and every chunk of its features: NP packets of
/// type decltype(packet) from feature j0, NP an std::integral_constant so that the sums live in registers.
template <typename F>
void for_each_class_chunk(Eigen::Index d, Eigen::Index k_count, const std::vector<char>& active, F&& f) {
  for (Eigen::Index k = 0; k < k_count; ++k) {
    if (!active[static_cast<std::size_t>(k)]) continue;
    for_each_chunk(d, [&](Eigen::Index j0, Eigen::Index np, auto packet) {
      with_count(np, [&](auto count) { f(k, j0, count, packet); });
    });
  }
}

/// class_pass_chunk, weighted when the rows have weights.
template <bool square, int NP, typename Packet, typename Scalar, typename Ahead>
void class_pass_chunk(const ClassRows<Scalar>& g, Eigen::Index k, Eigen::Index j0, double* out, Ahead& ahead,
                      Eigen::Index share) {
  if (g.wt)
    class_pass_chunk<square, true, NP, Packet>(g, k, j0, out, ahead, share);
  else
    class_pass_chunk<square, false, NP, Packet>(g, k, j0, out, ahead, share);
}

/// Chunks of features one pass makes, each a visit to every row of the block.
inline Eigen::Index pass_chunks(Eigen::Index d) {
  Eigen::Index chunks = 0;
  for_each_chunk(d, [&](Eigen::Index, Eigen::Index, auto) { ++chunks; });
  return chunks;
}

/// Class k's block mean over features [j0, j0 + count): mean_kj = c_kj + s1_kj / W_k, with c = s.shift, kept as
/// hi + lo (TwoSum) for the merge. P is a packet type, or double; count a multiple of its size.
template <typename P>
void block_mean(FitScratch& s, Eigen::Index k, Eigen::Index j0, Eigen::Index count) {
  namespace ei = Eigen::internal;
  constexpr Eigen::Index L = ei::unpacket_traits<P>::size;
  const P wk = ei::pset1<P>(s.wsum[k]);
  for (Eigen::Index j = j0; j < j0 + count; j += L) {
    P hi = ei::ploadu<P>(&s.shift(k, j)), lo = ei::pset1<P>(0.0);
    two_sum_update(hi, lo, ei::pdiv(ei::ploadu<P>(&s.s1(k, j)), wk));
    ei::pstoreu(&s.mean(k, j), hi);
    ei::pstoreu(&s.mean_lo(k, j), lo);
  }
}

/// Merges class k of a block's statistics (s.wsum, s.mean + s.mean_lo, s.s2) into the running ones (s.run_*):
/// SufficientStatistics::add's merge_moments, in packets over contiguous rows. add's scalar loop over strided rows cost
/// as much as a pass over the block at D = 512.
inline void merge_running(FitScratch& s, Eigen::Index k) {
  namespace ei = Eigen::internal;
  using Packet = ei::packet_traits<double>::type;
  const double wb = s.wsum[k], wa = s.run_w[k];
  s.run_w[k] = wa + wb;
  if (wa <= 0) {
    s.run_mean.row(k) = s.mean.row(k);
    s.run_lo.row(k) = s.mean_lo.row(k);
    s.run_m2.row(k) = s.s2.row(k);
    return;
  }
  const double wt = wa + wb, f = wb / wt, c = wa * wb / wt;
  double *hi = s.run_mean.row(k).data(), *lo = s.run_lo.row(k).data(), *m2 = s.run_m2.row(k).data();
  const double *hi_b = s.mean.row(k).data(), *lo_b = s.mean_lo.row(k).data(), *m2_b = s.s2.row(k).data();
  // P is a packet or a lone double, for the tail.
  auto step = [&](Eigen::Index j, auto p) {
    using P = decltype(p);
    P h = ei::ploadu<P>(hi + j), l = ei::ploadu<P>(lo + j), m = ei::ploadu<P>(m2 + j);
    merge_moments(h, l, m, ei::ploadu<P>(hi_b + j), ei::ploadu<P>(lo_b + j), ei::ploadu<P>(m2_b + j), ei::pset1<P>(f),
                  ei::pset1<P>(c));
    ei::pstoreu(hi + j, h);
    ei::pstoreu(lo + j, l);
    ei::pstoreu(m2 + j, m);
  };
  constexpr Eigen::Index W = ei::unpacket_traits<Packet>::size;
  const Eigen::Index d = s.run_mean.cols();
  Eigen::Index j = 0;
  for (; j + W <= d; j += W) step(j, Packet{});
  for (; j < d; ++j) step(j, double{});
}
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

/// Columns of the full kinds' centred rows and scatter matrices: D rounded up to a whole packet of doubles where
/// scatter_update has its own kernel, the columns beyond D zero.
inline Eigen::Index scatter_cols(Eigen::Index d) {
#if defined(EIGEN_VECTORIZE_AVX512)
  return (d + 7) / 8 * 8;
#else
  return d;
#endif
}

#if defined(EIGEN_VECTORIZE_AVX512)
/// C(a0 .. a0 + 8 NP, b0 .. b0 + 8) += Z^T Z over the same rows and columns: 8 NP x 8 sums in registers while
/// the m rows of Z (row-major, d columns) stream past: NP loads and 8 NP fused multiply-adds a row.
template <int NP>
void scatter_tile(const double* z, Eigen::Index m, Eigen::Index d, Eigen::Index a0, Eigen::Index b0, double* c) {
  __m512d acc[NP][8];
  for (int p = 0; p < NP; ++p)
    for (int q = 0; q < 8; ++q) acc[p][q] = _mm512_setzero_pd();
  for (Eigen::Index i = 0; i < m; ++i) {
    const double* row = z + i * d;
    __m512d x[NP];
    for (int p = 0; p < NP; ++p) x[p] = _mm512_loadu_pd(row + a0 + 8 * p);
    // Each multiply-add broadcasts its own coefficient from memory (reread): LDA fit took 0.95-0.96 of the time.
    const double* b[NP];
    for (int p = 0; p < NP; ++p) b[p] = reread(row + b0);
    for (int q = 0; q < 8; ++q)
      for (int p = 0; p < NP; ++p) acc[p][q] = _mm512_fmadd_pd(x[p], _mm512_set1_pd(b[p][q]), acc[p][q]);
  }
  for (int q = 0; q < 8; ++q)
    for (int p = 0; p < NP; ++p) {
      double* col = c + (b0 + q) * d + a0 + 8 * p;
      _mm512_storeu_pd(col, _mm512_add_pd(_mm512_loadu_pd(col), acc[p][q]));
    }
}
#endif

/// C += Z^T Z on and below the diagonal (C d x d column-major, Z m x d row-major, d = scatter_cols(D)); entries
/// above it may be updated too. With AVX-512, tiles of up to 24 x 8 whose sums stay in registers over all of Z,
/// which is read as it is: on a class's rows of a block (50-400 rows, D = 64 and 512) they ran at 65-86% of the
/// multiply-add peak, Eigen's rank update, which packs Z on every call, at 50-65%.
template <typename Z, typename C>
void scatter_update(const Z& z, C&& c) {
#if defined(EIGEN_VECTORIZE_AVX512)
  const Eigen::Index d = z.cols();
  for (Eigen::Index b0 = 0; b0 < d; b0 += 8)
    for (Eigen::Index a0 = b0; a0 < d; a0 += 24) {
      const Eigen::Index np = std::min<Eigen::Index>(3, (d - a0) / 8);
      if (np == 3)
        scatter_tile<3>(z.data(), z.rows(), d, a0, b0, c.data());
      else if (np == 2)
        scatter_tile<2>(z.data(), z.rows(), d, a0, b0, c.data());
      else
        scatter_tile<1>(z.data(), z.rows(), d, a0, b0, c.data());
    }
#else
  c.template selfadjointView<Eigen::Lower>().rankUpdate(z.transpose());
#endif
}

/// True when every coefficient is finite: x - x is 0 for finite x and NaN otherwise, so one vectorised sum
/// answers, where Eigen's allFinite tests coefficient by coefficient.
template <typename M>
bool all_finite(const M& m) {
  return (m.array() - m.array()).sum() == 0;
}

/// Finite X whose sums or squares overflow double: names the first column at fault.
template <typename Row>
[[noreturn]] void throw_overflow(const Row& moments, const char* fn) {
  Eigen::Index j = 0;
  while (j + 1 < moments.size() && std::isfinite(moments(j))) ++j;
  throw InvalidArgument(std::string(fn) + ": the values of X in column " + std::to_string(j) +
                        " are too large: their sums or squares overflow double");
}

/// Adds rows [r0, r1) of (X, y, w) to per-class statistics (diagonal or full), in one pass over memory.
///
/// X is read in blocks of rows that stay in cache, each seen as rows (a column-major block is transposed into
/// scratch first, for the diagonal kinds a panel of up to 32 features at a time; float is widened to double as it
/// is loaded). The block's rows are grouped by class, and two passes
/// over them, class by class and chunk of features by chunk with the sums held in registers (class_pass_chunk),
/// give the class's block mean (sums of x - x_0, x_0 the class's first row in the block, so that values near 1e9 do not
/// round at the scale of a growing sum) and then its centred second moment: per feature, or for the full kinds the
/// scatter matrix as one rank-n update of the class's centred rows. Each block result is merged with the
/// Chan-Golub-LeVeque formula into running sums in the scratch (merge_running; for the full kinds, one more row in
/// the rank update) that are added to `stats` at the end. Centring within the block is what keeps features around 1e9
/// with unit spread exact, where the textbook sum x^2 - (sum x)^2 / n loses every digit. Validates as it goes: labels
/// outside `map`, negative or non-finite weights and non-finite X throw InvalidArgument naming the row; `stats` is then
/// partly updated, so callers pass a scratch copy.
template <typename XRef, typename Label, typename WScalar, bool Full>
void accumulate(const XRef& X, const LabelRef<Label>& y, const VectorRef<WScalar>* w, const LabelMap& map,
                Eigen::Index r0, Eigen::Index r1, SufficientStatistics<Full>& stats, FitScratch& s, const char* fn) {
  using Scalar = typename XRef::Scalar;
  using RowsMap =
      Eigen::Map<const Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>, 0, Eigen::OuterStride<>>;
  const Eigen::Index d = X.cols();
  const Eigen::Index k_count = stats.n_classes();
  constexpr bool panels = !Full && !XRef::IsRowMajor;
  // A panel holds one chunk of features: up to 4 packets of doubles.
  constexpr Eigen::Index panel_width = 4 * Eigen::internal::packet_traits<double>::size;
  const Eigen::Index block = panels ? panel_rows(d) : fit_block_rows(d, Full);
  const auto ku = static_cast<std::size_t>(k_count);
  const Eigen::Index chunks = pass_chunks(d);
  s.shift.resize(k_count, d);
  s.s1.resize(k_count, d);
  s.mean.resize(k_count, d);
  s.mean_lo.resize(k_count, d);
  s.run_w.setZero(k_count);
  s.run_mean.setZero(k_count, d);
  s.run_lo.setZero(k_count, d);
  const Eigen::Index dp = scatter_cols(d);
  if (Full) {
    s.run_scatter.setZero(dp, k_count * dp);
  } else {
    s.s2.resize(k_count, d);
    s.run_m2.setZero(k_count, d);
  }

  // After pass 1: a NaN or infinity anywhere in the block reaches a sum, even at weight 0 (0 * inf = NaN). Then
  // classes of zero weight in the block are dropped.
  auto check_block = [&](Eigen::Index b0, Eigen::Index nb) {
    if (!all_finite(s.s1)) {
      for (Eigen::Index i = 0; i < nb; ++i) check_row_finite(X, b0 + i, fn);
      for (Eigen::Index k = 0; k < k_count; ++k)
        if (!s.s1.row(k).allFinite()) throw_overflow(s.s1.row(k), fn);
    }
    for (Eigen::Index k = 0; k < k_count; ++k)
      if (s.wsum[k] == 0) s.present[static_cast<std::size_t>(k)] = 0;
  };

  for (Eigen::Index b0 = r0; b0 < r1; b0 += block) {
    const Eigen::Index b1 = std::min(r1, b0 + block), nb = b1 - b0;
    s.cls.resize(static_cast<std::size_t>(nb));
    s.wt.resize(w ? static_cast<std::size_t>(nb) : 0);
    s.start.assign(ku + 1, 0);
    s.wsum.setZero(k_count);
    for (Eigen::Index i = 0; i < nb; ++i) {
      const int label = label_at(y, b0 + i, fn);
      const int k = map(label);
      if (k < 0)
        throw InvalidArgument(std::string(fn) + ": " + at("y", b0 + i) + " = " + std::to_string(label) +
                              " is not one of the declared classes");
      double wi = 1;
      if (w) {
        wi = static_cast<double>((*w)[b0 + i]);
        if (!std::isfinite(wi) || wi < 0)
          throw InvalidArgument(std::string(fn) + ": " + at("w", b0 + i) + " = " + std::to_string(wi) +
                                " is not a finite non-negative weight");
        s.wt[static_cast<std::size_t>(i)] = wi;
      }
      s.cls[static_cast<std::size_t>(i)] = k;
      s.wsum[k] += wi;
      ++s.start[static_cast<std::size_t>(k) + 1];
    }
    // The block's rows grouped by class, in their order within it (a counting sort).
    for (std::size_t k = 0; k < ku; ++k) s.start[k + 1] += s.start[k];
    s.next.assign(s.start.begin(), s.start.end() - 1);
    s.order.resize(static_cast<std::size_t>(nb));
    for (Eigen::Index i = 0; i < nb; ++i)
      s.order[static_cast<std::size_t>(s.next[static_cast<std::size_t>(s.cls[static_cast<std::size_t>(i)])]++)] = i;
    s.present.resize(ku);
    for (std::size_t k = 0; k < ku; ++k) s.present[k] = s.start[k + 1] > s.start[k];

    // Pass 1 of class k over one chunk of features, s1_k = sum_i w_i (x_i - x_0k), x_0k the class's first row in
    // the block; then pass 2, M2_kj = sum_i w_i (x_ij - mean_kj)^2, while the chunk's part of the class's rows
    // is still in L1 (at K = 10 and D = 64, some 50 pieces of 256 bytes), where a whole second pass would read
    // the block from L2 again: a chunk's mean needs only its own sums.
    auto diagonal_passes = [&](const ClassRows<Scalar>& g, Eigen::Index k, Eigen::Index j0, auto np, auto packet,
                               Ahead<Scalar>& ahead, Eigen::Index share) {
      using Packet = decltype(packet);
      constexpr int NP = decltype(np)::value;
      class_pass_chunk<false, NP, Packet>(g, k, j0, s.s1.data(), ahead, share);
      if (s.wsum[k] == 0) return;  // summed only so that a non-finite value in its rows is seen
      block_mean<Packet>(s, k, j0, NP * Eigen::internal::unpacket_traits<Packet>::size);
      ClassRows<Scalar> centred = g;
      centred.c = s.mean.data();
      class_pass_chunk<true, NP, Packet>(centred, k, j0, s.s2.data(), ahead, share);
    };
    auto& rows = [&]() -> auto& {
      if constexpr (std::is_same_v<Scalar, double>)
        return s.rows;
      else
        return s.rows_float;
    }
    ();
    // x_0k, the class's first row in the block, read from X in either layout.
    for (Eigen::Index k = 0; k < k_count; ++k)
      if (s.present[static_cast<std::size_t>(k)])
        s.shift.row(k) =
            X.row(b0 + s.order[static_cast<std::size_t>(s.start[static_cast<std::size_t>(k)])]).template cast<double>();
    s.s1.setZero();
    if constexpr (!Full) s.s2.setZero();

    if constexpr (panels) {
      // Column-major X, diagonal kinds: one chunk of features at a time, its columns transposed into a panel in
      // cache, then both passes of every class over it. Each column is read as one run of nb rows, where a
      // whole-row block of D = 512 would give 64 rows, 8 cache lines, per column.
      // While the passes run over one panel, the next one (the next features of this block, or the first of the
      // next block) is requested a share per row visit, so that its transposition finds it in L2: side by side,
      // column-major fits at (1e6, 64, 10) took 0.81-0.88 of the time in float, 0.97 in double (median).
      rows.resize(nb, panel_width);
      for_each_chunk(d, [&](Eigen::Index j0, Eigen::Index np, auto packet) {
        const Eigen::Index width = np * Eigen::internal::unpacket_traits<decltype(packet)>::size;
        transpose_rows(X.data() + j0 * X.outerStride() + b0, X.outerStride(), nb, width, rows.data(), width, nb);
        const ClassRows<Scalar> g{rows.data(),    width, d, s.order.data(), s.start.data(), w ? s.wt.data() : nullptr,
                                  s.shift.data(), j0};
        const Eigen::Index next_j = j0 + width < d ? j0 + width : 0;
        const Eigen::Index next_r = next_j > 0 ? b0 : b1, next_rows = next_j > 0 ? nb : std::min(block, r1 - b1);
        Ahead<Scalar> next(X.data() + next_j * X.outerStride() + next_r, std::min(panel_width, d - next_j), next_rows,
                           X.outerStride());
        const Eigen::Index share = (next.left() + 2 * nb - 1) / (2 * nb);
        with_count(np, [&](auto count) {
          for (Eigen::Index k = 0; k < k_count; ++k)
            if (s.present[static_cast<std::size_t>(k)]) diagonal_passes(g, k, j0, count, packet, next, share);
        });
        next.request(next.left());
      });
    } else {
      // The block as rows: X itself when it is row-major, else a transposed copy in cache. Floats stay floats
      // here and are widened to double as the passes load them.
      const RowsMap R = [&] {
        if constexpr (XRef::IsRowMajor) {
          return RowsMap(X.data() + b0 * X.outerStride(), nb, d, Eigen::OuterStride<>(X.outerStride()));
        } else {
          rows.resize(nb, d);
          transpose_rows(X.data() + b0, X.outerStride(), nb, d, rows.data(), d, X.rows() - b0);
          return RowsMap(rows.data(), nb, d, Eigen::OuterStride<>(d));
        }
      }();
      const ClassRows<Scalar> g{
          R.data(), R.outerStride(), d, s.order.data(), s.start.data(), w ? s.wt.data() : nullptr, s.shift.data()};

      // The next block is requested from memory a share per row visit of each pass, so that reading it
      // overlaps the arithmetic on this one. Not for column-major X (here the full kinds), whose transposition
      // requests its own columns a few lines ahead (transpose_rows): requests of the next whole-row block only
      // slowed the passes there (GaussianNB fit, when it went this way, 0.87-0.89 of the time without them at
      // (1e6, 64, 10), 0.74 at (2e5, 512, 10)).
      Ahead<Scalar> ahead =
          XRef::IsRowMajor ? ahead_of(X, b1, std::min(block, r1 - b1)) : Ahead<Scalar>(nullptr, 0, 0, 0);
      const Eigen::Index visits = (Full ? 1 : 2) * nb * chunks;
      const Eigen::Index share = (ahead.left() + visits - 1) / visits;

      if constexpr (!Full) {
        for_each_class_chunk(d, k_count, s.present, [&](Eigen::Index k, Eigen::Index j0, auto np, auto packet) {
          diagonal_passes(g, k, j0, np, packet, ahead, share);
        });
      } else {
        // Pass 1 alone, s1_k = sum_i w_i (x_i - x_0k).
        for_each_class_chunk(d, k_count, s.present, [&](Eigen::Index k, Eigen::Index j0, auto np, auto packet) {
          class_pass_chunk<false, decltype(np)::value, decltype(packet)>(g, k, j0, s.s1.data(), ahead, share);
        });
        check_block(b0, nb);
        // Pass 2: the rows of Z are sqrt(w_i) (x_i - mean_k), plus sqrt(c) delta once the class has earlier
        // blocks: one rank update of the class's running scatter then is the whole Chan-Golub-LeVeque merge,
        // M2 = M2_A + Z^T Z + c delta delta^T, without a block scatter to clear, mirror and add.
        ahead.request(ahead.left());
        for (Eigen::Index k = 0; k < k_count; ++k) {
          if (!s.present[static_cast<std::size_t>(k)]) continue;
          block_mean<double>(s, k, 0, d);
          const auto first = static_cast<std::size_t>(s.start[static_cast<std::size_t>(k)]);
          const auto last = static_cast<std::size_t>(s.start[static_cast<std::size_t>(k) + 1]);
          const auto m = static_cast<Eigen::Index>(last - first);
          const double wa = s.run_w[k], wb = s.wsum[k], wt = wa + wb;
          s.z.resize(m + (wa > 0 ? 1 : 0), dp);
          s.z.rightCols(dp - d).setZero();
          for (std::size_t r = first; r < last; ++r) {
            const Eigen::Index i = s.order[r];
            const double wi = w ? s.wt[static_cast<std::size_t>(i)] : 1.0;
            s.z.row(static_cast<Eigen::Index>(r - first)).head(d) =
                std::sqrt(wi) * (R.row(i).template cast<double>() - s.mean.row(k));
          }
          if (wa > 0) {
            // delta = mu_B - mu_A, both as hi + lo; mu_A moves to mu_A + delta W_B / W, as SufficientStatistics::add.
            auto delta = s.z.row(m).head(d);
            delta = (s.mean.row(k) - s.run_mean.row(k)) + (s.mean_lo.row(k) - s.run_lo.row(k));
            for (Eigen::Index j = 0; j < d; ++j) two_sum_update(s.run_mean(k, j), s.run_lo(k, j), delta[j] * (wb / wt));
            delta *= std::sqrt(wa * wb / wt);
          } else {
            s.run_mean.row(k) = s.mean.row(k);
            s.run_lo.row(k) = s.mean_lo.row(k);
          }
          s.run_w[k] = wt;
          auto scatter = s.run_scatter.middleCols(k * dp, dp);
          scatter_update(s.z, scatter);
          // The diagonal is enough: |M2_ij| <= max(M2_ii, M2_jj) up to rounding, and the covariance the model
          // factors is checked again there.
          if (!all_finite(scatter.diagonal())) throw_overflow(scatter.diagonal().transpose(), fn);
        }
      }
    }
    if constexpr (!Full) {
      check_block(b0, nb);
      const bool finite = all_finite(s.s2);
      for (Eigen::Index k = 0; k < k_count; ++k) {
        if (!s.present[static_cast<std::size_t>(k)]) continue;
        if (!finite && !s.s2.row(k).allFinite()) throw_overflow(s.s2.row(k), fn);
        merge_running(s, k);
      }
    }
  }
  for (Eigen::Index k = 0; k < k_count; ++k) {
    if constexpr (Full) {
      if (s.run_w[k] <= 0) continue;
      auto scatter = s.run_scatter.block(0, k * dp, d, d);
      scatter.template triangularView<Eigen::StrictlyUpper>() = scatter.transpose();
      stats.add(k, s.run_w[k], s.run_mean.row(k), s.run_lo.row(k), scatter);
    } else {
      stats.add(k, s.run_w[k], s.run_mean.row(k), s.run_lo.row(k), s.run_m2.row(k));
    }
  }
}

/// log P(k | x) from the scores of one row: (s_k - m) - log sum_k' exp(s_k' - m), m = max_k s_k. Subtracting m
/// first keeps the row a distribution even when the scores are so large that m + log(sum) would round back to m.
template <typename Row>
Row log_normalise(const Row& s) {
  using S = typename Row::Scalar;
  const S m = s.maxCoeff();
  const Row shifted = (s.array() - m).matrix();
  return (shifted.array() - std::log(shifted.array().exp().sum())).matrix();
}

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wignored-attributes"
#endif
/// log 2, for the exponential's constants.
inline constexpr double ln2 = 0.693147180559945309417;

/// log of the smallest subnormal, below which exp rounds to 0.
template <typename Scalar>
inline constexpr Scalar log_denorm_min =
    Scalar((std::numeric_limits<Scalar>::min_exponent - std::numeric_limits<Scalar>::digits) * ln2);

/// exp(t) for t <= 0 or NaN, the only arguments of the log-sum-exp: exactly 0 below log(denorm_min), -inf included
/// (Eigen's exp clamps its argument near the bottom of the range and gives ~1e-308 there), and a NaN kept. Eigen's
/// exp serves any argument with a rational approximation, a division and a four-factor ldexp; with AVX-512 the
/// division-free form of exp_nonpositive_avx512 costs about half (on Zen 4, 15.6 against 29 cycles per packet of
/// doubles from L1).
template <typename Packet>
Packet exp_nonpositive(const Packet& t) {
  namespace ei = Eigen::internal;
  using Scalar = typename ei::unpacket_traits<Packet>::type;
  return ei::pandnot(ei::pexp(t), ei::pcmp_lt(t, ei::pset1<Packet>(log_denorm_min<Scalar>)));
}
#if defined(EIGEN_VECTORIZE_AVX512)
/// The tables of exp_nonpositive_avx512: T_j = 2^(j / size) to the nearest Scalar and the rest of 2^(j / size)
/// relative to it, (2^(j / size) - T_j) / T_j, also to the nearest Scalar. Computed with Python's decimal module
/// at 60 digits: `e = (Decimal(2).ln() * j / size).exp(); T = float(e); rest = float((e - Decimal(T)) / Decimal(T))`
/// (for float, each double rounded once more to the nearest float; none lay halfway), and checked against exp2l by
/// the tests.
template <typename Scalar>
struct ExpTable;
template <>
struct ExpTable<double> {
  static constexpr int size = 8, degree = 8;
  alignas(64) static constexpr double power[size] = {0x1.0000000000000p+0, 0x1.172b83c7d517bp+0, 0x1.306fe0a31b715p+0,
                                                     0x1.4bfdad5362a27p+0, 0x1.6a09e667f3bcdp+0, 0x1.8ace5422aa0dbp+0,
                                                     0x1.ae89f995ad3adp+0, 0x1.d5818dcfba487p+0};
  alignas(64) static constexpr double rest[size] = {0x0.0p+0,
                                                    -0x1.01b15eaa59348p-55,
                                                    0x1.34d754db0abb6p-55,
                                                    0x1.690cebb7aafb0p-56,
                                                    -0x1.3b3efbf5e2228p-54,
                                                    0x1.db72fc1f0eab4p-55,
                                                    0x1.c1a7792cb3387p-55,
                                                    0x1.4a385a63d07a7p-56};
  // log 2 as the nearest double plus the rest
  static constexpr double ln2_hi = 0x1.62e42fefa39efp-1, ln2_lo = 0x1.abc9e3b39803fp-56;
};
template <>
struct ExpTable<float> {
  static constexpr int size = 16, degree = 3;
  alignas(64) static constexpr float power[size] = {0x1.000000p+0f, 0x1.0b5586p+0f, 0x1.172b84p+0f, 0x1.2387a6p+0f,
                                                    0x1.306fe0p+0f, 0x1.3dea64p+0f, 0x1.4bfdaep+0f, 0x1.5ab07ep+0f,
                                                    0x1.6a09e6p+0f, 0x1.7a1148p+0f, 0x1.8ace54p+0f, 0x1.9c4918p+0f,
                                                    0x1.ae89fap+0f, 0x1.c199bep+0f, 0x1.d5818ep+0f, 0x1.ea4afap+0f};
  alignas(64) static constexpr float rest[size] = {
      0x0.0p+0f,        0x1.8d96d4p-25f,  -0x1.9c0c22p-27f, 0x1.964904p-25f,  0x1.125002p-25f, 0x1.370be4p-25f,
      -0x1.0a3550p-25f, -0x1.00d8acp-27f, 0x1.26055cp-26f,  -0x1.05cb44p-25f, 0x1.67a1cap-28f, 0x1.a3b5e4p-28f,
      -0x1.f9c304p-27f, -0x1.6961b4p-28f, -0x1.a5217cp-28f, 0x1.61428ep-28f};
  static constexpr float ln2_hi = 0x1.62e430p-1f, ln2_lo = -0x1.05c610p-29f;
};

/// exp_nonpositive with AVX-512, with no division: t = (n / size) log 2 + r, n an integer and |r| <= log(2) /
/// (2 size); exp(t) = 2^floor(n / size) 2^(j / size) exp(r), j = n mod size. 2^(j / size) comes from a table held in
/// one register, to more than the precision of Scalar with its rest; exp(r) = 1 + r q(r) by its Taylor series to
/// the degree where the remainder is below a tenth of an ulp (8 for double, 3 for float); and 2^floor(n / size) is
/// applied by one scalef, which also rounds results in the subnormal range correctly. Within about half an ulp,
/// in 13 multiplications and multiply-adds for double, where the table-free form, with |r| <= log(2) / 2, took 16
/// (17.6 cycles per packet against 15.6, and double predict_proba at (1e6, 64, 10) 0.94-0.97 of the time; float
/// predict_proba was unchanged).
template <typename Scalar, typename Packet>
EIGEN_ALWAYS_INLINE Packet exp_nonpositive_avx512(const Packet& t) {
  namespace ei = Eigen::internal;
  using E = ExpTable<Scalar>;
  constexpr bool is_double = std::is_same_v<Scalar, double>;
  // Adding 1.5 2^(digits - 1) rounds t size / log 2 to the integer n, whose low bits, j, index the table.
  constexpr Scalar shifter = Scalar(1.5) * Scalar(1LL << (std::numeric_limits<Scalar>::digits - 1));
  const Packet shifted = ei::pmadd(t, ei::pset1<Packet>(Scalar(E::size / ln2)), ei::pset1<Packet>(shifter));
  // n / size, exactly: r = t - (n / size) log 2, and scalef applies 2^floor(n / size)
  const Packet n_size =
      ei::pmadd(shifted, ei::pset1<Packet>(Scalar(1) / E::size), ei::pset1<Packet>(-shifter / E::size));
  const Packet r =
      ei::pmadd(n_size, ei::pset1<Packet>(-E::ln2_lo), ei::pmadd(n_size, ei::pset1<Packet>(-E::ln2_hi), t));
  // q(r) = sum_i r^i / (i + 1)!, by Horner from 1 / degree! down to 1
  Scalar inv_factorial[E::degree + 1];
  inv_factorial[0] = 1;
  for (int i = 1; i <= E::degree; ++i) inv_factorial[i] = inv_factorial[i - 1] / Scalar(i);
  Packet q = ei::pset1<Packet>(inv_factorial[E::degree]);
  for (int i = E::degree - 1; i >= 1; --i) q = ei::pmadd(q, r, ei::pset1<Packet>(inv_factorial[i]));
  Packet power, rest;
  if constexpr (is_double) {
    const __m512i j = _mm512_castpd_si512(shifted);
    power = _mm512_permutexvar_pd(j, ei::pload<Packet>(E::power));
    rest = _mm512_permutexvar_pd(j, ei::pload<Packet>(E::rest));
  } else {
    const __m512i j = _mm512_castps_si512(shifted);
    power = _mm512_permutexvar_ps(j, ei::pload<Packet>(E::power));
    rest = _mm512_permutexvar_ps(j, ei::pload<Packet>(E::rest));
  }
  // 2^(j / size) exp(r) = T (1 + rest) (1 + r q) = T + T (r q + rest), to well below an ulp
  const Packet e = ei::pmadd(power, ei::pmadd(r, q, rest), power);
  // 2^floor(n / size), and 0 below log(denorm_min): not less than it, or unordered (a NaN), keeps the value
  const Packet bottom = ei::pset1<Packet>(log_denorm_min<Scalar>);
  if constexpr (is_double)
    return _mm512_maskz_scalef_pd(_mm512_cmp_pd_mask(t, bottom, _CMP_NLT_UQ), e, n_size);
  else
    return _mm512_maskz_scalef_ps(_mm512_cmp_ps_mask(t, bottom, _CMP_NLT_UQ), e, n_size);
}
template <>
inline Eigen::internal::Packet8d exp_nonpositive(const Eigen::internal::Packet8d& t) {
  return exp_nonpositive_avx512<double>(t);
}
template <>
inline Eigen::internal::Packet16f exp_nonpositive(const Eigen::internal::Packet16f& t) {
  return exp_nonpositive_avx512<float>(t);
}
#endif

/// The row-wise log-sum-exp of W rows of scores (class k's at s + k ld), in place: with m the row maximum,
/// exp(S - m), which the caller scales by 1 / sum as it copies them out, or log posteriors (S - m) - log sum, where
/// sum = sum_k exp(S_k - m). Writes m and sum for the caller's check. A class of probability 0 (S = -inf) gets
/// exactly 0, and a NaN reaches the sum.
template <bool log, typename Scalar>
void normalise_packet(Scalar* s, Eigen::Index ld, Eigen::Index k_count, Scalar* m_out, Scalar* sum_out) {
  namespace ei = Eigen::internal;
  using Packet = typename ei::packet_traits<Scalar>::type;
  Packet m = ei::ploadu<Packet>(s);
  for (Eigen::Index k = 1; k < k_count; ++k) m = ei::pmax(m, ei::ploadu<Packet>(s + k * ld));
  Packet sum = ei::pset1<Packet>(Scalar(0));
  for (Eigen::Index k = 0; k < k_count; ++k) {
    const Packet t = ei::psub(ei::ploadu<Packet>(s + k * ld), m);
    const Packet e = exp_nonpositive(t);
    sum = ei::padd(sum, e);
    ei::pstoreu(s + k * ld, log ? t : e);
  }
  if constexpr (log) {
    const Packet log_sum = ei::plog(sum);
    for (Eigen::Index k = 0; k < k_count; ++k)
      ei::pstoreu(s + k * ld, ei::psub(ei::ploadu<Packet>(s + k * ld), log_sum));
  }
  ei::pstoreu(m_out, m);
  ei::pstoreu(sum_out, sum);
}

/// Outputs at least this large are written with non-temporal stores: they do not fit in cache anyway, and a
/// normal store first reads each line of the destination from memory.
inline constexpr std::size_t stream_output_bytes = std::size_t{8} << 20;

// A non-temporal store of a whole register, and (declared only, for decltype) its packet type per scalar.
#if defined(EIGEN_VECTORIZE_AVX512)
inline void stream_store(double* p, const Eigen::internal::Packet8d& v) { _mm512_stream_pd(p, v); }
inline void stream_store(float* p, const Eigen::internal::Packet16f& v) { _mm512_stream_ps(p, v); }
Eigen::internal::Packet8d stream_packet(double);
Eigen::internal::Packet16f stream_packet(float);
#elif defined(EIGEN_VECTORIZE_SSE2)
inline void stream_store(double* p, const Eigen::internal::Packet2d& v) { _mm_stream_pd(p, v); }
inline void stream_store(float* p, const Eigen::internal::Packet4f& v) { _mm_stream_ps(p, v); }
Eigen::internal::Packet2d stream_packet(double);
Eigen::internal::Packet4f stream_packet(float);
#endif

/// dst[i] = src[i], or src[i] scale[i] when scale is not null, for i in [0, count). Posteriors are scaled by
/// 1 / sum here, as they are copied out, rather than in a pass of their own over the scratch: side by side that
/// took predict_proba to 0.95-1.02 of the time, 0.97 at the median of twelve shapes and kinds. The aligned middle of
/// dst is written with non-temporal stores where the target has them; the caller ends its writes with store_fence().
template <typename Scalar>
void stream_copy(const Scalar* src, const Scalar* scale, Eigen::Index count, Scalar* dst) {
  Eigen::Index i = 0;
  auto one = [&](Eigen::Index j) { dst[j] = scale ? src[j] * scale[j] : src[j]; };
#if defined(EIGEN_VECTORIZE_AVX512) || defined(EIGEN_VECTORIZE_SSE2)
  namespace ei = Eigen::internal;
  using Packet = decltype(stream_packet(Scalar{}));
  constexpr Eigen::Index W = ei::unpacket_traits<Packet>::size;
  for (; i < count && reinterpret_cast<std::uintptr_t>(dst + i) % (W * sizeof(Scalar)) != 0; ++i) one(i);
  auto run = [&](auto scaled) {
    for (; i + W <= count; i += W) {
      Packet v = ei::ploadu<Packet>(src + i);
      if constexpr (decltype(scaled)::value) v = ei::pmul(v, ei::ploadu<Packet>(scale + i));
      stream_store(dst + i, v);
    }
  };
  if (scale)
    run(std::true_type{});
  else
    run(std::false_type{});
#endif
  for (; i < count; ++i) one(i);
}
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

/// Orders the non-temporal stores before everything after: they are weakly ordered.
inline void store_fence() {
#if defined(EIGEN_VECTORIZE_SSE2)
  _mm_sfence();
#endif
}

/// What a scoring pass writes.
enum class Output { joint, log_proba, proba, label };

/// Scratch of one thread's scoring.
template <typename Scalar>
struct ScoreScratch {
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
  using Vector = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;
  Matrix xc, s, e;
  Vector m, sum;
  Eigen::VectorXi best;
  Eigen::Array<bool, Eigen::Dynamic, 1> ok;
};

/// Turns a block's scores S (nb x K, J_k up to a per-row constant) into the output of `mode`, written to the
/// caller's rows once: labels (argmax), J itself, log posteriors S - m - log sum exp(S - m) or posteriors
/// exp(S - m) / sum, with m the row maximum. Column-wise over the block, so every step is vectorised. Returns
/// whether every row was served; if not, sc.ok says which were: a NaN or a non-finite maximum (an overflowed row,
/// or a non-finite input) is left for the caller's row-wise fallback.
template <Output mode, typename Scalar, typename Out>
bool finish_block(ScoreScratch<Scalar>& sc, const Eigen::VectorXi& classes, Out&& out, bool stream) {
  auto& S = sc.s;
  const Eigen::Index nb = S.rows(), k_count = S.cols();
  if constexpr (mode == Output::label || mode == Output::joint) {
    // m = max_k S_k, and for labels its index (the first on ties). Plain loops over a class's column, which both
    // compilers vectorise: Eigen's select, its boolean arrays and a row-wise sum over the column-major scores went
    // one row at a time, a fifth (clang) to a quarter (GCC 12) of predict's time on a row-major X in cache, and
    // predict at (1e6, 64, 10) now takes 0.60 of the time.
    sc.m = S.col(0);
    Scalar* m = sc.m.data();
    if constexpr (mode == Output::label) sc.best.setZero(nb);
    for (Eigen::Index k = 1; k < k_count; ++k) {
      const Scalar* s = S.col(k).data();
      if constexpr (mode == Output::label) {
        int* best = sc.best.data();
        for (Eigen::Index i = 0; i < nb; ++i) {
          const bool better = s[i] > m[i];
          best[i] = better ? static_cast<int>(k) : best[i];
          m[i] = better ? s[i] : m[i];
        }
      } else {
        for (Eigen::Index i = 0; i < nb; ++i) m[i] = s[i] > m[i] ? s[i] : m[i];
      }
    }
    if constexpr (mode == Output::label) {
      for (Eigen::Index i = 0; i < nb; ++i) out(i) = classes[sc.best[i]];
    } else {
      out = S;
    }
    // A row is served when its maximum is finite and it holds no NaN. With every maximum finite, no score is +inf,
    // so the block's sum is NaN only through a NaN (or, rarely, an overflow to +inf beside a -inf), and rows are
    // looked at one by one only then.
    if (all_finite(sc.m) && !std::isnan(S.sum())) return true;
    sc.ok = sc.m.array().isFinite() && !S.rowwise().sum().array().isNaN();
    return sc.ok.all();
  } else {
    sc.m.resize(nb);
    // Packets of W rows at a time, each finished while its K scores are in L1; a last partial packet goes
    // through a copy padded with zeros, so that every row is computed by the same instructions.
    constexpr Eigen::Index W = Eigen::internal::packet_traits<Scalar>::size;
    sc.sum.resize(nb);
    Eigen::Index i0 = 0;
    for (; i0 + W <= nb; i0 += W)
      normalise_packet<mode == Output::log_proba>(S.data() + i0, nb, k_count, sc.m.data() + i0, sc.sum.data() + i0);
    if (i0 < nb) {
      const Eigen::Index rest = nb - i0;
      sc.e.setZero(W, k_count);
      sc.e.topRows(rest) = S.bottomRows(rest);
      Scalar m[W], sum[W];
      normalise_packet<mode == Output::log_proba>(sc.e.data(), W, k_count, m, sum);
      S.bottomRows(rest) = sc.e.topRows(rest);
      std::copy(m, m + rest, sc.m.data() + i0);
      std::copy(sum, sum + rest, sc.sum.data() + i0);
    }
    // sum >= 1 when the row is sound; NaN or infinite otherwise. Row by row only when some row is not:
    // Eigen tests isFinite one coefficient at a time.
    const bool served = all_finite(sc.m) && all_finite(sc.sum);
    if (!served) sc.ok = sc.m.array().isFinite() && sc.sum.array().isFinite();
    // Posteriors: exp(S - m) times 1 / sum, applied as the scratch is copied out.
    const Scalar* scale = nullptr;
    if constexpr (mode == Output::proba) {
      sc.sum = sc.sum.cwiseInverse();
      scale = sc.sum.data();
    }
    // Finished in the scratch, then copied once: the caller's storage order never changes a value.
    using O = std::decay_t<Out>;
    if constexpr (!O::IsRowMajor && bool(O::Flags & Eigen::DirectAccessBit)) {
      if (stream && out.innerStride() == 1) {
        for (Eigen::Index k = 0; k < k_count; ++k) stream_copy(S.col(k).data(), scale, nb, &out.coeffRef(0, k));
        store_fence();
        return served;
      }
    }
    if constexpr (mode == Output::proba)
      out = (S.array().colwise() * sc.sum.array()).matrix();
    else
      out = S;
    return served;
  }
}

}  // namespace gda::detail

GDA_DIAGNOSTICS_POP
