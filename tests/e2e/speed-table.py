# speed-table.py TSV VARIANT... - the medians of make e2e-speed's runs.
# TSV lines: VARIANT ROUND WORKLOAD SECONDS. Prints, per workload, each
# variant's median and its ratio to the first variant's median (below 1
# is faster).
import sys


def median(xs):
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


times = {}
order = []
for line in open(sys.argv[1]):
    variant, _, work, secs = line.split("\t")
    times.setdefault((variant, work), []).append(float(secs))
    if work not in order:
        order.append(work)
variants = sys.argv[2:]
head = ["workload"] + variants
print("| " + " | ".join(head) + " |")
print("|" + "---|" * len(head))
for work in order:
    ref = median(times[(variants[0], work)])
    cells = ["%.3f s" % ref]
    for v in variants[1:]:
        m = median(times[(v, work)])
        cells.append("%.3f s (%.2f)" % (m, m / ref))
    print("| %s | %s |" % (work, " | ".join(cells)))
runs = len(times[(variants[0], order[0])])
print("(median of %d runs each; in brackets: relative to %s)" % (runs, variants[0]))
