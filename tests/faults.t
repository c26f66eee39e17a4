#!/bin/sh
# generate under faults. generate builds the new tree beside the old one
# (.generated.matrixc-swap), then swaps the two directories at once, so
# that after any failure or kill generated/ is exactly the old tree or
# exactly the new one, byte for byte and file for file, including files
# matrixc does not own; matrixc exits 3; check tells the truth afterwards;
# a plain generate then recovers, and removes what the killed run left.
# Faults:
#   - a failure injected at each write, link, mkdir, fsync, swap and unlink
#     in turn, through a test build of matrixc (-DMATRIXC_FAULTS,
#     MATRIXC_FAULT=OP:N), and a kill at every file operation in turn
#     (MATRIXC_FAULT=any:N:kill);
#   - kills spread over the whole run of a 10,000-cell tree (every file
#     operation counted: building the new tree, the swap, removing the old
#     one), and kill -9 after stepped delays with the release binary;
#   - what a killed run leaves: the next generate removes it and takes
#     nothing from it; a leftover with files matrixc did not make is
#     refused;
#   - the file-by-file fallback (an output directory that is a mount
#     point): every file old or new, never partial;
#   - a full disk (a 1 MiB tmpfs, filled) and a read-only file system (the tmpfs
#     remounted ro): both need root and mount, as the mount points do,
#     else they are skipped;
#   - two generate runs at once, serialised by flock on the parent.
# The test build lives in build/faults (MATRIXC_FAULTS_BIN overrides it).
# FAULTS_BIG_KILLS sets how many kills the large tree gets (default 4, and
# 3 at the swap).
: "${MATRIXC:?MATRIXC is the matrixc binary}"
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
. "$here/lib/faults.sh"
repo=$(cd "$here/.." && pwd)
tmp=$(mktemp -d)
mounts=
unmount() { umount "$1" 2>/dev/null || umount -l "$1"; }
cleanup() {
	for m in $mounts; do unmount "$m"; done
	rm -rf "$tmp"
}
trap cleanup EXIT
# mount_tmpfs DIR SIZE: a tmpfs at DIR; false where mount is not permitted
mount_tmpfs() {
	mkdir -p "$1" && mount -t tmpfs -o "size=$2" tmpfs "$1" 2>/dev/null &&
		mounts="$1 $mounts"
}
umount_tmpfs() {
	unmount "$1"
	mounts=$(echo "$mounts" | tr ' ' '\n' | grep -vFx -- "$1" | tr '\n' ' ')
}

fbin=$(faults_bin "$repo" "$tmp/build.log") ||
	{ sed 's/^/# /' "$tmp/build.log" | tail -20; echo "1..1"; echo "not ok 1 - build the fault-injection matrixc"; exit 1; }

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

# Each matrix's lock file holds exactly the releases it uses (a release
# it does not use would be warned about on every run).
lock_of() { # RELEASE...: $lock with only those releases, on stdout
	python3 -c 'import json, sys
lock = json.load(open(sys.argv[1]))
lock["releases"] = {k: v for k, v in lock["releases"].items() if k in sys.argv[2:]}
print(json.dumps(lock, indent=2, sort_keys=True))' "$lock" "$@"
}
lock_of 3.13 3.12 >"$tmp/lockA.json" && lock_of 3.13 2.7 >"$tmp/lockB.json" ||
	{ echo "1..1"; echo "not ok 1 - the lock files of A and B"; exit 1; }

# project DIR A|B: matrix.yaml and lock file of that matrix in DIR
project() {
	mkdir -p "$1"
	cp "$tmp/lock$2.json" "$1/matrix.lock.json"
	if [ "$2" = A ]; then matrix_a >"$1/matrix.yaml"; else matrix_b >"$1/matrix.yaml"; fi
}

