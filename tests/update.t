#!/bin/sh
# matrixc update against a python.org API double on 127.0.0.1
# (tests/lib/fault_server.py, built from ../shared/data/cpython-source-checksums.tsv).
# Every failure case checks the exit status, that stderr names the URL and
# says what went wrong, and that matrix.lock.json is byte-identical after.
#
#   MATRIXC=build/matrixc prove tests/update.t

repo=$(cd "$(dirname "$0")/.." && pwd)
matrixc=${MATRIXC:-$repo/build/matrixc}
# shared/ sits beside the repository, or beside a worktree's parent
tsv=$repo/../shared/data/cpython-source-checksums.tsv
[ -f "$tsv" ] || tsv=$repo/../../shared/data/cpython-source-checksums.tsv

tmp=$(mktemp -d)
server=
redir=
cleanup() {
	for pid in $server $redir; do
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# Proxies from the developer's environment must not see test traffic.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
NO_PROXY=127.0.0.1,localhost
no_proxy=$NO_PROXY
export NO_PROXY no_proxy
# Fast failures: a slow answer takes 5 s, the client gives up after 1 s.
MATRIXC_HTTP_TIMEOUT=1
MATRIXC_HTTP_CONNECT_TIMEOUT=2
MATRIXC_HTTP_RETRIES=2
MATRIXC_HTTP_BACKOFF=0.05
export MATRIXC_HTTP_TIMEOUT MATRIXC_HTTP_CONNECT_TIMEOUT MATRIXC_HTTP_RETRIES \
	MATRIXC_HTTP_BACKOFF

python3 "$repo/tests/lib/fault_server.py" --tsv "$tsv" --port-file "$tmp/port" \
	--log "$tmp/requests" 2>"$tmp/server.err" &
server=$!
i=0
while [ ! -s "$tmp/port" ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
if [ ! -s "$tmp/port" ]; then
	echo "Bail out! test server did not start: $(cat "$tmp/server.err")"
	exit 1
fi
port=$(cat "$tmp/port")
base=http://127.0.0.1:$port

. "$repo/tests/lib/tap.sh"
. "$repo/tests/lib/faults.sh"
ok() { result 0 "$1"; }
not_ok() { # not_ok TITLE FILE...: the files follow as comments
	title=$1
	shift
	result 1 "$title" "$@"
}

# real values from the TSV, for lock entries that are already current
tsv_entry() { # key version
	awk -F '\t' -v k="$1" -v v="$2" '$1 == v {
		printf "    \"%s\": {\n      \"sha256\": \"%s\",\n", k, $3
		printf "      \"url\": \"%s\",\n      \"version\": \"%s\"\n    }", $2, $1
	}' "$tsv"
}

newest() { # series: the newest final release of a series in the TSV
	awk -F '\t' -v s="$1." 'index($1, s) == 1 && $1 !~ /[abr]/ {
		split(substr($1, length(s) + 1), p, "."); if (p[1] + 0 >= best) { best = p[1] + 0; v = $1 }
	} END { print v }' "$tsv"
}

w=$tmp/work
mkdir "$w"
# pin_bases: false: these tests are about releases; bases are resolved
# against a real registry in registry.t
cat >"$w/matrix.yaml" <<'EOF'
matrixc: 1
image: python
base: debian:bookworm-slim
pin_bases: false
versions: ["3.14", "3.13", "3.12", "3.6.3", "3.15-rc"]
variants:
  wee: {}
EOF
{
	printf '{\n  "matrixc": 1,\n  "releases": {\n'
	tsv_entry 3.12 "$(newest 3.12)"
	printf ',\n'
	tsv_entry 3.13 3.13.4
	printf ',\n'
	tsv_entry 3.14 "$(newest 3.14)"
	printf ',\n'
	tsv_entry 3.15-rc 3.15.0b4
	printf ',\n'
	tsv_entry 3.6.3 3.6.3
	printf '\n  }\n}\n'
} >"$w/behind.json"
latest13=$(newest 3.13)

