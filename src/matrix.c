/* matrix.c - validating the YAML tree into a typed matrix.
 *
 * The schema is written as code, one function per key, each shaped like the
 * rule it checks ("variants -> map of name -> variant"). Every check reports
 * and carries on, so one run lists every problem in the file. Unknown keys
 * get a "did you mean" from the keys allowed at that point.
 */
#include "matrix.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "limits_input.h"
#include "names.h"
#include "platform.h"
#include "yamlio.h"

typedef struct {
	arena *a;
	diag *d;
	matrix *m;
	const char *suggested[8]; /* keys offered as "did you mean" */
	size_t nsuggested;
	size_t nsuggest; /* "did you mean"s looked for so far */
	bool variants_ok; /* variants loaded without an error */
} loader;

static const char *kind_name(const ynode *n)
{
	return n->kind == YNODE_MAP ? "a mapping"
	       : n->kind == YNODE_SEQ ? "a list"
				      : "a string";
}

static bool expect(loader *l, const ynode *n, ynode_kind kind, const char *what)
{
	if (n->kind == kind)
		return true;
	const char *want = kind == YNODE_MAP ? "a mapping"
			   : kind == YNODE_SEQ ? "a list"
					       : "a string";
	diag_error(l->d, n->at, "%s must be %s, not %s", what, want,
		   kind_name(n));
	return false;
}

/* Reject keys not in allowed[], suggesting the closest allowed key (for
 * the first LIMIT_DIAGNOSTICS unknown names only: the rest are not shown,
 * and a suggestion costs an edit distance per candidate). */
static void check_keys(loader *l, const ynode *map, const char *where,
		       const char *const *allowed, size_t n)
{
	for (size_t i = 0; i < map->n; i++) {
		const ynode *k = map->pairs[i].key;
		bool ok = false;
		for (size_t j = 0; j < n && !ok; j++)
			ok = strcmp(k->str, allowed[j]) == 0;
		if (ok)
			continue;
		const char *near = l->nsuggest++ < LIMIT_DIAGNOSTICS
				       ? diag_suggest(k->str, allowed, n)
				       : NULL;
		if (near && l->nsuggested < 8)
			l->suggested[l->nsuggested++] = near;
		if (near)
			diag_error(l->d, k->at,
				   "unknown key '%s' in %s (did you mean '%s'?)",
				   k->str, where, near);
		else
			diag_error(l->d, k->at, "unknown key '%s' in %s", k->str,
				   where);
	}
}

static pstr str_of(loader *l, const ynode *n, const char *what)
{
	if (!expect(l, n, YNODE_SCALAR, what))
		return (pstr){NULL, n->at};
	const char *why = name_check_text(n->str);
	if (why) {
		diag_error(l->d, n->at, "invalid %s: %s", what, why);
		return (pstr){NULL, n->at};
	}
	return (pstr){n->str, n->at};
}

/* A string that must pass a names.h grammar. */
static pstr name_of(loader *l, const ynode *n, const char *what,
		    const char *(*check)(const char *))
{
	pstr p = str_of(l, n, what);
	if (!p.s)
		return p;
	const char *why = check(p.s);
	if (why) {
		/* a long value is shown cut short, so that the reason (which
		 * may be its length) still fits in the message */
		int shown = strlen(p.s) > 100 ? 100 : (int)strlen(p.s);
		diag_error(l->d, n->at, "invalid %s '%.*s%s': %s", what, shown,
			   p.s, shown < (int)strlen(p.s) ? "..." : "", why);
		p.s = NULL;
	}
	return p;
}

/* bool -> plain "true" | "false" */
static bool bool_of(loader *l, const ynode *n, const char *what, bool *out)
{
	if (n->kind == YNODE_SCALAR && n->plain &&
	    (strcmp(n->str, "true") == 0 || strcmp(n->str, "false") == 0)) {
		*out = n->str[0] == 't';
		return true;
	}
	diag_error(l->d, n->at, "%s must be true or false", what);
	return false;
}

/* count -> plain decimal integer in [lo, hi]; a quoted "5" is a string */
static bool count_of(loader *l, const ynode *n, const char *what, size_t lo,
		     size_t hi, size_t *out)
{
	size_t v = 0;
	bool ok = n->kind == YNODE_SCALAR && n->plain && n->len > 0 &&
		  n->len <= 9;
	for (size_t i = 0; ok && i < n->len; i++) {
		ok = n->str[i] >= '0' && n->str[i] <= '9';
		v = v * 10 + (size_t)(n->str[i] - '0');
	}
	if (ok && v >= lo && v <= hi) {
		*out = v;
		return true;
	}
	diag_error(l->d, n->at, "%s must be a whole number from %zu to %zu",
		   what, lo, hi);
	return false;
}

/* A list that becomes a cell's list (or one like it) has at most
 * LIMIT_CELL_LIST entries, so that the shipped hooks, which add a few,
 * stay within their own cap and never get the blame for matrix.yaml's
 * size. at: the first entry past the limit. */
