/* cmd.h - the commands, and the pipeline they share.
 *
 * main parses the command line into cli_opts and calls one cmd_* function;
 * each returns the process exit status. Only this layer prints.
 */
#ifndef MATRIXC_CMD_H
#define MATRIXC_CMD_H

#include <stdbool.h>
#include <stdio.h>

#include "cell.h"
#include "diag.h"
#include "lock.h"
#include "matrix.h"
#include "plan.h"

#define MATRIXC_VERSION "0.1.0"

enum {
	EXIT_OK = 0,
	EXIT_STALE = 1, /* check: generated/ is out of date; update --check */
	EXIT_INPUT = 2, /* bad usage, YAML, schema or hook */
	EXIT_ENV = 3    /* I/O, network */
};

typedef struct {
	const char *matrix_file; /* -f, default matrix.yaml */
	const char *out_dir;     /* -o, default <matrix dir>/generated */
	const char *lock_file;   /* --lock, default from matrix.yaml */
	const char *source;      /* update --source URL */
	bool json;               /* list --json, explain --json */
	bool all;                /* list --all: skipped cells too */
	bool check_only;         /* update --check */
	bool keep_going;         /* update --keep-going: write what resolved */
	bool prune;              /* update --prune: drop unused lock entries */
	bool trust_unverified;   /* update --trust-unverified */
	bool quiet;              /* -q */
	bool color;              /* diagnostics in colour */
	size_t diff_lines;       /* check: cap on the diff, default 200 */
	char **args;             /* positional arguments after the command */
	int nargs;
	FILE *out, *err;
} cli_opts;

/* One run of the compiler: everything lives in the arena. */
typedef struct {
	arena *a;
	diag *d;
	const char *matrix_path, *lock_path, *dir;
	matrix m;
	lockfile lock;
	cellset all; /* every cell, skipped ones included */
	plan p;
} compilation;

typedef enum { UPTO_MATRIX, UPTO_PLAN } compile_stage;

/* Run the pipeline up to stage. Returns EXIT_OK or the exit status, with
 * diagnostics left in c->d for the caller to print. */
int compile_run(compilation *c, const cli_opts *o, compile_stage stage);
void compile_release(compilation *c);
/* Expand c's cells from c->m and c->lock and run the hooks over them
 * (part of compile_run; update runs it again after resolving releases,
 * to find the base images the cells use). Returns an exit status. */
int compile_cells(compilation *c);
/* Print c's diagnostics to o->err. */
void compile_report(const compilation *c, const cli_opts *o);
/* Whether a lock entry (a series spec) is used by m: by a version or by
 * an include. */
bool matrix_uses_release(const matrix *m, const char *key);
/* The output directory for o and c, without a trailing slash (unless it
 * is "/"): the root that generated paths are joined to. */
const char *compile_out_dir(const compilation *c, const cli_opts *o);

int cmd_generate(const cli_opts *o);
int cmd_check(const cli_opts *o);
int cmd_list(const cli_opts *o);
int cmd_explain(const cli_opts *o);
int cmd_update(const cli_opts *o);
int cmd_init(const cli_opts *o);

#endif
