#!/bin/sh
# What GitLab checks and gitlab-ci-local does not, over every pipeline
# file matrixc emits: each golden case's expected .gitlab-ci.yml (and its
# child files under ci/) and the committed generated/ ones.
# - resource_group: GitLab's environment-name grammar (letters, digits,
#   '-', '_', '/', '$', '{', '}', '.', spaces; not starting or ending
#   with '/'). GitLab silently drops an invalid group: the job then runs
#   unserialised, with no error anywhere.
# - job names: at most 128 characters (GitLab allows 255, but libyaml
#   writes a longer key as an explicit "? key" entry).
# - workflow:auto_cancel:on_new_commit is interruptible (gitlab-ci-local
#   validates its spelling against GitLab's schema, but never cancels), so
#   that a new commit cancels only the interruptible jobs.
# - a trigger job is interruptible, but where its child publishes; no
#   publishing job (publish:, manifest:, alias:) has rules:changes: it runs
#   in every publishing pipeline, so that one a newer pipeline cancelled
#   runs again.
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
    doc = doc or {}
    ac = (doc.get("workflow") or {}).get("auto_cancel") or {}
    if ac.get("on_new_commit") != "interruptible":
        print("%s: workflow:auto_cancel:on_new_commit is %r" % (path, ac.get("on_new_commit")))
    for name, job in doc.items():
        if not isinstance(job, dict):
            continue
        if len(name) > 128:
            print("%s: job name longer than 128 characters: %s" % (path, name[:40]))
        rules = job.get("rules") or []
        if name.split(":")[0] in ("publish", "manifest", "alias"):
            for r in rules:
                if "changes" in r:
                    print("%s: %s: a publishing job with rules:changes" % (path, name))
        if "trigger" in job:
            publishing = [r for r in rules if "PROTECTED" in r.get("if", "") and r.get("when") != "never"]
            if job.get("interruptible") is not True or any(r.get("interruptible") is not False for r in publishing):
                print("%s: %s: a trigger job must be interruptible but where it publishes" % (path, name))
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
[ -s "$tmp/files" ] && grep -q resource_group $(cat "$tmp/files") && grep -q '^series:' $(cat "$tmp/files") &&
	[ "$(cat $(cat "$tmp/files") | grep -c 'REVISION="$CI_COMMIT_SHA"')" -ge 2 ]
result $? "there are pipeline files with resource groups and publishing builds to check" "$tmp/files"
check $(cat "$tmp/files") >"$tmp/why" 2>&1
[ ! -s "$tmp/why" ]
result $? "every emitted resource_group is a valid GitLab key, every job name fits, every publishing docker build passes REVISION, auto_cancel interruptible, triggers interruptible but where they publish, publishing jobs without changes" "$tmp/why"
# the check itself tells a bad key from a good one
printf 'workflow:\n  auto_cancel:\n    on_new_commit: interruptible\na:\n  resource_group: publish/1-wee@amd64\nb:\n  resource_group: /x\nc:\n  resource_group: publish/1-wee/amd64\n' >"$tmp/bad.yml"
[ "$(check "$tmp/bad.yml" | wc -l)" -eq 2 ]
result $? "the check rejects '@' and a leading '/', accepts publish/TAG/KEY"
# ... and tells the wrong auto_cancel, a trigger not interruptible, a publishing job with changes
printf 'workflow:\n  auto_cancel:\n    on_new_commit: conservative\nseries:3:\n  trigger: {include: x.yml}\n  rules:\n  - if: $CI_COMMIT_REF_PROTECTED == "true"\npublish:1-wee:\n  rules:\n  - if: $CI_COMMIT_TAG\n    changes: [x]\n' >"$tmp/bad2.yml"
[ "$(check "$tmp/bad2.yml" | wc -l)" -eq 3 ]
result $? "the check rejects conservative auto_cancel, a trigger not interruptible, a publishing job with changes" "$tmp/bad2.yml"
tap_done