static bool within_list_cap(loader *l, size_t n, srcpos at,
			    const char *plural)
{
	if (n <= LIMIT_CELL_LIST)
		return true;
	diag_error(l->d, at, "more than %u %s", LIMIT_CELL_LIST, plural);
	return false;
}

/* list -> "[" item* "]", each item checked by check (NULL: free text) */
static void list_of(loader *l, const ynode *n, const char *what,
		    const char *(*check)(const char *), strlist *out)
{
	if (!expect(l, n, YNODE_SEQ, what))
		return;
	if (n->n > LIMIT_CELL_LIST &&
	    !within_list_cap(l, n->n, n->items[LIMIT_CELL_LIST]->at,
			     arena_printf(l->a, "%ss", what)))
		return;
	for (size_t i = 0; i < n->n; i++) {
		pstr p = check ? name_of(l, n->items[i], what, check)
			       : str_of(l, n->items[i], what);
		if (p.s)
			strlist_add(l->a, out, p.s, p.at);
	}
}

/* schema -> "matrixc: 1", the number (a quoted "1" is a string) */
static void load_schema(loader *l, const ynode *n)
{
	if (n->kind == YNODE_SCALAR && strcmp(n->str, "1") == 0 && n->plain) {
		l->m->schema = 1;
		return;
	}
	if (n->kind == YNODE_SCALAR && strcmp(n->str, "1") == 0) {
		diag_error(l->d, n->at,
			   "matrixc must be the number 1, not a string "
			   "(write it without quotes)");
		return;
	}
	diag_error(l->d, n->at,
		   "unsupported schema version '%s' (this matrixc reads 1)",
		   n->kind == YNODE_SCALAR ? n->str : "?");
}

/* registry -> repository | {name: repository, user: VAR, password: VAR} */
static void load_registry(loader *l, const ynode *n, registry *r)
{
	static const char *const keys[] = {"name", "user", "password"};
	if (n->kind == YNODE_SCALAR) {
		r->name = name_of(l, n, "registry", name_check_repository);
		return;
	}
	if (!expect(l, n, YNODE_MAP, "a registry"))
		return;
	check_keys(l, n, "a registry", keys, 3);
	const ynode *v = ynode_get(n, "name");
	if (v)
		r->name = name_of(l, v, "registry", name_check_repository);
	else
		diag_error(l->d, n->at, "a registry needs a 'name'");
	const ynode *user = ynode_get(n, "user");
	const ynode *password = ynode_get(n, "password");
	if (user)
		r->user_var = name_of(l, user, "variable name",
				      name_check_env_name);
	if (password)
		r->password_var = name_of(l, password, "variable name",
					  name_check_env_name);
	/* whether each is there, not whether it is valid: an invalid one
	 * has its own error already */
	if (!user != !password)
		diag_error(l->d, n->at,
			   "a registry needs both 'user' and 'password', or neither");
}

/* Two registries on one host, each with credentials: docker keeps one
 * login per host, so the CI's second login would replace the first and
 * push to both with its credentials. Allowed only when both name the same
 * variables (an invalid one has its own error already). true: reported */
static bool check_logins(loader *l, const registry *a, const registry *b)
{
	if (!a->name.s || !b->name.s || !a->user_var.s || !b->user_var.s ||
	    !a->password_var.s || !b->password_var.s)
		return false;
	size_t na, nb;
	const char *ha = name_login_host(a->name.s, &na);
	const char *hb = name_login_host(b->name.s, &nb);
	if (na != nb || strncasecmp(ha, hb, na) != 0)
		return false;
	if (!strcmp(a->user_var.s, b->user_var.s) &&
	    !strcmp(a->password_var.s, b->password_var.s))
		return false;
	diag_error(l->d, a->name.at,
		   "registry '%s' logs in to %.*s with other credentials than "
		   "'%s' (line %u): docker keeps one login per host, so the "
		   "second would replace the first; give both the same 'user' "
		   "and 'password'", a->name.s, (int)na, ha, b->name.s,
		   b->name.at.line);
	return true;
}

static void load_registries(loader *l, const ynode *n)
{
	if (!expect(l, n, YNODE_SEQ, "registries"))
		return;
	l->m->registries = arena_alloc(l->a, (n->n + 1) * sizeof(registry));
	for (size_t i = 0; i < n->n; i++)
		load_registry(l, n->items[i], &l->m->registries[i]);
	l->m->nregistries = n->n;
	for (size_t i = 0; i < n->n; i++)
		for (size_t j = 0; j < i; j++) {
			const registry *a = &l->m->registries[i],
				       *b = &l->m->registries[j];
			if (a->name.s && b->name.s && !strcmp(a->name.s, b->name.s))
				diag_error(l->d, a->name.at,
					   "registry '%s' is listed twice", a->name.s);
			else if (check_logins(l, a, b))
				break; /* one clash per registry is enough */
		}
}

