/* diag.h - diagnostics with source positions.
 *
 * Every phase reports problems here instead of printing: a diagnostic is a
 * position, a severity and a message. The tool layer prints them at the end
 * as `file:line:col: error: message`, then the source line and a caret, and
 * decides the exit status. Errors past the cap are counted, not kept, so a
 * hostile input cannot flood the terminal.
 */
#ifndef MATRIXC_DIAG_H
#define MATRIXC_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Where a value came from. line 0: no position (a built-in default).
 * col 0 with a line: a line in a hook file. file is never freed by diag. */
typedef struct {
	const char *file;
	unsigned line, col;
} srcpos;

/* A position with no line: the whole file, or nothing (file NULL). */
static inline srcpos srcpos_file(const char *file)
{
	srcpos p = {file, 0, 0};
	return p;
}

typedef enum { DIAG_ERROR, DIAG_WARNING, DIAG_NOTE } diag_level;

typedef struct diag diag;

diag *diag_new(unsigned cap);
void diag_free(diag *d);

/* Register a file's text so that diagnostics can quote its lines. The text
 * is copied. */
void diag_add_source(diag *d, const char *name, const char *text, size_t len);

void diag_error(diag *d, srcpos at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void diag_warning(diag *d, srcpos at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void diag_note(diag *d, srcpos at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

unsigned diag_errors(const diag *d);

/* Print every kept diagnostic in the order reported, with source lines and
 * carets, in colour when color is true. */
void diag_print(const diag *d, FILE *out, bool color);

/* The edit distance between a and b, counting an insertion, a deletion,
 * a substitution and a swap of two neighbouring characters as one edit
 * each (optimal string alignment: no character is edited twice), if it
 * is at most k, else k + 1. Words longer than DIAG_DISTANCE_MAX bytes
 * are never close (k + 1). */
#define DIAG_DISTANCE_MAX 64
size_t diag_distance(const char *a, const char *b, size_t k);

/* The candidate closest to word by edit distance, or NULL when none is
 * close enough to be a plausible typo. */
const char *diag_suggest(const char *word, const char *const *candidates,
			 size_t n);

/* The length of the UTF-8 character at p (at most avail bytes), with its
 * code point in *cp; 0 when the bytes there are not UTF-8 (a stray or
 * missing continuation byte, an overlong form, a surrogate, past
 * U+10FFFF). matrixc's one UTF-8 decoder: diagnostics escape what it
 * rejects, names.h refuses it. */
size_t diag_utf8_char(const unsigned char *p, size_t avail, uint32_t *cp);

#endif
