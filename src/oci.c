/* oci.c - image references, Bearer challenges and digests (oci.h).
 *
 * The parsers are strict: a challenge that does not follow RFC 9110's
 * auth-param grammar, a token with a character that cannot go in a
 * header, or a digest that is not sha256 and 64 lowercase hex digits is
 * refused with a reason, never guessed at, because what they produce goes
 * into requests and into the lock file. The token's JSON is read with
 * jansson, as python.org's (pyorg.c) and the lock file's are.
 */
#include "oci.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "digest.h"
#include "names.h"

#define MAX_TOKEN_JSON ((size_t)1 << 20)
#define MAX_MANIFEST ((size_t)4 << 20) /* distribution's own limit */
#define ERR_MAX 768

static const char accept_header[] =
    "Accept: application/vnd.oci.image.index.v1+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json, "
    "application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.docker.distribution.manifest.v2+json";

/* --- names -------------------------------------------------------------- */

bool oci_host_is_local(const char *host)
{
	static const char *const local[] = {"localhost", "127.0.0.1", "[::1]"};
	for (size_t i = 0; i < sizeof local / sizeof *local; i++) {
		size_t n = strlen(local[i]);
		if (strncmp(host, local[i], n) == 0 &&
		    (host[n] == '\0' || host[n] == ':'))
			return true;
	}
	return false;
}

/* Docker's rule: the first component names a registry when it has a '.'
 * or a ':' or is "localhost". */
static bool is_host(const char *s, size_t n)
{
	return memchr(s, '.', n) || memchr(s, ':', n) ||
	       (n == 9 && memcmp(s, "localhost", 9) == 0);
}

/* ref -> [host "/"] path [":" tag] ["@" digest] */
bool oci_parse_ref(arena *a, const char *image, oci_ref *r, char *err,
		   size_t errlen)
{
	const char *why = name_check_image(image);
	if (why) {
		snprintf(err, errlen, "'%s' is not an image reference: %s",
			 image, why);
		return false;
	}
	const char *at = strchr(image, '@');
	size_t n = at ? (size_t)(at - image) : strlen(image);
	r->digest = at ? arena_strdup(a, at + 1) : NULL;
	const char *slash = memchr(image, '/', n);
	const char *path = image;
	r->registry = OCI_DOCKER_HUB;
	if (slash && is_host(image, (size_t)(slash - image))) {
		r->registry = arena_strndup(a, image, (size_t)(slash - image));
		path = slash + 1;
	}
	size_t pn = n - (size_t)(path - image);
	const char *colon = NULL;
	for (const char *p = path; p < path + pn; p++)
		if (*p == ':')
			colon = p;
	if (colon && memchr(colon, '/', (size_t)(path + pn - colon)))
		colon = NULL;
	size_t rn = colon ? (size_t)(colon - path) : pn;
	r->tag = colon ? arena_strndup(a, colon + 1, (size_t)(path + pn - colon - 1))
		       : "latest";
	if (!strcmp(r->registry, "docker.io") ||
	    !strcmp(r->registry, "index.docker.io"))
		r->registry = OCI_DOCKER_HUB;
	bool hub = !strcmp(r->registry, OCI_DOCKER_HUB);
	if (hub && !memchr(path, '/', rn))
		r->repository = arena_printf(a, "library/%.*s", (int)rn, path);
	else
		r->repository = arena_strndup(a, path, rn);
	r->scheme = oci_host_is_local(r->registry) ? "http" : "https";
	return true;
}

void oci_qualified_name(buf *out, const char *image)
{
	size_t n = strcspn(image, "/@");
	bool host = image[n] == '/' && is_host(image, n);
	if (host) {
		buf_puts(out, image);
		return;
	}
	buf_puts(out, "docker.io/");
	if (image[n] != '/')
		buf_puts(out, "library/");
	buf_puts(out, image);
}

char *oci_manifest_url(arena *a, const oci_ref *r)
{
	return arena_printf(a, "%s://%s/v2/%s/manifests/%s", r->scheme,
			    r->registry, r->repository,
			    r->digest ? r->digest : r->tag);
}

