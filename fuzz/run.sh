#!/bin/sh
# fuzz/run.sh TARGET SECONDS [libFuzzer options...]
# fuzz/run.sh TARGET replay
#
# Builds the libFuzzer target fuzz/fuzz_TARGET.c (TARGET: matrix, lock,
# compile, hooks, challenge, token or ref) with clang, ASan and UBSan into
# build/fuzz/, then either fuzzes it for SECONDS, seeded from the golden
# cases, fuzz/seeds/TARGET/ and fuzz/regressions/TARGET/,
# or (replay) runs it once over every file of fuzz/regressions/TARGET/.
# A crash is saved under build/fuzz/crashes/TARGET/; copy it into
# fuzz/regressions/TARGET/ once fixed, so that every run replays it.
#
# Environment: CLANG (default clang), FUZZ_BUILD (default build/fuzz),
# FUZZ_JOBS (parallel fuzzing processes, default 1).
set -eu
target=${1:?usage: fuzz/run.sh matrix|lock|compile|hooks|challenge|token|ref SECONDS|replay}
seconds=${2:?usage: fuzz/run.sh TARGET SECONDS|replay}
shift 2
repo=$(cd "$(dirname "$0")/.." && pwd)
src=$repo/fuzz/fuzz_$target.c
[ -f "$src" ] || { echo "fuzz/run.sh: no target $target" >&2; exit 2; }
cc=${CLANG:-clang}
out=${FUZZ_BUILD:-$repo/build/fuzz}
mkdir -p "$out" && out=$(cd "$out" && pwd) # make -C below needs it absolute
san='-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer'
# The Makefile's flags and libraries (libcurl and libcrypto: headers
# only, matrixc loads them with dlopen), with our optimization and
# sanitizers; warnings are not errors in the library (gcc is the compiler
# of record), and a hook's budget is 20 times smaller than a real run's:
# a runaway hook found by fuzz_hooks takes a second under the sanitizers,
# not twenty.
cflags="$(make -s --no-print-directory -C "$repo" print-cflags OPT='-g -O1' \
	SAN="$san" CFLAGS='-Wno-error -DHOOK_BUDGET=1000000ul') -I$repo/include"
libs=$(make -s --no-print-directory -C "$repo" print-libs)
mkdir -p "$out/obj" "$out/crashes/$target" "$out/corpus/$target"

# The library (warnings shown, not fatal: gcc is the compiler of record),
# rebuilt when a source or any header is newer than its object.
newest_header=$(ls -t "$repo"/include/*.h | head -1)
objs=
for c in "$repo"/src/*.c; do
	name=$(basename "$c" .c)
	[ "$name" = main ] || objs="$objs $out/obj/$name.o"
done
for c in "$repo"/src/*.c; do
	name=$(basename "$c" .c)
	[ "$name" = main ] && continue
	o=$out/obj/$name.o
	if [ ! -f "$o" ] || [ "$c" -nt "$o" ] || [ "$newest_header" -nt "$o" ]; then
		echo "$c $o"
	fi
done | { pids=; while read -r c o; do
	# shellcheck disable=SC2086
	$cc $cflags -fsanitize=fuzzer-no-link -c "$c" -o "$o" & pids="$pids $!"
done; st=0; for p in $pids; do wait "$p" || st=1; done; exit $st; }
bin=$out/fuzz_$target
# shellcheck disable=SC2086
$cc $cflags -Werror -fsanitize=fuzzer "$src" $objs $libs -o "$bin"

regress=$repo/fuzz/regressions/$target
if [ "$seconds" = replay ]; then
	[ -d "$regress" ] && [ -n "$(ls -A "$regress")" ] || { echo "no regressions for $target"; exit 0; }
	exec "$bin" -runs=0 "$@" "$regress"/*
fi

# Seeds: every golden case's inputs (the compile target's are the matrix,
# a NUL and the lock file; the hooks target's are the hook files, and the
# shipped ones), then the regressions.
seeds=$out/seeds/$target
rm -rf "$seeds" && mkdir -p "$seeds"
for d in "$repo"/tests/cases/*/; do
	n=$(basename "$d")
	case $target in
	matrix) [ -f "$d/matrix.yaml" ] && cp "$d/matrix.yaml" "$seeds/$n" ;;
	lock) [ -f "$d/matrix.lock.json" ] && cp "$d/matrix.lock.json" "$seeds/$n" ;;
	compile) [ -f "$d/matrix.yaml" ] && [ -f "$d/matrix.lock.json" ] &&
		{ cat "$d/matrix.yaml"; printf '\000'; cat "$d/matrix.lock.json"; } >"$seeds/$n" ;;
	hooks) for f in "$d"/lua/*.lua; do
			[ -f "$f" ] && cp "$f" "$seeds/$n-$(basename "$f")"
		done ;;
	esac
done
if [ "$target" = hooks ]; then cp "$repo"/lua/*.lua "$seeds/"; fi
[ -d "$repo/fuzz/seeds/$target" ] && cp "$repo/fuzz/seeds/$target"/* "$seeds/"
[ -d "$regress" ] && cp "$regress"/* "$seeds/" 2>/dev/null || true
dict=
[ -f "$repo/fuzz/$target.dict" ] && dict=-dict=$repo/fuzz/$target.dict
jobs=${FUZZ_JOBS:-1}
par=
[ "$jobs" -gt 1 ] && par="-jobs=$jobs -workers=$jobs"
# shellcheck disable=SC2086
exec "$bin" -max_total_time="$seconds" -max_len=65536 -timeout=10 \
	-rss_limit_mb=2048 -print_final_stats=1 \
	-artifact_prefix="$out/crashes/$target/" $dict $par "$@" \
	"$out/corpus/$target" "$seeds"
