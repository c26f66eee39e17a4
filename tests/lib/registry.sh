# tests/lib/registry.sh - a real OCI registry on 127.0.0.1 for tests (sourced).
#
#   registry_start DIR [AUTH_YAML]
#                  start Debian's docker-registry (distribution 2.8) with
#                  its storage and config under DIR, listening on a free
#                  port of 127.0.0.1; sets and exports
#                  REGISTRY=127.0.0.1:PORT. AUTH_YAML, when given, is a
#                  file whose text is the config's `auth:` section.
#                  Returns non-zero (with the log on stderr) when the
#                  registry does not answer within 10 s.
#   registry_stop  stop every registry registry_start started (call it
#                  from the script's EXIT trap).
# Needs docker-registry and python3 (for a free port); curl is not needed:
# readiness is polled with python3's urllib.
_registry_pids=

_registry_free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

_registry_ready() { # host:port: 0 once /v2/ answers (200 or 401)
	python3 - "$1" <<'PY'
import sys, time, urllib.request, urllib.error
url = "http://%s/v2/" % sys.argv[1]
for _ in range(100):
    try:
        urllib.request.urlopen(url, timeout=1)
        sys.exit(0)
    except urllib.error.HTTPError as e:
        sys.exit(0 if e.code == 401 else 1)
    except OSError:
        time.sleep(0.1)
sys.exit(1)
PY
}

registry_start() {
	_dir=$1
	mkdir -p "$_dir/data"
	_port=$(_registry_free_port) || return 1
	{
		echo "version: 0.1"
		echo "log: {level: warn, accesslog: {disabled: true}}"
		echo "storage:"
		echo "  filesystem: {rootdirectory: $_dir/data}"
		echo "  delete: {enabled: true}"
		echo "http:"
		echo "  addr: 127.0.0.1:$_port"
		[ -n "${2:-}" ] && cat "$2"
	} >"$_dir/config.yml"
	docker-registry serve "$_dir/config.yml" >"$_dir/log" 2>&1 &
	_registry_pids="$_registry_pids $!"
	if ! _registry_ready "127.0.0.1:$_port"; then
		echo "registry did not start:" >&2
		tail -n 20 "$_dir/log" >&2
		return 1
	fi
	REGISTRY=127.0.0.1:$_port
	export REGISTRY
}

registry_stop() {
	for _pid in $_registry_pids; do
		kill "$_pid" 2>/dev/null
		wait "$_pid" 2>/dev/null
	done
	_registry_pids=
}