/* --- the Bearer challenge ------------------------------------------------ */

/* RFC 9110 tchar */
static bool tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static const char *skip_ows(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

static const char *token_end(const char *p)
{
	while (tchar(*p))
		p++;
	return p;
}

/* A quoted string at p (at its '"') into *out; returns the position past
 * the closing quote, or NULL when it does not close or holds a control
 * character. */
static const char *quoted(arena *a, const char *p, const char **out)
{
	buf b;
	buf_init(&b, 0);
	for (p++; *p && *p != '"'; p++) {
		if (*p == '\\' && p[1])
			p++;
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			break;
		buf_putc(&b, *p);
	}
	const char *end = *p == '"' ? p + 1 : NULL;
	*out = arena_strdup(a, buf_str(&b));
	buf_release(&b);
	return end;
}

/* One auth-param at p: name "=" (token / quoted-string). */
static const char *auth_param(arena *a, const char *p, const char **name,
			      size_t *nlen, const char **value)
{
	const char *n = p;
	while (tchar(*p))
		p++;
	*name = n;
	*nlen = (size_t)(p - n);
	if (!*nlen)
		return NULL;
	p = skip_ows(p);
	if (*p != '=')
		return NULL;
	p = skip_ows(p + 1);
	if (*p == '"')
		return quoted(a, p, value);
	const char *v = p;
	p = token_end(p);
	if (p == v)
		return NULL;
	*value = arena_strndup(a, v, (size_t)(p - v));
	return p;
}

static bool challenge_error(char *err, size_t errlen, const char *value,
			    const char *why)
{
	snprintf(err, errlen, "malformed WWW-Authenticate '%.200s': %s", value,
		 why);
	return false;
}

static void keep_param(oci_challenge *c, const char *name, size_t n,
		       const char *value)
{
	if (n == 5 && !strncasecmp(name, "realm", 5))
		c->realm = value;
	else if (n == 7 && !strncasecmp(name, "service", 7))
		c->service = value;
	else if (n == 5 && !strncasecmp(name, "scope", 5))
		c->scope = value;
}

static bool realm_ok(const char *realm, char *err, size_t errlen)
{
	const char *why = name_check_url(realm);
	if (!why && strncmp(realm, "https://", 8) != 0) {
		const char *host = realm + 7;
		char h[256];
		snprintf(h, sizeof h, "%.*s", (int)strcspn(host, "/?#"), host);
		if (!oci_host_is_local(h))
			why = "a token realm must be https (plain http only on "
			      "this machine)";
	}
	if (why)
		snprintf(err, errlen, "bad token realm '%.200s': %s", realm, why);
	return !why;
}

bool oci_parse_challenge(arena *a, const char *value, oci_challenge *c,
			 char *err, size_t errlen)
{
	memset(c, 0, sizeof *c);
	const char *p = skip_ows(value), *s = p;
	while (tchar(*p))
		p++;
	if (p - s != 6 || strncasecmp(s, "Bearer", 6) != 0)
		return challenge_error(err, errlen, value,
				       "expected a Bearer challenge");
	if (*p != ' ')
		return challenge_error(err, errlen, value,
				       "expected parameters after 'Bearer'");
	p = skip_ows(p);
	for (;;) {
		const char *name, *v;
		size_t n;
		p = auth_param(a, p, &name, &n, &v);
		if (!p)
			return challenge_error(err, errlen, value,
					       "expected name=value or name=\"value\"");
		keep_param(c, name, n, v);
		p = skip_ows(p);
		if (!*p)
			break;
		if (*p != ',')
			return challenge_error(err, errlen, value,
					       "expected ',' between parameters");
		p = skip_ows(p + 1);
	}
	if (!c->realm)
		return challenge_error(err, errlen, value, "no realm");
	return realm_ok(c->realm, err, errlen);
}

/* RFC 3986 unreserved characters stay, everything else is %XX. */
static void percent_encode(buf *b, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~", *p))
			buf_putc(b, (char)*p);
		else
			buf_printf(b, "%%%02X", *p);
	}
}

