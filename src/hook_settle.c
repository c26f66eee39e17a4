/* hook_settle.c - provenance of what hooks store, settled after each call
 * (see hook_settle.h). */
#include "hook_run.h"

#include <stdlib.h>
#include <string.h>

void prov_init(hookrun *r)
{
	size_t n = r->cs->n + 1;
	/* written before it is read (prov_begin_store): not zeroed */
	r->prov.before = xrealloc(NULL, n * sizeof *r->prov.before);
	r->prov.stored = arena_alloc(r->a, n * sizeof *r->prov.stored);
	r->prov.owned = arena_alloc(r->a, n * sizeof *r->prov.owned);
	r->prov.last_drop = arena_alloc(r->a, n * sizeof *r->prov.last_drop);
}

void prov_free(hookrun *r)
{
	free(r->prov.before);
	free(r->prov.drops);
}

cell *prov_begin_store(hookrun *r, size_t i)
{
	cell *c = r->cs->v[i];
	if (r->prov.stored[i] != r->cells.call_id) {
		r->prov.stored[i] = r->cells.call_id;
		r->prov.owned[i] = 0;
		r->prov.last_drop[i] = 0;
		r->prov.before[i] = *c;
	}
	return c;
}

strlist *prov_own_list(hookrun *r, size_t i, int id)
{
	cell *c = prov_begin_store(r, i);
	strlist *l = field_list(c, id);
	if (!(r->prov.owned[i] & 1u << id)) {
		const strlist *was = field_list(&r->prov.before[i], id);
		r->prov.owned[i] |= 1u << id;
		*l = (strlist){0};
		strlist_reserve(r->a, l, was->n + 4); /* hooks mostly add */
		strlist_copy(r->a, l, was);
	}
	return l;
}

strlist *prov_fresh_list(hookrun *r, size_t i, int id)
{
	strlist *l = field_list(prov_begin_store(r, i), id);
	r->prov.owned[i] |= 1u << id;
	*l = (strlist){0};
	return l;
}

void prov_dropped(hookrun *r, lua_State *L, size_t i, int id,
		  const char *value)
{
	hook_prov *p = &r->prov;
	prov_begin_store(r, i);
	if (p->drops_call != r->cells.call_id) {
		p->drops_call = r->cells.call_id;
		p->ndrops = 0;
	}
	hook_charge_mem(r, L, sizeof *p->drops);
	if (p->ndrops == p->dropcap) {
		p->dropcap = p->dropcap ? 2 * p->dropcap : 16;
		p->drops = xrealloc(p->drops, p->dropcap * sizeof *p->drops);
	}
	srcpos at = r->call.call_at;
	hook_frame(r, L, 1, &at);
	p->drops[p->ndrops] = (prov_drop){i, p->last_drop[i], id, value, at};
	p->last_drop[i] = ++p->ndrops;
}

/* The hook line that last dropped value from list id of cell i in this
 * call; the hook's own line when none is known. */
static srcpos dropped_at(const hookrun *r, size_t i, int id, const char *value)
{
	for (size_t k = r->prov.last_drop[i]; k;) {
		const prov_drop *d = &r->prov.drops[k - 1];
		if (d->field == id && (!d->value || strcmp(d->value, value) == 0))
			return d->at;
		k = d->next;
	}
	return r->call.call_at;
}

/* Record that a hook removed value from list field of c. */
static void add_removal(arena *a, cell *c, const char *field,
			const char *value, srcpos by)
{
	if (c->nremoved == c->removed_cap) {
		size_t cap = c->removed_cap ? 2 * c->removed_cap : 4;
		c->removed = arena_grow(a, c->removed,
					c->removed_cap * sizeof *c->removed,
					cap * sizeof *c->removed);
		c->removed_cap = cap;
	}
	c->removed[c->nremoved++] = (removal){field, value, by};
}

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static bool same_strings(const strlist *a, const strlist *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].s != b->v[i].s && strcmp(a->v[i].s, b->v[i].s) != 0)
			return false;
	return true;
}

static bool same_pos(srcpos a, srcpos b)
{
	return a.file == b.file && a.line == b.line && a.col == b.col;
}

/* Entries that were there before the call keep their origin: first the
 * entries still exactly as they were (moved or not), then, for the rest,
 * the first unmatched equal entry (a value removed and added again); an
 * entry with no match is new and keeps the hook line that stored it. An
 * entry of was with no match in now was removed: it is recorded in c
 * with the hook line that removed it. */