/* version -> series "3.13" | series-rc "3.15-rc" | exact "3.6.3" */
static void load_version(loader *l, const ynode *n, version_spec *vs)
{
	pstr p = str_of(l, n, "a version");
	if (!p.s)
		return;
	if (!version_parse_spec(p.s, &vs->v, &vs->prerelease_ok)) {
		diag_error(l->d, n->at,
			   "malformed version '%s' (expected a series like "
			   "\"3.13\", \"3.15-rc\", or an exact version like "
			   "\"3.6.3\")",
			   p.s);
		return;
	}
	vs->spec = p;
	vs->exact = vs->v.has_patch;
}

static void load_versions(loader *l, const ynode *n)
{
	if (!expect(l, n, YNODE_SEQ, "versions"))
		return;
	if (n->n == 0)
		diag_error(l->d, n->at, "versions cannot be empty");
	if (n->n > LIMIT_VERSIONS) {
		diag_error(l->d, n->at, "more than %u versions", LIMIT_VERSIONS);
		return;
	}
	matrix *m = l->m;
	m->versions = arena_alloc(l->a, (n->n + 1) * sizeof *m->versions);
	for (size_t i = 0; i < n->n; i++) {
		version_spec *vs = &m->versions[m->nversions];
		load_version(l, n->items[i], vs);
		if (!vs->spec.s)
			continue;
		for (size_t j = 0; j < m->nversions; j++)
			if (strcmp(m->versions[j].spec.s, vs->spec.s) == 0) {
				diag_error(l->d, vs->spec.at,
					   "version '%s' is listed twice",
					   vs->spec.s);
				vs->spec.s = NULL;
				break;
			}
		if (vs->spec.s)
			m->nversions++;
	}
}

/* platform -> "linux/" arch ("/" variant)? (platform.h), with a "did
 * you mean" for the kernel's spellings (aarch64) */
static pstr platform_of(loader *l, const ynode *n)
{
	pstr p = str_of(l, n, "platform");
	if (!p.s)
		return p;
	const char *near;
	const char *why = platform_check(p.s, &near);
	if (why && near)
		diag_error(l->d, n->at, "invalid platform '%s': %s (did you "
			   "mean '%s'?)", p.s, why, near);
	else if (why)
		diag_error(l->d, n->at, "invalid platform '%s': %s", p.s, why);
	if (why)
		p.s = NULL;
	return p;
}

/* The entry of out that names platform p, in any spelling (platform.h:
 * linux/arm64 and linux/arm64/v8 are one platform), or NULL */
static const pstr *same_platform(const strlist *out, const char *p)
{
	for (size_t i = 0; i < out->n; i++)
		if (platform_same(out->v[i].s, p))
			return &out->v[i];
	return NULL;
}

/* p is first spelt another way: docker would build both, and join them
 * as two entries for one platform in the image index */
static void same_platform_error(loader *l, pstr p, pstr first,
				const char *where)
{
	diag_error(l->d, p.at,
		   "platform '%s'%s names the same platform as '%s' (line %u): "
		   "docker and containerd take them as one", p.s, where,
		   first.s, first.at.line);
}

/* platforms -> [platform], not empty, each once (in any spelling: two
 * would give the image index two entries for one platform) */
static void load_platforms(loader *l, const ynode *n, strlist *out)
{
	if (!expect(l, n, YNODE_SEQ, "platforms"))
		return;
	if (n->n == 0)
		diag_error(l->d, n->at, "platforms cannot be empty");
	if (n->n > LIMIT_CELL_LIST &&
	    !within_list_cap(l, n->n, n->items[LIMIT_CELL_LIST]->at,
			     "platforms"))
		return;
	for (size_t i = 0; i < n->n; i++) {
		pstr p = platform_of(l, n->items[i]);
		const pstr *first = p.s ? same_platform(out, p.s) : NULL;
		if (first && !strcmp(first->s, p.s))
			diag_error(l->d, p.at, "platform '%s' is listed twice",
				   p.s);
		else if (first)
			same_platform_error(l, p, *first, "");
		else if (p.s)
			strlist_add(l->a, out, p.s, p.at);
	}
}

/* timeout -> part (" "? part)?, part -> [0-9]{1,3} ("h" | "m"): a
 * duration GitLab's `timeout` reads, such as "90m" or "2h 30m" */
static bool timeout_ok(const char *s)
{
	for (int parts = 0; parts < 2; parts++) {
		size_t digits = strspn(s, "0123456789");
		if (digits < 1 || digits > 3 || (s[digits] != 'h' && s[digits] != 'm'))
			return false;
		s += digits + 1;
		if (!*s)
			return true;
		if (*s == ' ')
			s++;
	}
	return false;
}

static void load_timeout(loader *l, const ynode *n, variant *v)
{
	pstr p = str_of(l, n, "timeout");
	if (p.s && !timeout_ok(p.s))
		diag_error(l->d, n->at,
			   "invalid timeout '%s' (expected hours and/or "
			   "minutes, like \"90m\", \"3h\" or \"2h 30m\")",
			   p.s);
	else if (p.s)
		v->timeout = p;
}

/* variant -> {pgo: bool, lto: bool, pip: bool, configure: [flag],
 *             timeout: duration, platforms: [platform]} */
