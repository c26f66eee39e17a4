/* dynlib.c - libraries loaded with dlopen when first needed. */
#include "dynlib.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

void *dynlib_load(const char *soname, void *api, const dynlib_fn *fns,
		  size_t n, char *err, size_t errlen)
{
	/* RTLD_NODELETE: dlclose leaves the library mapped until exit.
	 * Unmapping libcurl's TLS backends, which keep thread-local data,
	 * leaves stale dynamic-TLS entries that LeakSanitizer's exit scan
	 * crashes on ("Tracer caught signal 11"); nothing is gained by
	 * unmapping a library just before exit. */
	void *lib = dlopen(soname, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
	if (!lib) {
		snprintf(err, errlen, "cannot load %s: %s", soname, dlerror());
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		void *p = dlsym(lib, fns[i].name);
		if (!p) {
			snprintf(err, errlen, "%s lacks a function matrixc "
				 "needs: %s", soname, fns[i].name);
			dlclose(lib);
			return NULL;
		}
		/* POSIX allows a function pointer from dlsym, of the size of
		 * any other; C needs the copy spelled out */
		memcpy((char *)api + fns[i].offset, &p, sizeof p);
	}
	return lib;
}

void dynlib_close(void *lib)
{
	if (lib)
		dlclose(lib);
}
