/* http.c - HTTP GET over libcurl, with timeouts, retries and caps.
 *
 * One easy handle is reused for every request of a run, so that
 * connections to the same host are kept alive. Each attempt resets the
 * handle and sets every option again: nothing from one request (a
 * redirect target, a failed sink) leaks into the next. Bodies of non-2xx
 * answers are counted against the cap but never reach the sink, so a
 * sink only ever sees the bytes of a successful answer.
 *
 * libcurl is loaded when the first client is made (dynlib.h), not linked:
 * relocating libcurl and its thirty dependencies cost every run of every
 * command (check runs on each commit) more than the rest of the run, and
 * only update needs it. curl.h is still used for the types and constants.
 */
#include "http.h"

/* CURLOPT_PROTOCOLS, for a libcurl older than 7.85 (set_protocols) */
#define CURL_DISABLE_DEPRECATION
#include <curl/curl.h>
#include <stddef.h>
#include <limits.h>
#include <stdint.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dynlib.h"

#define PROGRESS_AFTER_MS 2000 /* show progress only for slow transfers */
#define PROGRESS_EVERY_MS 250
#define REASON_MAX 64
#define ERROR_PAGE_MAX ((size_t)1 << 20)

#define LIBCURL "libcurl.so.4"

/* The libcurl functions matrixc calls, looked up in the loaded library. */
typedef struct {
	void *lib;
	CURLcode (*global_init)(long flags);
	void (*global_cleanup)(void);
	CURL *(*easy_init)(void);
	void (*easy_cleanup)(CURL *c);
	void (*easy_reset)(CURL *c);
	CURLcode (*easy_setopt)(CURL *c, CURLoption opt, ...);
	CURLcode (*easy_getinfo)(CURL *c, CURLINFO info, ...);
	CURLcode (*easy_perform)(CURL *c);
	const char *(*easy_strerror)(CURLcode rc);
	struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
	void (*slist_free_all)(struct curl_slist *l);
	curl_version_info_data *(*version_info)(CURLversion v);
} curl_api;

struct http {
	curl_api api;
	CURL *curl;
	http_opts o;
	/* libcurl 7.83 and later keep credentials to the request's own
	 * scheme, host and port across a redirect; older ones only to its
	 * host name (see credentials_follow) */
	bool origin_bound_auth;
};

/* One attempt's state, passed to libcurl's callbacks. */
typedef struct {
	const curl_api *api;
	CURL *curl;
	const http_sink *sink;
	const http_req *req;
	const char *method; /* for messages */
	size_t got;
	bool too_big, sink_failed;
	size_t cap; /* the cap too_big refers to */
	unsigned long long announced; /* a Content-Length over it, or 0 */
	char sink_err[256];
	char reason[REASON_MAX]; /* reason phrase of the last status line */
	FILE *progress;
	const char *name; /* last part of the URL, for the progress line */
	long start_ms, shown_ms;
	bool shown;
} xfer;

typedef enum { ATTEMPT_OK, ATTEMPT_RETRY, ATTEMPT_FAIL } attempt_result;

void http_opts_default(http_opts *o, const char *user_agent)
{
	o->connect_timeout_ms = 15000;
	o->timeout_ms = 300000;
	o->retries = 3;
	o->backoff_ms = 1000;
	o->max_redirects = 5;
	o->user_agent = user_agent;
	o->progress = NULL;
}

#define FN(field, name) DYNLIB_FN(curl_api, field, name)
static const dynlib_fn curl_fns[] = {
    FN(global_init, "curl_global_init"),
    FN(global_cleanup, "curl_global_cleanup"),
    FN(easy_init, "curl_easy_init"),
    FN(easy_cleanup, "curl_easy_cleanup"),
    FN(easy_reset, "curl_easy_reset"),
    FN(easy_setopt, "curl_easy_setopt"),
    FN(easy_getinfo, "curl_easy_getinfo"),
    FN(easy_perform, "curl_easy_perform"),
    FN(easy_strerror, "curl_easy_strerror"),
    FN(slist_append, "curl_slist_append"),
    FN(slist_free_all, "curl_slist_free_all"),
    FN(version_info, "curl_version_info"),
};
#undef FN

