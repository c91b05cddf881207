// Kernels on their own. The exponential of the log-sum-exp against the C library's in long double, over every
// argument it is given: t = S - max S, from 0 down to where exp(t) underflows to 0, including the subnormal range.
// The block transposition against plain indexing, and the scatter matrices' rank update against plain sums.
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "common.hpp"

using test::ld;

namespace {

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wignored-attributes"
#endif
template <typename Scalar>
std::vector<Scalar> exp_of(const std::vector<Scalar>& t) {
  namespace ei = Eigen::internal;
  using Packet = typename ei::packet_traits<Scalar>::type;
  constexpr std::size_t W = ei::unpacket_traits<Packet>::size;
  std::vector<Scalar> in = t, out(t.size() + W);
  in.resize((t.size() + W - 1) / W * W, Scalar(0));
  for (std::size_t i = 0; i < in.size(); i += W)
    ei::pstoreu(out.data() + i, gda::detail::exp_nonpositive(ei::ploadu<Packet>(in.data() + i)));
  out.resize(t.size());
  return out;
}
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

}  // namespace

TEST_CASE_TEMPLATE("exp_nonpositive is exact to about an ulp from 0 down to underflow", Scalar, double, float) {
  using lim = std::numeric_limits<Scalar>;
  const Scalar bottom = std::log(lim::denorm_min());
  std::vector<Scalar> t{
      Scalar(0), Scalar(-0.0), -lim::denorm_min(), Scalar(-0.5) * Scalar(std::log(2.0)), std::log(lim::min()), bottom};
  std::mt19937_64 g(7);
  // Uniform over the whole range, and densely near 0 where most posteriors' arguments lie.
  std::uniform_real_distribution<double> whole(double(bottom), 0), near(-3, 0);
  for (int i = 0; i < 200000; ++i) t.push_back(Scalar(i % 2 ? whole(g) : near(g)));
  const std::vector<Scalar> e = exp_of(t);
  // With AVX-512: within 5/8 of an ulp of 1, the final rounding's half plus the truncated series (under a tenth of
  // one for float) and the rounding of the table, and subnormal results exact to a unit in the last place with
  // scalef. Eigen's generic exp, used elsewhere, is within two, and clamps to about the smallest normal number below
  // it.
#if defined(EIGEN_VECTORIZE_AVX512)
  const ld normal_tol = lim::epsilon() * 5 / 8, subnormal_tol = lim::denorm_min();
#else
  const ld normal_tol = 2 * lim::epsilon(), subnormal_tol = lim::min();
#endif
  int bad = 0;
  for (std::size_t i = 0; i < t.size(); ++i) {
    const ld want = std::exp(static_cast<ld>(t[i]));
    const ld err = std::fabs(static_cast<ld>(e[i]) - want);
    const bool ok = want >= lim::min() ? err <= normal_tol * want : err <= subnormal_tol;
    if (!ok && ++bad <= 5) {
      INFO("t = " << double(t[i]) << ": got " << double(e[i]) << ", want " << double(want));
      CHECK(ok);
    }
  }
  CHECK(bad == 0);
  CHECK(e[0] == Scalar(1));
  CHECK(e[1] == Scalar(1));
}

TEST_CASE_TEMPLATE("exp_nonpositive keeps a NaN and gives exactly 0 below the subnormal range", Scalar, double, float) {
  using lim = std::numeric_limits<Scalar>;
  const Scalar bottom = std::log(lim::denorm_min());
  const std::vector<Scalar> e = exp_of(std::vector<Scalar>{lim::quiet_NaN(), Scalar(-1), -lim::infinity(), -lim::max(),
                                                           Scalar(2) * bottom, bottom - Scalar(1)});
  CHECK(std::isnan(e[0]));
  CHECK_CLOSE(e[1], std::exp(-1.0L), 2 * lim::epsilon());
  for (std::size_t i = 2; i < e.size(); ++i) {
    INFO("argument " << i);
    CHECK(e[i] == Scalar(0));
  }
}

