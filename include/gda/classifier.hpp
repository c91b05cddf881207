/// \file
/// The estimator: GaussianClassifier<Scalar, Kind> and the names users know it by.
#pragma once

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "covariance.hpp"
#include "detail/diagnostics.hpp"
#include "detail/diagonal_model.hpp"
#include "detail/full_model.hpp"
#include "detail/kernels.hpp"
#include "detail/labels.hpp"
#include "detail/parallel.hpp"
#include "errors.hpp"
#include "model_file.hpp"
#include "options.hpp"
#include "statistics.hpp"

GDA_DIAGNOSTICS_PUSH

namespace gda {

/// Gaussian generative classifier: P(y = k) = alpha_k, x | y = k ~ Normal(mu_k, Sigma_k), with the covariance
/// structure chosen by Kind: SharedDiagonal, PerClassDiagonal (naive Bayes), SharedFull (LDA) or
/// PerClassFull (QDA). See MODEL.md for every formula.
///
/// Rows of X are samples and columns features, in any storage order; X is read in place, never copied.
/// Labels are integers of any values; classes() holds them sorted, and every matrix with a class axis follows
/// that order. Every method that changes the estimator either succeeds or throws and leaves it as it was.
/// Const methods may be called from several threads at once.
///
/// \code
///   gda::GaussianNB<> model;                  // or gda::SharedVarianceNB<>, gda::GaussianNB<float>, ...
///   model.fit(X, y);                          // X: n x D (Eigen matrix, Map or block), y: n integer labels
///   Eigen::MatrixXd p = model.predict_proba(X_new);   // n_new x K, rows sum to 1
///   Eigen::VectorXi labels = model.predict(X_new);
/// \endcode
template <typename Scalar_, typename Kind_>
class GaussianClassifier {
  static_assert(std::is_same_v<Scalar_, float> || std::is_same_v<Scalar_, double>,
                "gda::GaussianClassifier: Scalar must be float or double");
  static_assert(detail::is_covariance_kind<Kind_>,
                "gda::GaussianClassifier: Kind must be gda::SharedDiagonal, gda::PerClassDiagonal, gda::SharedFull or "
                "gda::PerClassFull");

 public:
  using Scalar = Scalar_;
  using Kind = Kind_;
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
  using Vector = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;
  /// DiagonalStatistics or FullStatistics, as the kind needs.
  using Statistics = SufficientStatistics<Kind::full>;

 private:
  using Model = std::conditional_t<Kind::full, detail::FullModel<Scalar, Kind>, detail::DiagonalModel<Scalar, Kind>>;
  using Output = detail::Output;

 public:
  /// An unfitted estimator. Throws InvalidArgument if the options are out of range (Options::check) or set
  /// for another kind (shrinkage is LDA's, reg_param QDA's).
  explicit GaussianClassifier(Options options = {}) : options_(std::move(options)) {
    options_.check();
    if (options_.shrinkage != 0 && !(Kind::full && Kind::shared))
      throw InvalidArgument(std::string("GaussianClassifier: Options::shrinkage applies to gda::LDA (SharedFull) "
                                        "only, this estimator is ") +
                            Kind::name);
    if (options_.reg_param != 0 && !(Kind::full && !Kind::shared))
      throw InvalidArgument(std::string("GaussianClassifier: Options::reg_param applies to gda::QDA (PerClassFull) "
                                        "only, this estimator is ") +
                            Kind::name);
  }

  // ---------------------------------------------------------------------------------------------- fitting

  /// Fits on X (n x D) and integer labels y (length n), replacing any earlier fit. Returns *this.
  /// The classes are the distinct labels of y. Throws InvalidArgument for empty X, mismatched lengths, a
  /// non-finite X (naming row and column), fixed priors of the wrong length, or data with no spread at all.
  template <typename DX, typename DY>
  GaussianClassifier& fit(const Eigen::MatrixBase<DX>& X, const Eigen::MatrixBase<DY>& y) {
    return update(X, y, no_weights(), nullptr, true, "fit");
  }

  /// Fits with sample weights w (length n, finite, >= 0, not all zero): a weight of 2 counts as a duplicated row.
  template <typename DX, typename DY, typename DW>
  GaussianClassifier& fit(const Eigen::MatrixBase<DX>& X, const Eigen::MatrixBase<DY>& y,
                          const Eigen::MatrixBase<DW>& w) {
    const detail::VectorRef<Scalar> wr = weight_view(w);
    return update(X, y, &wr, nullptr, true, "fit");
  }

