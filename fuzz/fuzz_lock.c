/* fuzz_lock.c - libFuzzer target: matrix.lock.json text -> lock_parse.
 * A lock file that parses must also survive a round trip: lock_format's
 * output parses again and formats to the same bytes (update rewrites the
 * file this way, so a drift would show up as a diff on every run). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limits_input.h"
#include "buf.h"
#include "diag.h"
#include "lock.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void round_trip(const lockfile *lf)
{
	buf once, twice;
	buf_init(&once, 0);
	buf_init(&twice, 0);
	if (!lock_format(lf, &once))
		abort();
	arena *a = arena_new();
	diag *d = diag_new(LIMIT_DIAGNOSTICS);
	lockfile again = {0};
	if (!lock_parse(a, d, "again.json", once.data, once.len, &again) ||
	    again.n != lf->n || again.nbases != lf->nbases ||
	    !lock_format(&again, &twice) ||
	    once.len != twice.len || memcmp(once.data, twice.data, once.len))
		abort();
	for (size_t i = 0; i < lf->n; i++)
		if (!lock_find(&again, lf->v[i].key.s))
			abort();
	for (size_t i = 0; i < lf->nbases; i++) {
		const lock_base *b = lock_find_base(&again, lf->bases[i].image.s);
		if (!b || strcmp(b->digest.s, lf->bases[i].digest.s) != 0)
			abort();
	}
	diag_free(d);
	arena_free(a);
	buf_release(&once);
	buf_release(&twice);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *sink;
	if (!sink && !(sink = fopen("/dev/null", "w")))
		abort();
	if (size > LIMIT_FILE_BYTES)
		return 0;
	char *text = malloc(size ? size : 1);
	if (!text)
		abort();
	memcpy(text, data, size);
	arena *a = arena_new();
	diag *d = diag_new(LIMIT_DIAGNOSTICS);
	diag_add_source(d, "matrix.lock.json", text, size);
	lockfile lf = {0};
	if (lock_parse(a, d, "matrix.lock.json", text, size, &lf))
		round_trip(&lf);
	diag_print(d, sink, false);
	diag_free(d);
	arena_free(a);
	free(text);
	return 0;
}
