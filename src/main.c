/* main.c - the command line: parse options, run one command.
 *
 * All work happens in the cmd_* functions; main only turns argv into
 * cli_opts and returns their exit status.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "diag.h"

static const char usage[] =
    "usage: matrixc [options] COMMAND [args]\n"
    "\n"
    "Commands:\n"
    "  generate          write generated/ from matrix.yaml (only changed files)\n"
    "  check             exit 1 with a diff when generated/ is out of date\n"
    "  list              the cells, as a table (--all: skipped too) or JSON\n"
    "  explain CELL      a cell's final values and where each came from\n"
    "  update [SERIES]   resolve releases into matrix.lock.json (network)\n"
    "  init [DIR]        write a starter matrix.yaml, lua/ and pre-commit config\n"
    "\n"
    "Options (each only with the commands named):\n"
    "  -f FILE           the matrix (default: matrix.yaml here or in the\n"
    "                    nearest parent directory that has one)\n"
    "  -o DIR            generate, check: the output directory\n"
    "                    (default: generated/ beside the matrix)\n"
    "  --lock FILE       the lock file (default: matrix.lock.json beside it)\n"
    "  --json            list, explain: print JSON (list: skipped cells too)\n"
    "  --all             list: skipped cells too, with why\n"
    "  --diff-lines N    check: show at most N lines of diff (default 200, 0: all)\n"
    "  --source URL      update: a mirror of python.org's downloads API\n"
    "  --check           update: exit 1 when the lock file is behind\n"
    "  --keep-going      update: write what resolved even when a series failed\n"
    "  --prune           update: remove lock entries no matrix entry uses\n"
    "  --trust-unverified  update: lock a tarball with no published checksum\n"
    "  -q, --quiet       generate, update, init: no summary line\n"
    "  --color WHEN      auto, always or never (default auto; NO_COLOR honoured)\n"
    "  -h, --help        this help\n"
    "  --version         the version\n"
    "\n"
    "Exit status: 0 ok, 1 out of date (check, update --check), 2 bad usage or\n"
    "input (update: a series with no release), 3 I/O or network.\n";

typedef int (*command)(const cli_opts *);

/* The options, as bits: each command says which it takes, so that an
 * option it would ignore is a usage error instead of silently nothing. */
enum {
	OPT_FILE = 1 << 0,       /* -f */
	OPT_OUT = 1 << 1,        /* -o */
	OPT_LOCK = 1 << 2,       /* --lock */
	OPT_SOURCE = 1 << 3,     /* --source */
	OPT_JSON = 1 << 4,       /* --json */
	OPT_CHECK = 1 << 5,      /* --check */
	OPT_QUIET = 1 << 6,      /* -q */
	OPT_DIFF_LINES = 1 << 7, /* --diff-lines */
	OPT_COLOR = 1 << 8,      /* --color: every command */
	OPT_KEEP_GOING = 1 << 9, /* --keep-going */
	OPT_PRUNE = 1 << 10,     /* --prune */
	OPT_TRUST = 1 << 11,     /* --trust-unverified */
	OPT_ALL = 1 << 12,       /* list --all */
};

typedef struct {
	const char *name;
	command run;
	unsigned takes;      /* OPT_* bits */
	int min_args, max_args; /* positional arguments; -1: no limit */
	const char *synopsis;   /* the one-line hint after a usage error */
	const char *bad_args;   /* what a wrong number of arguments says */
} command_def;

