/// \file
/// Covariance structures, as empty tag types that select the model at compile time.
#pragma once

namespace gda {

/// One variance per feature, shared by all classes (pooled within-class): naive Bayes with shared variances.
struct SharedDiagonal {
  static constexpr bool shared = true;
  static constexpr bool full = false;
  static constexpr const char* name = "SharedDiagonal";
};

/// One variance per class and feature: naive Bayes as scikit-learn's GaussianNB.
struct PerClassDiagonal {
  static constexpr bool shared = false;
  static constexpr bool full = false;
  static constexpr const char* name = "PerClassDiagonal";
};

namespace detail {

template <typename Kind>
inline constexpr bool is_covariance_kind = false;
template <>
inline constexpr bool is_covariance_kind<SharedDiagonal> = true;
template <>
inline constexpr bool is_covariance_kind<PerClassDiagonal> = true;

}  // namespace detail
}  // namespace gda
