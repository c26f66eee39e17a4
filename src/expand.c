/* expand.c - from the typed matrix to cells with their defaults.
 *
 * Order is the order of matrix.yaml: versions as listed, each with the
 * variants as listed, then the includes. Defaults come from matrix.yaml
 * where it sets them and from the built-in lists below where it does not;
 * either way each value keeps its provenance (no position = built-in).
 *
 * Aliases are computed over all cells at once by sorting, never by a
 * nested loop, so that 10,000 cells cost what 10 do times 1,000.
 */
#include "expand.h"

#include <stdlib.h>
#include <string.h>

#include "limits_input.h"

/* Debian bookworm packages for a CPython build with every stdlib module
 * that users import (no Tcl/Tk). There is no run-time list: the
 * Dockerfile derives it from what was built (emit_docker.c), and
 * packages.run in matrix.yaml only adds packages of the user's own. */
static const char *const default_build_packages[] = {
    "libbluetooth-dev", "libbz2-dev",     "libdb-dev",       "libexpat1-dev",
    "libffi-dev",       "libgdbm-dev",    "liblzma-dev",     "libncurses-dev",
    "libreadline-dev",  "libsqlite3-dev", "libssl-dev",      "uuid-dev",
    "zlib1g-dev"};
static const char *const default_configure[] = {"--enable-shared",
						 "--with-system-expat"};

#define COUNT(a) (sizeof(a) / sizeof *(a))

typedef struct {
	arena *a;
	diag *d;
	matrix *m;
	const lockfile *lf;
	cellset *out;
} expander;

static void add_defaults(arena *a, strlist *dst, const strlist *from,
			 const char *const *builtin, size_t n)
{
	if (from->n) {
		strlist_copy(a, dst, from);
		return;
	}
	strlist_reserve(a, dst, dst->n + n);
	for (size_t i = 0; i < n; i++)
		strlist_add(a, dst, builtin[i], (srcpos){0});
}

bool expand_version_matches(const char *r, const char *spec,
			    const pyversion *v)
{
	pyversion rv;
	bool pre;
	if (strcmp(r, spec) == 0)
		return true;
	if (!version_parse_spec(r, &rv, &pre))
		return false;
	return rv.has_patch ? version_cmp(&rv, v) == 0
			    : version_in_series(v, &rv);
}

static bool rule_matches(const match_rule *r, const cell *c)
{
	if (r->version.s &&
	    !expand_version_matches(r->version.s, c->spec, &c->version))
		return false;
	if (r->variant.s && strcmp(r->variant.s, c->variant->name.s) != 0)
		return false;
	return true;
}

static void configure_defaults(expander *x, cell *c)
{
	const variant *v = c->variant;
	srcpos none = {0};
	add_defaults(x->a, &c->configure, &x->m->configure, default_configure,
		     COUNT(default_configure));
	if (v->pgo)
		strlist_add(x->a, &c->configure, "--enable-optimizations",
			    v->pgo_at);
	if (v->lto)
		strlist_add(x->a, &c->configure, "--with-lto", v->lto_at);
	strlist_add(x->a, &c->configure,
		    v->pip ? "--with-ensurepip=install" : "--without-ensurepip",
		    v->pip_at.line ? v->pip_at : none);
	strlist_copy(x->a, &c->configure, &v->configure);
}

static cell *new_cell(expander *x, const char *spec, srcpos origin,
		      const lock_entry *e, const variant *v)
{
	cell *c = arena_alloc(x->a, sizeof *c);
	char series[32];
	version_parse(e->version.s, &c->version);
	c->version_str = e->version.s;
	version_series(&c->version, series, sizeof series);
	c->series = arena_strdup(x->a, series);
	c->spec = spec;
	c->variant = v;
	c->origin = origin;
	c->pgo = (pbool){v->pgo, v->pgo_at};
	c->lto = (pbool){v->lto, v->lto_at};
	c->pip = (pbool){v->pip, v->pip_at};
	c->base = x->m->base;
	c->url = e->url;
	c->sha256 = e->sha256;
	configure_defaults(x, c);
	add_defaults(x->a, &c->build_packages, &x->m->build_packages,
		     default_build_packages, COUNT(default_build_packages));
	strlist_copy(x->a, &c->run_packages, &x->m->run_packages);
	strlist_copy(x->a, &c->env, &x->m->env);
	strlist_copy(x->a, &c->platforms, v->platforms.n ? &v->platforms
							 : &x->m->platforms);
	c->tag = (pstr){cell_default_tag(x->a, c), origin};
	return c;
}