char *oci_token_url(arena *a, const oci_challenge *c, const oci_ref *r)
{
	buf b;
	buf_init(&b, 0);
	buf_puts(&b, c->realm);
	char sep = strchr(c->realm, '?') ? '&' : '?';
	if (c->service) {
		buf_putc(&b, sep);
		buf_puts(&b, "service=");
		percent_encode(&b, c->service);
		sep = '&';
	}
	buf_putc(&b, sep);
	buf_puts(&b, "scope=");
	percent_encode(&b, c->scope ? c->scope
				    : arena_printf(a, "repository:%s:pull",
						   r->repository));
	char *url = arena_strdup(a, buf_str(&b));
	buf_release(&b);
	return url;
}

bool oci_parse_token(arena *a, const char *text, size_t len,
		     const char **token, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root = json_loadb(text, len, 0, &je);
	if (!root) {
		snprintf(err, errlen, "malformed JSON at line %d, column %d: %s",
			 je.line, je.column, je.text);
		return false;
	}
	json_t *t = json_object_get(root, "token");
	if (!json_is_string(t) || !json_string_length(t))
		t = json_object_get(root, "access_token");
	const char *s = json_is_string(t) ? json_string_value(t) : NULL;
	bool ok = s && *s;
	for (const char *p = s; ok && *p; p++)
		ok = *p > 0x20 && *p < 0x7f;
	if (ok)
		*token = arena_strdup(a, s);
	else
		snprintf(err, errlen, "unexpected JSON: expected a \"token\" "
			 "or \"access_token\" of printable characters");
	json_decref(root);
	return ok;
}

const char *oci_check_digest(const char *s)
{
	if (strncmp(s, "sha256:", 7) != 0 || name_check_sha256(s + 7))
		return "a digest must be 'sha256:' and 64 lowercase hex digits";
	return NULL;
}

/* --- resolving ------------------------------------------------------------ */

/* What the answers' headers said; reset at the start of each answer. */
typedef struct {
	arena *a;
	const char *digest;    /* Docker-Content-Digest */
	const char *challenge; /* the first Bearer WWW-Authenticate */
} answer;

static const char *header_value(const char *line, size_t len,
				const char *name, size_t *vlen)
{
	size_t n = strlen(name);
	if (len <= n || strncasecmp(line, name, n) != 0 || line[n] != ':')
		return NULL;
	const char *v = line + n + 1, *end = line + len;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*vlen = (size_t)(end - v);
	return v;
}

static void on_header(void *ctx, const char *line, size_t len)
{
	answer *ans = ctx;
	size_t n;
	const char *v;
	if (!line) {
		ans->digest = ans->challenge = NULL;
		return;
	}
	if ((v = header_value(line, len, "Docker-Content-Digest", &n)))
		ans->digest = arena_strndup(ans->a, v, n);
	else if ((v = header_value(line, len, "WWW-Authenticate", &n)) &&
		 !ans->challenge && n >= 6 && !strncasecmp(v, "Bearer", 6))
		ans->challenge = arena_strndup(ans->a, v, n);
}

/* The manifest request: HEAD or GET with Accept, and Authorization when
 * a token is at hand. */
static bool manifest_request(arena *a, http *h, const char *url,
			     const char *method, const char *token,
			     answer *ans, const http_sink *sink, long *status,
			     char *err, size_t errlen)
{
	const char *headers[3] = {accept_header, NULL, NULL};
	if (token)
		headers[1] = arena_printf(a, "Authorization: Bearer %s", token);
	http_req req = {method, headers, on_header, ans, 401};
	ans->a = a;
	return http_request(h, url, &req, sink, status, err, errlen);
}

