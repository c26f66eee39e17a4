#!/bin/sh
# run.sh SERIES VARIANT... - build real CPython images from generated files,
# offline, and run Python inside them.
#
#   tests/e2e/run.sh 3.13 wee              (make e2e, with 2.7 wee)
#   tests/e2e/run.sh 2.7 wee               (make e2e: Debian bullseye)
#   tests/e2e/run.sh 3.13 wee-optimized    (make e2e-pgo)
#   tests/e2e/run.sh 3.11 wee              (make e2e-nis)
#   E2E_SPEED=1 tests/e2e/run.sh 3.13 wee wee-optimized   (make e2e-speed)
#
# Each series has its matrix.yaml and matrix.lock.json: 3.13 in this
# directory, the others in a directory named after the series.
#
# 1. installs buildah, debootstrap, skopeo and docker-registry (apt-get)
#    when they are missing, and starts a registry of its own on 127.0.0.1
#    (tests/lib/registry.sh; stopped on every exit);
# 2. reads the cell's base image from `matrixc list --json`: the shipped
#    hooks may move it (2.7 goes to bullseye), then the e2e matrices' last
#    hook, local-registry.lua, names it on that registry
#    (127.0.0.1:PORT/debian:bookworm-slim);
# 3. debootstraps that Debian release, commits it in a buildah storage of
#    its own (nothing outside the work directory is touched, and removing
#    the directory removes every image), pushes it to the registry under
#    the base's name, and removes the local copy: the build can only get
#    it from the registry, by digest;
# 4. takes the CPython tarball from Debian's source package of that series
#    (apt-get source --download-only, from a deb-src line in a private apt
#    directory: the machine's apt configuration is only read), checks it
#    against the lock's sha256 (and the lock against
#    ../shared/data/cpython-source-checksums.tsv where it lists the URL)
#    and serves it on 127.0.0.1 in python.org's layout, with a release
#    list that names only the lock's release;
# 5. runs `matrixc update` against that list and the registry: the lock
#    gets the digest skopeo reads from the registry, and no release moves;
#    `matrixc generate` then writes FROM IMAGE:TAG@sha256:DIGEST;
# 6. proves the sha256 check bites: with a wrong sha256 in a copy of the
#    lock the build must fail in the verification step (buildah pulls the
#    base by digest from the registry here);
# 7. builds each variant with the generated Makefile's own build-TAG target;
# 8. runs Python inside each image: the Dockerfile's own smoke test again,
#    from outside, the version, python and nis (3.x), UCS-4, OpenSSL and
#    non-ASCII output to a pipe (2.7), the rpath of the python binary, pip
#    as the variant promises, no Tcl/Tk and no test suite, the base
#    digest buildah recorded;
# 9. with E2E_SPEED=1, times tests/e2e/speed.py in every image, rounds
#    alternating the images, and prints each variant's median relative to
#    the first variant's;
# 10. prints each image's size and what it adds on top of the base.
#
# Output is TAP; the exit status is 0 only when every check passed.
# Needs root (debootstrap, buildah). E2E_KEEP=1 keeps the work directory.
set -u

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
. "$here/lib.sh"
. "$repo/tests/lib/registry.sh"

series=${1:-}
[ $# -ge 2 ] && shift
variants=$*
MATRIXC=${MATRIXC:-$repo/build/matrixc}
checksums=$repo/../shared/data/cpython-source-checksums.tsv

die() {
	echo "Bail out! $*"
	exit 1
}

case $series in
3.13) cfg=$here src_suites=${E2E_SRC_SUITES:-trixie} ;;
2.7) cfg=$here/2.7 src_suites=bullseye ;;
3.11) cfg=$here/3.11 src_suites=bookworm ;;
*)
	echo "usage: $0 3.13|3.11|2.7 VARIANT..." >&2
	exit 2
	;;
esac
[ -n "$variants" ] || die "no variant given"
[ "$(id -u)" = 0 ] || die "the e2e test needs root (debootstrap, buildah)"
[ -x "$MATRIXC" ] || die "no matrixc binary at $MATRIXC (run make first)"
[ -r "$checksums" ] || die "missing $checksums"

t_start=$(e2e_now)
work=$(mktemp -d "${TMPDIR:-/tmp}/matrixc-e2e.XXXXXX") || die "mktemp failed"
server_pid=

