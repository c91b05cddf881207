#!/usr/bin/python3
"""Prints gda_bench's JSON output as the README's markdown tables: each fit and predict_proba time and its
ratio to reading X once (x_read_once), predict_proba's ratio to reading X and writing the output once
(moved_once), and the speed-up over the textbook loop (vs_textbook), all from the same run; then predict (the
labels) against reading X once; then two threads
against one and against two threads reading X once; then the kernels on their own; then the benchmarks over X in
huge pages, against the same benchmarks in ordinary pages. With --benchmark_repetitions, each table shows the last
repetition (the aggregates are skipped).

    /usr/bin/python3 bench/summarize.py BENCH.json
"""
import json
import re
import sys

PATTERN = re.compile(r"(fit|predict_proba|predict)/(\w+)/(float|double)/(col|row)/n=(\d+),d=(\d+),k=(\d+)/threads=(\d)/")
KERNEL = re.compile(r"kernel/(\w+)/(float|double)/(col|row)/(n=\d+,d=\d+,k=\d+)/")
HUGE = re.compile(r"huge_pages/((\w+)/(?:(\w+)/)?(float|double)/(col|row)/(n=\d+,d=\d+,k=\d+)/.*)")


def main():
    rows = {}
    kernels = []
    huge = []
    benchmarks = json.load(open(sys.argv[1]))["benchmarks"]
    by_name = {b["name"]: b for b in benchmarks}
    for b in benchmarks:
        if b.get("run_type") == "aggregate":
            continue
        hm = HUGE.match(b["name"])
        if hm:
            huge.append((hm, b))
        km = KERNEL.match(b["name"])
        if km:
            kernels.append(km.groups() + (b["real_time"], b.get("x_read_once")))
        m = PATTERN.match(b["name"])
        if not m:
            continue
        what, kind, scalar, layout, n, d, k, threads = m.groups()
        key = (int(n), int(d), int(k), kind, scalar, layout, int(threads))
        rows.setdefault(key, {})[what] = b
    shapes = sorted({key[:3] for key in rows}, key=lambda s: (-s[0] * s[1], s))
    for n, d, k in shapes:
        print("\n(n, D, K) = (%d, %d, %d)\n" % (n, d, k))
        print("| kind | scalar | layout | threads | fit ms | fit / read-once | fit vs textbook "
              "| predict_proba ms | predict / read-once | predict / moved-once | predict vs textbook |")
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        for key in sorted(k2 for k2 in rows if k2[:3] == (n, d, k)):
            r = rows[key]

            def cell(what, field, fmt):
                b = r.get(what)
                return fmt % b[field] if b and field in b else "-"

            print("| %s | %s | %s | %d | %s | %s | %s | %s | %s | %s | %s |" % (
                key[3], key[4], key[5], key[6], cell("fit", "real_time", "%.1f"),
                cell("fit", "x_read_once", "%.2f"), cell("fit", "vs_textbook", "%.1fx"),
                cell("predict_proba", "real_time", "%.1f"), cell("predict_proba", "x_read_once", "%.2f"),
                cell("predict_proba", "moved_once", "%.2f"), cell("predict_proba", "vs_textbook", "%.1fx")))

    labels = sorted(key for key in rows if "predict" in rows[key])
    if labels:
        print("\npredict (the labels), one thread\n")
        print("| shape | kind | scalar | layout | predict ms | predict / read-once | predict_proba ms |")
        print("|---|---|---|---|---|---|---|")
        for key in labels:
            r = rows[key]
            p = r.get("predict_proba")
            print("| (%d, %d, %d) | %s | %s | %s | %.1f | %.2f | %s |" % (
                key[0], key[1], key[2], key[3], key[4], key[5], r["predict"]["real_time"],
                r["predict"]["x_read_once"], "%.1f" % p["real_time"] if p else "-"))

    two = sorted(key for key in rows if key[6] == 2 and key[:6] + (1,) in rows)
    if two:
        print("\nTwo threads against one: speed-up, and time over the time two threads take to read X once\n")
        print("| shape | kind | scalar | layout | fit speed-up | fit / two-thread read-once "
              "| predict_proba speed-up | predict / two-thread read-once |")
        print("|---|---|---|---|---|---|---|---|")
        for key in two:
            r2, r1 = rows[key], rows[key[:6] + (1,)]

            def speed_up(what):
                return "%.2f" % (r1[what]["real_time"] / r2[what]["real_time"]) if what in r1 and what in r2 else "-"

            def limit(what):
                b = r2.get(what)
                return "%.2f" % b["x_read_once_threads"] if b and "x_read_once_threads" in b else "-"

            print("| (%d, %d, %d) | %s | %s | %s | %s | %s | %s | %s |" % (
                key[0], key[1], key[2], key[3], key[4], key[5], speed_up("fit"), limit("fit"),
                speed_up("predict_proba"), limit("predict_proba")))

    if kernels:
        print("\nKernels on their own, one thread\n")
        print("| kernel | scalar | layout | shape | ms | / read-once |")
        print("|---|---|---|---|---|---|")
        for name, scalar, layout, shape, ms, ratio in kernels:
            print("| %s | %s | %s | %s | %.1f | %s |" % (name, scalar, layout, shape, ms,
                                                       "%.2f" % ratio if ratio is not None else "-"))

    if huge:
        print("\nX in huge pages (2 MiB, madvise), one thread\n")
        print("| benchmark | kind | layout | shape | ms | / read-once in huge pages | / same in 4 KiB pages |")
        print("|---|---|---|---|---|---|---|")
        for hm, b in huge:
            name, what, kind, scalar, layout, shape = hm.groups()
            plain = by_name.get(name)
            print("| %s | %s | %s | %s | %.1f | %s | %s |" % (
                what, kind or "-", layout, shape, b["real_time"],
                "%.2f" % b["x_read_once"] if "x_read_once" in b else "-",
                "%.2f" % (b["real_time"] / plain["real_time"]) if plain else "-"))


if __name__ == "__main__":
    main()