  /// Adds a batch to the statistics of earlier calls: the stream of batches gives the single fit's answer.
  /// The first call on an unfitted estimator must declare `classes`, every label that will ever appear (any
  /// order, no duplicates); later calls may omit them or repeat the same set. A label outside the declared
  /// classes throws and changes nothing. Epsilon is recomputed from all data seen, so the model does not
  /// depend on how the data was cut. A batch may lack classes, or hold one row; until the data seen has some
  /// spread the model cannot predict (is_fitted() is false) but keeps accumulating.
  template <typename DX, typename DY, typename DC>
  GaussianClassifier& partial_fit(const Eigen::MatrixBase<DX>& X, const Eigen::MatrixBase<DY>& y,
                                  const Eigen::MatrixBase<DC>& classes_or_weights) {
    if constexpr (std::is_integral_v<typename DC::Scalar>) {
      const Eigen::VectorXi declared = declared_classes(classes_or_weights, "partial_fit");
      return update(X, y, no_weights(), &declared, false, "partial_fit");
    } else {
      const detail::VectorRef<Scalar> wr = weight_view(classes_or_weights);
      return update(X, y, &wr, nullptr, false, "partial_fit");
    }
  }

  /// partial_fit() on a batch with no weights, on an estimator whose classes are already declared.
  template <typename DX, typename DY>
  GaussianClassifier& partial_fit(const Eigen::MatrixBase<DX>& X, const Eigen::MatrixBase<DY>& y) {
    return update(X, y, no_weights(), nullptr, false, "partial_fit");
  }

  /// partial_fit() with sample weights w and, on the first call, the declared classes.
  template <typename DX, typename DY, typename DW, typename DC>
  GaussianClassifier& partial_fit(const Eigen::MatrixBase<DX>& X, const Eigen::MatrixBase<DY>& y,
                                  const Eigen::MatrixBase<DW>& w, const Eigen::MatrixBase<DC>& classes) {
    const detail::VectorRef<Scalar> wr = weight_view(w);
    const Eigen::VectorXi declared = declared_classes(classes, "partial_fit");
    return update(X, y, &wr, &declared, false, "partial_fit");
  }

  /// Adds the statistics of an estimator fitted elsewhere (another shard, thread or process) with the exact
  /// merge formula; the result equals one fit on both data sets. An unfitted *this takes other's classes.
  /// The options of *this apply. Throws InvalidArgument if other has no statistics, or other classes or
  /// another feature count than *this.
  GaussianClassifier& merge(const GaussianClassifier& other) {
    if (other.classes_.size() == 0) throw InvalidArgument("merge: other has not been fitted");
    if (classes_.size() != 0) {
      if (!same_labels(other.classes_, classes_))
        throw InvalidArgument("merge: other has classes (" + join(other.classes_) + "), this has (" + join(classes_) +
                              ")");
      if (other.stats_.n_features() != stats_.n_features())
        throw InvalidArgument("merge: other has " + std::to_string(other.stats_.n_features()) + " features, this has " +
                              std::to_string(stats_.n_features()));
    } else {
      check_priors(other.classes_.size(), "merge");
    }
    Eigen::VectorXi classes = other.classes_;
    Statistics st = classes_.size() ? stats_ : Statistics(other.stats_.n_classes(), other.stats_.n_features());
    st.merge(other.stats_);
    Model model = Model::build(st, options_, classes);
    commit(classes, st, model);
    return *this;
  }

  /// An estimator holding the given statistics, e.g. received from another process: the model they define.
  /// `classes` are the sorted, distinct labels of the statistics' rows. Throws InvalidArgument if they are
  /// not sorted and distinct, if their number differs from the statistics' classes, or the options are bad.
  static GaussianClassifier from_statistics(const Eigen::VectorXi& classes, Statistics statistics,
                                            Options options = {}) {
    GaussianClassifier m(std::move(options));
    m.adopt(classes, statistics, "from_statistics");
    return m;
  }

