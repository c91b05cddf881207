#!/usr/bin/python3
"""Plots time against n for gda, the textbook loop, scikit-learn and the read-once limit (GaussianNB, d = 16,
k = 10, double, column-major, one gda thread).

    /usr/bin/python3 bench/plot.py BENCH.json SKLEARN_SERIES.json OUT.svg

BENCH.json: `gda_bench --benchmark_out=BENCH.json --benchmark_out_format=json`;
SKLEARN_SERIES.json: `compare_sklearn.py --series --json SKLEARN_SERIES.json`. Needs python3-matplotlib.
"""
import json
import re
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def series(bench, prefix):
    pts = {}
    for b in bench["benchmarks"]:
        m = re.match(re.escape(prefix) + r"/double/col/n=(\d+),d=16,k=10(/threads=1)?/", b["name"])
        if m:
            pts[int(m.group(1))] = b["real_time"] / 1000.0  # ms -> s
    return sorted(pts.items())


def main():
    bench = json.load(open(sys.argv[1]))
    sk = json.load(open(sys.argv[2]))
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2), sharey=True)
    for ax, what, sk_key in ((axes[0], "fit", "sklearn_fit"), (axes[1], "predict_proba", "sklearn_predict_proba")):
        lines = [
            ("gda GaussianNB (1 thread)", series(bench, what + "/GaussianNB"), "o-"),
            ("textbook C++ loop", series(bench, "textbook_" + what + "/nb"), "s--"),
            ("read X once (the limit)", series(bench, "read_once"), "k:"),
            ("scikit-learn GaussianNB (2 cores)", sorted((r["n"], r[sk_key]) for r in sk), "^-."),
        ]
        for label, pts, style in lines:
            if pts:
                ax.loglog([p[0] for p in pts], [p[1] for p in pts], style, label=label)
        ax.set_title(what + ", d = 16, k = 10, double")
        ax.set_xlabel("n (rows)")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("seconds")
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(sys.argv[3])


if __name__ == "__main__":
    main()