cleanup() {
	status=$?
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
	registry_stop
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
# The registry and the mirror are on 127.0.0.1: never through a proxy.
NO_PROXY=127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}
no_proxy=127.0.0.1,localhost${no_proxy:+,$no_proxy}
export NO_PROXY no_proxy

nvariants=$(echo $variants | wc -w)
plan=$((7 + 13 * nvariants))
[ "${E2E_SPEED:-0}" = 1 ] && plan=$((plan + 1))
echo "1..$plan"

# --- 1. tools ---------------------------------------------------------
missing=
for p in buildah debootstrap skopeo docker-registry curl make python3 \
	xz-utils binutils; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
		grep -q '^install ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
	e2e_note "installing:$missing"
	{ apt-get update -q && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -q --no-install-recommends $missing; } \
		>"$work/apt.log" 2>&1
fi
if command -v buildah >/dev/null && command -v debootstrap >/dev/null &&
	command -v skopeo >/dev/null && command -v docker-registry >/dev/null; then
	e2e_ok "buildah, debootstrap, skopeo and docker-registry installed ($(buildah --version | cut -d' ' -f1-3))"
else
	tail -n 20 "$work/apt.log" 2>/dev/null
	die "could not install buildah, debootstrap, skopeo and docker-registry"
fi
registry_start "$work/registry" || die "the local registry did not start"
e2e_note "registry at $REGISTRY (storage in the work directory)"

mirror=$(e2e_mirror)
[ -n "$mirror" ] || die "no Debian archive in this machine's apt configuration"

# --- 2. the base image a cell uses --------------------------------------
lock=$cfg/matrix.lock.json
lock_field() { # KEY: the (only) release's field in the lock file
	python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))["releases"]
print(list(r.values())[0][sys.argv[2]])' "$lock" "$1"
}
version=$(lock_field version)
lock_url=$(lock_field url)
lock_sha=$(lock_field sha256)
[ "${version%.*}" = "$series" ] || die "$lock is not for $series"
tarball=$(basename "$lock_url")
# The checksum list holds python.org's files; where it lists the lock's
# URL, the lock must agree with it.
tsv_sha=$(awk -F '\t' -v u="$lock_url" '$2 == u { print $3 }' "$checksums")
if [ -n "$tsv_sha" ] && [ "$tsv_sha" != "$lock_sha" ]; then
	die "$lock does not match $checksums for $lock_url"
fi

