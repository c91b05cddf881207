/// \file
/// The gda model file, version 1: byte encoding, checksum, and a reader that trusts nothing it reads.
/// The layout is documented in model_file.hpp and the README ("Model files").
#pragma once

#include <Eigen/Core>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <istream>
#include <limits>
#include <string>

#include "../errors.hpp"
#include "../options.hpp"
#include "diagnostics.hpp"

GDA_DIAGNOSTICS_PUSH

namespace gda::detail {

// "\x89GDA\r\n\x1a\n": the high byte catches 7-bit transports, CR LF and LF catch newline translation, ^Z
// stops `type` on Windows, as in PNG's signature.
inline constexpr std::array<unsigned char, 8> file_magic = {0x89, 'G', 'D', 'A', '\r', '\n', 0x1a, '\n'};
inline constexpr std::uint32_t file_version = 1;
inline constexpr std::size_t header_bytes = 64;
inline constexpr std::uint8_t flag_priors = 1, flag_fitted = 2;

// Kinds are numbered by their structure, so the code does not depend on declaration order.
template <typename Kind>
constexpr std::uint8_t kind_code() {
  return static_cast<std::uint8_t>((Kind::full ? 2 : 0) + (Kind::shared ? 0 : 1));
}

inline const char* kind_name(std::uint8_t code) {
  static const char* const names[] = {"SharedDiagonal (SharedVarianceNB)", "PerClassDiagonal (GaussianNB)",
                                      "SharedFull (LDA)", "PerClassFull (QDA)"};
  return code < 4 ? names[code] : "unknown";
}

// CRC-32 of ISO 3309 / zlib / PNG (reflected polynomial 0xEDB88320), so that any zlib can check a file.
inline std::uint32_t crc32(const unsigned char* p, std::size_t n, std::uint32_t crc = 0) {
  static const std::array<std::uint32_t, 256> table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int b = 0; b < 8; ++b) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  crc = ~crc;
  for (std::size_t i = 0; i < n; ++i) crc = table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

// Little-endian encoding by shifts: the same bytes on any host, whatever its own byte order.
class ByteWriter {
 public:
  void u8(std::uint8_t v) { bytes.push_back(static_cast<char>(v)); }
  void u32(std::uint32_t v) {
    for (int b = 0; b < 4; ++b) u8(static_cast<std::uint8_t>(v >> (8 * b)));
  }
  void u64(std::uint64_t v) {
    for (int b = 0; b < 8; ++b) u8(static_cast<std::uint8_t>(v >> (8 * b)));
  }
  void i32(std::int32_t v) { u32(static_cast<std::uint32_t>(v)); }
  void f64(double v) {
    std::uint64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    u64(bits);
  }
  std::string bytes;
};

class ByteReader {
 public:
  ByteReader(const std::string& bytes, std::size_t pos) : bytes_(bytes), pos_(pos) {}
  std::uint8_t u8() {
    need(1);
    return static_cast<std::uint8_t>(bytes_[pos_++]);
  }
  std::uint32_t u32() {
    need(4);
    std::uint32_t v = 0;
    for (int b = 0; b < 4; ++b) v |= std::uint32_t{static_cast<std::uint8_t>(bytes_[pos_++])} << (8 * b);
    return v;
  }
  std::uint64_t u64() {
    need(8);
    std::uint64_t v = 0;
    for (int b = 0; b < 8; ++b) v |= std::uint64_t{static_cast<std::uint8_t>(bytes_[pos_++])} << (8 * b);
    return v;
  }
  std::int32_t i32() {
    const std::uint32_t u = u32();
    std::int32_t v;
    std::memcpy(&v, &u, sizeof v);
    return v;
  }
  double f64() {
    const std::uint64_t u = u64();
    double v;
    std::memcpy(&v, &u, sizeof v);
    return v;
  }
  std::size_t pos() const { return pos_; }