run() { # source-scenario args...
	scenario=$1
	shift
	(cd "$w" && "$matrixc" update --source "$base/$scenario" "$@" \
		>"$tmp/out" 2>"$tmp/err")
	echo $? >"$tmp/status"
}
status() { cat "$tmp/status"; }

# 1-2: an up-to-date lock is read as valid by matrixc itself
cp "$w/behind.json" "$w/matrix.lock.json"
run ok --check 3.12 3.14 3.15-rc 3.6.3
if [ "$(status)" = 0 ] && [ ! -s "$tmp/out" ]; then
	ok "update --check on current series: exit 0, silent"
else
	not_ok "update --check on current series: exit 0, silent" "$tmp/out" "$tmp/err"
fi
if ! grep -q ftp/python "$tmp/requests" && ! grep -q release_file "$tmp/requests"; then
	ok "nothing but the release list is fetched for current series"
else
	not_ok "nothing but the release list is fetched for current series" "$tmp/requests"
fi

# 3-5: --check when behind
: >"$tmp/requests"
run ok --check
if [ "$(status)" = 1 ]; then ok "update --check when behind: exit 1"; else
	not_ok "update --check when behind: exit 1 (got $(status))" "$tmp/err"; fi
if [ "$(cat "$tmp/out")" = "3.13: 3.13.4 -> $latest13" ]; then
	ok "update --check prints what would change"
else
	not_ok "update --check prints what would change" "$tmp/out" "$tmp/err"
fi
if cmp -s "$w/behind.json" "$w/matrix.lock.json" && ! grep -q ftp/python "$tmp/requests"; then
	ok "update --check writes nothing and downloads nothing"
else
	not_ok "update --check writes nothing and downloads nothing" "$tmp/requests"
fi

# 6-10: update when behind
run ok
if [ "$(status)" = 0 ] && [ "$(cat "$tmp/out")" = "3.13: 3.13.4 -> $latest13" ]; then
	ok "update prints '3.13: 3.13.4 -> $latest13'"
else
	not_ok "update prints the change (status $(status))" "$tmp/out" "$tmp/err"
fi
url13=$base/ok/ftp/python/$latest13/Python-$latest13.tar.xz
sha13=$(python3 -c 'import hashlib,sys,urllib.request as u; print(hashlib.sha256(u.urlopen(u.Request(sys.argv[1], headers={"User-Agent": "matrixc/test"})).read()).hexdigest())' "$url13")
if grep -q "\"url\": \"$url13\"" "$w/matrix.lock.json" &&
	grep -q "\"sha256\": \"$sha13\"" "$w/matrix.lock.json" &&
	grep -q "\"version\": \"$latest13\"" "$w/matrix.lock.json"; then
	ok "the lock entry has the new version, the tarball URL and its sha256"
else
	not_ok "the lock entry has the new version, URL and sha256" "$w/matrix.lock.json"
fi
python3 - "$w/behind.json" "$w/matrix.lock.json" >"$tmp/diff" <<'EOF'
import json, sys
a = json.load(open(sys.argv[1]))["releases"]
b = json.load(open(sys.argv[2]))["releases"]
print(sorted(k for k in a if a[k] != b.get(k)))
EOF
if [ "$(cat "$tmp/diff")" = "['3.13']" ]; then
	ok "only the 3.13 entry changed"
else
	not_ok "only the 3.13 entry changed" "$tmp/diff"
fi
if python3 -c 'import json,sys; t=open(sys.argv[1]).read(); assert t == json.dumps(json.loads(t), indent=2, sort_keys=True) + "\n"' "$w/matrix.lock.json"; then
	ok "the lock file is sorted, two-space indented, newline-terminated"
else
	not_ok "the lock file is sorted, two-space indented, newline-terminated" "$w/matrix.lock.json"
fi
cp "$w/matrix.lock.json" "$tmp/after"
inode=$(ls -i "$w/matrix.lock.json" | cut -d' ' -f1)
run ok
if [ "$(status)" = 0 ] && [ ! -s "$tmp/out" ] && cmp -s "$tmp/after" "$w/matrix.lock.json" &&
	[ "$(ls -i "$w/matrix.lock.json" | cut -d' ' -f1)" = "$inode" ]; then
	ok "a second update changes nothing, prints nothing, does not rewrite"
