/* http.h - HTTP GET with the guarantees `matrixc update` promises.
 *
 * The only module that talks to libcurl. Every request has a connect
 * timeout and a total timeout, is retried with exponential backoff on
 * timeouts, connection failures, truncated bodies and 5xx answers (never on
 * 4xx), follows at most a few redirects (http and https only, and never
 * from https down to http; credentials, a URL's user name and password or
 * an Authorization header, only to the request's own scheme, host and
 * port), verifies TLS peers and host names, takes its proxy from the
 * environment as libcurl does, and stops at a size cap. A libcurl that
 * refuses an option these rest on gets no request made (docs/update.md).
 * Errors come back as a message that names the URL; this module prints
 * nothing except the optional progress line.
 */
#ifndef MATRIXC_HTTP_H
#define MATRIXC_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "buf.h"

typedef struct {
	long connect_timeout_ms; /* per attempt */
	long timeout_ms;         /* per attempt, the whole transfer */
	unsigned retries;        /* attempts after the first */
	long backoff_ms;         /* delay before the first retry, then doubled */
	long max_redirects;
	const char *user_agent;  /* "matrixc/0.1.0" */
	FILE *progress;          /* a terminal for slow downloads, or NULL */
} http_opts;

/* Defaults: connect 15 s, total 300 s, 3 retries from 1 s, 5 redirects. */
void http_opts_default(http_opts *o, const char *user_agent);

/* Where a body goes. begin is called before each attempt (so that a retry
 * starts over); data returns false to abort the transfer with the message
 * it wrote to err. */
typedef struct {
	void (*begin)(void *ctx);
	bool (*data)(void *ctx, const void *p, size_t n, char *err, size_t len);
	void *ctx;
	size_t max_bytes; /* 0: no cap beyond what data enforces */
} http_sink;

typedef struct http http;

/* NULL when libcurl cannot be loaded or started, with the reason in err.
 * Free with http_free. */
http *http_new(const http_opts *o, char *err, size_t errlen);
void http_free(http *h);

/* url as messages show it: without a user name or password
 * ("http://user:secret@host/x" -> "http://host/x"), cut to size. */
void http_url_shown(const char *url, char *out, size_t size);

/* GET url into sink. Returns true on a 2xx answer whose whole body was
 * delivered; otherwise false with "GET URL: what went wrong" in err, the
 * URL without credentials. An answer whose Content-Length is over the
 * sink's cap is refused before its body is read. */
bool http_get(http *h, const char *url, const http_sink *sink, char *err,
	      size_t errlen);

/* A request beyond a plain GET (the OCI distribution API needs these).
 * headers: "Name: value" lines to send, NULL-terminated, or NULL.
 * header: called with each header line of each answer as received
 * (without the line end), and with (NULL, 0) at the start of each attempt
 * and of each answer (a redirect or an interim answer), so that the
 * receiver can forget the previous answer's headers; NULL when not
 * wanted. answer_status: a 4xx
 * status that is an answer for the caller (401 with its challenge), not
 * an error; 0 for none. Its body is never delivered to the sink. */
typedef struct {
	const char *method; /* "GET" or "HEAD"; NULL: GET */
	const char *const *headers;
	void (*header)(void *ctx, const char *line, size_t len);
	void *header_ctx;
	long answer_status;
} http_req;

/* As http_get, with the method, headers and answer status of req, and
 * the final status into *status (when status is not NULL). sink may be
 * NULL (a HEAD, or a body nobody reads). Messages start with the
 * method: "HEAD URL: HTTP 404 Not Found". */
bool http_request(http *h, const char *url, const http_req *req,
		  const http_sink *sink, long *status, char *err,
		  size_t errlen);

/* GET url into b (reset first), at most max bytes. */
bool http_get_buf(http *h, const char *url, buf *b, size_t max, char *err,
		  size_t errlen);

#endif
