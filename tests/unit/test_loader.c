/* The loader (yaml_load, then matrix_load) on the worst inputs under the
 * 4 MiB file limit: each builds a document just under LIMIT_FILE_BYTES of
 * one hostile shape and checks what comes out (loaded, or rejected with
 * the right first message at the right place). No timing is asserted;
 * each shape was quadratic once (20 s for a 95,000-key env: issue 20, 2;
 * minutes for 100,000 anchors), and the suite's own time is the check.
 * The CPU time each took is printed as a TAP comment, for a person. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "limits_input.h"
#include "matrix.h"
#include "yamlio.h"
#include "tap.h"
#include "yamlio.h"

typedef struct {
	bool loaded;       /* yaml_load and matrix_load both succeeded */
	unsigned errors;
	char first[1024];  /* the first diagnostic as printed, first line */
	double secs;
} outcome;

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Load text as matrix.yaml, print the diagnostics (as matrixc does, so
 * that quoting lines of a 4 MiB file is part of it) and keep the first. */
static outcome load(const buf *text)
{
	outcome o = {0};
	char *out = NULL;
	size_t outlen = 0;
	FILE *f = open_memstream(&out, &outlen);
	double t0 = now();
	arena *a = arena_new();
	diag *d = diag_new(LIMIT_DIAGNOSTICS);
	diag_add_source(d, "matrix.yaml", text->data, text->len);
	ynode *root = yaml_load(a, d, "matrix.yaml", text->data, text->len);
	matrix m;
	o.loaded = root && matrix_load(a, d, root, "matrix.yaml", ".", &m);
	o.errors = diag_errors(d);
	diag_print(d, f, false);
	fclose(f);
	o.secs = now() - t0;
	diag_free(d);
	arena_free(a);
	size_t n = strcspn(out, "\n");
	snprintf(o.first, sizeof o.first, "%.*s", (int)n, out);
	free(out);
	return o;
}

static void expect(const char *title, const buf *text, bool loaded,
		   const char *first)
{
	ok(buf_ok(text) && text->len <= LIMIT_FILE_BYTES &&
		   text->len > LIMIT_FILE_BYTES / 3,
	   "%s: the input is %zu bytes, under the limit", title, text->len);
	outcome o = load(text);
	printf("#   %.3f s, %u errors\n", o.secs, o.errors);
	ok(o.loaded == loaded, "%s: %s", title, loaded ? "loads" : "is rejected");
	if (first)
		is_str(o.first, first, title);
}

static const char head[] = "matrixc: 1\nimage: python\n"
			   "base: debian:bookworm-slim\n";

/* Issue 20, 2: 95,000 env keys of the same length (3.9 MB) took 19.5 s,
 * then the error named a hook. Now: rejected at the 1001st entry. */
static void many_keys(void)
{
	buf b;
	buf_init(&b, LIMIT_FILE_BYTES);
	buf_printf(&b, "%sversions: [\"3.13\"]\nvariants: {wee: {}}\nenv:\n", head);
	for (int i = 0; b.len + 40 < LIMIT_FILE_BYTES; i++)
		buf_printf(&b, "  K%08d: v%016d\n", i, i);
	expect("95,000 same-length env keys", &b, false,
	       "matrix.yaml:1007:3: error: more than 1000 entries in the "
	       "mapping that starts at line 7");
	buf_release(&b);
}

/* Mappings of 1000 keys each, up to the node cap, every key distinct:
 * the duplicate check looks at each once. Under keys matrixc does not
 * know, so the document loads and the schema rejects them. */
static void many_maps(void)
{
	buf b;
	buf_init(&b, LIMIT_FILE_BYTES);
	buf_puts(&b, head);
	for (int m = 0; m < 99; m++) {
		buf_printf(&b, "x%d:\n", m);
		for (int i = 0; i < 1000; i++)
			buf_printf(&b, "  k%04d%024d: v\n", i, m);
	}
	expect("99 mappings of 1000 distinct keys", &b, false,
	       "matrix.yaml:4:1: error: unknown key 'x0' in matrix.yaml");
	buf_release(&b);
}

static uint64_t fnv(const char *s)
{
	uint64_t h = 1469598103934665603u;
	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211u;
	return h;
}

/* Keys whose FNV-1a hashes agree in their low 11 bits: every one of a
 * 1000-key mapping lands in the same chain of the key table (2048 slots
 * at most). The chain is walked by hash, so that this stays cheap. */
static void colliding_keys(void)
{
	char keys[1000][16];
	int n = 0;
	for (unsigned i = 0; n < 1000; i++) {
		char k[16];
		snprintf(k, sizeof k, "k%u", i);
		if ((fnv(k) & 2047) == 0)
			memcpy(keys[n++], k, sizeof k);
	}
	buf b;
	buf_init(&b, LIMIT_FILE_BYTES);
	buf_puts(&b, head);
	for (int m = 0; m < 99; m++) {
		buf_printf(&b, "x%d:\n", m);
		for (int i = 0; i < 1000; i++)
			buf_printf(&b, "  %s: %020d\n", keys[i], 0);
	}
	expect("99 mappings of 1000 keys in one hash chain", &b, false,
	       "matrix.yaml:4:1: error: unknown key 'x0' in matrix.yaml");
	buf_release(&b);
}