else
	not_ok "a second update changes nothing, prints nothing, does not rewrite" "$tmp/out" "$tmp/err"
fi

# 11: a missing lock file is an empty lock
rm "$w/matrix.lock.json"
run ok
if [ "$(status)" = 0 ] && [ "$(wc -l <"$tmp/out")" = 5 ] &&
	grep -q '^3.15-rc: (none) -> 3.15.0b4$' "$tmp/out" &&
	grep -q '^3.6.3: (none) -> 3.6.3$' "$tmp/out" &&
	grep -q "\"3.15-rc\"" "$w/matrix.lock.json"; then
	ok "no lock file: every series resolved, pre-release for '3.15-rc', exact '3.6.3' filled in"
else
	not_ok "no lock file: every series resolved" "$tmp/out" "$tmp/err"
fi

# 12-13: limiting to some series
cp "$w/behind.json" "$w/matrix.lock.json"
run ok 3.12 3.14
if [ "$(status)" = 0 ] && [ ! -s "$tmp/out" ] && cmp -s "$w/behind.json" "$w/matrix.lock.json"; then
	ok "update 3.12 3.14 leaves 3.13 alone"
else
	not_ok "update 3.12 3.14 leaves 3.13 alone" "$tmp/out" "$tmp/err"
fi
run ok 3.99
if [ "$(status)" = 2 ] && grep -q "'3.99' is not a version of the matrix" "$tmp/err" &&
	cmp -s "$w/behind.json" "$w/matrix.lock.json"; then
	ok "update 3.99: exit 2, names the unknown series"
else
	not_ok "update 3.99: exit 2" "$tmp/err"
fi

# 14-16: retries, fallbacks, computed checksums
: >"$tmp/requests"
run flaky.1
if [ "$(status)" = 0 ] && [ "$(grep -c '^/flaky.1/api/v2/downloads/release/' "$tmp/requests")" = 2 ]; then
	ok "a 500 then a 200: retried, succeeds"
else
	not_ok "a 500 then a 200: retried, succeeds" "$tmp/err" "$tmp/requests"
fi
cp "$w/behind.json" "$w/matrix.lock.json"
run tgz
if [ "$(status)" = 0 ] && grep -q "Python-$latest13.tgz\"" "$w/matrix.lock.json"; then
	ok "no .tar.xz: falls back to the .tgz source"
else
	not_ok "no .tar.xz: falls back to the .tgz source" "$tmp/err"
fi
cp "$w/behind.json" "$w/matrix.lock.json"
run nosha
if [ "$(status)" = 0 ] && grep -q "\"sha256\": \"$sha13\"" "$w/matrix.lock.json"; then
	ok "no sha256_sum: matrixc computes it from the download"
else
	not_ok "no sha256_sum: matrixc computes it from the download" "$tmp/err"
fi

# 17: every request names matrixc and its version
if ! cut -f2 "$tmp/requests" | grep -qv '^matrixc/[0-9]'; then
	ok "User-Agent is matrixc/VERSION"
else
	not_ok "User-Agent is matrixc/VERSION" "$tmp/requests"
fi

