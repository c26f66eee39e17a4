#!/bin/sh
# run.sh VARIANT - build a real CPython image from generated files, offline.
#
#   tests/e2e/run.sh wee             (make e2e)
#   tests/e2e/run.sh wee-optimized   (make e2e-pgo: PGO, about 4 more minutes)
#
# 1. installs buildah and debootstrap (apt-get) when they are missing;
# 2. debootstraps a Debian base and tags it as the matrix's base image, in
#    a buildah storage of its own (nothing outside the work directory is
#    touched, and removing the directory removes every image);
# 3. takes the CPython tarball from Debian's source packages, checks that
#    it is python.org's byte for byte (sha256 from
#    ../shared/data/cpython-source-checksums.tsv) and serves it on
#    127.0.0.1 in python.org's layout;
# 4. generates with matrixc from tests/e2e/matrix.yaml and builds the cell
#    with the generated Makefile's own build-TAG target;
# 5. runs Python inside the image: version, smoke-test imports, pip as the
#    variant promises, no Tcl/Tk and no test suite;
# 6. prints the image size and what it adds on top of the base;
# and, first, proves the sha256 check bites: with a lock file whose sha256
# is wrong the build must fail in the verification step.
#
# Output is TAP; the exit status is 0 only when every check passed.
# Needs root (debootstrap, buildah). E2E_KEEP=1 keeps the work directory.
set -u

variant=${1:-wee}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
. "$here/lib.sh"

MATRIXC=${MATRIXC:-$repo/build/matrixc}
checksums=$repo/../shared/data/cpython-source-checksums.tsv
suite=bookworm           # the base image's suite (matrix.yaml: base)
base_image=docker.io/library/debian:bookworm-slim
src_suites=${E2E_SRC_SUITES:-trixie} # where Debian ships python3.13

case $variant in
wee) pip_expected=absent ;;
wee-optimized) pip_expected=present ;;
*)
	echo "usage: $0 wee|wee-optimized" >&2
	exit 2
	;;
esac

die() {
	echo "Bail out! $*"
	exit 1
}

[ "$(id -u)" = 0 ] || die "the e2e test needs root (debootstrap, buildah)"
[ -x "$MATRIXC" ] || die "no matrixc binary at $MATRIXC (run make first)"
[ -r "$checksums" ] || die "missing $checksums"

t_start=$(e2e_now)
work=$(mktemp -d "${TMPDIR:-/tmp}/matrixc-e2e.XXXXXX") || die "mktemp failed"
server_pid=

