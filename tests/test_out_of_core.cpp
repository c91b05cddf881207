// Drives examples/stream_fit as a user would: writes a CSV of a few hundred megabytes, fits it in chunks, and
// checks that the model equals an in-memory fit and that peak memory follows the chunk size, not the file.
// GDA_STREAM_FIT names the program and GDA_SCRATCH a folder for the file (set by CTest).
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <sstream>
#include <string>

#include "common.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define GDA_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GDA_TEST_ASAN 1
#endif
#endif

namespace {

// Runs a command and returns its standard output; fails the test if it exits non-zero.
std::string run(const std::string& cmd) {
  std::FILE* pipe = popen(cmd.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string out;
  char buf[4096];
  while (const std::size_t got = std::fread(buf, 1, sizeof buf, pipe)) out.append(buf, got);
  const int status = pclose(pipe);
  INFO("command: " << cmd);
  REQUIRE(status == 0);
  return out;
}

// "key: v1 v2 ..." lines of the program's report.
std::map<std::string, std::vector<double>> parse_report(const std::string& text) {
  std::map<std::string, std::vector<double>> m;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::istringstream values(line.substr(colon + 1));
    auto& v = m[line.substr(0, colon)];
    for (double x; values >> x;) v.push_back(x);
  }
  return m;
}

}  // namespace

TEST_CASE("a file far larger than a chunk fits in bounded memory and equals an in-memory fit") {
  const char* program = std::getenv("GDA_STREAM_FIT");
  const char* scratch = std::getenv("GDA_SCRATCH");
  REQUIRE_MESSAGE(program != nullptr, "GDA_STREAM_FIT is not set");
  REQUIRE_MESSAGE(scratch != nullptr, "GDA_SCRATCH is not set");
  const std::string path = std::string(scratch) + "/stream_fit_data.csv";

  // 3 million rows of 8 features with 4 decimals: about 250 MB of text. The in-memory copy holds the values
  // as parsed back from that text, which is what the program reads too.
  const Eigen::Index n = 3000000, d = 8;
  const int k_count = 5;
  Eigen::MatrixXd X(n, d);
  Eigen::VectorXi y(n);
  {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    REQUIRE(f != nullptr);
    std::fputs("f0,f1,f2,f3,f4,f5,f6,f7,label\n", f);
    std::mt19937 rng(2024);
    std::normal_distribution<double> normal(0, 1);
    std::uniform_int_distribution<int> pick(0, k_count - 1);
    std::vector<char> line(512);
    for (Eigen::Index i = 0; i < n; ++i) {
      const int k = pick(rng);
      char* p = line.data();
      for (Eigen::Index j = 0; j < d; ++j) {
        const double v = 1000.0 + 3.0 * k * double(j + 1) + (1 + 0.3 * double(k)) * normal(rng);
        char* start = p;
        p = std::to_chars(p, line.data() + line.size(), v, std::chars_format::fixed, 4).ptr;
        std::from_chars(start, p, X(i, j));
        *p++ = ',';
      }
      p = std::to_chars(p, line.data() + line.size(), k).ptr;
      *p++ = '\n';
      y[i] = k;
      std::fwrite(line.data(), 1, std::size_t(p - line.data()), f);
    }
    std::fclose(f);
  }
  const auto file_bytes = std::filesystem::file_size(path);
  CHECK(file_bytes > 200u * 1024 * 1024);

  const Eigen::Index chunk_rows = 20000;
  const auto report = parse_report(
      run(std::string(program) + " " + path + " --chunk-rows " + std::to_string(chunk_rows) + " --kind gaussian"));
  std::filesystem::remove(path);
  REQUIRE(report.count("mean") == 1);
  CHECK(report.at("rows").at(0) == double(n));
  CHECK(report.at("chunks").at(0) == double((n + chunk_rows - 1) / chunk_rows));

  gda::GaussianNB<> whole;
  whole.fit(X, y);
  const auto& mean = report.at("mean");
  const auto& var = report.at("variance");
  REQUIRE(mean.size() == std::size_t(k_count * d));
  for (Eigen::Index k = 0; k < k_count; ++k)
    for (Eigen::Index j = 0; j < d; ++j) {
      CAPTURE(k);
      CAPTURE(j);
      CHECK_CLOSE(mean[std::size_t(k * d + j)], whole.means()(k, j), 1e-13);
      CHECK_CLOSE(var[std::size_t(k * d + j)], whole.variances()(k, j), 1e-12);
    }
  CHECK_CLOSE(report.at("epsilon").at(0), whole.epsilon(), 1e-12);

  // Peak memory: a chunk of doubles is 20000 x 8 x 8 bytes = 1.25 MiB; the process may hold a few of those and
  // its libraries, but nothing near the file's size.
  const double peak_bytes = report.at("peak_resident_kib").at(0) * 1024;
  MESSAGE("file " << file_bytes / (1 << 20) << " MiB, peak resident " << peak_bytes / (1 << 20) << " MiB");
#ifdef GDA_TEST_ASAN
  MESSAGE("AddressSanitizer inflates resident memory; the bound is checked in the other builds");
#else
  const double chunk_bytes = double(chunk_rows * d) * sizeof(double);
  CHECK(peak_bytes < 16.0 * (1 << 20) + 4 * chunk_bytes);
  CHECK(peak_bytes < double(file_bytes) / 8);
#endif
}
