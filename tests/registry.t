#!/bin/sh
# Base image digests against real components: Debian's docker-registry
# (distribution 2.8) on 127.0.0.1, images pushed with buildah, digests
# checked with skopeo; a token server of our own (tests/registry/token.py)
# in front of a second registry for the Bearer flow; and a misbehaving
# registry (tests/lib/fault_server.py) for the faults. Releases come from the
# python.org double of update.t (the same server).
#
# The matrix names its bases on the local registry: base:
# 127.0.0.1:PORT/debian:bookworm-slim, and a hook moves 3.12 to
# 127.0.0.1:PORT/multi:1, a two-platform index. Registries on this machine
# are spoken to over plain http (oci.h); nothing else is.
#
#   MATRIXC=build/matrixc prove tests/registry.t
repo=$(cd "$(dirname "$0")/.." && pwd)
matrixc=${MATRIXC:-$repo/build/matrixc}
tsv=$repo/../shared/data/cpython-source-checksums.tsv
[ -f "$tsv" ] || tsv=$repo/../../shared/data/cpython-source-checksums.tsv
. "$repo/tests/lib/tap.sh"
. "$repo/tests/lib/registry.sh"

for tool in docker-registry buildah skopeo openssl python3; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "1..0 # SKIP $tool is not installed (make test-deps)"
		exit 0
	fi
done

tmp=$(mktemp -d)
pids=
cleanup() {
	registry_stop
	for p in $pids; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
NO_PROXY=127.0.0.1,localhost
no_proxy=$NO_PROXY
MATRIXC_HTTP_TIMEOUT=5
MATRIXC_HTTP_CONNECT_TIMEOUT=2
MATRIXC_HTTP_RETRIES=2
MATRIXC_HTTP_BACKOFF=0.05
export NO_PROXY no_proxy MATRIXC_HTTP_TIMEOUT MATRIXC_HTTP_CONNECT_TIMEOUT \
	MATRIXC_HTTP_RETRIES MATRIXC_HTTP_BACKOFF

# start_server NAME CMD...: a python server writing its port to
# $tmp/NAME.port; sets port to it
start_server() {
	name=$1
	shift
	"$@" --port-file "$tmp/$name.port" >/dev/null 2>"$tmp/$name.err" &
	pids="$pids $!"
	i=0
	while [ ! -s "$tmp/$name.port" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if [ ! -s "$tmp/$name.port" ]; then
		echo "Bail out! $name did not start: $(cat "$tmp/$name.err")"
		exit 1
	fi
	port=$(cat "$tmp/$name.port")
}

start_server pyorg python3 "$repo/tests/lib/fault_server.py" \
	--tsv "$tsv" --log "$tmp/pyorg.log"
source=http://127.0.0.1:$port/ok

registry_start "$tmp/reg" || { echo "Bail out! no registry"; exit 1; }
reg=$REGISTRY

# buildah with storage of its own, no daemon, no root-only driver
B() {
	buildah --root "$tmp/storage" --runroot "$tmp/run" --storage-driver vfs \
		"$@"
}
# file_image REF TEXT [PLATFORM]: a FROM-scratch image holding /id = TEXT,
# built (no RUN step: any platform builds without emulation) as REF in
# buildah's storage
file_image() {
	mkdir -p "$tmp/ctx"
	printf '%s\n' "$2" >"$tmp/ctx/id"
	printf 'FROM scratch\nCOPY id /id\n' >"$tmp/ctx/Containerfile"
	B build -q ${3:+--platform "$3"} -t "$1" "$tmp/ctx" >/dev/null 2>"$tmp/build.err"
}
push() { # LOCAL REMOTE
	B push -q --tls-verify=false "$1" "docker://$2" >/dev/null 2>"$tmp/push.err"
}
raw_digest() { # REF: sha256 of the manifest bytes the registry serves
	skopeo inspect --raw --tls-verify=false "docker://$1" >"$tmp/raw" 2>"$tmp/raw.err" &&
		echo "sha256:$(sha256sum <"$tmp/raw" | cut -d' ' -f1)"
}

# --- images --------------------------------------------------------------
file_image localhost/base-a "base A" &&
	push localhost/base-a "$reg/debian:bookworm-slim"
result $? "a tiny base image is pushed as $reg/debian:bookworm-slim" "$tmp/build.err" "$tmp/push.err"

ok=0
for arch in amd64 arm64; do
	file_image "localhost/multi-$arch" "multi $arch" "linux/$arch" || ok=1
done
B manifest create localhost/multi >/dev/null 2>"$tmp/push.err" &&
	B manifest add localhost/multi localhost/multi-amd64 >/dev/null 2>>"$tmp/push.err" &&
	B manifest add localhost/multi localhost/multi-arm64 >/dev/null 2>>"$tmp/push.err" &&
	B manifest push -q --all --tls-verify=false localhost/multi \
		"docker://$reg/multi:1" >/dev/null 2>>"$tmp/push.err" || ok=1
skopeo inspect --raw --tls-verify=false "docker://$reg/multi:1" >"$tmp/index" 2>&1
python3 - "$tmp/index" <<'PY' || ok=1
import json, sys
d = json.load(open(sys.argv[1]))
plats = sorted(m["platform"]["architecture"] for m in d["manifests"])
assert d["mediaType"].endswith(("index.v1+json", "manifest.list.v2+json")), d["mediaType"]
assert plats == ["amd64", "arm64"], plats
PY
result $ok "a two-platform index (amd64, arm64) is pushed as $reg/multi:1" "$tmp/build.err" "$tmp/push.err" "$tmp/index"

digest_a=$(raw_digest "$reg/debian:bookworm-slim")
digest_m=$(raw_digest "$reg/multi:1")

# --- the matrix ----------------------------------------------------------
tsv_entry() { # key version
	awk -F '\t' -v k="$1" -v v="$2" '$1 == v {
		printf "    \"%s\": {\n      \"sha256\": \"%s\",\n", k, $3
		printf "      \"url\": \"%s\",\n      \"version\": \"%s\"\n    }", $2, $1
	}' "$tsv"
}
newest() { # series
	awk -F '\t' -v s="$1." 'index($1, s) == 1 && $1 !~ /[abr]/ {
		split(substr($1, length(s) + 1), p, "."); if (p[1] + 0 >= best) { best = p[1] + 0; v = $1 }
	} END { print v }' "$tsv"
}
w=$tmp/work
mkdir -p "$w/lua"
cat >"$w/matrix.yaml" <<EOF
matrixc: 1
image: python
base: $reg/debian:bookworm-slim
versions: ["3.13", "3.12"]
variants:
  wee: {}
  wee-optimized: { pgo: true }
