/* fuzz_token.c - libFuzzer target: a token endpoint's answer ->
 * oci_parse_token. An accepted token goes into a request header, so it
 * must be 1 to OCI_MAX_TOKEN printable ASCII characters without a blank;
 * a refusal must say why. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oci.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > ((size_t)1 << 20)) /* oci.c's cap on the answer */
		return 0;
	/* an exact-size copy, so that reading past the end is caught */
	char *text = malloc(size ? size : 1);
	if (!text)
		abort();
	memcpy(text, data, size);
	arena *a = arena_new();
	const char *token = NULL;
	char err[512] = "";
	if (oci_parse_token(a, text, size, &token, err, sizeof err)) {
		size_t n = strlen(token);
		if (n == 0 || n > OCI_MAX_TOKEN)
			abort();
		for (size_t i = 0; i < n; i++)
			if (token[i] <= ' ' || token[i] > '~')
				abort();
	} else if (!err[0]) {
		abort();
	}
	arena_free(a);
	free(text);
	return 0;
}