# 18-31: failures: exit 3, the URL and the reason on stderr, lock untouched
list=/api/v2/downloads/release/?is_published=true
files=/api/v2/downloads/release_file/?release=
tar=/ftp/python/$latest13/Python-$latest13.tar.xz
fails() { # title scenario url-suffix reason
	cp "$w/behind.json" "$w/matrix.lock.json"
	run "$2"
	url=$base/$2$3
	if [ "$(status)" = 3 ] && grep -qF "$url" "$tmp/err" && grep -qF "$4" "$tmp/err" &&
		cmp -s "$w/behind.json" "$w/matrix.lock.json" && [ ! -s "$tmp/out" ]; then
		ok "$1"
	else
		not_ok "$1 (status $(status))" "$tmp/err"
	fi
}
fails "404: exit 3, names the URL" e404 "$list" "HTTP 404"
fails "persistent 500: retried, then exit 3" e500 "$list" "HTTP 500 Internal Server Error (gave up after 3 attempts)"
fails "timeout: exit 3" slow "$list" "timed out"
fails "truncated body: exit 3" truncated "$list" "truncated response"
fails "malformed JSON: exit 3" badjson "$list" "malformed JSON at line 1"
fails "JSON of the wrong shape: exit 3" shape "$list" "unexpected JSON: expected a list of releases"
fails "a release without a name: exit 3" shape2 "$list" "unexpected JSON: release 3: \"name\""
fails "release file list 404: exit 3" files404 "$files" "HTTP 404"
fails "no source tarball: exit 3" nosource "$files" "no source tarball (Python-$latest13.tar.xz or .tgz)"
fails "sha256 mismatch: exit 3" badsha "$tar" "sha256 mismatch: got $sha13"
fails "size mismatch: exit 3" badsize "$tar" "size mismatch"
fails "tarball larger than published: capped, exit 3" bigtar "$tar" "response larger than"
fails "tarball 404: exit 3" tar404 "$tar" "HTTP 404"
fails "redirect loop: exit 3" redirect "$list" "more than 5 redirects"

# 32: connection refused (a port nobody listens on)
free=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
cp "$w/behind.json" "$w/matrix.lock.json"
(cd "$w" && "$matrixc" update --source "http://127.0.0.1:$free" >"$tmp/out" 2>"$tmp/err")
st=$?
if [ $st = 3 ] && grep -qF "http://127.0.0.1:$free$list" "$tmp/err" &&
	grep -q "Connection refused" "$tmp/err" && cmp -s "$w/behind.json" "$w/matrix.lock.json"; then
	ok "connection refused: exit 3, names the URL"
else
	not_ok "connection refused: exit 3 (status $st)" "$tmp/err"
fi

# 33: a series with no final release asks for '-rc'
mkdir "$tmp/pre"
sed 's/"3.15-rc"/"3.15"/' "$w/matrix.yaml" >"$tmp/pre/matrix.yaml"
cp "$w/behind.json" "$tmp/pre/matrix.lock.json"
(cd "$tmp/pre" && "$matrixc" update --source "$base/ok" >"$tmp/out" 2>"$tmp/err")
st=$?
if [ $st = 2 ] && grep -q "'3.15' has no final release yet" "$tmp/err" &&
	grep -q "write '3.15-rc'" "$tmp/err" && cmp -s "$w/behind.json" "$tmp/pre/matrix.lock.json"; then
	ok "'3.15' without a final release: bad input, exit 2, suggests '3.15-rc'"
else
	not_ok "'3.15' without a final release: exit 2 (status $st)" "$tmp/err"
fi

# 34: bad network settings are a usage error
(cd "$w" && MATRIXC_HTTP_TIMEOUT=soon "$matrixc" update --source "$base/ok" >"$tmp/out" 2>"$tmp/err")
st=$?
if [ $st = 2 ] && grep -q "MATRIXC_HTTP_TIMEOUT: expected a number of seconds, got 'soon'" "$tmp/err"; then
	ok "MATRIXC_HTTP_TIMEOUT=soon: exit 2"
else
	not_ok "MATRIXC_HTTP_TIMEOUT=soon: exit 2 (status $st)" "$tmp/err"
fi

# 35-36: progress for a slow download, on a terminal only
cp "$w/behind.json" "$w/matrix.lock.json"
(cd "$w" && MATRIXC_HTTP_TIMEOUT=10 "$matrixc" update --source "$base/slowtar.1" >"$tmp/out" 2>"$tmp/err")
st=$?
if [ $st = 0 ] && [ ! -s "$tmp/err" ]; then
	ok "no progress when stderr is not a terminal"
else
	not_ok "no progress when stderr is not a terminal (status $st)" "$tmp/err"
