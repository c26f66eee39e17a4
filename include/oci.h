/* oci.h - base image digests over the OCI distribution API.
 *
 *   HEAD {scheme}://{registry}/v2/{repository}/manifests/{tag}
 *     Accept: the OCI index, Docker manifest list, OCI manifest and
 *             Docker v2 manifest media types
 *   -> 200, Docker-Content-Digest: sha256:...
 *
 * A registry that wants a token answers 401 with
 * `WWW-Authenticate: Bearer realm="...",service="...",scope="..."`: the
 * anonymous token comes from GET realm?service=...&scope=... as JSON
 * {"token": "..."} (or "access_token"), and the HEAD is sent again with
 * `Authorization: Bearer <token>`. A HEAD without Docker-Content-Digest
 * is followed by a GET of the manifest, whose bytes are hashed (digest.h).
 *
 * Names follow Docker's rules (host names in any case): "debian" is
 * registry-1.docker.io/library/debian, "user/img" is
 * registry-1.docker.io/user/img, and the first component is a registry
 * host when it has a '.' or a ':' or is "localhost". Registries speak
 * https, except those on this machine (localhost, 127.0.0.1, [::1]), which
 * speak plain http: that is how a registry started for tests is reached,
 * and no other host ever gets a plain-http request.
 *
 * The parsers do no I/O and are tested without a network; oci_resolve
 * does the requests through http.h.
 */
#ifndef MATRIXC_OCI_H
#define MATRIXC_OCI_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "buf.h"
#include "http.h"

#define OCI_DOCKER_HUB "registry-1.docker.io"

typedef struct {
	const char *scheme;     /* "https", or "http" for this machine */
	const char *registry;   /* host[:port]: "registry-1.docker.io" */
	const char *repository; /* "library/debian" */
	const char *tag;        /* "bookworm-slim"; "latest" when none */
	const char *digest;     /* "sha256:..." when the reference has one */
} oci_ref;

typedef struct {
	const char *realm;   /* an http(s) URL */
	const char *service; /* NULL when absent */
	const char *scope;   /* NULL when absent */
} oci_challenge;

/* Parse an image reference (names.h's name_check_image grammar) into r,
 * with Docker Hub's defaults. false with why in err. Strings live in a. */
bool oci_parse_ref(arena *a, const char *image, oci_ref *r, char *err,
		   size_t errlen);

/* Whether host (host[:port]) is this machine's: localhost (in any case),
 * 127.0.0.1 or [::1], any port. Other spellings (127.0.0.2, 0.0.0.0, a
 * name that resolves to 127.0.0.1) are not: they get https. */
bool oci_host_is_local(const char *host);

/* image as a fully qualified reference, appended to out, as the OCI
 * label org.opencontainers.image.base.name wants it: "debian:12" ->
 * "docker.io/library/debian:12", "user/img" -> "docker.io/user/img";
 * one with a registry host stays as it is. image passed
 * name_check_image. */
void oci_qualified_name(buf *out, const char *image);

/* The manifest URL of r. */
char *oci_manifest_url(arena *a, const oci_ref *r);

/* Parse the value of the WWW-Authenticate headers (after
 * "WWW-Authenticate:"; several lines joined by ", ") of an answer from
 * registry (host[:port]; NULL: one elsewhere) into the first Bearer
 * challenge among them (RFC 9110 11.6.1: challenges and parameters in
 * one comma-separated list, empty elements allowed, other schemes and
 * their token68 skipped). A parameter is name=value, the value a token
 * or a quoted string (which may hold commas and backslash escapes).
 * Names are case-insensitive and given once; unknown ones are ignored.
 *
 * realm is required. The token request goes where it says, without any
 * credential of the user (matrixc has none to send: the token is
 * anonymous), and the token it gets goes back only to registry; so a
 * realm on another host is allowed (Docker Hub's is auth.docker.io), but
 * it must be https, must not hold a user name or password, and may name
 * this machine (then over http too) only when registry is on this
 * machine: a registry elsewhere cannot make matrixc query a service on
 * the user's machine and forward what it answers. false with why in
 * err. */
bool oci_parse_challenge(arena *a, const char *value, const char *registry,
			 oci_challenge *c, char *err, size_t errlen);

/* The token URL of c: realm?service=...&scope=... (percent-encoded);
 * scope defaults to "repository:<repository>:pull" of r. */
char *oci_token_url(arena *a, const oci_challenge *c, const oci_ref *r);

/* The longest token accepted: it is sent as a request header. */
#define OCI_MAX_TOKEN 16384

/* The token of a token endpoint's JSON answer: "token" when it is a
 * non-empty string, else "access_token"; printable ASCII without spaces,
 * at most OCI_MAX_TOKEN bytes. false with why in err. */
bool oci_parse_token(arena *a, const char *text, size_t len,
		     const char **token, char *err, size_t errlen);

/* Why s is not a sha256 content digest ("sha256:" and 64 lowercase hex
 * digits), or NULL when it is one. */
const char *oci_check_digest(const char *s);

/* Resolve image to the digest of what its tag names (an index, a
 * manifest list or a manifest) into *out (in a). A Docker-Content-Digest
 * must be "sha256:" and 64 lowercase hex digits, given once per answer;
 * on a GET it must also be the sha256 of the body. false with
 * "what failed: URL: why" in err, the URLs without credentials. */
bool oci_resolve(arena *a, http *h, const char *image, const char **out,
		 char *err, size_t errlen);

#endif
