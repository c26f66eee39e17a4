#!/bin/sh
# Run every unit test binary (built by `make units` into $UNIT_DIR) and
# pass its TAP through as subtests of one test each.
: "${UNIT_DIR:?UNIT_DIR is the directory of the unit test binaries}"
. "$(dirname "$0")/lib/tap.sh"
# Only the tests that have a source: a build directory may still hold the
# binary of a test that was removed.
for src in "$(dirname "$0")"/unit/test_*.c; do
	t=$UNIT_DIR/$(basename "$src" .c)
	[ -x "$t" ] || { result 1 "$(basename "$t") built (make units)"; continue; }
	out=$("$t" 2>&1)
	status=$?
	printf '%s\n' "$out" | sed 's/^/    /'
	result $status "$(basename "$t")$([ $status -eq 0 ] || echo " (exit $status)")"
done
[ $tap_n -gt 0 ] || result 1 "unit tests found in $UNIT_DIR"
tap_done
