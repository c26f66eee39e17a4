/* diag.c - collecting and printing diagnostics.
 *
 * The printed form follows compilers (chibicc, gcc):
 *
 *   matrix.yaml:4:3: error: unknown key 'varients' (did you mean 'variants'?)
 *       4 | varients:
 *         | ^
 *
 * Tabs in the quoted line are kept so that the caret lines up, and control
 * characters are shown as '?', so a hostile input cannot drive the terminal.
 * "Control characters" are more than C0 here: C1, the line and paragraph
 * separators, the bidirectional and invisible formatting characters (which
 * reorder or hide what the terminal shows: "Trojan Source") and bytes that
 * are not UTF-8. In a message each is escaped (\x1b, \u202e, \xff); in a
 * quoted line it is one '?', and the caret counts characters, as libyaml's
 * columns do.
 */
#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

#define MSG_MAX 1024

struct source {
	char *name, *text;
	size_t len;
};

struct entry {
	diag_level level;
	srcpos at;
	char *file; /* copy of at.file: the caller's string may not outlive us */
	char *msg;
};

struct diag {
	struct entry *v;
	size_t n, cap_alloc;
	unsigned cap, errors, dropped;
	struct source *src;
	size_t nsrc;
};

static char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	return memcpy(xrealloc(NULL, n), s, n);
}

diag *diag_new(unsigned cap)
{
	diag *d = xrealloc(NULL, sizeof *d);
	memset(d, 0, sizeof *d);
	d->cap = cap ? cap : 50;
	return d;
}

static void diag_clear(diag *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].file);
		free(d->v[i].msg);
	}
	d->n = 0;
	d->errors = d->dropped = 0;
}

void diag_free(diag *d)
{
	if (!d)
		return;
	diag_clear(d);
	free(d->v);
	for (size_t i = 0; i < d->nsrc; i++) {
		free(d->src[i].name);
		free(d->src[i].text);
	}
	free(d->src);
	free(d);
}

void diag_add_source(diag *d, const char *name, const char *text, size_t len)
{
	d->src = xrealloc(d->src, (d->nsrc + 1) * sizeof *d->src);
	struct source *s = &d->src[d->nsrc++];
	s->name = xstrdup(name);
	s->text = xrealloc(NULL, len + 1);
	memcpy(s->text, text, len);
	s->text[len] = '\0';
	s->len = len;
}

size_t diag_utf8_char(const unsigned char *p, size_t avail, uint32_t *cp)
{
	static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
	size_t n = p[0] < 0x80 ? 1 : p[0] >= 0xc2 && p[0] <= 0xdf ? 2
				 : (p[0] & 0xf0) == 0xe0	   ? 3
				 : p[0] >= 0xf0 && p[0] <= 0xf4 ? 4
								 : 0;
	if (n == 0 || n > avail)
		return 0;
	uint32_t c = n == 1 ? p[0] : p[0] & (0x7f >> n);
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	if (c < min[n] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

/* A character a terminal must not be given as it is: C0 and DEL, C1
 * (NEL among them), the line and paragraph separators, and the
 * bidirectional and invisible formatting characters. */
static bool unsafe_char(uint32_t c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x61c ||
	       (c >= 0x200b && c <= 0x200f) || (c >= 0x2028 && c <= 0x202e) ||
	       (c >= 0x2060 && c <= 0x2069) || c == 0xfeff;
}

/* A value quoted from the input (a hook's string, a lock file's field)
 * must not forge lines of the report or drive the terminal: unsafe
 * characters are written as \n, \xNN or \uNNNN, a byte that is not
 * UTF-8 as \xNN. out has room for 4 bytes per byte of in (\uNNNN
 * stands for at least 2 bytes). */
static void escape_controls(const char *in, char *out)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)in;
	const unsigned char *end = p + strlen(in);
	while (p < end) {
		uint32_t c = 0;
		size_t n = diag_utf8_char(p, (size_t)(end - p), &c);
		if (n && !unsafe_char(c)) {
			memcpy(out, p, n);
			out += n;
		} else if (n && c == '\n') {
			*out++ = '\\';
			*out++ = 'n';
		} else if (n && c >= 0x80) {
			*out++ = '\\';
			*out++ = 'u';
			for (int shift = 12; shift >= 0; shift -= 4)
				*out++ = hex[(c >> shift) & 15];
		} else {
			/* a C0 byte, DEL, or a byte that is not UTF-8 */
			*out++ = '\\';
			*out++ = 'x';
			*out++ = hex[*p >> 4];
			*out++ = hex[*p & 15];
			n = 1;
		}
		p += n;
	}
	*out = '\0';
}

