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

/// One full covariance matrix shared by all classes: linear discriminant analysis (LDA).
struct SharedFull {
  static constexpr bool shared = true;
  static constexpr bool full = true;
  static constexpr const char* name = "SharedFull";
};

/// One full covariance matrix per class: quadratic discriminant analysis (QDA).
struct PerClassFull {
  static constexpr bool shared = false;
  static constexpr bool full = true;
  static constexpr const char* name = "PerClassFull";
};

namespace detail {

template <typename Kind>
inline constexpr bool is_covariance_kind = false;
template <>
inline constexpr bool is_covariance_kind<SharedDiagonal> = true;
template <>
inline constexpr bool is_covariance_kind<PerClassDiagonal> = true;
template <>
inline constexpr bool is_covariance_kind<SharedFull> = true;
template <>
inline constexpr bool is_covariance_kind<PerClassFull> = true;

}  // namespace detail
}  // namespace gda