# The reference trees, each with files of the user's that matrixc does
# not own: a file, one in a directory of their own, one beside generated
# files, a symlink. Every state below must keep them as they are.
warned=0
for m in A B; do
	project "$tmp/ref$m" $m
	(cd "$tmp/ref$m" && "$MATRIXC" -q generate 2>"$tmp/ref.err") || { echo "1..1"; echo "not ok 1 - reference tree $m"; exit 1; }
	[ -s "$tmp/ref.err" ] && { sed 's/^/# /' "$tmp/ref.err"; warned=1; }
	g=$tmp/ref$m/generated
	echo mine >"$g/NOTES.md"
	mkdir "$g/notes" && echo mine >"$g/notes/keep"
	echo mine >"$g/3.13.14/README"
	ln -s ../NOTES.md "$g/notes/link"
done
result $warned "the matrices A and B and their lock files generate without a warning"
refA=$tmp/refA/generated
refB=$tmp/refB/generated
spare=.generated.matrixc-swap

# same_tree X Y: the same files (symlinks as symlinks), byte for byte
same_tree() { diff -r --no-dereference "$1" "$2" >/dev/null 2>&1; }

# one_state DIR [REFA REFB]: DIR/generated is exactly the old tree or
# exactly the new one. Prints what is wrong, and the state in $state.
one_state() {
	if same_tree "$1/generated" "${2:-$refA}"; then state=old; return 0; fi
	if same_tree "$1/generated" "${3:-$refB}"; then state=new; return 0; fi
	state=mixed
	echo "# generated/ is neither the old tree nor the new one:"
	diff -r --no-dereference "$1/generated" "${3:-$refB}" 2>&1 | head -5 | sed 's/^/#   /'
	return 1
}

# check_truth DIR [REFB [STATE]]: check exits 0 exactly when generated/ is
# B's tree (STATE: one_state's answer, when known)
check_truth() {
	(cd "$1" && "$MATRIXC" check >/dev/null 2>&1)
	got=$?
	case ${3:-} in
	new) want=0 ;;
	old) want=1 ;;
	*) if same_tree "$1/generated" "${2:-$refB}"; then want=0; else want=1; fi ;;
	esac
	[ "$got" = "$want" ] || { echo "# check exit $got, but generated/ $( [ $want = 0 ] && echo is || echo is not ) up to date"; return 1; }
}

# recovers DIR [REFB]: a plain generate brings it to B exactly, and
# removes what a killed run left beside it
recovers() {
	(cd "$1" && "$MATRIXC" -q generate >/dev/null 2>"$tmp/rec.err") &&
		same_tree "$1/generated" "${2:-$refB}" ||
		{ echo "# a plain generate did not recover"; sed 's/^/#   /' "$tmp/rec.err"; return 1; }
	[ ! -e "$1/$spare" ] || { echo "# $spare survives the next generate"; return 1; }
}

# killed_run DIR SPEC: the fault build under MATRIXC_FAULT=SPEC, in a
# subshell that waits, so that its shell reports "Killed"; status in $st
killed_run() {
	(cd "$1" && MATRIXC_FAULT=$2 "$fbin" -q generate >"$tmp/out" 2>"$tmp/err"
	 echo $? >"$tmp/st") 2>/dev/null
	st=$(cat "$tmp/st")
}

# --- injected failures --------------------------------------------------------

for op in write link mkdir fsync swap unlink; do
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
			same_tree "$w/generated" "$refB" || { echo "# $op:$k: exit 0 but not B"; ok=1; }
			[ ! -e "$w/$spare" ] || { echo "# $op:$k: exit 0 but $spare left"; ok=1; }
			break
		fi
		if [ "$st" != 3 ]; then
			echo "# $op:$k: exit status $st, want 3"
			sed 's/^/#   /' "$tmp/err" | head -20
			ok=1
		fi
		grep -q 'error:' "$tmp/err" || { echo "# $op:$k: no error message"; ok=1; }
		one_state "$w" || { echo "# ... after a failure at $op $k"; ok=1; }
		check_truth "$w" "$refB" "$state" || ok=1
		recovers "$w" || ok=1
		rm -rf "$w"
		[ "$k" -lt 500 ] || { echo "# $op: still failing after 500"; ok=1; break; }
	done
	result $ok "a failure at each $op (1 to $((k - 1))): exit 3, the old tree or the new one, check truthful, recovery"
