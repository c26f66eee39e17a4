# lib.sh - helpers shared by the e2e scripts (sourced, not run).
#
# Nothing here names a package archive host: the Debian mirror is read from
# this machine's apt configuration at run time, so the test uses whatever
# archive (or caching proxy) the machine is set up for.

# The first Debian archive URI in the apt configuration that is not the
# security archive, from deb822 .sources files or one-line .list files.
e2e_mirror() {
	{
		for f in /etc/apt/sources.list.d/*.sources; do
			[ -r "$f" ] || continue
			awk 'tolower($1) == "uris:" { for (i = 2; i <= NF; i++) print $i }' "$f"
		done
		for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
			[ -r "$f" ] || continue
			awk '$1 == "deb" {
				opt = 0 # skip [option=value ...], then print the URI
				for (i = 2; i <= NF; i++) {
					if (opt) { if ($i ~ /\]$/) opt = 0; continue }
					if ($i ~ /^\[/) { opt = $i !~ /\]$/; continue }
					print $i; break
				}
			}' "$f"
		done
	} | grep -v -- '-security' | grep '^https\?://' | head -n 1
}

# TAP-ish reporting; counters live in the calling shell.
E2E_N=0
E2E_FAILED=0
e2e_ok() {
	E2E_N=$((E2E_N + 1))
	echo "ok $E2E_N - $*"
}
e2e_not_ok() {
	E2E_N=$((E2E_N + 1))
	E2E_FAILED=$((E2E_FAILED + 1))
	echo "not ok $E2E_N - $*"
}
e2e_note() {
	echo "# $*"
}

# Seconds since the epoch (for step timings).
e2e_now() {
	date +%s
}
