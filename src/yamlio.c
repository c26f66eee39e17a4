/* yamlio.c - libyaml behind a small tree and a small writer.
 *
 * The loader is event driven rather than built on yaml_document_t so that
 * it can (1) keep the raw text and style of each scalar, (2) share aliased
 * subtrees instead of copying them, counting their expanded size against
 * LIMIT_YAML_NODES, and (3) stop at LIMIT_YAML_DEPTH before recursing.
 */
#include "yamlio.h"

#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "limits_input.h"

struct anchor {
	const char *name;
	ynode *node;
	size_t weight; /* nodes in the subtree, aliases expanded */
	struct anchor *next;
};

struct loader {
	arena *a;
	diag *d;
	const char *file;
	yaml_parser_t parser;
	struct anchor *anchors;
	size_t weight; /* nodes so far, aliases expanded */
	bool failed;
};

static srcpos mark_pos(const struct loader *l, yaml_mark_t m)
{
	return (srcpos){l->file, (unsigned)m.line + 1, (unsigned)m.column + 1};
}

static bool next_event(struct loader *l, yaml_event_t *ev)
{
	if (yaml_parser_parse(&l->parser, ev))
		return true;
	yaml_parser_t *p = &l->parser;
	yaml_mark_t m = p->problem_mark;
	const char *what = p->problem ? p->problem : "invalid YAML";
	if (p->context)
		diag_error(l->d, mark_pos(l, m), "%s %s", what, p->context);
	else
		diag_error(l->d, mark_pos(l, m), "%s", what);
	l->failed = true;
	return false;
}

static ynode *new_node(struct loader *l, ynode_kind kind, yaml_mark_t m)
{
	ynode *n = arena_alloc(l->a, sizeof *n);
	n->kind = kind;
	n->at = mark_pos(l, m);
	return n;
}

static bool count(struct loader *l, size_t w, srcpos at)
{
	l->weight += w;
	if (l->weight <= LIMIT_YAML_NODES)
		return true;
	diag_error(l->d, at,
		   "document too large: more than %u nodes after expanding aliases",
		   LIMIT_YAML_NODES);
	l->failed = true;
	return false;
}

static void remember(struct loader *l, const yaml_char_t *anchor, ynode *n,
		     size_t weight)
{
	if (!anchor)
		return;
	struct anchor *an = arena_alloc(l->a, sizeof *an);
	an->name = arena_strdup(l->a, (const char *)anchor);
	an->node = n;
	an->weight = weight;
	an->next = l->anchors;
	l->anchors = an;
}

static ynode *parse_node(struct loader *l, yaml_event_t *ev, int depth);

static ynode *parse_alias(struct loader *l, yaml_event_t *ev)
{
	const char *name = (const char *)ev->data.alias.anchor;
	srcpos at = mark_pos(l, ev->start_mark);
	for (struct anchor *an = l->anchors; an; an = an->next) {
		if (strcmp(an->name, name) == 0)
			return count(l, an->weight, at) ? an->node : NULL;
	}
	diag_error(l->d, at, "unknown alias '%s'", name);
	l->failed = true;
	return NULL;
}

static ynode *parse_scalar(struct loader *l, yaml_event_t *ev)
{
	srcpos at = mark_pos(l, ev->start_mark);
	if (ev->data.scalar.length > LIMIT_STRING_BYTES) {
		diag_error(l->d, at, "string longer than %u bytes",
			   LIMIT_STRING_BYTES);
		l->failed = true;
		return NULL;
	}
	if (!count(l, 1, at))
		return NULL;
	ynode *n = new_node(l, YNODE_SCALAR, ev->start_mark);
	n->len = ev->data.scalar.length;
	n->str = arena_strndup(l->a, (const char *)ev->data.scalar.value, n->len);
	n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	remember(l, ev->data.scalar.anchor, n, 1);
	return n;
}

