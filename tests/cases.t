#!/bin/sh
# Golden cases: each folder under tests/cases/ is one test, as data.
#
#   matrix.yaml, matrix.lock.json, lua/, generated/   the input tree
#   setup     optional shell script run in the copy first (with $MATRIXC),
#             to prepare a generated/ tree that depends on this build
#   cmd       the matrixc arguments (default: generate)
#   expected/ generated/ as it must be afterwards (absent: unchanged)
#   stderr    exact standard error (absent: must be empty)
#   stdout    exact standard output (absent: not compared)
#   status    exit status (absent: 0)
#
# Inputs shared by many cases are symbolic links, which the copy follows:
# lua/ files to the shipped lua/, and matrix.lock.json to lock-3.13.json
# (3.13 resolved to 3.13.14) beside the cases. The "bases" digests in the
# cases' lock files are fixtures, the sha256 of "matrixc test fixture
# IMAGE", not any real image's (tests/registry.t resolves real ones).
# The run happens in a fresh copy of the folder, with NO_COLOR set, under
# $MATRIXC_WRAPPER when set (tests/valgrind.sh sets it to valgrind).
#
# UPDATE=1 rewrites expected/, stderr, stdout and status from what the run
# produced, for a person to review with git diff.
: "${MATRIXC:?MATRIXC is the matrixc binary}"
here=$(cd "$(dirname "$0")" && pwd)
cases=${CASES:-$here/cases}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$here/lib/tap.sh"

# copy the input part of case $1 to $2
copy_input() {
	mkdir -p "$2"
	(cd "$1" && find . -mindepth 1 -maxdepth 1 \
		! -name expected ! -name stderr ! -name stdout ! -name status \
		! -name cmd ! -name setup ! -name README -exec cp -RL {} "$2/" \;)
}

# compare file $1 (expected) with $2 (got), printing a diff on failure
same() {
	if cmp -s "$1" "$2"; then return 0; fi
	diff -u "$1" "$2" | head -40 | sed 's/^/# /'
	return 1
}

run_case() {
	dir=$1
	name=$(basename "$dir")
	work=$tmp/$name
	copy_input "$dir" "$work"
	if [ -f "$dir/setup" ] && ! (cd "$work" && MATRIXC=$MATRIXC sh "$dir/setup" >/dev/null 2>&1); then
		echo "# setup failed"
		return 1
	fi
	[ -d "$work/generated" ] && cp -a "$work/generated" "$tmp/$name.before"
	args=generate
	[ -f "$dir/cmd" ] && args=$(cat "$dir/cmd")
	want_status=0
	[ -f "$dir/status" ] && want_status=$(cat "$dir/status")
	# shellcheck disable=SC2086 # cmd is a word list by design
	(cd "$work" && NO_COLOR=1 $MATRIXC_WRAPPER "$MATRIXC" $args >"$tmp/$name.out" 2>"$tmp/$name.err")
	got_status=$?
	if [ -n "$UPDATE" ]; then
		update_case "$dir" "$work" "$name" "$got_status"
		return 0
	fi
	ok=0
	if [ "$got_status" != "$want_status" ]; then
		echo "# exit status $got_status, want $want_status"
		ok=1
	fi
	if [ -f "$dir/stderr" ]; then same "$dir/stderr" "$tmp/$name.err" || ok=1
	else same /dev/null "$tmp/$name.err" || ok=1; fi
	if [ -f "$dir/stdout" ]; then same "$dir/stdout" "$tmp/$name.out" || ok=1; fi
	if [ -d "$dir/expected" ]; then
		diff -r "$dir/expected" "$work/generated" >"$tmp/$name.diff" 2>&1 ||
			{ head -40 "$tmp/$name.diff" | sed 's/^/# /'; ok=1; }
	elif [ -d "$tmp/$name.before" ]; then
		diff -r "$tmp/$name.before" "$work/generated" >/dev/null 2>&1 ||
			{ echo "# generated/ changed but the case has no expected/"; ok=1; }
	elif [ -e "$work/generated" ]; then
		echo "# generated/ was written but the case has no expected/"
		ok=1
	fi
	return $ok
}

update_case() {
	dir=$1 work=$2 name=$3 status=$4
	if [ -s "$tmp/$name.err" ]; then cp "$tmp/$name.err" "$dir/stderr"
	else rm -f "$dir/stderr"; fi
	[ -f "$dir/stdout" ] && cp "$tmp/$name.out" "$dir/stdout"
	if [ "$status" != 0 ]; then echo "$status" >"$dir/status"
	else rm -f "$dir/status"; fi
	# a symlinked expected/ (the shipped case: the repository's own
	# generated/) is brought up to date by `make generate`, not here
	if [ -L "$dir/expected" ]; then return 0; fi
	if [ -d "$work/generated" ] && ! diff -r "$tmp/$name.before" "$work/generated" >/dev/null 2>&1; then
		rm -rf "$dir/expected"
		cp -a "$work/generated" "$dir/expected"
	fi
}

for dir in "$cases"/*/; do
	dir=${dir%/}
	[ -f "$dir/matrix.yaml" ] || [ -f "$dir/cmd" ] || continue
	run_case "$dir"
	result $? "$(basename "$dir")"
done
tap_done
