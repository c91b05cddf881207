/// \file
/// Integer labels: validation, the sorted set of classes, and label -> class-index lookup.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "../errors.hpp"
#include "diagnostics.hpp"

GDA_DIAGNOSTICS_PUSH

namespace gda::detail {

/// A view of any integer vector expression; plain vectors, Maps and blocks are not copied.
template <typename Label>
using LabelRef = Eigen::Ref<const Eigen::Matrix<Label, Eigen::Dynamic, 1>, 0, Eigen::InnerStride<>>;

/// The label at row i as an int; throws if it does not fit (labels are returned as Eigen::VectorXi).
template <typename Label>
int label_at(const LabelRef<Label>& y, Eigen::Index i, const char* fn, const char* arg = "y") {
  const Label v = y[i];
  if constexpr (std::numeric_limits<Label>::digits > std::numeric_limits<int>::digits ||
                !std::numeric_limits<Label>::is_signed) {
    if (v > static_cast<Label>(std::numeric_limits<int>::max()) ||
        (std::numeric_limits<Label>::is_signed && v < static_cast<Label>(std::numeric_limits<int>::min())))
      throw InvalidArgument(std::string(fn) + ": " + arg + "[" + std::to_string(i) + "] = " + std::to_string(v) +
                            " does not fit in int");
  }
  return static_cast<int>(v);
}

/// The distinct labels of y, sorted ascending, in O(n + K log K) time and O(K) memory beyond a table of at most
/// max(n, 1024) flags; y is never copied. Labels spanning a range no wider than that are marked in the table
/// (two branch-free passes: a search per row costs a mispredicted branch or two); wider ones go through a
/// sorted list.
template <typename Label>
std::vector<int> unique_labels(const LabelRef<Label>& y, const char* fn, const char* arg = "y") {
  const Eigen::Index n = y.size();
  if (n == 0) return {};
  int lo = label_at(y, 0, fn, arg), hi = lo;
  for (Eigen::Index i = 1; i < n; ++i) {
    const int v = label_at(y, i, fn, arg);
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  const long long span = static_cast<long long>(hi) - lo + 1;
  std::vector<int> seen;
  if (span <= std::max<long long>(1024, static_cast<long long>(n))) {
    std::vector<unsigned char> present(static_cast<std::size_t>(span), 0);
    // Every label was range-checked above.
    for (Eigen::Index i = 0; i < n; ++i) present[static_cast<std::size_t>(static_cast<long long>(y[i]) - lo)] = 1;
    for (long long v = 0; v < span; ++v)
      if (present[static_cast<std::size_t>(v)]) seen.push_back(static_cast<int>(lo + v));
    return seen;
  }
  int last = 0;
  bool have_last = false;
  for (Eigen::Index i = 0; i < n; ++i) {
    const int v = static_cast<int>(y[i]);
    if (have_last && v == last) continue;  // runs of one label are the common case
    const auto it = std::lower_bound(seen.begin(), seen.end(), v);
    if (it == seen.end() || *it != v) seen.insert(it, v);
    last = v;
    have_last = true;
  }
  return seen;
}

/// Maps a label to its class index (position in the sorted classes), or -1 when it is not a class.
/// A dense table serves labels spanning a small range; binary search serves the rest.
class LabelMap {
 public:
  explicit LabelMap(const Eigen::VectorXi& classes) : classes_(classes.data(), classes.data() + classes.size()) {
    if (classes_.empty()) return;
    lo_ = classes_.front();
    const long long span = static_cast<long long>(classes_.back()) - lo_ + 1;
    if (span <= 4 * static_cast<long long>(classes_.size()) + 1024) {
      table_.assign(static_cast<std::size_t>(span), -1);
      for (std::size_t k = 0; k < classes_.size(); ++k)
        table_[static_cast<std::size_t>(static_cast<long long>(classes_[k]) - lo_)] = static_cast<int>(k);
    }
  }

  int operator()(int label) const {
    if (!table_.empty()) {
      const long long off = static_cast<long long>(label) - lo_;
      return (off < 0 || off >= static_cast<long long>(table_.size())) ? -1 : table_[static_cast<std::size_t>(off)];
    }
    const auto it = std::lower_bound(classes_.begin(), classes_.end(), label);
    return (it == classes_.end() || *it != label) ? -1 : static_cast<int>(it - classes_.begin());
  }

 private:
  std::vector<int> classes_;
  std::vector<int> table_;
  int lo_ = 0;
};

}  // namespace gda::detail

GDA_DIAGNOSTICS_POP