static const command_def commands[] = {
    {"generate", cmd_generate, OPT_FILE | OPT_OUT | OPT_LOCK | OPT_QUIET, 0, 0,
     "matrixc generate [-f FILE] [-o DIR] [--lock FILE] [-q]",
     "generate takes no arguments"},
    {"check", cmd_check, OPT_FILE | OPT_OUT | OPT_LOCK | OPT_DIFF_LINES, 0, 0,
     "matrixc check [-f FILE] [-o DIR] [--lock FILE] [--diff-lines N]",
     "check takes no arguments"},
    {"list", cmd_list, OPT_FILE | OPT_LOCK | OPT_JSON | OPT_ALL, 0, 0,
     "matrixc list [-f FILE] [--lock FILE] [--all] [--json]",
     "list takes no arguments"},
    {"explain", cmd_explain, OPT_FILE | OPT_LOCK | OPT_JSON, 1, 1,
     "matrixc explain [-f FILE] [--lock FILE] [--json] CELL",
     "explain takes one cell: a tag (3.13.5-wee) or VERSION/VARIANT (3.13/wee)"},
    {"update", cmd_update,
     OPT_FILE | OPT_LOCK | OPT_SOURCE | OPT_CHECK | OPT_QUIET | OPT_KEEP_GOING |
	 OPT_PRUNE | OPT_TRUST,
     0, -1,
     "matrixc update [-f FILE] [--lock FILE] [--source URL] [--check] "
     "[--keep-going] [--prune] [--trust-unverified] [-q] [SERIES...]",
     NULL},
    {"init", cmd_init, OPT_QUIET, 0, 1, "matrixc init [-q] [DIR]",
     "init takes at most one directory"},
};

static const command_def *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

