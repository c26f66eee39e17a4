#!/bin/sh
# The publishing pipeline (README: "How the pipeline publishes"), with its
# real consumer, gitlab-ci-local (pinned npm package), on a throwaway
# repository whose root .gitlab-ci.yml includes generated/.gitlab-ci.yml
# (or triggers it as a child pipeline). Each kind of pipeline is the
# predefined variables GitLab sets for it, given with --variable:
#   mr       a merge request pipeline
#   feature  a push to a branch that does not publish
#   default  a push to the default branch (publishes)
#   tag      a tag pipeline (publishes)
#   child    the generated file as a child pipeline of a default-branch one
# gitlab-ci-local evaluates rules:changes against origin/main, so each
# scenario commits on top of origin/main and asks which jobs run.
#
# The publish job's skip-or-build script is then run for real, by sh and
# by bash as GitLab's runner does, with a stand-in docker on PATH that logs
# every call and answers `imagetools inspect` from a fixture.
: "${MATRIXC:?MATRIXC is the matrixc binary}"
: "${TOOLS:?TOOLS is the directory holding node_modules/.bin}"
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
gcl=$TOOLS/node_modules/.bin/gitlab-ci-local
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# the variables below are GitLab's predefined ones, set on purpose
GCL_IGNORE_PREDEFINED_VARS=CI_PIPELINE_SOURCE,CI_COMMIT_BRANCH,CI_DEFAULT_BRANCH,CI_COMMIT_TAG
export GCL_IGNORE_PREDEFINED_VARS

kind_vars() { # the --variable options of a kind of pipeline
	case $1 in
	mr) echo "CI_PIPELINE_SOURCE=merge_request_event CI_MERGE_REQUEST_IID=7 CI_COMMIT_BRANCH= CI_DEFAULT_BRANCH=main" ;;
	feature) echo "CI_PIPELINE_SOURCE=push CI_COMMIT_BRANCH=feature CI_DEFAULT_BRANCH=main" ;;
	feature-with-mr) echo "CI_PIPELINE_SOURCE=push CI_COMMIT_BRANCH=feature CI_DEFAULT_BRANCH=main CI_OPEN_MERGE_REQUESTS=group/project!7" ;;
	default) echo "CI_PIPELINE_SOURCE=push CI_COMMIT_BRANCH=main CI_DEFAULT_BRANCH=main" ;;
	tag) echo "CI_PIPELINE_SOURCE=push CI_COMMIT_BRANCH= CI_COMMIT_TAG=v1 CI_DEFAULT_BRANCH=main" ;;
	child) echo "CI_PIPELINE_SOURCE=parent_pipeline CI_COMMIT_BRANCH=main CI_DEFAULT_BRANCH=main CI_OPEN_MERGE_REQUESTS=group/project!7" ;;
	release) echo "CI_PIPELINE_SOURCE=push CI_COMMIT_BRANCH=release/3.x CI_DEFAULT_BRANCH=main" ;;
	esac
}

# listed KIND [FILE]: the names of the jobs gitlab-ci-local runs in that
# kind of pipeline, sorted, on one line; "-" for none
listed() {
	set -- "$1" "${2:-.gitlab-ci.yml}"
	vars=
	for v in $(kind_vars "$1"); do vars="$vars --variable $v"; done
	# shellcheck disable=SC2086
	"$gcl" --list --file "$2" $vars >"$tmp/gcl.out" 2>&1 ||
		{ sed 's/^/# /' "$tmp/gcl.out" >&2; echo "(gitlab-ci-local failed)"; return; }
	names=$(sed -n '/^name /,$p' "$tmp/gcl.out" | sed 1d | awk '{print $1}' | sort | tr '\n' ' ')
	echo "${names:--}" | sed 's/ $//'
}

expect_jobs() { # expect_jobs KIND WANT TITLE [FILE]
	got=$(listed "$1" "$4")
	[ "$got" = "$2" ] || echo "# $1: got '$got', want '$2'" >"$tmp/why"
	[ "$got" = "$2" ]
	result $? "$3" "$tmp/why"
}

# The script lines of jobs (from gitlab-ci-local's --preview of the whole
# configuration, includes expanded), one job after another.
scripts_of() { # scripts_of JOB...
	"$gcl" --preview 2>/dev/null | python3 -c '
import sys, yaml
doc = yaml.safe_load(sys.stdin)
for job in sys.argv[1:]:
    j = doc[job]
    for key in ("before_script", "script", "after_script"):
        for item in j.get(key) or []:
            print(item)
    for k, v in (j.get("variables") or {}).items():
        print(k, v)
' "$@"
}

gen_commit() { # regenerate and commit what changed
	"$MATRIXC" generate >/dev/null && git add -A && git_q commit -m "$1"
}

