/* fuzz_challenge.c - libFuzzer target: a WWW-Authenticate value, as a
 * registry sends it -> oci_parse_challenge, for a registry elsewhere and
 * one on this machine (the first byte chooses), then oci_token_url.
 * Besides crashes, sanitizer reports and leaks, an accepted challenge
 * must keep oci.h's promises: a realm that is an http(s) URL without a
 * user name or password, https unless both it and the registry are on
 * this machine, and never on this machine for a registry elsewhere. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "oci.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_realm(const char *realm, bool registry_local)
{
	if (name_check_url(realm))
		abort();
	const char *host = strstr(realm, "://") + 3;
	size_t n = strcspn(host, "/?#");
	if (memchr(host, '@', n))
		abort();
	char h[256];
	if (n >= sizeof h)
		abort();
	memcpy(h, host, n);
	h[n] = '\0';
	bool local = oci_host_is_local(h);
	if (local && !registry_local)
		abort();
	if (!local && strncmp(realm, "https://", 8) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 65536)
		return 0;
	bool registry_local = data[0] & 1;
	/* an exact-size, NUL-ended copy: a header value is a C string */
	char *value = malloc(size);
	if (!value)
		abort();
	memcpy(value, data + 1, size - 1);
	value[size - 1] = '\0';
	arena *a = arena_new();
	oci_challenge c;
	char err[512];
	oci_ref r = {"https", registry_local ? "127.0.0.1:5000" : "reg.example",
		     "library/debian", "12", NULL};
	if (oci_parse_challenge(a, value, r.registry, &c, err, sizeof err)) {
		if (!c.realm)
			abort();
		check_realm(c.realm, registry_local);
		const char *url = oci_token_url(a, &c, &r);
		if (strncmp(url, c.realm, strlen(c.realm)) != 0)
			abort();
		for (const char *p = url; *p; p++)
			if (*p <= ' ' || *p > '~')
				abort(); /* percent-encoding left a raw byte */
	} else if (!err[0]) {
		abort(); /* a refusal says why */
	}
	arena_free(a);
	free(value);
	return 0;
}