done

# A crash at every file operation in turn: the process is killed there
# (SIGKILL, no chance to clean up). The tree beside the output may stay
# behind; generated/ is the old tree or the new one.
ok=0
k=0
old=0 new=0 left=0
while :; do
	k=$((k + 1))
	w=$tmp/kill-$k
	project "$w" B
	cp -R "$refA" "$w/generated"
	killed_run "$w" "any:$k:kill"
	if [ "$st" = 0 ]; then
		same_tree "$w/generated" "$refB" || { echo "# any:$k:kill: exit 0 but not B"; ok=1; }
		break
	fi
	[ "$st" = 137 ] || { echo "# any:$k:kill: exit status $st, want 137 (killed)"; ok=1; }
	one_state "$w" || { echo "# ... after a kill at operation $k"; ok=1; }
	eval "$state=\$((\$$state + 1))"
	[ -e "$w/$spare" ] && left=$((left + 1))
	check_truth "$w" "$refB" "$state" || ok=1
	recovers "$w" || ok=1
	rm -rf "$w"
	[ "$k" -lt 1000 ] || break
done
echo "# $((k - 1)) kills: $old left the old tree, $new the new one; $left left $spare behind"
[ "$old" -gt 0 ] && [ "$new" -gt 0 ] || { echo "# the kills did not cover both sides of the swap"; ok=1; }
result $ok "killed at each file operation (1 to $((k - 1))): the old tree or the new one, check truthful, recovery removes the leftover"

# --- what a killed run leaves ---------------------------------------------------

# Killed right at the swap, the new tree (B) stays beside the output; the
# next run generates A: it must remove that tree and take nothing from it.
w=$tmp/left-new
project "$w" B
cp -R "$refA" "$w/generated"
killed_run "$w" swap:1:kill
ok=0
[ "$st" = 137 ] && [ -d "$w/$spare" ] || { echo "# no tree left beside the output (exit $st)"; ok=1; }
project "$w" A
(cd "$w" && "$MATRIXC" generate >"$tmp/out" 2>"$tmp/err") || { sed 's/^/#   /' "$tmp/err"; ok=1; }
same_tree "$w/generated" "$refA" || { echo "# generated/ is not A"; ok=1; }
[ ! -e "$w/$spare" ] || { echo "# $spare survives"; ok=1; }
grep -q ': 0 written, 10 unchanged, 0 removed$' "$tmp/out" || { echo "# summary: $(cat "$tmp/out")"; ok=1; }
result $ok "a new tree left by a kill at the swap: the next generate (of another matrix) removes it, takes nothing from it"

# Killed while removing the old tree: what is left is removed next time.
w=$tmp/left-old
project "$w" B
cp -R "$refA" "$w/generated"
killed_run "$w" unlink:5:kill
ok=0
[ "$st" = 137 ] && [ -d "$w/$spare" ] || { echo "# no tree left beside the output (exit $st)"; ok=1; }
one_state "$w" && [ "$state" = new ] || { echo "# generated/ is not the new tree"; ok=1; }
(cd "$w" && "$MATRIXC" generate >"$tmp/out" 2>"$tmp/err") || { sed 's/^/#   /' "$tmp/err"; ok=1; }
same_tree "$w/generated" "$refB" && [ ! -e "$w/$spare" ] || { echo "# not B, or $spare survives"; ok=1; }
grep -q ': 0 written, 14 unchanged, 0 removed$' "$tmp/out" || { echo "# summary: $(cat "$tmp/out")"; ok=1; }
result $ok "an old tree half removed by a kill: the next generate finishes removing it, changes nothing else"

