# quickstart.sh - the README's Quick start commands (sourced, not run).
#
#   quickstart_commands README.md   the commands of its "## Quick start"
#                                   section (its indented code lines), one
#                                   a line, in order
#   ci_commands .ci/run             the commands .ci/run runs: its lines but
#                                   comments, blank lines and the set, cd and
#                                   export that prepare the shell
# tests/fresh/run.sh runs the first Quick start command on a fresh machine;
# tests/cli.t checks that .ci/run runs exactly the Quick start commands.

quickstart_commands() {
	awk '/^## / { q = /^## Quick start/ }
		q && /^    [^ ]/ { sub(/^    /, ""); print }' "$1"
}

ci_commands() {
	grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' \
		-e '^set ' -e '^cd ' -e '^export ' "$1"
}