hooks: [lua/multi.lua]
EOF
cat >"$w/lua/multi.lua" <<EOF
return {
  cell = function(c)
    if c.minor == 12 then c.base = "$reg/multi:1" end
  end,
}
EOF
{
	printf '{\n  "matrixc": 1,\n  "releases": {\n'
	tsv_entry 3.12 "$(newest 3.12)"
	printf ',\n'
	tsv_entry 3.13 "$(newest 3.13)"
	printf '\n  }\n}\n'
} >"$w/matrix.lock.json"
run() { # ARGS...: matrixc in $w, output in $tmp/out and $tmp/err
	(cd "$w" && "$matrixc" "$@" >"$tmp/out" 2>"$tmp/err")
}
base_digest() { # IMAGE: its digest in the lock file
	python3 -c 'import json, sys
print(json.load(open(sys.argv[1]))["bases"][sys.argv[2]]["digest"])' \
		"$w/matrix.lock.json" "$1" 2>/dev/null
}

run generate
st=$?
[ $st -eq 2 ] && grep -q "base image '$reg/debian:bookworm-slim' has no digest" "$tmp/err" &&
	grep -q "lua/multi.lua:3: error: base image '$reg/multi:1' has no digest" "$tmp/err" &&
	grep -q "'matrixc update' resolves" "$tmp/err"
result $? "generate without base digests: exit 2 at each base's line, naming update (status $st)" "$tmp/err"

run update --source "$source"
st=$?
[ $st -eq 0 ] && [ "$(base_digest "$reg/debian:bookworm-slim")" = "$digest_a" ] &&
	[ "$(base_digest "$reg/multi:1")" = "$digest_m" ]
result $? "update records the digests skopeo sees (base and index) (status $st)" "$tmp/out" "$tmp/err" "$w/matrix.lock.json"
grep -qx "$reg/multi:1: (none) -> $digest_m" "$tmp/out"
result $? "update says which base it resolved" "$tmp/out"
python3 - "$w/matrix.lock.json" <<'PY'
import json, sys
text = open(sys.argv[1]).read()
d = json.loads(text)
assert text == json.dumps(d, indent=2, sort_keys=True) + "\n"
for k, v in d["bases"].items():
    assert list(v) == ["digest"], v
PY
result $? "the lock file stays sorted, two-space indented, one digest per base" "$w/matrix.lock.json"

