#!/bin/sh
# Run every unit test binary (built by `make units` into $UNIT_DIR) and
# pass its TAP through as subtests of one test each.
: "${UNIT_DIR:?UNIT_DIR is the directory of the unit test binaries}"
. "$(dirname "$0")/lib/tap.sh"
for t in "$UNIT_DIR"/test_*; do
	[ -x "$t" ] || continue
	out=$("$t" 2>&1)
	status=$?
	printf '%s\n' "$out" | sed 's/^/    /'
	result $status "$(basename "$t")$([ $status -eq 0 ] || echo " (exit $status)")"
done
[ $tap_n -gt 0 ] || result 1 "unit tests found in $UNIT_DIR"
tap_done
