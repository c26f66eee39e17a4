/* emit_docker.c - one multi-stage Dockerfile per cell.
 *
 * The builder stage installs the build packages, downloads the tarball from
 * the lock file's URL (or, when the PYTHON_MIRROR build argument is set,
 * from the same path under that mirror, in python.org's layout), verifies
 * its sha256 in the same step (so a mismatch is the last thing in the
 * build log), configures with
 * the cell's flags, builds, installs and strips, and drops what users never
 * import: the test suite, static libraries, bytecode caches, Tcl/Tk tools.
 * The builder then derives the run-time packages from what it built: ldd
 * over every ELF file under /usr/local, dpkg-query --search on each
 * library it resolves, the packages sorted and unique in RUN_PACKAGES.
 * The runtime stage copies that list, installs exactly those packages
 * (plus the cell's run_packages, which hooks and matrix.yaml add), copies
 * /usr/local and runs a smoke test: no ELF file under /usr/local misses a
 * library, every extension module in lib-dynload imports, so do the
 * modules which silently fail to build when a -dev package is missing, and
 * the commands run. A broken image fails its own build.
 *
 * Values from the cell land in two places: RUN lines (shell-quoted) and
 * ENV/ARG values (Dockerfile-quoted). A newline ends a Dockerfile
 * instruction whatever the quoting, so a value with a control character is
 * refused rather than quoted.
 */
#include <string.h>

#include "contentid.h"
#include "emit.h"
#include "names.h"
#include "oci.h"
#include "quote.h"
#include "sha256.h"

#define PYORG_PREFIX "https://www.python.org/ftp/python/"
#define SRC_DIR "/usr/src/python"
/* the run-time packages the builder derives, one a line */
#define RUN_PACKAGES "/usr/src/run-packages"

/* What the runtime stage always installs besides the derived packages:
 * ca-certificates makes ssl verify anything at all, netbase gives
 * socket.getservbyname its /etc/services, tzdata gives zoneinfo its
 * zones. No library links to them, so ldd cannot find them. */
static const char *const runtime_data[] = {"ca-certificates", "netbase",
					   "tzdata"};

/* What the Dockerfile's own steps run besides the cell's build packages:
 * download (curl, CA certificates), unpack (xz), Debian's hardening flags
 * (dpkg-buildflags, in dpkg-dev), compile, strip. */
static const char *const builder_tools[] = {
    "binutils", "ca-certificates", "curl",     "dpkg-dev", "gcc",
    "libc6-dev", "make",           "pkg-config", "xz-utils"};

/* Modules the smoke test imports: the ones that silently fail to build
 * when a -dev package is missing, with the versions that have them. */
typedef struct {
	const char *name;
	unsigned major, minor; /* first version that has it */
	unsigned last_major;   /* last major version that has it */
} smoke_module;

static const smoke_module smoke_modules[] = {
    {"ssl", 2, 7, 3},         {"_hashlib", 2, 7, 3},
    {"hashlib", 2, 7, 3},     {"sqlite3", 2, 7, 3},
    {"ctypes", 2, 7, 3},      {"zlib", 2, 7, 3},
    {"bz2", 2, 7, 3},         {"lzma", 3, 3, 3},
    {"readline", 2, 7, 3},    {"pyexpat", 2, 7, 3},
    {"_elementtree", 2, 7, 3}, {"_decimal", 3, 3, 3},
    {"_uuid", 3, 7, 3},       {"curses", 2, 7, 3},
    {"gdbm", 2, 7, 2},        {"dbm.gnu", 3, 0, 3},
    {"unicodedata", 2, 7, 3}, {"_json", 2, 7, 3},
    {"zoneinfo", 3, 9, 3},    {"compression.zstd", 3, 14, 3},
    /* Berkeley DB (libdb-dev): 3.x's ndbm, 2.7's dbm and bsddb */
    {"dbm.ndbm", 3, 0, 3},    {"dbm", 2, 7, 2},
    {"bsddb", 2, 7, 2},
};

