/* yamlio.c - libyaml behind a small tree and a small writer.
 *
 * The loader is event driven rather than built on yaml_document_t so that
 * it can (1) keep the raw text and style of each scalar, (2) share aliased
 * subtrees instead of copying them, counting their expanded size against
 * LIMIT_YAML_NODES, (3) stop at LIMIT_YAML_DEPTH before recursing, and
 * (4) stop a mapping or list at LIMIT_YAML_ENTRIES entries.
 *
 * Every step is linear in the size of the text: duplicate keys are found
 * through a hash of the keys (struct keyset), aliases through a hash of
 * the anchors' names (struct anchors); each table only answers "seen
 * before?" or "which node?", so errors come out in document order
 * whatever the hash.
 *
 * What the reader sees must be what matrixc uses, so the loader rejects
 * what libyaml would read differently from a person: a line break other
 * than LF or CRLF (NEL, U+2028, U+2029, a lone CR), a NUL in a scalar
 * (written "\0" in a quoted one; C strings would cut the value there), and
 * any YAML tag other than !!str, !!seq or !!map on a node of that kind.
 */
#include "yamlio.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "limits_input.h"

struct anchor {
	const char *name;
	uint64_t hash;
	ynode *node;
	size_t weight; /* nodes in the subtree, aliases expanded */
};

/* Anchors by name: open addressing over their hash, so that a document of
 * many anchors and many aliases is read in linear time. A name defined
 * again refers to its latest node from then on, as YAML says. */
struct anchors {
	struct anchor **slot;
	size_t size, n;
};

struct loader {
	arena *a;
	diag *d;
	const char *file;
	const char *text; /* the whole input, for explaining libyaml's errors */
	size_t len;
	yaml_parser_t parser;
	struct anchors anchors;
	size_t weight; /* nodes so far, aliases expanded */
	bool failed;   /* stop: the tree is not usable */
	bool rejected; /* carry on to report more, then return no tree */
};

static srcpos mark_pos(const struct loader *l, yaml_mark_t m)
{
	return (srcpos){l->file, (unsigned)m.line + 1, (unsigned)m.column + 1};
}

/* Line m.line (0-based) of the text, and its length. */
static const char *line_at(const struct loader *l, yaml_mark_t m, size_t *n)
{
	const char *p = l->text, *end = l->text + l->len;
	for (size_t i = 0; i < m.line && p < end; i++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		p = nl ? nl + 1 : end;
	}
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	*n = (size_t)((nl ? nl : end) - p);
	return p;
}

/* The character at m (columns count characters), or 0 past the line. */
static char char_at(const struct loader *l, yaml_mark_t m)
{
	size_t n, col = 0;
	const char *s = line_at(l, m, &n);
	for (size_t i = 0; i < n; i++) {
		if (((unsigned char)s[i] & 0xc0) == 0x80)
			continue;
		if (col++ == m.column)
			return s[i];
	}
	return 0;
}

/* Does the line of m hold a ' #' outside quotes (a comment that may have
 * hidden the rest of the line)? */
static bool has_comment(const struct loader *l, yaml_mark_t m)
{
	size_t n;
	const char *s = line_at(l, m, &n);
	char quote = 0;
	for (size_t i = 0; i < n; i++) {
		if (quote)
			quote = s[i] == quote ? 0 : quote;
		else if (s[i] == '"' || s[i] == '\'')
			quote = s[i];
		else if (s[i] == '#' && (i == 0 || s[i - 1] == ' ' ||
					 s[i - 1] == '\t'))
			return true;
	}
	return false;
}

/* Does the line of m hold ": " before m (a key and its value)? */
static bool has_key_before(const struct loader *l, yaml_mark_t m)
{
	size_t n;
	const char *s = line_at(l, m, &n);
	for (size_t i = 0; i + 1 < n && i < m.column; i++)
		if (s[i] == ':' && s[i + 1] == ' ')
			return true;
	return false;
}

/* The first line from `from` up to m's that holds an odd number of double
 * quotes: a string that runs on past its line, its closing quote missing
 * (matrix.yaml has no reason for a string of several lines). *at is that
 * line's last quote. */
static bool open_quote(const struct loader *l, yaml_mark_t from, yaml_mark_t m,
		       yaml_mark_t *at)
{
	size_t n;
	const char *s = line_at(l, from, &n), *end = l->text + l->len;
	for (size_t line = from.line; line < m.line && s < end; line++) {
		size_t q = 0, col = 0;
		at->line = line;
		for (; s < end && *s != '\n'; s++) {
			if (((unsigned char)*s & 0xc0) == 0x80)
				continue;
			if (*s == '"')
				q++, at->column = col;
			col++;
		}
		if (q % 2)
			return true;
		s += s < end;
	}
	return false;
}

