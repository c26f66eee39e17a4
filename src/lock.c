/* lock.c - matrix.lock.json through jansson.
 *
 * jansson reports positions only for syntax errors, so the positions of the
 * release keys come from one scan of the text (release_keys): jansson keeps
 * an object's keys in document order, so the i-th key of "releases" in the
 * text is the i-th key jansson iterates. One pass, whatever the file size.
 */
#include "lock.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "version.h"

/* The first needle in text[from..len), or NULL. text has len bytes and
 * need not end in a NUL, so no strstr. */
static const char *find(const char *text, size_t len, const char *from,
			const char *needle)
{
	size_t n = strlen(needle);
	for (const char *p = from ? from : text; p + n <= text + len; p++)
		if (memcmp(p, needle, n) == 0)
			return p;
	return NULL;
}

/* position of the first "key" string after from, or the file start */
static srcpos locate(const char *file, const char *text, size_t len,
		     const char *key, const char *from)
{
	srcpos at = {file, 1, 1};
	char needle[160];
	snprintf(needle, sizeof needle, "\"%s\"", key);
	const char *hit = find(text, len, from, needle);
	if (!hit)
		return at;
	for (const char *p = text; p < hit; p++) {
		if (*p == '\n') {
			at.line++;
			at.col = 1;
		} else {
			at.col++;
		}
	}
	return at;
}

/* --- positions of the release keys -------------------------------------- */

typedef struct {
	const char *p, *end;
	unsigned line, col;
} scanner;

static void advance(scanner *s)
{
	if (*s->p == '\n') {
		s->line++;
		s->col = 1;
	} else {
		s->col++;
	}
	s->p++;
}

/* skip a string whose opening quote is at s->p; returns its raw text */
static const char *skip_string(scanner *s, size_t *n)
{
	advance(s);
	const char *start = s->p;
	while (s->p < s->end && *s->p != '"') {
		if (*s->p == '\\' && s->p + 1 < s->end)
			advance(s);
		advance(s);
	}
	*n = (size_t)(s->p - start);
	if (s->p < s->end)
		advance(s);
	return start;
}

/* true when the next non-blank character is ':' (the string was a key) */
static bool is_key(const scanner *s)
{
	const char *q = s->p;
	while (q < s->end && strchr(" \t\r\n", *q))
		q++;
	return q < s->end && *q == ':';
}

/* Positions of the keys of the top-level object top ("releases" or
 * "bases"), in document order, into at[max] (and their offsets in text
 * into off[max]); returns how many. */
static size_t object_keys(const char *file, const char *text, size_t len,
			  const char *top, srcpos *at, size_t *off, size_t max)
{
	size_t toplen = strlen(top);
	scanner s = {text, text + len, 1, 1};
	int depth = 0, releases_depth = -1;
	bool next_is_releases = false;
	size_t n = 0;
	while (s.p < s.end) {
		char c = *s.p;
		if (c == '"') {
			srcpos here = {file, s.line, s.col};
			size_t rn;
			const char *raw = skip_string(&s, &rn);
			bool key = is_key(&s);
			if (key && depth == releases_depth && n < max) {
				off[n] = (size_t)(raw - 1 - text);
				at[n++] = here;
			}
			next_is_releases = key && depth == 1 && rn == toplen &&
					   !memcmp(raw, top, toplen);
			continue;
		}
		if (c == '{' || c == '[') {
			depth++;
			if (c == '{' && next_is_releases && depth == 2)
				releases_depth = 2;
			next_is_releases = false;
		} else if (c == '}' || c == ']') {
			if (depth == releases_depth)
				releases_depth = -1;
			depth--;
		}
		advance(&s);
	}
	return n;
}

/* The position of the value of key name (of the key itself when
 * want_key) in the object that follows the release key at text[off]
 * (position at), or at itself when it is not found; off 0 is the
 * top-level object, which has no key before it. Only called for an
 * error, so a scan per call costs nothing. */
static srcpos member_pos(const char *text, size_t len, size_t off, srcpos at,
			 const char *name, bool want_key)
{
	scanner s = {text + off, text + len, at.line, at.col};
	size_t n;
	int depth = 0;
	if (*s.p == '"')
		skip_string(&s, &n); /* the release key */
	while (s.p < s.end) {
		char c = *s.p;
		if (c == '"') {
			srcpos key_at = {at.file, s.line, s.col};
			const char *raw = skip_string(&s, &n);
			if (depth == 1 && is_key(&s) && n == strlen(name) &&
			    !memcmp(raw, name, n)) {
				if (want_key)
					return key_at;
				while (s.p < s.end && *s.p != ':')
					advance(&s);
				if (s.p < s.end)
					advance(&s);
				while (s.p < s.end && strchr(" \t\r\n", *s.p))
					advance(&s);
				return (srcpos){at.file, s.line, s.col};
			}
			continue;
		}
		if (c == '{' || c == '[')
			depth++;
		else if ((c == '}' || c == ']') && --depth <= 0)
			break;
		advance(&s);
	}
	return at;
}