#define COUNT(a) (sizeof(a) / sizeof *(a))

/* --- the source path under PYTHON_MIRROR ----------------------------- */
/* (The Dockerfile downloads the lock's URL itself unless PYTHON_MIRROR is
 * set: the mirror replaces python.org only when the user asks for it.) */

void emit_mirror_path(buf *out, const char *url)
{
	const char *end = url + strcspn(url, "?#");
	const char *start = url;
	if (strncmp(url, PYORG_PREFIX, strlen(PYORG_PREFIX)) == 0) {
		start = url + strlen(PYORG_PREFIX);
	} else {
		const char *scheme = strstr(url, "://");
		if (scheme && scheme < end)
			start = scheme + 3;
		const char *host_end = memchr(start, '/', (size_t)(end - start));
		start = host_end ? host_end + 1 : end;
		int slashes = 0;
		for (const char *p = end; p > start; p--)
			if (p[-1] == '/' && ++slashes == 2) {
				start = p;
				break;
			}
	}
	buf_add(out, start, (size_t)(end - start));
}

static const char *last_component(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* --- refusing what no quoting can carry ------------------------------ */

static bool has_control(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return true;
	return false;
}

/* Where to point an error about v: its own position, else the cell's. */
static srcpos where(const pstr *v, const cell *c)
{
	return v->at.file ? v->at : c->origin;
}

static bool check_value(emit_ctx *ctx, const cell *c, const pstr *v,
			const char *what)
{
	if (!v->s || !has_control(v->s))
		return true;
	diag_error(ctx->d, where(v, c),
		   "%s of cell '%s' contains a control character, which a "
		   "Dockerfile cannot carry",
		   what, c->tag.s);
	return false;
}

static bool check_list(emit_ctx *ctx, const cell *c, const strlist *l,
		       const char *what)
{
	bool ok = true;
	for (size_t i = 0; i < l->n; i++)
		ok &= check_value(ctx, c, &l->v[i], what);
	return ok;
}

/* NAME=value with a valid NAME (env, build args). */
static bool check_assignments(emit_ctx *ctx, const cell *c, const strlist *l,
			      const char *what)
{
	bool ok = check_list(ctx, c, l, what);
	for (size_t i = 0; i < l->n; i++) {
		const char *s = l->v[i].s;
		const char *eq = strchr(s, '=');
		char name[256];
		size_t n = eq ? (size_t)(eq - s) : 0;
		if (n > 0 && n < sizeof name) {
			memcpy(name, s, n);
			name[n] = '\0';
			if (!name_check_env_name(name))
				continue;
		}
		diag_error(ctx->d, where(&l->v[i], c),
			   "%s '%s' of cell '%s' is not NAME=value", what, s,
			   c->tag.s);
		ok = false;
	}
	return ok;
}

static bool names_a_file(const char *url)
{
	buf path;
	buf_init(&path, 0);
	emit_mirror_path(&path, url);
	bool ok = *last_component(buf_str(&path)) != '\0';
	buf_release(&path);
	return ok;
}

static bool cell_ok(emit_ctx *ctx, const cell *c)
{
	bool ok = check_value(ctx, c, &c->base, "base image");
	ok &= check_value(ctx, c, &c->url, "source URL");
	ok &= check_value(ctx, c, &c->sha256, "source sha256");
	ok &= check_value(ctx, c, &c->get_pip_url, "get-pip URL");
	ok &= check_value(ctx, c, &c->get_pip_sha256, "get-pip sha256");
	ok &= check_list(ctx, c, &c->configure, "configure flag");
	ok &= check_list(ctx, c, &c->make_flags, "make flag");
	ok &= check_list(ctx, c, &c->build_packages, "build package");
	ok &= check_list(ctx, c, &c->run_packages, "run package");
	ok &= check_assignments(ctx, c, &c->env, "env entry");
	ok &= check_assignments(ctx, c, &c->build_args, "build arg");
	if (!c->base.s || !c->url.s || !c->sha256.s) {
		diag_error(ctx->d, c->origin,
			   "cell '%s' has no base image, source URL or sha256",
			   c->tag.s);
		ok = false;
	}
	if (c->base.s && name_check_image(c->base.s)) {
		diag_error(ctx->d, where(&c->base, c),
			   "base image '%s' of cell '%s' is not an image "
			   "reference: %s",
			   c->base.s, c->tag.s, name_check_image(c->base.s));
		ok = false;
	}
	if (c->url.s && !names_a_file(c->url.s)) {
		diag_error(ctx->d, where(&c->url, c),
			   "source URL '%s' of cell '%s' names no file",
			   c->url.s, c->tag.s);
		ok = false;
	}
	if (c->pip.on && c->get_pip_url.s && !c->get_pip_sha256.s) {
		diag_error(ctx->d, where(&c->get_pip_url, c),
			   "cell '%s' downloads get-pip.py without a sha256",
			   c->tag.s);
		diag_note(ctx->d, c->pip.at,
			  "pip is asked for here: set c.get_pip_sha256 = "
			  "\"<sha256 of the get-pip.py you reviewed>\" in a "
			  "hook of your own listed after %s in hooks:, or set "
			  "pip: false",
			  c->get_pip_url.at.file ? c->get_pip_url.at.file
						 : "that hook");
		ok = false;
	}
	return ok;
}

/* --- small writers --------------------------------------------------- */

/* A RUN line ends with "; \" and the next starts with a tab. */
static void step(buf *b, const char *text)
{
	buf_printf(b, "; \\\n\t%s", text);
}

static void proxy_step(buf *b)
{
	step(b, "if [ -n \"$PKG_PROXY\" ]; then export "
		"http_proxy=\"$PKG_PROXY\" https_proxy=\"$PKG_PROXY\"; fi");
}

/* NAME=value as NAME="value" (Dockerfile quoting). */
static void docker_assignment(buf *b, const char *s)
{
	const char *eq = strchr(s, '=');
	buf_add(b, s, (size_t)(eq - s));
	buf_putc(b, '=');
	quote_docker(b, eq + 1);
}

static void env_lines(buf *b, const cell *c)
{
	for (size_t i = 0; i < c->env.n; i++) {
		buf_puts(b, i ? " \\\n\t" : "ENV ");
		docker_assignment(b, c->env.v[i].s);
	}
	if (c->env.n)
		buf_putc(b, '\n');
}

/* Words wrapped at about 72 columns, each shell-quoted when needed, every
 * continuation line starting with two tabs. */
typedef struct {
	buf *b;
	size_t col;
} wrapper;

static void wrap_word(wrapper *w, const char *s)
{
	size_t len = strlen(s) + 1;
	if (w->col + len > 72) {
		buf_puts(w->b, " \\\n\t\t");
		w->col = 16;
	} else {
		buf_putc(w->b, ' ');
	}
	quote_sh_word(w->b, s);
	w->col += len;
}

static bool in_array(const char *const *a, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(a[i], s) == 0)
			return true;
	return false;
}

