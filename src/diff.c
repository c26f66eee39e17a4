/* diff.c - unified diff.
 *
 * Generated files change in few places, so the common prefix and suffix
 * are trimmed first and the middle is compared with a longest common
 * subsequence table. A middle too large for the table (over 4M cells) is
 * shown as one replacement: correct, if not minimal, and bounded in memory.
 *
 * Every line, headers included, is counted against one budget shared by
 * all the files of a check, and a line past it is counted but not
 * written: the cap holds for new and missing files as for changed ones,
 * and the caller can say how much was left out.
 */
#include "diff.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CONTEXT 3
#define TABLE_MAX ((size_t)4 << 20)

typedef struct {
	const char *s;
	size_t len; /* without the newline */
	int nl;     /* 1 when the line ended in a newline */
} line;

typedef struct {
	line *v;
	size_t n;
} lines;

static void split(const char *s, size_t len, lines *out)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		n += s[i] == '\n';
	out->v = malloc((n + 2) * sizeof *out->v);
	if (!out->v)
		abort();
	out->n = 0;
	for (size_t i = 0; i < len;) {
		const char *nl = memchr(s + i, '\n', len - i);
		size_t l = nl ? (size_t)(nl - (s + i)) : len - i;
		out->v[out->n++] = (line){s + i, l, nl != NULL};
		i += l + (nl != NULL);
	}
}

static int same(const line *a, const line *b)
{
	return a->len == b->len && a->nl == b->nl && !memcmp(a->s, b->s, a->len);
}

/* An edit script: for each step, ' ', '-' or '+', with indices. */
typedef struct {
	char op;
	size_t i, j;
} step;

typedef struct {
	step *v;
	size_t n, cap;
} script;

static void push(script *s, char op, size_t i, size_t j)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->v = realloc(s->v, s->cap * sizeof *s->v);
		if (!s->v)
			abort();
	}
	s->v[s->n++] = (step){op, i, j};
}

/* LCS over a[lo_a, hi_a) and b[lo_b, hi_b), appending the edit steps. */
static void middle(const lines *a, size_t lo_a, size_t hi_a, const lines *b,
		   size_t lo_b, size_t hi_b, script *s)
{
	size_t n = hi_a - lo_a, m = hi_b - lo_b;
	if (n * m > TABLE_MAX || (n && m > SIZE_MAX / n)) {
		for (size_t i = lo_a; i < hi_a; i++)
			push(s, '-', i, lo_b);
		for (size_t j = lo_b; j < hi_b; j++)
			push(s, '+', hi_a, j);
		return;
	}
	uint32_t *t = calloc((n + 1) * (m + 1), sizeof *t);
	if (!t)
		abort();
	for (size_t i = n; i-- > 0;)
		for (size_t j = m; j-- > 0;)
			t[i * (m + 1) + j] =
			    same(&a->v[lo_a + i], &b->v[lo_b + j])
				? t[(i + 1) * (m + 1) + j + 1] + 1
			    : t[(i + 1) * (m + 1) + j] > t[i * (m + 1) + j + 1]
				? t[(i + 1) * (m + 1) + j]
				: t[i * (m + 1) + j + 1];
	size_t i = 0, j = 0;
	while (i < n || j < m) {
		/* deletions before insertions, as diff(1) shows them */
		if (i < n && j < m && same(&a->v[lo_a + i], &b->v[lo_b + j]))
			push(s, ' ', lo_a + i++, lo_b + j++);
		else if (i < n && (j == m || t[(i + 1) * (m + 1) + j] >=
						 t[i * (m + 1) + j + 1]))
			push(s, '-', lo_a + i++, lo_b + j);
		else
			push(s, '+', lo_a + i, lo_b + j++);
	}
	free(t);
}

static void edit_script(const lines *a, const lines *b, script *s)
{
	size_t pre = 0, suf = 0;
	while (pre < a->n && pre < b->n && same(&a->v[pre], &b->v[pre]))
		push(s, ' ', pre, pre), pre++;
	while (suf < a->n - pre && suf < b->n - pre &&
	       same(&a->v[a->n - 1 - suf], &b->v[b->n - 1 - suf]))
		suf++;
	middle(a, pre, a->n - suf, b, pre, b->n - suf, s);
	for (size_t k = suf; k > 0; k--)
		push(s, ' ', a->n - k, b->n - k);
}

void diff_note(buf *out, diff_budget *b, const char *fmt, ...)
{
	if (b->left == 0) {
		b->omitted++;
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(out, fmt, ap);
	va_end(ap);
	buf_putc(out, '\n');
	b->left--;
}

static void put_line(buf *out, diff_budget *b, char op, const line *l)
{
	diff_note(out, b, "%c%.*s", op, (int)l->len, l->s);
	if (!l->nl)
		diff_note(out, b, "\\ No newline at end of file");
}

/* Write the hunk covering steps [from, to). */
static void hunk(buf *out, diff_budget *b, const script *s, size_t from,
		 size_t to, const lines *x, const lines *y)
{
	size_t ox = 0, ny = 0;
	for (size_t k = from; k < to; k++) {
		ox += s->v[k].op != '+';
		ny += s->v[k].op != '-';
	}
	size_t sx = s->v[from].i + (ox ? 1 : 0), sy = s->v[from].j + (ny ? 1 : 0);
	diff_note(out, b, "@@ -%zu,%zu +%zu,%zu @@", sx, ox, sy, ny);
	for (size_t k = from; k < to; k++) {
		const step *st = &s->v[k];
		put_line(out, b, st->op,
			 st->op == '+' ? &y->v[st->j] : &x->v[st->i]);
	}
}

void diff_unified(buf *out, const char *old_name, const char *old, size_t olen,
		  const char *new_name, const char *new, size_t nlen,
		  diff_budget *budget)
{
	if (old && new && olen == nlen && !memcmp(old, new, olen))
		return;
	lines a, b;
	script s = {0};
	split(old ? old : "", old ? olen : 0, &a);
	split(new ? new : "", new ? nlen : 0, &b);
	edit_script(&a, &b, &s);
	diff_note(out, budget, "--- %s", old ? old_name : "/dev/null");
	diff_note(out, budget, "+++ %s", new ? new_name : "/dev/null");
	for (size_t k = 0; k < s.n;) {
		if (s.v[k].op == ' ') {
			k++;
			continue;
		}
		/* a hunk runs on while the next change is near enough that
		 * their contexts would touch */
		size_t last = k;
		for (size_t q = k + 1; q < s.n && q <= last + 2 * CONTEXT; q++)
			if (s.v[q].op != ' ')
				last = q;
		size_t from = k > CONTEXT ? k - CONTEXT : 0;
		size_t to = last + 1 + CONTEXT < s.n ? last + 1 + CONTEXT : s.n;
		hunk(out, budget, &s, from, to, &a, &b);
		k = to;
	}
	free(s.v);
	free(a.v);
	free(b.v);
}
