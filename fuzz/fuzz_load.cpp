// libFuzzer target over the model loader. Every input must either load or throw gda::FormatError; a model that
// loads must predict finite probabilities summing to 1 and save back to the bytes it came from. Anything else
// (a crash, a sanitizer report, another exception, a broken invariant) is a bug.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <gda/gda.hpp>
#include <sstream>
#include <string>

namespace {

[[noreturn]] void bug(const char* what) {
  std::fprintf(stderr, "fuzz_load: %s\n", what);
  std::abort();
}

template <typename Est>
void try_load(const std::string& bytes) {
  std::istringstream in(bytes, std::ios::binary);
  Est m;
  try {
    m = Est::load(in, gda::Convert::scalar);
  } catch (const gda::FormatError&) {
    return;
  }
  const auto used = static_cast<std::size_t>(in.tellg() < 0 ? bytes.size() : std::size_t(in.tellg()));
  std::ostringstream out(std::ios::binary);
  m.save(out);
  if (bytes[12] == char(sizeof(typename Est::Scalar)) && out.str() != bytes.substr(0, used))
    bug("a loaded model does not save back to its own bytes");
  if (!m.is_fitted()) return;
  // Points at, between and far from the means: probabilities must stay distributions everywhere.
  using Matrix = typename Est::Matrix;
  const Eigen::Index d = m.n_features();
  Matrix X(3, d);
  X.row(0) = m.means().row(0);
  X.row(1) = m.means().colwise().mean();
  X.row(2).setConstant(typename Est::Scalar(1e3));
  const Matrix p = m.predict_proba(X);
  for (Eigen::Index i = 0; i < p.rows(); ++i)
    if (!p.row(i).allFinite() || std::abs(double(p.row(i).sum()) - 1) > 1e-3)
      bug("predict_proba of a loaded model is not a distribution");
}

// Mutations almost never keep the checksum right, which would stop them at the first check; so each input
// is also tried with the checksum recomputed where its header puts it, to reach the checks behind it.
std::string sealed(std::string bytes) {
  if (bytes.size() < 68) return bytes;
  std::uint64_t payload = 0;
  for (int b = 0; b < 8; ++b) payload |= std::uint64_t(std::uint8_t(bytes[56 + std::size_t(b)])) << (8 * b);
  const std::size_t at = payload <= bytes.size() - 68 ? 64 + std::size_t(payload) : bytes.size() - 4;
  const std::uint32_t crc = gda::detail::crc32(reinterpret_cast<const unsigned char*>(bytes.data()), at);
  for (int b = 0; b < 4; ++b) bytes[at + std::size_t(b)] = char(crc >> (8 * b));
  return bytes;
}

void try_all(const std::string& bytes) {
  try {
    std::istringstream in(bytes, std::ios::binary);
    (void)gda::inspect(in);
  } catch (const gda::FormatError&) {
  }
  try_load<gda::SharedVarianceNB<double>>(bytes);
  try_load<gda::SharedVarianceNB<float>>(bytes);
  try_load<gda::GaussianNB<double>>(bytes);
  try_load<gda::GaussianNB<float>>(bytes);
  try_load<gda::LDA<double>>(bytes);
  try_load<gda::LDA<float>>(bytes);
  try_load<gda::QDA<double>>(bytes);
  try_load<gda::QDA<float>>(bytes);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try_all(bytes);
  try_all(sealed(bytes));
  return 0;
}
