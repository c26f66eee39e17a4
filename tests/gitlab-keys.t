#!/bin/sh
# What GitLab checks and gitlab-ci-local does not, over every pipeline
# file matrixc emits: each golden case's expected .gitlab-ci.yml (and its
# child files under ci/) and the committed generated/ ones.
# - resource_group: GitLab's environment-name grammar (letters, digits,
#   '-', '_', '/', '$', '{', '}', '.', spaces; not starting or ending
#   with '/'). GitLab silently drops an invalid group: the job then runs
#   unserialised, with no error anywhere.
# - job names: at most 255 characters.
# And what the scripts must share: every docker build of a script that
# pushes passes REVISION (org.opencontainers.image.revision).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
check() { # check FILE...: prints one line per fault
	python3 - "$@" <<'PY'
import re, sys, yaml
key = re.compile(r"[A-Za-z0-9_${}. -]([A-Za-z0-9_/${}. -]*[A-Za-z0-9_${}. -])?\Z")
for path in sys.argv[1:]:
    with open(path) as f:
        doc = yaml.safe_load(f)
    for name, job in (doc or {}).items():
        if not isinstance(job, dict):
            continue
        if len(name) > 255:
            print("%s: job name longer than 255 characters: %s" % (path, name[:40]))
        for item in job.get("script") or []:
            if "docker push" not in item:
                continue
            for ln in item.replace("\\\n", " ").splitlines():
                if "docker build " in ln and '--build-arg REVISION="$CI_COMMIT_SHA"' not in ln:
                    print("%s: %s: a publishing docker build without REVISION: %s" % (path, name, ln.strip()))
        rg = job.get("resource_group")
        if rg is not None and not key.match(str(rg)):
            print("%s: %s: resource_group %r is not a valid GitLab key" % (path, name, rg))
PY
}
find "$here/cases" -path '*/expected/*' \( -name .gitlab-ci.yml -o -path '*/expected/ci/*.yml' \) | sort >"$tmp/files"
find "$here/../generated" -maxdepth 2 \( -name .gitlab-ci.yml -o -path '*/generated/ci/*.yml' \) | sort >>"$tmp/files"
[ -s "$tmp/files" ] && grep -q resource_group $(cat "$tmp/files") &&
	[ "$(cat $(cat "$tmp/files") | grep -c 'REVISION="$CI_COMMIT_SHA"')" -ge 2 ]
result $? "there are pipeline files with resource groups and publishing builds to check" "$tmp/files"
check $(cat "$tmp/files") >"$tmp/why" 2>&1
[ ! -s "$tmp/why" ]
result $? "every emitted resource_group is a valid GitLab key, every job name fits, every publishing docker build passes REVISION" "$tmp/why"
# the check itself tells a bad key from a good one
printf 'a:\n  resource_group: publish/1-wee@amd64\nb:\n  resource_group: /x\nc:\n  resource_group: publish/1-wee/amd64\n' >"$tmp/bad.yml"
[ "$(check "$tmp/bad.yml" | wc -l)" -eq 2 ]
result $? "the check rejects '@' and a leading '/', accepts publish/TAG/KEY"
tap_done
