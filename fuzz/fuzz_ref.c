/* fuzz_ref.c - libFuzzer target: an image reference -> oci_parse_ref,
 * oci_manifest_url and oci_qualified_name; and the same bytes as a
 * Docker-Content-Digest -> oci_check_digest. An accepted reference must
 * give a manifest URL that names its registry over https, or over http
 * only on this machine; an accepted digest is "sha256:" and 64 lowercase
 * hex digits. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "oci.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_digest(const char *s)
{
	if (oci_check_digest(s))
		return;
	if (strlen(s) != 71 || strncmp(s, "sha256:", 7) != 0)
		abort();
	for (size_t i = 7; i < 71; i++)
		if (!strchr("0123456789abcdef", s[i]))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0;
	char *s = malloc(size + 1);
	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	check_digest(s);
	arena *a = arena_new();
	oci_ref r;
	char err[512] = "";
	if (oci_parse_ref(a, s, &r, err, sizeof err)) {
		const char *url = oci_manifest_url(a, &r);
		if (name_check_url(url) && strlen(url) <= 2048)
			abort();
		bool local = oci_host_is_local(r.registry);
		if (strcmp(r.scheme, local ? "http" : "https") != 0)
			abort();
		if (r.digest)
			check_digest(r.digest);
		buf b;
		buf_init(&b, 0);
		oci_qualified_name(&b, s);
		if (name_check_image(buf_str(&b)) && b.len <= 255)
			abort();
		buf_release(&b);
	} else if (!err[0]) {
		abort();
	}
	arena_free(a);
	free(s);
	return 0;
}
