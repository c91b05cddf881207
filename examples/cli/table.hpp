// Streaming CSV reader of the gda command-line tool: numeric features and an optional integer label column,
// a header line detected or declared, read in chunks of a bounded number of rows from a file or stdin.
// A malformed line is reported with its line number, its column and the column's name.
#pragma once

#include <fast_float/fast_float.h>

#include <Eigen/Core>
#include <charconv>
#include <cmath>
#include <fstream>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>
#include <type_traits>
#include <vector>

namespace cli {

using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Bad input data (exit code 1), as opposed to bad usage.
struct InputError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

enum class Header { detect, present, absent };

// Splits one line at commas; a trailing CR (CRLF files) is dropped. Quoting is not supported: fields are
// numbers or plain names.
inline void split(const std::string& line, std::vector<std::string_view>& fields) {
  fields.clear();
  std::string_view s(line);
  if (!s.empty() && s.back() == '\r') s.remove_suffix(1);
  std::size_t start = 0;
  for (;;) {
    const std::size_t comma = s.find(',', start);
    fields.push_back(s.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
}

inline std::string_view trim(std::string_view f) {
  while (!f.empty() && (f.front() == ' ' || f.front() == '\t')) f.remove_prefix(1);
  while (!f.empty() && (f.back() == ' ' || f.back() == '\t')) f.remove_suffix(1);
  return f;
}

// A whole field as a number: a double through fast_float, an integer label through std::from_chars. Blanks
// around it and a leading '+' (which both parsers reject) are allowed.
template <typename T>
bool parse(std::string_view f, T& v) {
  f = trim(f);
  if (!f.empty() && f.front() == '+') f.remove_prefix(1);
  const char* end = f.data() + f.size();
  if constexpr (std::is_floating_point_v<T>) {
    const auto r = fast_float::from_chars(f.data(), end, v);
    return r.ec == std::errc() && r.ptr == end && !f.empty();
  } else {
    const auto r = std::from_chars(f.data(), end, v);
    return r.ec == std::errc() && r.ptr == end && !f.empty();
  }
}

class TableReader {
 public:
  // `label`: a column name (needs a header), an index counted from 0 (negative from the end: -1 is the last
  // column), or empty for no label column.
  TableReader(const std::string& path, Header header, const std::string& label) : path_(path) {
    if (path == "-") {
      in_ = &std::cin;
      name_ = "<stdin>";
    } else {
      file_ = std::make_unique<std::ifstream>(path, std::ios::binary);
      if (!*file_) throw InputError(path + ": cannot open for reading");
      in_ = file_.get();
      name_ = path;
    }
    if (!next_line()) throw InputError(name_ + ": the input is empty");
    split(line_, fields_);
    bool is_header = header == Header::present;
    if (header == Header::detect) {
      double v;
      for (const auto f : fields_) is_header = is_header || !parse(f, v);
    }
    for (std::size_t j = 0; j < fields_.size(); ++j)
      names_.push_back(is_header ? std::string(trim(fields_[j])) : "column " + std::to_string(j));
    pending_ = !is_header;
    const auto n = static_cast<long>(fields_.size());
    if (!label.empty()) {
      long index = 0;
      const auto r = std::from_chars(label.data(), label.data() + label.size(), index);
      if (r.ec == std::errc() && r.ptr == label.data() + label.size()) {
        if (index < -n || index >= n)
          throw InputError(name_ + ": --label " + label + " is outside the " + std::to_string(n) + " columns");
        label_ = index < 0 ? n + index : index;
      } else {
        if (!is_header) throw InputError(name_ + ": --label names a column ('" + label + "') but there is no header");
        for (long j = 0; j < n; ++j)
          if (names_[std::size_t(j)] == label) label_ = j;
        if (label_ < 0) throw InputError(name_ + ": no column is named '" + label + "'");
      }
    }
    n_features_ = n - (label_ >= 0 ? 1 : 0);
    if (n_features_ < 1) throw InputError(name_ + ": there is no feature column");
  }

  Eigen::Index n_features() const { return n_features_; }
  bool has_label() const { return label_ >= 0; }
  const std::string& name() const { return name_; }
  long long line_number() const { return line_no_; }

  // Reads up to X.rows() rows into the top of X (and y, if there is a label column); returns how many.
  Eigen::Index read(RowMatrix& X, Eigen::VectorXi& y) {
    Eigen::Index r = 0;
    while (r < X.rows()) {
      if (!pending_) {
        if (!next_line()) break;
        if (line_.empty() || line_ == "\r") continue;
        split(line_, fields_);
      }
      pending_ = false;
      const auto n = static_cast<long>(fields_.size());
      if (n != n_features_ + (label_ >= 0 ? 1 : 0))
        throw InputError(where() + ": " + std::to_string(n) + " fields, expected " +
                         std::to_string(n_features_ + (label_ >= 0 ? 1 : 0)));
      Eigen::Index f = 0;
      for (long j = 0; j < n; ++j) {
        const std::string_view field = fields_[std::size_t(j)];
        if (j == label_) {
          if (!parse(field, y[r])) fail(j, field, "an integer label");
        } else {
          double v;
          // NaN and infinities are caught here, where the line number is known.
          if (!parse(field, v) || !std::isfinite(v)) fail(j, field, "a finite number");
          X(r, f++) = v;
        }
      }
      ++r;
    }
    return r;
  }

 private:
  bool next_line() {
    if (!std::getline(*in_, line_)) {
      if (in_->bad()) throw InputError(name_ + ": read error");
      return false;
    }
    ++line_no_;
    return true;
  }

  std::string where() const { return name_ + ":" + std::to_string(line_no_); }

  [[noreturn]] void fail(long col, std::string_view field, const char* expected) const {
    throw InputError(where() + ": column " + std::to_string(col + 1) + " ('" + names_[std::size_t(col)] +
                     "'): cannot read '" + std::string(field) + "' as " + expected);
  }

  std::string path_, name_, line_;
  std::unique_ptr<std::ifstream> file_;
  std::istream* in_ = nullptr;
  std::vector<std::string_view> fields_;
  std::vector<std::string> names_;
  long long line_no_ = 0;
  long label_ = -1;
  Eigen::Index n_features_ = 0;
  bool pending_ = false;
};

}  // namespace cli
