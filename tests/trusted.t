#!/bin/sh
# A frozen hook file is trusted: matrixc's own code, run without counting
# its instructions, with no require or load and no new globals (see
# call_hook in src/hooks.c). The shipped files use none of that, so the
# Makefile builds $PROBE, a matrixc with tests/trusted/lua/probe.lua
# frozen instead, whose cell hook runs more instructions than a counted
# call may. The same file compiled from its text (edited, or run by a
# matrixc that did not freeze it) is user code again.
: "${MATRIXC:?MATRIXC is the matrixc binary}"
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# run BINARY [edited]: generate in a fresh copy of tests/trusted; status
# in $st, standard error in $tmp/err
run() {
	rm -rf "$tmp/w" && cp -R "$here/trusted" "$tmp/w"
	[ -z "${2:-}" ] || echo >>"$tmp/w/lua/probe.lua"
	(cd "$tmp/w" && NO_COLOR=1 "$1" generate >/dev/null 2>"$tmp/err")
	st=$?
}

# has REGEX...: has the last run's standard error a line matching each?
has() {
	for re in "$@"; do grep -Eq "$re" "$tmp/err" || return 1; done
}

if [ -z "${PROBE:-}" ] || [ ! -x "$PROBE" ]; then
	skip "trusted hook file (no PROBE binary: make test builds it)"
else
	run "$PROBE"
	[ "$st" = 0 ]
	result $? "frozen: 25 million instructions in one call pass, uncounted (status $st)" "$tmp/err"
	has "note: print: require: false 'require' is not available to the shipped hook files"
	result $? "frozen: require is an error" "$tmp/err"
	has "note: print: load: false 'load' is not available to the shipped hook files"
	result $? "frozen: load is an error" "$tmp/err"
	has "note: print: a new global: false a shipped hook file sets global 'probe_global'"
	result $? "frozen: a new global is an error" "$tmp/err"

	run "$PROBE" edited
	[ "$st" = 2 ] && has "^lua/probe\.lua:11: error: instruction budget exceeded"
	result $? "edited: user code, counted: the budget stops it" "$tmp/err"
	has "note: print: load: true function" "note: print: a new global: true"
	result $? "edited: load and globals as in any hook file" "$tmp/err"
fi

run "$MATRIXC"
[ "$st" = 2 ] && has "^lua/probe\.lua:11: error: instruction budget exceeded"
result $? "not frozen in this matrixc: counted, the budget stops it" "$tmp/err"
tap_done