static srcpos value_pos(const char *text, size_t len, size_t off, srcpos at,
			const char *name)
{
	return member_pos(text, len, off, at, name, false);
}

/* The lock file's text, for the positions of errors in one entry. */
typedef struct {
	const char *text;
	size_t len;
	size_t off; /* of the entry's key */
	srcpos at;  /* of the entry's key */
} entry_src;

/* Where the entry's field name has its value, or the entry's key when the
 * field is missing or the text is not at hand. */
static srcpos field_pos(const entry_src *src, const char *name)
{
	return src->text ? value_pos(src->text, src->len, src->off, src->at,
				     name)
			 : src->at;
}

/* Each key of obj that is not one of known[0..n), as an error at the key
 * (with a "did you mean"); what: "release '3.13'" or "base 'x'", NULL for
 * the top-level object. A lock file is matrixc's own output: a key it
 * does not write is a hand edit that would otherwise be dropped by the
 * next update without a word. */
static bool known_keys(diag *d, json_t *obj, const char *const *known,
		       size_t n, const entry_src *src, const char *what)
{
	bool ok = true;
	const char *key;
	json_t *val;
	json_object_foreach(obj, key, val) {
		size_t i = 0;
		while (i < n && strcmp(key, known[i]) != 0)
			i++;
		if (i < n)
			continue;
		srcpos at = src->text ? member_pos(src->text, src->len,
						   src->off, src->at, key, true)
				      : src->at;
		const char *hint = diag_suggest(key, known, n);
		diag_error(d, at, "%s%sunknown key '%s'%s%s%s%s",
			   what ? what : "", what ? ": " : "", key,
			   what ? "" : " in the lock file",
			   hint ? " (did you mean '" : "", hint ? hint : "",
			   hint ? "'?)" : "");
		ok = false;
	}
	return ok;
}

static const char *field(arena *a, diag *d, json_t *obj, const char *name,
			 const entry_src *src, const char *key)
{
	json_t *v = json_object_get(obj, name);
	if (!json_is_string(v)) {
		diag_error(d, v ? field_pos(src, name) : src->at,
			   "release '%s' needs a string '%s'", key, name);
		return NULL;
	}
	return arena_strdup(a, json_string_value(v));
}

/* --- the source URL ------------------------------------------------------ */

static bool has_suffix(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);
	return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

/* Why file[0..n) is not a CPython source tarball name for version (any
 * version when NULL): Python-VERSION.tgz, .tar.xz or .tar.bz2. */
static const char *check_tarball_name(const char *file, size_t n,
				      const char *version)
{
	static const char *const exts[] = {".tgz", ".tar.xz", ".tar.bz2"};
	static const char why[] = "the file name is not a CPython source "
				  "tarball's (Python-VERSION.tgz, .tar.xz or "
				  ".tar.bz2)";
	size_t ext = 0;
	for (size_t i = 0; i < sizeof exts / sizeof *exts && !ext; i++)
		if (has_suffix(file, n, exts[i]))
			ext = strlen(exts[i]);
	if (!ext || n < 7 + ext || memcmp(file, "Python-", 7) != 0)
		return why;
	char v[64];
	size_t vn = n - 7 - ext;
	if (vn == 0 || vn >= sizeof v)
		return why;
	memcpy(v, file + 7, vn);
	v[vn] = '\0';
	pyversion pv;
	if (!version_parse(v, &pv) || !pv.has_patch)
		return why;
	if (version && strcmp(v, version) != 0)
		return "the file name is the tarball of another version";
	return NULL;
}

/* Characters of a path: unreserved ones, and a few sub-delimiters that
 * mirrors use. No '%': an encoded "." or "/" would hide a segment. */
static bool path_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || strchr("._~+-/@=,:", c);
}

