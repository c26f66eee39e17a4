#!/bin/sh
# Several platforms in the pipeline (README: "Platforms"), with real
# components:
#   - gitlab-ci-local (pinned npm package) lists, for each kind of
#     pipeline, the per-platform build and publish jobs and the manifest
#     job, with their runner tags and needs (and checks the needs chain);
#   - the manifest job's script runs against Debian's docker-registry on
#     127.0.0.1 (tests/lib/registry.sh), with a stand-in docker on PATH
#     that maps `buildx imagetools create` onto `buildah manifest` and
#     `imagetools inspect` onto skopeo (tests/lib/imagetools_inspect.py); the per-platform images are two
#     tiny ones (FROM scratch, a COPY, no RUN) that buildah builds for
#     amd64 and arm64 without emulation. skopeo inspect --raw then shows
#     both platforms under every tag.
: "${MATRIXC:?MATRIXC is the matrixc binary}"
: "${TOOLS:?TOOLS is the directory holding node_modules/.bin}"
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
. "$here/lib/registry.sh"
gcl=$TOOLS/node_modules/.bin/gitlab-ci-local
tmp=$(mktemp -d)
trap 'registry_stop; rm -rf "$tmp"' EXIT
GCL_IGNORE_PREDEFINED_VARS=CI_PIPELINE_SOURCE,CI_COMMIT_BRANCH,CI_DEFAULT_BRANCH,CI_COMMIT_TAG,CI_COMMIT_REF_PROTECTED
export GCL_IGNORE_PREDEFINED_VARS

kind_vars() { # the --variable options of a kind of pipeline
	case $1 in
	mr) echo "CI_PIPELINE_SOURCE=merge_request_event CI_MERGE_REQUEST_IID=7 CI_COMMIT_BRANCH= CI_DEFAULT_BRANCH=main" ;;
	feature) echo "CI_PIPELINE_SOURCE=push CI_COMMIT_BRANCH=feature CI_DEFAULT_BRANCH=main" ;;
	default) echo "CI_PIPELINE_SOURCE=push CI_COMMIT_BRANCH=main CI_DEFAULT_BRANCH=main CI_COMMIT_REF_PROTECTED=true" ;;
	tag) echo "CI_PIPELINE_SOURCE=push CI_COMMIT_BRANCH= CI_COMMIT_TAG=v1 CI_DEFAULT_BRANCH=main CI_COMMIT_REF_PROTECTED=true" ;;
	esac
}

gcl_vars() { for v in $(kind_vars "$1"); do printf ' --variable %s' "$v"; done; }

listed() { # the jobs gitlab-ci-local runs in a kind of pipeline, sorted
	# shellcheck disable=SC2046
	"$gcl" --list $(gcl_vars "$1") >"$tmp/gcl.out" 2>&1 ||
		{ sed 's/^/# /' "$tmp/gcl.out" >&2; echo "(gitlab-ci-local failed)"; return; }
	names=$(sed -n '/^name /,$p' "$tmp/gcl.out" | sed 1d | awk '{print $1}' | sort | tr '\n' ' ')
	echo "${names:--}" | sed 's/ $//'
}

expect_jobs() { # expect_jobs KIND WANT TITLE
	got=$(listed "$1")
	[ "$got" = "$2" ] || echo "# $1: got '$got', want '$2'" >"$tmp/why"
	[ "$got" = "$2" ]
	result $? "$3" "$tmp/why"
}

needs_hold() { # the needs of the jobs that run are jobs that run
	# shellcheck disable=SC2046
	"$gcl" --validate-dependency-chain $(gcl_vars "$1") >"$tmp/chain" 2>&1
	result $? "$1 pipeline: every need of a running job runs too (gitlab-ci-local --validate-dependency-chain)" "$tmp/chain"
}

gen_commit() {
	"$MATRIXC" generate >/dev/null && git add -A && git -c user.name=t -c user.email=t@example.com commit -q -m "$1"
}