# A leftover that holds a file matrixc did not make is not removed, and
# the run stops before touching generated/.
w=$tmp/left-foreign
project "$w" B
cp -R "$refA" "$w/generated"
mkdir -p "$w/$spare/sub"
echo precious >"$w/$spare/sub/mine"
(cd "$w" && "$MATRIXC" generate >"$tmp/out" 2>"$tmp/err")
st=$?
ok=0
[ "$st" = 3 ] || { echo "# exit status $st, want 3"; ok=1; }
grep -q "$spare: error: holds .*sub/mine, which matrixc did not make" "$tmp/err" || { sed 's/^/#   /' "$tmp/err"; ok=1; }
[ "$(cat "$w/$spare/sub/mine")" = precious ] || { echo "# the file was removed"; ok=1; }
same_tree "$w/generated" "$refA" || { echo "# generated/ changed"; ok=1; }
result $ok "a leftover holding a file matrixc did not make: refused, exit 3, the file and generated/ untouched"
rm -rf "$w/$spare" && ln -s "$w/generated" "$w/$spare"
(cd "$w" && "$MATRIXC" generate >"$tmp/out" 2>"$tmp/err")
st=$?
[ "$st" = 3 ] && [ -L "$w/$spare" ] && same_tree "$w/generated" "$refA"
result $? "a symlink in the leftover's place: refused, exit 3, nothing followed or changed"
rm -f "$w/$spare"
recovers "$w"; result $? "once the user moved it away, generate runs"

# --- the directory itself ---------------------------------------------------

w=$tmp/mode
project "$w" B
cp -R "$refA" "$w/generated"
chmod 0750 "$w/generated"
(cd "$w" && "$MATRIXC" -q generate >/dev/null 2>&1)
[ "$(stat -c %a "$w/generated")" = 750 ] && [ "$(stat -c %a "$w/generated/notes")" = 755 ]
result $? "the swapped-in tree keeps the output directory's mode (0750)"
ino=$(stat -c %i "$w/generated/NOTES.md")
chmod 0700 "$w/generated/notes"
project "$w" A
(cd "$w" && "$MATRIXC" generate >"$tmp/out" 2>/dev/null)
ok=0
[ "$(stat -c %i "$w/generated/NOTES.md")" = "$ino" ] || { echo "# a file of the user's was copied, not kept"; ok=1; }
[ "$(stat -c %a "$w/generated/notes")" = 700 ] || { echo "# a directory of the user's lost its mode"; ok=1; }
same_tree "$w/generated" "$refA" || { echo "# not A"; ok=1; }
grep -q ': 8 written, 2 unchanged, 8 removed$' "$tmp/out" || { echo "# summary: $(cat "$tmp/out")"; ok=1; }
result $ok "files and directories of the user's are kept as they are (inode, mode); the summary counts what changed"
touch -d @1000000000 "$w/generated/Makefile"
printf '\n' >>"$w/generated/3.13.14/wee/Dockerfile"
(cd "$w" && "$MATRIXC" generate >"$tmp/out" 2>/dev/null)
ok=0
grep -q ': 1 written, 9 unchanged, 0 removed$' "$tmp/out" || { echo "# summary: $(cat "$tmp/out")"; ok=1; }
[ "$(stat -c %Y "$w/generated/Makefile")" = 1000000000 ] || { echo "# an unchanged file lost its mtime"; ok=1; }
result $ok "one changed file: only it is rewritten; an unchanged file keeps its mtime across the swap"

# the first generate: no output directory yet, and none of the swap's left
w=$tmp/first
project "$w" B
(cd "$w" && "$MATRIXC" -q generate >/dev/null 2>&1) && [ -f "$w/generated/Makefile" ] &&
	[ "$(ls -A "$w" | tr '\n' ' ')" = "generated matrix.lock.json matrix.yaml " ]
result $? "a first generate creates the output directory and leaves nothing beside it"

# the root of a repository given with -o: written file by file, said so
w=$tmp/repo
project "$w" B
mkdir -p "$w/out/.git"
(cd "$w" && "$MATRIXC" -q generate -o out >/dev/null 2>"$tmp/err")
st=$?
ok=0
[ "$st" = 0 ] && [ -f "$w/out/Makefile" ] && [ -d "$w/out/.git" ] || { echo "# exit $st"; ok=1; }
grep -q "out: warning: it is the root of a git repository: files are replaced one by one" "$tmp/err" || { sed 's/^/#   /' "$tmp/err"; ok=1; }
[ ! -e "$w/.out.matrixc-swap" ] || ok=1
result $ok "an output directory that is a repository's root is written file by file, with a warning"