http *http_new(const http_opts *o, char *err, size_t errlen)
{
	http *h = calloc(1, sizeof *h);
	if (!h) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	h->api.lib = dynlib_load(LIBCURL, &h->api, curl_fns,
				 sizeof curl_fns / sizeof *curl_fns, err, errlen);
	if (!h->api.lib) {
		free(h);
		return NULL;
	}
	/* reference-counted and thread-safe since libcurl 7.84 */
	bool started = h->api.global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
	if (!started || !(h->curl = h->api.easy_init())) {
		snprintf(err, errlen, "libcurl failed to start");
		if (started) /* only a successful init is undone */
			h->api.global_cleanup();
		dynlib_close(h->api.lib);
		free(h);
		return NULL;
	}
	h->o = *o;
	curl_version_info_data *v = h->api.version_info(CURLVERSION_NOW);
	unsigned version = v ? v->version_num : 0;
#ifdef MATRIXC_FAULTS
	/* test builds: MATRIXC_FAULT_CURL_VERSION=0x074a00 plays libcurl 7.74 */
	const char *fake = getenv("MATRIXC_FAULT_CURL_VERSION");
	if (fake && *fake)
		version = (unsigned)strtoul(fake, NULL, 16);
#endif
	h->origin_bound_auth = version >= 0x075300;
	return h;
}

void http_free(http *h)
{
	if (!h)
		return;
	h->api.easy_cleanup(h->curl);
	h->api.global_cleanup();
	dynlib_close(h->api.lib);
	free(h);
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
	while (nanosleep(&ts, &ts) != 0)
		;
}

static long status_of(const curl_api *api, CURL *curl)
{
	long status = 0;
	api->easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	return status;
}

/* The cap on the body of an answer with this status: the sink's for a
 * success, a small one for an error page (a small tarball's size limit
 * must not turn a 404 page into "response too large"). 0: no cap. */
static size_t body_cap(const xfer *x, long status)
{
	bool success = status >= 200 && status <= 299;
	return success ? x->sink->max_bytes : ERROR_PAGE_MAX;
}

/* "Content-Length: N" over the cap: refused before any of the body is
 * read, instead of reading (or waiting for) bytes that would be thrown
 * away. Returns false to abort the transfer. A redirect's own length does
 * not count: its body is never kept. */
static bool length_ok(xfer *x, const char *p, size_t len)
{
	static const char name[] = "content-length:";
	size_t k = sizeof name - 1;
	if (len <= k || strncasecmp(p, name, k) != 0)
		return true;
	long status = status_of(x->api, x->curl);
	size_t max = body_cap(x, status);
	if (!max || (status >= 300 && status <= 399))
		return true;
	const char *q = p + k, *end = p + len;
	while (q < end && (*q == ' ' || *q == '\t'))
		q++;
	unsigned long long v = 0;
	bool big = false;
	for (; q < end && *q >= '0' && *q <= '9'; q++) {
		if (v > (ULLONG_MAX - 9) / 10)
			big = true;
		else
			v = v * 10 + (unsigned)(*q - '0');
	}
	if (!big && v <= max)
		return true;
	x->too_big = true;
	x->cap = max;
	x->announced = big ? ULLONG_MAX : v;
	return false;
}

/* Keep the reason phrase of each status line ("HTTP/1.1 404 Not Found"):
 * libcurl reports the code only, and the phrase makes messages clearer.
 * Check the announced length against the cap. */
static size_t on_header(char *p, size_t size, size_t n, void *ctx)
{
	xfer *x = ctx;
	size_t len = size * n;
	if (!length_ok(x, p, len))
		return 0;
	bool status_line = len > 5 && memcmp(p, "HTTP/", 5) == 0;
	if (x->req->header) {
		size_t k = len;
		while (k > 0 && (p[k - 1] == '\r' || p[k - 1] == '\n'))
			k--;
		if (status_line)
			x->req->header(x->req->header_ctx, NULL, 0);
		else if (k > 0)
			x->req->header(x->req->header_ctx, p, k);
	}
	if (status_line) {
		const char *sp = memchr(p, ' ', len);
		const char *end = p + len;
		x->reason[0] = '\0';
		if (sp && end - sp > 5) {
			const char *r = sp + 5; /* past " 404 " */
			size_t k = 0;
			while (r < end && *r != '\r' && *r != '\n' &&
			       k + 1 < sizeof x->reason) {
				char c = *r++;
				x->reason[k++] = c >= 0x20 && c < 0x7f ? c : '?';
			}
			x->reason[k] = '\0';
		}
	}
	return len;
}