/* The lock entry for spec, checked against what the spec asks for. */
static const lock_entry *resolve(expander *x, const char *spec, srcpos at)
{
	const lock_entry *e = lock_find(x->lf, spec);
	if (!e) {
		diag_error(x->d, at,
			   "version '%s' is not in %s (run 'matrixc update')",
			   spec, x->lf->file);
		return NULL;
	}
	pyversion want, got;
	bool pre_ok;
	version_parse_spec(spec, &want, &pre_ok);
	version_parse(e->version.s, &got);
	bool ok = want.has_patch ? version_cmp(&want, &got) == 0
				 : version_in_series(&got, &want);
	if (!ok)
		diag_error(x->d, at, "%s gives version %s for '%s'",
			   x->lf->file, e->version.s, spec);
	else if (!want.has_patch && !pre_ok && got.pre != PRE_FINAL)
		diag_error(x->d, at,
			   "%s gives pre-release %s for '%s' (write \"%s-rc\" "
			   "to accept pre-releases)",
			   x->lf->file, e->version.s, spec, spec);
	else
		return e;
	return NULL;
}

static bool excluded(expander *x, const cell *c)
{
	bool hit = false;
	for (size_t i = 0; i < x->m->nexcludes; i++) {
		match_rule *r = &x->m->excludes[i];
		if (rule_matches(r, c)) {
			r->used = true;
			hit = true;
		}
	}
	return hit;
}

static void expand_version(expander *x, const version_spec *vs)
{
	const lock_entry *e = resolve(x, vs->spec.s, vs->spec.at);
	if (!e)
		return;
	for (size_t j = 0; j < x->m->nvariants; j++) {
		const variant *v = &x->m->variants[j];
		if (!v->name.s)
			continue;
		cell *c = new_cell(x, vs->spec.s, vs->spec.at, e, v);
		if (!excluded(x, c))
			cellset_add(x->a, x->out, c);
	}
}

static bool same_cell(const cell *a, const cell *b)
{
	return a->variant == b->variant &&
	       version_cmp(&a->version, &b->version) == 0;
}

static void expand_include(expander *x, const match_rule *r)
{
	if (!r->version.s) {
		diag_error(x->d, r->at, "an include needs a 'version'");
		return;
	}
	const lock_entry *e = resolve(x, r->version.s, r->version.at);
	if (!e)
		return;
	for (size_t j = 0; j < x->m->nvariants; j++) {
		const variant *v = &x->m->variants[j];
		if (!v->name.s || (r->variant.s && strcmp(r->variant.s, v->name.s)))
			continue;
		cell *c = new_cell(x, r->version.s, r->at, e, v);
		bool dup = false;
		for (size_t i = 0; i < x->out->n && !dup; i++)
			dup = same_cell(x->out->v[i], c);
		if (dup)
			diag_error(x->d, r->at,
				   "include adds %s/%s, which the matrix already has",
				   c->version_str, v->name.s);
		else
			cellset_add(x->a, x->out, c);
	}
}

static bool within_cap(expander *x)
{
	size_t n = x->m->nversions * x->m->nvariants + x->m->nincludes *
							     x->m->nvariants;
	if (n <= x->m->max_cells)
		return true;
	srcpos at = x->m->max_cells_at.line ? x->m->max_cells_at
					    : x->m->versions[0].spec.at;
	diag_error(x->d, at,
		   "the matrix can expand to %zu cells, more than the limit "
		   "of %zu (raise it with 'limits: {cells: N}')",
		   n, x->m->max_cells);
	return false;
}

/* --- aliases ------------------------------------------------------------ */

/* Moving aliases (the series and the major ones) follow the newest release
 * of a series, so only cells whose versions entry is a series get them:
 * an exact pin (3.11.4) keeps its exact tag while 3.11.15 exists. A
 * pre-release is tagged as docker-library does, 3.16-rc-wee, and never
 * gets the major alias. */

