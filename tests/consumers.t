#!/bin/sh
# The real consumers of generated output, on every golden case's expected/:
#   - gitlab-ci-local --list (pinned npm package) accepts .gitlab-ci.yml and
#     lists one job per Dockerfile (build: or publish:, as a pipeline on
#     the default branch runs one of the two; per platform with several,
#     and a manifest job), or with ci.split one trigger job per child file
#     and, in the children, one job per Dockerfile; rules:changes selects only
#     the job of the Dockerfile a commit touched (tests/pipeline.t tries
#     every kind of pipeline);
#   - make -n accepts every target of the Makefile; a real `make -j8 push`
#     with a logging stand-in for docker runs each cell's steps in order;
#   - dockerfile-utils lint (pinned npm package) finds nothing in any
#     Dockerfile.
: "${TOOLS:?TOOLS is the directory holding node_modules/.bin}"
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
bin=$TOOLS/node_modules/.bin
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT



# A repository whose origin/main is an empty commit, so that every file of
# HEAD counts as changed for rules:changes.
make_repo() { # make_repo DIR EXPECTED
	mkdir -p "$1" && cd "$1" || return 1
	git init -q -b main
	git_q commit --allow-empty -m base
	git update-ref refs/remotes/origin/main HEAD
	git remote add origin git@example.com:group/project.git
	git symbolic-ref refs/remotes/origin/HEAD refs/remotes/origin/main
	# the CI file names its Dockerfiles relative to the repository root
	first=$(grep -m1 -- '- .*/Dockerfile$' "$2/.gitlab-ci.yml" | sed 's/^ *- //')
	out=${first%/*/*/Dockerfile}
	mkdir -p "$out" && cp -R "$2/." "$out/"
	cp "$2/.gitlab-ci.yml" .gitlab-ci.yml
	git add -A && git_q commit -m generated
}

cells_of() { # the cells whose jobs gitlab-ci-local's --list output names
	# a cell with several platforms has publish:TAG@ARCH per platform
	# and manifest:TAG: one cell
	grep -E '^(build|publish|manifest):' | awk '{print $1}' |
		sed 's/^[a-z]*://; s/@.*//' | sort -u | wc -l
}

jobs_listed() { # the cells gitlab-ci-local lists jobs of in the current repo
	"$bin/gitlab-ci-local" --list >"$tmp/gcl.out" 2>&1 || { sed 's/^/# /' "$tmp/gcl.out"; return 1; }
	cells_of <"$tmp/gcl.out"
}

check_gitlab() { # check_gitlab NAME EXPECTED
	(
		make_repo "$tmp/$1.repo" "$2" >/dev/null || exit 1
		want=$(find "$2" -name Dockerfile | wc -l)
		if [ -d "$2/ci" ]; then # ci.split: a trigger job per child file
			children=$(find "$2/ci" -name '*.yml' | wc -l)
			"$bin/gitlab-ci-local" --list >"$tmp/gcl.out" 2>&1 || { sed 's/^/# /' "$tmp/gcl.out"; exit 1; }
			got=$(grep -c '^series:' "$tmp/gcl.out")
			[ "$got" -eq "$children" ] || { echo "# $got trigger jobs listed, want $children"; exit 1; }
			got=0
			for f in "$out"/ci/*.yml; do
				n=$("$bin/gitlab-ci-local" --list --file "$f" 2>&1 | cells_of)
				got=$((got + n))
			done
		else
			got=$(jobs_listed) || exit 1
		fi
		[ "$got" -eq "$want" ] || { echo "# $got jobs listed, want $want"; exit 1; }
	)
}

check_changes() { # only the touched Dockerfile's job runs
	(
		make_repo "$tmp/$1.changes" "$2" >/dev/null || exit 1
		git update-ref refs/remotes/origin/main HEAD
		f=$(git ls-files '*Dockerfile' | head -1)
		echo '# touched' >>"$f"
		git add -A && git_q commit -m touch
		got=$(jobs_listed) || exit 1
		[ "$got" -eq 1 ] || { echo "# $got jobs listed after touching $f, want 1"; exit 1; }
	)
}

check_make_n() { # every target parses and expands under make -n
	targets=$(sed -n 's/^\([a-z][A-Za-z0-9_.-]*\):.*/\1/p' "$2/Makefile" | sort -u)
	# shellcheck disable=SC2086
	make -n -f "$2/Makefile" $targets DOCKER=docker >"$tmp/make.out" 2>&1 &&
		make -s -f "$2/Makefile" help >/dev/null 2>&1 ||
		{ sed 's/^/# /' "$tmp/make.out" | tail -5; return 1; }
}

check_make_j() { # make -j8 push runs build, tag, push in order for each cell
	log=$tmp/$1.docker.log
	: >"$log"
	printf '#!/bin/sh\necho "$*" >>"%s"\n' "$log" >"$tmp/docker"
	chmod +x "$tmp/docker"
	make -s -j8 -f "$2/Makefile" push DOCKER="$tmp/docker" REGISTRIES=r.example.com/p >/dev/null 2>&1 || return 1
	builds=$(grep -c '^build ' "$log")
	cells=$(find "$2" -name Dockerfile | wc -l)
	[ "$builds" -eq "$cells" ] || { echo "# $builds builds, want $cells"; return 1; }
	# a push of a tag comes after the build of its image
	awk '/^build /{for(i=1;i<=NF;i++) if($i=="-t") built[$(i+1)]=1}
	     /^tag /{if(!built[$2]) {print "# tag before build: " $0; bad=1}; tagged[$3]=1}
	     /^push /{if(!tagged[$2]) {print "# push before tag: " $0; bad=1}}
	     END{exit bad}' "$log"
}

check_lint() {
	st=0
	for f in $(find "$2" -name Dockerfile | sort); do
		out=$("$bin/dockerfile-utils" lint "$f" 2>&1) || st=1
		[ -z "$out" ] || { echo "# $f:"; printf '%s\n' "$out" | sed 's/^/#   /' | head -20; st=1; }
	done
	return $st
}

for dir in "$here"/cases/*/; do
	name=$(basename "$dir")
	exp=$dir/expected
	[ -f "$exp/.gitlab-ci.yml" ] || continue
	exp=$(cd "$exp" && pwd -P)
	check_gitlab "$name" "$exp"; result $? "$name: gitlab-ci-local lists one job per Dockerfile"
	check_make_n "$name" "$exp"; result $? "$name: make -n accepts every Makefile target"
	check_lint "$name" "$exp"; result $? "$name: dockerfile-utils lint finds nothing"
done
shipped=$(cd "$here/cases/shipped/expected" && pwd -P)
check_changes shipped "$shipped"; result $? "shipped: rules:changes runs only the touched Dockerfile's job"
check_make_j shipped "$shipped"; result $? "shipped: make -j8 push keeps build, tag, push in order"
tap_done
