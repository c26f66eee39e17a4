/* main.c - the command line: parse options, run one command.
 *
 * All work happens in the cmd_* functions; main only turns argv into
 * cli_opts and returns their exit status.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

static const char usage[] =
    "usage: matrixc [options] COMMAND [args]\n"
    "\n"
    "Commands:\n"
    "  generate          write generated/ from matrix.yaml (only changed files)\n"
    "  check             exit 1 with a diff when generated/ is out of date\n"
    "  list [--json]     the cells, as a table or as JSON\n"
    "  explain CELL      a cell's final values and where each came from\n"
    "  update [SERIES]   resolve releases into matrix.lock.json (network)\n"
    "  init              write a starter matrix.yaml, lua/ and pre-commit config\n"
    "\n"
    "Options:\n"
    "  -f FILE           the matrix (default: matrix.yaml)\n"
    "  -o DIR            the output directory (default: generated/ beside it)\n"
    "  --lock FILE       the lock file (default: matrix.lock.json beside it)\n"
    "  --json            list: print JSON\n"
    "  --source URL      update: a mirror of python.org's downloads API\n"
    "  --check           update: exit 1 when the lock file is behind\n"
    "  --diff-lines N    check: show at most N lines of diff (default 200)\n"
    "  --color WHEN      auto, always or never (default auto; NO_COLOR honoured)\n"
    "  -q, --quiet       no summary line\n"
    "  -h, --help        this help\n"
    "  --version         the version\n"
    "\n"
    "Exit status: 0 ok, 1 out of date, 2 bad usage or input, 3 I/O or network.\n";

typedef int (*command)(const cli_opts *);

static command find_command(const char *name)
{
	static const struct {
		const char *name;
		command run;
	} commands[] = {
	    {"generate", cmd_generate}, {"check", cmd_check},
	    {"list", cmd_list},         {"explain", cmd_explain},
	    {"update", cmd_update},     {"init", cmd_init},
	};
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
		if (strcmp(commands[i].name, name) == 0)
			return commands[i].run;
	return NULL;
}

static int bad_usage(const char *fmt, const char *arg)
{
	fputs("matrixc: error: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("\n(run 'matrixc --help' for usage)\n", stderr);
	return EXIT_INPUT;
}

static bool color_auto(void)
{
	const char *no = getenv("NO_COLOR");
	return !(no && *no) && isatty(STDERR_FILENO);
}

/* An option that takes a value: "-f FILE"; advances *i. */
static const char *value(int argc, char **argv, int *i)
{
	if (*i + 1 >= argc)
		return NULL;
	return argv[++*i];
}

static int parse_option(int argc, char **argv, int *i, cli_opts *o)
{
	const char *a = argv[*i], *v = NULL;
	const char **dst = NULL;
	if (!strcmp(a, "-f"))
		dst = &o->matrix_file;
	else if (!strcmp(a, "-o"))
		dst = &o->out_dir;
	else if (!strcmp(a, "--lock"))
		dst = &o->lock_file;
	else if (!strcmp(a, "--source"))
		dst = &o->source;
	if (dst) {
		if (!(v = value(argc, argv, i)))
			return bad_usage("option '%s' needs a value", a);
		*dst = v;
	} else if (!strcmp(a, "--json")) {
		o->json = true;
	} else if (!strcmp(a, "--check")) {
		o->check_only = true;
	} else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
		o->quiet = true;
	} else if (!strcmp(a, "--diff-lines")) {
		char *end;
		if (!(v = value(argc, argv, i)))
			return bad_usage("option '%s' needs a value", a);
		o->diff_lines = strtoul(v, &end, 10);
		if (*end || !o->diff_lines)
			return bad_usage("--diff-lines needs a positive number, not '%s'", v);
	} else if (!strcmp(a, "--color")) {
		if (!(v = value(argc, argv, i)))
			return bad_usage("option '%s' needs a value", a);
		if (!strcmp(v, "always"))
			o->color = true;
		else if (!strcmp(v, "never"))
			o->color = false;
		else if (strcmp(v, "auto"))
			return bad_usage("--color takes auto, always or never, not '%s'", v);
	} else {
		return bad_usage("unknown option '%s'", a);
	}
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	cli_opts o = {.out = stdout, .err = stderr, .color = color_auto()};
	command run = NULL;
	char **args = calloc((size_t)argc + 1, sizeof *args);
	if (!args)
		return EXIT_ENV;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int r = EXIT_OK;
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage, stdout);
			free(args);
			return EXIT_OK;
		} else if (!strcmp(a, "--version")) {
			puts("matrixc " MATRIXC_VERSION);
			free(args);
			return EXIT_OK;
		} else if (a[0] == '-' && a[1]) {
			r = parse_option(argc, argv, &i, &o);
		} else if (!run) {
			run = find_command(a);
			if (!run)
				r = bad_usage("unknown command '%s'", a);
		} else {
			args[o.nargs++] = argv[i];
		}
		if (r) {
			free(args);
			return r;
		}
	}
	o.args = args;
	int r = run ? run(&o) : bad_usage("%s", "no command given");
	free(args);
	return r;
}
