/* cmd_update.c - `matrixc update`: the only command that uses the network.
 *
 * Loads the matrix, reads the lock file (a missing one is an empty lock),
 * resolves the chosen series over HTTP (update.c), and rewrites the lock
 * file atomically only when an entry changed. Any failure leaves the lock
 * file exactly as it was: nothing is written until every series resolved,
 * unless --keep-going asks for what did resolve. A series with no matching
 * release is bad input (exit 2); the network, the server and I/O exit 3.
 * --prune also removes the entries that no matrix entry uses.
 * Without series named on the command line, and unless matrix.yaml says
 * pin_bases: false, update also resolves every
 * base image a cell uses (after the hooks, which may move a cell to
 * another base) to its digest over the OCI distribution API (oci.h), and
 * --prune drops the bases no cell uses.
 * Network knobs come from the environment so that a pipeline or a test
 * can tighten them without new flags:
 *
 *   MATRIXC_HTTP_TIMEOUT          seconds for a whole request (300)
 *   MATRIXC_HTTP_CONNECT_TIMEOUT  seconds to connect (15)
 *   MATRIXC_HTTP_RETRIES          retries after a transient failure (3)
 *   MATRIXC_HTTP_BACKOFF          seconds before the first retry (1),
 *                                 doubled for each further one
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "http.h"
#include "limits_input.h"
#include "names.h"
#include "fileio.h"
#include "pyorg.h"
#include "update.h"

/* A duration in seconds from the environment into *ms; false when set
 * but not a number of seconds between 0 and a day. */
static bool env_seconds(diag *d, const char *name, long *ms)
{
	const char *s = getenv(name);
	if (!s || !*s)
		return true;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || *end || !isfinite(v) || v < 0 || v > 86400) {
		diag_error(d, srcpos_file(NULL),
			   "%s: expected a number of seconds, got '%s'", name, s);
		return false;
	}
	*ms = (long)(v * 1000 + 0.5);
	return true;
}

static bool env_count(diag *d, const char *name, unsigned *n)
{
	const char *s = getenv(name);
	if (!s || !*s)
		return true;
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || v < 0 || v > 10) {
		diag_error(d, srcpos_file(NULL),
			   "%s: expected a number from 0 to 10, got '%s'", name, s);
		return false;
	}
	*n = (unsigned)v;
	return true;
}

static bool http_settings(diag *d, const cli_opts *o, http_opts *ho)
{
	http_opts_default(ho, "matrixc/" MATRIXC_VERSION);
	/* progress only for a person watching: never into a pipe or a log */
	if (isatty(fileno(o->err)))
		ho->progress = o->err;
	bool ok = env_seconds(d, "MATRIXC_HTTP_TIMEOUT", &ho->timeout_ms);
	ok &= env_seconds(d, "MATRIXC_HTTP_CONNECT_TIMEOUT",
			  &ho->connect_timeout_ms);
	ok &= env_count(d, "MATRIXC_HTTP_RETRIES", &ho->retries);
	ok &= env_seconds(d, "MATRIXC_HTTP_BACKOFF", &ho->backoff_ms);
	if (ho->timeout_ms == 0)
		ho->timeout_ms = 1; /* 0 would mean "no timeout" to libcurl */
	if (ho->connect_timeout_ms == 0)
		ho->connect_timeout_ms = 1;
	return ok;
}

/* The specs to update: all, or those named on the command line. */
static bool choose_specs(compilation *c, const cli_opts *o,
			 const version_spec ***out, size_t *n)
{
	const matrix *m = &c->m;
	const char **names = arena_alloc(c->a, (m->nversions + 1) * sizeof *names);
	*out = arena_alloc(c->a, (m->nversions + 1) * sizeof **out);
	*n = 0;
	for (size_t i = 0; i < m->nversions; i++) {
		names[i] = m->versions[i].spec.s;
		if (o->nargs == 0)
			(*out)[(*n)++] = &m->versions[i];
	}
	bool ok = true;
	for (int k = 0; k < o->nargs; k++) {
		size_t i = 0;
		while (i < m->nversions && strcmp(names[i], o->args[k]) != 0)
			i++;
		if (i < m->nversions) {
			(*out)[(*n)++] = &m->versions[i];
			continue;
		}
		const char *hint = diag_suggest(o->args[k], names, m->nversions);
		diag_error(c->d, srcpos_file(c->matrix_path),
			   "'%s' is not a version of the matrix%s%s%s", o->args[k],
			   hint ? " (did you mean '" : "", hint ? hint : "",
			   hint ? "'?)" : "");
		ok = false;
	}
	return ok;
}

