/* dynlib.h - libraries loaded with dlopen when first needed.
 *
 * Linking a large library costs every run its loading and relocation,
 * and most commands never call it: `check` runs on every commit, while
 * only `update` downloads (libcurl) and checks an old release's md5
 * (libcrypto). The modules that wrap those libraries load them through
 * here.
 */
#ifndef MATRIXC_DYNLIB_H
#define MATRIXC_DYNLIB_H

#include <stddef.h>

/* A function matrixc calls: its symbol, and where in the caller's table
 * of function pointers its address goes (offsetof). */
typedef struct {
	const char *name;
	size_t offset;
} dynlib_fn;

/* An entry of a table of dynlib_fn: function pointer field of struct
 * type api, found as symbol name. */
#define DYNLIB_FN(api, field, name) {name, offsetof(api, field)}

/* dlopen(soname) and fill the n function pointers of api; the handle, or
 * NULL (nothing left open) with "cannot load SONAME: why" or "SONAME lacks
 * a function matrixc needs: NAME" in err. */
void *dynlib_load(const char *soname, void *api, const dynlib_fn *fns,
		  size_t n, char *err, size_t errlen);

void dynlib_close(void *lib);

#endif
