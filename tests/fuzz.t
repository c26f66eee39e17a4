#!/bin/sh
# The libFuzzer targets (fuzz/): each replays its regressions (every crash
# ever found, kept in fuzz/regressions/TARGET/), then fuzzes for a short,
# bounded time (FUZZ_SECONDS, default 15) from the golden cases and the
# corpus kept in build/fuzz/. `make fuzz` runs them for longer. Skipped
# when clang cannot build a fuzzer (clang and libclang-rt-dev missing).
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
seconds=${FUZZ_SECONDS:-15}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
targets="matrix lock compile hooks challenge token ref"
. "$here/lib/tap.sh"

# fuzz_result STATUS TITLE LOG: on failure, the sanitizer's report from
# LOG, or its end
fuzz_result() {
	result "$1" "$2"
	[ "$1" -eq 0 ] && return
	if grep -qE 'ERROR|SUMMARY|Test unit written' "$3"; then
		grep -E 'ERROR|SUMMARY|Test unit written|^    #[0-9]' "$3" | head -30 | sed 's/^/# /'
	else
		tail -15 "$3" | sed 's/^/# /'
	fi
}

echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n); int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }' >"$tmp/probe.c"
if ! ${CLANG:-clang} -fsanitize=fuzzer,address,undefined "$tmp/probe.c" -o "$tmp/probe" 2>/dev/null; then
	echo "1..0 # SKIP clang cannot build a libFuzzer target"
	exit 0
fi
# sanitizer builds of the caller (make asan) must not leak into ours
unset MAKEFLAGS MFLAGS MAKELEVEL

for t in $targets; do
	"$repo/fuzz/run.sh" "$t" replay >"$tmp/$t.replay" 2>&1
	fuzz_result $? "fuzz_$t: every regression input replays cleanly" "$tmp/$t.replay"
	"$repo/fuzz/run.sh" "$t" "$seconds" -print_final_stats=0 >"$tmp/$t.log" 2>&1
	fuzz_result $? "fuzz_$t: $seconds s of fuzzing find nothing" "$tmp/$t.log"
done
tap_done