static void load_variant(loader *l, const ynode *k, const ynode *n, variant *v)
{
	static const char *const keys[] = {"pgo", "lto", "pip", "configure",
					   "timeout", "platforms"};
	v->name = name_of(l, k, "variant name", name_check_variant);
	if (n->kind == YNODE_SCALAR && n->plain && n->len == 0)
		return; /* "wee:" with nothing after it */
	if (!expect(l, n, YNODE_MAP, "a variant"))
		return;
	check_keys(l, n, "a variant", keys, 6);
	const ynode *x;
	if ((x = ynode_get(n, "pgo")) && bool_of(l, x, "pgo", &v->pgo))
		v->pgo_at = x->at;
	if ((x = ynode_get(n, "lto")) && bool_of(l, x, "lto", &v->lto))
		v->lto_at = x->at;
	if ((x = ynode_get(n, "pip")) && bool_of(l, x, "pip", &v->pip))
		v->pip_at = x->at;
	if ((x = ynode_get(n, "configure")))
		list_of(l, x, "configure flag", name_check_flag, &v->configure);
	if ((x = ynode_get(n, "timeout")))
		load_timeout(l, x, v);
	if ((x = ynode_get(n, "platforms")))
		load_platforms(l, x, &v->platforms);
	if (v->lto && !v->pgo)
		diag_warning(l->d, v->lto_at,
			     "variant '%s' has lto without pgo",
			     v->name.s ? v->name.s : "?");
}

static void load_variants(loader *l, const ynode *n)
{
	if (!expect(l, n, YNODE_MAP, "variants"))
		return;
	if (n->n == 0)
		diag_error(l->d, n->at, "variants cannot be empty");
	if (n->n > LIMIT_VARIANTS) {
		diag_error(l->d, n->at, "more than %u variants", LIMIT_VARIANTS);
		return;
	}
	l->variants_ok = n->n > 0;
	l->m->variants = arena_alloc(l->a, (n->n + 1) * sizeof(variant));
	for (size_t i = 0; i < n->n; i++)
		load_variant(l, n->pairs[i].key, n->pairs[i].val,
			     &l->m->variants[i]);
	l->m->nvariants = n->n;
}

/* A rule's version: a series or an exact version, as in versions. */
static pstr rule_version(loader *l, const ynode *x)
{
	pstr p = str_of(l, x, "version");
	pyversion v;
	bool pre;
	if (p.s && !version_parse_spec(p.s, &v, &pre)) {
		diag_error(l->d, x->at, "malformed version '%s'", p.s);
		p.s = NULL;
	}
	return p;
}

/* rule -> {version: spec, variant: name} with at least one of the two */
static void load_rule(loader *l, const ynode *n, const char *what,
		      match_rule *r)
{
	static const char *const keys[] = {"version", "variant"};
	r->at = n->at;
	if (!expect(l, n, YNODE_MAP, what))
		return;
	check_keys(l, n, what, keys, 2);
	const ynode *x;
	if ((x = ynode_get(n, "version")))
		r->version = rule_version(l, x);
	if ((x = ynode_get(n, "variant")))
		r->variant = name_of(l, x, "variant name", name_check_variant);
	if (!ynode_get(n, "version") && !ynode_get(n, "variant"))
		diag_error(l->d, n->at, "%s needs a 'version', a 'variant' or both",
			   what);
}

static match_rule *load_rules(loader *l, const ynode *n, const char *what,
			      size_t *count)
{
	if (!expect(l, n, YNODE_SEQ, what))
		return NULL;
	match_rule *v = arena_alloc(l->a, (n->n + 1) * sizeof *v);
	for (size_t i = 0; i < n->n; i++)
		load_rule(l, n->items[i], what, &v[i]);
	*count = n->n;
	return v;
}

/* An alias tag's placeholders, checked once at the rule rather than once
 * per cell: an unknown one gets a "did you mean", and the template, with
 * short stand-ins for its placeholders, must be a valid tag. */
static const char *const placeholders[] = {"version", "series", "major",
					   "variant"};
static const char *const stand_ins[] = {"1.0.0", "1.0", "1", "v"};

static void check_alias_tag(loader *l, pstr tag)
{
	buf b;
	buf_init(&b, 4096);
	for (const char *p = tag.s; *p; p++) {
		const char *end = *p == '{' ? strchr(p, '}') : NULL;
		if (*p != '{') {
			buf_putc(&b, *p);
			continue;
		}
		if (!end) {
			diag_error(l->d, tag.at,
				   "'{' without a closing '}' in alias '%s' "
				   "(placeholders: {version}, {series}, "
				   "{major}, {variant})",
				   tag.s);
			goto out;
		}
		char name[64];
		size_t n = (size_t)(end - p - 1);
		size_t k = 0;
		if (n < sizeof name) {
			memcpy(name, p + 1, n);
			name[n] = '\0';
			while (k < 4 && strcmp(name, placeholders[k]))
				k++;
		} else {
			snprintf(name, sizeof name, "%.60s", p + 1);
			k = 4;
		}
		if (k == 4) {
			const char *near = diag_suggest(name, placeholders, 4);
			if (near)
				diag_error(l->d, tag.at,
					   "unknown placeholder {%s} in alias "
					   "'%s' (did you mean {%s}?)",
					   name, tag.s, near);
			else
				diag_error(l->d, tag.at,
					   "unknown placeholder {%s} in alias "
					   "'%s' (placeholders: {version}, "
					   "{series}, {major}, {variant})",
					   name, tag.s);
			goto out;
		}
		buf_puts(&b, stand_ins[k]);
		p = end;
	}
	const char *why = name_check_tag(buf_str(&b));
	if (why && strlen(buf_str(&b)) <= 128)
		diag_error(l->d, tag.at, "invalid alias '%s': %s", tag.s, why);
out:
	buf_release(&b);
}