  /// An estimator from the parameters of a model fitted elsewhere, e.g. scikit-learn's classes_, class_prior_,
  /// theta_ and var_ (GaussianNB) or covariance_ (LDA; QDA's covariance_ side by side). The parameters are
  /// used as given: the priors become fixed Options::priors, var_smoothing, shrinkage and reg_param are 0.
  /// `variances`: D (SharedDiagonal, any vector shape), K x D (PerClassDiagonal), D x D (SharedFull), or the K
  /// covariance matrices side by side, D x KD (PerClassFull). The statistics behind the model treat
  /// `class_count` (K weights > 0; 1 each if empty) as the samples the parameters came from, so that partial_fit
  /// and merge can continue from them. Throws InvalidArgument naming the argument, row and column at fault
  /// (shapes, non-finite values, variances <= 0, priors not summing to 1, covariances not symmetric positive
  /// definite).
  static GaussianClassifier from_parameters(const Eigen::VectorXi& classes, const Eigen::VectorXd& priors,
                                            const Eigen::MatrixXd& means, const Eigen::MatrixXd& variances,
                                            const Eigen::VectorXd& class_count = Eigen::VectorXd()) {
    const char* fn = "from_parameters";
    const Eigen::Index k_count = classes.size(), d = means.cols();
    const auto fail = [fn](const std::string& what) { throw InvalidArgument(std::string(fn) + ": " + what); };
    if (k_count == 0 || d == 0) fail("classes and means must not be empty");
    if (priors.size() != k_count || means.rows() != k_count || (class_count.size() && class_count.size() != k_count))
      fail("classes has " + std::to_string(k_count) + " labels; priors (" + std::to_string(priors.size()) +
           "), the rows of means (" + std::to_string(means.rows()) + ") and class_count (" +
           std::to_string(class_count.size()) + ", or empty) must match");
    const Eigen::Index want_rows = Kind::full ? d : Kind::shared ? 1 : k_count;
    const Eigen::Index want_cols = Kind::full && !Kind::shared ? k_count * d : d;
    const bool vector_ok =
        !Kind::full && Kind::shared && variances.size() == d && (variances.rows() == 1 || variances.cols() == 1);
    if (!vector_ok && (variances.rows() != want_rows || variances.cols() != want_cols))
      fail(std::string("variances is ") + std::to_string(variances.rows()) + " x " + std::to_string(variances.cols()) +
           ", expected " + std::to_string(want_rows) + " x " + std::to_string(want_cols) + " for " + Kind::name);
    for (Eigen::Index i = 0; i < means.rows(); ++i)
      for (Eigen::Index j = 0; j < d; ++j)
        if (!std::isfinite(means(i, j)))
          throw NonFiniteValue(
              std::string(fn) + ": means(" + std::to_string(i) + ", " + std::to_string(j) + ") is not finite", i, j);
    for (Eigen::Index j = 0; j < variances.cols(); ++j)
      for (Eigen::Index i = 0; i < variances.rows(); ++i) {
        const double v = variances(i, j);
        const bool diagonal_entry = !Kind::full || i == j % d;
        if (!std::isfinite(v) || (diagonal_entry && !(v > 0)))
          throw InvalidArgument(std::string(fn) + ": variances(" + std::to_string(i) + ", " + std::to_string(j) +
                                ") = " + std::to_string(v) +
                                (diagonal_entry ? " must be finite and > 0" : " is not finite"));
      }
    for (Eigen::Index k = 0; k < class_count.size(); ++k)
      if (!std::isfinite(class_count[k]) || !(class_count[k] > 0))
        fail("class_count[" + std::to_string(k) + "] = " + std::to_string(class_count[k]) + " must be finite and > 0");

    Options opt;
    opt.var_smoothing = 0;
    opt.priors = priors;
    try {
      opt.check();
    } catch (const InvalidArgument& e) {
      fail(e.what());
    }
    if constexpr (Kind::full)
      for (Eigen::Index k = 0; k < (Kind::shared ? 1 : k_count); ++k) {
        const auto c = variances.middleCols(k * d, d);
        const std::string which = Kind::shared ? std::string() : " of class " + std::to_string(classes[k]);
        if (!detail::symmetric(c)) fail("variances: the covariance matrix" + which + " is not symmetric");
        if (Eigen::LLT<Eigen::MatrixXd>(c).info() != Eigen::Success)
          fail("variances: the covariance matrix" + which + " is not positive definite");
      }

    // Statistics that define exactly these parameters: M2_k = Sigma_k W_k, and for the shared kinds every class
    // holding the shared matrix times W_k, so that the pooled sum_k M2_k / W is the shared matrix again.
    const Eigen::VectorXd w = class_count.size() ? class_count : Eigen::VectorXd::Ones(k_count);
    Eigen::MatrixXd m2(Kind::full ? d : k_count, Kind::full ? k_count * d : d);
    for (Eigen::Index k = 0; k < k_count; ++k) {
      if constexpr (Kind::full)
        m2.middleCols(k * d, d) = variances.middleCols(Kind::shared ? 0 : k * d, d) * w[k];
      else if constexpr (Kind::shared)
        m2.row(k) = variances.reshaped(1, d) * w[k];
      else
        m2.row(k) = variances.row(k) * w[k];
    }
    Statistics st(0, 0);
    try {
      Statistics(w, means, m2).swap(st);
    } catch (const InvalidArgument& e) {
      fail(e.what());
    }
    GaussianClassifier m(std::move(opt));
    m.adopt(classes, st, fn);
    if (!m.model_.problem.empty()) fail(m.model_.problem);
    return m;
  }

  // -------------------------------------------------------------------------------------- persistence

