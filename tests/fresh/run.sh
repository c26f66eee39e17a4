#!/bin/sh
# run.sh - the README's first command on a fresh Debian 12 machine
# (make fresh).
#
# 1. debootstraps Debian bookworm (minbase, plus make, which the Quick
#    start assumes) into build/fresh/bookworm, once: later runs reuse it;
# 2. copies it, and clones the repository's HEAD into the copy (git clone:
#    committed files only, never the working tree);
# 3. runs the first command of README.md's Quick start (from the clone's
#    README, verbatim: `make deps generate`) as root in a chroot of the
#    copy, with /proc mounted and no standard input, so deps installs every
#    package into a machine that has none of them;
# 4. runs `build/matrixc check` there: it must exit 0;
# 5. checks that no committed file changed: generated/ was up to date in
#    the commit (CI runs `make deps generate` in its own checkout before
#    the suite, so the suite's own staleness check cannot see it there).
# The copy is removed afterwards, and what was mounted in it is unmounted
# on every exit. The Debian mirror is the first Debian archive in this
# machine's apt configuration (tests/e2e/lib.sh), read at run time. The .deb
# files apt downloads are kept in build/fresh/debs for the next run (a
# download cache: nothing is installed in the cached rootfs, and each run
# starts from the pristine copy). `make clean` removes both.
#
# Environment: FRESH_COMMIT (default HEAD) the commit cloned; FRESH_TIMEOUT
# the seconds the command in the chroot may take (default 1800);
# FRESH_DIR (default build/fresh); FRESH_KEEP=1 keeps the copy.
# Output is TAP; the exit status is 0 only when every check passed.
# Needs root (debootstrap, chroot): skips otherwise.
set -u

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
. "$repo/tests/e2e/lib.sh"
. "$here/quickstart.sh"

suite=bookworm
limit=${FRESH_TIMEOUT:-1800}
path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP the fresh-machine test needs root (debootstrap, chroot)"
	exit 0
fi

die() {
	echo "Bail out! $*"
	exit 1
}

echo "1..4"
for c in debootstrap git chroot timeout; do
	command -v "$c" >/dev/null || die "no $c here (make test-deps installs it)"
done
mirror=$(e2e_mirror)
[ -n "$mirror" ] || die "no Debian archive in this machine's apt configuration"
# The repository may belong to another user than root (a CI checkout);
# it is the one this script is in, so git may read it.
rgit() {
	git -c 'safe.directory=*' -C "$repo" "$@"
}
commit=$(rgit rev-parse --verify "${FRESH_COMMIT:-HEAD}^{commit}") ||
	die "no commit ${FRESH_COMMIT:-HEAD}"
dir=${FRESH_DIR:-$repo/build/fresh}
mkdir -p "$dir/debs" && dir=$(cd "$dir" && pwd) || die "cannot make $dir"
base=$dir/$suite
new_base=
work=

# Everything mounted under DIR (deepest first), one a line.
mounts_under() {
	awk -v d="$1/" 'index($2 "/", d) == 1 { print $2 }' /proc/mounts | sort -r
}