/* alias -> {version?, variant?, tag} */
static void load_alias(loader *l, const ynode *n, alias_rule *r)
{
	static const char *const keys[] = {"version", "variant", "tag"};
	r->match.at = n->at;
	if (!expect(l, n, YNODE_MAP, "an alias"))
		return;
	check_keys(l, n, "an alias", keys, 3);
	const ynode *x;
	if ((x = ynode_get(n, "version")))
		r->match.version = rule_version(l, x);
	if ((x = ynode_get(n, "variant")))
		r->match.variant = name_of(l, x, "variant name", name_check_variant);
	if ((x = ynode_get(n, "tag")))
		r->tag = str_of(l, x, "tag");
	else
		diag_error(l->d, n->at, "an alias needs a 'tag'");
	if (r->tag.s)
		check_alias_tag(l, r->tag);
}

static void load_aliases(loader *l, const ynode *n)
{
	if (!expect(l, n, YNODE_SEQ, "aliases"))
		return;
	l->m->aliases = arena_alloc(l->a, (n->n + 1) * sizeof(alias_rule));
	for (size_t i = 0; i < n->n; i++)
		load_alias(l, n->items[i], &l->m->aliases[i]);
	l->m->naliases = n->n;
}

/* tags -> {series: bool, major: bool} */
static void load_tags(loader *l, const ynode *n)
{
	static const char *const keys[] = {"series", "major"};
	if (!expect(l, n, YNODE_MAP, "tags"))
		return;
	check_keys(l, n, "tags", keys, 2);
	const ynode *x;
	if ((x = ynode_get(n, "series")) &&
	    bool_of(l, x, "series", &l->m->alias_series))
		l->m->alias_series_at = x->at;
	if ((x = ynode_get(n, "major")) &&
	    bool_of(l, x, "major", &l->m->alias_major))
		l->m->alias_major_at = x->at;
}

/* packages -> {build: [package], run: [package]} */
static void load_packages(loader *l, const ynode *n)
{
	static const char *const keys[] = {"build", "run"};
	if (!expect(l, n, YNODE_MAP, "packages"))
		return;
	check_keys(l, n, "packages", keys, 2);
	const ynode *x;
	if ((x = ynode_get(n, "build")))
		list_of(l, x, "package name", name_check_package,
			&l->m->build_packages);
	if ((x = ynode_get(n, "run")))
		list_of(l, x, "package name", name_check_package,
			&l->m->run_packages);
}

/* env -> {NAME: value} kept as "NAME=value" in document order */
static void load_env(loader *l, const ynode *n)
{
	if (!expect(l, n, YNODE_MAP, "env"))
		return;
	if (n->n > LIMIT_CELL_LIST &&
	    !within_list_cap(l, n->n, n->pairs[LIMIT_CELL_LIST].key->at,
			     "environment variables"))
		return;
	for (size_t i = 0; i < n->n; i++) {
		pstr k = name_of(l, n->pairs[i].key, "variable name",
				 name_check_env_name);
		pstr v = str_of(l, n->pairs[i].val, "environment value");
		if (k.s && v.s)
			strlist_add(l->a, &l->m->env,
				    arena_printf(l->a, "%s=%s", k.s, v.s), k.at);
	}
}

/* publish -> {default_branch: bool, tags: bool, branches: [branch]}, a
 * branch named by the path grammar (release/3.x), so that it can stand
 * quoted in a rules:if expression */
static void load_publish(loader *l, const ynode *n)
{
	static const char *const keys[] = {"default_branch", "tags", "branches"};
	publish_refs *pr = &l->m->ci.publish;
	if (!expect(l, n, YNODE_MAP, "ci.publish"))
		return;
	check_keys(l, n, "ci.publish", keys, 3);
	const ynode *x;
	if ((x = ynode_get(n, "default_branch")))
		bool_of(l, x, "default_branch", &pr->default_branch);
	if ((x = ynode_get(n, "tags")))
		bool_of(l, x, "tags", &pr->tags);
	if ((x = ynode_get(n, "branches")))
		list_of(l, x, "branch name", name_check_path, &pr->branches);
	if (!pr->default_branch && !pr->tags && !pr->branches.n)
		diag_warning(l->d, n->at,
			     "ci.publish names no ref: no pipeline will push");
}