  /// Writes the estimator to a binary stream in gda's model format (model_file.hpp): kind, scalar type,
  /// options, classes and sufficient statistics. Throws NotFitted before any fit, IoError if the stream fails.
  void save(std::ostream& out) const {
    fitted("save");
    detail::ModelFile f;
    f.scalar_bytes = sizeof(Scalar);
    f.kind = detail::kind_code<Kind>();
    f.fitted = is_fitted();
    f.options = options_;
    f.classes = classes_;
    f.weights = stats_.weights();
    f.means = stats_.means();
    f.residuals = stats_.mean_residuals();
    f.m2 = stats_.m2();
    const std::string bytes = detail::encode(f);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) throw IoError("save: writing the model to the stream failed");
  }

  /// save() to a file, replaced only once the whole model is written (a temporary beside it is renamed).
  void save(const std::filesystem::path& path) const {
    fitted("save");
    std::filesystem::path tmp = path;
    tmp += ".tmp";
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      if (!out) throw IoError("save: cannot open " + tmp.string() + " for writing");
      try {
        save(out);
        out.close();
        if (!out) throw IoError("save: writing " + tmp.string() + " failed");
      } catch (...) {
        out.close();
        std::error_code ignored;
        std::filesystem::remove(tmp, ignored);
        throw;
      }
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
      std::filesystem::remove(tmp, ec);
      throw IoError("save: cannot replace " + path.string() + ": " + ec.message());
    }
  }

  /// Reads an estimator saved by save() from a binary stream, left just after the model. Throws FormatError
  /// (an InvalidArgument) for a file that is truncated, corrupt, of another format version or kind, of the other
  /// scalar type unless `convert` is Convert::scalar, or with statistics no fit could produce; nothing larger
  /// than the stream's own bytes is allocated before they are checked.
  static GaussianClassifier load(std::istream& in, Convert convert = Convert::never) {
    const char* fn = "load";
    detail::ModelFile f = detail::decode(in);
    if (f.kind != detail::kind_code<Kind>())
      throw FormatError(std::string(fn) + ": the model is " + detail::kind_name(f.kind) + ", not " +
                            detail::kind_name(detail::kind_code<Kind>()),
                        13);
    if (f.scalar_bytes != sizeof(Scalar) && convert != Convert::scalar)
      throw FormatError(std::string(fn) + ": the model was saved with " + (f.scalar_bytes == 4 ? "float" : "double") +
                            " parameters; load it into an estimator of that Scalar, or pass gda::Convert::scalar",
                        12);
    try {
      GaussianClassifier m(f.options);
      Statistics st(std::move(f.weights), std::move(f.means), std::move(f.m2), std::move(f.residuals));
      m.adopt(f.classes, st, fn);
      if (m.is_fitted() != f.fitted)
        throw InvalidArgument(f.fitted
                                  ? "it is marked as fitted but its statistics define no model: " + m.model_.problem
                                  : std::string("it is marked as not fitted but its statistics define a model"));
      return m;
    } catch (const InvalidArgument& e) {
      throw FormatError(std::string(fn) + ": the model's contents are invalid: " + e.what(), detail::header_bytes);
    }
  }

  /// load() from a file, which must hold exactly one model. Throws IoError if it cannot be read.
  static GaussianClassifier load(const std::filesystem::path& path, Convert convert = Convert::never) {
    std::ifstream in = detail::open_model(path, "load");
    GaussianClassifier m = load(in, convert);
    detail::expect_end(in, path, "load");
    return m;
  }

  // ------------------------------------------------------------------------------------------ prediction

  /// Most probable class of each row of X, as the original labels (ties go to the smaller label).
  template <typename DX>
  Eigen::VectorXi predict(const Eigen::MatrixBase<DX>& X) const {
    Eigen::VectorXi out(X.rows());
    predict(X, out);
    return out;
  }

  /// predict() into a caller's integer vector of length n; allocates nothing proportional to n.
  template <typename DX, typename DO>
  void predict(const Eigen::MatrixBase<DX>& X, const Eigen::MatrixBase<DO>& out) const {
    static_assert(std::is_same_v<typename DO::Scalar, int>, "gda::GaussianClassifier::predict: out must hold int");
    run<Output::label>(X, out, "predict");
  }

  /// P(y = c_k | x) for each row of X: an n x K matrix whose rows sum to 1, columns in classes() order.
  template <typename DX>
  Matrix predict_proba(const Eigen::MatrixBase<DX>& X) const {
    Matrix out(X.rows(), n_classes_or_zero());
    predict_proba(X, out);
    return out;
  }

  /// predict_proba() into a caller's n x K matrix (any storage order); allocates nothing proportional to n.
  template <typename DX, typename DO>
  void predict_proba(const Eigen::MatrixBase<DX>& X, const Eigen::MatrixBase<DO>& out) const {
    run<Output::proba>(X, out, "predict_proba");
  }

  /// log P(y = c_k | x) = J_k(x) - logsumexp_k' J_k'(x), finite for any finite x (n x K).
  template <typename DX>
  Matrix predict_log_proba(const Eigen::MatrixBase<DX>& X) const {
    Matrix out(X.rows(), n_classes_or_zero());
    predict_log_proba(X, out);
    return out;
  }

  /// predict_log_proba() into a caller's n x K matrix.
  template <typename DX, typename DO>
  void predict_log_proba(const Eigen::MatrixBase<DX>& X, const Eigen::MatrixBase<DO>& out) const {
    run<Output::log_proba>(X, out, "predict_log_proba");
  }

  /// J_k(x) = log alpha_k + log N(x; mu_k, Sigma_k), every term kept (n x K).
  template <typename DX>
  Matrix predict_joint_log_proba(const Eigen::MatrixBase<DX>& X) const {
    Matrix out(X.rows(), n_classes_or_zero());
    predict_joint_log_proba(X, out);
    return out;
  }

  /// predict_joint_log_proba() into a caller's n x K matrix.
  template <typename DX, typename DO>
  void predict_joint_log_proba(const Eigen::MatrixBase<DX>& X, const Eigen::MatrixBase<DO>& out) const {
    run<Output::joint>(X, out, "predict_joint_log_proba");
  }

  /// Fraction of rows whose predicted label equals y.
  template <typename DX, typename DY>
  double score(const Eigen::MatrixBase<DX>& X, const Eigen::MatrixBase<DY>& y) const {
    const Eigen::VectorXi pred = predict(X);
    const detail::LabelRef<typename DY::Scalar> yr = label_view(y, X.rows(), "score");
    Eigen::Index hits = 0;
    for (Eigen::Index i = 0; i < yr.size(); ++i) hits += (detail::label_at(yr, i, "score") == pred[i]);
    return static_cast<double>(hits) / static_cast<double>(yr.size());
  }

  // -------------------------------------------------------------------------------------------- state

  /// True once a fit succeeded and the model can predict.
  bool is_fitted() const { return classes_.size() > 0 && model_.problem.empty(); }
  /// The options given at construction.
  const Options& options() const { return options_; }
  /// The class labels, sorted ascending (length K).
  const Eigen::VectorXi& classes() const { return fitted("classes"), classes_; }
  /// Number of features D seen in fit.
  Eigen::Index n_features() const { return fitted("n_features"), stats_.n_features(); }
  /// W_k, the summed sample weight of each class (the number of samples when unweighted).
  const Eigen::VectorXd& class_count() const { return fitted("class_count"), stats_.weights(); }
  /// alpha_k: W_k / W, or the fixed priors of the options.
  const Vector& priors() const { return usable("priors"), model_.priors; }
  /// mu_k, the weighted class means (K x D).
  const Matrix& means() const { return usable("means"), model_.means; }
  /// Diagonal kinds: sigma^2 with the smoothing epsilon added, length D (SharedDiagonal) or K x D (PerClassDiagonal).
  template <typename K = Kind>
  const typename detail::DiagonalModel<Scalar, K>::Variances& variances() const {
    static_assert(!K::full,
                  "gda::GaussianClassifier::variances() is for the diagonal kinds; LDA and QDA have "
                  "covariance()");
    return usable("variances"), model_.variances;
  }
  /// Diagonal kinds: the smoothing added to every variance, var_smoothing * max_j Var(x_j) over all samples seen.
  template <typename K = Kind>
  Scalar epsilon() const {
    static_assert(!K::full, "gda::GaussianClassifier::epsilon() is for the diagonal kinds");
    return usable("epsilon"), model_.epsilon;
  }
  /// Full kinds: the covariance as used, regularisation included: the D x D matrix (LDA) or one per class (QDA,
  /// an empty matrix for a class without samples).
  template <typename K = Kind>
  const typename detail::FullModel<Scalar, K>::Covariance& covariance() const {
    static_assert(K::full,
                  "gda::GaussianClassifier::covariance() is for LDA and QDA; the diagonal kinds have "
                  "variances()");
    return usable("covariance"), model_.covariance;
  }
  /// LDA: the shrinkage intensity applied, Options::shrinkage or the Ledoit-Wolf estimate.
  template <typename K = Kind>
  Scalar shrinkage() const {
    static_assert(K::full && K::shared, "gda::GaussianClassifier::shrinkage() is for LDA");
    return usable("shrinkage"), model_.shrinkage;
  }
  /// LDA: the discriminant directions (D x min(K - 1, D)), most discriminant first, each with unit
  /// within-class variance (v^T Sigma v = 1).
  template <typename K = Kind>
  const Matrix& scalings() const {
    static_assert(K::full && K::shared, "gda::GaussianClassifier::scalings() is for LDA");
    return usable("scalings"), model_.scalings;
  }
  /// LDA: the share of the between-class variance each direction of scalings() explains.
  template <typename K = Kind>
  const Vector& explained_variance_ratio() const {
    static_assert(K::full && K::shared, "gda::GaussianClassifier::explained_variance_ratio() is for LDA");
    return usable("explained_variance_ratio"), model_.explained_variance_ratio;
  }

  /// LDA as dimensionality reduction: X projected onto the discriminant directions, (X - m) scalings(), with m
  /// the prior-weighted mean of the class means (n x min(K - 1, D)).
  template <typename DX, typename K = Kind>
  Matrix transform(const Eigen::MatrixBase<DX>& X) const {
    static_assert(K::full && K::shared, "gda::GaussianClassifier::transform() is for LDA");
    usable("transform");
    const auto xr = matrix_view(X);
    check_x(xr, "transform");
    check_columns(xr, "transform");
    const Eigen::Index n = xr.rows(), block = detail::block_rows(xr.cols(), sizeof(Scalar));
    Matrix out(n, model_.scalings.cols());
    detail::parallel_for((n + block - 1) / block, num_threads(), [&](Eigen::Index b, int) {
      const Eigen::Index r0 = b * block, nb = std::min(block, n - r0);
      out.middleRows(r0, nb).noalias() = (xr.middleRows(r0, nb).rowwise() - model_.projection_centre) * model_.scalings;
      for (Eigen::Index i = r0; i < r0 + nb; ++i)
        if (!out.row(i).allFinite()) detail::check_row_finite(xr, i, "transform");
    });
    return out;
  }

  /// The sufficient statistics every parameter derives from (double precision).
  const Statistics& statistics() const { return fitted("statistics"), stats_; }

 private:
  template <typename DX>
  static detail::MatrixRefOf<DX> matrix_view(const Eigen::MatrixBase<DX>& X) {
    static_assert(std::is_same_v<typename DX::Scalar, Scalar>,
                  "gda::GaussianClassifier: X must have the estimator's Scalar type (float or double)");
    return detail::MatrixRefOf<DX>(X.derived());
  }

  template <typename DY>
  static detail::LabelRef<typename DY::Scalar> label_view(const Eigen::MatrixBase<DY>& y, Eigen::Index n,
                                                          const char* fn, const char* arg = "y") {
    static_assert(std::is_integral_v<typename DY::Scalar>, "gda::GaussianClassifier: labels must be integers");
    if (y.rows() != 1 && y.cols() != 1)
      throw InvalidArgument(std::string(fn) + ": " + arg + " must be a vector, it is " + std::to_string(y.rows()) +
                            " x " + std::to_string(y.cols()));
    if (y.size() != n)
      throw InvalidArgument(std::string(fn) + ": X has " + std::to_string(n) + " rows but " + arg + " has " +
                            std::to_string(y.size()) + " labels");
    return detail::LabelRef<typename DY::Scalar>(y.derived());
  }

  template <typename XRef>
  static void check_x(const XRef& X, const char* fn) {
    if (X.rows() == 0 || X.cols() == 0)
      throw InvalidArgument(std::string(fn) + ": X is empty (" + std::to_string(X.rows()) + " x " +
                            std::to_string(X.cols()) + ")");
  }

  template <typename XRef>
  void check_columns(const XRef& X, const char* fn) const {
    if (X.cols() != stats_.n_features())
      throw InvalidArgument(std::string(fn) + ": X has " + std::to_string(X.cols()) +
                            " columns, the model was fitted on " + std::to_string(stats_.n_features()));
  }

  static void check_w(const detail::VectorRef<Scalar>* w, Eigen::Index n, const char* fn) {
    if (w && w->size() != n)
      throw InvalidArgument(std::string(fn) + ": X has " + std::to_string(n) + " rows but w has " +
                            std::to_string(w->size()) + " weights");
  }

  void check_priors(Eigen::Index k_count, const char* fn) const {
    if (options_.priors.size() && options_.priors.size() != k_count)
      throw InvalidArgument(std::string(fn) + ": Options::priors has " + std::to_string(options_.priors.size()) +
                            " entries but there are " + std::to_string(k_count) + " classes");
  }

  static const detail::VectorRef<Scalar>* no_weights() { return nullptr; }

  template <typename DW>
  static detail::VectorRef<Scalar> weight_view(const Eigen::MatrixBase<DW>& w) {
    static_assert(std::is_same_v<typename DW::Scalar, Scalar>,
                  "gda::GaussianClassifier: w must have the estimator's Scalar type");
    return detail::VectorRef<Scalar>(w.derived());
  }

  template <typename DC>
  static Eigen::VectorXi declared_classes(const Eigen::MatrixBase<DC>& classes, const char* fn) {
    const auto c = label_view(classes, classes.size(), fn, "classes");
    if (c.size() == 0) throw InvalidArgument(std::string(fn) + ": classes is empty");
    std::vector<int> v(static_cast<std::size_t>(c.size()));
    for (Eigen::Index i = 0; i < c.size(); ++i) v[static_cast<std::size_t>(i)] = detail::label_at(c, i, fn, "classes");
    std::sort(v.begin(), v.end());
    const auto dup = std::adjacent_find(v.begin(), v.end());
    if (dup != v.end())
      throw InvalidArgument(std::string(fn) + ": classes lists the label " + std::to_string(*dup) + " twice");
    return Eigen::Map<const Eigen::VectorXi>(v.data(), c.size());
  }

  // Eigen's == requires equal sizes; label sets of different lengths are simply different.
  static bool same_labels(const Eigen::VectorXi& a, const Eigen::VectorXi& b) {
    return a.size() == b.size() && (a.array() == b.array()).all();
  }

  static std::string join(const Eigen::VectorXi& v) {
    std::string s;
    for (Eigen::Index i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
    return s;
  }

  // The one path of fit and partial_fit: reduce the batch to statistics (all threads), merge them with the
  // earlier ones unless refitting, derive the model, and commit only if nothing threw.
  template <typename DX, typename DY>
  GaussianClassifier& update(const Eigen::MatrixBase<DX>& X, const Eigen::MatrixBase<DY>& y,
                             const detail::VectorRef<Scalar>* w, const Eigen::VectorXi* declared, bool refit,
                             const char* fn) {
    const auto xr = matrix_view(X);
    check_x(xr, fn);
    const auto yr = label_view(y, xr.rows(), fn);
    check_w(w, xr.rows(), fn);
    const bool continuing = !refit && classes_.size() != 0;
    Eigen::VectorXi classes;
    if (refit) {
      const std::vector<int> labels = detail::unique_labels(yr, fn);
      classes = Eigen::Map<const Eigen::VectorXi>(labels.data(), static_cast<Eigen::Index>(labels.size()));
    } else if (continuing) {
      if (declared && !same_labels(*declared, classes_))
        throw InvalidArgument(std::string(fn) + ": classes (" + join(*declared) + ") differ from the classes (" +
                              join(classes_) + ") of the earlier calls");
      if (xr.cols() != stats_.n_features())
        throw InvalidArgument(std::string(fn) + ": X has " + std::to_string(xr.cols()) +
                              " columns, earlier calls had " + std::to_string(stats_.n_features()));
      classes = classes_;
    } else {
      if (!declared)
        throw InvalidArgument(std::string(fn) +
                              ": the first call must declare classes, every label that will ever appear");
      classes = *declared;
    }
    check_priors(classes.size(), fn);

    const Eigen::Index k_count = classes.size(), d = xr.cols();
    const detail::LabelMap map(classes);
    const int threads = num_threads();
    std::vector<detail::FitScratch> scratch(static_cast<std::size_t>(threads));
    // Each chunk ends in passes over its K statistics, for the full kinds D x D matrices: at D = 512, with one
    // block per chunk, they took a fifth of the fit (side by side, 8 blocks took 0.80 of the time).
    const Eigen::Index chunk = std::max(64 * detail::block_rows(d, sizeof(Scalar)),
                                        (Kind::full ? 8 : 1) * detail::fit_block_rows(d, Kind::full));
    Statistics st = detail::reduce_rows(xr.rows(), chunk, threads, Statistics(k_count, d),
                                        [&](Eigen::Index r0, Eigen::Index r1, Statistics& part, int slot) {
                                          detail::accumulate(xr, yr, w, map, r0, r1, part,
                                                             scratch[static_cast<std::size_t>(slot)], fn);
                                        });
    if (continuing) {
      Statistics all = stats_;
      all.merge(st);
      st.swap(all);
    }
    Model model = Model::build(st, options_, classes);
    if (refit && !model.problem.empty()) throw InvalidArgument(std::string(fn) + ": " + model.problem);
    commit(classes, st, model);
    return *this;
  }

  // Takes sorted labels and their statistics as the whole state of a fresh estimator.
  void adopt(const Eigen::VectorXi& classes, Statistics& statistics, const char* fn) {
    if (classes.size() == 0 || classes.size() != statistics.n_classes())
      throw InvalidArgument(std::string(fn) + ": classes has " + std::to_string(classes.size()) +
                            " labels, the statistics have " + std::to_string(statistics.n_classes()) + " classes");
    for (Eigen::Index k = 1; k < classes.size(); ++k)
      if (classes[k] <= classes[k - 1])
        throw InvalidArgument(std::string(fn) + ": classes must be sorted and distinct, classes[" + std::to_string(k) +
                              "] = " + std::to_string(classes[k]) + " follows " + std::to_string(classes[k - 1]));
    check_priors(classes.size(), fn);
    Eigen::VectorXi c = classes;
    Model model = Model::build(statistics, options_, c);
    commit(c, statistics, model);
  }

  // Never throws: the strong guarantee rests on every check happening before this.
  void commit(Eigen::VectorXi& classes, Statistics& st, Model& model) noexcept {
    classes_.swap(classes);
    stats_.swap(st);
    std::swap(model_, model);
  }

  void fitted(const char* fn) const {
    if (classes_.size() == 0)
      throw NotFitted(std::string(fn) + ": the estimator is not fitted; call fit or partial_fit first");
  }

  void usable(const char* fn) const {
    fitted(fn);
    if (!model_.problem.empty()) throw NotFitted(std::string(fn) + ": the model cannot be used yet: " + model_.problem);
  }

  Eigen::Index n_classes_or_zero() const { return classes_.size(); }

  template <Output mode, typename DX, typename DO>
  void run(const Eigen::MatrixBase<DX>& X, const Eigen::MatrixBase<DO>& out_const, const char* fn) const {
    usable(fn);
    const auto xr = matrix_view(X);
    check_x(xr, fn);
    check_columns(xr, fn);
    auto& out = const_cast<Eigen::MatrixBase<DO>&>(out_const).derived();
    const Eigen::Index n = xr.rows(), k_count = classes_.size();
    const Eigen::Index want_cols = mode == Output::label ? 1 : k_count;
    const bool shape_ok = mode == Output::label ? (out.size() == n && (out.rows() == 1 || out.cols() == 1))
                                                : (out.rows() == n && out.cols() == want_cols);
    if (!shape_ok)
      throw InvalidArgument(std::string(fn) + ": out is " + std::to_string(out.rows()) + " x " +
                            std::to_string(out.cols()) + ", expected " + std::to_string(n) + " x " +
                            std::to_string(want_cols));

    // Blocks of rows are independent: each thread scores its blocks in its own scratch, and every row is
    // computed the same way whatever the thread count.
    const Eigen::Index block = detail::score_block_rows(xr.cols(), k_count, sizeof(Scalar), Kind::full);
    const int threads = num_threads();
    std::vector<detail::ScoreScratch<Scalar>> scratch(static_cast<std::size_t>(threads));
    const bool stream = std::size_t(n) * std::size_t(want_cols) * sizeof(Scalar) >= detail::stream_output_bytes;
    detail::parallel_for((n + block - 1) / block, threads, [&](Eigen::Index b, int slot) {
      const Eigen::Index r0 = b * block, nb = std::min(block, n - r0);
      auto& sc = scratch[static_cast<std::size_t>(slot)];
      model_.scores(xr, r0, nb, mode == Output::joint, sc.xc, sc.s);
      // Whole-block log-sum-exp, column by column; rows it cannot serve are redone one by one below.
      if (detail::finish_block<mode>(sc, classes_, out.middleRows(r0, nb), stream)) return;
      for (Eigen::Index i = 0; i < nb; ++i)
        if (!sc.ok[i]) write_row<mode>(model_.scores_wide(xr, r0 + i, mode == Output::joint, fn), out, r0 + i);
    });
  }

  template <Output mode, typename Row, typename Out>
  void write_row(const Row& s, Out& out, Eigen::Index i) const {
    if constexpr (mode == Output::label) {
      Eigen::Index best;
      s.maxCoeff(&best);
      out(i) = classes_[best];
    } else if constexpr (mode == Output::joint) {
      out.row(i) = s.template cast<Scalar>();
    } else {
      const auto logp = detail::log_normalise(s);
      if constexpr (mode == Output::log_proba)
        out.row(i) = logp.template cast<Scalar>();
      else
        out.row(i) = logp.array().exp().template cast<Scalar>();
    }
  }

  Options options_;
  Eigen::VectorXi classes_;
  Statistics stats_{0, 0};
  Model model_;
};

/// Naive Bayes with one variance per feature shared by all classes (pooled within-class).
template <typename Scalar = double>
using SharedVarianceNB = GaussianClassifier<Scalar, SharedDiagonal>;

/// Naive Bayes with per-class variances, as scikit-learn's GaussianNB.
template <typename Scalar = double>
using GaussianNB = GaussianClassifier<Scalar, PerClassDiagonal>;

/// Linear discriminant analysis: one full covariance shared by all classes.
template <typename Scalar = double>
using LDA = GaussianClassifier<Scalar, SharedFull>;

/// Quadratic discriminant analysis: one full covariance per class.
template <typename Scalar = double>
using QDA = GaussianClassifier<Scalar, PerClassFull>;

}  // namespace gda

GDA_DIAGNOSTICS_POP