/* libyaml's errors name the symptom ("did not find expected key"); the
 * usual causes are said in plain words, at the place to change, with
 * libyaml's own message kept as a note. Returns false when the error is
 * not one of them. */
static bool explain_yaml_error(struct loader *l, const char *raw)
{
	yaml_parser_t *p = &l->parser;
	const char *prob = p->problem ? p->problem : "";
	const char *ctx = p->context ? p->context : "";
	yaml_mark_t m = p->problem_mark, c = p->context_mark, q = m;
	if (open_quote(l, c, m, &q) && (strstr(ctx, "block mapping") ||
					 strstr(ctx, "flow")))
		diag_error(l->d, mark_pos(l, q),
			   "this quoted string is not closed on its line: add "
			   "the closing \"");
	else if (strstr(prob, "cannot start any token") && char_at(l, m) == '\t')
		diag_error(l->d, mark_pos(l, m),
			   "a tab character: YAML indents with spaces only "
			   "(replace the tab with spaces)");
	else if (!strcmp(prob, "did not find expected key") &&
		 strstr(ctx, "block mapping"))
		diag_error(l->d, mark_pos(l, m),
			   "this line is indented by %zu space%s, which "
			   "matches no key above it (the mapping at line %zu "
			   "indents its keys by %zu): indent it as the keys "
			   "beside it are",
			   m.column, m.column == 1 ? "" : "s", c.line + 1,
			   c.column);
	else if (strstr(prob, "mapping values are not allowed") &&
		 has_key_before(l, m))
		diag_error(l->d, mark_pos(l, m),
			   "a ': ' inside a value: put the value in quotes, "
			   "as in key: \"a: b\"");
	else if (strstr(prob, "mapping values are not allowed"))
		diag_error(l->d, mark_pos(l, m),
			   "this line is indented more than the key above it, "
			   "so it reads as part of that key's value: indent "
			   "it as the keys beside it are");
	else if (strstr(ctx, "quoted scalar") &&
		 strstr(prob, "end of stream"))
		diag_error(l->d, mark_pos(l, c),
			   "this quoted string is not closed: add the closing "
			   "%c", char_at(l, c) == '\'' ? '\'' : '"');
	else if (strstr(prob, "did not find expected ','") &&
		 (strstr(ctx, "flow sequence") || strstr(ctx, "flow mapping"))) {
		bool seq = strstr(ctx, "flow sequence") != NULL;
		diag_error(l->d, mark_pos(l, c),
			   "this '%c' is not closed: end the %s with '%c', "
			   "and separate its entries with ','",
			   seq ? '[' : '{', seq ? "list" : "mapping",
			   seq ? ']' : '}');
		if (has_comment(l, c))
			diag_note(l->d, mark_pos(l, c),
				  "' #' starts a comment, which hides the rest "
				  "of the line: quote a value that holds '#'");
	} else
		return false;
	diag_note(l->d, mark_pos(l, m), "libyaml: %s", raw);
	return true;
}