fi
cp "$w/behind.json" "$w/matrix.lock.json"
if command -v script >/dev/null 2>&1; then
	(cd "$w" && MATRIXC_HTTP_TIMEOUT=10 script -qec \
		"'$matrixc' update --source '$base/slowtar.2' 2>&1 >'$tmp/out'" /dev/null >"$tmp/tty")
	st=$?
	if [ $st = 0 ] && grep -q "downloading Python-$latest13.tar.xz: [0-9]* B of [0-9]* B" "$tmp/tty" &&
		grep -q "^3.13: 3.13.4 -> $latest13\$" "$tmp/out"; then
		ok "progress on stderr when it is a terminal and the download is slow"
	else
		not_ok "progress on a terminal (status $st)" "$tmp/tty" "$tmp/out"
	fi
else
	ok "# SKIP script(1) is not installed"
fi

# 37: mirrors that serve the older {"objects": [...]} wrapping
cp "$w/behind.json" "$w/matrix.lock.json"
run objects
if [ "$(status)" = 0 ] && [ "$(cat "$tmp/out")" = "3.13: 3.13.4 -> $latest13" ]; then
	ok "the {\"objects\": [...]} wrapping is accepted"
else
	not_ok "the objects wrapping is accepted (status $(status))" "$tmp/err"
fi
# every failing series in one run; bad input (exit 2) over the network's 3
mkdir "$tmp/many"
cat >"$tmp/many/matrix.yaml" <<'EOF'
matrixc: 1
image: python
base: debian:bookworm-slim
pin_bases: false
versions: ["3.17", "3.13", "3.15", "3.12", "3.99"]
variants:
  wee: {}
EOF
cp "$w/behind.json" "$tmp/many/matrix.lock.json"
many() { # scenario args...: update in $tmp/many
	sc=$1
	shift
	(cd "$tmp/many" && "$matrixc" update --source "$base/$sc" "$@" >"$tmp/out" 2>"$tmp/err")
	echo $? >"$tmp/status"
}
many ok
if [ "$(status)" = 2 ] && grep -q "no release matching '3.17'" "$tmp/err" &&
	grep -q "'3.15' has no final release yet" "$tmp/err" &&
	grep -q "no release matching '3.99'" "$tmp/err" &&
	[ "$(grep -c ': error: ' "$tmp/err")" = 3 ] && [ ! -s "$tmp/out" ] &&
	grep -q "the lock file is unchanged (--keep-going writes" "$tmp/err" &&
	cmp -s "$w/behind.json" "$tmp/many/matrix.lock.json"; then
	ok "three series without a release: all reported in one run, exit 2, lock untouched"
else
	not_ok "three series without a release: all reported, exit 2 (status $(status))" "$tmp/err"
fi
many ok --keep-going
if [ "$(status)" = 2 ] && [ "$(cat "$tmp/out")" = "3.13: 3.13.4 -> $latest13" ] &&
	grep -q "\"version\": \"$latest13\"" "$tmp/many/matrix.lock.json" &&
	! grep -q '"3.17"' "$tmp/many/matrix.lock.json" &&
	grep -q "no release matching '3.17'" "$tmp/err"; then
	ok "--keep-going: writes the series that resolved, still exit 2"
else
	not_ok "--keep-going writes what resolved (status $(status))" "$tmp/out" "$tmp/err"
fi
cp "$w/behind.json" "$tmp/many/matrix.lock.json"
many tar404 --keep-going
if [ "$(status)" = 2 ] && grep -q "HTTP 404" "$tmp/err" &&
	cmp -s "$w/behind.json" "$tmp/many/matrix.lock.json"; then
	ok "--keep-going with nothing resolved: the lock is untouched"
else
	not_ok "--keep-going with nothing resolved (status $(status))" "$tmp/err"
fi