static size_t on_data(char *p, size_t size, size_t n, void *ctx)
{
	xfer *x = ctx;
	size_t len = size * n;
	long status = status_of(x->api, x->curl);
	bool success = status >= 200 && status <= 299;
	size_t max = body_cap(x, status);
	if (max && (x->got > max || len > max - x->got)) {
		x->too_big = true;
		x->cap = max;
		return 0;
	}
	x->got += len;
	if (!success)
		return len; /* an error page: counted, not kept */
	if (!x->sink->data(x->sink->ctx, p, len, x->sink_err,
			   sizeof x->sink_err)) {
		x->sink_failed = true;
		return 0;
	}
	return len;
}

/* "204 B", "12.3 KiB", "25.0 MiB" */
static void format_size(curl_off_t n, char *out, size_t size)
{
	if (n < 1024)
		snprintf(out, size, "%ld B", (long)n);
	else if (n < 1024 * 1024)
		snprintf(out, size, "%.1f KiB", (double)n / 1024.0);
	else
		snprintf(out, size, "%.1f MiB", (double)n / (1024.0 * 1024.0));
}

static int on_progress(void *ctx, curl_off_t total, curl_off_t now,
		       curl_off_t ultotal, curl_off_t ulnow)
{
	(void)ultotal;
	(void)ulnow;
	xfer *x = ctx;
	long t = now_ms();
	if (t - x->start_ms < PROGRESS_AFTER_MS ||
	    t - x->shown_ms < PROGRESS_EVERY_MS)
		return 0;
	x->shown_ms = t;
	x->shown = true;
	char got[32], all[32];
	format_size(now, got, sizeof got);
	format_size(total, all, sizeof all);
	/* \033[K clears what a longer previous line left behind */
	if (total > 0)
		fprintf(x->progress, "\rmatrixc: downloading %s: %s of %s\033[K",
			x->name, got, all);
	else
		fprintf(x->progress, "\rmatrixc: downloading %s: %s\033[K",
			x->name, got);
	fflush(x->progress);
	return 0;
}

static const char *last_part(const char *url)
{
	const char *q = strchr(url, '?');
	size_t len = q ? (size_t)(q - url) : strlen(url);
	while (len > 0 && url[len - 1] == '/')
		len--;
	const char *s = url + len;
	while (s > url && s[-1] != '/')
		s--;
	return s;
}

/* The options a request must not go without: what keeps it to http and
 * https, bounds its redirects, verifies TLS, caps and times it, and
 * routes its bytes through the callbacks that enforce the caps. A
 * failed setopt of one of these (an old libcurl that lacks the option,
 * out of memory) refuses the request instead of making it without. */

#ifdef MATRIXC_FAULTS
/* Test builds: MATRIXC_FAULT_SETOPT=NAME[,NAME...] (without CURLOPT_)
 * makes these options fail as an old libcurl's unknown ones do. Release
 * builds have neither the knob nor the getenv. */
static bool setopt_fault(const char *name)
{
	const char *s = getenv("MATRIXC_FAULT_SETOPT");
	size_t n = strlen(name);
	for (const char *p = s; p && *p; p += strcspn(p, ",")) {
		p += *p == ',';
		if (strncmp(p, name, n) == 0 && (p[n] == ',' || !p[n]))
			return true;
	}
	return false;
}
#else
#define setopt_fault(name) false
#endif

/* The first option libcurl refused, and why. */
typedef struct {
	const char *name, *also; /* also: the older form tried after it */
	CURLcode rc;
} refusal;

/* Whether setting option name gave rc CURLE_OK; the first failure is
 * kept in *why. */
static bool set_ok(refusal *why, const char *name, CURLcode rc)
{
	if (rc != CURLE_OK && !why->name)
		*why = (refusal){name, NULL, rc};
	return rc == CURLE_OK;
}