# prepare DIR LOCK: the series' matrix, LOCK, the shipped hooks and the
# registry hook (local-registry.lua naming $REGISTRY) in DIR
prepare() {
	mkdir -p "$1"
	cp "$cfg/matrix.yaml" "$1/matrix.yaml"
	cp "$2" "$1/matrix.lock.json"
	rm -rf "$1/lua"
	cp -R "$repo/lua" "$1/lua"
	sed "s/@REGISTRY@/$REGISTRY/" "$here/local-registry.lua" \
		>"$1/lua/local-registry.lua"
}
generate() { # DIR LOCK
	prepare "$1" "$2"
	(cd "$1" && "$MATRIXC" generate) >"$1.generate.log" 2>&1
}
prepare "$work/good" "$lock"
base_image=$(cd "$work/good" && "$MATRIXC" list --json 2>"$work/list.log" |
	python3 -c 'import json, sys
print(" ".join(sorted({c["base"] for c in json.load(sys.stdin)})))')
suite=$(echo "$base_image" | sed -n "s|^$REGISTRY/debian:\\([a-z]*\\)-slim\$|\\1|p")
[ -n "$suite" ] || die "the base image '$base_image' is not a Debian slim image on $REGISTRY: $(cat "$work/list.log")"

# --- 3. base image, pushed to the registry --------------------------------
# Committed under a local name, pushed under the base's name, then removed:
# the builds below can only take it from the registry.
local_base=localhost/e2e-base:$suite-slim
raw_digest() { # REF: sha256:HEX of the manifest bytes the registry serves
	skopeo inspect --raw --tls-verify=false "docker://$1" >"$work/raw.json" \
		2>"$work/skopeo.log" &&
		echo "sha256:$(sha256sum <"$work/raw.json" | cut -d' ' -f1)"
}
size_of() { # bytes: the sum of the image's (uncompressed) layers
	buildah inspect --type image --format '{{.Manifest}}' "$1" 2>/dev/null |
		python3 -c 'import json, sys
print(sum(l["size"] for l in json.load(sys.stdin)["layers"]))'
}
t0=$(e2e_now)
"$here/base-image.sh" "$suite" "$mirror" "$work/rootfs" "$local_base" \
	>"$work/base.log" 2>&1 || {
	cat "$work/base.log"
	die "could not build the base image"
}
rm -rf "$work/rootfs" "$work/rootfs.log"
# Measured here: a pulled image's manifest lists compressed layer sizes.
base_size=$(size_of "$local_base")
if buildah push --quiet --tls-verify=false "$local_base" "docker://$base_image" \
	>"$work/push.log" 2>&1 &&
	buildah rmi "$local_base" >>"$work/push.log" 2>&1 &&
	base_digest=$(raw_digest "$base_image"); then
	e2e_ok "base image from debootstrap ($suite, $(($(e2e_now) - t0)) s), pushed as $base_image ($base_digest)"
else
	cat "$work/push.log" "$work/skopeo.log"
	die "could not push the base image to $REGISTRY"
fi

# --- 4. CPython source from Debian --------------------------------------
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
mkdir -p "$work/www/$version"
ln "$orig" "$work/www/$version/$tarball"
if [ "$deb_sha" = "$lock_sha" ]; then
	if [ -n "$tsv_sha" ]; then
		e2e_ok "Debian's $(basename "$orig") is python.org's $tarball byte for byte (sha256 $lock_sha)"
	else
		e2e_ok "Debian's $(basename "$orig") has the lock's sha256 for $tarball ($lock_sha)"
	fi
else
	# Not the lock's bytes: build from Debian's with its own checksum,
	# and say so.
	e2e_ok "# TODO Debian's tarball differs from the lock's ($deb_sha, lock $lock_sha): using a test lock file with Debian's checksum"
	sed "s/$lock_sha/$deb_sha/" "$lock" >"$work/debian.lock.json"
	lock=$work/debian.lock.json
	lock_sha=$deb_sha
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

# --- 5. matrixc update: the base's digest, from the registry ---------------
# python.org's release list, naming the lock's release only: update finds
# the release current (no download) and asks the registry for the base.
mkdir -p "$work/www/api/v2/downloads/release"
printf '[{"name": "Python %s", "is_published": true, "pre_release": false, "resource_uri": "%s/api/v2/downloads/release/1/"}]\n' \
	"$version" "$mirror_url" >"$work/www/api/v2/downloads/release/index.html"
prepare "$work/good" "$lock"
(cd "$work/good" && "$MATRIXC" update --source "$mirror_url") >"$work/update.log" 2>&1
st=$?
lock_digest=$(python3 -c 'import json, sys
print(json.load(open(sys.argv[1])).get("bases", {}).get(sys.argv[2], {}).get("digest", ""))' \
	"$work/good/matrix.lock.json" "$base_image")
skopeo_digest=$(skopeo inspect --tls-verify=false --format '{{.Digest}}' \
	"docker://$base_image" 2>>"$work/skopeo.log")
same_releases() { # LOCK LOCK: their releases are equal
	python3 -c 'import json, sys
a, b = (json.load(open(f))["releases"] for f in sys.argv[1:])
sys.exit(a != b)' "$1" "$2"
}
if [ "$st" = 0 ] && [ "$lock_digest" = "$base_digest" ] &&
	[ "$skopeo_digest" = "$base_digest" ] &&
	grep -qxF "$base_image: (none) -> $base_digest" "$work/update.log" &&
	same_releases "$lock" "$work/good/matrix.lock.json"; then
	e2e_ok "matrixc update locked $base_image at the digest skopeo reads (sha256 of the raw manifest), no release moved"
	sed 's/^/#   /' "$work/update.log"
else
	e2e_not_ok "matrixc update locked $base_image at $base_digest (exit $st, lock '$lock_digest', skopeo '$skopeo_digest')"
	sed 's/^/#   /' "$work/update.log" "$work/good/matrix.lock.json"
	die "matrixc update did not pin the base"
fi
cp "$work/good/matrix.lock.json" "$work/pinned.lock.json"
lock=$work/pinned.lock.json

first=${variants%% *}
dockerfile=$work/good/generated/$version/$first/Dockerfile
froms() { # DOCKERFILE: its FROM images, one line each, unique
	awk '$1 == "FROM" { print $2 }' "$1" | sort -u
}
pinned=yes
if generate "$work/good" "$lock"; then
	for variant in $variants; do
		df=$work/good/generated/$version/$variant/Dockerfile
		[ -f "$df" ] && [ "$(froms "$df")" = "$base_image@$base_digest" ] &&
			[ "$(awk '$1 == "FROM"' "$df" | wc -l)" = 2 ] || pinned=no
	done
else
	pinned=no
fi
if [ "$pinned" = yes ]; then
	if [ "$first" = "$variants" ]; then
		files=generated/$version/$first/Dockerfile
	else
		files="generated/$version/{$(echo $variants | tr ' ' ,)}/Dockerfile"
	fi
	e2e_ok "matrixc generate wrote $files and generated/Makefile, both stages FROM $base_image@$base_digest"
else
	cat "$work/good.generate.log"
	[ -f "$dockerfile" ] && grep '^FROM' "$dockerfile" | sed 's/^/#   /'
	die "matrixc generate did not write the pinned FROM"
fi

# --- 6. the sha256 check bites ---------------------------------------------
# The Makefile's own PULL (--pull): buildah pulls the base by digest from
# the registry, over plain http (--tls-verify=false, this build only).
build() { # DIR TAG LOG
	nice -n 10 make -f "$1/generated/Makefile" "build-$2" DOCKER=buildah \
		BUILD_FLAGS=--tls-verify=false PYTHON_MIRROR="$mirror_url" PKG_PROXY= \
		>"$3" 2>&1
}
wrong=$(echo "not $lock_sha" | sha256sum | cut -d' ' -f1)
sed "s/$lock_sha/$wrong/" "$lock" >"$work/wrong.lock.json"
t0=$(e2e_now)
generate "$work/bad" "$work/wrong.lock.json" || {
	cat "$work/bad.generate.log"
	die "matrixc generate failed on the wrong-sha256 lock file"
}
if build "$work/bad" "$version-$first" "$work/bad.log"; then
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
buildah images --json >"$work/images.json" 2>&1
if python3 -c 'import json, sys
want = sys.argv[2] + "@" + sys.argv[3]
sys.exit(not any(want in i["names"] and i["digest"] == sys.argv[3]
                 for i in json.load(open(sys.argv[1]))))' \
	"$work/images.json" "${base_image%:*}" "$base_digest"; then
	e2e_ok "buildah pulled ${base_image%:*}@$base_digest from the registry (the debootstrap commit was removed after the push)"
else
	e2e_not_ok "buildah pulled ${base_image%:*}@$base_digest from the registry"
	sed 's/^/#   /' "$work/images.json"
fi

# --- 7 and 8. build each variant, run Python inside it ---------------------
major=${series%%.*}
py=python3 cmds="python3 python"
[ "$major" = 2 ] && py=python cmds="python2 python"

# The runtime stage's RUN after the COPY of /usr/local (the smoke test),
# as a shell script: up to its first line without a continuation.
smoke_script() { # DOCKERFILE
	awk '/^COPY --from=builder \/usr\/local / { on = 1; next }
		on && /^RUN / { sub(/^RUN /, ""); go = 1 }
		go { print; if (!/\\$/) exit }' "$1"
}

check_image() { # VARIANT
	variant=$1
	tag=$version-$variant
	image=localhost/python:$tag
	df=$work/good/generated/$version/$variant/Dockerfile
	ctr=$(buildah from --pull=never "$image") || {
		e2e_not_ok "buildah from $image"
		return
	}
	run() {
		buildah run "$ctr" -- "$@"
	}

	# The Dockerfile's own smoke test, from outside.
	if run sh -c "$(smoke_script "$df")" >"$work/smoke-$variant.log" 2>&1; then
		e2e_ok "$variant: the Dockerfile's smoke test passes in the image (ldd, every lib-dynload module, commands, version$([ "$major" = 3 ] && echo ', venv'))"
	else
		e2e_not_ok "$variant: the Dockerfile's smoke test passes in the image"
		tail -n 20 "$work/smoke-$variant.log" | sed 's/^/#   /'
	fi

	for p in $cmds; do
		out=$(run $p --version 2>&1)
		if [ "$out" = "Python $version" ]; then
			e2e_ok "$variant: $p --version prints '$out'"
		else
			e2e_not_ok "$variant: $p --version prints 'Python $version' (got '$out')"
		fi
	done

	case $series in
	3.[0-9] | 3.1[0-2]) nis=nis ;;
	*) nis= ;; # 2.7 has it too, but the issue was 3.x; removed in 3.13
	esac
	if [ -z "$nis" ]; then
		e2e_ok "$variant: import nis # SKIP CPython $series is not a 3.x before 3.13"
	elif out=$(run python -B -W ignore -c 'import nis; print(nis.__file__)' 2>&1); then
		e2e_ok "$variant: python -c 'import nis' ($out)"
	else
		e2e_not_ok "$variant: python -c 'import nis'"
		echo "$out" | sed 's/^/#   /'
	fi

	# The generated Dockerfile's own import list, run again, and what
	# the modules link to.
	modules=$(sed -n "s/.*$py -B -c '\(import ssl[^']*\)'.*/\1/p" "$df")
	[ -n "$modules" ] || modules="import ssl"
	if out=$(run $py -B -c "$modules; import ssl, sqlite3; print(ssl.OPENSSL_VERSION + ', sqlite ' + sqlite3.sqlite_version)" 2>&1); then
		e2e_ok "$variant: ${modules#import } ($out)"
	else
		e2e_not_ok "$variant: ${modules#import }"
		echo "$out" | sed 's/^/#   /'
	fi

	# 2.7: UCS-4, and text to a pipe (the $(...) here) in UTF-8.
	if [ "$major" = 2 ]; then
		out=$(run python -c 'import sys; print(sys.maxunicode)' 2>&1)
		if [ "$out" = 1114111 ]; then
			e2e_ok "$variant: sys.maxunicode == 1114111 (UCS-4)"
		else
			e2e_not_ok "$variant: sys.maxunicode == 1114111 (got '$out')"
		fi
		out=$(run python -c 'print u"caf\u00e9 \u2713"' 2>&1)
		if [ "$out" = "café ✓" ]; then
			e2e_ok "$variant: print u\"caf\\u00e9 \\u2713\" to a pipe prints '$out'"
		else
			e2e_not_ok "$variant: print u\"caf\\u00e9 \\u2713\" to a pipe (got '$out')"
		fi
	else
		e2e_ok "$variant: UCS-4 and non-ASCII to a pipe # SKIP 2.7 only"
		e2e_ok "$variant: (2.7 only) # SKIP"
	fi

	# The python binary loads its own libpython: RUNPATH $ORIGIN/../lib.
	mnt=$(buildah mount "$ctr" 2>/dev/null)
	bin=$(run readlink -f /usr/local/bin/python 2>/dev/null)
	if [ -n "$mnt" ] && readelf -d "$mnt$bin" 2>&1 | grep -F '[$ORIGIN/../lib]' >"$work/rpath.log"; then
		e2e_ok "$variant: $bin has $(sed 's/.*(\(RUN\)*\(PATH\)).*\(\[.*\]\)/\1\2 \3/' "$work/rpath.log" | head -n 1)"
	else
		e2e_not_ok "$variant: $bin has a RUNPATH of \$ORIGIN/../lib"
		[ -n "$mnt" ] && readelf -d "$mnt$bin" 2>&1 | grep -i path | sed 's/^/#   /'
	fi
	[ -n "$mnt" ] && buildah umount "$ctr" >/dev/null 2>&1

	if run $py -B -m pip --version >"$work/pip.log" 2>&1; then
		pip_found=present
	else
		pip_found=absent
	fi
	pip_expected=absent
	grep -q '(PGO .*, pip on)' "$df" && pip_expected=present
	if [ "$pip_found" = "$pip_expected" ]; then
		e2e_ok "$variant: pip is $pip_expected, as the variant promises"
		[ "$pip_found" = present ] && sed 's/^/#   /' "$work/pip.log"
	else
		e2e_not_ok "$variant: pip is $pip_expected, as the variant promises (it is $pip_found)"
	fi

	leftovers=
	mods="tkinter _tkinter idlelib turtledemo test"
	[ "$major" = 2 ] && mods="Tkinter _tkinter idlelib test ensurepip"
	for m in $mods; do
		run $py -B -c "import $m" >/dev/null 2>&1 && leftovers="$leftovers $m"
	done
	if [ -z "$leftovers" ]; then
		e2e_ok "$variant: no Tcl/Tk, IDLE or test suite in the image"
	else
		e2e_not_ok "$variant: no Tcl/Tk, IDLE or test suite in the image (found:$leftovers)"
	fi
	buildah rm "$ctr" >/dev/null 2>&1
}