# Ends what still runs in the chroot DIR (children of a command that timed
# out), unmounts what is mounted in it, then removes it; a directory that
# still has a mount is left alone, so rm never walks into /proc or /dev.
release() {
	[ -n "$1" ] && [ -d "$1" ] || return 0
	for p in /proc/[0-9]*; do
		r=$(readlink "$p/root" 2>/dev/null) || continue
		case $r in "$1" | "$1"/*) kill -9 "${p#/proc/}" 2>/dev/null ;; esac
	done
	mounts_under "$1" | while read -r m; do
		umount "$m" 2>/dev/null || umount -l "$m"
	done
	if [ -n "$(mounts_under "$1")" ]; then
		e2e_note "$1 is still mounted on; left in place"
	elif [ "${FRESH_KEEP:-0}" = 1 ] && [ "$1" = "$work" ]; then
		e2e_note "kept $1"
	else
		rm -rf --one-file-system "$1"
	fi
}

cleanup() {
	status=$?
	release "$work"
	release "$new_base"
	exit $status
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

t_start=$(e2e_now)

# --- 1. a Debian bookworm rootfs, made once --------------------------------
# Made beside its place and renamed, so a rootfs there is a whole one.
if [ -x "$base/bin/sh" ]; then
	e2e_ok "$suite rootfs: cached in $base"
else
	include="make"
	case $mirror in https:*) include=$include,ca-certificates ;; esac
	new_base=$(mktemp -d "$dir/$suite.new.XXXXXX") || die "mktemp failed"
	t0=$(e2e_now)
	# (in the background: the shell's traps run while it waits)
	timeout -k 30 900 debootstrap --variant=minbase --include="$include" \
		"$suite" "$new_base" "$mirror" >"$dir/debootstrap.log" 2>&1 &
	wait $! || {
		tail -n 20 "$dir/debootstrap.log"
		die "debootstrap $suite failed (log: $dir/debootstrap.log)"
	}
	# As in any build chroot: no service starts when a package is
	# installed, and dpkg does not sync every file it writes.
	printf '#!/bin/sh\nexit 101\n' >"$new_base/usr/sbin/policy-rc.d"
	chmod 755 "$new_base/usr/sbin/policy-rc.d"
	echo force-unsafe-io >"$new_base/etc/dpkg/dpkg.cfg.d/fresh-unsafe-io"
	rm -rf --one-file-system "$base"
	mv "$new_base" "$base" || die "cannot rename $new_base"
	new_base=
	e2e_ok "$suite rootfs: debootstrapped (minbase and make) in $(($(e2e_now) - t0)) s"
fi

# --- 2. a copy of it, with a clean clone ----------------------------------
work=$(mktemp -d "$dir/run.XXXXXX") || die "mktemp failed"
cp -a "$base/." "$work/" || die "cannot copy $base"
echo "deb $mirror $suite main" >"$work/etc/apt/sources.list"
[ -r /etc/resolv.conf ] && cp -L /etc/resolv.conf "$work/etc/resolv.conf"
# what earlier runs downloaded (hard links: the files are never changed)
find "$dir/debs" -name '*.deb' -exec ln -f {} "$work/var/cache/apt/archives/" \;
clone=$work/root/matrixc
git clone -q --no-local -u "git -c 'safe.directory=*' upload-pack" \
	"$repo" "$clone" >"$dir/clone.log" 2>&1 &&
	git -C "$clone" -c advice.detachedHead=false checkout -q --detach "$commit" \
		>>"$dir/clone.log" 2>&1 || {
	cat "$dir/clone.log"
	die "cannot clone $repo"
}
e2e_note "commit $(git -C "$clone" log -1 --format='%h %s')"
[ -z "$(rgit status --porcelain --untracked-files=no)" ] ||
	e2e_note "the working tree has changes that are not committed: they are not tested"

mount -t proc proc "$work/proc" || die "cannot mount /proc in $work"
if [ ! -c "$work/dev/null" ]; then
	# debootstrap could not make device nodes here
	mount --bind /dev "$work/dev" || die "cannot mount /dev in $work"
fi

# A login's environment, and nothing of this one but a proxy.
in_chroot() { # LIMIT COMMAND
	timeout -k 30 "$1" chroot "$work" /usr/bin/env -i PATH="$path" \
		HOME=/root ${http_proxy:+http_proxy=$http_proxy} \
		${https_proxy:+https_proxy=$https_proxy} \
		${no_proxy:+no_proxy=$no_proxy} \
		/bin/sh -c "cd /root/matrixc && $2" </dev/null
}

# --- 3. the README's first command ----------------------------------------
cmd=$(quickstart_commands "$clone/README.md" | head -n 1)
[ -n "$cmd" ] || die "no command in README.md's Quick start"
t0=$(e2e_now)
in_chroot "$limit" "$cmd" >"$dir/first.log" 2>&1 &
wait $!
st=$?
first_s=$(($(e2e_now) - t0))
# keep what apt downloaded, for the next run
for f in "$work"/var/cache/apt/archives/*.deb; do
	[ -f "$f" ] && [ ! -e "$dir/debs/${f##*/}" ] && ln "$f" "$dir/debs/"
done
if [ "$st" -eq 0 ]; then
	e2e_ok "'$cmd' in a clean clone, as root on a fresh $suite ($first_s s)"
else
	[ "$st" -eq 124 ] && e2e_note "timed out after $limit s (FRESH_TIMEOUT)"
	tail -n 30 "$dir/first.log" | sed 's/^/#   /'
	e2e_not_ok "'$cmd' in a clean clone, as root on a fresh $suite (exit $st, $first_s s; log: $dir/first.log)"
fi

# --- 4. matrixc check --------------------------------------------------------
if [ "$st" -ne 0 ]; then
	e2e_not_ok "build/matrixc check (not run: the command above failed)"
else
	in_chroot 120 "build/matrixc check" >"$dir/check.log" 2>&1 &
	wait $!
	st=$?
	if [ "$st" -eq 0 ]; then
		e2e_ok "build/matrixc check exits 0 afterwards"
	else
		head -n 30 "$dir/check.log" | sed 's/^/#   /'
		e2e_not_ok "build/matrixc check exits 0 afterwards (exit $st)"
	fi
fi

# --- 5. nothing committed changed ---------------------------------------------
changed=$(git -C "$clone" status --porcelain --untracked-files=no)
if [ -z "$changed" ]; then
	e2e_ok "no committed file changed (generated/ was up to date)"
else
	printf '%s\n' "$changed" | head -n 20 | sed 's/^/#   /'
	e2e_not_ok "no committed file changed (generated/ was up to date)"
fi

e2e_note "total $(($(e2e_now) - t_start)) s"
echo "fresh: $((E2E_N - E2E_FAILED)) passed, $E2E_FAILED failed"
[ "$E2E_FAILED" -eq 0 ]