static bool key_seen(const ynode *map, const ynode *key)
{
	if (key->kind != YNODE_SCALAR)
		return false;
	for (size_t i = 0; i < map->n; i++) {
		const ynode *k = map->pairs[i].key;
		if (k->kind == YNODE_SCALAR && k->len == key->len &&
		    memcmp(k->str, key->str, key->len) == 0)
			return true;
	}
	return false;
}

static void append_item(struct loader *l, ynode *n, ynode *item, size_t *cap)
{
	if (n->n == *cap) {
		size_t nc = *cap ? *cap * 2 : 4;
		n->items = arena_grow(l->a, n->items, *cap * sizeof *n->items,
				      nc * sizeof *n->items);
		*cap = nc;
	}
	n->items[n->n++] = item;
}

static void append_pair(struct loader *l, ynode *n, ynode *k, ynode *v,
			size_t *cap)
{
	if (n->n == *cap) {
		size_t nc = *cap ? *cap * 2 : 4;
		n->pairs = arena_grow(l->a, n->pairs, *cap * sizeof *n->pairs,
				      nc * sizeof *n->pairs);
		*cap = nc;
	}
	n->pairs[n->n++] = (ypair){k, v};
}

/* seq -> SEQUENCE-START node* SEQUENCE-END */
static ynode *parse_seq(struct loader *l, yaml_event_t *start, int depth)
{
	ynode *n = new_node(l, YNODE_SEQ, start->start_mark);
	size_t before = l->weight, cap = 0;
	yaml_char_t *anchor = start->data.sequence_start.anchor;
	const yaml_char_t *anchor_name =
	    anchor ? (yaml_char_t *)arena_strdup(l->a, (char *)anchor) : NULL;
	if (!count(l, 1, n->at))
		return NULL;
	for (;;) {
		yaml_event_t ev;
		if (!next_event(l, &ev))
			return NULL;
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		ynode *item = parse_node(l, &ev, depth + 1);
		yaml_event_delete(&ev);
		if (!item)
			return NULL;
		append_item(l, n, item, &cap);
	}
	remember(l, anchor_name, n, l->weight - before);
	return n;
}

/* map -> MAPPING-START (key value)* MAPPING-END */
static ynode *parse_map(struct loader *l, yaml_event_t *start, int depth)
{
	ynode *n = new_node(l, YNODE_MAP, start->start_mark);
	size_t before = l->weight, cap = 0;
	yaml_char_t *anchor = start->data.mapping_start.anchor;
	const yaml_char_t *anchor_name =
	    anchor ? (yaml_char_t *)arena_strdup(l->a, (char *)anchor) : NULL;
	if (!count(l, 1, n->at))
		return NULL;
	for (;;) {
		yaml_event_t ev;
		if (!next_event(l, &ev))
			return NULL;
		if (ev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		ynode *key = parse_node(l, &ev, depth + 1);
		yaml_event_delete(&ev);
		if (!key || !next_event(l, &ev))
			return NULL;
		ynode *val = parse_node(l, &ev, depth + 1);
		yaml_event_delete(&ev);
		if (!val)
			return NULL;
		if (key_seen(n, key))
			diag_error(l->d, key->at, "duplicate key '%s'", key->str);
		else if (key->kind != YNODE_SCALAR)
			diag_error(l->d, key->at, "mapping keys must be strings");
		else
			append_pair(l, n, key, val, &cap);
	}
	remember(l, anchor_name, n, l->weight - before);
	return n;
}

static ynode *parse_node(struct loader *l, yaml_event_t *ev, int depth)
{
	if (depth > LIMIT_YAML_DEPTH) {
		diag_error(l->d, mark_pos(l, ev->start_mark),
			   "nesting deeper than %d levels", LIMIT_YAML_DEPTH);
		l->failed = true;
		return NULL;
	}
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		return parse_scalar(l, ev);
	case YAML_SEQUENCE_START_EVENT:
		return parse_seq(l, ev, depth);
	case YAML_MAPPING_START_EVENT:
		return parse_map(l, ev, depth);
	case YAML_ALIAS_EVENT:
		return parse_alias(l, ev);
	default:
		diag_error(l->d, mark_pos(l, ev->start_mark),
			   "unexpected YAML event");
		l->failed = true;
		return NULL;
	}
}