base_matrix() {
	cat <<'EOF'
matrixc: 1
image: python
registries:
  - name: registry.example.com/group/python
    user: CI_REGISTRY_USER
    password: CI_REGISTRY_PASSWORD
  - name: docker.io/example/python
    user: HUB_USER
    password: HUB_TOKEN
base: debian:bookworm-slim
versions: ["3.13", "3.12"]
variants:
  wee: {}
  wee-optimized: { pgo: true, timeout: "2h 30m" }
aliases:
  - { version: "3.13", variant: wee, tag: latest }
EOF
}

# A repository with the generated files committed and origin/main at its
# HEAD; the root file includes the generated one and has a job of its own
# in GitLab's default `test` stage and no `stages:`.
make_repo() { # make_repo DIR
	mkdir -p "$1" && cd "$1" || return 1
	git init -q -b main
	git remote add origin git@example.com:group/project.git
	cp "$here/cases/registries/matrix.lock.json" .
	base_matrix >matrix.yaml
	cat >.gitlab-ci.yml <<'EOF'
include:
  - local: generated/.gitlab-ci.yml
lint:
  stage: test
  script: [echo lint]
EOF
	gen_commit base
	git update-ref refs/remotes/origin/main HEAD
	git symbolic-ref refs/remotes/origin/HEAD refs/remotes/origin/main
}

base_is_head() { git update-ref refs/remotes/origin/main HEAD; }

repo=$tmp/repo
(make_repo "$repo") >/dev/null 2>&1
cd "$repo" || exit 1

# --- nothing changed: nothing of the matrix runs -------------------------
expect_jobs default "lint" "include: the root's own job in its default stage still runs (no stages clash)"

# --- a Dockerfile change: the wee-optimized cells -------------------------
sed -i 's/timeout: "2h 30m" }/timeout: "2h 30m", configure: ["--with-computed-gotos"] }/' matrix.yaml
gen_commit "optimized: computed gotos"
built="build:3.12.13-wee-optimized build:3.13.14-wee-optimized"
published="publish:3.12.13-wee-optimized publish:3.13.14-wee-optimized"
expect_jobs mr "$built lint" "merge request: builds the changed cells, publishes nothing"
expect_jobs feature "$built lint" "feature branch: builds the changed cells, publishes nothing"
expect_jobs default "lint $published" "default branch: publishes the changed cells, no build-only job"
expect_jobs tag "lint $published" "tag: publishes the changed cells"

# no credential or push outside a publishing ref; the check is not empty
scripts_of $built >"$tmp/unpublished" 2>&1
grep -n -E 'docker (login|push)|imagetools create|PASSWORD|TOKEN|_USER' "$tmp/unpublished" >"$tmp/why"
[ $? -eq 1 ] && grep -q 'docker build' "$tmp/unpublished"
result $? "merge request and feature jobs: no login, no push, no credential variable" "$tmp/why"
scripts_of $published >"$tmp/published" 2>&1
grep -q 'docker login' "$tmp/published" && grep -q 'docker push' "$tmp/published" &&
	grep -q 'imagetools create' "$tmp/published"
result $? "publish jobs: log in, push, copy" "$tmp/published"

# --- hygiene, as the consumer reads it -------------------------------------
"$gcl" --preview 2>/dev/null | python3 -c '
import sys, yaml
d = yaml.safe_load(sys.stdin)
b, p = d["build:3.13.14-wee"], d["publish:3.13.14-wee"]
o = d["publish:3.13.14-wee-optimized"]
assert b["interruptible"] is True and p["interruptible"] is False, "interruptible"
assert b["timeout"] == "1h" and o["timeout"] == "2h 30m", "timeouts"
assert d["build:3.13.14-wee-optimized"]["timeout"] == "2h 30m", "build timeout"
for j in (b, p):
    assert j["retry"]["max"] == 2, "retry max"
    assert set(j["retry"]["when"]) <= {"runner_system_failure",
        "scheduler_failure", "api_failure"}, "retry on the runner only, not on a timeout"
assert p["resource_group"] == "publish/3.13.14-wee", "resource_group"
assert "resource_group" not in b, "no resource_group on a build-only job"
assert "--cache-from registry.example.com/group/python:3.13.14-wee" in b["script"][0], "cache-from"
' >"$tmp/why" 2>&1
result $? "jobs: interruptible unless publishing, timeouts per variant, retry on runner faults, a resource_group per published cell, inline cache" "$tmp/why"

