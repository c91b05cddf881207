// gda, the command-line tool: fit a model on a CSV file, predict with it, describe a model file.
//
//   gda fit --kind gaussian --model m.gda data.csv      (shared | gaussian | lda | qda; label: last column)
//   gda predict --model m.gda [--proba] new.csv > out.csv
//   gda info m.gda
//   gda import --kind gaussian --classes c.csv --priors p.csv --means m.csv --variances v.csv --model m.gda
//
// CSV files are streamed in chunks through partial_fit, so files larger than memory work, and "-" reads
// stdin. Exit codes: 0 success, 1 bad input (data or model file), 2 bad usage. `gda <command> --help` lists
// every option.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <gda/gda.hpp>
#include <iostream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "table.hpp"

#ifdef _WIN32
#include <io.h>
#define GDA_ISATTY(fd) _isatty(fd)
#else
#include <unistd.h>
#define GDA_ISATTY(fd) isatty(fd)
#endif

namespace {

constexpr int exit_input = 1, exit_usage = 2;

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Common {
  std::string data;
  std::string header = "auto";
  long chunk_rows = 65536;
  int threads = 0;
  std::string progress = "auto";
};

struct FitArgs : Common {
  std::string kind = "gaussian", model, label = "-1", shrinkage = "0";
  bool single = false;
  double var_smoothing = 1e-9, reg_param = 0;
};

struct PredictArgs : Common {
  std::string model, label;
  bool proba = false, log_proba = false;
};

cli::Header header_mode(const std::string& h) {
  return h == "yes" ? cli::Header::present : h == "no" ? cli::Header::absent : cli::Header::detect;
}

// "rows done, rows per second" on stderr, at most twice a second, when stderr is a terminal (or asked for).
class Progress {
 public:
  Progress(const std::string& mode, const char* verb)
      : on_(mode == "always" || (mode == "auto" && GDA_ISATTY(2))), verb_(verb), start_(clock::now()), last_(start_) {}
  void update(long long rows) {
    if (!on_) return;
    const auto now = clock::now();
    if (now - last_ < std::chrono::milliseconds(500)) return;
    last_ = now;
    print(rows, now);
  }
  void done(long long rows) {
    if (!on_) return;
    print(rows, clock::now());
    std::fputc('\n', stderr);
  }

