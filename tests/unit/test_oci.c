/* The OCI client's parsers: image names, Bearer challenges, tokens and
 * digests (no network). */
#include <stdlib.h>
#include <string.h>

#include "oci.h"
#include "tap.h"

static void ref(arena *a, const char *image, const char *scheme,
		const char *registry, const char *repository, const char *tag)
{
	oci_ref r;
	char err[256];
	if (!ok(oci_parse_ref(a, image, &r, err, sizeof err), "parse '%s'",
		image)) {
		printf("#   %s\n", err);
		return;
	}
	char title[300];
	snprintf(title, sizeof title, "'%s': scheme", image);
	is_str(r.scheme, scheme, title);
	snprintf(title, sizeof title, "'%s': registry", image);
	is_str(r.registry, registry, title);
	snprintf(title, sizeof title, "'%s': repository", image);
	is_str(r.repository, repository, title);
	snprintf(title, sizeof title, "'%s': tag", image);
	is_str(r.tag, tag, title);
}

static void names(arena *a)
{
	ref(a, "debian", "https", "registry-1.docker.io", "library/debian",
	    "latest");
	ref(a, "debian:bookworm-slim", "https", "registry-1.docker.io",
	    "library/debian", "bookworm-slim");
	ref(a, "user/img:1", "https", "registry-1.docker.io", "user/img", "1");
	ref(a, "docker.io/debian:12", "https", "registry-1.docker.io",
	    "library/debian", "12");
	ref(a, "docker.io/library/debian:12", "https",
	    "registry-1.docker.io", "library/debian", "12");
	ref(a, "index.docker.io/user/img", "https", "registry-1.docker.io",
	    "user/img", "latest");
	ref(a, "registry.gitlab.com/g/p/img:x", "https", "registry.gitlab.com",
	    "g/p/img", "x");
	ref(a, "localhost/debian:12", "http", "localhost", "debian", "12");
	ref(a, "localhost:5000/a/b", "http", "localhost:5000", "a/b", "latest");
	ref(a, "127.0.0.1:5000/debian:bookworm-slim", "http", "127.0.0.1:5000",
	    "debian", "bookworm-slim");
	ref(a, "myhost:5000/debian", "https", "myhost:5000", "debian",
	    "latest");
	ref(a, "127.0.0.10/debian", "https", "127.0.0.10", "debian", "latest");
	/* a first component without '.', ':' or "localhost" is a path */
	/* host names are case-insensitive: Docker Hub's too */
	ref(a, "Docker.IO/debian:12", "https", "registry-1.docker.io",
	    "library/debian", "12");
	ref(a, "INDEX.docker.io/user/img", "https", "registry-1.docker.io",
	    "user/img", "latest");
	ref(a, "LocalHost:5000/x", "http", "LocalHost:5000", "x", "latest");
	ref(a, "host.example/x:tag@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	    "https", "host.example", "x", "tag");
	ref(a, "localhostx/debian", "https", "registry-1.docker.io",
	    "localhostx/debian", "latest");

	oci_ref r;
	char err[256];
	ok(!oci_parse_ref(a, "debian:bookworm\nRUN id", &r, err, sizeof err),
	   "a newline is not an image reference");
	ok(!oci_parse_ref(a, "Debian", &r, err, sizeof err),
	   "an upper-case name is refused");
	ok(oci_parse_ref(a, "localhost:5000/debian:12", &r, err, sizeof err) &&
	       !strcmp(oci_manifest_url(a, &r),
		       "http://localhost:5000/v2/debian/manifests/12"),
	   "manifest URL");
	ok(oci_parse_ref(a, "debian:12", &r, err, sizeof err) &&
	       !strcmp(oci_manifest_url(a, &r),
		       "https://registry-1.docker.io/v2/library/debian/manifests/12"),
	   "manifest URL on Docker Hub");
	ok(oci_host_is_local("localhost") && oci_host_is_local("127.0.0.1:1") &&
	       oci_host_is_local("[::1]:5000") && !oci_host_is_local("localhost.evil") &&
	       !oci_host_is_local("127.0.0.1.evil.com"),
	   "local hosts");
}

static void qualified(const char *image, const char *want)
{
	buf b;
	buf_init(&b, 0);
	oci_qualified_name(&b, image);
	is_str(buf_str(&b), want, image);
	buf_release(&b);
}

static void qualified_names(void)
{
	qualified("debian:12", "docker.io/library/debian:12");
	qualified("debian", "docker.io/library/debian");
	qualified("user/img:1", "docker.io/user/img:1");
	qualified("docker.io/library/debian:12", "docker.io/library/debian:12");
	qualified("127.0.0.1:5000/debian:12", "127.0.0.1:5000/debian:12");
	qualified("localhost/x", "localhost/x");
}

static void challenge_from(arena *a, const char *registry,
			   const char *value, const char *realm,
			   const char *service, const char *scope)
{
	oci_challenge c;
	char err[512];
	if (!ok(oci_parse_challenge(a, value, registry, &c, err, sizeof err),
		"challenge '%s'", value)) {
		printf("#   %s\n", err);
		return;
	}
	is_str(c.realm, realm, "realm");
	is_str(c.service, service, "service");
	is_str(c.scope, scope, "scope");
}

static void challenge(arena *a, const char *value, const char *realm,
		      const char *service, const char *scope)
{
	challenge_from(a, "reg.example", value, realm, service, scope);
}

static void bad_challenge_from(arena *a, const char *registry,
			       const char *value, const char *why)
{
	oci_challenge c;
	char err[512] = "";
	ok(!oci_parse_challenge(a, value, registry, &c, err, sizeof err) &&
	       strstr(err, why),
	   "refuses '%s' (%s)", value, why);
	if (!strstr(err, why))
		printf("#   got: %s\n", err);
}

static void bad_challenge(arena *a, const char *value, const char *why)
{
	bad_challenge_from(a, "reg.example", value, why);
}

static void challenges(arena *a)
{
	challenge(a, "Bearer realm=\"https://auth.docker.io/token\","
		     "service=\"registry.docker.io\","
		     "scope=\"repository:library/debian:pull\"",
		  "https://auth.docker.io/token", "registry.docker.io",
		  "repository:library/debian:pull");
	challenge(a, "bearer  realm=\"https://h/t\" , scope=\"a:b:pull,push\"",
		  "https://h/t", NULL, "a:b:pull,push");
	challenge(a, "Bearer service=svc,realm=\"https://h/t?x=1\",error=\"insufficient_scope\"",
		  "https://h/t?x=1", "svc", NULL);
	challenge(a, "Bearer realm=\"https://h/t\",scope=\"say \\\"hi\\\"\"",
		  "https://h/t", NULL, "say \"hi\"");
	challenge_from(a, "127.0.0.1:5000",
		       "Bearer realm=\"http://127.0.0.1:8080/token\"",
		       "http://127.0.0.1:8080/token", NULL, NULL);
	challenge_from(a, "localhost:5000",
		       "Bearer realm=\"https://LOCALHOST/token\"",
		       "https://LOCALHOST/token", NULL, NULL);
	/* review: a registry elsewhere cannot aim the token request at
	 * this machine, over http or https */
	bad_challenge(a, "Bearer realm=\"http://127.0.0.1:8080/token\"",
		      "only a registry on this machine");
	bad_challenge(a, "Bearer realm=\"https://localhost/token\"",
		      "only a registry on this machine");
	bad_challenge_from(a, NULL, "Bearer realm=\"http://[::1]:1/t\"",
			   "only a registry on this machine");
	bad_challenge_from(a, "127.0.0.1:5000",
			   "Bearer realm=\"http://auth.example/t\"",
			   "must be https");
	bad_challenge(a, "Basic realm=\"x\"", "expected a Bearer challenge");
	bad_challenge(a, "Bearer", "no realm");
	bad_challenge(a, "Bearer abc==", "expected name=value");
	bad_challenge(a, "Bearer realm=\"https://h/t", "expected name=value");
	bad_challenge(a, "Bearer realm=https://h/t", "expected ','");
	bad_challenge(a, "Bearer realm=\"https://h/t\" service=x",
		      "expected ','");
	bad_challenge(a, "realm=\"https://h/t\", Bearer",
		      "expected a Bearer challenge");
	bad_challenge(a, "Bearer service=\"x\"", "no realm");
	bad_challenge(a, "Bearer realm=\"http://auth.example/token\"",
		      "must be https");
	bad_challenge(a, "Bearer realm=\"ftp://h/t\"", "bad token realm");
	bad_challenge(a, "Bearer realm=\"https://h/\x01t\"", "expected name=value");

	/* review: a realm must not smuggle another host past the local rule */
	bad_challenge(a, "Bearer realm=\"http://localhost:x@evil.example/t\"",
		      "user name or password");
	bad_challenge(a, "Bearer realm=\"https://u:p@auth.example/t\"",
		      "user name or password");
	bad_challenge(a, "Bearer realm=\"https://auth.example/t#x\"",
		      "fragment");
	/* several challenges in one value (RFC 9110 11.6.1): the Bearer one */
	challenge(a, "Basic realm=\"reg\", Bearer realm=\"https://h/t\",service=s",
		  "https://h/t", "s", NULL);
	challenge(a, "Negotiate, Basic abc==, Bearer realm=\"https://h/t\"",
		  "https://h/t", NULL, NULL);
	challenge(a, "Bearer realm=\"https://h/t\", Bearer realm=\"https://x/y\"",
		  "https://h/t", NULL, NULL);
	challenge(a, "Bearer realm=\"https://h/t\",, scope=\"a,b\",",
		  "https://h/t", NULL, "a,b");
	bad_challenge(a, "Basic realm=\"x\", Digest realm=\"y\"",
		      "expected a Bearer challenge");
	bad_challenge(a, "Bearer realm=\"https://h/t\",realm=\"https://e/t\"",
		      "'realm' given twice");
	bad_challenge(a, "Bearer realm=\"https://h/t\",SCOPE=a,scope=b",
		      "'scope' given twice");
	bad_challenge(a, "Bearer realm=\"https://h/t\\\"", "expected name=value");
	bad_challenge(a, "Bearer realm=\"\"", "bad token realm");
	bad_challenge(a, "", "expected a Bearer challenge");
	bad_challenge(a, "Bearer =x", "expected a Bearer challenge");

	oci_challenge c = {"https://h/token", "reg.io", NULL};
	oci_ref r = {"https", "reg.io", "library/debian", "12", NULL};
	is_str(oci_token_url(a, &c, &r),
	       "https://h/token?service=reg.io&scope=repository%3Alibrary%2Fdebian%3Apull",
	       "token URL with the default scope, percent-encoded");
	c = (oci_challenge){"https://h/token?a=b", NULL, "x y"};
	is_str(oci_token_url(a, &c, &r), "https://h/token?a=b&scope=x%20y",
	       "token URL appends to a realm's query");
}

static void tokens(arena *a)
{
	const char *t = NULL;
	char err[256];
	const char *j = "{\"token\":\"abc.def\",\"expires_in\":300}";
	ok(oci_parse_token(a, j, strlen(j), &t, err, sizeof err) &&
	       !strcmp(t, "abc.def"), "token");
	j = "{\"access_token\":\"xyz\"}";
	ok(oci_parse_token(a, j, strlen(j), &t, err, sizeof err) &&
	       !strcmp(t, "xyz"), "access_token");
	j = "{\"token\":\"\",\"access_token\":\"xyz\"}";
	ok(oci_parse_token(a, j, strlen(j), &t, err, sizeof err) &&
	       !strcmp(t, "xyz"), "an empty token falls back to access_token");
	j = "{\"token\":\"a\\r\\nX-Evil: 1\"}";
	ok(!oci_parse_token(a, j, strlen(j), &t, err, sizeof err),
	   "a token that would break the header is refused");
	j = "{\"token\": 5}";
	ok(!oci_parse_token(a, j, strlen(j), &t, err, sizeof err),
	   "a token that is not a string is refused");
	j = "{\"token\":[\"a\"],\"access_token\":\"xyz\"}";
	ok(oci_parse_token(a, j, strlen(j), &t, err, sizeof err) &&
	       !strcmp(t, "xyz"), "a token that is not a string: access_token");
	j = "[\"token\"]";
	ok(!oci_parse_token(a, j, strlen(j), &t, err, sizeof err),
	   "an array is not a token answer");
	{
		/* a token is sent as a header: one past the cap is refused */
		size_t n = 40000;
		char *big = malloc(n + 32);
		strcpy(big, "{\"token\":\"");
		memset(big + 10, 'a', n);
		strcpy(big + 10 + n, "\"}");
		ok(!oci_parse_token(a, big, strlen(big), &t, err, sizeof err) &&
		       strstr(err, "longer than"), "a huge token is refused");
		free(big);
	}
	j = "{\"token\":";
	ok(!oci_parse_token(a, j, strlen(j), &t, err, sizeof err) &&
	       strstr(err, "malformed JSON"), "truncated JSON");
}

static void digests(void)
{
	ok(!oci_check_digest("sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"),
	   "a sha256 digest");
	ok(oci_check_digest("sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef") != NULL,
	   "upper case is refused");
	ok(oci_check_digest("sha512:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef") != NULL,
	   "another algorithm is refused");
	ok(oci_check_digest("sha256:0123") != NULL, "a short digest is refused");
}

int main(void)
{
	arena *a = arena_new();
	names(a);
	qualified_names();
	challenges(a);
	tokens(a);
	digests();
	arena_free(a);
	return tap_done();
}