static bool earlier_in_list(const strlist *l, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (strcmp(l->v[j].s, l->v[i].s) == 0)
			return true;
	return false;
}

/* apt-get install of tools then list, each package once, in that order.
 * Package lists and apt's caches (70 MB on bookworm) go in the same step,
 * so no layer keeps them, whatever the base image's apt configuration. */
static void apt_install(buf *b, const char *const *tools, size_t ntools,
			const strlist *list, const char *derived)
{
	wrapper w = {b, 72}; /* the first package starts a new line */
	if (ntools + list->n == 0 && !derived)
		return;
	buf_puts(b, "RUN set -eu");
	proxy_step(b);
	step(b, "apt-get update");
	step(b, "DEBIAN_FRONTEND=noninteractive apt-get install -y "
		"--no-install-recommends");
	for (size_t i = 0; i < ntools; i++)
		wrap_word(&w, tools[i]);
	for (size_t i = 0; i < list->n; i++)
		if (!in_array(tools, ntools, list->v[i].s) &&
		    !earlier_in_list(list, i))
			wrap_word(&w, list->v[i].s);
	if (derived) /* the list file's words: package names, unquoted */
		buf_printf(b, " \\\n\t\t$(cat %s)", derived);
	step(b, "apt-get clean");
	buf_printf(b, "; \\\n\trm -rf /var/lib/apt/lists/*%s%s\n",
		   derived ? " " : "", derived ? derived : "");
}