# --- workflow:rules, through the consumer's rule engine --------------------
# gitlab-ci-local reads workflow:rules only for their variables, so the
# rules are evaluated as the rules of a probe job: listed = a pipeline.
python3 -c '
import sys, yaml
d = yaml.safe_load(open("generated/.gitlab-ci.yml"))
yaml.safe_dump({"probe": {"script": ["true"], "rules": d["workflow"]["rules"]}}, sys.stdout)
' >"$tmp/probe.yml"
cp "$tmp/probe.yml" probe.yml
grep -q '^probe:' probe.yml
result $? "workflow: its rules make a valid probe job" probe.yml
expect_jobs mr probe "workflow: a merge request pipeline runs" probe.yml
expect_jobs feature probe "workflow: a branch pipeline runs when no merge request is open" probe.yml
expect_jobs feature-with-mr - "workflow: no branch pipeline beside a merge request pipeline" probe.yml
expect_jobs child probe "workflow: a child pipeline runs (its parent decided)" probe.yml
expect_jobs tag probe "workflow: a tag pipeline runs" probe.yml
rm probe.yml

# --- the child-pipeline wiring ---------------------------------------------
cat >"$tmp/parent.yml" <<'EOF'
images:
  trigger:
    include: generated/.gitlab-ci.yml
    strategy: depend
lint:
  stage: test
  script: [echo lint]
EOF
cp "$tmp/parent.yml" parent.yml
expect_jobs default "images lint" "child pipeline: the root file's trigger job is valid" parent.yml
rm parent.yml
# gitlab-ci-local runs a trigger's file with CI_PIPELINE_SOURCE=parent_pipeline
expect_jobs child "$published" "child pipeline: the generated file alone publishes the changed cells" generated/.gitlab-ci.yml

# --- a tag-only change selects exactly the cells whose tags moved ---------
base_is_head
sed -i 's/{ version: "3.13", variant: wee, tag: latest }/{ version: "3.12", variant: wee, tag: latest }/' matrix.yaml
gen_commit "latest: 3.12"
moved="publish:3.12.13-wee publish:3.13.14-wee"
git diff --name-only origin/main HEAD >"$tmp/changed"
! grep -q Dockerfile "$tmp/changed" && [ "$(grep -c '/publish$' "$tmp/changed")" -eq 2 ]
result $? "moving latest changes no Dockerfile and two publish lists" "$tmp/changed"
expect_jobs default "lint $moved" "moving latest: the default branch publishes exactly the two cells it moved between"
expect_jobs feature "lint" "moving latest: a feature branch builds nothing"

base_is_head
sed -i 's|^base:|  - quay.io/example/python\nbase:|' matrix.yaml
gen_commit "one more registry"
all="publish:3.12.13-wee publish:3.12.13-wee-optimized publish:3.13.14-wee publish:3.13.14-wee-optimized"
expect_jobs default "lint $all" "a new registry: every cell publishes"

# --- the Dockerfile label: recomputable, not circular ---------------------
bad=0
[ "$(git ls-files '*Dockerfile' | wc -l)" -eq 4 ] || { echo "# not 4 Dockerfiles"; bad=1; }
for f in $(git ls-files '*Dockerfile'); do
	label=$(sed -n 's/^LABEL io\.matrixc\.input=//p' "$f")
	sum=$(grep -v '^LABEL io\.matrixc\.input=' "$f" | sha256sum | cut -d ' ' -f 1)
	[ -n "$label" ] && [ "$label" = "$sum" ] || { echo "# $f: label '$label', sha256 $sum"; bad=1; }
done
result $bad "every Dockerfile's io.matrixc.input is the sha256 of the file without that line"

# --- ci.publish ------------------------------------------------------------
base_is_head
cat >>matrix.yaml <<'EOF'
ci:
  publish: { default_branch: false, branches: [release/3.x] }
EOF
sed -i 's/"--with-computed-gotos"/"--with-computed-gotos", "--without-doc-strings"/' matrix.yaml
gen_commit "publish from release/3.x"
expect_jobs default "$built lint" "ci.publish without the default branch: it builds, publishes nothing"
expect_jobs release "lint $published" "ci.publish: the release branch publishes"
expect_jobs tag "lint $published" "ci.publish: tags still publish by default"
base_is_head

# --- the skip-or-build script, run for real -------------------------------
base_matrix >matrix.yaml
gen_commit "back to the base matrix"
stub=$tmp/bin
mkdir -p "$stub"
cat >"$stub/docker" <<EOF
#!/bin/sh
# stand-in docker: logs each call; imagetools inspect answers from
# \$FIXTURE (absent: no such image)
echo "\$*" >>"$tmp/docker.log"
case "\$1 \$2 \$3" in
"buildx imagetools inspect")
	[ -f "\$FIXTURE" ] || { echo "ERROR: not found" >&2; exit 1; }
	cat "\$FIXTURE" ;;