static bool is_prerelease(const cell *c)
{
	return c->version.pre != PRE_FINAL;
}

/* The cell's versions entry (or include rule) names one release: 3.11.4 */
static bool is_pinned(const cell *c)
{
	pyversion v;
	bool pre;
	return version_parse_spec(c->spec, &v, &pre) && v.has_patch;
}

/* "3.16-rc" for a pre-release, "3.16" otherwise: the series part of a
 * moving tag */
static const char *series_word(arena *a, const cell *c)
{
	return is_prerelease(c) ? arena_printf(a, "%s-rc", c->series) : c->series;
}

static int by_group(const void *pa, const void *pb)
{
	const cell *a = *(cell *const *)pa, *b = *(cell *const *)pb;
	int c = strcmp(a->variant->name.s, b->variant->name.s);
	if (c)
		return c;
	if (a->version.major != b->version.major)
		return a->version.major < b->version.major ? -1 : 1;
	/* newest first within a major */
	c = version_cmp(&b->version, &a->version);
	return c ? c : (a < b ? -1 : a > b);
}

static const char *format_tag(arena *a, const char *fmt, const cell *c)
{
	buf b;
	buf_init(&b, 4096);
	for (const char *p = fmt; *p; p++) {
		if (!strncmp(p, "{version}", 9))
			buf_puts(&b, c->version_str), p += 8;
		else if (!strncmp(p, "{series}", 8))
			buf_puts(&b, series_word(a, c)), p += 7;
		else if (!strncmp(p, "{major}", 7))
			buf_printf(&b, "%u", c->version.major), p += 6;
		else if (!strncmp(p, "{variant}", 9))
			buf_puts(&b, c->variant->name.s), p += 8;
		else
			buf_putc(&b, *p);
	}
	char *s = arena_strdup(a, buf_str(&b));
	buf_release(&b);
	return s;
}

/* v sorted by_group: the end of the run of cells sharing c's variant and
 * major (and minor, when by_series) that starts at i */
static size_t run_end(cell **v, size_t n, size_t i, bool by_series)
{
	size_t j = i;
	while (j < n && v[j]->variant == v[i]->variant &&
	       v[j]->version.major == v[i]->version.major &&
	       (!by_series || v[j]->version.minor == v[i]->version.minor))
		j++;
	return j;
}

/* series alias: the newest cell of each (variant, series) */
static void series_aliases(arena *a, const matrix *m, cell **v, size_t n)
{
	for (size_t i = 0; i < n; i = run_end(v, n, i, true))
		strlist_add(a, &v[i]->aliases,
			    arena_printf(a, "%s-%s", series_word(a, v[i]),
					 v[i]->variant->name.s),
			    m->alias_series_at);
}

/* major alias: the newest final release of each (variant, major) */
static void major_aliases(arena *a, const matrix *m, cell **v, size_t n)
{
	for (size_t i = 0, j; i < n; i = j) {
		j = run_end(v, n, i, false);
		for (size_t k = i; k < j; k++) {
			if (is_prerelease(v[k]))
				continue;
			strlist_add(a, &v[k]->aliases,
				    arena_printf(a, "%u-%s", v[k]->version.major,
						 v[k]->variant->name.s),
				    m->alias_major_at);
			break;
		}
	}
}

/* What a rule's tag follows: one release ({version}), the newest of a
 * series ({series}), or anything newer (latest, {major}-{variant}). */
typedef enum { TAG_EXACT, TAG_SERIES, TAG_MOVING } tag_kind;

static tag_kind kind_of(const char *fmt)
{
	if (strstr(fmt, "{version}"))
		return TAG_EXACT;
	return strstr(fmt, "{series}") ? TAG_SERIES : TAG_MOVING;
}

/* Does the rule's version name the cell itself: the cell's own versions
 * entry ("3.16-rc", "3.11.4") or its exact version ("3.16.0a1")? */
static bool rule_names(const match_rule *r, const cell *c)
{
	pyversion v;
	bool pre;
	if (!r->version.s)
		return false;
	if (strcmp(r->version.s, c->spec) == 0)
		return true;
	return version_parse_spec(r->version.s, &v, &pre) && v.has_patch &&
	       version_cmp(&v, &c->version) == 0;
}