/* --- builder stage --------------------------------------------------- */

/* FROM image:tag@sha256:... when the lock pins the base: the tag stays
 * for people, the digest decides what is pulled. */
static void from_line(buf *b, const cell *c)
{
	buf_puts(b, "\nFROM ");
	buf_puts(b, c->base.s);
	if (c->base_digest) {
		buf_putc(b, '@');
		buf_puts(b, c->base_digest);
	}
}

static void builder_head(buf *b, const cell *c)
{
	from_line(b, c);
	buf_puts(b, " AS builder\n");
	buf_puts(b, "ARG PKG_PROXY=\"\"\n");
	/* empty: the lock's URL; else a mirror in python.org's layout */
	buf_puts(b, "ARG PYTHON_MIRROR=\"\"\n");
	for (size_t i = 0; i < c->build_args.n; i++) {
		buf_puts(b, "ARG ");
		docker_assignment(b, c->build_args.v[i].s);
		buf_putc(b, '\n');
	}
	env_lines(b, c);
	apt_install(b, builder_tools, COUNT(builder_tools), &c->build_packages,
		    NULL);
}

/* echo 'SHA  FILE' | sha256sum -c - */
static void verify_step(buf *b, const char *sha, const char *file)
{
	buf line;
	buf_init(&line, 0);
	buf_printf(&line, "%s  %s", sha, file);
	buf_puts(b, "; \\\n\techo ");
	quote_sh(b, buf_str(&line));
	buf_puts(b, " | sha256sum -c -");
	buf_release(&line);
}

/* The lock's URL, unless PYTHON_MIRROR is set. File names go after "--"
 * wherever a command takes operands (the lock loader already refuses a
 * name that is not Python-VERSION.EXT, so this is a second fence). */
static void download(buf *b, const cell *c)
{
	buf path;
	buf_init(&path, 0);
	emit_mirror_path(&path, c->url.s);
	const char *file = last_component(buf_str(&path));
	buf_puts(b, "\n# Fetch and verify the source (the lock file's URL, or "
		    "the same file under\n# PYTHON_MIRROR when it is set); a "
		    "sha256 mismatch stops the build here.\n");
	buf_puts(b, "WORKDIR /usr/src\n");
	buf_puts(b, "RUN set -eu");
	proxy_step(b);
	buf_puts(b, "; \\\n\turl=");
	quote_sh(b, c->url.s);
	buf_puts(b, "; \\\n\tif [ -n \"$PYTHON_MIRROR\" ]; then "
		    "url=\"${PYTHON_MIRROR%/}\"/");
	quote_sh_word(b, buf_str(&path));
	buf_puts(b, "; fi; \\\n\tcurl -fsSL --retry 3 -o ");
	quote_sh_word(b, file);
	buf_puts(b, " -- \"$url\"");
	verify_step(b, c->sha256.s, file);
	buf_puts(b, "; \\\n\tmkdir " SRC_DIR "; \\\n\ttar -xf ");
	quote_sh_word(b, file);
	buf_puts(b, " -C " SRC_DIR " --strip-components=1; \\\n\trm -f -- ");
	quote_sh_word(b, file);
	buf_putc(b, '\n');
	buf_release(&path);
}

static bool has_prefix_flag(const strlist *l, const char *prefix)
{
	for (size_t i = 0; i < l->n; i++)
		if (strncmp(l->v[i].s, prefix, strlen(prefix)) == 0)
			return true;
	return false;
}

/* Does a CFLAGS=... configure flag ask for frame pointers? (quirks.lua
 * adds it from 3.12, where perf can use them.) */
