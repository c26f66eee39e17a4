# tests/lib/tap.sh - TAP helpers shared by the *.t scripts (sourced).
#
#   result STATUS TITLE   "ok N - TITLE" when STATUS is 0, else "not ok"
#   skip REASON           "ok N # SKIP REASON"
#   tap_done              the plan line, then exit 1 if anything failed
#   git_q ARGS...         git, quiet, with a fixed test identity
n=0
failed=0

result() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=1; fi
}

skip() {
	n=$((n + 1))
	echo "ok $n # SKIP $1"
}

tap_done() {
	echo "1..$n"
	exit $failed
}

git_q() { git -c user.email=test@example.com -c user.name=test "$@" -q; }