# no published checksum: refused (exit 3) unless --trust-unverified
mkdir "$tmp/unv"
sed 's/^versions: .*/versions: ["3.13"]/' "$w/matrix.yaml" >"$tmp/unv/matrix.yaml"
tsv_lock() { # key version: a lock file with that one entry
	printf '{\n  "matrixc": 1,\n  "releases": {\n'
	tsv_entry "$1" "$2"
	printf '\n  }\n}\n'
}
tsv_lock 3.13 3.13.4 >"$tmp/unv/before.json"
cp "$tmp/unv/before.json" "$tmp/unv/matrix.lock.json"
unv() { # scenario args...
	sc=$1
	shift
	(cd "$tmp/unv" && "$matrixc" update --source "$base/$sc" "$@" >"$tmp/out" 2>"$tmp/err")
	echo $? >"$tmp/status"
}
unv nochecksum
if [ "$(status)" = 3 ] && grep -qF "$base/nochecksum$tar: no published sha256 or md5" "$tmp/err" &&
	grep -q "refusing to lock it" "$tmp/err" &&
	cmp -s "$tmp/unv/before.json" "$tmp/unv/matrix.lock.json" && [ ! -s "$tmp/out" ]; then
	ok "no published checksum: refused, exit 3, lock untouched"
else
	not_ok "no published checksum: refused, exit 3 (status $(status))" "$tmp/err"
fi
unv nochecksum --trust-unverified
if [ "$(status)" = 0 ] && grep -q "warning: .*no published sha256 or md5; locking the download unverified" "$tmp/err" &&
	python3 -c 'import json,sys; e=json.load(open(sys.argv[1]))["releases"]["3.13"]; assert e["unverified"] is True and e["version"] == sys.argv[2]' \
		"$tmp/unv/matrix.lock.json" "$latest13"; then
	ok "--trust-unverified: a warning, and the entry says \"unverified\": true"
else
	not_ok "--trust-unverified records an unverified entry (status $(status))" "$tmp/err" "$tmp/unv/matrix.lock.json"
fi
(cd "$tmp/unv" && "$matrixc" list >/dev/null 2>"$tmp/err")
if grep -q "warning: release '3.13' is unverified" "$tmp/err"; then
	ok "an unverified entry is a warning in the commands that read the lock"
else
	not_ok "an unverified entry is a warning" "$tmp/err"
fi

# credentials in a tarball URL: used to download, never written or shown
cp "$tmp/unv/before.json" "$tmp/unv/matrix.lock.json"
unv creds
if [ "$(status)" = 0 ] && ! grep -q secret "$tmp/unv/matrix.lock.json" "$tmp/err" "$tmp/out" &&
	grep -qF "\"url\": \"$base/creds$tar\"" "$tmp/unv/matrix.lock.json" &&
	grep -q "warning: the tarball URL carries a user name or password" "$tmp/err"; then
	ok "credentials in a tarball URL: the lock records it without them"
else
	not_ok "credentials in a tarball URL stay out of the lock (status $(status))" "$tmp/err" "$tmp/unv/matrix.lock.json"
fi

# a Content-Length over the cap: refused before the body (which never comes)
for sc in hugelist hugetar; do
	cp "$tmp/unv/before.json" "$tmp/unv/matrix.lock.json"
	start=$(date +%s)
	MATRIXC_HTTP_TIMEOUT=30 unv $sc
	took=$(($(date +%s) - start))
	if [ "$(status)" = 3 ] && grep -q "response larger than [0-9]* bytes (Content-Length: 1000000000000; refused unread)" "$tmp/err" &&
		[ $took -lt 4 ] && cmp -s "$tmp/unv/before.json" "$tmp/unv/matrix.lock.json"; then
		ok "$sc: a Content-Length over the cap is refused at once (${took}s), exit 3"
	else
		not_ok "$sc: a Content-Length over the cap is refused at once (status $(status), ${took}s)" "$tmp/err"
	fi
done

# --prune: entries no matrix entry uses
cp "$w/behind.json" "$tmp/unv/matrix.lock.json"
unv ok --check --prune
if [ "$(status)" = 1 ] && grep -q '^3.12: .* -> (removed)$' "$tmp/out" &&
	grep -q '^3.6.3: 3.6.3 -> (removed)$' "$tmp/out" &&
	cmp -s "$w/behind.json" "$tmp/unv/matrix.lock.json"; then
	ok "update --check --prune: lists the unused entries, exit 1, writes nothing"