/* stream -> STREAM-START (DOCUMENT-START node DOCUMENT-END)? STREAM-END */
static ynode *parse_stream(struct loader *l)
{
	yaml_event_t ev;
	ynode *root = NULL;
	if (!next_event(l, &ev))
		return NULL;
	yaml_event_delete(&ev); /* STREAM-START */
	if (!next_event(l, &ev))
		return NULL;
	if (ev.type == YAML_STREAM_END_EVENT) {
		yaml_event_delete(&ev);
		return new_node(l, YNODE_MAP, (yaml_mark_t){0, 0, 0});
	}
	yaml_event_delete(&ev); /* DOCUMENT-START */
	if (!next_event(l, &ev))
		return NULL;
	root = parse_node(l, &ev, 0);
	yaml_event_delete(&ev);
	if (!root || !next_event(l, &ev))
		return NULL;
	yaml_event_delete(&ev); /* DOCUMENT-END */
	if (!next_event(l, &ev))
		return NULL;
	if (ev.type != YAML_STREAM_END_EVENT) {
		diag_error(l->d, mark_pos(l, ev.start_mark),
			   "only one YAML document is allowed");
		l->failed = true;
		root = NULL;
	}
	yaml_event_delete(&ev);
	return root;
}

ynode *yaml_load(arena *a, diag *d, const char *file, const char *text,
		 size_t len)
{
	struct loader l = {.a = a, .d = d, .file = file};
	unsigned errors = diag_errors(d);
	if (!yaml_parser_initialize(&l.parser)) {
		diag_error(d, srcpos_file(file), "cannot initialise libyaml");
		return NULL;
	}
	yaml_parser_set_input_string(&l.parser, (const unsigned char *)text,
				     len);
	yaml_parser_set_encoding(&l.parser, YAML_UTF8_ENCODING);
	ynode *root = parse_stream(&l);
	yaml_parser_delete(&l.parser);
	/* a duplicate key is reported but leaves a usable tree, so that
	 * validation can report the rest of the file's problems too */
	if (l.failed || (!root && diag_errors(d) != errors))
		return NULL;
	return root;
}

ynode *ynode_get(const ynode *map, const char *key)
{
	if (!map || map->kind != YNODE_MAP)
		return NULL;
	for (size_t i = 0; i < map->n; i++)
		if (strcmp(map->pairs[i].key->str, key) == 0)
			return map->pairs[i].val;
	return NULL;
}

/* --- writing ------------------------------------------------------------ */

struct yaml_writer {
	yaml_emitter_t em;
	buf *out;
	bool ok;
};

static int write_handler(void *data, unsigned char *bytes, size_t size)
{
	buf *out = data;
	buf_add(out, bytes, size);
	return buf_ok(out);
}

static void emit(yaml_writer *w, yaml_event_t *ev, int made)
{
	if (!made || !w->ok || !yaml_emitter_emit(&w->em, ev))
		w->ok = false;
}

yaml_writer *yaml_writer_new(buf *out)
{
	yaml_writer *w = calloc(1, sizeof *w);
	if (!w)
		return NULL;
	if (!yaml_emitter_initialize(&w->em)) {
		free(w);
		return NULL;
	}
	w->out = out;
	w->ok = true;
	yaml_emitter_set_output(&w->em, write_handler, out);
	yaml_emitter_set_unicode(&w->em, 1);
	yaml_emitter_set_width(&w->em, -1); /* never fold long lines */
	yaml_emitter_set_indent(&w->em, 2);
	yaml_event_t ev;
	emit(w, &ev, yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING));
	emit(w, &ev, yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1));
	return w;
}

