/// \file
/// The hot loops: block statistics for fitting, and the row-wise log-sum-exp of scoring.
/// Both work on blocks of rows small enough to stay in cache, so X is read from memory once.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "../errors.hpp"
#include "../statistics.hpp"
#include "labels.hpp"

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

/// Scratch of one thread's fit: a block's rows sorted by class, and one class's block moments.
struct FitScratch {
  std::vector<int> cls;
  std::vector<double> wt;
  std::vector<Eigen::Index> order, start, next;
  Eigen::RowVectorXd shift, sum, mean_lo, m2;
  Eigen::MatrixXd z, scatter;  // full kinds: centred rows of one class, and their scatter
};

/// Finite X whose sums or squares overflow double: names the first column at fault.
template <typename Row>
[[noreturn]] void throw_overflow(const Row& moments, const char* fn) {
  Eigen::Index j = 0;
  while (j + 1 < moments.size() && std::isfinite(moments[j])) ++j;
  throw InvalidArgument(std::string(fn) + ": the values of X in column " + std::to_string(j) +
                        " are too large: their sums or squares overflow double");
}

/// Adds rows [r0, r1) of (X, y, w) to per-class statistics (diagonal or full), in one pass over memory.
///
/// Each block of rows is sorted by class (indices only); each class's rows in the block are reduced twice
/// while in cache, to the block mean and then the centred second moment (per feature, or the scatter matrix
/// as one rank-n update of the centred rows), and the block result is merged into `stats` with the
/// Chan-Golub-LeVeque formula. Centring within the block is what keeps
/// features around 1e9 with unit spread exact, where sum x^2 - (sum x)^2 / n loses every digit.
/// Validates as it goes: labels outside `map`, negative or non-finite weights and non-finite X throw
/// InvalidArgument naming the row; `stats` is then partly updated, so callers pass a scratch copy.
template <typename XRef, typename Label, typename WScalar, bool Full>
void accumulate(const XRef& X, const LabelRef<Label>& y, const VectorRef<WScalar>* w, const LabelMap& map,
                Eigen::Index r0, Eigen::Index r1, SufficientStatistics<Full>& stats, FitScratch& s, const char* fn) {
  constexpr bool row_major = XRef::IsRowMajor;
  const Eigen::Index d = X.cols();
  const Eigen::Index k_count = stats.n_classes();
  const Eigen::Index block = block_rows(d, sizeof(typename XRef::Scalar));
  s.sum.resize(d);
  s.m2.resize(d);
  s.start.assign(static_cast<std::size_t>(k_count) + 1, 0);

  for (Eigen::Index b0 = r0; b0 < r1; b0 += block) {
    const Eigen::Index b1 = std::min(r1, b0 + block);
    const auto nb = static_cast<std::size_t>(b1 - b0);
    s.cls.resize(nb);
    s.wt.resize(nb);
    s.order.resize(nb);
    std::fill(s.start.begin(), s.start.end(), 0);
    for (Eigen::Index i = b0; i < b1; ++i) {
      const int label = label_at(y, i, fn);
      const int k = map(label);
      if (k < 0)
        throw InvalidArgument(std::string(fn) + ": " + at("y", i) + " = " + std::to_string(label) +
                              " is not one of the declared classes");
      double wi = 1;
      if (w) {
        wi = static_cast<double>((*w)[i]);
        if (!std::isfinite(wi) || wi < 0)
          throw InvalidArgument(std::string(fn) + ": " + at("w", i) + " = " + std::to_string(wi) +
                                " is not a finite non-negative weight");
      }
      s.cls[static_cast<std::size_t>(i - b0)] = k;
      s.wt[static_cast<std::size_t>(i - b0)] = wi;
      ++s.start[static_cast<std::size_t>(k) + 1];
    }
    // Counting sort of the block's row indices by class.
    for (std::size_t k = 0; k < static_cast<std::size_t>(k_count); ++k) s.start[k + 1] += s.start[k];
    s.next.assign(s.start.begin(), s.start.end() - 1);
    for (std::size_t r = 0; r < nb; ++r)
      s.order[static_cast<std::size_t>(s.next[static_cast<std::size_t>(s.cls[r])]++)] =
          b0 + static_cast<Eigen::Index>(r);

    for (Eigen::Index k = 0; k < k_count; ++k) {
      const auto first = static_cast<std::size_t>(s.start[static_cast<std::size_t>(k)]);
      const auto last = static_cast<std::size_t>(s.start[static_cast<std::size_t>(k) + 1]);
      if (first == last) continue;
      double wk = 0;
      for (std::size_t r = first; r < last; ++r) wk += s.wt[static_cast<std::size_t>(s.order[r] - b0)];
      // sum_j = sum_i w_i (x_ij - x_0j), shifted by the class's first row in the block so that the sum stays
      // small: summing raw values near 1e9 would round at the scale of the growing sum.
      const Eigen::Index row0 = s.order[first];
      s.shift = X.row(row0).template cast<double>();
      if constexpr (row_major) {
        s.sum.setZero();
        for (std::size_t r = first; r < last; ++r)
          s.sum +=
              s.wt[static_cast<std::size_t>(s.order[r] - b0)] * (X.row(s.order[r]).template cast<double>() - s.shift);
      } else {
        for (Eigen::Index j = 0; j < d; ++j) {
          double acc = 0;
          for (std::size_t r = first; r < last; ++r)
            acc +=
                s.wt[static_cast<std::size_t>(s.order[r] - b0)] * (static_cast<double>(X(s.order[r], j)) - s.shift[j]);
          s.sum[j] = acc;
        }
      }
      // A NaN or infinity anywhere in these rows reaches the sum, even at weight 0 (0 * inf = NaN).
      if (!s.sum.allFinite()) {
        for (std::size_t r = first; r < last; ++r) check_row_finite(X, s.order[r], fn);
        throw_overflow(s.sum, fn);
      }
      if (wk == 0) continue;
      // mean = shift + sum / W, kept as hi + lo (TwoSum) for the merge
      const Eigen::RowVectorXd step = s.sum / wk;
      const Eigen::RowVectorXd mean = s.shift + step;
      const Eigen::RowVectorXd back = mean - s.shift;
      s.mean_lo = (s.shift - (mean - back)) + (step - back);
      if constexpr (Full) {
        // M2 = Z^T Z with the rows of Z = sqrt(w_i) (x_i - mean): a rank-n update of the cached rows
        const Eigen::Index nk = static_cast<Eigen::Index>(last - first);
        s.z.resize(nk, d);
        for (Eigen::Index r = 0; r < nk; ++r) {
          const Eigen::Index i = s.order[first + static_cast<std::size_t>(r)];
          s.z.row(r) = std::sqrt(s.wt[static_cast<std::size_t>(i - b0)]) * (X.row(i).template cast<double>() - mean);
        }
        s.scatter.setZero(d, d);
        s.scatter.template selfadjointView<Eigen::Lower>().rankUpdate(s.z.transpose());
        s.scatter.template triangularView<Eigen::StrictlyUpper>() = s.scatter.transpose();
        if (!s.scatter.allFinite()) throw_overflow(s.scatter.diagonal().transpose(), fn);
        stats.add(k, wk, mean, s.mean_lo, s.scatter);
        continue;
      }
      // M2_j = sum_i w_i (x_ij - mean_j)^2, second pass over the cached rows
      s.m2.setZero();
      if constexpr (row_major) {
        for (std::size_t r = first; r < last; ++r)
          s.m2 += s.wt[static_cast<std::size_t>(s.order[r] - b0)] *
                  (X.row(s.order[r]).template cast<double>() - mean).cwiseAbs2();
      } else {
        for (Eigen::Index j = 0; j < d; ++j) {
          double acc = 0;
          for (std::size_t r = first; r < last; ++r) {
            const double dev = static_cast<double>(X(s.order[r], j)) - mean[j];
            acc += s.wt[static_cast<std::size_t>(s.order[r] - b0)] * dev * dev;
          }
          s.m2[j] = acc;
        }
      }
      if (!s.m2.allFinite()) throw_overflow(s.m2, fn);
      stats.add(k, wk, mean, s.mean_lo, s.m2);
    }
  }
}

/// log sum_k exp(v_k) over the finite-or-minus-infinity entries of a row, subtracting the maximum first so
/// that a row far from every mean stays finite (MODEL.md, Posterior).
template <typename Row>
auto logsumexp(const Row& v) {
  using S = typename Row::Scalar;
  const S m = v.maxCoeff();
  if (!(m > -std::numeric_limits<S>::infinity())) return m;
  return m + std::log((v.array() - m).exp().sum());
}

}  // namespace gda::detail
