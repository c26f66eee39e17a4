/* fuzz_matrix.c - libFuzzer target: matrix.yaml text -> yaml_load ->
 * matrix_load, with the diagnostics printed (to /dev/null), as `matrixc
 * generate` would. Anything but a clean return is a bug: a crash, a
 * sanitizer report, a leak or a hang. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limits_input.h"
#include "diag.h"
#include "matrix.h"
#include "yamlio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *sink;
	if (!sink && !(sink = fopen("/dev/null", "w")))
		abort();
	if (size > LIMIT_FILE_BYTES)
		return 0;
	/* an exact-size copy, so that reading past the end is caught */
	char *text = malloc(size ? size : 1);
	if (!text)
		abort();
	memcpy(text, data, size);
	arena *a = arena_new();
	diag *d = diag_new(LIMIT_DIAGNOSTICS);
	diag_add_source(d, "matrix.yaml", text, size);
	ynode *root = yaml_load(a, d, "matrix.yaml", text, size);
	matrix m;
	if (root)
		matrix_load(a, d, root, "matrix.yaml", ".", &m);
	diag_print(d, sink, true);
	diag_free(d);
	arena_free(a);
	free(text);
	return 0;
}
