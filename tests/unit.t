#!/bin/sh
# Run every unit test binary (built by `make units` into $UNIT_DIR) and
# pass its TAP through as subtests of one test each.
: "${UNIT_DIR:?UNIT_DIR is the directory of the unit test binaries}"
n=0
fail=0
for t in "$UNIT_DIR"/test_*; do
	[ -x "$t" ] || continue
	n=$((n + 1))
	out=$("$t" 2>&1)
	status=$?
	printf '%s\n' "$out" | sed 's/^/    /'
	if [ $status -eq 0 ]; then
		echo "ok $n - $(basename "$t")"
	else
		echo "not ok $n - $(basename "$t") (exit $status)"
		fail=1
	fi
done
echo "1..$n"
[ $n -gt 0 ] && exit $fail
echo "# no unit tests found in $UNIT_DIR"
exit 1
