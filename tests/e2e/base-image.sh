#!/bin/sh
# base-image.sh SUITE MIRROR ROOTFS IMAGE - a local Debian base image.
#
# debootstrap (minbase) into ROOTFS, trim it the way Docker's debian:*-slim
# images are trimmed (no apt lists, docs, man pages or translations, and a
# dpkg config that keeps them out of later installs), and commit it into
# buildah's storage as IMAGE (run.sh then pushes it to its own registry,
# where the digest-pinned FROM finds it). Uses the caller's storage
# (CONTAINERS_STORAGE_CONF, STORAGE_DRIVER).
set -eu

suite=$1
mirror=$2
rootfs=$3
image=$4

if [ ! -x "$rootfs/bin/sh" ]; then
	debootstrap --variant=minbase "$suite" "$rootfs" "$mirror" >"$rootfs.log" 2>&1 || {
		tail -n 20 "$rootfs.log" >&2
		exit 1
	}
fi

# Keep docs, man pages and translations out of packages installed later,
# as the official slim images do.
mkdir -p "$rootfs/etc/dpkg/dpkg.cfg.d" "$rootfs/etc/apt/apt.conf.d"
cat >"$rootfs/etc/dpkg/dpkg.cfg.d/slim" <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
CFG
# As in the official image: no package caches, no translations.
cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'CFG'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
CFG
cat >"$rootfs/etc/apt/apt.conf.d/docker-no-languages" <<'CFG'
Acquire::Languages "none";
CFG
cat >"$rootfs/etc/apt/apt.conf.d/docker-gzip-indexes" <<'CFG'
Acquire::GzipIndexes "true";
Acquire::CompressionTypes::Order:: "gz";
CFG

rm -rf "$rootfs/var/lib/apt/lists/"* "$rootfs/var/cache/apt/"* \
	"$rootfs/var/cache/debconf/"*-old "$rootfs/var/log/"* \
	"$rootfs/usr/share/man/"* "$rootfs/usr/share/info/"* \
	"$rootfs/usr/share/lintian" "$rootfs/usr/share/linda"
find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias \
	-exec rm -rf {} +

ctr=$(buildah from scratch)
trap 'buildah rm "$ctr" >/dev/null 2>&1 || :' EXIT
tar -C "$rootfs" -cf "$rootfs.tar" --numeric-owner .
buildah add --quiet "$ctr" "$rootfs.tar" / >/dev/null
rm -f "$rootfs.tar"
buildah config --cmd bash --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$ctr"
buildah commit --quiet --rm "$ctr" "$image" >/dev/null
trap - EXIT