/* Read and parse the lock file into lf; a missing file is an empty lock.
 * old gets the file's bytes (empty when missing). Returns an exit status. */
static int read_lock(compilation *c, buf *old, lockfile *lf)
{
	memset(lf, 0, sizeof *lf);
	lf->file = c->lock_path;
	int rc = file_read(c->lock_path, old, LIMIT_FILE_BYTES);
	if (rc == -1 && errno == ENOENT)
		return EXIT_OK;
	if (rc == -2) {
		diag_error(c->d, srcpos_file(c->lock_path),
			   "the lock file is larger than %u bytes",
			   LIMIT_FILE_BYTES);
		return EXIT_INPUT;
	}
	if (rc != 0) {
		diag_error(c->d, srcpos_file(NULL), "unable to read '%s': %s",
			   c->lock_path, strerror(errno));
		return EXIT_ENV;
	}
	diag_add_source(c->d, c->lock_path, buf_str(old), old->len);
	if (!lock_parse(c->a, c->d, c->lock_path, buf_str(old), old->len, lf))
		return EXIT_INPUT;
	return EXIT_OK;
}

static void print_changes(const cli_opts *o, const update_ctx *u)
{
	if (o->quiet)
		return;
	for (size_t i = 0; i < u->nchanges; i++) {
		const update_change *ch = &u->changes[i];
		fprintf(o->out, "%s: %s -> %s\n", ch->key,
			ch->from ? ch->from : "(none)",
			ch->to ? ch->to : "(removed)");
	}
	/* before the diagnostics on stderr, when both share a pipe */
	fflush(o->out);
}

/* Write lf when its bytes differ from old. Returns an exit status. */
static int write_lock(compilation *c, const lockfile *lf, const buf *old)
{
	buf text;
	buf_init(&text, LIMIT_FILE_BYTES);
	int rc = EXIT_OK;
	if (!lock_format(lf, &text) || !buf_ok(&text)) {
		diag_error(c->d, srcpos_file(c->lock_path),
			   "unable to format the lock file");
		rc = EXIT_ENV;
	} else if (text.len != old->len ||
		   memcmp(buf_str(&text), buf_str(old), text.len) != 0) {
		if (!file_write_atomic(c->lock_path, buf_str(&text), text.len,
				       c->d))
			rc = EXIT_ENV;
	}
	buf_release(&text);
	return rc;
}

/* Whether lf has an entry for every version and include of the matrix:
 * the cells (and so their bases) can be expanded only then. */
static bool releases_complete(const matrix *m, const lockfile *lf)
{
	for (size_t i = 0; i < m->nversions; i++)
		if (!lock_find(lf, m->versions[i].spec.s))
			return false;
	for (size_t i = 0; i < m->nincludes; i++)
		if (m->includes[i].version.s &&
		    !lock_find(lf, m->includes[i].version.s))
			return false;
	return true;
}

/* The base images of the cells that are built, each once, in the order
 * the cells come; those written with a digest are pinned already. NULL
 * after the hooks failed (reported). */
static const char **cell_bases(compilation *c, const lockfile *lf, size_t *n)
{
	c->lock = *lf;
	if (compile_cells(c))
		return NULL;
	const char **v = arena_alloc(c->a, (c->all.n + 1) * sizeof *v);
	*n = 0;
	for (size_t i = 0; i < c->all.n; i++) {
		const cell *x = c->all.v[i];
		if (x->skip || !x->base.s || strchr(x->base.s, '@'))
			continue;
		size_t k = 0;
		while (k < *n && strcmp(v[k], x->base.s) != 0)
			k++;
		if (k == *n)
			v[(*n)++] = x->base.s;
	}
	return v;
}

/* Resolve the bases of the cells into lf, after the releases. */
static int resolve_bases(compilation *c, lockfile *lf, update_ctx *u)
{
	if (!releases_complete(&c->m, lf)) {
		diag_note(c->d, srcpos_file(NULL),
			  "base images not checked: the lock file lacks "
			  "releases, so the cells cannot be made");
		return EXIT_OK;
	}
	size_t n;
	const char **bases = cell_bases(c, lf, &n);
	if (!bases)
		return EXIT_INPUT;
	u->bases = bases;
	u->nbases = n;
	return update_bases(u, bases, n, lf) == UPDATE_OK ? EXIT_OK : EXIT_ENV;
}