mb() {
	awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1000000 }'
}

for variant in $variants; do
	tag=$version-$variant
	t0=$(e2e_now)
	if build "$work/good" "$tag" "$work/build-$variant.log"; then
		build_s=$(($(e2e_now) - t0))
		e2e_ok "make -f generated/Makefile build-$tag ($build_s s)"
		# the builder's step that prints the list, up to the next step
		# (the run stage's apt-get line names the file too: not that one)
		awk '/cat \/usr\/src\/run-packages/ && !seen { seen = 1; next }
			seen && /^STEP|^\[/ { exit } seen' "$work/build-$variant.log" |
			tr '\n' ' ' | sed 's/^/# run-time packages derived: /; s/$/\n/'
	else
		tail -n 40 "$work/build-$variant.log" | sed 's/^/#   /'
		e2e_not_ok "make -f generated/Makefile build-$tag"
		die "the image did not build (log above)"
	fi
	# buildah's own record of the base it built on
	built_on=$(buildah inspect --type image --format '{{.Manifest}}' \
		"localhost/python:$tag" 2>/dev/null | python3 -c 'import json, sys
print(json.load(sys.stdin).get("annotations", {}).get("org.opencontainers.image.base.digest", ""))')
	if [ "$built_on" = "$base_digest" ]; then
		e2e_ok "$variant: the image is built on $base_digest (its manifest's base.digest annotation)"
	else
		e2e_not_ok "$variant: the image is built on $base_digest (annotation: '$built_on')"
	fi
	check_image "$variant"
	img_size=$(size_of "localhost/python:$tag")
	if [ -n "$img_size" ] && [ -n "$base_size" ]; then
		added=$((img_size - base_size))
		e2e_note "image python:$tag: $(mb "$img_size"), base $(mb "$base_size"), added $(mb "$added"), build $build_s s"
		if [ "$variant" = wee ] && [ "$added" -gt 60000000 ]; then
			e2e_not_ok "$variant: image adds at most 60 MB to the base (adds $(mb "$added"))"
		else
			e2e_ok "$variant: image size $(mb "$img_size"), $(mb "$added") on top of the base"
		fi
	else
		e2e_not_ok "$variant: image size (buildah inspect failed)"
	fi
done

# --- 9. speed ----------------------------------------------------------------
if [ "${E2E_SPEED:-0}" = 1 ]; then
	rounds=${E2E_SPEED_ROUNDS:-7}
	code=$(cat "$here/speed.py")
	for variant in $variants; do
		eval "ctr_$(echo "$variant" | tr -c 'a-z0-9\n' _)=\$(buildah from --pull=never localhost/python:$version-$variant)"
	done
	: >"$work/speed.tsv"
	r=1
	while [ "$r" -le "$rounds" ]; do
		# rotate the order each round, so that no variant always runs
		# first (or last) in the machine's load
		order=$variants
		i=1
		while [ "$i" -lt "$r" ]; do
			order="$(echo $order | cut -d' ' -f2-) $(echo $order | cut -d' ' -f1)"
			i=$((i + 1))
		done
		for variant in $order; do
			eval "c=\$ctr_$(echo "$variant" | tr -c 'a-z0-9\n' _)"
			buildah run "$c" -- $py -c "$code" |
				sed "s/^/$variant	$r	/" >>"$work/speed.tsv"
		done
		r=$((r + 1))
	done
	if python3 "$here/speed-table.py" "$work/speed.tsv" $variants >"$work/speed.txt"; then
		e2e_ok "speed: $rounds rounds, medians relative to $first"
		sed 's/^/# /' "$work/speed.txt"
	else
		e2e_not_ok "speed"
		tail -n 5 "$work/speed.tsv" | sed 's/^/#   /'
	fi
fi

e2e_note "total $(($(e2e_now) - t_start)) s"
echo "e2e: $((E2E_N - E2E_FAILED)) passed, $E2E_FAILED failed"
[ "$E2E_FAILED" -eq 0 ] && [ "$E2E_N" -eq "$plan" ]