const char *lock_check_source_url(const char *url, const char *version)
{
	const char *why = name_check_url(url);
	if (why)
		return why;
	const char *p = strstr(url, "://") + 3;
	size_t end = strcspn(p, "?#");
	const char *path = memchr(p, '/', end);
	if (!path || (size_t)(path - p) + 1 >= end)
		return "the URL names no file";
	const char *stop = p + end, *seg = path + 1;
	for (const char *q = path; q < stop; q++)
		if (!path_char(*q))
			return "the URL's path may hold only letters, digits "
			       "and . _ ~ + - / @ = , : (no percent-encoding)";
	for (const char *q = seg;; q++) {
		if (q < stop && *q != '/')
			continue;
		size_t n = (size_t)(q - seg);
		if ((n == 1 && seg[0] == '.') ||
		    (n == 2 && seg[0] == '.' && seg[1] == '.'))
			return "the URL's path has a '.' or '..' segment";
		if (q == stop)
			return check_tarball_name(seg, n, version);
		seg = q + 1;
	}
}

/* An entry's errors, reported in the order of their fields in the text. */
typedef struct {
	srcpos at;
	const char *what, *value;
} entry_error;

static void check_entry_add(entry_error *v, size_t *n, const entry_src *src,
			    const lock_entry *e, const char *field,
			    const char *what, const char *value)
{
	srcpos at = src ? value_pos(src->text, src->len, src->off, src->at,
				    field)
			: e->key.at;
	size_t i = (*n)++;
	while (i > 0 && (v[i - 1].at.line > at.line ||
			 (v[i - 1].at.line == at.line && v[i - 1].at.col > at.col))) {
		v[i] = v[i - 1];
		i--;
	}
	v[i] = (entry_error){at, what, value};
}

static bool check_entry(diag *d, const lock_entry *e, const entry_src *src)
{
	pyversion v;
	const char *why;
	entry_error errs[3];
	size_t n = 0;
	bool version_ok = version_parse(e->version.s, &v) && v.has_patch;
	if (!version_ok)
		check_entry_add(errs, &n, src, e, "version", "malformed version",
				e->version.s);
	if ((why = lock_check_source_url(e->url.s,
					 version_ok ? e->version.s : NULL)))
		check_entry_add(errs, &n, src, e, "url", "invalid url", why);
	if ((why = name_check_sha256(e->sha256.s)))
		check_entry_add(errs, &n, src, e, "sha256", "invalid sha256",
				why);
	for (size_t i = 0; i < n; i++)
		if (strcmp(errs[i].what, "malformed version") == 0)
			diag_error(d, errs[i].at, "release '%s': %s '%s'",
				   e->key.s, errs[i].what, errs[i].value);
		else
			diag_error(d, errs[i].at, "release '%s': %s: %s",
				   e->key.s, errs[i].what, errs[i].value);
	return n == 0;
}

static bool parse_entry(arena *a, diag *d, const entry_src *src,
			const char *key, json_t *val, lockfile *lf)
{
	srcpos at = src->at;
	if (!json_is_object(val)) {
		diag_error(d, at, "release '%s' must be an object", key);
		return false;
	}
	static const char *const known[] = {"sha256", "unverified", "url",
					    "version"};
	char what[160];
	snprintf(what, sizeof what, "release '%.100s'", key);
	bool keys_ok = known_keys(d, val, known, 4, src, what);
	const char *version = field(a, d, val, "version", src, key);
	const char *url = field(a, d, val, "url", src, key);
	const char *sha = field(a, d, val, "sha256", src, key);
	if (!version || !url || !sha)
		return false;
	lock_entry *e = lock_set(a, lf, key, version, url, sha);
	e->key.at = e->version.at = e->url.at = e->sha256.at = at;
	if (src->text) {
		e->url.at = field_pos(src, "url");
		e->sha256.at = field_pos(src, "sha256");
	}
	json_t *unverified = json_object_get(val, "unverified");
	if (unverified && !json_is_boolean(unverified)) {
		diag_error(d, field_pos(src, "unverified"),
			   "release '%s': 'unverified' must be true or false",
			   key);
		keys_ok = false;
	}
	e->unverified = json_is_true(unverified);
	return check_entry(d, e, src->text ? src : NULL) && keys_ok;
}

/* --- base images ------------------------------------------------------- */

static const char *check_base_digest(const char *s)
{
	if (strncmp(s, "sha256:", 7) != 0 || name_check_sha256(s + 7))
		return "a digest is 'sha256:' and 64 lowercase hex digits";
	return NULL;
}