# --- the jobs, as gitlab-ci-local reads them --------------------------------
repo=$tmp/repo
mkdir -p "$repo" && cd "$repo" || exit 1
git init -q -b main
git remote add origin git@example.com:group/project.git
cp -R "$here/cases/platforms/lua" "$here/cases/platforms/matrix.yaml" \
	"$here/cases/platforms/matrix.lock.json" .
cat >.gitlab-ci.yml <<'EOF'
include:
  - local: generated/.gitlab-ci.yml
lint:
  stage: test
  script: [echo lint]
EOF
gen_commit base >/dev/null 2>&1
git update-ref refs/remotes/origin/main HEAD
git symbolic-ref refs/remotes/origin/HEAD refs/remotes/origin/main

# a change to every Dockerfile
sed -i 's/^base: .*/&\nconfigure: ["--enable-shared", "--with-system-expat", "--without-doc-strings"]/' matrix.yaml
gen_commit "every cell" >/dev/null 2>&1
two="3.13.14-wee"
single="3.12.13-wee 3.12.13-wee-optimized 3.13.14-wee-optimized"
built=$(for t in $single; do echo "build:$t"; done; echo "build:$two@amd64 build:$two@arm64")
built=$(echo $built lint | tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ $//')
aliases="alias:3-wee alias:3-wee-optimized alias:3.12-wee alias:3.12-wee-optimized alias:3.13-wee alias:3.13-wee-optimized"
published=$(for t in $single; do echo "publish:$t"; done; echo "publish:$two@amd64 publish:$two@arm64 manifest:$two $aliases")
published=$(echo $published lint | tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ $//')
expect_jobs mr "$built" "merge request: a build job per platform of the two-platform cell, one for the others, no manifest job"
expect_jobs feature "$built" "feature branch: the same build jobs, no publish or manifest job"
expect_jobs default "$published" "default branch: a publish job per platform, the manifest job and the alias jobs, no build-only job"
expect_jobs tag "$published" "tag: publishes per platform, joins them, points the aliases"
for kind in mr default tag; do needs_hold $kind; done

"$gcl" --preview 2>/dev/null | python3 -c '
import sys, yaml
d = yaml.safe_load(sys.stdin)
t = "3.13.14-wee"
def check(cond, what):
    if not cond:
        print("# " + what)
        sys.exit(1)
check(d["build:%s@amd64" % t]["tags"] == ["saas-linux-medium-amd64"], "amd64 build runner tags")
check(d["build:%s@arm64" % t]["tags"] == ["saas-linux-medium-arm64", "docker"], "arm64 build runner tags")
check(d["publish:%s@arm64" % t]["tags"] == ["saas-linux-medium-arm64", "docker"], "arm64 publish runner tags")
check(d["publish:3.12.13-wee"]["tags"] == ["saas-linux-medium-amd64"], "a one-platform cell: its platform runner tags")
m = d["manifest:%s" % t]
check(m["tags"] == ["docker"], "the manifest job runs on ci.tags")
check(m["needs"] == ["publish:%s@amd64" % t, "publish:%s@arm64" % t] or
      [n["job"] if isinstance(n, dict) else n for n in m["needs"]] ==
      ["publish:%s@amd64" % t, "publish:%s@arm64" % t], "manifest needs: %r" % m["needs"])
check(m["variables"]["MATRIXC_KEYS"] == "amd64 arm64", "manifest keys")
b = d["build:%s@arm64" % t]
check("--platform \"$MATRIXC_PLATFORM\"" in b["script"][0], "build for the platform")
check(b["variables"]["MATRIXC_PLATFORM"] == "linux/arm64", "platform variable")
for job in ("build:%s@amd64" % t, "build:%s@arm64" % t):
    s = "\n".join(d[job]["script"])
    check("login" not in s and "push" not in s and "imagetools create" not in s,
          job + ": pushes nothing")
check(d["publish:%s@arm64" % t]["resource_group"] == "publish/%s/arm64" % t, "resource group per platform")
check(m["resource_group"] == "publish/%s" % t, "the manifest in the cell resource group")
check("services" not in m, "the manifest job has no docker service: imagetools needs no daemon")
check(d["publish:%s@arm64" % t]["services"] in (["docker:27-dind"], [{"name": "docker:27-dind"}]), "a publish job keeps its daemon")
a = d["alias:3.13-wee"]
check([n["job"] if isinstance(n, dict) else n for n in a["needs"]] == ["manifest:%s" % t], "alias of a multi-platform cell needs its manifest job: %r" % a["needs"])
check(a["resource_group"] == "alias/3.13-wee" and "services" not in a, "alias resource group, no daemon")
s = "\n".join(a["script"])
check("imagetools create" in s and "docker build " not in s and "docker push " not in s, "alias: copies only")
' >"$tmp/why" 2>&1
result $? "runner tags per platform, the manifest job's needs, no push outside a publishing ref" "$tmp/why"

# adding a platform changes the cell's Dockerfile (its platforms line, so
# its content identity) and publish list, and no other cell's
git update-ref refs/remotes/origin/main HEAD
sed -i 's/wee-optimized: { pgo: true, platforms: \[linux\/amd64\] }/wee-optimized: { pgo: true }/' matrix.yaml
gen_commit "optimized on arm64 too" >/dev/null 2>&1
git diff --name-only HEAD~1 HEAD -- generated | grep -E '/(Dockerfile|publish)$' >"$tmp/changed"
printf '%s\n' generated/3.13.14/wee-optimized/Dockerfile generated/3.13.14/wee-optimized/publish >"$tmp/want"
git diff HEAD~1 HEAD -- generated/3.13.14/wee-optimized/Dockerfile | grep -x -q '+# platforms: linux/amd64 linux/arm64' &&
	diff "$tmp/want" "$tmp/changed" >/dev/null
result $? "adding a platform changes the cell's Dockerfile (its platforms line) and publish list, no other cell's" "$tmp/changed"
# (a publishing pipeline runs every publish, manifest and alias job, these
# among them)
opt=$(echo alias:3-wee alias:3-wee-optimized alias:3.12-wee alias:3.12-wee-optimized alias:3.13-wee alias:3.13-wee-optimized \
	lint manifest:3.13.14-wee manifest:3.13.14-wee-optimized publish:3.12.13-wee publish:3.12.13-wee-optimized \
	publish:3.13.14-wee-optimized@amd64 publish:3.13.14-wee-optimized@arm64 publish:3.13.14-wee@amd64 publish:3.13.14-wee@arm64 |
	tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ $//')
expect_jobs default "$opt" "adding a platform: the cell's per-platform publish jobs and its manifest job run, and its aliases point at the new index"
cd "$tmp" || exit 1

# --- the manifest job's script, against a real registry ---------------------
if ! registry_start "$tmp/registry" 2>"$tmp/why" || ! command -v buildah >/dev/null ||
	! command -v skopeo >/dev/null; then
	for i in $(seq 14); do
		skip "no docker-registry, buildah or skopeo: $(head -1 "$tmp/why")"
	done
	tap_done
	exit
fi
store=$tmp/store
B="buildah --root $store/root --runroot $store/run --storage-driver vfs"
live=$tmp/live
mkdir -p "$live" && cd "$live" || exit 1
cp "$here/cases/platforms/matrix.lock.json" .
cat >matrix.yaml <<EOF
matrixc: 1
image: python
registries:
  - name: $REGISTRY/group/python
    user: CI_REGISTRY_USER
    password: CI_REGISTRY_PASSWORD
  - $REGISTRY/mirror/python
base: debian:bookworm-slim
platforms: [linux/amd64, linux/arm64]
versions: ["3.13"]
variants:
  wee:
aliases:
  - { version: "3.13", variant: wee, tag: latest }
ci:
  runners: { linux/amd64: [amd64], linux/arm64: [arm64] }
EOF
"$MATRIXC" generate >/dev/null 2>"$tmp/gen.err"
result $? "a matrix whose registries are the local registry generates" "$tmp/gen.err"

job_script() { # job_script JOB: its variables, then its hidden job's script
	python3 - "$1" <<'EOF'
import sys, yaml
d = yaml.safe_load(open("generated/.gitlab-ci.yml"))
j = d[sys.argv[1]]
for k, v in j["variables"].items():
    print("%s='%s'" % (k, v))
print("\n".join(d[j["extends"]]["script"]))
EOF
}

stub=$tmp/bin
mkdir -p "$stub"
cat >"$stub/docker" <<EOF
#!/bin/sh
# stand-in docker: logs each call; imagetools inspect and create are
# skopeo (as buildx prints it: tests/lib/imagetools_inspect.py) and
# buildah manifest against the registry
echo "\$*" >>"$tmp/docker.log"
case "\$1 \$2 \$3" in
"buildx imagetools inspect")
	exec python3 "$here/lib/imagetools_inspect.py" "\$6" ;;
"buildx imagetools create")
	shift 3
	tags= sources=
	while [ \$# -gt 0 ]; do
		if [ "\$1" = -t ]; then tags="\$tags \$2"; shift 2
		else sources="\$sources \$1"; shift; fi
	done
	$B manifest create stand-in >/dev/null || exit 1
	for s in \$sources; do
		$B manifest add --all --tls-verify=false stand-in "docker://\$s" >/dev/null || exit 1
	done
	for t in \$tags; do
		$B manifest push --all --tls-verify=false stand-in "docker://\$t" >/dev/null 2>&1 || exit 1
	done
	$B manifest rm stand-in >/dev/null ;;
"login "*) cat >/dev/null ;;
esac
EOF
chmod +x "$stub/docker"

# the project's repository on the server, whose main the alias jobs read
# (README: "When a job publishes"): one commit, the pipeline's
git init -q --bare "$tmp/remote.git"
empty=$(git -C "$tmp/remote.git" hash-object -t tree -w /dev/null)
head=$(git -C "$tmp/remote.git" -c user.email=test@example.com -c user.name=test commit-tree -m base "$empty")
git -C "$tmp/remote.git" update-ref refs/heads/main "$head"

run_job() { # run_job JOB: its script by sh -e, as a runner would, in a default-branch pipeline at its tip
	job_script "$1" >"$tmp/job.sh"
	: >"$tmp/docker.log"
	(PATH=$stub:$PATH CI_REGISTRY_USER=u CI_REGISTRY_PASSWORD=p CI_COMMIT_BRANCH=main CI_DEFAULT_BRANCH=main \
		CI_COMMIT_SHA=$head CI_REPOSITORY_URL=$tmp/remote.git sh -e "$tmp/job.sh") >"$tmp/job.out" 2>&1
}

# the two per-platform images, as publish:TAG@ARCH would have pushed them,
# labelled with the Dockerfile's content identity
want=$(sed -n 's/^LABEL io\.matrixc\.input=//p' generated/3.13.14/wee/Dockerfile)
mkdir -p "$tmp/ctx" && echo tiny >"$tmp/ctx/hello"
printf 'FROM scratch\nCOPY hello /hello\nLABEL io.matrixc.input=%s\n' "$want" >"$tmp/ctx/Containerfile"
pushed=0
for arch in amd64 arm64; do
	$B build --quiet --platform "linux/$arch" -t "tiny-$arch" "$tmp/ctx" >>"$tmp/build.log" 2>&1 &&
		$B push --quiet --tls-verify=false "tiny-$arch" \
			"docker://$REGISTRY/group/python:3.13.14-wee-$arch" >>"$tmp/build.log" 2>&1 ||
		pushed=1
done
[ $pushed -eq 0 ]
result $? "buildah builds and pushes a tiny image for amd64 and one for arm64" "$tmp/build.log"

# publish:TAG@arm64 finds its image there already: it builds nothing
run_job "publish:3.13.14-wee@arm64" && grep -q 'not building' "$tmp/job.out" &&
	! grep -q -E '^(build|push|tag) ' "$tmp/docker.log"
result $? "publish:TAG@arm64: the registry's arm64 image has this Dockerfile's label, so it builds nothing" "$tmp/job.out" "$tmp/docker.log"

# the manifest job joins both under every registry:tag of the publish list
run_job "manifest:3.13.14-wee"
result $? "manifest:TAG runs against the registry" "$tmp/job.out" "$tmp/docker.log"
# then each alias job copies that index to the alias in every registry
ok=0
for alias in 3.13-wee 3-wee latest; do
	run_job "alias:$alias" && ! grep -q -E '^(build|push|tag) ' "$tmp/docker.log" || ok=1
done
result $ok "alias:ALIAS runs against the registry, and builds and pushes nothing" "$tmp/job.out" "$tmp/docker.log"
bad=0
refs=$(sed '/^#/d' generated/3.13.14/wee/publish; for a in 3.13-wee 3-wee latest; do sed '/^#/d' generated/aliases/$a | sed 1d; done)
[ "$(echo "$refs" | wc -l)" -eq 8 ] || { echo "# not 8 refs: $refs"; bad=1; }
for ref in $refs; do
	skopeo inspect --tls-verify=false --raw "docker://$ref" >"$tmp/raw.json" 2>&1 &&
		python3 - "$tmp/raw.json" <<'EOF' || { echo "# $ref: $(head -c 300 "$tmp/raw.json")"; bad=1; }
import json, sys
d = json.load(open(sys.argv[1]))
got = sorted("%s/%s" % (m["platform"]["os"], m["platform"]["architecture"])
             for m in d.get("manifests", []))
sys.exit(0 if got == ["linux/amd64", "linux/arm64"] else 1)
EOF
done
result $bad "skopeo inspect --raw: both platforms under every tag in every registry, the cell's and its aliases'" "$tmp/docker.log"

# an arm64 image of another Dockerfile: publish:TAG@arm64 builds and pushes
$B build --quiet --platform linux/arm64 --label io.matrixc.input=0123 -t tiny-old "$tmp/ctx" >>"$tmp/build.log" 2>&1 &&
	$B push --quiet --tls-verify=false tiny-old "docker://$REGISTRY/group/python:3.13.14-wee-arm64" >>"$tmp/build.log" 2>&1
run_job "publish:3.13.14-wee@arm64" &&
	grep -q "^build --pull --platform linux/arm64 --cache-from $REGISTRY/group/python:3.13.14-wee-arm64 " "$tmp/docker.log" &&
	grep -q "^push $REGISTRY/group/python:3.13.14-wee-arm64\$" "$tmp/docker.log" &&
	[ "$(grep -c '^push ' "$tmp/docker.log")" -eq 1 ]
result $? "publish:TAG@arm64: another label there, so it builds for linux/arm64 and pushes TAG-arm64 only" "$tmp/job.out" "$tmp/docker.log"

# --- an index of other platforms is rebuilt, not copied -----------------------
# The cell drops arm64: its publish job finds the two-platform index the
# manifest job pushed under the tag, and builds (its identity changed);
# with an index of this very identity but two platforms, it still builds;
# only this Dockerfile's amd64 image is copied.
sed -i 's|^platforms: .*|platforms: [linux/amd64]|' matrix.yaml
"$MATRIXC" generate >/dev/null 2>"$tmp/gen.err"
one=$(sed -n 's/^LABEL io\.matrixc\.input=//p' generated/3.13.14/wee/Dockerfile)
[ -n "$one" ] && [ "$one" != "$want" ]
result $? "one platform fewer: another identity" "$tmp/gen.err"
run_job "publish:3.13.14-wee" &&
	grep -q "^build --pull --platform linux/amd64 " "$tmp/docker.log" &&
	! grep -q '^buildx imagetools create ' "$tmp/docker.log" &&
	[ "$(grep -c '^push ' "$tmp/docker.log")" -eq 2 ]
result $? "[amd64, arm64] -> [amd64]: the registry's two-platform index is not copied: publish:TAG builds and pushes" "$tmp/job.out" "$tmp/docker.log"

# push_index TAG LABEL ARCH...: an image (one ARCH) or an index of images
# labelled LABEL under TAG in the first registry
push_index() {
	tag=$1 label=$2
	shift 2
	printf 'FROM scratch\nCOPY hello /hello\nLABEL io.matrixc.input=%s\n' "$label" >"$tmp/ctx/Containerfile"
	for arch in "$@"; do
		$B build --quiet --platform "linux/$arch" -t "relabelled-$arch" "$tmp/ctx" >>"$tmp/build.log" 2>&1 || return 1
	done
	if [ $# -eq 1 ]; then
		$B push --quiet --tls-verify=false "relabelled-$1" "docker://$REGISTRY/group/python:$tag" >>"$tmp/build.log" 2>&1
		return
	fi
	$B manifest rm relabelled >/dev/null 2>&1
	$B manifest create relabelled >/dev/null &&
		for arch in "$@"; do $B manifest add relabelled "relabelled-$arch" >/dev/null || return 1; done &&
		$B manifest push --all --tls-verify=false relabelled "docker://$REGISTRY/group/python:$tag" >>"$tmp/build.log" 2>&1
}
push_index 3.13.14-wee "$one" amd64 arm64
result $? "buildah pushes an index of amd64 and arm64 labelled with the one-platform identity" "$tmp/build.log"
python3 "$here/lib/imagetools_inspect.py" "$REGISTRY/group/python:3.13.14-wee" >"$tmp/inspect.json" 2>&1 &&
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(sorted(d) != ["linux/amd64", "linux/arm64"])' "$tmp/inspect.json"
result $? "the stand-in imagetools inspect reads it as buildx does: a map of both platforms" "$tmp/inspect.json"
run_job "publish:3.13.14-wee" && grep -q "^build --pull --platform linux/amd64 " "$tmp/docker.log" &&
	! grep -q '^buildx imagetools create ' "$tmp/docker.log" &&
	grep -q "has io.matrixc.input=$one for linux/amd64 linux/arm64, this Dockerfile $one for linux/amd64" "$tmp/job.out"
result $? "the same identity on an index of two platforms: publish:TAG builds, not copies" "$tmp/job.out" "$tmp/docker.log"
push_index 3.13.14-wee "$one" amd64
run_job "publish:3.13.14-wee" && ! grep -q -E '^(build|push|tag) ' "$tmp/docker.log" &&
	grep -q -x "buildx imagetools create -t $REGISTRY/mirror/python:3.13.14-wee $REGISTRY/group/python:3.13.14-wee" "$tmp/docker.log"
result $? "this Dockerfile's amd64 image: publish:TAG copies it to the other registry, builds nothing" "$tmp/job.out" "$tmp/docker.log"
sed -i 's/3\.13\.14-wee$/3.13.14-wee-x/' generated/3.13.14/wee/publish
! run_job "publish:3.13.14-wee" && ! grep -q -E '^(build|push|tag|buildx imagetools create) ' "$tmp/docker.log"
result $? "a publish list naming another tag: publish:TAG fails before it builds, pushes or copies" "$tmp/job.out" "$tmp/docker.log"
"$MATRIXC" generate >/dev/null 2>&1

registry_stop
tap_done