# -o through a symlink: the directory it points to is swapped, not the link
w=$tmp/olink
project "$w" B
mkdir -p "$w/real"
cp -R "$refA" "$w/real/out"
ln -s real/out "$w/link"
(cd "$w" && "$MATRIXC" -q generate -o link >/dev/null 2>&1)
[ -L "$w/link" ] && same_tree "$w/real/out" "$refB" && [ ! -e "$w/real/.out.matrixc-swap" ]
result $? "-o a symlink: what it points to gets the new tree, the symlink stays"

# --- file by file: an output directory that is a mount point ------------------

# The manifest while such a run is under way: the new one plus the old
# entries not in it (outinplace.c writes it first, so that a crash never
# leaves a file matrixc made but does not know it owns).
m=.matrixc-manifest
{ cat "$refB/$m"; grep -v '^#' "$refA/$m" | grep -vFx -f "$refB/$m"; } >"$tmp/union-manifest"

# Files a check skips: the temporary files a killed run left behind
# (.NAME.tmp.XXXXXX), which are not generated files.
skip_names='.*.tmp.??????'

# old_or_new DIR: every file in DIR/generated is byte for byte the A or
# the B version of itself (the manifest may also be the union), and
# the generated ones are listed in the manifest. Prints what is wrong.
old_or_new() {
	oon=0
	(cd "$1/generated" && find . \( -type f -o -type l \) ! -name "$skip_names") |
		sed 's|^\./||' | sort >"$tmp/files"
	while IFS= read -r f; do
		g=$1/generated/$f
		case $f in NOTES.md|notes/*|3.13.14/README) continue ;; esac
		if [ -L "$g" ]; then echo "# $f: a symlink"; oon=1; continue; fi
		if ! cmp -s "$g" "$refA/$f" 2>/dev/null && ! cmp -s "$g" "$refB/$f" 2>/dev/null &&
			! { [ "$f" = $m ] && cmp -s "$g" "$tmp/union-manifest"; }; then
			echo "# $f: neither the old nor the new content (partial or stray)"
			oon=1
		fi
		[ "$f" = $m ] && continue
		grep -qFx -- "$f" "$1/generated/$m" || { echo "# $f: not in the manifest"; oon=1; }
	done <"$tmp/files"
	for f in NOTES.md notes/keep notes/link 3.13.14/README; do
		[ -e "$1/generated/$f" ] || { echo "# $f of the user's is gone"; oon=1; }
	done
	return $oon
}

w=$tmp/inplace
mnt=$w/generated
project "$w" B
if mount_tmpfs "$mnt" 8m; then
	fill() { rm -rf "$mnt"/* "$mnt"/.[!.]*; cp -R "$refA"/. "$mnt"/; }
	(cd "$w" && fill && "$MATRIXC" -q generate >/dev/null 2>"$tmp/err")
	st=$?
	ok=0
	[ "$st" = 0 ] && same_tree "$mnt" "$refB" || { echo "# exit $st"; ok=1; }
	grep -q "generated: warning: it is a mount point: files are replaced one by one" "$tmp/err" || { sed 's/^/#   /' "$tmp/err"; ok=1; }
	[ ! -e "$w/$spare" ] || ok=1
	result $ok "an output directory that is a mount point is written file by file, with a warning"
	for op in write rename fsync; do
		ok=0
		k=0
		while :; do
			k=$((k + 1))
			fill
			(cd "$w" && MATRIXC_FAULT=$op:$k "$fbin" -q generate >"$tmp/out" 2>"$tmp/err")
			st=$?
			if [ "$st" = 0 ]; then
				same_tree "$mnt" "$refB" || { echo "# $op:$k: exit 0 but not B"; ok=1; }
				break
			fi
			[ "$st" = 3 ] || { echo "# $op:$k: exit status $st, want 3"; sed 's/^/#   /' "$tmp/err" | head; ok=1; }
			grep -q 'error:' "$tmp/err" || { echo "# $op:$k: no error message"; ok=1; }
			old_or_new "$w" || { echo "# ... after a failure at $op $k"; ok=1; }
			check_truth "$w" || ok=1
			recovers "$w" || ok=1
			[ "$k" -lt 500 ] || { ok=1; break; }
		done
		result $ok "file by file, a failure at each $op (1 to $((k - 1))): exit 3, old or new content, check truthful, recovery"
	done
	ok=0
	k=0
	while :; do
		k=$((k + 1))
		fill
		killed_run "$w" "any:$k:kill"
		if [ "$st" = 0 ]; then
			same_tree "$mnt" "$refB" || { echo "# any:$k:kill: exit 0 but not B"; ok=1; }
			break
		fi
		[ "$st" = 137 ] || { echo "# any:$k:kill: exit status $st, want 137"; ok=1; }
		old_or_new "$w" || { echo "# ... after a kill at operation $k"; ok=1; }
		check_truth "$w" || ok=1
		recovers "$w" || ok=1
		[ -z "$(find "$mnt" -name "$skip_names")" ] || { echo "# any:$k:kill: temporary files survive the next generate"; ok=1; }
		[ "$k" -lt 500 ] || break
	done
	result $ok "file by file, killed at each file operation (1 to $((k - 1))): old or new content, recovery, no temporary files left"
	umount_tmpfs "$mnt"
else
	skip "mount point: file by file (mount -t tmpfs not permitted)"
	for op in write rename fsync kill; do skip "file by file: $op (mount -t tmpfs not permitted)"; done
fi

# --- a full disk and a read-only file system --------------------------------

mnt=$tmp/mnt
if mount_tmpfs "$mnt" 1m; then
	w=$mnt/p
	project "$w" B
	cp -R "$refA" "$w/generated"
	# fill the disk but for 12 KiB, so that B runs out part way through
	free=$(df -k --output=avail "$mnt" | tail -1)
	[ "$free" -gt 12 ] && dd if=/dev/zero of="$mnt/filler" bs=1k count=$((free - 12)) 2>/dev/null
	(cd "$w" && "$MATRIXC" -q generate >"$tmp/out" 2>"$tmp/err")
	st=$?
	ok=0
	[ "$st" = 3 ] || { echo "# exit status $st, want 3"; sed 's/^/#   /' "$tmp/err" | head; ok=1; }
	grep -q 'No space left on device' "$tmp/err" || { echo "# no ENOSPC reported"; ok=1; }
	result $ok "disk full (1 MiB tmpfs, filled): reported, exit 3"
	one_state "$w" && [ "$state" = old ]; result $? "disk full: generated/ is the old tree exactly"
	[ ! -e "$w/$spare" ]; result $? "disk full: the new tree begun beside it is removed"
	check_truth "$w"; result $? "disk full: check tells the truth"

	umount_tmpfs "$mnt"
	mount_tmpfs "$mnt" 4m
	project "$w" B
	cp -R "$refA" "$w/generated"
	mount -o remount,ro "$mnt"
	(cd "$w" && "$MATRIXC" -q generate >"$tmp/out" 2>"$tmp/err")
	st=$?
	ok=0
	[ "$st" = 3 ] || { echo "# exit status $st, want 3"; sed 's/^/#   /' "$tmp/err" | head; ok=1; }
	grep -q 'Read-only file system' "$tmp/err" || { echo "# no EROFS reported"; sed 's/^/#   /' "$tmp/err" | head -3; ok=1; }
	same_tree "$w/generated" "$refA" || { echo "# generated/ changed"; ok=1; }
	result $ok "read-only file system: reported, exit 3, nothing changed"
	(cd "$w" && "$MATRIXC" check >/dev/null 2>&1)
	[ $? = 1 ]; result $? "read-only file system: check reports stale"
	umount_tmpfs "$mnt"
else
	for t in "disk full: exit 3" "disk full: old tree" "disk full: nothing left" "disk full: check" \
		"read-only: exit 3" "read-only: check"; do
		skip "$t (mount -t tmpfs not permitted)"
	done
fi

# --- two runs at once -------------------------------------------------------

# generate waits for a lock held on the output's parent directory (the
# lock must outlive the swap, which replaces the output directory)
w=$tmp/lock
project "$w" B
if command -v flock >/dev/null; then
	flock "$w" sleep 2 &
	holder=$!
	sleep 0.3
	start=$(date +%s.%N)
	(cd "$w" && "$MATRIXC" -q generate >/dev/null 2>&1)
	st=$?
	end=$(date +%s.%N)
	wait "$holder"
	awk -v s="$start" -v e="$end" -v st="$st" 'BEGIN { exit !(st == 0 && e - s >= 1.2) }'
	result $? "generate waits while another process holds the lock on the output's parent"
else
	skip "lock wait (no flock(1))"
fi

# A and B at once, again and again: the result is exactly one of them.
w=$tmp/race
mkdir -p "$w/a" "$w/b"
project "$w/a" A
project "$w/b" B
project "$tmp/plainA" A
project "$tmp/plainB" B
(cd "$tmp/plainA" && "$MATRIXC" -q generate) && (cd "$tmp/plainB" && "$MATRIXC" -q generate)
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
	if ! same_tree "$w/out" "$tmp/plainA/generated" && ! same_tree "$w/out" "$tmp/plainB/generated"; then
		echo "# round $i: the output is neither A nor B"
		diff -r "$w/out" "$tmp/plainA/generated" | head -5 | sed 's/^/#   /'
		ok=1
	fi
	[ ! -e "$w/.out.matrixc-swap" ] || { echo "# round $i: a tree left beside the output"; ok=1; }
done
result $ok "three generate runs at once, ten times: each succeeds, the result is exactly A or B"

# --- a 10,000-cell tree, killed all over its run ------------------------------

# The matrix of bench/genmatrix.py at 10,000 cells (125 versions x 80
# variants), over a made-up release table so that the test needs nothing
# outside the repository; B adds an environment variable, which changes
# every Dockerfile and the CI file. On a tmpfs where mount is permitted:
# its syncfs costs nothing, and the trees are 100 MB each.
big=$tmp/big
if ! command -v python3 >/dev/null; then
	skip "10,000 cells: kills over the whole run (no python3 for bench/genmatrix.py)"
	skip "10,000 cells: kill -9 after stepped delays (no python3)"
	tap_done
fi
kills=${FAULTS_BIG_KILLS:-4}
mount_tmpfs "$big" 1g || { mkdir -p "$big"; kills=${FAULTS_BIG_KILLS:-2}; }
{
	printf 'version\turl\tsha256\n'
	i=0
	while [ $i -lt 130 ]; do
		printf '3.8.%d\thttps://www.python.org/ftp/python/3.8.%d/Python-3.8.%d.tar.xz\t%064x\n' $i $i $i $((i + 1))
		i=$((i + 1))
	done
} >"$big/releases.tsv"
mkdir -p "$big/A" "$big/B"
python3 "$repo/bench/genmatrix.py" 10000 "$big/A" "$big/releases.tsv"
cp "$big/A/matrix.yaml" "$big/A/matrix.lock.json" "$big/B/"
printf 'env:\n  CHANGED: "yes"\n' >>"$big/B/matrix.yaml"
for m in A B; do
	(cd "$big/$m" && "$MATRIXC" -q generate) || { result 1 "10,000 cells: reference tree $m"; tap_done; }
	echo mine >"$big/$m/generated/NOTES.md"
done
bigA=$big/A/generated
bigB=$big/B/generated
(cd "$bigB" && find . | sort) >"$tmp/bigB.files"
(cd "$bigA" && find . -type f -exec md5sum {} + >"$tmp/bigA.sums")
n=$(find "$bigB" -type f | wc -l)

# big_fresh: the old tree in $big/w, with B's matrix; hard links to the
# reference (generate never writes a file in place, and it is compared
# byte for byte at the end)
big_fresh() {
	rm -rf "$big/w" "$big/.generated.matrixc-swap"
	mkdir "$big/w"
	cp "$big/B/matrix.yaml" "$big/B/matrix.lock.json" "$big/w/"
	cp -al "$bigA" "$big/w/generated"
}

# big_state: one_state for $big/w, comparing first with the tree its
# manifest says it is
big_state() {
	if cmp -s "$big/w/generated/.matrixc-manifest" "$bigB/.matrixc-manifest"; then
		one_state "$big/w" "$bigB" "$bigA" && { [ $state = old ] && state=new || state=old; }
	else
		one_state "$big/w" "$bigA" "$bigB"
	fi
}

# big_recovers: a plain generate brings $big/w to B, and removes what a
# killed run left: check (which compares every generated file byte for
# byte) passes, the same set of files, the user's file kept
big_recovers() {
	(cd "$big/w" && "$MATRIXC" -q generate >/dev/null 2>"$tmp/rec.err" &&
		"$MATRIXC" check >/dev/null 2>&1) &&
		(cd "$big/w/generated" && find . | sort) | cmp -s - "$tmp/bigB.files" &&
		cmp -s "$big/w/generated/NOTES.md" "$bigB/NOTES.md" ||
		{ echo "# a plain generate did not recover"; sed 's/^/#   /' "$tmp/rec.err"; return 1; }
	[ ! -e "$big/$spare" ] || { echo "# $spare survives the next generate"; return 1; }
}

big_fresh
(cd "$big/w" && MATRIXC_FAULT=any:0:count "$fbin" -q generate >/dev/null 2>"$tmp/err")
total=$(sed -n 's/^matrixc: fault count any //p' "$tmp/err")
same_tree "$big/w/generated" "$bigB" && [ "${total:-0}" -gt 20000 ]
result $? "10,000 cells ($n files): generate counts $total file operations, and writes B"

# kills evenly spread over every file operation, and at the swap itself
# (just before the sync that precedes it, at it, at the sync after it)
points=""
i=1
while [ $i -le "$kills" ]; do
	points="$points any:$((total * i / (kills + 1))):kill"
	i=$((i + 1))
done
points="$points fsync:1:kill swap:1:kill fsync:2:kill"
ok=0
old=0 new=0 left=0
for p in $points; do
	big_fresh
	killed_run "$big/w" "$p"
	[ "$st" = 137 ] || { echo "# $p: exit status $st, want 137 (killed)"; ok=1; }
	big_state || { echo "# ... after a kill at $p"; ok=1; }
	eval "$state=\$((\$$state + 1))"
	[ -e "$big/$spare" ] && left=$((left + 1))
	echo "# $p: the $state tree$( [ -e "$big/$spare" ] && echo ", $spare left")"
	big_recovers || ok=1
done
[ "$old" -gt 0 ] && [ "$new" -gt 0 ] || { echo "# the kills did not land on both sides of the swap"; ok=1; }
result $ok "10,000 cells, $((kills + 3)) kills over the whole run: $old left the old tree, $new the new one, none mixed; the next generate recovers and removes the leftover"

# kill -9 from outside, after delays stepped over the release binary's run
big_fresh
start=$(date +%s%N)
(cd "$big/w" && "$MATRIXC" -q generate >/dev/null 2>&1)
span=$((($(date +%s%N) - start) / 1000000))
ok=0
old=0 new=0
for pct in 40 80; do
	big_fresh
	(cd "$big/w" && exec "$MATRIXC" -q generate >/dev/null 2>&1) &
	pid=$!
	sleep "$(awk -v ms="$span" -v p="$pct" 'BEGIN { printf "%.3f", ms * p / 100000 }')"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	big_state || { echo "# ... after kill -9 at $pct% of ${span} ms"; ok=1; }
	eval "$state=\$((\$$state + 1))"
	big_recovers || ok=1
done
result $ok "10,000 cells, kill -9 at 40% and 80% of a ${span} ms run: $old old, $new new, none mixed; recovery"
rm -rf "$big/w"
(cd "$bigA" && md5sum -c --quiet "$tmp/bigA.sums" >/dev/null 2>&1)
result $? "10,000 cells: the old tree the runs started from, hard-linked, was never written through"

tap_done