static bool parse_base(arena *a, diag *d, const entry_src *src,
		       const char *key, json_t *val, lockfile *lf)
{
	const char *why = name_check_image(key);
	if (!why && strchr(key, '@'))
		why = "the key is the image as matrix.yaml or a hook names it, "
		      "without a digest";
	if (why) {
		diag_error(d, src->at, "base '%s': invalid image: %s", key, why);
		return false;
	}
	json_t *dg = json_is_object(val) ? json_object_get(val, "digest") : NULL;
	if (!json_is_string(dg)) {
		diag_error(d, dg ? field_pos(src, "digest") : src->at,
			   "base '%s' needs an object with a string 'digest'",
			   key);
		return false;
	}
	static const char *const known[] = {"digest"};
	char what[300];
	snprintf(what, sizeof what, "base '%.255s'", key);
	if (!known_keys(d, val, known, 1, src, what))
		return false;
	const char *digest = json_string_value(dg);
	if ((why = check_base_digest(digest))) {
		diag_error(d, field_pos(src, "digest"),
			   "base '%s': invalid digest '%s': %s", key, digest,
			   why);
		return false;
	}
	lock_base *b = lock_set_base(a, lf, key, digest);
	b->image.at = src->at;
	b->digest.at = field_pos(src, "digest");
	return true;
}

/* "bases": {"debian:bookworm-slim": {"digest": "sha256:..."}}, optional */
static bool parse_bases(arena *a, diag *d, const char *file, const char *text,
			size_t len, json_t *root, lockfile *lf)
{
	json_t *bases = json_object_get(root, "bases");
	if (!bases)
		return true;
	if (!json_is_object(bases)) {
		diag_error(d, locate(file, text, len, "bases", NULL),
			   "\"bases\" must be an object");
		return false;
	}
	size_t count = json_object_size(bases), i = 0;
	srcpos *at = arena_alloc(a, (count + 1) * sizeof *at);
	size_t *off = arena_alloc(a, (count + 1) * sizeof *off);
	size_t found = object_keys(file, text, len, "bases", at, off, count);
	bool ok = true;
	const char *key;
	json_t *val;
	json_object_foreach(bases, key, val) {
		entry_src src = {NULL, len, 0, {file, 1, 1}};
		if (found == count)
			src = (entry_src){text, len, off[i], at[i]};
		ok &= parse_base(a, d, &src, key, val, lf);
		i++;
	}
	return ok;
}

/* The top-level keys: "bases", "matrixc" and "releases" only. */
static bool top_keys_ok(diag *d, const char *file, const char *text,
			size_t len, json_t *root)
{
	static const char *const known[] = {"bases", "matrixc", "releases"};
	entry_src top = {text, len, 0, {file, 1, 1}};
	return known_keys(d, root, known, 3, &top, NULL);
}

static bool parse_root(arena *a, diag *d, const char *file, const char *text,
		       size_t len, json_t *root, lockfile *lf)
{
	srcpos top = {file, 1, 1};
	if (!json_is_object(root)) {
		diag_error(d, top, "the lock file must be a JSON object");
		return false;
	}
	json_t *schema = json_object_get(root, "matrixc");
	if (!json_is_integer(schema) || json_integer_value(schema) != 1) {
		diag_error(d, locate(file, text, len, "matrixc", NULL),
			   "the lock file needs \"matrixc\": 1");
		return false;
	}
	bool keys_ok = top_keys_ok(d, file, text, len, root);
	json_t *rel = json_object_get(root, "releases");
	if (!json_is_object(rel)) {
		diag_error(d, locate(file, text, len, "releases", NULL),
			   "the lock file needs a \"releases\" object");
		return false;
	}
	size_t count = json_object_size(rel), i = 0;
	srcpos *at = arena_alloc(a, (count + 1) * sizeof *at);
	size_t *off = arena_alloc(a, (count + 1) * sizeof *off);
	size_t found = object_keys(file, text, len, "releases", at, off, count);
	bool ok = true;
	const char *key;
	json_t *val;
	json_object_foreach(rel, key, val) {
		entry_src src = {NULL, len, 0, top};
		if (found == count)
			src = (entry_src){text, len, off[i], at[i]};
		if (!parse_entry(a, d, &src, key, val, lf))
			ok = false;
		i++;
	}
	return parse_bases(a, d, file, text, len, root, lf) && ok && keys_ok;
}

bool lock_parse(arena *a, diag *d, const char *file, const char *text,
		size_t len, lockfile *lf)
{
	json_error_t err;
	memset(lf, 0, sizeof *lf);
	lf->file = file;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
	if (!root) {
		srcpos at = {file, err.line > 0 ? (unsigned)err.line : 1,
			     err.column > 0 ? (unsigned)err.column : 1};
		diag_error(d, at, "%s", err.text);
		return false;
	}
	bool ok = parse_root(a, d, file, text, len, root, lf);
	json_decref(root);
	return ok;
}

/* Where key is in lf->v, which is kept sorted by key, or where it would
 * go; *found tells which. */