static bool next_event(struct loader *l, yaml_event_t *ev)
{
	if (yaml_parser_parse(&l->parser, ev))
		return true;
	yaml_parser_t *p = &l->parser;
	yaml_mark_t m = p->problem_mark;
	const char *what = p->problem ? p->problem : "invalid YAML";
	const char *raw = p->context ? arena_printf(l->a, "%s %s", what,
						    p->context)
				     : what;
	if (!explain_yaml_error(l, raw))
		diag_error(l->d, mark_pos(l, m), "%s", raw);
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

/* FNV-1a over n bytes */
static uint64_t hash_bytes(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211u;
	return h;
}

/* the slot of the anchor called name, or the empty slot where it goes */
static struct anchor **anchor_slot(const struct anchors *t, const char *name,
				   uint64_t h)
{
	size_t j = (size_t)h & (t->size - 1);
	while (t->slot[j] &&
	       (t->slot[j]->hash != h || strcmp(t->slot[j]->name, name) != 0))
		j = (j + 1) & (t->size - 1);
	return &t->slot[j];
}

static void anchors_grow(struct loader *l)
{
	struct anchors *t = &l->anchors, bigger = {0};
	bigger.size = t->size ? t->size * 2 : 16;
	bigger.slot = arena_alloc(l->a, bigger.size * sizeof *bigger.slot);
	bigger.n = t->n;
	for (size_t i = 0; i < t->size; i++)
		if (t->slot[i])
			*anchor_slot(&bigger, t->slot[i]->name,
				     t->slot[i]->hash) = t->slot[i];
	*t = bigger;
}

static void remember(struct loader *l, const yaml_char_t *anchor, ynode *n,
		     size_t weight)
{
	if (!anchor)
		return;
	if ((l->anchors.n + 1) * 2 > l->anchors.size)
		anchors_grow(l);
	const char *name = (const char *)anchor;
	uint64_t h = hash_bytes(name, strlen(name));
	struct anchor **slot = anchor_slot(&l->anchors, name, h);
	if (!*slot) {
		*slot = arena_alloc(l->a, sizeof **slot);
		(*slot)->name = arena_strdup(l->a, name);
		(*slot)->hash = h;
		l->anchors.n++;
	}
	(*slot)->node = n;
	(*slot)->weight = weight;
}

static ynode *parse_node(struct loader *l, yaml_event_t *ev, int depth);

static ynode *parse_alias(struct loader *l, yaml_event_t *ev)
{
	const char *name = (const char *)ev->data.alias.anchor;
	srcpos at = mark_pos(l, ev->start_mark);
	if (l->anchors.n) {
		const struct anchor *an =
		    *anchor_slot(&l->anchors, name, hash_bytes(name, strlen(name)));
		if (an)
			return count(l, an->weight, at) ? an->node : NULL;
	}
	diag_error(l->d, at, "unknown alias '%s'", name);
	l->failed = true;
	return NULL;
}

#define CORE_TAG "tag:yaml.org,2002:"

/* A node's explicit tag: none, or the core tag of its own kind (core:
 * "str", "seq" or "map"). Any other tag would be dropped silently, so
 * `!!float 1` or `!foo x` is an error rather than a string. */
static void check_tag(struct loader *l, const yaml_char_t *tag,
		      const char *core, yaml_mark_t m)
{
	const char *t = (const char *)tag;
	size_t n = sizeof CORE_TAG - 1;
	if (!t || (strncmp(t, CORE_TAG, n) == 0 && strcmp(t + n, core) == 0))
		return;
	bool short_form = strncmp(t, CORE_TAG, n) == 0;
	diag_error(l->d, mark_pos(l, m),
		   "YAML tag '%s%.100s' is not supported (write the value "
		   "without a tag; quote it to make it a string)",
		   short_form ? "!!" : "", short_form ? t + n : t);
	l->rejected = true;
}

static ynode *parse_scalar(struct loader *l, yaml_event_t *ev)
{
	srcpos at = mark_pos(l, ev->start_mark);
	check_tag(l, ev->data.scalar.tag, "str", ev->start_mark);
	/* libyaml returns the length: a "\0" escape must not cut the value
	 * short where it is used as a C string */
	if (memchr(ev->data.scalar.value, '\0', ev->data.scalar.length)) {
		diag_error(l->d, at, "a string cannot contain a NUL character "
				     "(\\0)");
		l->rejected = true;
	}
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
	/* a !!str scalar is a string even when written plain */
	n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
		   !ev->data.scalar.tag;
	remember(l, ev->data.scalar.anchor, n, 1);
	return n;
}

/* The keys of one mapping, for duplicates in linear time: open addressing
 * over their FNV-1a hash, each slot a pair index + 1 (0: empty). A key is
 * compared by hash, length and bytes, so a key holding a NUL is still
 * itself. The table only answers "seen before?": nothing is ever read out
 * of it in hash order. */
struct keyset {
	size_t *slot;
	uint64_t *hash;
	size_t size, n;
};

static uint64_t key_hash(const ynode *k)
{
	return hash_bytes(k->str, k->len);
}

static void keyset_grow(struct loader *l, struct keyset *ks,
			const ynode *map)
{
	size_t size = ks->size ? ks->size * 2 : 16;
	ks->slot = arena_alloc(l->a, size * sizeof *ks->slot);
	ks->hash = arena_alloc(l->a, size * sizeof *ks->hash);
	ks->size = size;
	/* re-insert: the map's keys are all distinct */
	for (size_t i = 0; i < map->n; i++) {
		uint64_t h = key_hash(map->pairs[i].key);
		size_t j = (size_t)h & (size - 1);
		while (ks->slot[j])
			j = (j + 1) & (size - 1);
		ks->slot[j] = i + 1;
		ks->hash[j] = h;
	}
}

/* Has map a key equal to key? If not, key is recorded as the key of pair
 * map->n, the one about to be appended. */
static bool key_seen(struct loader *l, struct keyset *ks, const ynode *map,
		     const ynode *key)
{
	if ((map->n + 1) * 2 > ks->size)
		keyset_grow(l, ks, map);
	uint64_t h = key_hash(key);
	size_t j = (size_t)h & (ks->size - 1);
	for (; ks->slot[j]; j = (j + 1) & (ks->size - 1)) {
		const ynode *k = map->pairs[ks->slot[j] - 1].key;
		if (ks->hash[j] == h && k->len == key->len &&
		    memcmp(k->str, key->str, key->len) == 0)
			return true;
	}
	ks->slot[j] = map->n + 1;
	ks->hash[j] = h;
	return false;
}

/* One more entry in the collection n, or an error at the entry (at) that
 * passes LIMIT_YAML_ENTRIES: what a hostile file can make every later
 * phase do is bounded here, and the error points into matrix.yaml. */
static bool room_for(struct loader *l, const ynode *n, srcpos at)
{
	if (n->n < LIMIT_YAML_ENTRIES)
		return true;
	diag_error(l->d, at, "more than %u entries in the %s that starts at "
			     "line %u",
		   LIMIT_YAML_ENTRIES, n->kind == YNODE_MAP ? "mapping" : "list",
		   n->at.line);
	l->failed = true;
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
	check_tag(l, start->data.sequence_start.tag, "seq", start->start_mark);
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
		if (!room_for(l, n, mark_pos(l, ev.start_mark))) {
			yaml_event_delete(&ev);
			return NULL;
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
	struct keyset keys = {0};
	yaml_char_t *anchor = start->data.mapping_start.anchor;
	const yaml_char_t *anchor_name =
	    anchor ? (yaml_char_t *)arena_strdup(l->a, (char *)anchor) : NULL;
	check_tag(l, start->data.mapping_start.tag, "map", start->start_mark);
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
		if (!room_for(l, n, mark_pos(l, ev.start_mark))) {
			yaml_event_delete(&ev);
			return NULL;
		}
		ynode *key = parse_node(l, &ev, depth + 1);
		yaml_event_delete(&ev);
		if (!key || !next_event(l, &ev))
			return NULL;
		ynode *val = parse_node(l, &ev, depth + 1);
		yaml_event_delete(&ev);
		if (!val)
			return NULL;
		if (key->kind != YNODE_SCALAR)
			diag_error(l->d, key->at, "mapping keys must be strings");
		else if (key_seen(l, &keys, n, key))
			diag_error(l->d, key->at, "duplicate key '%.100s%s'",
				   key->str, key->len > 100 ? "..." : "");
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

/* The length of the line break at p that libyaml takes for one but a
 * person (an editor, a terminal, diag's excerpts) may not: NEL (U+0085),
 * LINE SEPARATOR (U+2028), PARAGRAPH SEPARATOR (U+2029), a CR not followed
 * by LF. 0 for anything else. */
static size_t odd_break(const unsigned char *p, const unsigned char *end)
{
	if (p[0] == '\r')
		return p + 1 < end && p[1] == '\n' ? 0 : 1;
	if (p[0] == 0xc2 && p + 1 < end && p[1] == 0x85)
		return 2;
	if (p[0] == 0xe2 && p + 2 < end && p[1] == 0x80 &&
	    (p[2] == 0xa8 || p[2] == 0xa9))
		return 3;
	return 0;
}

/* Report every odd line break in text, at the line and column a person
 * sees (lines end at LF only; columns count characters, as libyaml's do).
 * Returns false when there was one. */
static bool check_breaks(struct loader *l, const char *text, size_t len)
{
	const unsigned char *p = (const unsigned char *)text, *end = p + len;
	srcpos at = {l->file, 1, 1};
	bool ok = true;
	for (; p < end; p++) {
		size_t n = odd_break(p, end);
		if (n) {
			diag_error(l->d, at, "%s is a line break that not every "
					     "reader sees: use a plain newline",
				   n == 1   ? "a carriage return without a newline"
				   : n == 2 ? "U+0085 (NEL)"
				   : p[2] == 0xa8 ? "U+2028 (LINE SEPARATOR)"
						  : "U+2029 (PARAGRAPH SEPARATOR)");
			ok = false;
		}
		if (*p == '\n')
			at.line++, at.col = 1;
		else if ((*p & 0xc0) != 0x80)
			at.col++;
	}
	return ok;
}

ynode *yaml_load(arena *a, diag *d, const char *file, const char *text,
		 size_t len)
{
	struct loader l = {.a = a, .d = d, .file = file, .text = text,
			   .len = len};
	unsigned errors = diag_errors(d);
	if (!check_breaks(&l, text, len))
		return NULL;
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
	if (l.failed || l.rejected || (!root && diag_errors(d) != errors))
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
