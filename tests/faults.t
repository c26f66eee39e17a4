#!/bin/sh
# generate under faults: every file in generated/ keeps its old or gets its
# new content, never a partial one; matrixc exits 3; check tells the truth
# afterwards; a plain generate then recovers. Faults:
#   - a failure injected at each write, rename and fsync in turn, through a
#     test build of matrixc (-DMATRIXC_FAULTS, MATRIXC_FAULT=OP:N);
#   - a full disk (a 64 KiB tmpfs) and a read-only file system (the tmpfs
#     remounted ro): both need root and mount, else they are skipped;
#   - two generate runs at once, serialised by flock on the directory.
# The test build lives in build/faults (MATRIXC_FAULTS_BIN overrides it).
: "${MATRIXC:?MATRIXC is the matrixc binary}"
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
repo=$(cd "$here/.." && pwd)
tmp=$(mktemp -d)
mnt=
unmount() { umount "$1" 2>/dev/null || umount -l "$1"; }
cleanup() {
	[ -n "$mnt" ] && unmount "$mnt"
	rm -rf "$tmp"
}
trap cleanup EXIT


fbin=${MATRIXC_FAULTS_BIN:-}
if [ -z "$fbin" ]; then
	fbin=$repo/build/faults/matrixc
	# a make of our own, not the caller's (make asan passes its BUILD)
	(unset MAKEFLAGS MFLAGS MAKELEVEL
	 make -s -C "$repo" BUILD=build/faults OPT='-O1 -g' CFLAGS=-DMATRIXC_FAULTS \
		SAN='-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer' \
		build/faults/matrixc) >"$tmp/build.log" 2>&1 ||
		{ sed 's/^/# /' "$tmp/build.log" | tail -20; echo "1..1"; echo "not ok 1 - build the fault-injection matrixc"; exit 1; }
fi

# Two matrices: B changes every file of A, adds cells and drops one.
lock=$here/cases/err-many/matrix.lock.json
matrix_a() {
	cat <<'Y'
matrixc: 1
image: python
base: debian:bookworm-slim
versions: ["3.13", "3.12"]
variants:
  wee: {}
  wee-optimized: { pgo: true }
Y
}
matrix_b() {
	cat <<'Y'
matrixc: 1
image: python
base: debian:bookworm-slim
versions: ["3.13", "2.7"]
variants:
  wee: {}
  wee-optimized: { pgo: true }
  wee-optimized-lto: { pgo: true, lto: true }
env:
  CHANGED: "yes"
Y
}

# project DIR A|B: matrix.yaml and lock file of that matrix in DIR
project() {
	mkdir -p "$1"
	cp "$lock" "$1/matrix.lock.json"
	if [ "$2" = A ]; then matrix_a >"$1/matrix.yaml"; else matrix_b >"$1/matrix.yaml"; fi
}

# The reference trees.
for m in A B; do
	project "$tmp/ref$m" $m
	(cd "$tmp/ref$m" && "$MATRIXC" -q generate) || { echo "1..1"; echo "not ok 1 - reference tree $m"; exit 1; }
done
refA=$tmp/refA/generated
refB=$tmp/refB/generated

# The manifest while a run is under way: the new one plus the old entries
# not in it (outdir.c writes it first, so that a crash never leaves a file
# matrixc made but does not know it owns).
m=.matrixc-manifest
{ cat "$refB/$m"; grep -v '^#' "$refA/$m" | grep -vFx -f "$refB/$m"; } >"$tmp/union-manifest"

# Files a check skips: none, but for a killed run the temporary files it
# left behind (.NAME.tmp.XXXXXX), which are not generated files.
skip_names=/

# old_or_new DIR: every file in DIR/generated is byte for byte the A or
# the B version of itself (the manifest may also be the union), and
# listed in the manifest. Prints what is wrong.
old_or_new() {
	oon=0
	(cd "$1/generated" && find . \( -type f -o -type l \) ! -name "$skip_names") |
		sed 's|^\./||' | sort >"$tmp/files"
	while IFS= read -r f; do
		g=$1/generated/$f
		if [ -L "$g" ]; then echo "# $f: a symlink"; oon=1; continue; fi
		if ! cmp -s "$g" "$refA/$f" 2>/dev/null && ! cmp -s "$g" "$refB/$f" 2>/dev/null &&
			! { [ "$f" = $m ] && cmp -s "$g" "$tmp/union-manifest"; }; then
			echo "# $f: neither the old nor the new content (partial or stray)"
			oon=1
		fi
		[ "$f" = $m ] && continue
		grep -qFx -- "$f" "$1/generated/$m" || { echo "# $f: not in the manifest"; oon=1; }
	done <"$tmp/files"
	return $oon
}

