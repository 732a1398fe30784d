/*
 * YAML loader on libyaml's event parser.
 *
 * Events drive an explicit stack of open collections (`frames`) and one
 * shared stack of finished children (`kids`): closing a collection copies its
 * children from the top of `kids` into the arena. Nesting therefore costs
 * heap, not C stack, and the depth limit is checked before a level is
 * opened, so a 100,000-deep `[[[...` stops after max_depth events.
 *
 * Memory: a tree is most of what a run touches (and on a VM, first touch is
 * what memory costs), so a node holds only what its readers need: a scalar
 * is a bare 64-byte cg_node, its value packed after it in the arena; only a
 * collection carries one more word for the builder (see struct ycoll).
 *
 * An alias is the anchored node itself (the tree is a DAG). Each node has
 * an expanded size, the number of nodes a copying loader would have made;
 * a document's running total grows by that size at every alias, so a
 * billion-laughs file is refused after a few dozen events and nothing is
 * ever expanded. An alias to a collection that is still open (a cycle) is
 * refused as well, so the DAG has no cycles.
 *
 * Merge keys (`<<`) are applied when their mapping closes; the sources are
 * complete by then, so merges inside merged maps are already resolved.
 *
 * libyaml's marks count characters, not bytes: they are turned into byte
 * offsets with the line table of the source. The parser is told the input is
 * UTF-8, which makes it count a leading BOM as a column, as cg_src does.
 *
 * cg_scalar_offsets, at the end, maps a scalar's value back to the bytes it
 * came from: the source range is cut into line segments whose bytes appear
 * verbatim in the value (indentation, quotes, block headers and trimmed
 * blanks left out), then value and segments are walked together. Between
 * two segments, the line breaks make what libyaml's scanner makes of them
 * (a space, newlines, or nothing), and those value bytes map to the breaks.
 * Should the value and the source ever disagree, the walk looks a few bytes
 * ahead and otherwise keeps offsets in range rather than fail.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "load/yaml_int.h"
#include "core/banned.h"

#define MERGE_TAG "tag:yaml.org,2002:merge"

/*
 * A sequence or mapping. A scalar's expanded size is always 1 and it is
 * never open, so scalars (three nodes in four) do without this word.
 */
struct ycoll {
	struct cg_node node; /* first, so a collection of ours is a ycoll */
	size_t expanded; /* nodes if aliases were copies (saturating); 0 while
			    the collection's end is still to come */
};

struct frame {
	struct ycoll *y;
	size_t base; /* its children start at kids[base] */
	size_t end;  /* end of the last child's text (offset) */
	uint32_t end_line, end_col;
};

struct anchor {
	const char *name; /* NULL: free slot */
	struct cg_node *n;
};

/* A mark converted to a byte offset; the last one speeds up the next. */
struct mark_cache {
	uint32_t line, col;
	size_t off;
};

struct cg_ybuilder {
	struct cg_arena *arena; /* where the tree lives */
	const struct cg_src *src;
	struct cg_tree *out;
	size_t adocs;
	struct cg_load_limits lim;
	struct frame *frames;
	size_t nframes, aframes;
	struct cg_node **kids;
	size_t nkids, akids;
	struct anchor *anchors; /* open addressing, power-of-two size */
	size_t nanchors, aanchors;
	struct cg_arena names; /* anchor names of the current document */
	struct cg_node *root;
	size_t doc_total; /* expanded size of the document so far */
	bool doc_aliased; /* the document used an alias */
	bool ascii;	  /* the source is all ASCII */
	struct mark_cache mc;
};

