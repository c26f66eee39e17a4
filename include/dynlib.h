/* dynlib.h - libraries loaded with dlopen when first needed.
 *
 * Linking a large library costs every run its loading and relocation,
 * and most commands never call it: `check` runs on every commit, while
 * only `update` downloads (libcurl) and hashes (libcrypto). The modules
 * that wrap those libraries load them through here.
 */
#ifndef MATRIXC_DYNLIB_H
#define MATRIXC_DYNLIB_H

#include <stdbool.h>
#include <stddef.h>

/* dlopen(name); NULL with "cannot load NAME: why" in err. */
void *dynlib_open(const char *name, char *err, size_t errlen);

/* Copy the address of symbol name into the function pointer at fp (size
 * bytes); false, with "NAME lacks a function matrixc needs: why" in err,
 * when the library has no such symbol. */
bool dynlib_sym(void *lib, const char *libname, const char *name, void *fp,
		size_t size, char *err, size_t errlen);

void dynlib_close(void *lib);

#endif