static void vreport(diag *d, diag_level level, srcpos at, const char *fmt,
		    va_list ap)
{
	if (level == DIAG_ERROR)
		d->errors++;
	if (d->n >= d->cap) {
		d->dropped++;
		return;
	}
	char raw[MSG_MAX];
	vsnprintf(raw, sizeof raw, fmt, ap);
	char msg[4 * MSG_MAX];
	escape_controls(raw, msg);
	if (d->n == d->cap_alloc) {
		d->cap_alloc = d->cap_alloc ? d->cap_alloc * 2 : 16;
		d->v = xrealloc(d->v, d->cap_alloc * sizeof *d->v);
	}
	struct entry *e = &d->v[d->n++];
	e->level = level;
	e->at = at;
	e->file = at.file ? xstrdup(at.file) : NULL;
	e->msg = xstrdup(msg);
}

void diag_error(diag *d, srcpos at, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport(d, DIAG_ERROR, at, fmt, ap);
	va_end(ap);
}

void diag_warning(diag *d, srcpos at, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport(d, DIAG_WARNING, at, fmt, ap);
	va_end(ap);
}

void diag_note(diag *d, srcpos at, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport(d, DIAG_NOTE, at, fmt, ap);
	va_end(ap);
}

unsigned diag_errors(const diag *d)
{
	return d->errors;
}

static const struct source *find_source(const diag *d, const char *name)
{
	for (size_t i = 0; name && i < d->nsrc; i++)
		if (strcmp(d->src[i].name, name) == 0)
			return &d->src[i];
	return NULL;
}

/* the start of line `line` (1-based) in s, and its length; NULL if absent */
static const char *line_of(const struct source *s, unsigned line, size_t *len)
{
	const char *p = s->text, *end = s->text + s->len;
	for (unsigned l = 1; l < line; l++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			return NULL;
		p = nl + 1;
	}
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	*len = (size_t)((nl ? nl : end) - p);
	if (*len && p[*len - 1] == '\r')
		(*len)--;
	return p;
}

static void print_excerpt(FILE *out, const struct source *s, srcpos at,
			  bool color)
{
	size_t len;
	const char *line = line_of(s, at.line, &len);
	if (!line)
		return;
	if (len > 200)
		len = 200;
	/* one column per character: the character, a tab, or '?' */
	const unsigned char *p = (const unsigned char *)line, *end = p + len;
	unsigned col = 1;
	fprintf(out, "%5u | ", at.line);
	while (p < end) {
		uint32_t c = 0;
		size_t n = diag_utf8_char(p, (size_t)(end - p), &c);
		if (n && (c == '\t' || !unsafe_char(c)))
			fwrite(p, 1, n, out);
		else
			fputc('?', out);
		p += n ? n : 1;
		col++;
	}
	fputc('\n', out);
	if (at.col == 0)
		return;
	fputs("      | ", out);
	p = (const unsigned char *)line;
	for (unsigned i = 1; i < at.col && i < col; i++) {
		uint32_t c = 0;
		size_t n = diag_utf8_char(p, (size_t)(end - p), &c);
		fputc(*p == '\t' ? '\t' : ' ', out);
		p += n ? n : 1;
	}
	fputs(color ? "\033[1;32m^\033[0m\n" : "^\n", out);
}

static const char *level_name(diag_level l)
{
	return l == DIAG_ERROR ? "error" : l == DIAG_WARNING ? "warning" : "note";
}

static const char *level_color(diag_level l)
{
	return l == DIAG_ERROR ? "\033[1;31m" : l == DIAG_WARNING ? "\033[1;35m"
								  : "\033[1;36m";
}