cleanup() {
	status=$?
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
	if [ -d "$work/storage" ]; then
		buildah rm --all >/dev/null 2>&1
		buildah rmi --all --force >/dev/null 2>&1
	fi
	# debootstrap mounts /proc (and more) in the rootfs; an interrupted
	# run may leave them mounted, and rm must not walk into them.
	awk -v w="$work/" 'index($2, w) == 1 { print $2 }' /proc/mounts |
		sort -r | while read -r m; do umount -l "$m"; done
	if [ "${E2E_KEEP:-0}" = 1 ]; then
		e2e_note "kept $work"
	else
		rm -rf --one-file-system "$work"
	fi
	exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A buildah storage of our own: the user's images are never touched, and
# `rm -rf $work` removes everything this test stored.
cat >"$work/storage.conf" <<EOF
[storage]
driver = "vfs"
graphroot = "$work/storage"
runroot = "$work/run"
EOF
export CONTAINERS_STORAGE_CONF="$work/storage.conf"
export STORAGE_DRIVER=vfs BUILDAH_ISOLATION=chroot

echo "1..13"

# --- 1. tools ---------------------------------------------------------
missing=
for p in buildah debootstrap curl make python3 xz-utils; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
		grep -q '^install ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
	e2e_note "installing:$missing"
	{ apt-get update -q && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -q --no-install-recommends $missing; } \
		>"$work/apt.log" 2>&1
fi
if command -v buildah >/dev/null && command -v debootstrap >/dev/null; then
	e2e_ok "buildah and debootstrap installed ($(buildah --version | cut -d' ' -f1-3))"
else
	tail -n 20 "$work/apt.log" 2>/dev/null
	die "could not install buildah and debootstrap"
fi

mirror=$(e2e_mirror)
[ -n "$mirror" ] || die "no Debian archive in this machine's apt configuration"

# --- 2. base image ------------------------------------------------------
t0=$(e2e_now)
if "$here/base-image.sh" "$suite" "$mirror" "$work/rootfs" "$base_image" \
	>"$work/base.log" 2>&1; then
	e2e_ok "base image $base_image from debootstrap ($suite, $(($(e2e_now) - t0)) s)"
else
	cat "$work/base.log"
	die "could not build the base image"
fi
rm -rf "$work/rootfs" "$work/rootfs.log"

# --- 3. CPython source from Debian --------------------------------------
lock=$here/matrix.lock.json
version=$(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$lock" | head -n 1)
series=${version%.*}
row=$(awk -F '\t' -v v="$version" '$1 == v' "$checksums")
tsv_url=$(printf '%s\n' "$row" | cut -f 2)
tsv_sha=$(printf '%s\n' "$row" | cut -f 3)
[ -n "$tsv_sha" ] || die "version $version is not in $checksums"
grep -q "\"$tsv_sha\"" "$lock" && grep -q "\"$tsv_url\"" "$lock" ||
	die "$lock does not match $checksums for $version"

apt_dir=$work/apt
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$work/src"
cat >"$apt_dir/src.sources" <<EOF
Types: deb-src
URIs: $mirror
Suites: $src_suites
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
apt_src() {
	apt-get -q -o Dir::Etc::SourceList="$apt_dir/src.sources" \
		-o Dir::Etc::SourceParts=/dev/null \
		-o Dir::State::Lists="$apt_dir/lists" \
		-o Dir::Cache="$apt_dir/cache" "$@"
}
t0=$(e2e_now)
(apt_src update && cd "$work/src" && apt_src source --download-only "python$series") \
	>"$work/source.log" 2>&1 || {
	tail -n 20 "$work/source.log"
	die "could not download Debian's python$series source package"
}
orig=$(ls "$work/src/python${series}_${version}.orig.tar."* 2>/dev/null | grep -v '\.asc$' | head -n 1)
[ -n "$orig" ] || die "Debian's python$series is not $version: $(ls "$work/src")"
deb_sha=$(sha256sum "$orig" | cut -d' ' -f1)
tarball=$(basename "$tsv_url")
mkdir -p "$work/www/$version"
ln "$orig" "$work/www/$version/$tarball"
if [ "$deb_sha" = "$tsv_sha" ]; then
	e2e_ok "Debian's $(basename "$orig") is python.org's $tarball byte for byte (sha256 $tsv_sha)"
else
	# Not python.org's bytes: build from Debian's with its own checksum,
	# and say so.
	e2e_ok "# TODO Debian's tarball differs from python.org's ($deb_sha, python.org $tsv_sha): using a test lock file with Debian's checksum"
	sed "s/$tsv_sha/$deb_sha/" "$lock" >"$work/debian.lock.json"
	lock=$work/debian.lock.json
fi

# python.org's layout on 127.0.0.1, on a port the kernel picks.
python3 -u -m http.server --bind 127.0.0.1 --directory "$work/www" 0 \
	>"$work/http.log" 2>&1 &
server_pid=$!
port=
for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
	port=$(sed -n 's/.* port \([0-9][0-9]*\).*/\1/p' "$work/http.log" | head -n 1)
	[ -n "$port" ] && break
	sleep 0.25
done
[ -n "$port" ] || die "the local mirror did not start: $(cat "$work/http.log")"
mirror_url=http://127.0.0.1:$port
curl -fsS -o /dev/null "$mirror_url/$version/$tarball" ||
	die "the local mirror does not serve $version/$tarball"
e2e_note "serving $version/$tarball at $mirror_url ($(($(e2e_now) - t0)) s)"

# --- 4. generate, build with the generated Makefile -----------------------
tag=$version-$variant
generate() { # DIR LOCK
	mkdir -p "$1"
	cp "$here/matrix.yaml" "$1/matrix.yaml"
	cp "$2" "$1/matrix.lock.json"
	(cd "$1" && "$MATRIXC" generate) >"$1.generate.log" 2>&1
}
build() { # DIR LOG
	make -f "$1/generated/Makefile" "build-$tag" DOCKER=buildah \
		BUILD_FLAGS=--pull=never PYTHON_MIRROR="$mirror_url" PKG_PROXY= \
		>"$2" 2>&1
}

if generate "$work/good" "$lock" && [ -f "$work/good/generated/$version/$variant/Dockerfile" ]; then
	e2e_ok "matrixc generate wrote generated/$version/$variant/Dockerfile and generated/Makefile"
else
	cat "$work/good.generate.log"
	die "matrixc generate failed"
fi

# The sha256 check bites: the wrong lock file must stop the build in the
# verification step, before configure.
t0=$(e2e_now)
generate "$work/bad" "$here/wrong-sha256.lock.json" || {
	cat "$work/bad.generate.log"
	die "matrixc generate failed on the wrong-sha256 lock file"
}
if build "$work/bad" "$work/bad.log"; then
	e2e_not_ok "a wrong sha256 fails the build"
elif grep -q 'sha256sum: WARNING: 1 computed checksum did NOT match' "$work/bad.log" &&
	grep -q "^$tarball: FAILED" "$work/bad.log" &&
	! grep -q 'checking build system type' "$work/bad.log"; then
	e2e_ok "a wrong sha256 fails the build in the verification step ($(($(e2e_now) - t0)) s)"
	grep -E "(^$tarball: FAILED|did NOT match)" "$work/bad.log" | sed 's/^/#   /'
else
	e2e_not_ok "a wrong sha256 fails the build in the verification step"
	tail -n 30 "$work/bad.log" | sed 's/^/#   /'
fi
buildah rm --all >/dev/null 2>&1

t0=$(e2e_now)
if build "$work/good" "$work/build.log"; then
	build_s=$(($(e2e_now) - t0))
	e2e_ok "make -f generated/Makefile build-$tag ($build_s s)"
else
	tail -n 40 "$work/build.log" | sed 's/^/#   /'
	e2e_not_ok "make -f generated/Makefile build-$tag"
	die "the image did not build (log above)"
fi

# --- 5. run Python inside the image --------------------------------------
image=localhost/python:$tag
ctr=$(buildah from --pull=never "$image") || die "buildah from $image failed"
run() {
	buildah run "$ctr" -- "$@"
}

out=$(run python3 --version 2>&1)
if [ "$out" = "Python $version" ]; then
	e2e_ok "python3 --version prints '$out'"
else
	e2e_not_ok "python3 --version prints 'Python $version' (got '$out')"
fi

# The unversioned command the official images have, and nis, whose
# libnsl2 only a derived run-time package list brings on bookworm.
out=$(run python --version 2>&1)
if [ "$out" = "Python $version" ]; then
	e2e_ok "python --version prints '$out'"
else
	e2e_not_ok "python --version prints 'Python $version' (got '$out')"
fi
case $series in
3.[0-9] | 3.1[0-2]) nis=nis ;;
*) nis= ;; # removed in 3.13 (PEP 594)
esac
if [ -z "$nis" ]; then
	e2e_ok "import nis # SKIP CPython $series has no nis module"
