#!/bin/sh
# bench/run.sh - the matrixc benchmark; `make bench` builds an optimized
# binary and runs this with MATRIXC set. See docs/performance.md for what it
# measures, the budgets, and the latest figures. bench.py times the
# commands on matrices of 10 to 10,000 cells, then worst.py the worst
# matrix.yaml under the 4 MiB limit.
#
#   MATRIXC=build/bench/matrixc bench/run.sh
#   SIZES="10 100" MIN_RUNS=3 bench/run.sh      a quick run
#   BENCH_CALLGRIND=0 bench/run.sh               skip the instruction counts
set -eu
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v python3 >/dev/null 2>&1; then
	echo "bench: python3 is needed (apt-get install python3)" >&2
	exit 3
fi
python3 "$here/bench.py" "$@"
exec python3 "$here/worst.py"