 private:
  void need(std::size_t n) const {
    if (bytes_.size() - pos_ < n) throw FormatError("load: unexpected end of the model data", pos_);
  }
  const std::string& bytes_;
  std::size_t pos_;
};

// Everything a version-1 file holds, decoded but not yet validated as statistics.
struct ModelFile {
  std::uint32_t version = 0;
  std::uint8_t scalar_bytes = 0;  // 4 (float) or 8 (double)
  std::uint8_t kind = 0;          // kind_code<Kind>()
  bool fitted = false;            // the saved estimator could predict
  Options options;
  Eigen::VectorXi classes;
  Eigen::VectorXd weights;
  Eigen::MatrixXd means, residuals, m2;  // m2 as SufficientStatistics lays it out
};

inline std::uint64_t payload_bytes(std::uint64_t k, std::uint64_t d, bool full, bool priors) {
  // decode() has bounded k d (k d d for the full kinds) by 2^58, so nothing here overflows 64 bits.
  const std::uint64_t per_class = 4 + 8 + (priors ? 8 : 0) + 16 * d + 8 * (full ? d * d : d);
  return k * per_class;
}

// Bytes of one model: header, payload, CRC.
inline std::string encode(const ModelFile& f) {
  const bool full = f.kind >= 2, priors = f.options.priors.size() != 0;
  const auto k = static_cast<std::uint64_t>(f.classes.size()), d = static_cast<std::uint64_t>(f.means.cols());
  ByteWriter w;
  for (unsigned char c : file_magic) w.u8(c);
  w.u32(file_version);
  w.u8(f.scalar_bytes);
  w.u8(f.kind);
  w.u8(static_cast<std::uint8_t>((priors ? flag_priors : 0) | (f.fitted ? flag_fitted : 0)));
  w.u8(0);
  w.u64(k);
  w.u64(d);
  w.f64(f.options.var_smoothing);
  w.f64(f.options.shrinkage);
  w.f64(f.options.reg_param);
  w.u64(payload_bytes(k, d, full, priors));
  for (Eigen::Index c = 0; c < f.classes.size(); ++c) w.i32(f.classes[c]);
  if (priors)
    for (Eigen::Index c = 0; c < f.options.priors.size(); ++c) w.f64(f.options.priors[c]);
  for (Eigen::Index c = 0; c < f.weights.size(); ++c) w.f64(f.weights[c]);
  for (const Eigen::MatrixXd* m : {&f.means, &f.residuals})
    for (Eigen::Index r = 0; r < m->rows(); ++r)
      for (Eigen::Index j = 0; j < m->cols(); ++j) w.f64((*m)(r, j));
  // Scatter matrices class by class (each symmetric, so its storage order does not matter); diagonal
  // moments row by row.
  if (full) {
    for (Eigen::Index c = 0; c < f.m2.cols(); ++c)
      for (Eigen::Index r = 0; r < f.m2.rows(); ++r) w.f64(f.m2(r, c));
  } else {
    for (Eigen::Index r = 0; r < f.m2.rows(); ++r)
      for (Eigen::Index j = 0; j < f.m2.cols(); ++j) w.f64(f.m2(r, j));
  }
  w.u32(crc32(reinterpret_cast<const unsigned char*>(w.bytes.data()), w.bytes.size()));
  return std::move(w.bytes);
}

// Reads exactly n more bytes into buf, in pieces, so that a header claiming gigabytes costs memory only as
// far as the stream really holds data.
inline void read_exactly(std::istream& in, std::string& buf, std::uint64_t n) {
  constexpr std::uint64_t piece = std::uint64_t{1} << 20;
  const std::uint64_t want = buf.size() + n;
  while (buf.size() < want) {
    const std::uint64_t left = want - buf.size();
    const auto step = static_cast<std::size_t>(left < piece ? left : piece);
    const std::size_t at = buf.size();
    buf.resize(at + step);
    in.read(&buf[at], static_cast<std::streamsize>(step));
    const auto got = static_cast<std::size_t>(in.gcount());
    if (got < step) {
      buf.resize(at + got);
      throw FormatError("load: the model is truncated: it ends after " + std::to_string(buf.size()) +
                            " bytes, its header announces " + std::to_string(want),
                        buf.size());
    }
  }
}

inline void check_header_value(bool ok, const std::string& what, std::size_t offset) {
  if (!ok) throw FormatError("load: " + what, offset);
}

// Reads one model from the stream and decodes it; the stream is left just after it. Throws FormatError for
// anything that is not a well-formed version-1 model, before allocating more than the stream holds.
inline ModelFile decode(std::istream& in) {
  std::string buf;
  buf.resize(header_bytes);
  in.read(&buf[0], static_cast<std::streamsize>(header_bytes));
  const auto got = static_cast<std::size_t>(in.gcount());
  buf.resize(got);
  bool magic = got >= file_magic.size();
  for (std::size_t i = 0; magic && i < file_magic.size(); ++i)
    magic = static_cast<unsigned char>(buf[i]) == file_magic[i];
  if (!magic) throw FormatError("load: not a gda model (the file does not start with gda's signature)", 0);
  if (got < header_bytes)
    throw FormatError("load: the model is truncated: " + std::to_string(got) + " bytes, shorter than the " +
                          std::to_string(header_bytes) + "-byte header",
                      got);

  ModelFile f;
  ByteReader r(buf, file_magic.size());
  f.version = r.u32();
  if (f.version != file_version)
    throw FormatError("load: the model is in format version " + std::to_string(f.version) +
                          (f.version > file_version ? " (written by a newer gda)" : "") + "; this gda reads version " +
                          std::to_string(file_version),
                      8);
  f.scalar_bytes = r.u8();
  check_header_value(f.scalar_bytes == 4 || f.scalar_bytes == 8,
                     "scalar code " + std::to_string(f.scalar_bytes) + " is neither 4 (float) nor 8 (double)", 12);
  f.kind = r.u8();
  check_header_value(f.kind < 4, "kind code " + std::to_string(f.kind) + " is not one of 0..3", 13);
  const std::uint8_t flags = r.u8();
  check_header_value((flags & ~(flag_priors | flag_fitted)) == 0, "unknown flags " + std::to_string(flags), 14);
  check_header_value(r.u8() == 0, "the reserved byte is not zero", 15);
  const std::uint64_t k = r.u64(), d = r.u64();
  // 2^31 - 1 bounds keep every size product below 2^63 and every index within int and Eigen::Index.
  constexpr std::uint64_t max_dim = std::numeric_limits<std::int32_t>::max();
  check_header_value(k >= 1 && k <= max_dim, "the number of classes " + std::to_string(k) + " is out of range", 16);
  check_header_value(d >= 1 && d <= max_dim, "the number of features " + std::to_string(d) + " is out of range", 24);
  const bool full = f.kind >= 2, has_priors = flags & flag_priors;
  f.fitted = flags & flag_fitted;
  f.options.var_smoothing = r.f64();
  f.options.shrinkage = r.f64();
  f.options.reg_param = r.f64();
  const std::uint64_t announced = r.u64();
  // k d d can reach 2^93; bound it by division before multiplying anything.
  const std::uint64_t limit = std::numeric_limits<std::uint64_t>::max() / 64, square = full ? d : 1;
  const bool fits = d <= limit / square / k;
  const std::uint64_t expected = fits ? payload_bytes(k, d, full, has_priors) : 0;
  check_header_value(fits && announced == expected,
                     "the header's payload size " + std::to_string(announced) + " does not match " + std::to_string(k) +
                         " classes and " + std::to_string(d) + " features",
                     56);
  check_header_value(expected <= static_cast<std::uint64_t>(std::numeric_limits<std::streamsize>::max()) / 2,
                     "the payload size " + std::to_string(expected) + " is beyond what can be read", 56);

  read_exactly(in, buf, expected + 4);
  const std::size_t body = buf.size() - 4;
  ByteReader tail(buf, body);
  const std::uint32_t stored = tail.u32();
  if (crc32(reinterpret_cast<const unsigned char*>(buf.data()), body) != stored)
    throw FormatError("load: checksum mismatch: the model is corrupt", body);

  const auto K = static_cast<Eigen::Index>(k), D = static_cast<Eigen::Index>(d);
  ByteReader p(buf, header_bytes);
  f.classes.resize(K);
  for (Eigen::Index c = 0; c < K; ++c) f.classes[c] = p.i32();
  if (has_priors) {
    f.options.priors.resize(K);
    for (Eigen::Index c = 0; c < K; ++c) f.options.priors[c] = p.f64();
  }
  f.weights.resize(K);
  for (Eigen::Index c = 0; c < K; ++c) f.weights[c] = p.f64();
  f.means.resize(K, D);
  f.residuals.resize(K, D);
  for (Eigen::MatrixXd* m : {&f.means, &f.residuals})
    for (Eigen::Index c = 0; c < K; ++c)
      for (Eigen::Index j = 0; j < D; ++j) (*m)(c, j) = p.f64();
  if (full) {
    f.m2.resize(D, K * D);
    for (Eigen::Index c = 0; c < K * D; ++c)
      for (Eigen::Index r2 = 0; r2 < D; ++r2) f.m2(r2, c) = p.f64();
  } else {
    f.m2.resize(K, D);
    for (Eigen::Index c = 0; c < K; ++c)
      for (Eigen::Index j = 0; j < D; ++j) f.m2(c, j) = p.f64();
  }
  return f;
}

}  // namespace gda::detail

GDA_DIAGNOSTICS_POP
