/* frozen.h - the shipped hook files, compiled when matrixc was built.
 *
 * The build compiles each lua/NAME.lua with src/gen/freeze.c into
 * $(BUILD)/gen/frozen.c. Compiling the two shipped files costs about a
 * million instructions, a tenth of a `check` on the shipped
 * matrix; loading their compiled chunks costs about a ninth of that. hooks.c
 * uses a chunk only for a hook file listed by the same path whose text is
 * byte-for-byte the frozen text, and only when the Lua library it runs
 * with is the one that compiled it (frozen_lua == lua_ident); anything
 * else is compiled as usual, with the same result.
 */
#ifndef MATRIXC_FROZEN_H
#define MATRIXC_FROZEN_H

#include <stddef.h>

typedef struct {
	const char *name;          /* "lua/quirks.lua" */
	const unsigned char *text; /* the file it was compiled from */
	size_t len;
	const unsigned char *code; /* lua_dump of it, lines kept, locals'
				    * names dropped (freeze.c) */
	size_t code_len;
} frozen_hook;

extern const frozen_hook frozen_hooks[];
extern const size_t frozen_nhooks;
extern const char frozen_lua[]; /* lua_ident of the Lua that compiled them */

#endif
