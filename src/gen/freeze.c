/* freeze.c - a build tool: compile the shipped hook files into C.
 *
 *   freeze OUT.c lua/python2.lua lua/quirks.lua ...
 *
 * Writes OUT.c (see frozen.h): each file's text and its compiled chunk
 * (lua_dump with the line information, under the chunk name "@" + the path
 * as given, which is how hooks.c names a hook file listed by that path;
 * without the names of locals, see drop_locals), and
 * the lua_ident of the Lua that compiled them. hooks.c loads a chunk from
 * here instead of compiling a hook file whose path and text are exactly
 * these, and only with that same Lua. The chunks come from this build's
 * own sources, so they are as trusted as the binary.
 */
#include <lauxlib.h>
#include <lua.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	unsigned char *p;
	size_t len, cap;
} bytes;

static char *tmp_path; /* the output being written, removed on failure */

static void die(const char *what, const char *why)
{
	fprintf(stderr, "freeze: %s: %s\n", what, why);
	if (tmp_path)
		remove(tmp_path);
	exit(1);
}

static void put(bytes *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			die("memory", strerror(errno));
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static int writer(lua_State *L, const void *p, size_t n, void *ud)
{
	(void)L;
	put(ud, p, n);
	return 0;
}

static void read_file(const char *path, bytes *b)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		die(path, strerror(errno));
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		put(b, chunk, n);
	if (ferror(f))
		die(path, "read error");
	fclose(f);
}

/* --- dropping the names of locals ---------------------------------------- */

/* Loading a chunk interns every string in it, and a third of them are the
 * names of locals, which only a Lua error message in the shipped hooks
 * would show ("local 'c'", or a function called through a local, which a
 * call's notes then name by its line). The chunk is rewritten without
 * them; the code, constants, line information and upvalue names (which
 * name a function called through an upvalue, as the shipped hooks call
 * their helpers) stay. The format is Lua 5.4's (lundump.c), checked
 * by its header; the result is loaded again below before it is used. */
typedef struct {
	const unsigned char *p, *end;
	const char *path;
	size_t isize, nsize; /* bytes of an instruction, of a number */
} chunk;

static unsigned char byte(chunk *c)
{
	if (c->p >= c->end)
		die(c->path, "compiled chunk ends early");
	return *c->p++;
}

static void skip(chunk *c, size_t n)
{
	if ((size_t)(c->end - c->p) < n)
		die(c->path, "compiled chunk ends early");
	c->p += n;
}

/* lundump.c's loadSize: 7 bits a byte, the last byte's top bit set */
static size_t varint(chunk *c)
{
	size_t x = 0;
	unsigned char b;
	do {
		if (x >> (sizeof x * 8 - 7))
			die(c->path, "compiled chunk has a size too large");
		b = byte(c);
		x = x << 7 | (b & 0x7f);
	} while (!(b & 0x80));
	return x;
}

static void string(chunk *c)
{
	size_t n = varint(c); /* 0: none, else the length + 1 */
	if (n)
		skip(c, n - 1);
}

/* Copy the function at c into out, its locals left out. */
static void function(chunk *c, bytes *out)
{
	const unsigned char *from = c->p;
	string(c);             /* source */
	varint(c);             /* linedefined */
	varint(c);             /* lastlinedefined */
	skip(c, 3);            /* numparams, is_vararg, maxstacksize */
	size_t n = varint(c);  /* code */
	if (n > (size_t)(c->end - c->p) / c->isize)
		die(c->path, "compiled chunk ends early");
	skip(c, n * c->isize);
	for (n = varint(c); n > 0; n--) { /* constants, by type tag */
		switch (byte(c)) {
		case 0x00: case 0x01: case 0x11: /* nil, false, true */
			break;
		case 0x03: case 0x13: /* integer, float */
			skip(c, c->nsize);
			break;
		case 0x04: case 0x14: /* short, long string */
			string(c);
			break;
		default:
			die(c->path, "compiled chunk has an unknown constant");
		}
	}
	n = varint(c); /* upvalues: instack, idx, kind */
	if (n > (size_t)(c->end - c->p) / 3)
		die(c->path, "compiled chunk ends early");
	skip(c, 3 * n);
	for (n = varint(c); n > 0; n--) { /* nested functions */
		put(out, from, (size_t)(c->p - from));
		function(c, out);
		from = c->p;
	}
	skip(c, varint(c)); /* line information */
	for (n = varint(c); n > 0; n--) { /* absolute line information */
		varint(c);
		varint(c);
	}
	put(out, from, (size_t)(c->p - from));
	for (n = varint(c); n > 0; n--) { /* locals: name, startpc, endpc */
		string(c);
		varint(c);
		varint(c);
	}
	put(out, "\x80", 1); /* none */
	from = c->p;
	for (n = varint(c); n > 0; n--) /* upvalue names */
		string(c);
	put(out, from, (size_t)(c->p - from));
}

