/* pyorg.c - python.org's downloads API, parsed with jansson.
 *
 * Both endpoints answer a JSON array. Mirrors built on the older Tastypie
 * API wrap it as {"objects": [...]}; both shapes are accepted. Anything
 * else, or an item whose fields have the wrong types, is a shape error
 * that names the item, so a mirror that serves something unexpected is
 * caught here instead of producing a wrong lock file.
 */
#include "pyorg.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "names.h"

char *pyorg_releases_url(arena *a, const char *source)
{
	size_t n = strlen(source);
	while (n > 0 && source[n - 1] == '/')
		n--;
	return arena_printf(a, "%.*s/api/v2/downloads/release/?is_published=true",
			    (int)n, source);
}

char *pyorg_files_url(arena *a, const char *source, const char *id)
{
	size_t n = strlen(source);
	while (n > 0 && source[n - 1] == '/')
		n--;
	return arena_printf(a, "%.*s/api/v2/downloads/release_file/?release=%s",
			    (int)n, source, id);
}

/* Parse text; NULL with err set when it is not JSON or not a list. */
static json_t *load_list(const char *text, size_t len, const char *what,
			 char *err, size_t errlen)
{
	json_error_t je;
	json_t *root = json_loadb(text, len, 0, &je);
	if (!root) {
		snprintf(err, errlen, "malformed JSON at line %d, column %d: %s",
			 je.line, je.column, je.text);
		return NULL;
	}
	json_t *list = root;
	if (json_is_object(root))
		list = json_object_get(root, "objects");
	if (!json_is_array(list)) {
		snprintf(err, errlen, "unexpected JSON: expected a list of %s",
			 what);
		json_decref(root);
		return NULL;
	}
	json_incref(list);
	json_decref(root);
	return list;
}

/* A string field: NULL when absent or null; *bad when another type. */
static const char *opt_string(json_t *o, const char *key, bool *bad)
{
	json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v))
		return NULL;
	if (!json_is_string(v)) {
		*bad = true;
		return NULL;
	}
	return json_string_value(v);
}

/* A boolean field, def when absent; *bad when another type. */
static bool opt_bool(json_t *o, const char *key, bool def, bool *bad)
{
	json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v))
		return def;
	if (!json_is_boolean(v)) {
		*bad = true;
		return def;
	}
	return json_is_true(v);
}

static bool shape_error(char *err, size_t errlen, const char *item,
			size_t i, const char *what)
{
	snprintf(err, errlen, "unexpected JSON: %s %zu: %s", item, i, what);
	return false;
}

/* "https://www.python.org/api/v2/downloads/release/1020/" -> "1020" */
static const char *release_id(arena *a, const char *uri)
{
	size_t n = strlen(uri);
	while (n > 0 && uri[n - 1] == '/')
		n--;
	size_t end = n;
	while (n > 0 && uri[n - 1] >= '0' && uri[n - 1] <= '9')
		n--;
	if (n == end || end - n > 12 || (n > 0 && uri[n - 1] != '/'))
		return NULL;
	return arena_strndup(a, uri + n, end - n);
}

/* The CPython version of a release, or false for another product. */
static bool cpython_version(json_t *o, const char *name, pyversion *v,
			    const char **version)
{
	bool bad = false;
	const char *s = opt_string(o, "version", &bad);
	if (s && version_parse(s, v) && v->has_patch) {
		*version = s;
		return true;
	}
	if (strncmp(name, "Python ", 7) != 0)
		return false;
	*version = name + 7;
	return version_parse(*version, v) && v->has_patch;
}

/* Parse item i into r; returns false on a shape error, and sets *keep
 * to false for items to skip (unpublished, not CPython). */
static bool parse_release(arena *a, json_t *o, size_t i, pyorg_release *r,
			  bool *keep, char *err, size_t errlen)
{
	bool bad = false;
	*keep = false;
	if (!json_is_object(o))
		return shape_error(err, errlen, "release", i, "not an object");
	const char *name = opt_string(o, "name", &bad);
	if (!name)
		return shape_error(err, errlen, "release", i,
				   "\"name\" is missing or not a string");
	bool published = opt_bool(o, "is_published", true, &bad);
	bool pre = opt_bool(o, "pre_release", false, &bad);
	const char *uri = opt_string(o, "resource_uri", &bad);
	if (bad)
		return shape_error(err, errlen, "release", i,
				   "a field has the wrong type");
	const char *version;
	if (!published || !cpython_version(o, name, &r->v, &version))
		return true;
	/* a release python.org flags as a pre-release never counts as final */
	if (pre && r->v.pre == PRE_FINAL)
		return true;
	r->id = uri ? release_id(a, uri) : NULL;
	if (!r->id)
		return shape_error(err, errlen, "release", i,
				   "\"resource_uri\" does not end in a release id");
	r->name = arena_strdup(a, name);
	r->version = arena_strdup(a, version);
	*keep = true;
	return true;
}