static bool wants_frame_pointers(const cell *c)
{
	for (size_t i = 0; i < c->configure.n; i++) {
		const char *s = c->configure.v[i].s;
		if (strncmp(s, "CFLAGS=", 7) == 0 &&
		    strstr(s, "-fno-omit-frame-pointer"))
			return true;
	}
	return false;
}

/* make -j N with the hardening flags, then the cell's make flags. */
static void make_line(buf *b, const cell *c, const char *ldflags_extra,
		      const char *target)
{
	buf_printf(b, "; \\\n\tmake -j \"$(nproc)\" \"EXTRA_CFLAGS=$EXTRA_CFLAGS\" "
		      "\"LDFLAGS=$LDFLAGS%s\"",
		   ldflags_extra);
	for (size_t i = 0; i < c->make_flags.n; i++) {
		buf_putc(b, ' ');
		quote_sh_word(b, c->make_flags.v[i].s);
	}
	buf_puts(b, target);
}

/* configure, then make with Debian's hardening flags (dpkg-buildflags:
 * the stack protector, format checks, RELRO), passed to make as
 * EXTRA_CFLAGS and LDFLAGS as the official images do, so that they build
 * CPython without landing in sysconfig, where every C extension users
 * build later would inherit them. Every version from 2.7 on has
 * EXTRA_CFLAGS. Then the python binary is linked again with an rpath of
 * $ORIGIN/../lib, so that it loads its own libpython, never another one
 * of the same version elsewhere on the library path: "\$\$" is "$$" for
 * make after the shell's double quotes, and "$" for the linker. */
static void configure(buf *b, const cell *c)
{
	buf_puts(b, "RUN set -eu; \\\n\t./configure");
	/* Unknown options are fatal, so a flag a version does not know
	 * fails the build instead of being ignored with a warning. */
	if (!has_prefix_flag(&c->configure, "--enable-option-checking") &&
	    !has_prefix_flag(&c->configure, "--disable-option-checking"))
		buf_puts(b, " \\\n\t\t--enable-option-checking=fatal");
	for (size_t i = 0; i < c->configure.n; i++) {
		buf_puts(b, " \\\n\t\t");
		quote_sh_word(b, c->configure.v[i].s);
	}
	step(b, "EXTRA_CFLAGS=\"$(dpkg-buildflags --get CFLAGS)\"");
	step(b, "LDFLAGS=\"$(dpkg-buildflags --get LDFLAGS)\"");
	/* Where the compiler has it, keep the frame pointer in leaf
	 * functions too, so that perf's stacks miss no frame. */
	if (wants_frame_pointers(c))
		step(b, "case \"$(dpkg --print-architecture)\" in \\\n"
			"\t\tamd64 | arm64) EXTRA_CFLAGS=\"$EXTRA_CFLAGS "
			"-mno-omit-leaf-frame-pointer\" ;; \\\n\tesac");
	make_line(b, c, "", "");
	step(b, "rm python");
	make_line(b, c, " -Wl,-rpath='\\$\\$ORIGIN/../lib'", " python");
	step(b, "make install\n");
}

/* 3.x installs python3, pydoc3, python3-config (and pip3): the
 * unversioned names scripts and users call, as the official images. A
 * step of its own, so that the configure step is configure and make only. */
static void command_links(buf *b, const cell *c)
{
	if (c->version.major < 3)
		return;
	buf_printf(b, "\n# The commands users call: python, pydoc, python-config"
		      "%s.\n", c->pip.on ? ", pip" : "");
	buf_puts(b, "RUN set -eu");
	step(b, "ln -s python3 /usr/local/bin/python");
	step(b, "ln -s pydoc3 /usr/local/bin/pydoc");
	step(b, "ln -s python3-config /usr/local/bin/python-config");
	if (c->pip.on)
		step(b, "if [ ! -e /usr/local/bin/pip ]; then "
			"ln -s pip3 /usr/local/bin/pip; fi");
	buf_putc(b, '\n');
}