static void keep_entries(hookrun *r, size_t ci, int id)
{
	arena *a = r->a;
	cell *c = r->cs->v[ci];
	strlist *now = field_list(c, id);
	const strlist *was = field_list(&r->prov.before[ci], id);
	if (same_strings(now, was)) {
		*now = *was;
		return;
	}
	bool small_used[64] = {0}, small_done[64] = {0};
	bool *used = was->n <= 64 ? small_used : arena_alloc(a, was->n);
	bool *done = now->n <= 64 ? small_done : arena_alloc(a, now->n);
	/* the search starts at the first unused entry, which is the next one
	 * while the entries keep their order: linear in that common case */
	size_t first = 0;
	for (size_t i = 0; i < now->n; i++)
		for (size_t j = first; j < was->n; j++)
			if (!used[j] && now->v[i].s == was->v[j].s &&
			    same_pos(now->v[i].at, was->v[j].at)) {
				used[j] = done[i] = true;
				while (first < was->n && used[first])
					first++;
				break;
			}
	for (size_t i = 0; i < now->n; i++)
		for (size_t j = first; j < was->n && !done[i]; j++)
			if (!used[j] && strcmp(now->v[i].s, was->v[j].s) == 0) {
				used[j] = done[i] = true;
				now->v[i].at = was->v[j].at;
			}
	for (size_t j = first; j < was->n; j++)
		if (!used[j])
			add_removal(a, c, hook_fields[id].name, was->v[j].s,
				    dropped_at(r, ci, id, was->v[j].s));
}

/* PGO and LTO are configure flags that expand added; a hook that turns
 * one off (or on) changes the flag with it. */
static void sync_flags(hookrun *r, cell *c, bool pgo_was, bool lto_was)
{
	if (pgo_was && !c->pgo.on &&
	    strlist_remove(&c->configure, "--enable-optimizations"))
		add_removal(r->a, c, "configure", "--enable-optimizations",
			    c->pgo.at);
	if (!pgo_was && c->pgo.on)
		strlist_add_unique(r->a, &c->configure, "--enable-optimizations",
				   c->pgo.at);
	if (lto_was && !c->lto.on)
		for (size_t i = c->configure.n; i-- > 0;)
			if (strncmp(c->configure.v[i].s, "--with-lto", 10) == 0) {
				const char *v = c->configure.v[i].s;
				strlist_remove(&c->configure, v);
				add_removal(r->a, c, "configure", v, c->lto.at);
			}
	if (!lto_was && c->lto.on)
		strlist_add_unique(r->a, &c->configure, "--with-lto", c->lto.at);
}

/* The classic failure: a variant that promises PGO or LTO, built without
 * it under the tag that claims it. A hook must skip such a cell or give it
 * another tag. */
static void check_promise(hookrun *r, const cell *c, const pbool *flag,
			  bool promised, const char *what)
{
	if (!promised || flag->on || c->skip || !cell_has_default_tag(c))
		return;
	diag_error(r->d, flag->at, "%s turned off, but variant '%s' promises "
		   "it and tag '%s' would claim it: skip the cell (mx.skip) or "
		   "change its tag%s", what, c->variant->name.s, c->tag.s,
		   hook_context(r));
}

bool settle(hookrun *r, size_t i)
{
	if (r->prov.stored[i] != r->cells.call_id)
		return true;
	cell *c = r->cs->v[i];
	cell *b = &r->prov.before[i];
	static const int bools[] = {X_PGO, X_LTO, X_PIP};
	static const int strings[] = {X_BASE, X_URL, X_SHA256, X_TAG,
				      X_GET_PIP_URL, X_GET_PIP_SHA256};
	for (size_t k = 0; k < sizeof bools / sizeof *bools; k++) {
		pbool *now = field_bool(c, bools[k]);
		if (now->on == field_bool(b, bools[k])->on)
			*now = *field_bool(b, bools[k]);
	}
	for (size_t k = 0; k < sizeof strings / sizeof *strings; k++) {
		pstr *now = field_string(c, strings[k]);
		const pstr *was = field_string(b, strings[k]);
		if (same_str(now->s, was->s))
			*now = *was;
	}
	if (c->skip == b->skip && same_str(c->skip_reason.s, b->skip_reason.s))
		c->skip_reason = b->skip_reason;
	for (int id = 0; id < HOOK_NFIELDS; id++)
		if (r->prov.owned[i] & 1u << id)
			keep_entries(r, i, id);
	sync_flags(r, c, b->pgo.on, b->lto.on);
	unsigned errors = diag_errors(r->d);
	if (b->pgo.on != c->pgo.on)
		check_promise(r, c, &c->pgo, c->variant->pgo, "PGO");
	if (b->lto.on != c->lto.on)
		check_promise(r, c, &c->lto, c->variant->lto, "LTO");
	return diag_errors(r->d) == errors;
}