/* curl_easy_setopt(h->curl, opt, v), checked (set_ok, into the why in
 * scope) */
#define SETOPT(h, opt, v)                                                     \
	set_ok(why, #opt,                                                     \
	       setopt_fault(#opt + strlen("CURLOPT_"))                        \
		   ? CURLE_UNKNOWN_OPTION                                     \
		   : (h)->api.easy_setopt((h)->curl, opt, v))

/* The protocols a request may use, and those a redirect may lead to:
 * CURLOPT_PROTOCOLS_STR from libcurl 7.85, the bitmask before it. Only
 * an older libcurl's CURLE_UNKNOWN_OPTION falls back to the bitmask;
 * any other failure, or a failure of both, refuses the request. */
static bool set_protocols(http *h, bool https_only_redirects, refusal *why)
{
	if (SETOPT(h, CURLOPT_PROTOCOLS_STR, "http,https") &&
	    SETOPT(h, CURLOPT_REDIR_PROTOCOLS_STR,
		   https_only_redirects ? "https" : "http,https"))
		return true;
	if (why->rc != CURLE_UNKNOWN_OPTION)
		return false;
	refusal str = *why;
	*why = (refusal){NULL, NULL, CURLE_OK};
	long all = CURLPROTO_HTTP | CURLPROTO_HTTPS;
	if (SETOPT(h, CURLOPT_PROTOCOLS, all) &&
	    SETOPT(h, CURLOPT_REDIR_PROTOCOLS,
		   https_only_redirects ? (long)CURLPROTO_HTTPS : all))
		return true;
	*why = (refusal){str.name, why->name, why->rc};
	return false;
}

/* Whether a request carries credentials: a user name or password in
 * its URL, or an Authorization header (the registry's token). */
static bool has_credentials(const char *url, const http_req *req)
{
	const char *host = strstr(url, "://");
	if (host && memchr(host + 3, '@', strcspn(host + 3, "/?#")))
		return true;
	for (size_t i = 0; req->headers && req->headers[i]; i++)
		if (strncasecmp(req->headers[i], "Authorization:", 14) == 0)
			return true;
	return false;
}

/* Credentials go to the request's own scheme, host and port only. On a
 * redirect elsewhere libcurl 7.83 and later drop them
 * (CURLOPT_UNRESTRICTED_AUTH off); an older libcurl would keep them for
 * another port or scheme of the same host name, so there a request with
 * credentials follows no redirect at all. */
static bool credentials_follow(const http *h, const char *url,
			       const http_req *req)
{
	return h->origin_bound_auth || !has_credentials(url, req);
}

/* Every option of an attempt; false, with the option in *why, when one
 * that matters was refused. */
static bool set_options(http *h, const char *url, xfer *x,
			struct curl_slist *headers, char *errbuf,
			refusal *why)
{
	CURL *c = h->curl;
	h->api.easy_reset(c);
	*why = (refusal){NULL, NULL, CURLE_OK};
	/* a redirect never downgrades an https request to plain http */
	bool ok = SETOPT(h, CURLOPT_URL, url) &&
		  SETOPT(h, CURLOPT_ERRORBUFFER, errbuf) &&
		  set_protocols(h, strncmp(url, "https:", 6) == 0, why) &&
		  SETOPT(h, CURLOPT_NOSIGNAL, 1L) &&
		  SETOPT(h, CURLOPT_UNRESTRICTED_AUTH, 0L) &&
		  SETOPT(h, CURLOPT_FOLLOWLOCATION,
			 credentials_follow(h, url, x->req) ? 1L : 0L) &&
		  SETOPT(h, CURLOPT_MAXREDIRS, h->o.max_redirects) &&
		  SETOPT(h, CURLOPT_CONNECTTIMEOUT_MS, h->o.connect_timeout_ms) &&
		  SETOPT(h, CURLOPT_TIMEOUT_MS, h->o.timeout_ms) &&
		  SETOPT(h, CURLOPT_SSL_VERIFYPEER, 1L) &&
		  SETOPT(h, CURLOPT_SSL_VERIFYHOST, 2L) &&
		  SETOPT(h, CURLOPT_USERAGENT, h->o.user_agent) &&
		  SETOPT(h, CURLOPT_HEADERFUNCTION, on_header) &&
		  SETOPT(h, CURLOPT_HEADERDATA, x) &&
		  SETOPT(h, CURLOPT_WRITEFUNCTION, on_data) &&
		  SETOPT(h, CURLOPT_WRITEDATA, x);
	if (ok && strcmp(x->method, "HEAD") == 0)
		ok = SETOPT(h, CURLOPT_NOBODY, 1L);
	if (ok && headers)
		ok = SETOPT(h, CURLOPT_HTTPHEADER, headers);
	/* progress is for people: a libcurl that cannot show it still
	 * downloads, without it */
	if (ok && x->progress &&
	    !(SETOPT(h, CURLOPT_XFERINFOFUNCTION, on_progress) &&
	      SETOPT(h, CURLOPT_XFERINFODATA, x) &&
	      SETOPT(h, CURLOPT_NOPROGRESS, 0L))) {
		x->progress = NULL;
		*why = (refusal){NULL, NULL, CURLE_OK};
	}
	return ok;
}

/* Transient failures: worth another attempt after a pause. */
static bool transient(CURLcode rc)
{
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_PARTIAL_FILE:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return true;
	default:
		return false;
	}
}

