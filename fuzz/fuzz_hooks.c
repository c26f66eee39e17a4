/* fuzz_hooks.c - libFuzzer target: hook code against the sandbox.
 *
 * Input: the text of a hook file (lua/fuzz.lua), run by hooks_run over the
 * cells of a small built-in matrix (2.7, 3.12, 3.13 in three variants),
 * then planned. Hook code is untrusted, so beyond "no crash, no sanitizer
 * report, no leak, no hang" (libFuzzer's -timeout), a run must be
 * deterministic: the same input run twice gives the same messages, byte
 * for byte (no addresses, no hash order).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "limits_input.h"
#include "cell.h"
#include "diag.h"
#include "expand.h"
#include "hooks.h"
#include "lock.h"
#include "matrix.h"
#include "plan.h"
#include "yamlio.h"

#include "builtin_lock.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char matrix_yaml[] =
    "matrixc: 1\n"
    "image: python\n"
    "base: debian:bookworm-slim\n"
    "versions: [\"3.13\", \"3.12\", \"2.7\"]\n"
    "variants:\n"
    "  wee: {configure: [\"--with-a\", \"CFLAGS=-O2\"]}\n"
    "  wee-optimized: {pgo: true}\n"
    "  wee-optimized-lto: {pgo: true, lto: true}\n"
    "env: {A: \"1\"}\n"
    "hooks: [lua/fuzz.lua]\n";

static char dir_path[] = "/tmp/matrixc-fuzz-hooks.XXXXXX";

/* At exit: the hook file, lua/ and the directory. */
static void remove_workdir(void)
{
	char path[sizeof dir_path + 16];
	snprintf(path, sizeof path, "%s/lua/fuzz.lua", dir_path);
	unlink(path);
	snprintf(path, sizeof path, "%s/lua", dir_path);
	rmdir(path);
	rmdir(dir_path);
}

/* The directory the matrix lives in: made once, lua/fuzz.lua rewritten
 * for each input, removed when the fuzzer exits. */
static const char *workdir(void)
{
	static bool made;
	if (!made) {
		char lua[sizeof dir_path + 8];
		if (!mkdtemp(dir_path))
			abort();
		atexit(remove_workdir);
		snprintf(lua, sizeof lua, "%s/lua", dir_path);
		if (mkdir(lua, 0700) != 0)
			abort();
		made = true;
	}
	return dir_path;
}

static void write_hook(const char *dir, const uint8_t *data, size_t size)
{
	char path[256];
	snprintf(path, sizeof path, "%s/lua/fuzz.lua", dir);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
}

/* One compile up to the plan, its messages rendered into a new string. */
static char *run(const char *dir, size_t *len)
{
	arena *a = arena_new();
	diag *d = diag_new(LIMIT_DIAGNOSTICS);
	ynode *root = yaml_load(a, d, "matrix.yaml", matrix_yaml,
				sizeof matrix_yaml - 1);
	matrix m;
	lockfile lf = {0};
	cellset all = {0};
	plan p;
	if (!root || !matrix_load(a, d, root, "matrix.yaml", dir, &m) ||
	    !lock_parse(a, d, "matrix.lock.json", builtin_lock,
			sizeof builtin_lock - 1, &lf) ||
	    !expand_cells(a, d, &m, &lf, &all))
		abort(); /* the built-in inputs are valid */
	if (hooks_run(a, d, &m, &all))
		plan_build(a, d, &m, &all, &p);
	char *out = NULL;
	FILE *f = open_memstream(&out, len);
	if (!f)
		abort();
	diag_print(d, f, false);
	fclose(f);
	diag_free(d);
	arena_free(a);
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > LIMIT_FILE_BYTES)
		return 0;
	const char *dir = workdir();
	write_hook(dir, data, size);
	size_t len1, len2;
	char *first = run(dir, &len1);
	char *second = run(dir, &len2);
	if (len1 != len2 || memcmp(first, second, len1) != 0) {
		fprintf(stderr, "fuzz_hooks: two runs differ:\n%s\n---\n%s\n",
			first, second);
		abort();
	}
	free(first);
	free(second);
	return 0;
}