/* Chunk code of lua_dump, without the names of locals, into out. */
static void drop_locals(const char *path, const bytes *code, bytes *out)
{
	/* signature, version 5.4, format 0, LUAC_DATA; then the sizes of an
	 * instruction, a lua_Integer and a lua_Number, LUAC_INT and LUAC_NUM
	 * (checked by lua_load), and the main function's upvalue count */
	static const unsigned char head[] = "\x1bLua\x54\x00\x19\x93\r\n\x1a\n";
	size_t hlen = sizeof head - 1;
	chunk c = {code->p, code->p + code->len, path, 0, 0};
	if (code->len < hlen + 3 || memcmp(code->p, head, hlen) != 0)
		die(path, "compiled chunk is not Lua 5.4's format 0");
	c.isize = code->p[hlen];
	c.nsize = code->p[hlen + 1];
	if (c.isize == 0 || c.nsize != code->p[hlen + 2])
		die(path, "compiled chunk has unexpected sizes");
	skip(&c, hlen + 3 + 2 * c.nsize + 1);
	put(out, code->p, (size_t)(c.p - code->p));
	function(&c, out);
	if (c.p != c.end)
		die(path, "compiled chunk has bytes after its main function");
}

/* s as the text of a C string literal */
static void cstr(FILE *out, const char *s)
{
	for (; *s; s++)
		fprintf(out, *s == '"' || *s == '\\' ? "\\%c" : "%c", *s);
}

static void array(FILE *out, const char *name, const bytes *b)
{
	fprintf(out, "static const unsigned char %s[] = {", name);
	for (size_t i = 0; i < b->len; i++)
		fprintf(out, "%s0x%02x,", i % 12 ? " " : "\n\t", b->p[i]);
	fprintf(out, "\n};\n\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: freeze OUT.c FILE...\n");
		return 2;
	}
	size_t tmplen = strlen(argv[1]) + 5;
	char *tmp = malloc(tmplen);
	if (!tmp)
		die("memory", strerror(errno));
	snprintf(tmp, tmplen, "%s.tmp", argv[1]);
	FILE *out = fopen(tmp, "w");
	if (!out)
		die(tmp, strerror(errno));
	tmp_path = tmp;
	lua_State *L = luaL_newstate();
	if (!L)
		die("lua", "cannot create a state");
	fprintf(out, "/* GENERATED by src/gen/freeze.c from the shipped hook "
		     "files: see frozen.h. */\n#include \"frozen.h\"\n\n");
	for (int i = 2; i < argc; i++) {
		bytes text = {0}, dumped = {0}, code = {0};
		read_file(argv[i], &text);
		lua_pushfstring(L, "@%s", argv[i]);
		if (luaL_loadbufferx(L, (const char *)text.p, text.len,
				     lua_tostring(L, -1), "t") != LUA_OK)
			die(argv[i], lua_tostring(L, -1));
		lua_dump(L, writer, &dumped, 0);
		drop_locals(argv[i], &dumped, &code);
		if (luaL_loadbufferx(L, (const char *)code.p, code.len,
				     lua_tostring(L, -2), "b") != LUA_OK)
			die(argv[i], lua_tostring(L, -1));
		lua_pop(L, 3);
		free(dumped.p);
		char name[32];
		snprintf(name, sizeof name, "text%d", i - 2);
		array(out, name, &text);
		snprintf(name, sizeof name, "code%d", i - 2);
		array(out, name, &code);
		free(text.p);
		free(code.p);
	}
	fprintf(out, "const frozen_hook frozen_hooks[] = {\n");
	for (int i = 2; i < argc; i++) {
		fprintf(out, "\t{\"");
		cstr(out, argv[i]);
		fprintf(out, "\", text%d, sizeof text%d, code%d, sizeof code%d},\n",
			i - 2, i - 2, i - 2, i - 2);
	}
	if (argc == 2)
		fprintf(out, "\t{0},\n");
	fprintf(out, "};\n\nconst size_t frozen_nhooks = %d;\n\n"
		     "const char frozen_lua[] = \"", argc - 2);
	cstr(out, lua_ident);
	fprintf(out, "\";\n");
	lua_close(L);
	if (fclose(out) != 0 || rename(tmp, argv[1]) != 0)
		die(argv[1], strerror(errno));
	free(tmp);
	return 0;
}