run generate
st=$?
n_a=$(grep -c "^FROM $reg/debian:bookworm-slim@$digest_a" "$w/generated/3.13."*/wee/Dockerfile)
n_m=$(grep -c "^FROM $reg/multi:1@$digest_m" "$w/generated/3.12."*/wee-optimized/Dockerfile)
[ $st -eq 0 ] && [ "$n_a" = 2 ] && [ "$n_m" = 2 ] && [ ! -s "$tmp/err" ]
result $? "generate pins both FROM lines of each Dockerfile to the lock's digest" "$tmp/err"
grep -q "org.opencontainers.image.base.digest=\"$digest_a\"" "$w/generated/3.13."*/wee/Dockerfile &&
	grep -q "org.opencontainers.image.base.name=\"$reg/debian:bookworm-slim\"" "$w/generated/3.13."*/wee/Dockerfile
result $? "the labels name the base and its digest"

run update --check --source "$source"
result $? "update --check: nothing moved, exit 0" "$tmp/out" "$tmp/err"

# --- the tag moves -------------------------------------------------------
cp -a "$w/generated" "$tmp/before"
cp "$w/matrix.lock.json" "$tmp/lock.before"
file_image localhost/base-b "base B" && push localhost/base-b "$reg/debian:bookworm-slim"
result $? "a new image is pushed under debian:bookworm-slim" "$tmp/build.err" "$tmp/push.err"
digest_b=$(raw_digest "$reg/debian:bookworm-slim")

run update --check --source "$source"
st=$?
[ $st -eq 1 ] && grep -qx "$reg/debian:bookworm-slim: $digest_a -> $digest_b" "$tmp/out" &&
	cmp -s "$tmp/lock.before" "$w/matrix.lock.json"
result $? "update --check reports the moved base, exit 1, lock untouched (status $st)" "$tmp/out" "$tmp/err"

run update --source "$source" && [ "$(base_digest "$reg/debian:bookworm-slim")" = "$digest_b" ] &&
	[ "$(base_digest "$reg/multi:1")" = "$digest_m" ]