# check_truth DIR: check exits 0 exactly when generated/ is B's tree
check_truth() {
	(cd "$1" && "$MATRIXC" check >/dev/null 2>&1)
	got=$?
	if diff -r -x "$skip_names" "$1/generated" "$refB" >/dev/null 2>&1; then want=0; else want=1; fi
	[ "$got" = "$want" ] || { echo "# check exit $got, but generated/ $( [ $want = 0 ] && echo is || echo is not ) up to date"; return 1; }
}

# recovers DIR: a plain generate then brings it to B exactly
recovers() {
	(cd "$1" && "$MATRIXC" -q generate >/dev/null 2>&1) &&
		diff -r -x "$skip_names" "$1/generated" "$refB" >/dev/null ||
		{ echo "# a plain generate did not recover"; return 1; }
}

# --- injected failures ------------------------------------------------------

for op in write rename fsync; do
	ok=0
	k=0
	while :; do
		k=$((k + 1))
		w=$tmp/$op-$k
		project "$w" B
		cp -R "$refA" "$w/generated"
		(cd "$w" && MATRIXC_FAULT=$op:$k "$fbin" -q generate >"$tmp/out" 2>"$tmp/err")
		st=$?
		if [ "$st" = 0 ]; then
			# past the last $op: no fault fired, the run must be complete
			diff -r "$w/generated" "$refB" >/dev/null || { echo "# $op:$k: exit 0 but not B"; ok=1; }
			break
		fi
		if [ "$st" != 3 ]; then
			echo "# $op:$k: exit status $st, want 3"
			sed 's/^/#   /' "$tmp/err" | head -20
			ok=1
		fi
		grep -q 'error:' "$tmp/err" || { echo "# $op:$k: no error message"; ok=1; }
		old_or_new "$w" || { echo "# ... after a failure at $op $k"; ok=1; }
		check_truth "$w" || ok=1
		recovers "$w" || ok=1
		rm -rf "$w"
		[ "$k" -lt 500 ] || { echo "# $op: still failing after 500"; ok=1; break; }
	done
	result $ok "a failure at each $op (1 to $((k - 1))): exit 3, old or new content, check truthful, recovery"
done

# A crash at each of those points: the process is killed there (SIGKILL,
# no chance to clean up). Its temporary files may stay behind, hidden
# beside the files they were for; every generated file is old or new.
skip_names='.*.tmp.??????'
for op in write rename fsync; do
	ok=0
	k=0
	left=0
	while :; do
		k=$((k + 1))
		w=$tmp/kill-$op-$k
		project "$w" B
		cp -R "$refA" "$w/generated"
		# in a subshell that waits, so that its shell reports "Killed"
		(cd "$w" && MATRIXC_FAULT=$op:$k:kill "$fbin" -q generate >"$tmp/out" 2>"$tmp/err"
		 echo $? >"$tmp/st") 2>/dev/null
		st=$(cat "$tmp/st")
		if [ "$st" = 0 ]; then
			diff -r "$w/generated" "$refB" >/dev/null || { echo "# $op:$k:kill: exit 0 but not B"; ok=1; }
			break
		fi
		[ "$st" = 137 ] || { echo "# $op:$k:kill: exit status $st, want 137 (killed)"; ok=1; }
		left=$((left + $(find "$w/generated" -name "$skip_names" | wc -l)))
		old_or_new "$w" || { echo "# ... after a kill at $op $k"; ok=1; }
		check_truth "$w" || ok=1
		recovers "$w" || ok=1
		# the next generate, under the lock, removes what the killed run left
		[ "$(find "$w/generated" -name "$skip_names" | wc -l)" -eq 0 ] ||
			{ echo "# $op:$k:kill: temporary files survive the next generate"; ok=1; }
		rm -rf "$w"
		[ "$k" -lt 500 ] || break
	done
	echo "# $op: $left temporary files left behind by $((k - 1)) killed runs"
	result $ok "killed at each $op (1 to $((k - 1))): old or new content, check truthful, recovery, no temporary files left"
done
skip_names=/

# --- a full disk and a read-only file system --------------------------------