/* The anonymous token for the challenge of a 401 answer. */
static bool fetch_token(arena *a, http *h, const oci_ref *r,
			const char *url, const char *challenge,
			const char **token, char *err, size_t errlen)
{
	char shown[2100], why[ERR_MAX];
	http_url_shown(url, shown, sizeof shown);
	oci_challenge c;
	if (!challenge) {
		snprintf(err, errlen, "HEAD %s: HTTP 401 without a Bearer "
			 "challenge (WWW-Authenticate)", shown);
		return false;
	}
	if (!oci_parse_challenge(a, challenge, &c, why, sizeof why)) {
		snprintf(err, errlen, "HEAD %s: %s", shown, why);
		return false;
	}
	const char *turl = oci_token_url(a, &c, r);
	buf body;
	buf_init(&body, MAX_TOKEN_JSON);
	bool ok = http_get_buf(h, turl, &body, MAX_TOKEN_JSON, err, errlen);
	if (ok && !oci_parse_token(a, buf_str(&body), body.len, token, why,
				   sizeof why)) {
		http_url_shown(turl, shown, sizeof shown);
		snprintf(err, errlen, "GET %s: %s", shown, why);
		ok = false;
	}
	buf_release(&body);
	return ok;
}

/* The GET sink: hashes the manifest's bytes. */
typedef struct {
	digest *sha;
	bool failed;
} hasher;

static void hash_begin(void *ctx)
{
	hasher *x = ctx;
	x->failed = !digest_reset(x->sha);
}

static bool hash_data(void *ctx, const void *p, size_t n, char *err,
		      size_t len)
{
	hasher *x = ctx;
	if (x->failed || !digest_update(x->sha, p, n)) {
		snprintf(err, len, "libcrypto failed to hash the manifest");
		x->failed = true;
		return false;
	}
	return true;
}

/* GET the manifest and sha256 its bytes: for a registry whose HEAD
 * answers carry no Docker-Content-Digest. */
static bool hash_manifest(arena *a, http *h, const char *url,
			  const char *token, const char **out, char *err,
			  size_t errlen)
{
	hasher x = {digest_new(DIGEST_SHA256, err, errlen), false};
	if (!x.sha)
		return false;
	http_sink sink = {hash_begin, hash_data, &x, MAX_MANIFEST};
	answer ans = {0};
	long status = 0;
	char hex[65];
	bool ok = manifest_request(a, h, url, "GET", token, &ans, &sink,
				   &status, err, errlen);
	if (ok && status == 401) {
		char shown[2100];
		http_url_shown(url, shown, sizeof shown);
		snprintf(err, errlen, "GET %s: HTTP 401 Unauthorized", shown);
		ok = false;
	}
	if (ok && !digest_hex(x.sha, hex, sizeof hex)) {
		snprintf(err, errlen, "libcrypto failed to hash the manifest");
		ok = false;
	}
	if (ok)
		*out = arena_printf(a, "sha256:%s", hex);
	digest_free(x.sha);
	return ok;
}

bool oci_resolve(arena *a, http *h, const char *image, const char **out,
		 char *err, size_t errlen)
{
	oci_ref r;
	if (!oci_parse_ref(a, image, &r, err, errlen))
		return false;
	const char *url = oci_manifest_url(a, &r), *token = NULL;
	char shown[2100];
	http_url_shown(url, shown, sizeof shown);
	answer ans = {0};
	long status = 0;
	if (!manifest_request(a, h, url, "HEAD", NULL, &ans, NULL, &status,
			      err, errlen))
		return false;
	if (status == 401) {
		if (!fetch_token(a, h, &r, url, ans.challenge, &token, err,
				 errlen) ||
		    !manifest_request(a, h, url, "HEAD", token, &ans, NULL,
				      &status, err, errlen))
			return false;
		if (status == 401) {
			snprintf(err, errlen, "HEAD %s: HTTP 401 Unauthorized "
				 "even with the registry's anonymous token",
				 shown);
			return false;
		}
	}
	if (!ans.digest)
		return hash_manifest(a, h, url, token, out, err, errlen);
	const char *why = oci_check_digest(ans.digest);
	if (why) {
		snprintf(err, errlen, "HEAD %s: bad Docker-Content-Digest "
			 "'%.100s': %s", shown, ans.digest, why);
		return false;
	}
	*out = ans.digest;
	return true;
}