bool pyorg_parse_releases(arena *a, const char *text, size_t len,
			  pyorg_releases *out, char *err, size_t errlen)
{
	json_t *list = load_list(text, len, "releases", err, errlen);
	if (!list)
		return false;
	size_t n = json_array_size(list);
	out->v = arena_alloc(a, (n ? n : 1) * sizeof *out->v);
	out->n = 0;
	bool ok = true;
	for (size_t i = 0; ok && i < n; i++) {
		bool keep;
		ok = parse_release(a, json_array_get(list, i), i,
				   &out->v[out->n], &keep, err, errlen);
		if (ok && keep)
			out->n++;
	}
	json_decref(list);
	return ok;
}

static bool matches(const pyorg_release *r, const pyversion *want, bool exact,
		    bool prerelease_ok)
{
	if (exact)
		return version_cmp(&r->v, want) == 0;
	if (!version_in_series(&r->v, want))
		return false;
	return prerelease_ok || r->v.pre == PRE_FINAL;
}

const pyorg_release *pyorg_select(const pyorg_releases *rs,
				  const pyversion *want, bool exact,
				  bool prerelease_ok)
{
	const pyorg_release *best = NULL;
	for (size_t i = 0; i < rs->n; i++) {
		const pyorg_release *r = &rs->v[i];
		if (!matches(r, want, exact, prerelease_ok))
			continue;
		if (!best || version_cmp(&r->v, &best->v) > 0)
			best = r;
	}
	return best;
}

static const char *basename_of(const char *url)
{
	const char *slash = strrchr(url, '/');
	return slash ? slash + 1 : url;
}

/* A hex digest field: NULL when absent or empty, lowercased; *bad when
 * it is not n hex digits. */
static const char *hex_field(arena *a, json_t *o, const char *key, size_t n,
			     bool *bad)
{
	const char *s = opt_string(o, key, bad);
	if (!s || !*s)
		return NULL;
	if (strlen(s) != n || strspn(s, "0123456789abcdefABCDEF") != n) {
		*bad = true;
		return NULL;
	}
	char *low = arena_strdup(a, s);
	for (char *p = low; *p; p++)
		if (*p >= 'A' && *p <= 'F')
			*p = (char)(*p - 'A' + 'a');
	return low;
}

static bool parse_file(arena *a, json_t *o, size_t i, pyorg_file *f,
		       char *err, size_t errlen)
{
	bool bad = false;
	if (!json_is_object(o))
		return shape_error(err, errlen, "file", i, "not an object");
	f->url = opt_string(o, "url", &bad);
	if (!f->url || bad)
		return shape_error(err, errlen, "file", i,
				   "\"url\" is missing or not a string");
	f->sha256 = hex_field(a, o, "sha256_sum", 64, &bad);
	f->md5 = hex_field(a, o, "md5_sum", 32, &bad);
	if (bad)
		return shape_error(err, errlen, "file", i,
				   "\"sha256_sum\" or \"md5_sum\" is not a hex digest");
	json_t *size = json_object_get(o, "filesize");
	f->filesize = -1;
	if (json_is_integer(size) && json_integer_value(size) > 0)
		f->filesize = json_integer_value(size);
	else if (size && !json_is_null(size) && !json_is_integer(size))
		return shape_error(err, errlen, "file", i,
				   "\"filesize\" is not an integer");
	return true;
}

/* 2: Python-X.Y.Z.tar.xz, 1: Python-X.Y.Z.tgz, 0: another file */
static int source_rank(json_t *o, const char *url, const pyorg_release *r)
{
	bool bad = false;
	if (!opt_bool(o, "is_source", false, &bad) || bad)
		return 0;
	const char *base = basename_of(url);
	size_t vlen = strlen(r->version);
	if (strncmp(base, "Python-", 7) != 0 ||
	    strncmp(base + 7, r->version, vlen) != 0)
		return 0;
	const char *ext = base + 7 + vlen;
	return strcmp(ext, ".tar.xz") == 0 ? 2 : strcmp(ext, ".tgz") == 0;
}

bool pyorg_parse_files(arena *a, const char *text, size_t len,
		       const pyorg_release *r, pyorg_file *out, char *err,
		       size_t errlen)
{
	json_t *list = load_list(text, len, "release files", err, errlen);
	if (!list)
		return false;
	int best = 0;
	bool ok = true;
	for (size_t i = 0; ok && i < json_array_size(list); i++) {
		json_t *o = json_array_get(list, i);
		pyorg_file f;
		ok = parse_file(a, o, i, &f, err, errlen);
		int rank = ok ? source_rank(o, f.url, r) : 0;
		if (rank > best) {
			best = rank;
			*out = f;
			out->url = arena_strdup(a, f.url);
		}
	}
	json_decref(list);
	if (ok && !best) {
		snprintf(err, errlen,
			 "no source tarball (Python-%s.tar.xz or .tgz) for %s",
			 r->version, r->name);
		return false;
	}
	const char *why = ok ? name_check_url(out->url) : NULL;
	if (why) {
		snprintf(err, errlen, "bad tarball URL for %s: %s", r->name, why);
		return false;
	}
	return ok;
}
