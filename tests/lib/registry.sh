# registry.sh - a throwaway OCI registry for the tests: Debian's
# docker-registry (distribution 2.8) on 127.0.0.1, plain HTTP, storing
# under a directory of the test's own. Source it, then:
#   registry_start DIR   start it (config, data and log under DIR), wait
#                        until it answers /v2/, export REGISTRY=127.0.0.1:PORT
#   registry_stop        stop the one registry_start started
# registry_start fails (status 1, a line on stderr) when docker-registry
# is missing or does not come up; a test then skips what needs it.

registry_start() {
	_reg_dir=$1
	command -v docker-registry >/dev/null 2>&1 ||
		{ echo "registry_start: docker-registry is not installed" >&2; return 1; }
	mkdir -p "$_reg_dir/data" || return 1
	# a port the kernel gives out, then released for the registry to take
	_reg_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])') || return 1
	cat >"$_reg_dir/config.yml" <<EOC
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $_reg_dir/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$_reg_port
EOC
	docker-registry serve "$_reg_dir/config.yml" >"$_reg_dir/log" 2>&1 &
	_reg_pid=$!
	_reg_try=0
	while [ $_reg_try -lt 100 ]; do
		if curl -fsS "http://127.0.0.1:$_reg_port/v2/" >/dev/null 2>&1; then
			REGISTRY=127.0.0.1:$_reg_port
			export REGISTRY
			return 0
		fi
		kill -0 "$_reg_pid" 2>/dev/null || break
		sleep 0.1
		_reg_try=$((_reg_try + 1))
	done
	echo "registry_start: docker-registry did not come up:" >&2
	sed 's/^/  /' "$_reg_dir/log" >&2
	registry_stop
	return 1
}

registry_stop() {
	if [ -n "$_reg_pid" ]; then
		kill "$_reg_pid" 2>/dev/null
		wait "$_reg_pid" 2>/dev/null
	fi
	_reg_pid=
	unset REGISTRY
}