/* split -> series | none: the pipeline as one file, or as a parent that
 * triggers one child pipeline per series (emit_gitlab.c) */
static void load_split(loader *l, const ynode *n)
{
	pstr s = str_of(l, n, "ci.split");
	if (!s.s)
		return;
	if (!strcmp(s.s, "series") || !strcmp(s.s, "none"))
		l->m->ci.split_series = !strcmp(s.s, "series");
	else
		diag_error(l->d, s.at,
			   "ci.split must be 'series' or 'none', not '%s'", s.s);
}

/* runners -> {platform: [runner tag]}: the runners that build for each
 * platform natively (a PGO build under emulation takes hours) */
static void load_runners(loader *l, const ynode *n)
{
	ci_settings *ci = &l->m->ci;
	if (!expect(l, n, YNODE_MAP, "ci.runners"))
		return;
	if (n->n > LIMIT_CELL_LIST &&
	    !within_list_cap(l, n->n, n->pairs[LIMIT_CELL_LIST].key->at,
			     "ci.runners entries"))
		return;
	ci->runners = arena_alloc(l->a, (n->n + 1) * sizeof *ci->runners);
	for (size_t i = 0; i < n->n; i++) {
		runner_map *r = &ci->runners[ci->nrunners];
		r->platform = platform_of(l, n->pairs[i].key);
		list_of(l, n->pairs[i].val, "runner tag", name_check_runner_tag,
			&r->tags);
		const pstr *first = NULL;
		for (size_t j = 0; r->platform.s && j < ci->nrunners; j++)
			if (platform_same(ci->runners[j].platform.s, r->platform.s))
				first = &ci->runners[j].platform;
		if (first && !strcmp(first->s, r->platform.s))
			diag_error(l->d, r->platform.at,
				   "platform '%s' is listed twice in ci.runners",
				   r->platform.s);
		else if (first)
			same_platform_error(l, r->platform, *first,
					    " in ci.runners");
		else if (r->platform.s)
			ci->nrunners++;
	}
}

/* project -> group/name: the project whose pipelines publish, so that a
 * fork's pipelines on its own default branch and tags only build */
static void load_project(loader *l, const ynode *n)
{
	l->m->ci.project = name_of(l, n, "ci.project", name_check_project);
}

/* A matrix that publishes without ci.project publishes from every fork
 * too (emit_gitlab.c: if_publishing). Said at the first registry. */
static void check_project(loader *l)
{
	const matrix *m = l->m;
	const publish_refs *pr = &m->ci.publish;
	bool refs = pr->default_branch || pr->tags || pr->branches.n;
	if (!m->nregistries || !refs || m->ci.project.at.line)
		return;
	diag_warning(l->d, m->registries[0].name.at,
		     "ci.project is not set: a fork of this project publishes "
		     "from its own default branch and tags too (set ci.project "
		     "to the project's path, group/name)");
}

/* ci -> {image, services, tags, stage, max_jobs, publish, split, runners,
 * project} */
static void load_ci(loader *l, const ynode *n)
{
	static const char *const keys[] = {"image", "services", "tags", "stage",
					   "max_jobs", "publish", "split",
					   "runners", "project"};
	ci_settings *ci = &l->m->ci;
	if (!expect(l, n, YNODE_MAP, "ci"))
		return;
	check_keys(l, n, "ci", keys, 9);
	const ynode *x;
	if ((x = ynode_get(n, "image")))
		ci->image = name_of(l, x, "CI image", name_check_image);
	if ((x = ynode_get(n, "services")))
		list_of(l, x, "CI service image", name_check_image, &ci->services);
	if ((x = ynode_get(n, "tags")))
		list_of(l, x, "runner tag", name_check_runner_tag,
			&ci->runner_tags);
	if ((x = ynode_get(n, "stage")))
		ci->stage = name_of(l, x, "stage name", name_check_stage);
	if ((x = ynode_get(n, "max_jobs")) &&
	    count_of(l, x, "max_jobs", 1, 100000, &ci->max_jobs))
		ci->max_jobs_at = x->at;
	if ((x = ynode_get(n, "publish")))
		load_publish(l, x);
	if ((x = ynode_get(n, "split")))
		load_split(l, x);
	if ((x = ynode_get(n, "runners")))
		load_runners(l, x);
	if ((x = ynode_get(n, "project")))
		load_project(l, x);
}

/* limits -> {cells: N} */
static void load_limits(loader *l, const ynode *n)
{
	static const char *const keys[] = {"cells"};
	if (!expect(l, n, YNODE_MAP, "limits"))
		return;
	check_keys(l, n, "limits", keys, 1);
	const ynode *x = ynode_get(n, "cells");
	if (x && count_of(l, x, "limits.cells", 1, LIMIT_CELLS_MAX,
			  &l->m->max_cells))
		l->m->max_cells_at = x->at;
}