/* Describe a failed transfer into err; says whether to retry. */
static attempt_result curl_failure(const http *h, const xfer *x, CURLcode rc,
				   const char *errbuf, const char *url,
				   char *err, size_t errlen)
{
	if (x->sink_failed) {
		snprintf(err, errlen, "%s %s: %s", x->method, url, x->sink_err);
		return ATTEMPT_FAIL;
	}
	if (x->too_big && x->announced) {
		snprintf(err, errlen, "%s %s: response larger than %zu bytes "
			 "(Content-Length: %llu; refused unread)", x->method, url, x->cap,
			 x->announced);
		return ATTEMPT_FAIL;
	}
	if (x->too_big) {
		snprintf(err, errlen, "%s %s: response larger than %zu bytes",
			 x->method, url, x->cap);
		return ATTEMPT_FAIL;
	}
	if (rc == CURLE_TOO_MANY_REDIRECTS) {
		snprintf(err, errlen, "%s %s: more than %ld redirects",
			 x->method, url, h->o.max_redirects);
		return ATTEMPT_FAIL;
	}
	const char *what = errbuf[0] ? errbuf : h->api.easy_strerror(rc);
	long os_errno = 0;
	h->api.easy_getinfo(h->curl, CURLINFO_OS_ERRNO, &os_errno);
	if (rc == CURLE_COULDNT_CONNECT && os_errno)
		snprintf(err, errlen, "%s %s: %s (%s)", x->method, url, what,
			 strerror((int)os_errno));
	else if (rc == CURLE_PARTIAL_FILE)
		snprintf(err, errlen, "%s %s: truncated response (%s)",
			 x->method, url, what);
	else
		snprintf(err, errlen, "%s %s: %s", x->method, url, what);
	return transient(rc) ? ATTEMPT_RETRY : ATTEMPT_FAIL;
}

static attempt_result attempt(http *h, const char *url, const char *shown,
			      const http_req *req, struct curl_slist *headers,
			      const http_sink *sink, long *status_out,
			      char *err, size_t errlen)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	xfer x = {.api = &h->api, .curl = h->curl, .sink = sink, .req = req,
		  .progress = h->o.progress};
	x.method = req->method ? req->method : "GET";
	x.name = last_part(url);
	x.start_ms = now_ms();
	refusal why;
	if (!set_options(h, url, &x, headers, errbuf, &why)) {
		snprintf(err, errlen, "%s %s: libcurl refused %s%s%s%s: %s; "
			 "request not made", x.method, shown, why.name,
			 why.also ? " (and the older " : "",
			 why.also ? why.also : "", why.also ? ")" : "",
			 h->api.easy_strerror(why.rc));
		return ATTEMPT_FAIL;
	}
	sink->begin(sink->ctx);
	/* an attempt that fails before its first status line must not leave
	 * the previous attempt's headers standing either */
	if (req->header)
		req->header(req->header_ctx, NULL, 0);
	CURLcode rc = h->api.easy_perform(h->curl);
	if (x.shown) /* the terminal line is for now: leave it clean */
		fputs("\r\033[K", x.progress);
	if (rc != CURLE_OK)
		return curl_failure(h, &x, rc, errbuf, shown, err, errlen);
	long status = status_of(&h->api, h->curl);
	*status_out = status;
	if ((status >= 200 && status <= 299) ||
	    (req->answer_status && status == req->answer_status))
		return ATTEMPT_OK;
	snprintf(err, errlen, "%s %s: HTTP %ld%s%s%s", x.method, shown, status,
		 x.reason[0] ? " " : "", x.reason,
		 status >= 300 && status <= 399 && !credentials_follow(h, url, req)
		     ? " (a redirect is not followed with credentials by a "
		       "libcurl older than 7.83)"
		     : "");
	return status >= 500 && status <= 599 ? ATTEMPT_RETRY : ATTEMPT_FAIL;
}