__attribute__((format(printf, 1, 2)))
static int bad_usage(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("matrixc: error: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputs("\n(run 'matrixc --help' for usage)\n", stderr);
	va_end(ap);
	return EXIT_INPUT;
}

/* "unknown command", with the nearest command when one is close */
static int unknown_command(const char *name)
{
	enum { N = sizeof commands / sizeof *commands };
	const char *names[N];
	for (size_t i = 0; i < N; i++)
		names[i] = commands[i].name;
	const char *near = diag_suggest(name, names, N);
	if (!near)
		return bad_usage("unknown command '%s'", name);
	return bad_usage("unknown command '%s' (did you mean '%s'?)", name,
			 near);
}

/* A usage error of one command: the message, then its synopsis. */
static int bad_command_usage(const command_def *cmd, const char *fmt,
			     const char *arg)
{
	fputs("matrixc: error: ", stderr);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nusage: %s\n", cmd->synopsis);
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

/* Options seen so far, for checking them against the command once it is
 * known (options may come before it: matrixc -q generate). */
typedef struct {
	unsigned bits;
	const char *spelled[16]; /* as typed, by bit number */
} seen_opts;

static void saw(seen_opts *seen, unsigned bit, const char *as)
{
	unsigned n = 0;
	while (!(bit & (1u << n)))
		n++;
	if (!(seen->bits & bit))
		seen->spelled[n] = as;
	seen->bits |= bit;
}

/* --diff-lines N: a number, 0 for no limit */
static int diff_lines(const char *v, cli_opts *o)
{
	char *end;
	if (*v < '0' || *v > '9')
		return bad_usage("--diff-lines needs a number (0: no limit), "
				 "not '%s'", v);
	errno = 0;
	unsigned long n = strtoul(v, &end, 10);
	if (*end || errno)
		return bad_usage("--diff-lines needs a number (0: no limit), "
				 "not '%s'", v);
	o->diff_lines = n ? (size_t)n : SIZE_MAX;
	return EXIT_OK;
}

static int color(const char *v, cli_opts *o)
{
	if (!strcmp(v, "always"))
		o->color = true;
	else if (!strcmp(v, "never"))
		o->color = false;
	else if (strcmp(v, "auto"))
		return bad_usage("--color takes auto, always or never, not '%s'", v);
	return EXIT_OK;
}

/* A flag: the option's bit and where it goes. */
static bool *flag(const char *a, cli_opts *o, unsigned *bit)
{
	static const struct {
		const char *name;
		unsigned bit;
		size_t field;
	} flags[] = {
	    {"--json", OPT_JSON, offsetof(cli_opts, json)},
	    {"--all", OPT_ALL, offsetof(cli_opts, all)},
	    {"--check", OPT_CHECK, offsetof(cli_opts, check_only)},
	    {"-q", OPT_QUIET, offsetof(cli_opts, quiet)},
	    {"--quiet", OPT_QUIET, offsetof(cli_opts, quiet)},
	    {"--keep-going", OPT_KEEP_GOING, offsetof(cli_opts, keep_going)},
	    {"--prune", OPT_PRUNE, offsetof(cli_opts, prune)},
	    {"--trust-unverified", OPT_TRUST, offsetof(cli_opts, trust_unverified)},
	};
	for (size_t i = 0; i < sizeof flags / sizeof *flags; i++)
		if (!strcmp(a, flags[i].name)) {
			*bit = flags[i].bit;
			return (bool *)((char *)o + flags[i].field);
		}
	return NULL;
}

static int parse_option(int argc, char **argv, int *i, cli_opts *o,
			seen_opts *seen)
{
	const char *a = argv[*i], *v = NULL;
	const char **dst = NULL;
	unsigned bit = 0;
	bool *on = flag(a, o, &bit);
	if (on) {
		*on = true;
		saw(seen, bit, a);
		return EXIT_OK;
	}
	if (!strcmp(a, "-f"))
		dst = &o->matrix_file, bit = OPT_FILE;
	else if (!strcmp(a, "-o"))
		dst = &o->out_dir, bit = OPT_OUT;
	else if (!strcmp(a, "--lock"))
		dst = &o->lock_file, bit = OPT_LOCK;
	else if (!strcmp(a, "--source"))
		dst = &o->source, bit = OPT_SOURCE;
	else if (!strcmp(a, "--diff-lines"))
		bit = OPT_DIFF_LINES;
	else if (!strcmp(a, "--color"))
		bit = OPT_COLOR;
	else
		return bad_usage("unknown option '%s'", a);
	if (!(v = value(argc, argv, i)))
		return bad_usage("option '%s' needs a value", a);
	saw(seen, bit, a);
	if (dst) {
		*dst = v;
		return EXIT_OK;
	}
	return bit == OPT_DIFF_LINES ? diff_lines(v, o) : color(v, o);
}

/* Every option given must be one the command takes, and the number of
 * arguments one it accepts. */
static int check_usage(const command_def *cmd, const seen_opts *seen,
		       const cli_opts *o)
{
	unsigned stray = seen->bits & ~(cmd->takes | OPT_COLOR);
	if (stray) {
		unsigned n = 0;
		while (!(stray & (1u << n)))
			n++;
		char msg[64];
		snprintf(msg, sizeof msg, "%s does not take '%%s'", cmd->name);
		return bad_command_usage(cmd, msg, seen->spelled[n]);
	}
	if (cmd->max_args >= 0 && o->nargs > cmd->max_args) {
		char msg[160];
		snprintf(msg, sizeof msg, "%s; unexpected '%%s'", cmd->bad_args);
		return bad_command_usage(cmd, msg, o->args[cmd->max_args]);
	}
	if (o->nargs < cmd->min_args)
		return bad_command_usage(cmd, "%s", cmd->bad_args);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	cli_opts o = {.out = stdout, .err = stderr, .color = color_auto()};
	const command_def *cmd = NULL;
	seen_opts seen = {0};
	char **args = calloc((size_t)argc + 1, sizeof *args);
	if (!args)
		return EXIT_ENV;
	int r = EXIT_OK;
	for (int i = 1; i < argc && !r; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage, stdout);
			free(args);
			return EXIT_OK;
		} else if (!strcmp(a, "--version")) {
			puts("matrixc " MATRIXC_VERSION);
			free(args);
			return EXIT_OK;
		} else if (a[0] == '-' && a[1]) {
			r = parse_option(argc, argv, &i, &o, &seen);
		} else if (!cmd) {
			cmd = find_command(a);
			if (!cmd)
				r = unknown_command(a);
		} else {
			args[o.nargs++] = argv[i];
		}
	}
	o.args = args;
	if (!r && !cmd)
		r = bad_usage("%s", "no command given");
	if (!r)
		r = check_usage(cmd, &seen, &o);
	if (!r)
		r = cmd->run(&o);
	free(args);
	return r;
}
