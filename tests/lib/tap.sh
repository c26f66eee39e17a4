# tests/lib/tap.sh - TAP helpers shared by the *.t scripts (sourced).
#
#   result STATUS TITLE [FILE...]
#                         "ok N - TITLE" when STATUS is 0, else "not ok",
#                         followed by the FILEs as comments
#   skip REASON           "ok N # SKIP REASON"
#   tap_done              the plan line, then exit 1 if anything failed
#   git_q ARGS...         git, quiet, with a fixed test identity
# The count and the failure flag are tap_n and tap_failed, names no
# script uses for its own.
tap_n=0
tap_failed=0

result() {
	tap_n=$((tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $tap_n - $2"
		return 0
	fi
	echo "not ok $tap_n - $2"
	tap_failed=1
	shift 2
	for f in "$@"; do sed 's/^/# /' "$f"; done
	return 0
}

skip() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n # SKIP $1"
}

tap_done() {
	echo "1..$tap_n"
	exit $tap_failed
}

git_q() { git -c user.email=test@example.com -c user.name=test "$@" -q; }