static const char *python_bin(const cell *c)
{
	return c->version.major >= 3 ? "python3" : "python";
}

/* 2.7: pip from get-pip.py, verified like the source. */
static void get_pip(buf *b, const cell *c)
{
	if (!c->pip.on || !c->get_pip_url.s)
		return;
	buf_puts(b, "RUN set -eu");
	proxy_step(b);
	/* a shared libpython must be found before python can run */
	step(b, "ldconfig");
	buf_puts(b, "; \\\n\tcurl -fsSL --retry 3 -o /usr/src/get-pip.py ");
	quote_sh_word(b, c->get_pip_url.s);
	verify_step(b, c->get_pip_sha256.s, "/usr/src/get-pip.py");
	buf_printf(b, "; \\\n\t/usr/local/bin/%s /usr/src/get-pip.py "
		      "--disable-pip-version-check --no-cache-dir",
		   python_bin(c));
	step(b, "rm -f /usr/src/get-pip.py\n");
}

/* Strip every ELF file, then drop what users never import. Bytecode is
 * dropped too, as the official images do: make install writes it at three
 * optimization levels, and Python compiles what a program imports. Under
 * site-packages (pip) only bytecode goes. */
static void cleanup(buf *b, const cell *c)
{
	/* 2.7's Tk is lib-tk; its ensurepip is dead weight once get-pip (or
	 * nothing) installed pip. 3.x keeps ensurepip: venv needs it. */
	const char *py2_dirs = c->version.major < 3
				   ? " -o -name lib-tk -o -name ensurepip"
				   : "";
	buf_puts(b, "\n# Strip, and drop what users never import.\n");
	buf_puts(b, "WORKDIR /\nRUN set -eu");
	step(b, "rm -rf " SRC_DIR);
	step(b, "find /usr/local -type f \\( -name '*.so' -o -name '*.so.*' "
		"-o -path '/usr/local/bin/*' \\) \\\n\t\t-exec sh -c 'for f; do "
		"if readelf -h \"$f\" >/dev/null 2>&1; then "
		"strip --strip-unneeded \"$f\"; fi; done' sh {} +");
	step(b, "find /usr/local/lib -path '*/site-packages' -prune -o \\( \\\n"
		"\t\t\\( -type d \\( -name test -o -name tests -o -name "
		"idle_test -o -name idlelib \\\n"
		"\t\t\t-o -name tkinter -o -name turtledemo");
	buf_puts(b, py2_dirs);
	buf_puts(b, " \\) \\) \\\n"
		"\t\t-o \\( -type f \\( -name '*.a' -o -name 'turtle.py' \\) "
		"\\) \\\n"
		"\t\t-o \\( -path '*/lib-dynload/*' -type f \\( -name '_test*' "
		"-o -name '_ctypes_test*' \\\n"
		"\t\t\t-o -name 'xxlimited*' -o -name '_xxtestfuzz*' \\) \\) "
		"\\) -exec rm -rf {} +");
	step(b, "find /usr/local \\( -name __pycache__ -o -name '*.py[co]' \\) "
		"-exec rm -rf {} +");
	step(b, "rm -rf /usr/local/share/man /usr/local/bin/idle*");
	/* the rpath the relink gave python survived strip */
	step(b, "readelf -d \"$(readlink -f /usr/local/bin/python)\" "
		"| grep -F '[$ORIGIN/../lib]'\n");
}

/* The run-time packages: the Debian packages of the libraries that the
 * built files link to, as ldd resolves them (libpython and the like under
 * /usr/local are ours). dpkg knows a library by the path its package
 * ships, /lib/... or /usr/lib/..., so each is looked up as a pattern that
 * matches both. A library no package owns is left out, and the run
 * stage's smoke test then fails on it. */