result $? "update moves the base's digest and keeps the other" "$tmp/out" "$tmp/err"
run generate
changed=$(cd "$tmp/before" && for f in */*/Dockerfile; do
	cmp -s "$f" "$w/generated/$f" || echo "$f"
done | sort | tr '\n' ' ')
v13=$(newest 3.13)
want="$v13/wee-optimized/Dockerfile $v13/wee/Dockerfile "
[ "$changed" = "$want" ]
result $? "exactly the Dockerfiles on the moved base changed: $changed"
diff -r -x Dockerfile -x .matrixc-manifest "$tmp/before" "$w/generated" >"$tmp/diff" 2>&1
result $? "no other generated file changed" "$tmp/diff"

# --- faults --------------------------------------------------------------
start_server fault python3 "$repo/tests/lib/fault_server.py" --log "$tmp/fault.log"
fport=$port
fault_case() { # SCENARIO TITLE GREP
	sed "s|^base: .*|base: 127.0.0.1:$fport/$1/debian:bookworm-slim|" "$w/matrix.yaml" >"$tmp/m.yaml"
	cp "$tmp/m.yaml" "$w/matrix.yaml.$1"
	cp "$w/matrix.lock.json" "$tmp/lock.before"
	(cd "$w" && "$matrixc" update -f "matrix.yaml.$1" --lock matrix.lock.json \
		--source "$source" >"$tmp/out" 2>"$tmp/err")
	st=$?
	[ $st -eq 3 ] && cmp -s "$tmp/lock.before" "$w/matrix.lock.json" &&
		grep -q "$3" "$tmp/err" && grep -q "the lock file is unchanged" "$tmp/err"
	result $? "$2: exit 3, lock untouched (status $st)" "$tmp/err"
}
fault_case e500 "500 from the registry" "HEAD http://127.0.0.1:$fport/v2/e500/debian/manifests/bookworm-slim: HTTP 500 .*gave up after 3 attempts"
fault_case e404 "404 for the tag" "HTTP 404"
fault_case badjson "a token endpoint that answers bad JSON" "GET http://127.0.0.1:$fport/token/badjson?service=fault%20test&scope=.*malformed JSON"
fault_case truncated "a truncated manifest" "GET http://127.0.0.1:$fport/v2/truncated/debian/manifests/bookworm-slim: truncated response"
fault_case baddigest "a malformed Docker-Content-Digest" "bad Docker-Content-Digest 'sha256:zz'"
refused=$(python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
fault_case_refused() {
	sed "s|^base: .*|base: 127.0.0.1:$refused/debian:bookworm-slim|" "$w/matrix.yaml" >"$w/matrix.yaml.refused"
	cp "$w/matrix.lock.json" "$tmp/lock.before"
	(cd "$w" && "$matrixc" update -f matrix.yaml.refused --lock matrix.lock.json \
		--source "$source" >"$tmp/out" 2>"$tmp/err")
	st=$?
	[ $st -eq 3 ] && cmp -s "$tmp/lock.before" "$w/matrix.lock.json" &&
		grep -q "Connection refused\|Couldn't connect\|Could not connect" "$tmp/err"
	result $? "a refused connection: exit 3, lock untouched (status $st)" "$tmp/err"
}
fault_case_refused

# a HEAD without Docker-Content-Digest: GET and sha256 of the body
fault_digest=$(head -n 1 "$tmp/fault.err")
sed "s|^base: .*|base: 127.0.0.1:$fport/nodigest/debian:bookworm-slim|" "$w/matrix.yaml" >"$w/matrix.yaml.nodigest"
(cd "$w" && "$matrixc" update -f matrix.yaml.nodigest --lock "$tmp/nodigest.lock" \
	--source "$source" >"$tmp/out" 2>"$tmp/err")
st=$?
grep -q "\"digest\": \"$fault_digest\"" "$tmp/nodigest.lock" 2>/dev/null
result $? "no Docker-Content-Digest: the digest is the sha256 of the manifest GET (status $st)" "$tmp/err"
grep -q "^GET /v2/nodigest/debian/manifests/bookworm-slim" "$tmp/fault.log"
result $? "that GET was made" "$tmp/fault.log"

# a fake registry demanding the token (quoted values with commas)
sed "s|^base: .*|base: 127.0.0.1:$fport/bearer/debian:bookworm-slim|" "$w/matrix.yaml" >"$w/matrix.yaml.bearer"
(cd "$w" && "$matrixc" update -f matrix.yaml.bearer --lock "$tmp/bearer.lock" \
	--source "$source" >"$tmp/out" 2>"$tmp/err")
st=$?
grep -q "\"digest\": \"$fault_digest\"" "$tmp/bearer.lock" 2>/dev/null &&
	grep -q "^HEAD /v2/bearer/debian/manifests/bookworm-slim Bearer good-token" "$tmp/fault.log"
result $? "Bearer challenge with quoted commas: token fetched, HEAD retried with it (status $st)" "$tmp/err" "$tmp/fault.log"

# --- a hostile registry and token server (fault_server.py's registry) ----
hostile() { # SCENARIO: update against it, into $tmp/SCENARIO.lock; sets st
	sed "s|^base: .*|base: 127.0.0.1:$fport/$1/debian:bookworm-slim|; s|^hooks: .*||" \
		"$w/matrix.yaml" >"$w/matrix.yaml.$1"
	cp "$w/matrix.lock.json" "$tmp/$1.lock"
	cp "$tmp/$1.lock" "$tmp/lock.before"
	(cd "$w" && "$matrixc" update -f "matrix.yaml.$1" --lock "$tmp/$1.lock" \
		--source "$source" >"$tmp/out" 2>"$tmp/err")
	st=$?
}
hostile_refused() { # SCENARIO TITLE GREP
	hostile "$1"
	[ $st -eq 3 ] && cmp -s "$tmp/lock.before" "$tmp/$1.lock" && grep -q -- "$3" "$tmp/err"
	result $? "$2: exit 3, lock untouched (status $st)" "$tmp/err"
}
hostile leak
grep -q "\"digest\": \"$fault_digest\"" "$tmp/leak.lock" &&
	grep -q "^GET /v2/leak/debian/manifests/bookworm-slim Bearer good-token 127.0.0.1:$fport\$" "$tmp/fault.log"
result $? "a 401's Docker-Content-Digest does not leak into the 200 after it: the body's sha256 is locked (status $st)" "$tmp/err" "$tmp/leak.lock"
hostile_refused mismatch "a GET whose Docker-Content-Digest is not its body's sha256" \
	"bad Docker-Content-Digest 'sha256:.*': the manifest's bytes hash to $fault_digest"
hostile_refused twodigests "two Docker-Content-Digest headers that differ" "the answer has two that differ"
hostile list
grep -q "\"digest\": \"$fault_digest\"" "$tmp/list.lock"
result $? "a Basic challenge before the Bearer one in one WWW-Authenticate: the Bearer one is used (status $st)" "$tmp/err"
hostile_refused bigtoken "a 100,000-character token" "a token longer than 16384 bytes"
hostile_refused bigchallenge "a 40,000-byte WWW-Authenticate" "WWW-Authenticate longer than"
: >"$tmp/fault.log"
hostile crosshost
grep -q "\"digest\": \"$fault_digest\"" "$tmp/crosshost.lock" &&
	grep -q "^HEAD /v2/crosshost/debian/manifests/bookworm-slim - localhost:$fport\$" "$tmp/fault.log" &&
	! grep -q " Bearer .* localhost:[0-9]*\$" "$tmp/fault.log"
result $? "a redirect to another host name: followed, without the token (status $st)" "$tmp/err" "$tmp/fault.log"

# --- the Bearer flow against distribution's token auth ------------------
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/token.key" \
	-out "$tmp/token.crt" -days 2 -subj /CN=matrixc-test-token >/dev/null 2>&1
start_server token python3 "$repo/tests/registry/token.py" \
	--key "$tmp/token.key" --cert "$tmp/token.crt" --issuer matrixc-test \
	--service matrixc-registry --log "$tmp/token.log"
tport=$port
cat >"$tmp/auth.yml" <<EOF
auth:
  token:
    realm: http://127.0.0.1:$tport/token
    service: matrixc-registry
    issuer: matrixc-test
    rootcertbundle: $tmp/token.crt
EOF
registry_start "$tmp/reg-auth" "$tmp/auth.yml" || { echo "Bail out! no token registry"; exit 1; }
areg=$REGISTRY
python3 - "http://$areg/v2/debian/manifests/bookworm-slim" <<'PY'
import sys, urllib.request, urllib.error
try:
    urllib.request.urlopen(urllib.request.Request(sys.argv[1], method="HEAD"))
    sys.exit(1)
except urllib.error.HTTPError as e:
    sys.exit(0 if e.code == 401 and "Bearer" in e.headers.get("WWW-Authenticate", "") else 1)
PY
result $? "the token registry refuses a request without a token"
push localhost/base-a "$areg/debian:bookworm-slim"
result $? "skopeo's own token flow pushes to it" "$tmp/push.err"
digest_t=$(raw_digest "$areg/debian:bookworm-slim")
sed "s|^base: .*|base: $areg/debian:bookworm-slim|; s|^hooks: .*||" "$w/matrix.yaml" >"$w/matrix.yaml.auth"
: >"$tmp/token.log"
(cd "$w" && "$matrixc" update -f matrix.yaml.auth --lock "$tmp/auth.lock" \
	--source "$source" >"$tmp/out" 2>"$tmp/err")
st=$?
grep -q "\"digest\": \"$digest_t\"" "$tmp/auth.lock" 2>/dev/null &&
	grep -qx "/token?service=matrixc-registry&scope=repository%3Adebian%3Apull" "$tmp/token.log"
result $? "update gets an anonymous token from the realm and resolves through distribution's token auth (status $st)" "$tmp/err" "$tmp/token.log"

# --- check is offline ----------------------------------------------------
# Every registry and token server is stopped; a tripwire listens on the
# base registry's port and is the proxy for everything else, and logs any
# connection: check must pass without one.
run check
result $? "check passes while the registries are up" "$tmp/out" "$tmp/err"
registry_stop
for p in $pids; do
	kill "$p" 2>/dev/null
	wait "$p" 2>/dev/null
done
pids=
start_server tripwire python3 -c '
import os, socket, sys
port, log, pf = int(sys.argv[1]), sys.argv[2], sys.argv[4]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen(16)
open(pf + ".tmp", "w").write("%d\n" % port)
os.rename(pf + ".tmp", pf)
while True:
    c, _ = s.accept()
    open(log, "a").write("connection\n")
    c.close()
' "${reg##*:}" "$tmp/tripwire.log"
: >"$tmp/tripwire.log"
(cd "$w" && env -u NO_PROXY -u no_proxy http_proxy="http://$reg" \
	https_proxy="http://$reg" HTTPS_PROXY="http://$reg" all_proxy="http://$reg" \
	"$matrixc" check >"$tmp/out" 2>"$tmp/err")
st=$?
[ $st -eq 0 ] && [ ! -s "$tmp/err" ] && [ ! -s "$tmp/tripwire.log" ]
result $? "check with every registry stopped and a tripwire on the registry's port: exit 0, no connection (status $st)" "$tmp/err" "$tmp/tripwire.log"
(cd "$w" && env -u NO_PROXY -u no_proxy http_proxy="http://$reg" \
	"$matrixc" update --check --source "$source" >"$tmp/out" 2>"$tmp/err")
st=$?
[ $st -eq 3 ] && [ -s "$tmp/tripwire.log" ]
result $? "the tripwire does see update --check, which goes online (status $st)" "$tmp/err" "$tmp/tripwire.log"

tap_done
