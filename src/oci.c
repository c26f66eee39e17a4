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
#define MAX_CHALLENGE ((size_t)16 << 10) /* WWW-Authenticate, all lines */
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
		if (strncasecmp(host, local[i], n) == 0 &&
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
	/* host names are case-insensitive */
	if (!strcasecmp(r->registry, "docker.io") ||
	    !strcasecmp(r->registry, "index.docker.io") ||
	    !strcasecmp(r->registry, OCI_DOCKER_HUB))
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

/* RFC 9110 token68 characters, before its trailing '='s */
static bool t68char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || (c && strchr("-._~+/", c));
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

/* The end of the list element at p: the next ',' outside a quoted
 * string, or the end of the value; NULL when a quoted string does not
 * close. */
static const char *element_end(const char *p)
{
	bool in_quotes = false;
	for (; *p; p++) {
		if (in_quotes && *p == '\\' && p[1])
			p++;
		else if (*p == '"')
			in_quotes = !in_quotes;
		else if (!in_quotes && *p == ',')
			return p;
	}
	return in_quotes ? NULL : p;
}

/* Where the challenges of a header value stand while it is read. */
typedef struct {
	arena *a;
	oci_challenge *c;
	bool in_scheme; /* some challenge's parameters may follow */
	bool in_bearer; /* ... and they are the first Bearer challenge's */
	bool bearer;    /* a Bearer challenge was seen */
} challenges;

static const char *keep_param(challenges *st, const char *name, size_t n,
			      const char *value)
{
	static const char *const names[] = {"realm", "service", "scope"};
	const char **slot[] = {&st->c->realm, &st->c->service, &st->c->scope};
	for (size_t i = 0; i < 3; i++) {
		if (strlen(names[i]) != n || strncasecmp(name, names[i], n))
			continue;
		if (*slot[i])
			return arena_printf(st->a, "'%s' given twice", names[i]);
		*slot[i] = value;
	}
	return NULL;
}

/* auth-param -> token BWS "=" BWS ( token / quoted-string ), filling
 * [p, e); NULL when it is one, else why not. */
static const char *auth_param(challenges *st, const char *p, const char *e)
{
	static const char expected[] = "expected name=value or name=\"value\"";
	const char *name = p, *v;
	p = token_end(p);
	size_t n = (size_t)(p - name);
	p = skip_ows(p);
	if (!n || p >= e || *p != '=')
		return expected;
	p = skip_ows(p + 1);
	const char *value;
	if (*p == '"') {
		p = quoted(st->a, p, &value);
		if (!p || p > e)
			return expected;
	} else {
		v = p;
		p = token_end(p);
		if (p == v || p > e)
			return expected;
		value = arena_strndup(st->a, v, (size_t)(p - v));
	}
	if (p != e) /* e is past the element's last non-blank */
		return "expected ',' between parameters";
	return st->in_bearer ? keep_param(st, name, n, value) : NULL;
}

/* token68 -> 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=",
 * filling [p, e) */
static bool token68(const char *p, const char *e)
{
	const char *s = p;
	while (p < e && t68char(*p))
		p++;
	if (p == s)
		return false;
	while (p < e && *p == '=')
		p++;
	return p == e;
}

/* One element [p, e) of the list, without its blanks: a challenge
 * (scheme, then a first parameter or a token68 after blanks) or a
 * parameter of the challenge before it. NULL, or why it is malformed. */
static const char *element(challenges *st, const char *p, const char *e)
{
	const char *t = token_end(p), *q = skip_ows(t);
	if (t == p)
		return "expected name=value or name=\"value\"";
	if (q < e && *q == '=') {
		if (!st->in_scheme)
			return "expected a Bearer challenge";
		return auth_param(st, p, e);
	}
	/* a new challenge: only the first Bearer one is kept */
	bool is_bearer = t - p == 6 && !strncasecmp(p, "Bearer", 6);
	st->in_scheme = true;
	st->in_bearer = is_bearer && !st->bearer;
	st->bearer |= is_bearer;
	if (t == e)
		return NULL;
	if (q == t)
		return "expected a blank after the scheme";
	if (!st->in_bearer && token68(q, e))
		return NULL;
	return auth_param(st, q, e);
}

static bool challenge_error(char *err, size_t errlen, const char *value,
			    const char *why)
{
	snprintf(err, errlen, "malformed WWW-Authenticate '%.200s': %s", value,
		 why);
	return false;
}

/* Why realm cannot be asked for a token on behalf of registry, or NULL. */
static const char *realm_why(const char *realm, const char *registry)
{
	const char *why = name_check_url(realm);
	if (why)
		return why;
	const char *host = strstr(realm, "://") + 3;
	size_t n = strcspn(host, "/?#");
	if (memchr(host, '@', n))
		return "a token realm cannot hold a user name or password";
	if (strchr(realm, '#')) /* the query matrixc appends would be in it */
		return "a token realm cannot have a fragment ('#')";
	char h[256];
	if (n == 0 || n >= sizeof h)
		return "a token realm needs a host name of at most 255 characters";
	memcpy(h, host, n);
	h[n] = '\0';
	bool local = oci_host_is_local(h);
	if (local && !(registry && oci_host_is_local(registry)))
		return "only a registry on this machine may send the token "
		       "request to this machine";
	if (!local && strncmp(realm, "https://", 8) != 0)
		return "a token realm must be https (plain http only on this "
		       "machine)";
	return NULL;
}

/* challenges -> #challenge (RFC 9110 11.6.1: empty elements allowed),
 * challenge -> scheme [ 1*SP ( token68 / #auth-param ) ] */
bool oci_parse_challenge(arena *a, const char *value, const char *registry,
			 oci_challenge *c, char *err, size_t errlen)
{
	memset(c, 0, sizeof *c);
	challenges st = {a, c, false, false, false};
	for (const char *p = value;;) {
		p = skip_ows(p);
		const char *end = element_end(p), *e = end;
		if (!end)
			return challenge_error(err, errlen, value,
					       "expected name=value or "
					       "name=\"value\"");
		while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		const char *why = e > p ? element(&st, p, e) : NULL;
		if (why)
			return challenge_error(err, errlen, value, why);
		if (!*end)
			break;
		p = end + 1;
	}
	if (!st.bearer)
		return challenge_error(err, errlen, value,
				       "expected a Bearer challenge");
	if (!c->realm)
		return challenge_error(err, errlen, value, "no realm");
	const char *why = realm_why(c->realm, registry);
	if (why)
		snprintf(err, errlen, "bad token realm '%.200s': %s", c->realm,
			 why);
	return !why;
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
	if (ok && json_string_length(t) > OCI_MAX_TOKEN) {
		snprintf(err, errlen, "a token longer than %u bytes",
			 (unsigned)OCI_MAX_TOKEN);
		json_decref(root);
		return false;
	}
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

/* What one answer's headers said; reset at the start of each answer
 * (http.h), so that a 401's headers never count for the 200 after it. */
typedef struct {
	arena *a;
	const char *digest;    /* Docker-Content-Digest */
	bool digests_differ;   /* two Docker-Content-Digest that differ */
	const char *challenge; /* every WWW-Authenticate, joined by ", " */
	bool challenge_long;   /* ... over MAX_CHALLENGE */
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
		arena *a = ans->a;
		*ans = (answer){a, NULL, false, NULL, false};
		return;
	}
	if ((v = header_value(line, len, "Docker-Content-Digest", &n))) {
		if (ans->digest && (strlen(ans->digest) != n ||
				    memcmp(ans->digest, v, n)))
			ans->digests_differ = true;
		ans->digest = arena_strndup(ans->a, v, n);
	} else if ((v = header_value(line, len, "WWW-Authenticate", &n))) {
		/* several lines are one list (RFC 9110 5.3) */
		size_t had = ans->challenge ? strlen(ans->challenge) : 0;
		if (had + n + 2 > MAX_CHALLENGE)
			ans->challenge_long = true;
		else if (had)
			ans->challenge = arena_printf(ans->a, "%s, %.*s",
						      ans->challenge, (int)n, v);
		else
			ans->challenge = arena_strndup(ans->a, v, n);
	}
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
			const char *url, const answer *ans,
			const char **token, char *err, size_t errlen)
{
	char shown[2100], why[ERR_MAX];
	http_url_shown(url, shown, sizeof shown);
	oci_challenge c;
	if (ans->challenge_long) {
		snprintf(err, errlen, "HEAD %s: WWW-Authenticate longer than "
			 "%zu bytes", shown, MAX_CHALLENGE);
		return false;
	}
	const char *challenge = ans->challenge;
	if (!challenge) {
		snprintf(err, errlen, "HEAD %s: HTTP 401 without a Bearer "
			 "challenge (WWW-Authenticate)", shown);
		return false;
	}
	if (!oci_parse_challenge(a, challenge, r->registry, &c, why,
				 sizeof why)) {
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

/* The Docker-Content-Digest of an answer, when it has one, checked:
 * well formed, given once (or twice the same), and, when the answer had
 * a body whose sha256 is got, that one. */
static bool answer_digest_ok(const char *method, const char *url,
			     const answer *ans, const char *got, char *err,
			     size_t errlen)
{
	char shown[2100];
	http_url_shown(url, shown, sizeof shown);
	const char *why = oci_check_digest(ans->digest);
	if (ans->digests_differ)
		why = "the answer has two that differ";
	if (!why && got && strcmp(ans->digest, got) != 0)
		why = arena_printf(ans->a, "the manifest's bytes hash to %s",
				   got);
	if (why)
		snprintf(err, errlen, "%s %s: bad Docker-Content-Digest "
			 "'%.100s': %s", method, shown, ans->digest, why);
	return !why;
}

static bool body_digest_ok(const char *url, const answer *ans,
			   const char *got, char *err, size_t errlen)
{
	return !ans->digest || answer_digest_ok("GET", url, ans, got, err,
						 errlen);
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
	if (ok) {
		*out = arena_printf(a, "sha256:%s", hex);
		ok = body_digest_ok(url, &ans, *out, err, errlen);
	}
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
		if (!fetch_token(a, h, &r, url, &ans, &token, err,
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
	if (!answer_digest_ok("HEAD", url, &ans, NULL, err, errlen))
		return false;
	*out = ans.digest;
	return true;
}