else
	not_ok "update --check --prune (status $(status))" "$tmp/out" "$tmp/err"
fi
unv ok --prune
if [ "$(status)" = 0 ] &&
	[ "$(python3 -c 'import json,sys; print(sorted(json.load(open(sys.argv[1]))["releases"]))' "$tmp/unv/matrix.lock.json")" = "['3.13']" ] &&
	grep -q '^3.15-rc: 3.15.0b4 -> (removed)$' "$tmp/out" && grep -q "^3.13: 3.13.4 -> $latest13\$" "$tmp/out"; then
	ok "update --prune: removes the unused entries and updates the rest"
else
	not_ok "update --prune (status $(status))" "$tmp/out" "$tmp/err"
fi
# --- redirects and credentials (tests/update/redirector.py) ---------------
# Credentials (a user name and password in the URL, a registry's bearer
# token) go to the request's own scheme, host and port only: a redirect
# to another host name or port is followed without them.
python3 "$repo/tests/update/redirector.py" --port-file "$tmp/rports" \
	--log "$tmp/redir" 2>"$tmp/redir.err" &
redir=$!
i=0
while [ ! -s "$tmp/rports" ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
read -r rport rport2 <"$tmp/rports"
rlist=api/v2/downloads/release/?is_published=true
auth_to() { # scenario: the Authorization the redirect's target got
	: >"$tmp/redir"
	(cd "$w" && "$matrixc" update --check \
		--source "http://u:pw@127.0.0.1:$rport/$1" >/dev/null 2>"$tmp/err")
	grep " /landed/$rlist " "$tmp/redir" | cut -d' ' -f1,3-
}
# expect_got LABEL WANT COMMAND...: ok when COMMAND prints WANT
expect_got() {
	label=$1 want=$2
	shift 2
	got=$("$@")
	if [ "$got" = "$want" ]; then
		ok "$label"
	else
		not_ok "$label (got '$got')" "$tmp/redir" "$tmp/err"
	fi
}
expect_got "URL credentials are not sent on a redirect to another host name" \
	"localhost:$rport -" auth_to cross
expect_got "URL credentials are not sent on a redirect to another port" \
	"127.0.0.1:$rport2 -" auth_to port
expect_got "URL credentials still go with a redirect to the same origin" \
	"127.0.0.1:$rport Basic dTpwdw==" auth_to same
auth_to file >/dev/null
if grep -q "Protocol \"file\" not supported" "$tmp/err"; then
	ok "a redirect to file:// is refused"
else
	not_ok "a redirect to file:// is refused" "$tmp/err"
fi

# the registry's bearer token, across a redirect of the manifest request
rw=$tmp/rw
mkdir "$rw"
token_to() { # scenario: the Authorization the manifest redirect's target got
	cat >"$rw/matrix.yaml" <<Y
matrixc: 1
image: python
base: 127.0.0.1:$rport/$1/debian:x
versions: ["3.13"]
variants:
  wee: {}
Y
	cp "$w/behind.json" "$rw/matrix.lock.json"
	: >"$tmp/redir"
	(cd "$rw" && "$matrixc" update --check --source "$base/ok" \
		>/dev/null 2>"$tmp/err")
	grep " /v2/landed/debian/manifests/x " "$tmp/redir" | cut -d' ' -f1,3- | sort -u
}
expect_got "the bearer token is not sent on a redirect to another host name" \
	"localhost:$rport -" token_to cross
expect_got "the bearer token is not sent on a redirect to another port" \
	"127.0.0.1:$rport2 -" token_to port
expect_got "the bearer token goes with a redirect to the same origin" \
	"127.0.0.1:$rport Bearer tok" token_to same

# --- libcurl options that matter, refused (a test build's knobs) ----------
# MATRIXC_FAULT_SETOPT=NAME,... makes libcurl refuse those options, as an
# older libcurl refuses one it does not know; MATRIXC_FAULT_CURL_VERSION
# plays an older libcurl. The build is the one tests/faults.t uses
# (tests/lib/faults.sh).
fbin=$(faults_bin "$repo" "$tmp/build.log") || fbin=
if [ -z "$fbin" ]; then
	not_ok "build the fault-injection matrixc" "$tmp/build.log"
else
	frun() { # knob scenario args...: the test build, told to refuse options
		knob=$1
		shift
		: >"$tmp/requests"
		: >"$tmp/redir"
		cp "$w/behind.json" "$w/matrix.lock.json"
		(cd "$w" && MATRIXC_FAULT_SETOPT=$knob "$fbin" update "$@" \
			>"$tmp/out" 2>"$tmp/err")
		echo $? >"$tmp/status"
	}
	frun PROTOCOLS_STR,REDIR_PROTOCOLS_STR --check --source "$base/ok"
	if [ "$(status)" = 1 ] && [ -s "$tmp/requests" ]; then
		ok "a libcurl without CURLOPT_PROTOCOLS_STR: the bitmask form is used"
	else
		not_ok "a libcurl without CURLOPT_PROTOCOLS_STR: the bitmask form (status $(status))" "$tmp/err"
	fi
	frun PROTOCOLS_STR,REDIR_PROTOCOLS_STR --check --source "http://127.0.0.1:$rport/file"
	if [ "$(status)" = 3 ] && grep -q "Protocol \"file\" not supported" "$tmp/err"; then
		ok "... and still refuses a redirect to file://"
	else
		not_ok "... and still refuses a redirect to file:// (status $(status))" "$tmp/err"
	fi
	for opt in PROTOCOLS_STR,PROTOCOLS REDIR_PROTOCOLS_STR,REDIR_PROTOCOLS \
		URL FOLLOWLOCATION MAXREDIRS UNRESTRICTED_AUTH \
		CONNECTTIMEOUT_MS TIMEOUT_MS SSL_VERIFYPEER SSL_VERIFYHOST \
		HEADERFUNCTION WRITEFUNCTION; do
		frun "$opt" --source "$base/ok"
		first=${opt%%,*}
		if [ "$(status)" = 3 ] && grep -q "GET $base/ok/$rlist: libcurl refused CURLOPT_$first.*; request not made" "$tmp/err" &&
			[ ! -s "$tmp/requests" ] && cmp -s "$w/behind.json" "$w/matrix.lock.json"; then
			ok "libcurl refuses CURLOPT_$first: no request, exit 3, lock untouched"
		else
			not_ok "libcurl refuses CURLOPT_$first: no request, exit 3 (status $(status))" "$tmp/err" "$tmp/requests"
		fi
	done
	# an older libcurl keeps URL credentials for another port of the
	# same host: there a request with credentials follows no redirect
	: >"$tmp/redir"
	(cd "$w" && MATRIXC_FAULT_CURL_VERSION=0x074a00 "$fbin" update --check \
		--source "http://u:pw@127.0.0.1:$rport/port" >/dev/null 2>"$tmp/err")
	if grep -q "HTTP 302 Found (a redirect is not followed with credentials by a libcurl older than 7.83)" "$tmp/err" &&
		! grep -q landed "$tmp/redir"; then
		ok "libcurl before 7.83: a request with credentials follows no redirect"
	else
		not_ok "libcurl before 7.83: a request with credentials follows no redirect" "$tmp/err" "$tmp/redir"
	fi
	: >"$tmp/redir"
	(cd "$w" && MATRIXC_FAULT_CURL_VERSION=0x074a00 "$fbin" update --check \
		--source "http://127.0.0.1:$rport/port" >/dev/null 2>"$tmp/err")
	if grep -q " /landed/$rlist -" "$tmp/redir"; then
		ok "libcurl before 7.83: a request without credentials still follows"
	else
		not_ok "libcurl before 7.83: a request without credentials still follows" "$tmp/err" "$tmp/redir"
	fi
fi
tap_done