static size_t sat_add(size_t a, size_t b)
{
	return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

/*
 * libyaml mark (0-based line and column in characters) -> byte offset, and
 * the 1-based line and column that offset really has (the column is clamped
 * at the end of the line). This is cg_src_offset + cg_src_linecol, but
 * marks arrive mostly in increasing order, so the walk along a line starts
 * from the previous mark when it can: a long line with many nodes stays
 * linear where the two calls would walk from the line start every time.
 * In an all-ASCII source (most are) a character is a byte: no walk at all.
 */
static size_t mark_off(struct cg_ybuilder *b, yaml_mark_t m, uint32_t *line,
		       uint32_t *col)
{
	const struct cg_src *s = b->src;
	uint32_t l = m.line >= UINT32_MAX ? UINT32_MAX : (uint32_t)m.line + 1;
	uint32_t c =
	    m.column >= UINT32_MAX ? UINT32_MAX : (uint32_t)m.column + 1;
	size_t i, end;
	uint32_t at;
	const char *text;

	if (l > s->nlines) {
		cg_src_linecol(s, s->len, line, col);
		return s->len;
	}
	if (b->ascii) {
		size_t start = s->line_start[l - 1];
		size_t next = l < s->nlines ? s->line_start[l] : s->len;

		/* a line break is at most two bytes here, so only a column
		 * that close to the next line needs the line's end */
		i = c - 1;
		if ((size_t)c + 1 > next - start) {
			cg_src_line(s, l, &end);
			if (i > end)
				i = end;
		}
		*line = l;
		*col = (uint32_t)i + 1;
		return start + i;
	}
	/* at most up to the line break, so the offset stays on line l */
	text = cg_src_line(s, l, &end);
	end += (size_t)(text - s->text);
	if (b->mc.line == l && b->mc.col <= c) {
		i = b->mc.off;
		at = b->mc.col;
	} else {
		i = s->line_start[l - 1];
		at = 1;
	}
	while (at < c && i < end) {
		i++;
		while (i < end && ((unsigned char)s->text[i] & 0xc0) == 0x80)
			i++;
		at++;
	}
	b->mc.line = l;
	b->mc.col = at;
	b->mc.off = i;
	*line = l;
	*col = at;
	return i;
}

static int error_at(struct cg_ybuilder *b, int code, const struct cg_ymark *m,
		    const char *what)
{
	return cg_error_set(code, "%s:%u:%u: %s", b->src->path, m->line, m->col,
			    what);
}

static int parse_error(struct cg_ybuilder *b, const yaml_parser_t *p)
{
	const char *problem = p->problem ? p->problem : "not valid YAML";
	uint32_t line, col;

	/* out of memory in libyaml is out of memory, as in our own
	 * allocations: never a malformed file (which would only be a note) */
	if (p->error == YAML_MEMORY_ERROR)
		cg_oom(0);
	if (p->error == YAML_READER_ERROR)
		/* the reader reports a byte offset, not a mark */
		cg_src_linecol(b->src, p->problem_offset, &line, &col);
	else
		mark_off(b, p->problem_mark, &line, &col);
	if (p->context) {
		uint32_t cline, ccol;

		mark_off(b, p->context_mark, &cline, &ccol);
		return cg_error_set(CG_EPARSE, "%s:%u:%u: %s (%s at line %u)",
				    b->src->path, line, col, problem,
				    p->context, cline);
	}
	return cg_error_set(CG_EPARSE, "%s:%u:%u: %s", b->src->path, line, col,
			    problem);
}

static bool all_ascii(const char *text, size_t len)
{
	uint64_t any = 0, word;
	size_t i = 0;

	/* eight bytes at a time, no early exit: most sources are ASCII */
	for (; i + 8 <= len; i += 8) {
		memcpy(&word, text + i, 8);
		any |= word;
	}
	for (; i < len; i++)
		any |= (unsigned char)text[i];
	return !(any & 0x8080808080808080u);
}

/* ---- anchors: name -> node, one table per document ---- */

static size_t anchor_slot(const struct anchor *tab, size_t size,
			  const char *name)
{
	size_t i = cg_hash64(CG_HASH_INIT, name, strlen(name)) & (size - 1);

	while (tab[i].name && strcmp(tab[i].name, name))
		i = (i + 1) & (size - 1);
	return i;
}

static void anchor_set(struct cg_ybuilder *b, const char *name,
		       struct cg_node *n)
{
	size_t i;

	if ((b->nanchors + 1) * 2 > b->aanchors) {
		size_t size = b->aanchors ? b->aanchors * 2 : 16;
		struct anchor *tab = cg_xcalloc(size, sizeof(*tab));

		for (size_t k = 0; k < b->aanchors; k++)
			if (b->anchors[k].name)
				tab[anchor_slot(tab, size,
						b->anchors[k].name)] =
				    b->anchors[k];
		free(b->anchors);
		b->anchors = tab;
		b->aanchors = size;
	}
	i = anchor_slot(b->anchors, b->aanchors, name);
	if (!b->anchors[i].name) {
		/* a redefined anchor keeps its slot, later aliases see the
		 * new node */
		b->anchors[i].name = cg_arena_strdup(&b->names, name);
		b->nanchors++;
	}
	b->anchors[i].n = n;
}

static struct cg_node *anchor_get(const struct cg_ybuilder *b, const char *name)
{
	if (!b->aanchors)
		return NULL;
	return b->anchors[anchor_slot(b->anchors, b->aanchors, name)].n;
}

static void anchors_reset(struct cg_ybuilder *b)
{
	free(b->anchors);
	b->anchors = NULL;
	b->nanchors = b->aanchors = 0;
	cg_arena_release(&b->names);
}

/* ---- merge keys ---- */

static bool is_merge_key(const struct cg_node *k)
{
	if (k->kind != CG_NODE_SCALAR)
		return false;
	if (k->tag)
		return !strcmp(k->tag, MERGE_TAG);
	return k->style == CG_STYLE_PLAIN && k->len == 2 &&
	       !memcmp(k->str, "<<", 2);
}

/* A `<<` value that can be merged: a map or a sequence of maps. */
static bool mergeable(const struct cg_node *v)
{
	if (v->kind == CG_NODE_MAP)
		return true;
	if (v->kind != CG_NODE_SEQ)
		return false;
	for (size_t i = 0; i < v->n; i++)
		if (v->items[i]->kind != CG_NODE_MAP)
			return false;
	return true;
}

/* Keys already present: scalars compare by value, others by identity. */
struct key_set {
	const struct cg_node **slot;
	size_t size;
};

static uint64_t key_hash(const struct cg_node *k)
{
	uintptr_t p = (uintptr_t)k;

	if (k->kind == CG_NODE_SCALAR)
		return cg_hash64(CG_HASH_INIT, k->str, k->len);
	return cg_hash64(CG_HASH_INIT, &p, sizeof(p));
}

static bool key_eq(const struct cg_node *a, const struct cg_node *b)
{
	if (a == b)
		return true;
	return a->kind == CG_NODE_SCALAR && b->kind == CG_NODE_SCALAR &&
	       a->len == b->len && !memcmp(a->str, b->str, a->len);
}

/* Add `k`; true when it was not there yet. */
static bool key_set_add(struct key_set *s, const struct cg_node *k)
{
	size_t i = key_hash(k) & (s->size - 1);

	for (; s->slot[i]; i = (i + 1) & (s->size - 1))
		if (key_eq(s->slot[i], k))
			return false;
	s->slot[i] = k;
	return true;
}

/*
 * Append to out[*m] the pairs of `src` whose key is not in `seen` yet. For a
 * key written twice in `src` the last pair is the one taken (as lookups do),
 * placed where src has it.
 */
static void merge_from(struct key_set *seen, const struct cg_node *src,
		       struct cg_pair *out, size_t *m)
{
	bool *take = cg_xcalloc(src->n, sizeof(*take));

	for (size_t i = src->n; i-- > 0;)
		take[i] = key_set_add(seen, src->pairs[i].key);
	for (size_t i = 0; i < src->n; i++)
		if (take[i])
			out[(*m)++] = src->pairs[i];
	free(take);
}

/*
 * Apply the `<<` pairs of `map` (YAML merge key spec): the map's own keys
 * win, then earlier sources over later ones; merged pairs take the place of
 * the `<<` pair. Pair nodes are shared with the sources.
 */
static void apply_merges(struct cg_ybuilder *b, struct cg_node *map)
{
	size_t total = map->n, nmerges = 0, m = 0;
	struct key_set seen;
	struct cg_pair *out;

	for (size_t i = 0; i < map->n; i++) {
		const struct cg_pair *p = &map->pairs[i];

		if (!is_merge_key(p->key) || !mergeable(p->value))
			continue;
		nmerges++;
		if (p->value->kind == CG_NODE_MAP)
			total += p->value->n;
		else
			for (size_t k = 0; k < p->value->n; k++)
				total += p->value->items[k]->n;
	}
	if (!nmerges)
		return;
	for (seen.size = 16; seen.size < total * 2; seen.size *= 2)
		;
	seen.slot = cg_xcalloc(seen.size, sizeof(*seen.slot));
	for (size_t i = 0; i < map->n; i++) {
		const struct cg_pair *p = &map->pairs[i];

		if (!is_merge_key(p->key) || !mergeable(p->value))
			key_set_add(&seen, p->key);
	}
	out = cg_arena_alloc(b->arena, total * sizeof(*out));
	for (size_t i = 0; i < map->n; i++) {
		const struct cg_pair *p = &map->pairs[i];

		if (!is_merge_key(p->key) || !mergeable(p->value))
			out[m++] = *p;
		else if (p->value->kind == CG_NODE_MAP)
			merge_from(&seen, p->value, out, &m);
		else
			for (size_t k = 0; k < p->value->n; k++)
				merge_from(&seen, p->value->items[k], out, &m);
	}
	free(seen.slot);
	map->pairs = out;
	map->n = m;
}

/* ---- building ---- */

/* The expanded size of a finished node (0: a collection still open). */
static size_t expanded_of(const struct cg_node *n)
{
	return n->kind == CG_NODE_SCALAR ? 1
					 : ((const struct ycoll *)n)->expanded;
}

/* A node of `size` bytes (a cg_node or a ycoll) spanning the event. */
static struct cg_node *new_node(struct cg_ybuilder *b, size_t size,
				enum cg_node_kind kind, const struct cg_yev *ev)
{
	struct cg_node *n = cg_arena_alloc(b->arena, size);
	size_t start = ev->start.off, end = ev->end.off;

	n->kind = kind;
	n->pos.line = ev->start.line;
	n->pos.col = ev->start.col;
	n->pos.end_line = ev->end.line;
	n->pos.end_col = ev->end.col;
	if (end < start) {
		end = start;
		n->pos.end_line = n->pos.line;
		n->pos.end_col = n->pos.col;
	}
	/* offsets fit: the source is at most CG_LOAD_MAX_BYTES */
	n->start = (uint32_t)start;
	n->end = (uint32_t)end;
	if (ev->tag)
		n->tag = cg_arena_strdup(b->arena, ev->tag);
	return n;
}

/* Count `n` more nodes in the document; refuse when aliases blew it up. */
static int count_nodes(struct cg_ybuilder *b, size_t n,
		       const struct cg_ymark *at)
{
	char what[96];

	b->doc_total = sat_add(b->doc_total, n);
	if (!b->doc_aliased || b->doc_total <= b->lim.max_expanded_nodes)
		return 0;
	snprintf(what, sizeof(what), "alias expansion exceeds %zu nodes",
		 b->lim.max_expanded_nodes);
	return error_at(b, CG_ELIMIT, at, what);
}

/* A finished node (or an alias to one) whose text ends at end/line/col. */
static void add_child(struct cg_ybuilder *b, struct cg_node *n, size_t end,
		      uint32_t line, uint32_t col)
{
	struct frame *f;

	if (!b->nframes) {
		b->root = n;
		return;
	}
	CG_GROW(b->kids, b->akids, b->nkids + 1);
	b->kids[b->nkids++] = n;
	f = &b->frames[b->nframes - 1];
	f->end = end;
	f->end_line = line;
	f->end_col = col;
}

static int on_scalar(struct cg_ybuilder *b, const struct cg_yev *ev)
{
	struct cg_node *n = new_node(b, sizeof(*n), CG_NODE_SCALAR, ev);

	n->style = ev->style;
	n->str = cg_arena_strndup(b->arena, ev->value, ev->len);
	/* at most 3 bytes of value per 2 of source: it fits (load.h) */
	n->len = (uint32_t)ev->len;
	if (ev->anchor)
		anchor_set(b, ev->anchor, n);
	add_child(b, n, n->end, n->pos.end_line, n->pos.end_col);
	return count_nodes(b, 1, &ev->start);
}

static int on_alias(struct cg_ybuilder *b, const struct cg_yev *ev)
{
	const char *name = ev->anchor;
	struct cg_node *n = anchor_get(b, name);
	char what[160];

	if (!n || !expanded_of(n)) {
		snprintf(what, sizeof(what),
			 n ? "alias '%.100s' refers to a node containing it"
			   : "unknown alias '%.100s'",
			 name);
		return error_at(b, CG_EPARSE, &ev->start, what);
	}
	add_child(b, n, ev->end.off, ev->end.line, ev->end.col);
	b->doc_aliased = true;
	return count_nodes(b, expanded_of(n), &ev->start);
}

static int on_start(struct cg_ybuilder *b, const struct cg_yev *ev,
		    enum cg_node_kind kind)
{
	struct ycoll *y;
	struct frame *f;
	char what[64];

	if (b->nframes >= b->lim.max_depth) {
		snprintf(what, sizeof(what), "nesting deeper than %u levels",
			 b->lim.max_depth);
		return error_at(b, CG_ELIMIT, &ev->start, what);
	}
	y = (struct ycoll *)new_node(b, sizeof(*y), kind, ev);
	if (ev->anchor)
		anchor_set(b, ev->anchor, &y->node);
	CG_GROW(b->frames, b->aframes, b->nframes + 1);
	f = &b->frames[b->nframes++];
	f->y = y;
	f->base = b->nkids;
	f->end = y->node.start;
	f->end_line = y->node.pos.line;
	f->end_col = y->node.pos.col;
	return count_nodes(b, 1, &ev->start);
}

static void on_end(struct cg_ybuilder *b, const struct cg_yev *ev)
{
	struct frame *f = &b->frames[--b->nframes];
	struct ycoll *y = f->y;
	struct cg_node *n = &y->node;
	size_t nkids = b->nkids - f->base, expanded = 1;
	struct cg_node **kids = nkids ? b->kids + f->base : NULL;

	/* counts fit: each child is at least one byte of the source */
	if (n->kind == CG_NODE_SEQ) {
		n->n = (uint32_t)nkids;
		n->items = cg_arena_alloc(b->arena, nkids * sizeof(*n->items));
		if (nkids)
			memcpy(n->items, kids, nkids * sizeof(*n->items));
		for (size_t i = 0; i < n->n; i++)
			expanded = sat_add(expanded, expanded_of(n->items[i]));
	} else {
		n->n = (uint32_t)(nkids / 2);
		n->pairs = cg_arena_alloc(b->arena, n->n * sizeof(*n->pairs));
		for (size_t i = 0; i < n->n; i++) {
			n->pairs[i].key = kids[2 * i];
			n->pairs[i].value = kids[2 * i + 1];
		}
		apply_merges(b, n);
		for (size_t i = 0; i < n->n; i++) {
			const struct cg_pair *p = &n->pairs[i];

			expanded = sat_add(expanded, expanded_of(p->key));
			expanded = sat_add(expanded, expanded_of(p->value));
		}
	}
	b->nkids = f->base;
	y->expanded = expanded;

	/*
	 * A flow collection ends with its `]` or `}`; a block one (and a
	 * single-pair mapping inside a flow sequence) gets a zero-width end
	 * event wherever the next token is, so it ends with its last child.
	 */
	if (ev->end.off > ev->start.off && ev->end.off >= f->end) {
		n->end = (uint32_t)ev->end.off;
		n->pos.end_line = ev->end.line;
		n->pos.end_col = ev->end.col;
	} else {
		n->end = (uint32_t)f->end;
		n->pos.end_line = f->end_line;
		n->pos.end_col = f->end_col;
	}
	add_child(b, n, n->end, n->pos.end_line, n->pos.end_col);
}

static void on_document_end(struct cg_ybuilder *b)
{
	if (b->root) {
		CG_GROW(b->out->docs, b->adocs, b->out->ndocs + 1);
		b->out->docs[b->out->ndocs++] = b->root;
	}
	b->root = NULL;
	b->nframes = 0;
	b->nkids = 0;
	anchors_reset(b);
}

int cg_ybuild_event(struct cg_ybuilder *b, const struct cg_yev *ev)
{
	switch (ev->type) {
	case CG_YEV_DOC_START:
		b->doc_total = 0;
		b->doc_aliased = false;
		return 0;
	case CG_YEV_DOC_END:
		on_document_end(b);
		return 0;
	case CG_YEV_SCALAR:
		return on_scalar(b, ev);
	case CG_YEV_ALIAS:
		return on_alias(b, ev);
	case CG_YEV_SEQ_START:
		return on_start(b, ev, CG_NODE_SEQ);
	case CG_YEV_MAP_START:
		return on_start(b, ev, CG_NODE_MAP);
	case CG_YEV_SEQ_END:
	case CG_YEV_MAP_END:
		if (b->nframes)
			on_end(b, ev);
		return 0;
	}
	return 0;
}

/* ---- libyaml's events ---- */

static enum cg_scalar_style scalar_style(yaml_scalar_style_t s)
{
	switch (s) {
	case YAML_SINGLE_QUOTED_SCALAR_STYLE:
		return CG_STYLE_SINGLE;
	case YAML_DOUBLE_QUOTED_SCALAR_STYLE:
		return CG_STYLE_DOUBLE;
	case YAML_LITERAL_SCALAR_STYLE:
		return CG_STYLE_LITERAL;
	case YAML_FOLDED_SCALAR_STYLE:
		return CG_STYLE_FOLDED;
	default:
		return CG_STYLE_PLAIN;
	}
}

static void ymark(struct cg_ybuilder *b, yaml_mark_t m, struct cg_ymark *out)
{
	out->off = mark_off(b, m, &out->line, &out->col);
}

/* libyaml's event as ours; false for those the builder takes no note of
 * (stream start and end) */
static bool from_libyaml(struct cg_ybuilder *b, const yaml_event_t *e,
			 struct cg_yev *ev)
{
	memset(ev, 0, sizeof(*ev));
	switch (e->type) {
	case YAML_DOCUMENT_START_EVENT:
		ev->type = CG_YEV_DOC_START;
		return true;
	case YAML_DOCUMENT_END_EVENT:
		ev->type = CG_YEV_DOC_END;
		return true;
	case YAML_SCALAR_EVENT:
		ev->type = CG_YEV_SCALAR;
		ev->tag = (const char *)e->data.scalar.tag;
		ev->anchor = (const char *)e->data.scalar.anchor;
		ev->value = (const char *)e->data.scalar.value;
		ev->len = e->data.scalar.length;
		ev->style = scalar_style(e->data.scalar.style);
		break;
	case YAML_ALIAS_EVENT:
		ev->type = CG_YEV_ALIAS;
		ev->anchor = (const char *)e->data.alias.anchor;
		break;
	case YAML_SEQUENCE_START_EVENT:
		ev->type = CG_YEV_SEQ_START;
		ev->tag = (const char *)e->data.sequence_start.tag;
		ev->anchor = (const char *)e->data.sequence_start.anchor;
		break;
	case YAML_MAPPING_START_EVENT:
		ev->type = CG_YEV_MAP_START;
		ev->tag = (const char *)e->data.mapping_start.tag;
		ev->anchor = (const char *)e->data.mapping_start.anchor;
		break;
	case YAML_SEQUENCE_END_EVENT:
		ev->type = CG_YEV_SEQ_END;
		break;
	case YAML_MAPPING_END_EVENT:
		ev->type = CG_YEV_MAP_END;
		break;
	default:
		return false;
	}
	ymark(b, e->start_mark, &ev->start);
	ymark(b, e->end_mark, &ev->end);
	return true;
}

static int load_libyaml(struct cg_ybuilder *b, const struct cg_src *src)
{
	yaml_parser_t parser;
	yaml_event_t e;
	struct cg_yev ev;
	bool done = false;
	int err = 0;

	if (!yaml_parser_initialize(&parser))
		cg_oom(0);
	yaml_parser_set_input_string(&parser, (const unsigned char *)src->text,
				     src->len);
	yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
	while (!done && !err) {
		if (!yaml_parser_parse(&parser, &e)) {
			err = parse_error(b, &parser);
			break;
		}
		done = e.type == YAML_STREAM_END_EVENT;
		if (from_libyaml(b, &e, &ev))
			err = cg_ybuild_event(b, &ev);
		yaml_event_delete(&e);
	}
	yaml_parser_delete(&parser);
	return err;
}

/* Forget a half-built stream (the fast scanner stopped): the nodes stay in
 * the arena, unreferenced. */
static void builder_reset(struct cg_ybuilder *b)
{
	b->out->ndocs = 0;
	b->root = NULL;
	b->nframes = 0;
	b->nkids = 0;
	b->doc_total = 0;
	b->doc_aliased = false;
	anchors_reset(b);
}

int cg_yaml_load(struct cg_tree *out, const struct cg_src *src,
		 const struct cg_load_limits *lim)
{
	return cg_yaml_load_how(out, src, lim, NULL, CG_YAML_AUTO);
}

int cg_yaml_load_in(struct cg_tree *out, const struct cg_src *src,
		    const struct cg_load_limits *lim, struct cg_arena *arena)
{
	return cg_yaml_load_how(out, src, lim, arena, CG_YAML_AUTO);
}

int cg_yaml_load_how(struct cg_tree *out, const struct cg_src *src,
		     const struct cg_load_limits *lim, struct cg_arena *arena,
		     enum cg_yaml_how how)
{
	static const struct cg_load_limits defaults = CG_LOAD_LIMITS_DEFAULT;
	struct cg_ybuilder b;
	int err = 1;

	cg_arena_init(&out->arena);
	out->docs = NULL;
	out->ndocs = 0;
	if (src->len > CG_LOAD_MAX_BYTES)
		return cg_error_set(CG_ELIMIT, "%s: larger than %zu bytes",
				    src->path, CG_LOAD_MAX_BYTES);
	memset(&b, 0, sizeof(b));
	b.src = src;
	b.out = out;
	b.arena = arena ? arena : &out->arena;
	b.lim = lim ? *lim : defaults;
	b.ascii = all_ascii(src->text, src->len);
	cg_arena_init(&b.names);

	if (how != CG_YAML_LIBYAML) {
		err = cg_yaml_fast_scan(&b, src, b.ascii);
		if (err)
			builder_reset(&b);
	}
	if (err && how != CG_YAML_FAST_ONLY)
		err = load_libyaml(&b, src);

	anchors_reset(&b);
	free(b.frames);
	free(b.kids);
	return err;
}

/* ---- cg_scalar_offsets ---- */

/*
 * Bytes [off, off+len) of the source are copied into the value in order
 * (escapes and '' aside); then comes the line break at brk (brklen bytes,
 * 0 after the last segment), which adds a space, a newline or nothing to the
 * value. `joined`: an escaped line break, which never adds anything.
 */
struct seg {
	size_t off, len;
	size_t brk, brklen;
	bool joined;
};

struct segs {
	struct seg *v;
	size_t n, alloc;
};

static void seg_add(struct segs *s, size_t off, size_t len, size_t brk,
		    size_t brklen, bool joined)
{
	CG_GROW(s->v, s->alloc, s->n + 1);
	s->v[s->n++] = (struct seg){off, len, brk, brklen, joined};
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Length of the YAML line break at t[i] (within lim), 0 if none. */
static size_t brk_len(const char *t, size_t i, size_t lim)
{
	unsigned char c;

	if (i >= lim)
		return 0;
	c = (unsigned char)t[i];
	if (c == '\n')
		return 1;
	if (c == '\r')
		return (i + 1 < lim && t[i + 1] == '\n') ? 2 : 1;
	if (c == 0xc2 && i + 1 < lim && (unsigned char)t[i + 1] == 0x85)
		return 2;
	if (c == 0xe2 && i + 2 < lim && (unsigned char)t[i + 1] == 0x80 &&
	    ((unsigned char)t[i + 2] == 0xa8 ||
	     (unsigned char)t[i + 2] == 0xa9))
		return 3;
	return 0;
}

static size_t skip_line(const char *t, size_t p, size_t lim)
{
	while (p < lim && !brk_len(t, p, lim))
		p++;
	return p + brk_len(t, p, lim);
}

uint32_t cg_yaml_named_escape(char c)
{
	switch (c) {
	case 'N':
		return 0x85;
	case '_':
		return 0xa0;
	case 'L':
		return 0x2028;
	case 'P':
		return 0x2029;
	default:
		return 0;
	}
}

size_t cg_yaml_escape_digits(char c)
{
	return c == 'x' ? 2 : c == 'u' ? 4 : c == 'U' ? 8 : 0;
}

bool cg_yaml_anchor_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z') || c == '_' || c == '-';
}

static bool at_line_start(const char *t, size_t p)
{
	return p == 0 || t[p - 1] == '\n' || t[p - 1] == '\r' ||
	       (p >= 2 && brk_len(t, p - 2, p) == 2) ||
	       (p >= 3 && brk_len(t, p - 3, p) == 3);
}

/* Skip an anchor and a tag (and the blanks, breaks, comments around). */
static size_t skip_properties(const char *t, size_t p, size_t lim)
{
	for (;;) {
		while (p < lim) {
			if (is_blank(t[p]))
				p++;
			else if (p + 3 <= lim && at_line_start(t, p) &&
				 !memcmp(t + p, "\xef\xbb\xbf", 3))
				p += 3; /* libyaml skips a BOM that starts a
					   line */
			else if (brk_len(t, p, lim))
				p += brk_len(t, p, lim);
			else if (t[p] == '#')
				p = skip_line(t, p, lim);
			else
				break;
		}
		if (p < lim && t[p] == '&') {
			/* libyaml's anchor names: [0-9A-Za-z_-]; `&a:b` is
			 * anchor a on ":b" */
			for (p++; p < lim && cg_yaml_anchor_char(t[p]); p++)
				;
		} else if (p < lim && t[p] == '!') {
			/* a tag is followed by a blank, or in flow a comma;
			 * a verbatim one, `!<tag:yaml.org,2002:str>`, holds
			 * commas up to its `>` */
			if (p + 1 < lim && t[p + 1] == '<')
				while (p < lim && t[p] != '>')
					p++;
			while (p < lim && !is_blank(t[p]) &&
			       !brk_len(t, p, lim) && t[p] != ',')
				p++;
		} else {
			return p;
		}
	}
}

/*
 * Plain and quoted scalars: every line loses its leading blanks (but the
 * first) and its trailing blanks (but the last). In double quotes an escape
 * is one unit and `\` before a line break joins the lines.
 */
static void flow_segments(struct segs *out, const char *t, size_t a, size_t b,
			  bool dbl)
{
	size_t p = a;
	bool first = true;

	for (;;) {
		size_t off, last, br = 0;
		bool joined = false;

		if (!first)
			while (p < b && is_blank(t[p]))
				p++;
		off = last = p;
		while (p < b && !(br = brk_len(t, p, b))) {
			if (dbl && t[p] == '\\' && brk_len(t, p + 1, b)) {
				last = p++;
				br = brk_len(t, p, b);
				joined = true;
				break;
			}
			if (dbl && t[p] == '\\') {
				p = p + 2 < b ? p + 2 : b;
				last = p;
			} else if (!is_blank(t[p++])) {
				last = p;
			}
		}
		if (p >= b) {
			seg_add(out, off, b - off, b, 0, false);
			return;
		}
		seg_add(out, off, last - off, p, br, joined);
		p += br;
		first = false;
	}
}

/* Block scalars: from the line after the header, `indent` spaces off. */
static void block_segments(struct segs *out, const char *t, size_t a, size_t b,
			   size_t indent)
{
	size_t p = a;

	while (p < b) {
		size_t n = 0, off, br;

		while (p < b && t[p] == ' ' && n < indent) {
			p++;
			n++;
		}
		off = p;
		while (p < b && !brk_len(t, p, b))
			p++;
		br = brk_len(t, p, b);
		seg_add(out, off, p - off, p, br, false);
		p += br;
	}
}

/*
 * The indentation a block scalar stripped: the first line with content has
 * `indent` + (its leading spaces in the value) spaces in the source. This
 * works for explicit indentation indicators without knowing the parent's
 * indentation.
 */
static size_t block_indent(const struct cg_node *n, const char *t, size_t a,
			   size_t b)
{
	size_t lead = 0, lines = 0, spaces = 0, src_spaces = 0, p = a;

	/* empty lines first: \n each, or U+2028/9 which stay as they are */
	for (;; lines++) {
		if (lead < n->len && n->str[lead] == '\n')
			lead++;
		else if (brk_len(n->str, lead, n->len) == 3)
			lead += 3;
		else
			break;
	}
	if (lead == n->len)
		return SIZE_MAX; /* only empty lines: strip every space */
	while (lead + spaces < n->len && n->str[lead + spaces] == ' ')
		spaces++;
	for (size_t i = 0; i < lines && p < b; i++)
		p = skip_line(t, p, b);
	while (p + src_spaces < b && t[p + src_spaces] == ' ')
		src_spaces++;
	return src_spaces >= spaces ? src_spaces - spaces : src_spaces;
}

/* Read up to `digits` hex digits at t[p] (within lim). */
static size_t read_hex(const char *t, size_t p, size_t lim, size_t digits,
		       uint32_t *value)
{
	size_t d = 0;

	*value = 0;
	while (d < digits && p + d < lim && cg_hex_value(t[p + d]) >= 0) {
		*value = *value * 16 + (uint32_t)cg_hex_value(t[p + d]);
		d++;
	}
	return d;
}

/*
 * The escape at t[p] (a backslash): how many source bytes it spans and how
 * many value bytes it makes. Also knows JSON's \uD83D\uDE00 pairs.
 */
static void escape_size(const char *t, size_t p, size_t lim, size_t *srclen,
			size_t *nbytes)
{
	size_t digits, d;
	uint32_t v, low;

	*srclen = p + 1 < lim ? 2 : 1;
	*nbytes = 1;
	if (p + 1 >= lim)
		return;
	if ((v = cg_yaml_named_escape(t[p + 1]))) {
		*nbytes = v < 0x800 ? 2 : 3;
		return;
	}
	if (!(digits = cg_yaml_escape_digits(t[p + 1])))
		return;
	d = read_hex(t, p + 2, lim, digits, &v);
	*srclen = 2 + d;
	if (digits == 4 && d == 4 && v >= 0xd800 && v <= 0xdbff &&
	    p + 12 <= lim && t[p + 6] == '\\' && t[p + 7] == 'u' &&
	    read_hex(t, p + 8, lim, 4, &low) == 4 && low >= 0xdc00 &&
	    low <= 0xdfff) {
		*srclen = 12;
		*nbytes = 4;
		return;
	}
	*nbytes = v < 0x80 ? 1 : v < 0x800 ? 2 : v < 0x10000 ? 3 : 4;
}

#define RESYNC_WINDOW 16

/* Walking a value (n->str, i) and its source (t) together. */
struct walker {
	const struct cg_node *n;
	const char *t;
	uint32_t *out;
	size_t i;    /* next value byte */
	size_t last; /* just past the last source byte used */
};

/*
 * The value bytes a line break makes, as libyaml reads it: "\n" for \n,
 * \r\n, \r and U+0085; U+2028/9 are kept as they are. False (nothing
 * taken) when the value has something else there.
 */
static bool take_break(struct walker *w, const struct seg *g)
{
	const struct cg_node *n = w->n;

	if (g->brklen == 3) {
		if (w->i + 3 > n->len ||
		    memcmp(n->str + w->i, w->t + g->brk, 3))
			return false;
		for (size_t m = 0; m < 3; m++)
			w->out[w->i++] = g->brk + m;
	} else {
		if (w->i >= n->len || n->str[w->i] != '\n')
			return false;
		w->out[w->i++] = g->brk;
	}
	w->last = g->brk + g->brklen;
	return true;
}

/* A line break folded into a space: the space maps to the break. */
static void take_space(struct walker *w, const struct seg *g)
{
	if (w->i >= w->n->len || w->n->str[w->i] != ' ')
		return;
	w->out[w->i++] = g->brk;
	w->last = g->brk + g->brklen;
}

static void take_breaks(struct walker *w, const struct seg *sg, size_t from,
			size_t to)
{
	for (size_t m = from; m < to && take_break(w, &sg[m]); m++)
		;
}

/* Empty lines after segment j: the segments up to the returned index. */
static size_t empty_lines_after(const struct seg *sg, size_t nseg, size_t j,
				bool stop_at_joined)
{
	size_t m = j + 1;

	while (m < nseg && !sg[m].len && sg[m].brklen &&
	       !(stop_at_joined && sg[m].joined))
		m++;
	return m;
}

/*
 * Plain and quoted scalars, at the end of segment j: its line break and the
 * empty lines after it fold into one space, or into one "\n" per empty
 * line; after an escaped line break only the empty lines count. Returns
 * the next segment.
 */
static size_t flow_gap(struct walker *w, const struct seg *sg, size_t nseg,
		       size_t j)
{
	const struct seg *g = &sg[j];
	size_t m;

	if (!g->brklen)
		return j + 1;
	m = empty_lines_after(sg, nseg, j, true);
	if (g->joined)
		take_breaks(w, sg, j + 1, m);
	else if (g->brklen == 3 && take_break(w, g))
		take_breaks(w, sg, j + 1, m);
	else if (g->brklen != 3 && m == j + 1)
		take_space(w, g);
	else if (g->brklen != 3)
		take_breaks(w, sg, j + 1, m);
	return m;
}

/*
 * Block scalars, at the end of segment j. Empty lines before the first
 * content line are one "\n" each. After a content line: in `>` its break
 * folds into a space (or disappears before empty lines) when neither line
 * around it starts with a blank; otherwise every break is kept. At the end
 * chomping keeps a prefix of those breaks, which taking them while they
 * match handles.
 */
static size_t block_gap(struct walker *w, const struct seg *sg, size_t nseg,
			size_t j, bool folded)
{
	const struct seg *g = &sg[j];
	size_t m;

	if (!g->brklen)
		return j + 1;
	if (!g->len) { /* an empty line before any content */
		take_break(w, g);
		return j + 1;
	}
	m = empty_lines_after(sg, nseg, j, false);
	if (folded && g->brklen != 3 && m < nseg && sg[m].len &&
	    !is_blank(w->t[g->off]) && !is_blank(w->t[sg[m].off])) {
		if (m == j + 1)
			take_space(w, g);
		else
			take_breaks(w, sg, j + 1, m);
	} else if (take_break(w, g)) {
		take_breaks(w, sg, j + 1, m);
	}
	return m;
}

/* Map the bytes of segment g from k on; returns the new k. */
static size_t walk_segment(struct walker *w, const struct seg *g, size_t k)
{
	const struct cg_node *n = w->n;
	bool dbl = n->style == CG_STYLE_DOUBLE;
	bool sgl = n->style == CG_STYLE_SINGLE;
	const char *t = w->t;
	size_t lim = g->off + g->len;

	while (k < g->len && w->i < n->len) {
		size_t p = g->off + k;
		char c = n->str[w->i];

		if (dbl && t[p] == '\\') {
			size_t srclen, nb;

			escape_size(t, p, lim, &srclen, &nb);
			for (size_t m = 0; m < nb && w->i < n->len; m++)
				w->out[w->i++] = p;
			k += srclen;
			w->last = p + srclen;
		} else if (sgl && c == '\'' && t[p] == '\'' && p + 1 < lim &&
			   t[p + 1] == '\'') {
			w->out[w->i++] = p;
			k += 2;
			w->last = p + 2;
		} else if (t[p] == c) {
			w->out[w->i++] = p;
			k++;
			w->last = p + 1;
		} else {
			/* lost: look a little further on this line */
			size_t q = p + 1;

			while (q < lim && q < p + RESYNC_WINDOW && t[q] != c)
				q++;
			if (q < lim && t[q] == c)
				k = q - g->off;
			else
				w->out[w->i++] = p;
		}
	}
	return k;
}

/*
 * Walk the value and the segments together: segment bytes are copied in
 * order, and between segments the line breaks make what libyaml makes of
 * them. Returns the offset just past the last source byte used.
 */
static size_t walk(const struct cg_node *n, const char *t, const struct seg *sg,
		   size_t nseg, size_t from, uint32_t *out)
{
	bool block =
	    n->style == CG_STYLE_LITERAL || n->style == CG_STYLE_FOLDED;
	struct walker w = {n, t, out, 0, nseg ? sg[0].off : from};
	size_t j = 0, k = 0;

	while (w.i < n->len && j < nseg) {
		k = walk_segment(&w, &sg[j], k);
		if (k < sg[j].len)
			break; /* the value is used up */
		j = block ? block_gap(&w, sg, nseg, j,
				      n->style == CG_STYLE_FOLDED)
			  : flow_gap(&w, sg, nseg, j);
		k = 0;
	}
	while (w.i < n->len) /* more value than source: keep it in range */
		out[w.i++] = w.last;
	return w.last;
}

int cg_scalar_offsets(const struct cg_src *src, const struct cg_node *n,
		      uint32_t **out)
{
	const char *t = src->text;
	struct segs sg = {NULL, 0, 0};
	uint32_t *offs;
	size_t a, b, p, end;

	*out = NULL;
	if (!n || n->kind != CG_NODE_SCALAR || !n->str || n->start > n->end ||
	    n->end > src->len)
		return cg_error_set(CG_EINVAL, "%s: not a scalar of this file",
				    src->path);
	/* 32 bits, like a node's own offsets: half the memory of size_t */
	offs = cg_xmalloc(((size_t)n->len + 1) * sizeof(*offs));
	a = skip_properties(t, n->start, n->end);
	b = n->end;
	if (n->style == CG_STYLE_SINGLE || n->style == CG_STYLE_DOUBLE) {
		char quote = n->style == CG_STYLE_SINGLE ? '\'' : '"';

		if (a < b && t[a] == quote)
			a++;
		if (b > a && t[b - 1] == quote)
			b--;
	}
	/* the value is the source text itself (a one-line scalar with no
	 * escape, most of them): byte i is at a + i */
	if (n->style != CG_STYLE_LITERAL && n->style != CG_STYLE_FOLDED &&
	    b - a == n->len && !memcmp(t + a, n->str, n->len)) {
		for (size_t i = 0; i <= n->len; i++)
			offs[i] = (uint32_t)(a + i);
		*out = offs;
		return 0;
	}
	switch (n->style) {
	case CG_STYLE_SINGLE:
	case CG_STYLE_DOUBLE:
		flow_segments(&sg, t, a, b, n->style == CG_STYLE_DOUBLE);
		break;
	case CG_STYLE_LITERAL:
	case CG_STYLE_FOLDED:
		a = skip_line(t, a, b); /* `|` or `>`, indicators, comment */
		block_segments(&sg, t, a, b, block_indent(n, t, a, b));
		break;
	default:
		flow_segments(&sg, t, a, b, false);
		break;
	}
	end = walk(n, t, sg.v, sg.n, a, offs);
	offs[n->len] = end;
	/* whatever happened above, stay inside the node and never go back */
	p = n->start;
	for (size_t i = 0; i <= n->len; i++) {
		if (offs[i] < p)
			offs[i] = p;
		if (offs[i] > n->end)
			offs[i] = n->end;
		p = offs[i];
	}
	free(sg.v);
	*out = offs;
	return 0;
}
