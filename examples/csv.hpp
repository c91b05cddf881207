// A small CSV reader for the examples: numeric features, the integer label in the last column, a header line.
// It reads a file in chunks of at most a given number of rows, so memory stays bounded whatever the file size,
// and reports a malformed line with its line number and column.
#pragma once

#include <Eigen/Core>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

namespace csv {

using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

class ChunkReader {
 public:
  // Opens path and reads its header to learn the number of feature columns.
  explicit ChunkReader(const std::string& path) : in_(path), path_(path) {
    if (!in_) throw std::runtime_error("cannot open " + path);
    std::string header;
    if (!std::getline(in_, header)) throw std::runtime_error(path + ": empty file");
    line_no_ = 1;
    std::size_t commas = 0;
    for (char c : header) commas += (c == ',');
    if (commas == 0) throw std::runtime_error(path + ": the header has a single column, expected features and a label");
    n_features_ = static_cast<Eigen::Index>(commas);
  }

  Eigen::Index n_features() const { return n_features_; }

  // Reads up to X.rows() rows into the top of X and y; returns how many were read (0 at the end of the file).
  Eigen::Index read(RowMatrix& X, Eigen::VectorXi& y) {
    Eigen::Index r = 0;
    while (r < X.rows() && std::getline(in_, line_)) {
      ++line_no_;
      if (line_.empty() || line_ == "\r") continue;
      const char* p = line_.data();
      const char* end = p + line_.size();
      if (end > p && end[-1] == '\r') --end;
      for (Eigen::Index j = 0; j <= n_features_; ++j) {
        const char* stop = p;
        while (stop < end && *stop != ',') ++stop;
        if (j < n_features_) {
          double v = 0;
          const auto res = std::from_chars(p, stop, v);
          if (res.ec != std::errc() || res.ptr != stop || stop == end) fail(j, p, stop);
          X(r, j) = v;
        } else {
          int label = 0;
          const auto res = std::from_chars(p, stop, label);
          if (res.ec != std::errc() || res.ptr != stop || stop != end) fail(j, p, stop);
          y[r] = label;
        }
        p = stop + 1;
      }
      ++r;
    }
    return r;
  }

 private:
  [[noreturn]] void fail(Eigen::Index col, const char* from, const char* to) const {
    throw std::runtime_error(path_ + ":" + std::to_string(line_no_) + ": column " + std::to_string(col + 1) +
                             ": cannot read '" + std::string(from, to) + "' as a number (expected " +
                             std::to_string(n_features_) + " numbers and an integer label)");
  }

  std::ifstream in_;
  std::string path_, line_;
  long long line_no_ = 0;
  Eigen::Index n_features_ = 0;
};

struct Dataset {
  RowMatrix X;
  Eigen::VectorXi y;
};

// Reads a whole (small) file into memory.
inline Dataset read_all(const std::string& path) {
  ChunkReader reader(path);
  Dataset d{RowMatrix(0, reader.n_features()), Eigen::VectorXi(0)};
  RowMatrix X(4096, reader.n_features());
  Eigen::VectorXi y(4096);
  while (const Eigen::Index got = reader.read(X, y)) {
    d.X.conservativeResize(d.X.rows() + got, Eigen::NoChange);
    d.y.conservativeResize(d.y.size() + got);
    d.X.bottomRows(got) = X.topRows(got);
    d.y.tail(got) = y.head(got);
  }
  return d;
}

}  // namespace csv