 private:
  using clock = std::chrono::steady_clock;
  void print(long long rows, clock::time_point now) const {
    const double s = std::chrono::duration<double>(now - start_).count();
    std::fprintf(stderr, "\rgda %s: %lld rows, %.0f rows/s ", verb_, rows, s > 0 ? double(rows) / s : 0.0);
    std::fflush(stderr);
  }
  bool on_;
  const char* verb_;
  clock::time_point start_, last_;
};

// Calls fn with a default-constructed estimator of the chosen kind and scalar, so one template serves all eight.
template <typename Fn>
void dispatch(bool shared, bool full, bool single, Fn&& fn) {
  const auto pick = [&](auto f, auto d) { single ? fn(f) : fn(d); };
  using namespace gda;
  if (full && shared)
    pick(GaussianClassifier<float, SharedFull>(), GaussianClassifier<double, SharedFull>());
  else if (full)
    pick(GaussianClassifier<float, PerClassFull>(), GaussianClassifier<double, PerClassFull>());
  else if (shared)
    pick(GaussianClassifier<float, SharedDiagonal>(), GaussianClassifier<double, SharedDiagonal>());
  else
    pick(GaussianClassifier<float, PerClassDiagonal>(), GaussianClassifier<double, PerClassDiagonal>());
}

// dispatch() for a --kind name: shared, gaussian, lda or qda.
template <typename Fn>
void dispatch_kind(const std::string& kind, bool single, Fn&& fn) {
  dispatch(kind == "shared" || kind == "lda", kind == "lda" || kind == "qda", single, std::forward<Fn>(fn));
}

// The estimator with its classes widened to `all` (sorted), the statistics of every old class kept exactly.
template <typename Est>
Est widen(const Est& m, const Eigen::VectorXi& all) {
  const auto& s = m.statistics();
  typename Est::Statistics w(all.size(), s.n_features());
  for (Eigen::Index k = 0; k < s.n_classes(); ++k) {
    const auto at = std::lower_bound(all.data(), all.data() + all.size(), m.classes()[k]) - all.data();
    w.add(at, s.weights()[k], s.means().row(k), s.mean_residuals().row(k), s.second_moment(k));
  }
  return Est::from_statistics(all, std::move(w), m.options());
}

std::vector<int> sorted_unique(const int* p, Eigen::Index n) {
  std::vector<int> v(p, p + n);
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

// Reads the table chunk by chunk, converted to the model's scalar, reporting progress; returns the row count.
template <typename Scalar, typename Fn>
long long for_each_chunk(cli::TableReader& reader, const Common& a, const char* verb, Fn&& fn) {
  cli::RowMatrix X(a.chunk_rows, reader.n_features());
  Eigen::VectorXi y(a.chunk_rows);
  Progress progress(a.progress, verb);
  long long rows = 0;
  while (const Eigen::Index n = reader.read(X, y)) {
    const Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> chunk =
        X.topRows(n).template cast<Scalar>();
    fn(chunk, y.head(n));
    rows += n;
    progress.update(rows);
  }
  progress.done(rows);
  return rows;
}

template <typename Est>
void fit(const FitArgs& a, const gda::Options& options) {
  using Scalar = typename Est::Scalar;
  Est model = [&] {
    try {
      return Est(options);
    } catch (const gda::InvalidArgument& e) {
      throw UsageError(e.what());
    }
  }();
  cli::TableReader reader(a.data, header_mode(a.header), a.label);
  bool started = false;
  const long long rows = for_each_chunk<Scalar>(reader, a, "fit", [&](const auto& chunk, const auto& yc) {
    // Classes are discovered as the stream goes: a chunk with new labels widens the model first.
    const std::vector<int> labels = sorted_unique(yc.data(), yc.size());
    if (!started) {
      model.partial_fit(chunk, yc, Eigen::Map<const Eigen::VectorXi>(labels.data(), Eigen::Index(labels.size())));
      started = true;
      return;
    }
    const Eigen::VectorXi& have = model.classes();
    std::vector<int> all(have.data(), have.data() + have.size());
    all.insert(all.end(), labels.begin(), labels.end());
    all = sorted_unique(all.data(), Eigen::Index(all.size()));
    if (Eigen::Index(all.size()) != have.size())
      model = widen(model, Eigen::Map<const Eigen::VectorXi>(all.data(), Eigen::Index(all.size())));
    model.partial_fit(chunk, yc);
  });
  if (rows == 0) throw cli::InputError(reader.name() + ": no data rows");
  if (!model.is_fitted()) {
    std::string why;
    try {
      (void)model.priors();
    } catch (const gda::NotFitted& e) {
      why = e.what();
    }
    throw cli::InputError(reader.name() + ": the data define no model (" + why + ")");
  }
  model.save(a.model);
}

// Shortest text that reads back to the same value.
template <typename T>
void append_number(std::string& out, T v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void flush(std::string& out) {
  if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size()) throw cli::InputError("cannot write to stdout");
  out.clear();
}

template <typename Est>
void predict(const PredictArgs& a) {
  using Scalar = typename Est::Scalar;
  const Est model = Est::load(a.model);
  cli::TableReader reader(a.data, header_mode(a.header), a.label);
  const Eigen::Index d = model.n_features();
  if (reader.n_features() != d)
    throw cli::InputError(reader.name() + ": " + std::to_string(reader.n_features()) +
                          " feature columns, the model has " + std::to_string(d) +
                          (reader.n_features() == d + 1 && !reader.has_label()
                               ? " (if one column is a label, name it with --label)"
                               : ""));
  const Eigen::VectorXi& classes = model.classes();
  std::string out;
  if (a.proba || a.log_proba) {
    for (Eigen::Index k = 0; k < classes.size(); ++k) out += (k ? "," : "") + std::to_string(classes[k]);
    out += '\n';
  } else {
    out += "label\n";
  }
  for_each_chunk<Scalar>(reader, a, "predict", [&](const auto& chunk, const auto&) {
    const Eigen::Index n = chunk.rows();
    if (a.proba || a.log_proba) {
      const typename Est::Matrix p = a.proba ? model.predict_proba(chunk) : model.predict_log_proba(chunk);
      for (Eigen::Index i = 0; i < n; ++i) {
        for (Eigen::Index k = 0; k < p.cols(); ++k) {
          if (k) out += ',';
          append_number(out, p(i, k));
        }
        out += '\n';
      }
    } else {
      const Eigen::VectorXi labels = model.predict(chunk);
      for (Eigen::Index i = 0; i < n; ++i) {
        append_number(out, labels[i]);
        out += '\n';
      }
    }
    flush(out);
  });
  flush(out);
  if (std::fflush(stdout) != 0) throw cli::InputError("cannot write to stdout");
}

void info(const std::string& path) {
  const gda::ModelInfo i = gda::inspect(std::filesystem::path(path));
  // inspect() checks the format; loading checks the statistics too.
  dispatch(i.shared, i.full, i.scalar_bytes == 4, [&](auto tag) { (void)decltype(tag)::load(path); });
  const auto list = [](const auto& v) {
    std::string s;
    for (Eigen::Index k = 0; k < v.size(); ++k) {
      if (k) s += ' ';
      std::string n;
      append_number(n, v[k]);
      s += n;
    }
    return s;
  };
  std::printf("file           %s\n", path.c_str());
  std::printf("format         gda model, version %u\n", i.version);
  std::printf("kind           %s\n", i.kind.c_str());
  std::printf("scalar         %s\n", i.scalar_bytes == 4 ? "float" : "double");
  std::printf("features       %lld\n", static_cast<long long>(i.n_features));
  std::printf("classes        %lld: %s\n", static_cast<long long>(i.classes.size()), list(i.classes).c_str());
  std::printf("class count    %s\n", list(i.class_count).c_str());
  std::printf("priors         %s\n",
              i.options.priors.size() ? ("fixed: " + list(i.options.priors)).c_str() : "estimated (W_k / W)");
  if (!i.full) std::printf("var_smoothing  %g\n", i.options.var_smoothing);
  if (i.full && i.shared)
    std::printf("shrinkage      %s\n", i.options.shrinkage == gda::Options::ledoit_wolf
                                           ? "Ledoit-Wolf"
                                           : std::to_string(i.options.shrinkage).c_str());
  if (i.full && !i.shared) std::printf("reg_param      %g\n", i.options.reg_param);
  std::printf("fitted         %s\n", i.fitted ? "yes" : "no (the statistics cannot define a model yet)");
}

struct ImportArgs {
  std::string kind = "gaussian", model, classes, priors, means, variances, counts;
  bool single = false;
};

// A whole numeric CSV file (header detected) as a matrix; a one-row or one-column file also serves as a vector.
Eigen::MatrixXd read_matrix(const std::string& path) {
  cli::TableReader reader(path, cli::Header::detect, "");
  std::vector<cli::RowMatrix> parts;
  Eigen::Index rows = 0;
  cli::RowMatrix X(4096, reader.n_features());
  Eigen::VectorXi unused(4096);
  while (const Eigen::Index n = reader.read(X, unused)) {
    parts.emplace_back(X.topRows(n));
    rows += n;
  }
  if (rows == 0) throw cli::InputError(path + ": no data rows");
  Eigen::MatrixXd m(rows, reader.n_features());
  Eigen::Index at = 0;
  for (const auto& part : parts) {
    m.middleRows(at, part.rows()) = part;
    at += part.rows();
  }
  return m;
}

Eigen::VectorXd read_vector(const std::string& path) {
  const Eigen::MatrixXd m = read_matrix(path);
  if (m.rows() != 1 && m.cols() != 1)
    throw cli::InputError(path + ": expected one row or one column, found " + std::to_string(m.rows()) + " x " +
                          std::to_string(m.cols()));
  return m.reshaped();
}

template <typename Est>
void import(const ImportArgs& a) {
  const Eigen::VectorXd c = read_vector(a.classes);
  Eigen::VectorXi classes(c.size());
  for (Eigen::Index k = 0; k < c.size(); ++k) {
    if (!(c[k] == std::floor(c[k]) && std::abs(c[k]) < 2147483648.0))
      throw cli::InputError(a.classes + ": entry " + std::to_string(k) + " is not an integer label");
    classes[k] = static_cast<int>(c[k]);
  }
  const Eigen::VectorXd counts = a.counts.empty() ? Eigen::VectorXd() : read_vector(a.counts);
  Est::from_parameters(classes, read_vector(a.priors), read_matrix(a.means), read_matrix(a.variances), counts)
      .save(a.model);
}

void add_common(CLI::App* cmd, Common& c) {
  cmd->add_option("data", c.data, "CSV file, or - for stdin")->required();
  cmd->add_option("--header", c.header, "first line is a header: auto (if any field is not a number), yes, no")
      ->check(CLI::IsMember({"auto", "yes", "no"}))
      ->capture_default_str();
  cmd->add_option("--chunk-rows", c.chunk_rows, "rows read and processed at a time (memory is proportional)")
      ->check(CLI::Range(1L, 1L << 30))
      ->capture_default_str();
  cmd->add_option("--threads", c.threads, "threads to use (0: all cores)")->check(CLI::NonNegativeNumber);
  cmd->add_option("--progress", c.progress, "progress on stderr: auto (when it is a terminal), always, never")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->capture_default_str();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"gda: Gaussian generative classifiers (naive Bayes, LDA, QDA) on CSV files", "gda"};
  app.require_subcommand(1);

  FitArgs fa;
  CLI::App* fit_cmd = app.add_subcommand("fit", "fit a model on a CSV file (streamed) and save it");
  add_common(fit_cmd, fa);
  fit_cmd->add_option("-m,--model", fa.model, "model file to write")->required();
  fit_cmd->add_option("--kind", fa.kind, "shared (naive Bayes, shared variances), gaussian (naive Bayes), lda or qda")
      ->check(CLI::IsMember({"shared", "gaussian", "lda", "qda"}))
      ->capture_default_str();
  fit_cmd->add_option("--label", fa.label, "label column: name, or index from 0 (negative from the end)")
      ->capture_default_str();
  fit_cmd->add_flag("--float", fa.single, "fit in single precision (half the memory traffic)");
  fit_cmd->add_option("--var-smoothing", fa.var_smoothing, "shared, gaussian: variance smoothing")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  fit_cmd->add_option("--shrinkage", fa.shrinkage, "lda: shrinkage in [0, 1], or lw (Ledoit-Wolf)")
      ->capture_default_str();
  fit_cmd->add_option("--reg-param", fa.reg_param, "qda: regularisation in [0, 1]")->check(CLI::Range(0.0, 1.0));

  PredictArgs pa;
  CLI::App* predict_cmd = app.add_subcommand("predict", "predict labels or probabilities, as CSV on stdout");
  add_common(predict_cmd, pa);
  predict_cmd->add_option("-m,--model", pa.model, "model file to read")->required();
  predict_cmd->add_option("--label", pa.label, "a column to ignore (e.g. the true labels): name or index");
  auto* proba = predict_cmd->add_flag("--proba", pa.proba, "write P(class | x), one column per class");
  predict_cmd->add_flag("--log-proba", pa.log_proba, "write log P(class | x)")->excludes(proba);

  ImportArgs ia;
  CLI::App* import_cmd = app.add_subcommand("import", "save a model fitted elsewhere from its parameters (CSV files)");
  import_cmd->add_option("-m,--model", ia.model, "model file to write")->required();
  import_cmd->add_option("--kind", ia.kind, "shared, gaussian, lda or qda")
      ->check(CLI::IsMember({"shared", "gaussian", "lda", "qda"}))
      ->capture_default_str();
  import_cmd->add_option("--classes", ia.classes, "the K integer labels, sorted")->required();
  import_cmd->add_option("--priors", ia.priors, "the K class priors")->required();
  import_cmd->add_option("--means", ia.means, "the class means, K x D")->required();
  import_cmd
      ->add_option("--variances", ia.variances,
                   "variances: D (shared), K x D (gaussian); covariances: D x D (lda), D x KD side by side (qda)")
      ->required();
  import_cmd->add_option("--counts", ia.counts, "samples behind each class (K), to continue fitting later");
  import_cmd->add_flag("--float", ia.single, "save a single-precision model");

  std::string info_path;
  CLI::App* info_cmd = app.add_subcommand("info", "describe a model file");
  info_cmd->add_option("model", info_path, "model file")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : exit_usage;
  }