elif out=$(run python3 -B -W ignore -c 'import nis; print(nis.__file__)' 2>&1); then
	e2e_ok "import nis ($out)"
else
	e2e_not_ok "import nis"
	echo "$out" | sed 's/^/#   /'
fi

# The generated Dockerfile's own import list, run again from outside.
modules=$(sed -n "s/.*python3 -B -c '\(import ssl[^']*\)'.*/\1/p" \
	"$work/good/generated/$version/$variant/Dockerfile")
[ -n "$modules" ] || modules="import ssl"
if out=$(run python3 -B -c "$modules; import ssl, sqlite3; print(ssl.OPENSSL_VERSION + ', sqlite ' + sqlite3.sqlite_version)" 2>&1); then
	e2e_ok "smoke test: ${modules#import } ($out)"
else
	e2e_not_ok "smoke test: ${modules#import }"
	echo "$out" | sed 's/^/#   /'
fi

if run python3 -B -m pip --version >"$work/pip.log" 2>&1; then
	pip_found=present
else
	pip_found=absent
fi
if [ "$pip_found" = "$pip_expected" ]; then
	e2e_ok "pip is $pip_expected, as variant $variant promises"
	[ "$pip_found" = present ] && sed 's/^/#   /' "$work/pip.log"
else
	e2e_not_ok "pip is $pip_expected, as variant $variant promises (it is $pip_found)"
fi

leftovers=
for m in tkinter _tkinter idlelib turtledemo test; do
	run python3 -B -c "import $m" >/dev/null 2>&1 && leftovers="$leftovers $m"
done
if [ -z "$leftovers" ]; then
	e2e_ok "no Tcl/Tk, IDLE or test suite in the image"
else
	e2e_not_ok "no Tcl/Tk, IDLE or test suite in the image (found:$leftovers)"
fi
buildah rm "$ctr" >/dev/null 2>&1

# --- 6. sizes --------------------------------------------------------------
size_of() { # bytes: the sum of the image's (uncompressed) layers
	buildah inspect --type image --format '{{.Manifest}}' "$1" 2>/dev/null |
		python3 -c 'import json, sys
print(sum(l["size"] for l in json.load(sys.stdin)["layers"]))'
}
mb() {
	awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1000000 }'
}
img_size=$(size_of "$image")
base_size=$(size_of "$base_image")
if [ -n "$img_size" ] && [ -n "$base_size" ]; then
	added=$((img_size - base_size))
	e2e_note "image $image: $(mb "$img_size"), base $(mb "$base_size"), added $(mb "$added")"
	if [ "$variant" = wee ] && [ "$added" -gt 60000000 ]; then
		e2e_not_ok "image adds at most 60 MB to the base (adds $(mb "$added"))"
	else
		e2e_ok "image size $(mb "$img_size"), $(mb "$added") on top of the base"
	fi
else
	e2e_not_ok "image size (buildah inspect failed)"
fi

e2e_note "total $(($(e2e_now) - t_start)) s"
echo "e2e: $((E2E_N - E2E_FAILED)) passed, $E2E_FAILED failed"
[ "$E2E_FAILED" -eq 0 ]