/* Why a rule that matches c does not give it its tag, warned about when
 * the rule names a version (a rule for every cell skips quietly). */
static void not_applied(diag *d, const alias_rule *ar, const cell *c,
			const char *what)
{
	if (ar->match.version.s)
		diag_warning(d, ar->tag.at,
			     "'%s' is not given to %s/%s: a tag that moves with "
			     "new releases goes to %s only when the rule names "
			     "it (version: \"%s\")",
			     ar->tag.s, c->version_str, c->variant->name.s, what,
			     c->spec);
}

/* Whether alias rule ar gives its tag to c (which it matches): a tag that
 * moves goes to an exact pin or a pre-release only when the rule names
 * that cell, and a pre-release so tagged is warned about. */
static bool rule_applies(diag *d, const alias_rule *ar, const cell *c)
{
	tag_kind k = kind_of(ar->tag.s);
	bool named = rule_names(&ar->match, c);
	if (k == TAG_EXACT || named) {
		if (k == TAG_MOVING && is_prerelease(c))
			diag_warning(d, ar->tag.at,
				     "pre-release %s/%s gets the moving tag "
				     "'%s', which users take for a final "
				     "release",
				     c->version_str, c->variant->name.s,
				     ar->tag.s);
		return true;
	}
	if (is_pinned(c)) {
		not_applied(d, ar, c, "an exact pin");
		return false;
	}
	if (is_prerelease(c) && k == TAG_MOVING) {
		not_applied(d, ar, c, "a pre-release");
		return false;
	}
	return true;
}

/* the default aliases of every cell, then the matrix alias rules. The
 * rules' tags are counted: a thousand rules over 20,000 cells would make
 * 20 million (minutes, gigabytes) from a 30 KB matrix.yaml. */
static bool expand_aliases(arena *a, diag *d, const matrix *m, cellset *cs)
{
	size_t made = 0;
	cell **moving = malloc((cs->n ? cs->n : 1) * sizeof *moving);
	size_t n = 0;
	if (!moving)
		abort();
	for (size_t i = 0; i < cs->n; i++) {
		strlist_clear(&cs->v[i]->aliases);
		if (!is_pinned(cs->v[i]))
			moving[n++] = cs->v[i];
	}
	qsort(moving, n, sizeof *moving, by_group);
	if (m->alias_series)
		series_aliases(a, m, moving, n);
	if (m->alias_major)
		major_aliases(a, m, moving, n);
	free(moving);
	for (size_t r = 0; r < m->naliases; r++) {
		const alias_rule *ar = &m->aliases[r];
		for (size_t i = 0; ar->tag.s && i < cs->n; i++) {
			if (!rule_matches(&ar->match, cs->v[i]) ||
			    !rule_applies(d, ar, cs->v[i]))
				continue;
			if (++made > LIMIT_ALIAS_TAGS) {
				diag_error(d, ar->tag.at,
					   "the alias rules give more than %u "
					   "tags in all (the limit)",
					   LIMIT_ALIAS_TAGS);
				return false;
			}
			strlist_add_unique(a, &cs->v[i]->aliases,
					   format_tag(a, ar->tag.s, cs->v[i]),
					   ar->tag.at);
		}
	}
	return true;
}

bool expand_cells(arena *a, diag *d, matrix *m, const lockfile *lf,
		  cellset *out)
{
	expander x = {a, d, m, lf, out};
	unsigned errors = diag_errors(d);
	if (m->nversions == 0 || !within_cap(&x))
		return false;
	for (size_t i = 0; i < m->nversions; i++)
		expand_version(&x, &m->versions[i]);
	for (size_t i = 0; i < m->nincludes; i++)
		expand_include(&x, &m->includes[i]);
	for (size_t i = 0; i < m->nexcludes; i++)
		if (!m->excludes[i].used && diag_errors(d) == errors)
			diag_warning(d, m->excludes[i].at,
				     "this exclude matches no cell");
	if (diag_errors(d) != errors)
		return false;
	return expand_aliases(a, d, m, out);
}