/* hooks -> [path under lua/, ending in .lua] */
static void load_hooks(loader *l, const ynode *n)
{
	if (!expect(l, n, YNODE_SEQ, "hooks"))
		return;
	for (size_t i = 0; i < n->n; i++) {
		pstr p = str_of(l, n->items[i], "hook path");
		if (!p.s)
			continue;
		size_t len = strlen(p.s);
		bool ok = strncmp(p.s, "lua/", 4) == 0 && len > 8 &&
			  strcmp(p.s + len - 4, ".lua") == 0 &&
			  !name_check_path(p.s);
		if (!ok)
			diag_error(l->d, p.at,
				   "a hook must be a .lua file under lua/, not '%s'",
				   p.s);
		else if (strlist_has(&l->m->hooks, p.s))
			diag_error(l->d, p.at, "hook '%s' is listed twice", p.s);
		else
			strlist_add(l->a, &l->m->hooks, p.s, p.at);
	}
}

/* output, lock -> a relative path inside the repository (name_check_path):
 * matrixc writes there, and update writes the lock file, so neither may
 * name a file outside it. */
static void load_output(loader *l, const ynode *n)
{
	pstr p = name_of(l, n, "output", name_check_path);
	if (p.s)
		l->m->output = p;
}

static void load_lock_path(loader *l, const ynode *n)
{
	pstr p = name_of(l, n, "lock", name_check_path);
	if (p.s)
		l->m->lock_file = p;
}

/* labels -> {source: url, url: url}: the OCI labels that matrixc cannot
 * know (where the repository and the project's page are) */
static void load_labels(loader *l, const ynode *n)
{
	static const char *const keys[] = {"source", "url"};
	if (!expect(l, n, YNODE_MAP, "labels"))
		return;
	check_keys(l, n, "labels", keys, 2);
	const ynode *x;
	if ((x = ynode_get(n, "source")))
		l->m->label_source = name_of(l, x, "labels.source", name_check_url);
	if ((x = ynode_get(n, "url")))
		l->m->label_url = name_of(l, x, "labels.url", name_check_url);
}

static const char *const top_keys[] = {
    "matrixc", "image",   "registries", "base",     "lock",  "versions",
    "variants", "exclude", "include",    "tags",     "aliases", "hooks",
    "configure", "packages", "env",      "ci",       "limits", "output",
    "pin_bases", "labels", "platforms"};

/* A missing key that a "did you mean" already pointed at is not reported
 * twice. */
static void require(loader *l, const ynode *root, const char *key)
{
	for (size_t i = 0; i < l->nsuggested; i++)
		if (strcmp(l->suggested[i], key) == 0)
			return;
	if (!ynode_get(root, key))
		diag_error(l->d, root->at, "missing required key '%s'", key);
}

static void load_top(loader *l, const ynode *root)
{
	matrix *m = l->m;
	const ynode *x;
	check_keys(l, root, "matrix.yaml", top_keys,
		   sizeof top_keys / sizeof *top_keys);
	require(l, root, "matrixc");
	require(l, root, "image");
	require(l, root, "base");
	require(l, root, "versions");
	require(l, root, "variants");
	if ((x = ynode_get(root, "matrixc")))
		load_schema(l, x);
	if ((x = ynode_get(root, "image")))
		m->image = name_of(l, x, "image name", name_check_repository);
	if ((x = ynode_get(root, "registries")))
		load_registries(l, x);
	if ((x = ynode_get(root, "base")))
		m->base = name_of(l, x, "base image", name_check_image);
	if ((x = ynode_get(root, "platforms")))
		load_platforms(l, x, &m->platforms);
	if ((x = ynode_get(root, "lock")))
		load_lock_path(l, x);
	if ((x = ynode_get(root, "versions")))
		load_versions(l, x);
	if ((x = ynode_get(root, "variants")))
		load_variants(l, x);
	if ((x = ynode_get(root, "exclude")))
		m->excludes = load_rules(l, x, "an exclude", &m->nexcludes);
	if ((x = ynode_get(root, "include")))
		m->includes = load_rules(l, x, "an include", &m->nincludes);
	if ((x = ynode_get(root, "tags")))
		load_tags(l, x);
	if ((x = ynode_get(root, "aliases")))
		load_aliases(l, x);
	if ((x = ynode_get(root, "hooks")))
		load_hooks(l, x);
	if ((x = ynode_get(root, "configure")))
		list_of(l, x, "configure flag", name_check_flag, &m->configure);
	if ((x = ynode_get(root, "packages")))
		load_packages(l, x);
	if ((x = ynode_get(root, "env")))
		load_env(l, x);
	if ((x = ynode_get(root, "ci")))
		load_ci(l, x);
	if ((x = ynode_get(root, "limits")))
		load_limits(l, x);
	if ((x = ynode_get(root, "output")))
		load_output(l, x);
	if ((x = ynode_get(root, "pin_bases")) &&
	    bool_of(l, x, "pin_bases", &m->pin_bases))
		m->pin_bases_at = x->at;
	if ((x = ynode_get(root, "labels")))
		load_labels(l, x);
}

