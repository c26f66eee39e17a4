/* yamlio.h - YAML in and out; the only module that includes yaml.h.
 *
 * Reading turns a document into a tree of nodes, each with the line and
 * column it came from. Aliases are shared, not copied, and their expanded
 * size is counted, so a "billion laughs" document is rejected in bounded
 * time and memory. Duplicate keys are errors.
 *
 * Writing wraps libyaml's emitter, so that every scalar in a generated file
 * is quoted by libyaml and never by hand.
 */
#ifndef MATRIXC_YAMLIO_H
#define MATRIXC_YAMLIO_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "buf.h"
#include "diag.h"

typedef enum { YNODE_SCALAR, YNODE_SEQ, YNODE_MAP } ynode_kind;

typedef struct ynode ynode;
typedef struct {
	ynode *key, *val;
} ypair;

struct ynode {
	ynode_kind kind;
	srcpos at;
	/* scalar: text exactly as written; plain is false for quoted and
	 * block scalars (a quoted "true" is a string, a plain one a bool). */
	const char *str;
	size_t len;
	bool plain;
	/* seq: items[n]; map: pairs[n], in document order */
	ynode **items;
	ypair *pairs;
	size_t n;
};

/* Parse text (named file for diagnostics) into a tree allocated from a.
 * Returns the root, or NULL after reporting errors to d. An empty document
 * yields an empty map. */
ynode *yaml_load(arena *a, diag *d, const char *file, const char *text,
		 size_t len);

/* The value for key in a map, or NULL. */
ynode *ynode_get(const ynode *map, const char *key);

/* --- writing ------------------------------------------------------------ */

typedef struct yaml_writer yaml_writer;

/* Start a document written into out. Returns NULL if libyaml fails. */
yaml_writer *yaml_writer_new(buf *out);
/* Finish the document; false if any event failed. Frees w. */
bool yaml_writer_finish(yaml_writer *w);

void yw_map_begin(yaml_writer *w);
void yw_map_end(yaml_writer *w);
void yw_seq_begin(yaml_writer *w);
/* A sequence written inline: [a, b] */
void yw_flow_seq_begin(yaml_writer *w);
void yw_seq_end(yaml_writer *w);
/* A scalar in the style libyaml chooses (plain when safe, quoted when not). */
void yw_str(yaml_writer *w, const char *s);
/* A scalar meant to read as a boolean or number (true, 2), written
 * plain; for the writer's own constants, never for input values. */
void yw_typed(yaml_writer *w, const char *s);
/* A multi-line string as a literal block (|), which libyaml keeps only
 * when the text allows it (no tabs, no trailing spaces); else it quotes. */
void yw_literal(yaml_writer *w, const char *s);
/* key: value helpers */
void yw_kv(yaml_writer *w, const char *key, const char *val);

#endif
