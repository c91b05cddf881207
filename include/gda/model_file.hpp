/// \file
/// gda model files: what they hold, how load() treats another scalar type, and inspect() for a file of
/// unknown kind. Estimators save and load themselves (GaussianClassifier::save, ::load).
///
/// Format version 1. All integers and IEEE-754 doubles are little-endian, whatever the host.
///
///     offset  bytes  field
///          0      8  signature 89 47 44 41 0D 0A 1A 0A ("\x89GDA\r\n\x1a\n")
///          8      4  u32 format version, 1
///         12      1  u8 scalar type of the estimator: 4 float, 8 double
///         13      1  u8 kind: 0 SharedDiagonal, 1 PerClassDiagonal, 2 SharedFull, 3 PerClassFull
///         14      1  u8 flags: 1 fixed priors stored, 2 the estimator could predict (is_fitted())
///         15      1  0
///         16      8  u64 K, classes (1 .. 2^31 - 1)
///         24      8  u64 D, features (1 .. 2^31 - 1)
///         32     24  f64 var_smoothing, shrinkage (-1 = Ledoit-Wolf), reg_param
///         56      8  u64 payload bytes, K (12 + 16 D + 8 D) or K (12 + 16 D + 8 D^2), + 8 K with priors
///         64         payload: i32 classes[K] (sorted); f64 priors[K] if flagged; f64 weights W_k[K];
///                    f64 means[K][D]; f64 mean residuals[K][D]; f64 M2: [K][D] (diagonal kinds) or
///                    [K][D][D] (full kinds, one scatter matrix per class)
///        end      4  u32 CRC-32 (zlib's) of every byte before it
///
/// The payload is the sufficient statistics, not the derived parameters: load() rebuilds the model from them
/// with the same code fit() uses, so parameters and predictions are bit-for-bit those of the saved estimator,
/// and partial_fit and merge carry on where it stopped.
#pragma once

#include <Eigen/Core>
#include <filesystem>
#include <fstream>
#include <istream>
#include <string>

#include "detail/diagnostics.hpp"
#include "detail/format.hpp"
#include "errors.hpp"
#include "options.hpp"

GDA_DIAGNOSTICS_PUSH

namespace gda {

/// What load() does with a file saved by an estimator of the other scalar type.
enum class Convert {
  never,  ///< throw FormatError naming the file's scalar type (the default)
  scalar  ///< rebuild the model in the loading estimator's scalar type from the (double) statistics
};

/// The header and statistics summary of a model file, read without knowing its kind in advance.
struct ModelInfo {
  unsigned version = 0;         ///< format version
  int scalar_bytes = 0;         ///< 4 (float) or 8 (double)
  bool shared = false;          ///< one covariance for all classes (SharedDiagonal, SharedFull)
  bool full = false;            ///< full covariance matrices (LDA, QDA)
  std::string kind;             ///< e.g. "PerClassDiagonal (GaussianNB)"
  bool fitted = false;          ///< the saved estimator could predict
  Options options;              ///< the saved estimator's options
  Eigen::VectorXi classes;      ///< sorted labels (K)
  Eigen::VectorXd class_count;  ///< W_k, summed sample weights (K)
  Eigen::Index n_features = 0;  ///< D
};

/// Reads one model from `in` (left just after it) and describes it; checks the format and checksum but not
/// the statistics, which only load() validates. Throws FormatError.
inline ModelInfo inspect(std::istream& in) {
  const detail::ModelFile f = detail::decode(in);
  ModelInfo info;
  info.version = f.version;
  info.scalar_bytes = f.scalar_bytes;
  info.full = f.kind >= 2;
  info.shared = f.kind % 2 == 0;
  info.kind = detail::kind_name(f.kind);
  info.fitted = f.fitted;
  info.options = f.options;
  info.classes = f.classes;
  info.class_count = f.weights;
  info.n_features = f.means.cols();
  return info;
}

namespace detail {

inline std::ifstream open_model(const std::filesystem::path& path, const char* fn) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(std::string(fn) + ": cannot open " + path.string() + " for reading");
  return in;
}

// A model file holds one model; bytes after it mean the file is not what it claims to be.
inline void expect_end(std::istream& in, const std::filesystem::path& path, const char* fn) {
  if (in.peek() != std::char_traits<char>::eof())
    throw FormatError(std::string(fn) + ": " + path.string() + " has bytes after the model",
                      static_cast<unsigned long long>(in.tellg()));
  if (in.bad()) throw IoError(std::string(fn) + ": error reading " + path.string());
}

}  // namespace detail

/// inspect() of the model file at `path`. Throws IoError if it cannot be read, FormatError as above.
inline ModelInfo inspect(const std::filesystem::path& path) {
  std::ifstream in = detail::open_model(path, "inspect");
  ModelInfo info = inspect(in);
  detail::expect_end(in, path, "inspect");
  return info;
}

}  // namespace gda

GDA_DIAGNOSTICS_POP
