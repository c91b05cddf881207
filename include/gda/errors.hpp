/// \file
/// The exceptions gda throws. Every one says which function failed, which argument was at fault and what came.
#pragma once

#include <Eigen/Core>
#include <stdexcept>
#include <string>

namespace gda {

/// Bad input at the public boundary: shapes, labels, weights, options or data the model cannot use.
class InvalidArgument : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// A NaN or an infinity in the input; row() and col() locate the first one found.
class NonFiniteValue : public InvalidArgument {
 public:
  NonFiniteValue(const std::string& what, Eigen::Index row, Eigen::Index col)
      : InvalidArgument(what), row_(row), col_(col) {}
  /// Row (sample) of the offending entry, counted from 0.
  Eigen::Index row() const noexcept { return row_; }
  /// Column (feature) of the offending entry, counted from 0; 0 for vectors.
  Eigen::Index col() const noexcept { return col_; }

 private:
  Eigen::Index row_;
  Eigen::Index col_;
};

/// A call the estimator's state does not allow: predicting before any fit, or from statistics that
/// cannot define a likelihood yet (e.g. only constant data seen by partial_fit).
class NotFitted : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

}  // namespace gda
