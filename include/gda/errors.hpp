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

/// A model file or stream that is not a valid gda model: truncated, corrupt, of another format version,
/// kind or scalar type, or holding parameters no fit could have produced. offset() is where reading stopped.
class FormatError : public InvalidArgument {
 public:
  FormatError(const std::string& what, unsigned long long offset) : InvalidArgument(what), offset_(offset) {}
  /// Byte offset in the file (from the start of the model) at which the problem was found.
  unsigned long long offset() const noexcept { return offset_; }

 private:
  unsigned long long offset_;
};

/// A file or stream that cannot be opened, read or written (the operating system's reason is in what()).
class IoError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A call the estimator's state does not allow: predicting before any fit, or from statistics that
/// cannot define a likelihood yet (e.g. only constant data seen by partial_fit).
class NotFitted : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

}  // namespace gda