  try {
    if (*fit_cmd) {
      gda::Options o;
      o.var_smoothing = fa.var_smoothing;
      o.reg_param = fa.reg_param;
      if (fa.shrinkage == "lw") {
        o.shrinkage = gda::Options::ledoit_wolf;
      } else {
        double s = 0;
        if (!cli::parse(fa.shrinkage, s) || !(s >= 0 && s <= 1))
          throw UsageError("--shrinkage must be in [0, 1] or lw, got " + fa.shrinkage);
        o.shrinkage = s;
      }
      if (fa.threads > 0) gda::set_num_threads(fa.threads);
      dispatch_kind(fa.kind, fa.single, [&](auto tag) { fit<decltype(tag)>(fa, o); });
    } else if (*predict_cmd) {
      if (pa.threads > 0) gda::set_num_threads(pa.threads);
      const gda::ModelInfo i = gda::inspect(std::filesystem::path(pa.model));
      dispatch(i.shared, i.full, i.scalar_bytes == 4, [&](auto tag) { predict<decltype(tag)>(pa); });
    } else if (*import_cmd) {
      dispatch_kind(ia.kind, ia.single, [&](auto tag) { import <decltype(tag)>(ia); });
    } else {
      info(info_path);
    }
  } catch (const UsageError& e) {
    std::fprintf(stderr, "gda: %s\nRun with --help for more information.\n", e.what());
    return exit_usage;
  } catch (const std::exception& e) {
    // Data, model files, I/O: cli::InputError, gda::InvalidArgument (FormatError, NonFiniteValue), gda::IoError.
    std::fprintf(stderr, "gda: %s\n", e.what());
    return exit_input;
  }
  return 0;
}