static int resolve(compilation *c, const cli_opts *o,
		   const version_spec *const *specs, size_t n, lockfile *lf,
		   update_ctx *u)
{
	http_opts ho;
	if (!http_settings(c->d, o, &ho))
		return EXIT_INPUT;
	const char *why = name_check_url(u->source);
	if (why) {
		diag_error(c->d, srcpos_file(NULL), "--source '%s': %s",
			   u->source, why);
		return EXIT_INPUT;
	}
	char why_not[512];
	u->h = http_new(&ho, why_not, sizeof why_not);
	if (!u->h) {
		diag_error(c->d, srcpos_file(NULL), "%s", why_not);
		return EXIT_ENV;
	}
	update_status st = update_resolve(u, specs, n, lf);
	int rc = st == UPDATE_OK ? EXIT_OK : st == UPDATE_INPUT ? EXIT_INPUT : EXIT_ENV;
	if (rc == EXIT_OK && o->nargs == 0 && c->m.pin_bases)
		rc = resolve_bases(c, lf, u);
	http_free(u->h);
	u->h = NULL;
	return rc;
}

/* update --prune: drop the entries no matrix entry uses, as changes. */
static void prune(compilation *c, lockfile *lf, update_ctx *u)
{
	for (size_t i = 0; i < lf->n;) {
		const lock_entry *e = &lf->v[i];
		if (matrix_uses_release(&c->m, e->key.s)) {
			i++;
			continue;
		}
		update_add_change(u, e->key.s, e->version.s, NULL);
		lock_remove(lf, i);
	}
	if (!u->bases) /* the bases were not resolved: none is known unused */
		return;
	for (size_t i = 0; i < lf->nbases;) {
		const lock_base *b = &lf->bases[i];
		size_t k = 0;
		while (k < u->nbases && strcmp(u->bases[k], b->image.s) != 0)
			k++;
		if (k < u->nbases) {
			i++;
			continue;
		}
		update_add_change(u, b->image.s, b->digest.s, NULL);
		lock_remove_base(lf, i);
	}
}

/* Resolve, and write the lock when every spec resolved, or with
 * --keep-going when any did: the status still says what failed. */
static int update(compilation *c, const cli_opts *o)
{
	const version_spec **specs;
	size_t n;
	if (!choose_specs(c, o, &specs, &n))
		return EXIT_INPUT;
	buf old;
	buf_init(&old, LIMIT_FILE_BYTES);
	lockfile lf;
	update_ctx u = {.a = c->a, .d = c->d, .check_only = o->check_only,
			.trust_unverified = o->trust_unverified};
	u.source = o->source ? o->source : PYORG_DEFAULT_SOURCE;
	int rc = read_lock(c, &old, &lf);
	if (rc == EXIT_OK)
		rc = resolve(c, o, (const version_spec *const *)specs, n, &lf, &u);
	bool failed = u.input_failures + u.env_failures > 0;
	bool go_on = rc == EXIT_OK || (o->keep_going && failed);
	bool wrote = false;
	if (go_on && o->prune)
		prune(c, &lf, &u);
	if (go_on && !o->check_only && u.nchanges > 0) {
		int w = write_lock(c, &lf, &old);
		if (w)
			rc = w, go_on = false;
		wrote = !w;
	}
	if (go_on)
		print_changes(o, &u);
	if (rc == EXIT_OK && o->check_only && u.nchanges > 0)
		rc = EXIT_STALE;
	if (failed && !o->check_only)
		diag_note(c->d, srcpos_file(NULL), "%s",
			  wrote ? "the lock file has the series that resolved "
				  "(--keep-going)"
			  : o->keep_going ? "the lock file is unchanged"
			  : "the lock file is unchanged (--keep-going writes "
			    "the series that resolved)");
	buf_release(&old);
	return rc;
}

int cmd_update(const cli_opts *o)
{
	compilation c;
	memset(&c, 0, sizeof c);
	int rc = compile_run(&c, o, UPTO_MATRIX);
	if (rc == EXIT_OK)
		rc = update(&c, o);
	compile_report(&c, o);
	compile_release(&c);
	return rc;
}