static void derive_run_packages(buf *b)
{
	buf_puts(b, "\n# The run-time packages: those of the libraries the "
		    "built files link to.\n");
	buf_puts(b, "RUN set -eu");
	step(b, "ldconfig");
	step(b, "find /usr/local -type f \\( -name '*.so' -o -name '*.so.*' "
		"-o -path '/usr/local/bin/*' \\) \\\n"
		"\t\t-exec ldd {} + 2>/dev/null \\\n"
		"\t| awk '$2 == \"=>\" && $3 ~ /^\\// && "
		"index($3, \"/usr/local/\") != 1 \\\n"
		"\t\t{ sub(/^\\/usr\\//, \"/\", $3); print \"*\" $3 }' \\\n"
		"\t| sort -u | xargs -r dpkg-query --search | cut -d: -f1 "
		"| sort -u >" RUN_PACKAGES);
	step(b, "test -s " RUN_PACKAGES);
	step(b, "cat " RUN_PACKAGES "\n");
}

static void builder(buf *b, const cell *c)
{
	builder_head(b, c);
	download(b, c);
	buf_puts(b, "\nWORKDIR " SRC_DIR "\n");
	configure(b, c);
	command_links(b, c);
	get_pip(b, c);
	cleanup(b, c);
	derive_run_packages(b);
}

/* --- runtime stage --------------------------------------------------- */

static bool has_module(const smoke_module *m, const pyversion *v)
{
	if (v->major > m->last_major)
		return false;
	return v->major > m->major ||
	       (v->major == m->major && v->minor >= m->minor);
}

static void smoke_test(buf *b, const cell *c)
{
	const char *py = python_bin(c);
	const char *sep = "import ";
	buf mods;
	buf_init(&mods, 0);
	for (size_t i = 0; i < COUNT(smoke_modules); i++) {
		if (!has_module(&smoke_modules[i], &c->version))
			continue;
		buf_printf(&mods, "%s%s", sep, smoke_modules[i].name);
		sep = ", ";
	}
	buf_puts(b, "RUN set -eu");
	/* The smoke test must not leave bytecode in the layer. */
	step(b, "export PYTHONDONTWRITEBYTECODE=1");
	step(b, "ldconfig");
	/* every ELF file resolves every library it links to */
	step(b, "find /usr/local -type f \\( -name '*.so' -o -name '*.so.*' "
		"-o -path '/usr/local/bin/*' \\) \\\n"
		"\t\t-exec sh -c 'for f; do if ldd \"$f\" 2>/dev/null | "
		"grep \"not found\"; then \\\n"
		"\t\t\techo \"$f misses a library\" >&2; exit 1; fi; done' "
		"sh {} +");
	/* the commands, and the version they run */
	const char *cmds = c->version.major >= 3 ? "python python3" : "python";
	buf_printf(b, "; \\\n\tfor p in %s; do \\\n"
		      "\t\tv=\"$(\"$p\" -c 'import platform; "
		      "print(platform.python_version())')\"; \\\n"
		      "\t\tif [ \"$v\" != ",
		   cmds);
	quote_sh_word(b, c->version_str);
	buf_puts(b, " ]; then echo \"$p is $v, not\" ");
	quote_sh_word(b, c->version_str);
	buf_puts(b, " >&2; exit 1; fi; \\\n\tdone");
	/* every extension module built imports (the test modules are gone) */
	buf_printf(b, "; \\\n\tfor f in /usr/local/lib/python*/lib-dynload/*.so; "
		      "do \\\n"
		      "\t\tm=\"${f##*/}\"; m=\"${m%%%%.*}\"; \\\n"
		      "\t\t%s -c \"import $m\" || "
		      "{ echo \"cannot import $m\" >&2; exit 1; }; \\\n"
		      "\tdone",
		   py);
	/* and the modules that are not built when a -dev package is missing */
	buf_printf(b, "; \\\n\t%s -B -c ", py);
	quote_sh(b, buf_str(&mods));
	buf_release(&mods);
	/* socket has AF_BLUETOOTH only when built with libbluetooth-dev */
	buf_printf(b, "; \\\n\t%s -c 'import socket; socket.AF_BLUETOOTH'", py);
	if (c->pip.on) {
		buf_printf(b, "; \\\n\t%s -m pip --version", py);
		step(b, "pip --version");
	} else {
		buf_printf(b, "; \\\n\tif %s -c 'import pip' 2>/dev/null; "
			      "then echo 'pip is present but the variant has "
			      "none' >&2; exit 1; fi",
			   py);
	}
	if (c->version.major >= 3) {
		step(b, "python -m venv /tmp/venv");
		step(b, "/tmp/venv/bin/python -c 'import sys; "
			"assert sys.prefix != sys.base_prefix'");
		step(b, "rm -rf /tmp/venv");
	}
	buf_putc(b, '\n');
}