static void print_entry(const diag *d, const struct entry *e, FILE *out,
			bool color)
{
	if (color)
		fputs("\033[1m", out);
	if (e->file && e->at.line && e->at.col)
		fprintf(out, "%s:%u:%u: ", e->file, e->at.line, e->at.col);
	else if (e->file && e->at.line)
		fprintf(out, "%s:%u: ", e->file, e->at.line);
	else if (e->file)
		fprintf(out, "%s: ", e->file);
	else
		fputs("matrixc: ", out);
	if (color)
		fprintf(out, "%s%s:\033[0m\033[1m %s\033[0m\n",
			level_color(e->level), level_name(e->level), e->msg);
	else
		fprintf(out, "%s: %s\n", level_name(e->level), e->msg);
	const struct source *s = find_source(d, e->file);
	if (s && e->at.line)
		print_excerpt(out, s, e->at, color);
}

/* Order: by file in order of first report, then line and column; entries
 * at the same place keep the order they were reported in. */
static size_t file_rank(const diag *d, const char *file)
{
	for (size_t i = 0; i < d->n; i++) {
		const char *f = d->v[i].file;
		if (f == file || (f && file && strcmp(f, file) == 0))
			return i;
	}
	return d->n;
}

static bool before(const diag *d, const struct entry *a, const struct entry *b)
{
	size_t fa = file_rank(d, a->file), fb = file_rank(d, b->file);
	if (fa != fb)
		return fa < fb;
	if (a->at.line != b->at.line)
		return a->at.line < b->at.line;
	return a->at.col < b->at.col;
}

void diag_print(const diag *d, FILE *out, bool color)
{
	const struct entry **order = xrealloc(NULL, (d->n + 1) * sizeof *order);
	for (size_t i = 0; i < d->n; i++) { /* stable insertion sort */
		size_t j = i;
		while (j > 0 && before(d, &d->v[i], order[j - 1])) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = &d->v[i];
	}
	for (size_t i = 0; i < d->n; i++)
		print_entry(d, order[i], out, color);
	free(order);
	if (d->dropped)
		fprintf(out, "matrixc: note: %u more diagnostics not shown\n",
			d->dropped);
}

static size_t min3(size_t a, size_t b, size_t c)
{
	size_t m = a < b ? a : b;
	return m < c ? m : c;
}

/* The optimal string alignment distance (Levenshtein's, with a swap of
 * two neighbouring characters as one edit: "lot" and "lto" are 1 apart,
 * a typist's commonest slip) between a and b if it is at most k, else
 * k + 1. Only the band of cells within k of the diagonal can hold a
 * distance up to k, so only they are computed: (2k + 1) per row, not the
 * whole row (a "did you mean" among thousands of names stays cheap).
 * Every cell outside the band is k + 1, and so is every value stored.
 * A swap reads the row before the previous one, so three rows turn. */
size_t diag_distance(const char *a, const char *b, size_t k)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > DIAG_DISTANCE_MAX || lb > DIAG_DISTANCE_MAX ||
	    (la > lb ? la - lb : lb - la) > k)
		return k + 1;
	size_t rows[3][DIAG_DISTANCE_MAX + 2];
	size_t *older = rows[0], *prev = rows[1], *cur = rows[2];
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j < k + 1 ? j : k + 1;
	for (size_t i = 1; i <= la; i++) {
		size_t lo = i > k ? i - k : 1, hi = i + k < lb ? i + k : lb;
		/* left of the band: i in the first column, else too far */
		cur[lo - 1] = lo == 1 && i < k + 1 ? i : k + 1;
		for (size_t j = lo; j <= hi; j++) {
			size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
			size_t d = min3(prev[j] + 1, cur[j - 1] + 1,
					prev[j - 1] + cost);
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && older[j - 2] + 1 < d)
				d = older[j - 2] + 1;
			cur[j] = d < k + 1 ? d : k + 1;
		}
		/* right of the band, which the next row's band reaches */
		cur[hi + 1] = k + 1;
		size_t *t = older;
		older = prev;
		prev = cur;
		cur = t;
	}
	return prev[lb];
}

const char *diag_suggest(const char *word, const char *const *candidates,
			 size_t n)
{
	size_t len = strlen(word);
	size_t limit = len < 4 ? 1 : len < 8 ? 2 : 3;
	const char *best = NULL;
	size_t best_d = limit + 1;
	for (size_t i = 0; i < n && best_d > 0; i++) {
		size_t dist = diag_distance(word, candidates[i], limit);
		if (dist < best_d) {
			best_d = dist;
			best = candidates[i];
		}
	}
	return best;
}
