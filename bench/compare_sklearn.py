#!/usr/bin/python3
"""Times scikit-learn and gda on the same data and compares their posteriors.

    /usr/bin/python3 bench/compare_sklearn.py --driver build-bench/bench/gda_driver [--n 1000000 --d 64 --k 10]
    /usr/bin/python3 bench/compare_sklearn.py --driver ... --series   # GaussianNB over n = 1e3 .. 1e7, d = 16

The data (seeded, the shape of bench/data.hpp) is written once to float64 and int32 files that both libraries
read. scikit-learn fits GaussianNB, LinearDiscriminantAnalysis(solver="lsqr") and QuadraticDiscriminantAnalysis;
gda_driver fits gda's GaussianNB, LDA and QDA. Printed per model: fit and predict_proba seconds of each (each
library allocating its output), the speed-ups, gda's predict_proba again into the output it has already written
(an application's reused buffer, without the page faults of a fresh one), and the largest absolute difference
between the two libraries' probabilities. Both use both cores (numpy's BLAS threads; gda's OpenMP).
OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE slow numpy on this machine's processor, so the script runs itself without
them and reports the BLAS numpy uses (threadpoolctl). Debian's default libblas3 is the unoptimised reference
BLAS; install libopenblas0-pthread so that numpy uses OpenBLAS.
Needs Debian's python3-sklearn. --json FILE also writes the results for bench/plot.py.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

if any(v in os.environ for v in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")):
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    os.execve(sys.executable, [sys.executable] + sys.argv, env)

import numpy as np  # noqa: E402
import sklearn  # noqa: E402
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis, QuadraticDiscriminantAnalysis  # noqa: E402
from sklearn.naive_bayes import GaussianNB  # noqa: E402


def make_data(n, d, k, seed=7):
    # Classes that overlap, so that the posteriors are not all 0 or 1 and their difference means something.
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, size=n).astype(np.int32)
    j = np.arange(d)
    scale = 0.5 + 0.1 * ((y[:, None] + j[None, :]) % 5)
    x = 0.5 * y[:, None] * (j[None, :] + 1) / d * np.sqrt(16.0 / d) + scale * rng.standard_normal((n, d))
    return np.ascontiguousarray(x), y


def blas_info():
    try:
        from threadpoolctl import threadpool_info
        return "; ".join("%s %s (%s, %s threads)" % (i.get("internal_api"), i.get("version"),
                                                      i.get("architecture"), i.get("num_threads"))
                         for i in threadpool_info())
    except ImportError:
        return "threadpoolctl not available"


def run_gda(driver, kind, xf, yf, n, d, out):
    res = subprocess.run([driver, kind, xf, yf, str(n), str(d), out], check=True, capture_output=True, text=True)
    return tuple(float(v) for v in res.stdout.split())


def compare(driver, n, d, k, models, tmp):
    x, y = make_data(n, d, k)
    xf, yf, pf = (os.path.join(tmp, f) for f in ("X.bin", "y.bin", "proba.bin"))
    x.tofile(xf)
    y.tofile(yf)
    rows = []
    for kind, est in models:
        t0 = time.perf_counter()
        est.fit(x, y)
        t1 = time.perf_counter()
        p_sk = est.predict_proba(x)
        t2 = time.perf_counter()
        g_fit, g_pred, g_reused = run_gda(driver, kind, xf, yf, n, d, pf)
        p_gda = np.fromfile(pf, dtype=np.float64).reshape(n, k)
        rows.append(dict(model=kind, n=n, d=d, k=k, sklearn_fit=t1 - t0, sklearn_predict_proba=t2 - t1,
                         gda_fit=g_fit, gda_predict_proba=g_pred, gda_predict_proba_reused=g_reused,
                         max_abs_diff=float(np.max(np.abs(p_sk - p_gda)))))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--driver", required=True)
    ap.add_argument("--n", type=int, default=1000000)
    ap.add_argument("--d", type=int, default=64)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--series", action="store_true")
    ap.add_argument("--json")
    args = ap.parse_args()
    print("scikit-learn %s, numpy %s, BLAS: %s" % (sklearn.__version__, np.__version__, blas_info()))
    with tempfile.TemporaryDirectory() as tmp:
        if args.series:
            rows = []
            for n in (1000, 10000, 100000, 1000000, 10000000):
                rows += compare(args.driver, n, 16, 10, [("gaussian_nb", GaussianNB())], tmp)
        else:
            rows = compare(args.driver, args.n, args.d, args.k,
                           [("gaussian_nb", GaussianNB()), ("lda", LinearDiscriminantAnalysis(solver="lsqr")),
                            ("qda", QuadraticDiscriminantAnalysis())], tmp)
    print("%-12s %9s %12s %12s %9s %12s %12s %9s %12s %11s" % (
        "model", "n", "sk fit s", "gda fit s", "speed-up", "sk proba s", "gda proba s", "speed-up", "gda reused s",
        "max |dP|"))
    for r in rows:
        print("%-12s %9d %12.4f %12.4f %8.1fx %12.4f %12.4f %8.1fx %12.4f %11.2e" % (
            r["model"], r["n"], r["sklearn_fit"], r["gda_fit"], r["sklearn_fit"] / r["gda_fit"],
            r["sklearn_predict_proba"], r["gda_predict_proba"],
            r["sklearn_predict_proba"] / r["gda_predict_proba"], r["gda_predict_proba_reused"], r["max_abs_diff"]))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