mnt=$tmp/mnt
mkdir -p "$mnt"
if mount -t tmpfs -o size=64k tmpfs "$mnt" 2>/dev/null; then
	w=$mnt/p
	project "$w" A
	(cd "$w" && "$MATRIXC" -q generate) >/dev/null 2>&1
	project "$w" B
	# fill the disk but for 12 KiB, so that B runs out part way through
	free=$(df -k --output=avail "$mnt" | tail -1)
	[ "$free" -gt 12 ] && dd if=/dev/zero of="$mnt/filler" bs=1k count=$((free - 12)) 2>/dev/null
	(cd "$w" && "$MATRIXC" -q generate >"$tmp/out" 2>"$tmp/err")
	st=$?
	ok=0
	[ "$st" = 3 ] || { echo "# exit status $st, want 3"; sed 's/^/#   /' "$tmp/err" | head; ok=1; }
	grep -q 'No space left on device' "$tmp/err" || { echo "# no ENOSPC reported"; ok=1; }
	result $ok "disk full (64 KiB tmpfs): reported, exit 3"
	old_or_new "$w"; result $? "disk full: every file old or new, none partial, none stray"
	check_truth "$w"; result $? "disk full: check tells the truth"

	unmount "$mnt" || { mnt=; result 1 "the test file system unmounts"; tap_done; }
	mount -t tmpfs -o size=4m tmpfs "$mnt"
	project "$w" A
	(cd "$w" && "$MATRIXC" -q generate) >/dev/null 2>&1
	project "$w" B
	mount -o remount,ro "$mnt"
	(cd "$w" && "$MATRIXC" -q generate >"$tmp/out" 2>"$tmp/err")
	st=$?
	ok=0
	[ "$st" = 3 ] || { echo "# exit status $st, want 3"; sed 's/^/#   /' "$tmp/err" | head; ok=1; }
	grep -q 'Read-only file system' "$tmp/err" || { echo "# no EROFS reported"; sed 's/^/#   /' "$tmp/err" | head -3; ok=1; }
	diff -r "$w/generated" "$refA" >/dev/null || { echo "# generated/ changed"; ok=1; }
	result $ok "read-only file system: reported, exit 3, nothing changed"
	(cd "$w" && "$MATRIXC" check >/dev/null 2>&1)
	[ $? = 1 ]; result $? "read-only file system: check reports stale"
	unmount "$mnt" && mnt=
else
	for t in "disk full: exit 3" "disk full: old or new" "disk full: check" \
		"read-only: exit 3" "read-only: check"; do
		skip "$t (mount -t tmpfs not permitted)"
	done
fi

# --- two runs at once -------------------------------------------------------

# generate waits for a lock held on the directory
w=$tmp/lock
project "$w" B
mkdir -p "$w/generated"
if command -v flock >/dev/null; then
	flock "$w/generated" sleep 2 &
	holder=$!
	sleep 0.3
	start=$(date +%s.%N)
	(cd "$w" && "$MATRIXC" -q generate >/dev/null 2>&1)
	st=$?
	end=$(date +%s.%N)
	wait "$holder"
	awk -v s="$start" -v e="$end" -v st="$st" 'BEGIN { exit !(st == 0 && e - s >= 1.2) }'
	result $? "generate waits while another process holds the directory's lock"
else
	skip "lock wait (no flock(1))"
fi

# A and B at once, again and again: the result is exactly one of them.
w=$tmp/race
mkdir -p "$w/a" "$w/b"
project "$w/a" A
project "$w/b" B
ok=0
for i in 1 2 3 4 5 6 7 8 9 10; do
	(cd "$w/a" && "$MATRIXC" -q generate -o ../out >/dev/null 2>&1) &
	pa=$!
	(cd "$w/b" && "$MATRIXC" -q generate -o ../out >/dev/null 2>&1) &
	pb=$!
	(cd "$w/a" && "$MATRIXC" -q generate -o ../out >/dev/null 2>&1) &
	pc=$!
	wait "$pa" || ok=1
	wait "$pb" || ok=1
	wait "$pc" || ok=1
	if ! diff -r "$w/out" "$refA" >/dev/null 2>&1 && ! diff -r "$w/out" "$refB" >/dev/null 2>&1; then
		echo "# round $i: the output is neither A nor B"
		diff -r "$w/out" "$refA" | head -5 | sed 's/^/#   /'
		ok=1
	fi
done
result $ok "three generate runs at once, ten times: each succeeds, the result is exactly A or B"

tap_done