const strlist *matrix_runner_tags(const matrix *m, const char *platform)
{
	for (size_t i = 0; i < m->ci.nrunners; i++)
		if (platform_same(m->ci.runners[i].platform.s, platform))
			return &m->ci.runners[i].tags;
	return NULL;
}

/* Without platforms: the one of today's images, PLATFORM_DEFAULT, with
 * no position (a built-in default). */
static void default_platforms(loader *l)
{
	if (!l->m->platforms.n)
		strlist_add(l->a, &l->m->platforms, PLATFORM_DEFAULT,
			    (srcpos){0});
}

/* A list of several platforms, or one that is not PLATFORM_DEFAULT, whose
 * jobs would run on any runner: they build under emulation, if the
 * runner can at all. */
static void check_runners(loader *l, const strlist *platforms)
{
	bool native = platforms->n == 1 &&
		      !strcmp(platforms->v[0].s, PLATFORM_DEFAULT);
	for (size_t i = 0; !native && i < platforms->n; i++)
		if (!matrix_runner_tags(l->m, platforms->v[i].s))
			diag_warning(l->d, platforms->v[i].at,
				     "platform '%s' has no runner tags in "
				     "ci.runners: its jobs run on any runner, "
				     "under emulation if at all",
				     platforms->v[i].s);
}

static const variant *matrix_variant(const matrix *m, const char *name)
{
	for (size_t i = 0; i < m->nvariants; i++)
		if (m->variants[i].name.s && strcmp(m->variants[i].name.s, name) == 0)
			return &m->variants[i];
	return NULL;
}

/* A cell's configure flags are the top-level ones and its variant's:
 * together within LIMIT_CELL_LIST, reported at the variant's first flag
 * past it. */
static void check_configure_sizes(loader *l)
{
	const matrix *m = l->m;
	size_t top = m->configure.n;
	for (size_t i = 0; i < m->nvariants && top < LIMIT_CELL_LIST; i++) {
		const variant *v = &m->variants[i];
		if (top + v->configure.n <= LIMIT_CELL_LIST)
			continue;
		const char *what = arena_printf(
		    l->a, "configure flags in variant '%s', with the top-level "
			  "ones",
		    v->name.s ? v->name.s : "?");
		within_list_cap(l, top + v->configure.n,
				v->configure.v[LIMIT_CELL_LIST - top].at, what);
	}
}

/* Rules must name a variant that exists. A suggestion compares the name
 * with every variant's: as in check_keys, only the first unknown names
 * get one (a thousand rules against a thousand variants would cost
 * seconds). */
static void check_rule_variants(loader *l, const match_rule *rules, size_t n,
				const char *what)
{
	for (size_t i = 0; i < n; i++) {
		const pstr *v = &rules[i].variant;
		if (!v->s || matrix_variant(l->m, v->s))
			continue;
		if (l->nsuggest++ >= LIMIT_DIAGNOSTICS) {
			diag_error(l->d, v->at, "unknown variant '%s' in %s",
				   v->s, what);
			continue;
		}
		const char *names[LIMIT_VARIANTS];
		size_t k = 0;
		for (size_t j = 0; j < l->m->nvariants; j++)
			if (l->m->variants[j].name.s)
				names[k++] = l->m->variants[j].name.s;
		const char *near = diag_suggest(v->s, names, k);
		if (near)
			diag_error(l->d, v->at,
				   "unknown variant '%s' in %s (did you mean '%s'?)",
				   v->s, what, near);
		else
			diag_error(l->d, v->at, "unknown variant '%s' in %s", v->s,
				   what);
	}
}

static void set_defaults(matrix *m)
{
	m->alias_series = m->alias_major = true;
	m->pin_bases = true;
	m->max_cells = LIMIT_CELLS_DEFAULT;
	m->ci.max_jobs = 500;
	m->ci.publish.default_branch = m->ci.publish.tags = true;
	m->output = (pstr){"generated", {0}};
}

bool matrix_load(arena *a, diag *d, const ynode *root, const char *file,
		 const char *dir, matrix *m)
{
	loader l = {.a = a, .d = d, .m = m};
	unsigned errors = diag_errors(d);
	memset(m, 0, sizeof *m);
	m->file = file;
	m->dir = dir;
	set_defaults(m);
	if (!expect(&l, root, YNODE_MAP, "matrix.yaml"))
		return false;
	load_top(&l, root);
	default_platforms(&l);
	check_runners(&l, &m->platforms);
	for (size_t i = 0; i < m->nvariants; i++)
		check_runners(&l, &m->variants[i].platforms);
	check_configure_sizes(&l);
	check_project(&l);
	/* a rule's variant is checked only when the variants key loaded:
	 * after a missing, misspelt or malformed one, the rules' errors would
	 * only repeat that one */
	if (!l.variants_ok)
		return false;
	check_rule_variants(&l, m->excludes, m->nexcludes, "an exclude");
	check_rule_variants(&l, m->includes, m->nincludes, "an include");
	for (size_t i = 0; i < m->naliases; i++)
		check_rule_variants(&l, &m->aliases[i].match, 1, "an alias");
	return diag_errors(d) == errors;
}