#if defined(EIGEN_VECTORIZE_AVX512)
// The tables of the AVX-512 exponential against the C library's exp2 in long double: T_j is 2^(j / size) to the
// nearest Scalar, and the rest, some 2^-54 (double) or 2^-25 (float) of it, is (2^(j / size) - T_j) / T_j to the
// nearest Scalar, to within what long double's 64 bits resolve.
TEST_CASE_TEMPLATE("the exponential's tables hold 2^(j / size) and its rest", Scalar, double, float) {
  using Table = gda::detail::ExpTable<Scalar>;
  for (int j = 0; j < Table::size; ++j) {
    INFO("j = " << j);
    const ld exact = std::exp2(static_cast<ld>(j) / Table::size);
    CHECK(Table::power[j] == static_cast<Scalar>(exact));
    const ld rest = (exact - Table::power[j]) / Table::power[j];
    // half an ulp of the rest, to the nearest Scalar, and long double's resolution of it
    const ld tol = std::fabs(rest) * std::numeric_limits<Scalar>::epsilon() / 2 + std::ldexp(1.0L, -60);
    CHECK(std::fabs(static_cast<ld>(Table::rest[j]) - rest) <= tol);
  }
}
#endif

// The transposition that turns a column-major block into rows for fitting and scoring: every size of block against
// plain indexing, for full SIMD tiles, the rows and columns left over, blocks too short for requests and blocks
// long enough to request their columns ahead. The destination's padding past column d must stay as it was.
TEST_CASE_TEMPLATE("transpose_rows copies column pieces into rows, whatever the block's size", Scalar, double, float) {
  for (const Eigen::Index nb : {1, 5, 16, 17, 33, 100, 1100}) {
    for (Eigen::Index d = 1; d <= 40; ++d) {
      const Eigen::Index ld = nb + 3, ldd = d + 2;
      std::vector<Scalar> src(static_cast<std::size_t>(ld * d));
      // Distinct values, exact in float: row i and column j give 1000 i + j.
      for (Eigen::Index j = 0; j < d; ++j)
        for (Eigen::Index i = 0; i < ld; ++i) src[static_cast<std::size_t>(j * ld + i)] = Scalar(1000 * i + j);
      for (const Eigen::Index readable : {Eigen::Index{0}, ld}) {
        std::vector<Scalar> dst(static_cast<std::size_t>(nb * ldd), Scalar(-1));
        gda::detail::transpose_rows(src.data(), ld, nb, d, dst.data(), ldd, readable);
        long wrong = 0, padding_touched = 0;
        for (Eigen::Index i = 0; i < nb; ++i) {
          for (Eigen::Index j = 0; j < d; ++j)
            wrong += dst[static_cast<std::size_t>(i * ldd + j)] != Scalar(1000 * i + j);
          for (Eigen::Index j = d; j < ldd; ++j)
            padding_touched += dst[static_cast<std::size_t>(i * ldd + j)] != Scalar(-1);
        }
        INFO("nb = ", nb, ", d = ", d, ", readable = ", readable);
        CHECK(wrong == 0);
        CHECK(padding_touched == 0);
      }
    }
  }
}

TEST_CASE("scatter_update adds Z^T Z on and below the diagonal, whatever the shape") {
  // Integer entries, so that every sum is exact in double and the reference can be compared exactly.
  std::mt19937 rng(29);
  std::uniform_int_distribution<int> value(-50, 50);
  for (const Eigen::Index m : {1, 2, 9, 52, 130}) {
    for (Eigen::Index d = 1; d <= 40; ++d) {
      const Eigen::Index dp = gda::detail::scatter_cols(d);
      REQUIRE(dp >= d);
      gda::detail::RowMatrixXd z = gda::detail::RowMatrixXd::Zero(m, dp);
      for (Eigen::Index i = 0; i < m; ++i)
        for (Eigen::Index j = 0; j < d; ++j) z(i, j) = value(rng);
      Eigen::MatrixXd c(dp, dp);
      for (Eigen::Index a = 0; a < dp; ++a)
        for (Eigen::Index b = 0; b < dp; ++b) c(a, b) = value(rng);
      const Eigen::MatrixXd before = c;
      gda::detail::scatter_update(z, c);
      long wrong = 0;
      for (Eigen::Index b = 0; b < d; ++b)
        for (Eigen::Index a = b; a < d; ++a) {
          ld want = before(a, b);
          for (Eigen::Index i = 0; i < m; ++i) want += ld(z(i, a)) * ld(z(i, b));
          wrong += ld(c(a, b)) != want;
        }
      // Rows and columns beyond D meet only the zero padding of Z.
      long padding_changed = 0;
      for (Eigen::Index b = 0; b < dp; ++b)
        for (Eigen::Index a = 0; a < dp; ++a)
          if (a >= d || b >= d) padding_changed += c(a, b) != before(a, b);
      INFO("m = ", m, ", d = ", d);
      CHECK(wrong == 0);
      CHECK(padding_changed == 0);
    }
  }
}