/* Every key the same: a duplicate-key error each (counted past the
 * diagnostics cap, not kept). */
static void duplicate_keys(void)
{
	buf b;
	buf_init(&b, LIMIT_FILE_BYTES);
	buf_puts(&b, head);
	for (int m = 0; m < 99; m++) {
		buf_printf(&b, "x%d:\n", m);
		for (int i = 0; i < 1000; i++)
			buf_printf(&b, "  %032d: v\n", 7);
	}
	expect("99 mappings of one key 1000 times", &b, false,
	       "matrix.yaml:6:3: error: duplicate key "
	       "'00000000000000000000000000000007'");
	buf_release(&b);
}

/* Long keys that differ only at their end (explicit keys: libyaml takes
 * no implicit key over 1024 bytes): each is hashed once. */
static void long_keys(void)
{
	buf b;
	buf_init(&b, LIMIT_FILE_BYTES);
	buf_printf(&b, "%sversions: [\"3.13\"]\nvariants: {wee: {}}\nenv:\n", head);
	for (int i = 0; i < 1000; i++)
		buf_printf(&b, "  ? A%04000d\n  : v\n", i);
	expect("1000 env keys of 4000 bytes", &b, false,
	       "matrix.yaml:1007:5: error: more than 500 environment variables");
	buf_release(&b);
}

/* 99,900 anchors, and aliases to the oldest of them: a list of anchors
 * searched from the newest was 100,000 x 100,000 (2 minutes). */
static void many_anchors(void)
{
	buf b;
	buf_init(&b, LIMIT_FILE_BYTES);
	buf_puts(&b, head);
	for (int m = 0; m < 100; m++) {
		buf_printf(&b, "a%d: [", m);
		for (int i = 0; i < 999; i++)
			buf_printf(&b, "%s&n%d_%d x", i ? ", " : "", m, i);
		buf_puts(&b, "]\n");
	}
	for (int m = 0; b.len + 8000 < LIMIT_FILE_BYTES; m++) {
		buf_printf(&b, "b%d: [", m);
		for (int i = 0; i < 999; i++)
			buf_printf(&b, "%s*n0_%d", i ? ", " : "", i);
		buf_puts(&b, "]\n");
	}
	outcome o = load(&b);
	printf("#   %.3f s, %u errors\n", o.secs, o.errors);
	ok(!o.loaded && strstr(o.first, "error: document too large: more than "
					  "200000 nodes after expanding aliases"),
	   "99,900 anchors and aliases to the oldest: rejected by the node "
	   "count (%s)", o.first);
	buf_release(&b);
}

/* A matrix that loads: 1000 versions, and variants of 500 configure
 * flags each, up to the node cap. (Expanding it passes the cell cap:
 * that is expand's error, not the loader's.) */
static void big_valid(void)
{
	buf b;
	buf_init(&b, LIMIT_FILE_BYTES);
	buf_printf(&b, "%sversions:\n", head);
	for (int i = 0; i < 1000; i++)
		buf_printf(&b, "  - \"%d.%d\"\n", 3 + i / 100, i % 100);
	buf_puts(&b, "variants:\n");
	for (int v = 0; v < 350; v++) {
		buf_printf(&b, "  v%d:\n    configure:\n", v);
		for (int i = 0; i < 500; i++)
			buf_printf(&b, "      - --with-x%d=%d\n", i, v);
	}
	expect("1000 versions, 350 variants of 500 configure flags", &b, true,
	       "");
	buf_release(&b);
}

/* Rules naming unknown variants, among 1000 variants of 64 characters:
 * a "did you mean" each would be 1000 edit distances of 64 x 64. */
static void unknown_variants(void)
{
	buf b;
	buf_init(&b, LIMIT_FILE_BYTES);
	buf_printf(&b, "%sversions: [\"3.13\"]\nvariants:\n", head);
	for (int v = 0; v < 1000; v++)
		buf_printf(&b, "  v%063d: {}\n", v);
	for (const char *k = "exclude"; k; k = strcmp(k, "exclude") ? NULL : "aliases") {
		buf_printf(&b, "%s:\n", k);
		for (int r = 0; r < 1000; r++)
			buf_printf(&b, "  - {variant: w%063d%s}\n", r,
				   k[0] == 'a' ? ", tag: t" : "");
	}
	outcome o = load(&b);
	printf("#   %.3f s, %u errors\n", o.secs, o.errors);
	ok(!o.loaded && o.errors == 2000 &&
		   strstr(o.first, "error: unknown variant 'w0000") &&
		   strstr(o.first, "(did you mean 'v0000"),
	   "2000 rules naming unknown variants among 1000: each an error, "
	   "the first with a suggestion (%.100s)", o.first);
	buf_release(&b);
}

int main(void)
{
	many_keys();
	many_maps();
	colliding_keys();
	duplicate_keys();
	long_keys();
	many_anchors();
	big_valid();
	unknown_variants();
	return tap_done();
}