bool yaml_writer_finish(yaml_writer *w)
{
	yaml_event_t ev;
	emit(w, &ev, yaml_document_end_event_initialize(&ev, 1));
	emit(w, &ev, yaml_stream_end_event_initialize(&ev));
	if (w->ok && !yaml_emitter_flush(&w->em))
		w->ok = false;
	bool ok = w->ok && buf_ok(w->out);
	yaml_emitter_delete(&w->em);
	free(w);
	return ok;
}

void yw_map_begin(yaml_writer *w)
{
	yaml_event_t ev;
	emit(w, &ev, yaml_mapping_start_event_initialize(
			  &ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE));
}

void yw_map_end(yaml_writer *w)
{
	yaml_event_t ev;
	emit(w, &ev, yaml_mapping_end_event_initialize(&ev));
}

void yw_seq_begin(yaml_writer *w)
{
	yaml_event_t ev;
	emit(w, &ev, yaml_sequence_start_event_initialize(
			  &ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE));
}

void yw_flow_seq_begin(yaml_writer *w)
{
	yaml_event_t ev;
	emit(w, &ev, yaml_sequence_start_event_initialize(
			  &ev, NULL, NULL, 1, YAML_FLOW_SEQUENCE_STYLE));
}

void yw_seq_end(yaml_writer *w)
{
	yaml_event_t ev;
	emit(w, &ev, yaml_sequence_end_event_initialize(&ev));
}

/* Would s, written plain, read back as something other than a string?
 * GitLab reads YAML 1.1 (Ruby's Psych): yes/no/on/off and y/n are
 * booleans there, ~ and null are null, and anything that starts like a
 * number may be one (1e3, 0x1f, 1_000, 1:20, .5, .inf). Such strings are
 * quoted; the number rule is loose on purpose, since quoting a string
 * never changes what it reads as. */
static bool reads_typed(const char *s)
{
	static const char *const words[] = {
	    "~", "null", "Null", "NULL", "y", "Y", "yes", "Yes", "YES", "n",
	    "N", "no", "No", "NO", "true", "True", "TRUE", "false", "False",
	    "FALSE", "on", "On", "ON", "off", "Off", "OFF", "<<", "="};
	const char *p = s + (*s == '-' || *s == '+');
	if (*p == '.')
		p++;
	if (*p >= '0' && *p <= '9')
		return true;
	/* every word, and every spelling of inf and nan with its sign and
	 * dot, is at most 5 bytes: most scalars stop here */
	if (strnlen(s, 6) > 5)
		return false;
	for (size_t i = 0; i < sizeof words / sizeof *words; i++)
		if (strcmp(s, words[i]) == 0)
			return true;
	return strcmp(p, "inf") == 0 || strcmp(p, "Inf") == 0 ||
	       strcmp(p, "INF") == 0 || strcmp(p, "nan") == 0 ||
	       strcmp(p, "NaN") == 0 || strcmp(p, "NAN") == 0;
}

void yw_str(yaml_writer *w, const char *s)
{
	yaml_event_t ev;
	emit(w, &ev, yaml_scalar_event_initialize(
			  &ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s),
			  !reads_typed(s), 1, YAML_ANY_SCALAR_STYLE));
}

void yw_typed(yaml_writer *w, const char *s)
{
	yaml_event_t ev;
	emit(w, &ev, yaml_scalar_event_initialize(
			  &ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s), 1,
			  1, YAML_PLAIN_SCALAR_STYLE));
}

void yw_literal(yaml_writer *w, const char *s)
{
	yaml_event_t ev;
	emit(w, &ev, yaml_scalar_event_initialize(
			  &ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s), 0,
			  1, YAML_LITERAL_SCALAR_STYLE));
}

void yw_kv(yaml_writer *w, const char *key, const char *val)
{
	yw_str(w, key);
	yw_str(w, val);
}
