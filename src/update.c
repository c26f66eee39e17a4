/* update.c - from version specs to verified lock entries.
 *
 * Every spec is tried even after one fails, so that one run reports every
 * problem; the caller writes the lock file only when all succeeded (or,
 * with --keep-going, writes what did). Each
 * error names the URL it came from, because the person reading it needs
 * to know whether python.org, a mirror or their proxy is at fault.
 */
#include "update.h"

#include <stdio.h>
#include <string.h>

#include "digest.h"
#include "names.h"
#include "oci.h"
#include "pyorg.h"

#define ERR_MAX 768
#define MAX_TARBALL ((size_t)512 << 20)

/* The download sink: hashes the bytes as they arrive. */
typedef struct {
	digest *sha, *md5; /* md5 NULL unless python.org published one */
	size_t size;
	bool failed;
} tarball;

static void tarball_begin(void *ctx)
{
	tarball *t = ctx;
	t->size = 0;
	t->failed = !digest_reset(t->sha) || (t->md5 && !digest_reset(t->md5));
}

static bool tarball_data(void *ctx, const void *p, size_t n, char *err,
			 size_t len)
{
	tarball *t = ctx;
	t->size += n;
	if (t->failed || !digest_update(t->sha, p, n) ||
	    (t->md5 && !digest_update(t->md5, p, n))) {
		snprintf(err, len, "libcrypto failed to hash the download");
		t->failed = true;
		return false;
	}
	return true;
}

/* url as messages show it: without credentials (http.h) */
static const char *shown(update_ctx *u, const char *url)
{
	char out[2100];
	http_url_shown(url, out, sizeof out);
	return arena_strdup(u->a, out);
}

static void env_error(update_ctx *u, srcpos at, const char *msg)
{
	diag_error(u->d, at, "%s", msg);
}

static bool fetch_releases(update_ctx *u, pyorg_releases *rs)
{
	char err[ERR_MAX];
	const char *url = pyorg_releases_url(u->a, u->source);
	buf body;
	buf_init(&body, PYORG_MAX_JSON);
	bool ok = http_get_buf(u->h, url, &body, PYORG_MAX_JSON, err, sizeof err);
	if (!ok) {
		env_error(u, srcpos_file(NULL), err);
	} else if (!pyorg_parse_releases(u->a, body.data ? body.data : "",
					 body.len, rs, err, sizeof err)) {
		diag_error(u->d, srcpos_file(NULL), "GET %s: %s", shown(u, url),
			   err);
		ok = false;
	}
	buf_release(&body);
	return ok;
}

/* The release a spec asks for; NULL after reporting why there is none. */
static const pyorg_release *select_release(update_ctx *u,
					   const pyorg_releases *rs,
					   const version_spec *s)
{
	const pyorg_release *r =
	    pyorg_select(rs, &s->v, s->exact, s->prerelease_ok);
	if (r)
		return r;
	u->input_failures++;
	const char *url = shown(u, pyorg_releases_url(u->a, u->source));
	const pyorg_release *pre = s->exact ? NULL : pyorg_select(rs, &s->v,
								  false, true);
	if (pre)
		diag_error(u->d, s->spec.at,
			   "'%s' has no final release yet at %s (newest is the "
			   "pre-release %s; write '%s-rc' to accept pre-releases)",
			   s->spec.s, url, pre->version, s->spec.s);
	else
		diag_error(u->d, s->spec.at, "no release matching '%s' at %s",
			   s->spec.s, url);
	return NULL;
}

static bool fetch_file(update_ctx *u, const pyorg_release *r, pyorg_file *f)
{
	char err[ERR_MAX];
	const char *url = pyorg_files_url(u->a, u->source, r->id);
	buf body;
	buf_init(&body, PYORG_MAX_JSON);
	bool ok = http_get_buf(u->h, url, &body, PYORG_MAX_JSON, err, sizeof err);
	if (!ok)
		env_error(u, srcpos_file(NULL), err);
	else if (!pyorg_parse_files(u->a, body.data ? body.data : "", body.len,
				    r, f, err, sizeof err)) {
		diag_error(u->d, srcpos_file(NULL), "GET %s: %s", shown(u, url),
			   err);
		ok = false;
	}
	buf_release(&body);
	return ok;
}

/* Compare what was downloaded with what python.org published. */
static bool check_download(update_ctx *u, const pyorg_file *f,
			   const char *url, const tarball *t, const char *sha,
			   char *md5)
{
	if (f->filesize >= 0 && (long long)t->size != f->filesize) {
		diag_error(u->d, srcpos_file(NULL),
			   "GET %s: size mismatch: got %zu bytes, expected %lld",
			   url, t->size, f->filesize);
		return false;
	}
	if (f->sha256 && strcmp(sha, f->sha256) != 0) {
		diag_error(u->d, srcpos_file(NULL),
			   "GET %s: sha256 mismatch: got %s, expected %s",
			   url, sha, f->sha256);
		return false;
	}
	if (f->md5 && strcmp(md5, f->md5) != 0) {
		diag_error(u->d, srcpos_file(NULL),
			   "GET %s: md5 mismatch: got %s, expected %s", url,
			   md5, f->md5);
		return false;
	}
	return true;
}

/* A tarball with neither a sha256 nor an md5 published has nothing to be
 * checked against (a size is not a checksum): hashing what was served
 * would lock whatever a mirror or a plain-http hop chose to send. Only
 * --trust-unverified takes it, and the lock entry then says so. */