/* --- OCI labels ------------------------------------------------------ */

static void label(buf *b, const char *key, const char *value)
{
	buf_puts(b, " \\\n\torg.opencontainers.image.");
	buf_puts(b, key);
	buf_putc(b, '=');
	quote_docker(b, value);
}

/* The standard labels, last in the image, after every step that takes
 * long: REVISION and CREATED change on every commit, and a build
 * argument's new value misses the cache of every step after its ARG.
 * No timestamp here: CREATED is empty unless the build passes one. */
static void labels(buf *b, const plan *p, const cell *c)
{
	const matrix *m = p->m;
	buf base;
	buf_init(&base, 0);
	oci_qualified_name(&base, c->base.s);
	buf_puts(b, "# org.opencontainers.image.revision and .created: "
		    "--build-arg REVISION=<commit> CREATED=<RFC 3339 time>\n");
	buf_puts(b, "ARG REVISION=\"\"\nARG CREATED=\"\"\n");
	buf_puts(b, "LABEL org.opencontainers.image.title=");
	quote_docker(b, m->image.s ? m->image.s : "python");
	label(b, "version", c->tag.s);
	if (m->label_source.s)
		label(b, "source", m->label_source.s);
	label(b, "url", m->label_url.s ? m->label_url.s
				       : "https://www.python.org/");
	label(b, "licenses", "PSF-2.0");
	label(b, "base.name", buf_str(&base));
	if (c->base_digest)
		label(b, "base.digest", c->base_digest);
	buf_puts(b, " \\\n\torg.opencontainers.image.revision=\"${REVISION}\""
		    " \\\n\torg.opencontainers.image.created=\"${CREATED}\"\n");
	buf_release(&base);
}

static void runtime(buf *b, const plan *p, const cell *c)
{
	from_line(b, c);
	buf_puts(b, "\nARG PKG_PROXY=\"\"\n");
	/* scripts written for the official images read it */
	buf_puts(b, "ENV PYTHON_VERSION=");
	quote_docker(b, c->version_str);
	buf_putc(b, '\n');
	env_lines(b, c);
	buf_puts(b, "COPY --from=builder " RUN_PACKAGES " " RUN_PACKAGES "\n");
	apt_install(b, runtime_data, COUNT(runtime_data), &c->run_packages,
		    RUN_PACKAGES);
	buf_puts(b, "COPY --from=builder /usr/local /usr/local\n");
	smoke_test(b, c);
	labels(b, p, c);
	buf_printf(b, "CMD [\"%s\"]\n", python_bin(c));
}

/* --- the emitter ----------------------------------------------------- */

static void dockerfile_cell(emit_ctx *ctx, const cell *c)
{
	if (!cell_ok(ctx, c))
		return;
	buf *b = outset_add(ctx->out, c->dockerfile);
	emit_header(b, ctx->p);
	buf_printf(b, "# CPython %s, variant %s (PGO %s, LTO %s, pip %s)\n",
		   c->version_str, c->variant->name.s, c->pgo.on ? "on" : "off",
		   c->lto.on ? "on" : "off", c->pip.on ? "on" : "off");
	builder(b, c);
	runtime(b, ctx->p, c);
	/* last, so that a changed identity changes no layer's cache key
	 * but its own */
	contentid_write(b, c);
}

const emitter emit_dockerfile = {"Dockerfile", NULL, dockerfile_cell, NULL};