void http_url_shown(const char *url, char *out, size_t size)
{
	const char *host = strstr(url, "://");
	const char *at = NULL;
	if (host) {
		host += 3;
		size_t len = strcspn(host, "/?#");
		for (const char *p = host; p < host + len; p++)
			if (*p == '@')
				at = p;
	}
	if (at)
		snprintf(out, size, "%.*s%s", (int)(host - url), url, at + 1);
	else
		snprintf(out, size, "%s", url);
}

static void null_begin(void *ctx)
{
	(void)ctx;
}

static bool null_data(void *ctx, const void *p, size_t n, char *err,
		      size_t len)
{
	(void)ctx, (void)p, (void)n, (void)err, (void)len;
	return true;
}

/* The request headers as libcurl's list; *ok false when out of memory. */
static struct curl_slist *header_list(const http *h, const http_req *req,
				      bool *ok)
{
	struct curl_slist *l = NULL;
	*ok = true;
	for (size_t i = 0; req->headers && req->headers[i]; i++) {
		struct curl_slist *n = h->api.slist_append(l, req->headers[i]);
		if (!n) {
			h->api.slist_free_all(l);
			*ok = false;
			return NULL;
		}
		l = n;
	}
	return l;
}

bool http_request(http *h, const char *url, const http_req *req,
		  const http_sink *sink, long *status, char *err,
		  size_t errlen)
{
	static const http_sink discard = {null_begin, null_data, NULL, 0};
	long delay = h->o.backoff_ms, got = 0;
	char shown[2100];
	http_url_shown(url, shown, sizeof shown);
	bool listed;
	struct curl_slist *headers = header_list(h, req, &listed);
	if (!listed) {
		snprintf(err, errlen, "out of memory");
		return false;
	}
	attempt_result r = ATTEMPT_FAIL;
	for (unsigned i = 0;; i++) {
		r = attempt(h, url, shown, req, headers, sink ? sink : &discard,
			    &got, err, errlen);
		if (r != ATTEMPT_RETRY || i == h->o.retries)
			break;
		sleep_ms(delay);
		if (delay < 60000) /* doubled, up to a minute */
			delay *= 2;
	}
	h->api.slist_free_all(headers);
	if (status)
		*status = got;
	if (r != ATTEMPT_RETRY)
		return r == ATTEMPT_OK;
	size_t len = strlen(err);
	if (h->o.retries > 0 && len < errlen)
		snprintf(err + len, errlen - len, " (gave up after %u attempts)",
			 h->o.retries + 1);
	return false;
}

bool http_get(http *h, const char *url, const http_sink *sink, char *err,
	      size_t errlen)
{
	static const http_req get = {NULL, NULL, NULL, NULL, 0};
	return http_request(h, url, &get, sink, NULL, err, errlen);
}

static void buf_begin(void *ctx)
{
	buf_reset(ctx);
}

static bool buf_data(void *ctx, const void *p, size_t n, char *err,
		     size_t len)
{
	buf *b = ctx;
	buf_add(b, p, n);
	if (!buf_ok(b)) {
		snprintf(err, len, "out of buffer space");
		return false;
	}
	return true;
}

bool http_get_buf(http *h, const char *url, buf *b, size_t max, char *err,
		  size_t errlen)
{
	http_sink sink = {buf_begin, buf_data, b, max};
	return http_get(h, url, &sink, err, errlen);
}