static bool published_checksum(update_ctx *u, const pyorg_file *f,
			       const char *url, bool *unverified)
{
	*unverified = !f->sha256 && !f->md5;
	if (!*unverified)
		return true;
	if (u->trust_unverified) {
		diag_warning(u->d, srcpos_file(NULL),
			     "GET %s: no published sha256 or md5; locking the "
			     "download unverified (--trust-unverified)", url);
		return true;
	}
	diag_error(u->d, srcpos_file(NULL),
		   "GET %s: no published sha256 or md5 to check the download "
		   "against; refusing to lock it (--trust-unverified locks it "
		   "anyway, marked unverified)", url);
	return false;
}

/* Download f and hash it into sha (65 bytes). url: f's as messages
 * show it. */
static bool download(update_ctx *u, const pyorg_file *f, const char *url,
		     char *sha)
{
	char err[ERR_MAX], md5[65] = "";
	tarball t = {digest_new(DIGEST_SHA256, err, sizeof err), NULL, 0, false};
	if (t.sha && f->md5)
		t.md5 = digest_new(DIGEST_MD5, err, sizeof err);
	bool ok = t.sha && (!f->md5 || t.md5);
	if (!ok)
		env_error(u, srcpos_file(NULL), err);
	size_t max = f->filesize > 0 ? (size_t)f->filesize : MAX_TARBALL;
	http_sink sink = {tarball_begin, tarball_data, &t, max};
	if (ok && !http_get(u->h, f->url, &sink, err, sizeof err)) {
		env_error(u, srcpos_file(NULL), err);
		ok = false;
	}
	if (ok && (!digest_hex(t.sha, sha, 65) ||
		   (t.md5 && !digest_hex(t.md5, md5, sizeof md5)))) {
		diag_error(u->d, srcpos_file(NULL), "GET %s: libcrypto failed",
			   url);
		ok = false;
	}
	ok = ok && check_download(u, f, url, &t, sha, md5);
	digest_free(t.sha);
	digest_free(t.md5);
	return ok;
}

void update_add_change(update_ctx *u, const char *key, const char *from,
		       const char *to)
{
	update_change *c = arena_grow(u->a, u->changes,
				      u->nchanges * sizeof *c,
				      (u->nchanges + 1) * sizeof *c);
	u->changes = c;
	c[u->nchanges].key = key;
	c[u->nchanges].from = from;
	c[u->nchanges].to = to;
	u->nchanges++;
}

/* Fetch, verify and lock the tarball of release r for key. */
static bool lock_release(update_ctx *u, const char *key,
			 const pyorg_release *r, lockfile *lf)
{
	pyorg_file f;
	char sha[65];
	bool unverified, had_credentials;
	if (!fetch_file(u, r, &f))
		return false;
	char shown[2100];
	http_url_shown(f.url, shown, sizeof shown);
	const char *url = arena_strdup(u->a, shown);
	had_credentials = strcmp(url, f.url) != 0;
	if (!published_checksum(u, &f, url, &unverified) ||
	    !download(u, &f, url, sha))
		return false;
	const char *why = name_check_sha256(sha);
	if (why) {
		diag_error(u->d, srcpos_file(NULL), "GET %s: %s", url, why);
		return false;
	}
	if (had_credentials)
		diag_warning(u->d, srcpos_file(NULL),
			     "the tarball URL carries a user name or password; "
			     "the lock records it without them: %s", url);
	lock_entry *e = lock_set(u->a, lf, key, r->version, url, sha);
	e->unverified = unverified;
	return true;
}

update_status update_resolve(update_ctx *u, const version_spec *const *specs,
			     size_t n, lockfile *lf)
{
	pyorg_releases rs;
	u->input_failures = u->env_failures = 0;
	if (!fetch_releases(u, &rs)) {
		u->env_failures++;
		return UPDATE_ENV;
	}
	for (size_t i = 0; i < n; i++) {
		const version_spec *s = specs[i];
		const pyorg_release *r = select_release(u, &rs, s);
		if (!r)
			continue;
		const lock_entry *old = lock_find(lf, s->spec.s);
		if (old && strcmp(old->version.s, r->version) == 0)
			continue;
		/* lock_set may move or overwrite *old: keep its version */
		const char *from = old ? old->version.s : NULL;
		if (!u->check_only && !lock_release(u, s->spec.s, r, lf)) {
			u->env_failures++;
			continue;
		}
		update_add_change(u, s->spec.s, from, r->version);
	}
	/* a spec with no matching release stays wrong on every retry: it
	 * decides the status over a network failure */
	if (u->input_failures)
		return UPDATE_INPUT;
	return u->env_failures ? UPDATE_ENV : UPDATE_OK;
}

update_status update_bases(update_ctx *u, const char *const *images,
			   size_t n, lockfile *lf)
{
	size_t failures = 0;
	for (size_t i = 0; i < n; i++) {
		char err[ERR_MAX];
		const char *got;
		if (!oci_resolve(u->a, u->h, images[i], &got, err,
				 sizeof err)) {
			diag_error(u->d, srcpos_file(NULL), "base image '%s': %s",
				   images[i], err);
			failures++;
			continue;
		}
		const lock_base *old = lock_find_base(lf, images[i]);
		if (old && strcmp(old->digest.s, got) == 0)
			continue;
		const char *from = old ? old->digest.s : NULL;
		if (!u->check_only)
			lock_set_base(u->a, lf, images[i], got);
		update_add_change(u, images[i], from, got);
	}
	u->env_failures += failures;
	return failures ? UPDATE_ENV : UPDATE_OK;
}