"login "*) cat >/dev/null ;;
esac
EOF
chmod +x "$stub/docker"
job=publish:3.13.14-wee
python3 -c '
import sys, yaml
j = yaml.safe_load(open("generated/.gitlab-ci.yml"))[sys.argv[1]]
print("\n".join(j["script"]))
' "$job" >"$tmp/job.sh"
want=$(sed -n 's/^LABEL io\.matrixc\.input=//p' generated/3.13.14/wee/Dockerfile)
printf '{"architecture":"amd64","config":{"Env":["PATH=/usr/local/bin"],"Labels":{"io.matrixc.input":"%s"}},"os":"linux"}\n' \
	"$want" >"$tmp/same.json"
sed "s/$want/$(echo "$want" | tr 0-9a-f a-f0-9)/" "$tmp/same.json" >"$tmp/different.json"
cat >"$tmp/platforms.json" <<EOF
{
  "linux/amd64": {
    "architecture": "amd64",
    "config": {
      "Labels": {
        "io.matrixc.input": "$want",
        "org.opencontainers.image.title": "python"
      }
    }
  },
  "linux/arm64": {
    "architecture": "arm64",
    "config": {
      "Labels": {
        "io.matrixc.input": "$want"
      }
    }
  }
}
EOF

run_job() { # run_job SHELL FIXTURE: the job's script, as the runner runs it
	: >"$tmp/docker.log"
	(PATH=$stub:$PATH FIXTURE=$2 CI_REGISTRY_USER=u CI_REGISTRY_PASSWORD=p HUB_USER=u HUB_TOKEN=t \
		$1 "$tmp/job.sh") >"$tmp/job.out" 2>&1
}

count() { grep -c -E "$1" "$tmp/docker.log"; }

copies() { # the log of a job that copied and built nothing
	[ "$(count '^login ')" -eq 2 ] &&
		[ "$(count '^buildx imagetools inspect --format \{\{json \.Image\}\} registry\.example\.com/group/python:3\.13\.14-wee$')" -eq 1 ] &&
		[ "$(count '^buildx imagetools create ')" -eq 2 ] &&
		[ "$(count '^(build|push|tag) ')" -eq 0 ] &&
		grep -q '^buildx imagetools create -t registry.example.com/group/python:3.13-wee -t registry.example.com/group/python:3-wee -t registry.example.com/group/python:latest registry.example.com/group/python:3.13.14-wee$' "$tmp/docker.log" &&
		grep -q '^buildx imagetools create -t docker.io/example/python:3.13.14-wee -t docker.io/example/python:3.13-wee -t docker.io/example/python:3-wee -t docker.io/example/python:latest registry.example.com/group/python:3.13.14-wee$' "$tmp/docker.log"
}

builds() { # the log of a job that built, with inline cache, and pushed every tag
	[ "$(count '^buildx imagetools create ')" -eq 0 ] &&
		[ "$(count '^build --pull --cache-from registry\.example\.com/group/python:3\.13\.14-wee --build-arg BUILDKIT_INLINE_CACHE=1 --build-arg REVISION=[0-9a-f]* -t python:3\.13\.14-wee -f generated/3\.13\.14/wee/Dockerfile generated/3\.13\.14/wee$')" -eq 1 ] &&
		[ "$(count '^push ')" -eq 8 ] &&
		[ "$(count '^tag python:3\.13\.14-wee ')" -eq 8 ] &&
		grep -q '^push docker.io/example/python:latest$' "$tmp/docker.log"
}

for sh in "sh -e" "bash -e -o pipefail"; do
	run_job "$sh" "$tmp/same.json" && copies
	result $? "$sh: same label in the registry: copies to every tag, builds nothing" "$tmp/docker.log" "$tmp/job.out"
	run_job "$sh" "$tmp/platforms.json" && copies
	result $? "$sh: same label in an indented multi-platform config: copies" "$tmp/docker.log" "$tmp/job.out"
	run_job "$sh" "$tmp/different.json" && builds
	result $? "$sh: a different label: builds and pushes" "$tmp/docker.log" "$tmp/job.out"
	run_job "$sh" "$tmp/none.json" && builds
	result $? "$sh: no image in the registry: builds and pushes" "$tmp/docker.log" "$tmp/job.out"
done

# a Dockerfile edited by hand no longer matches its label: the job stops
echo '# edited' >>generated/3.13.14/wee/Dockerfile
! run_job "sh -e" "$tmp/same.json" && [ "$(count '^(build|push|buildx imagetools create) ')" -eq 0 ] &&
	grep -q 'run matrixc generate' "$tmp/job.out"
result $? "a hand-edited Dockerfile: the job fails before it builds or copies" "$tmp/docker.log" "$tmp/job.out"
git checkout -q generated

tap_done