static size_t lock_slot(const lockfile *lf, const char *key, bool *found)
{
	size_t lo = 0, hi = lf->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(lf->v[mid].key.s, key);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

const lock_entry *lock_find(const lockfile *lf, const char *key)
{
	bool found;
	size_t i = lock_slot(lf, key, &found);
	return found ? &lf->v[i] : NULL;
}

lock_entry *lock_set(arena *a, lockfile *lf, const char *key,
		     const char *version, const char *url, const char *sha256)
{
	bool found;
	size_t i = lock_slot(lf, key, &found);
	if (!found) {
		if (lf->n == lf->cap) {
			size_t cap = lf->cap ? lf->cap * 2 : 16;
			lf->v = arena_grow(a, lf->v, lf->cap * sizeof *lf->v,
					   cap * sizeof *lf->v);
			lf->cap = cap;
		}
		/* a lock file is written sorted, so parsing it appends */
		memmove(&lf->v[i + 1], &lf->v[i], (lf->n - i) * sizeof *lf->v);
		lf->n++;
		memset(&lf->v[i], 0, sizeof lf->v[i]);
		lf->v[i].key.s = arena_strdup(a, key);
	}
	lock_entry *e = &lf->v[i];
	srcpos at = srcpos_file(lf->file);
	e->version = (pstr){arena_strdup(a, version), at};
	e->url = (pstr){arena_strdup(a, url), at};
	e->sha256 = (pstr){arena_strdup(a, sha256), at};
	e->unverified = false;
	return e;
}

/* Where image is in lf->bases (sorted), or where it would go. */
static size_t base_slot(const lockfile *lf, const char *image, bool *found)
{
	size_t lo = 0, hi = lf->nbases;
	*found = false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(lf->bases[mid].image.s, image);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const lock_base *lock_find_base(const lockfile *lf, const char *image)
{
	bool found;
	size_t i = base_slot(lf, image, &found);
	return found ? &lf->bases[i] : NULL;
}

lock_base *lock_set_base(arena *a, lockfile *lf, const char *image,
			 const char *digest)
{
	bool found;
	size_t i = base_slot(lf, image, &found);
	if (!found) {
		if (lf->nbases == lf->capbases) {
			size_t cap = lf->capbases ? lf->capbases * 2 : 8;
			lf->bases = arena_grow(a, lf->bases,
					       lf->capbases * sizeof *lf->bases,
					       cap * sizeof *lf->bases);
			lf->capbases = cap;
		}
		memmove(&lf->bases[i + 1], &lf->bases[i],
			(lf->nbases - i) * sizeof *lf->bases);
		lf->nbases++;
		lf->bases[i].image = (pstr){arena_strdup(a, image),
					    srcpos_file(lf->file)};
	}
	lf->bases[i].digest = (pstr){arena_strdup(a, digest),
				     srcpos_file(lf->file)};
	return &lf->bases[i];
}

void lock_remove_base(lockfile *lf, size_t i)
{
	memmove(&lf->bases[i], &lf->bases[i + 1],
		(lf->nbases - i - 1) * sizeof *lf->bases);
	lf->nbases--;
}

void lock_remove(lockfile *lf, size_t i)
{
	memmove(&lf->v[i], &lf->v[i + 1], (lf->n - i - 1) * sizeof *lf->v);
	lf->n--;
}

static json_t *entry_json(const lock_entry *e)
{
	json_t *o = json_object();
	json_object_set_new(o, "version", json_string(e->version.s));
	json_object_set_new(o, "url", json_string(e->url.s));
	json_object_set_new(o, "sha256", json_string(e->sha256.s));
	if (e->unverified)
		json_object_set_new(o, "unverified", json_true());
	return o;
}

bool lock_format(const lockfile *lf, buf *out)
{
	json_t *root = json_object();
	json_t *rel = json_object();
	json_object_set_new(root, "matrixc", json_integer(1));
	for (size_t i = 0; i < lf->n; i++)
		json_object_set_new(rel, lf->v[i].key.s, entry_json(&lf->v[i]));
	json_object_set_new(root, "releases", rel);
	if (lf->nbases) {
		json_t *bases = json_object();
		for (size_t i = 0; i < lf->nbases; i++) {
			json_t *o = json_object();
			json_object_set_new(o, "digest",
					    json_string(lf->bases[i].digest.s));
			json_object_set_new(bases, lf->bases[i].image.s, o);
		}
		json_object_set_new(root, "bases", bases);
	}
	char *s = json_dumps(root, JSON_SORT_KEYS | JSON_INDENT(2));
	json_decref(root);
	if (!s)
		return false;
	buf_puts(out, s);
	buf_putc(out, '\n');
	free(s);
	return buf_ok(out);
}
