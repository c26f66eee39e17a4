/* dynlib.c - libraries loaded with dlopen when first needed. */
#include "dynlib.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

void *dynlib_open(const char *name, char *err, size_t errlen)
{
	void *lib = dlopen(name, RTLD_NOW | RTLD_LOCAL);
	if (!lib)
		snprintf(err, errlen, "cannot load %s: %s", name, dlerror());
	return lib;
}

/* POSIX allows a function pointer from dlsym; C needs the copy spelled
 * out. */
bool dynlib_sym(void *lib, const char *libname, const char *name, void *fp,
		size_t size, char *err, size_t errlen)
{
	void *p = dlsym(lib, name);
	if (!p) {
		snprintf(err, errlen, "%s lacks a function matrixc needs: %s",
			 libname, name);
		return false;
	}
	memcpy(fp, &p, size);
	return true;
}

void dynlib_close(void *lib)
{
	if (lib)
		dlclose(lib);
}
