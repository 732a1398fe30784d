/*
 * The GitLab CI view: jobs of .gitlab-ci.yml and its local includes, with
 * `extends:` (templates, later parents win), `default:` (unless the job's
 * `inherit: default:` says no) and `!reference` resolved for the keys
 * rules read. Scripts are the items of before_script and script,
 * flattened the way GitLab does (nested lists from anchors); after_script's
 * items are kept apart (a shell of their own, exit status ignored).
 *
 * `extends:` is resolved once for every top-level entry (job, template or
 * other key), never again per job or per key. The entries and their
 * `extends:` edges form a graph; one depth-first walk over it (Tarjan's
 * strongly connected components, on a stack of our own so that a long
 * chain cannot overflow the C stack) finishes every parent before what
 * extends it. A finished entry keeps, for each key rules read, where its
 * value comes from: its own key, else the last parent that has one (for
 * these keys the later parent wins GitLab's merge). Time and memory are
 * linear in entries plus `extends:` edges.
 *
 * GitLab rejects a pipeline whose `extends:` has a cycle ("circular
 * dependency detected in `extends`") or a chain of more than 11 levels
 * ("nesting too deep in `extends`"; lib/gitlab/ci/config/extendable). Each
 * is a model note, once per file, at the `extends:` key that closes the
 * cycle or starts the chain. The templates of a cycle give nothing to what
 * extends them (each of them keeps its own keys); a chain that is too deep
 * is still followed to its end.
 */
#include <stdlib.h>
#include <string.h>

#include "model/model_int.h"
#include "core/banned.h"

#define MAX_EXTENDS_DEPTH 11 /* `extends:` levels GitLab accepts */
#define MAX_SCRIPT_NESTING 10
#define MAX_CHAIN_SHOWN 8 /* names a note shows of a cycle or chain */

static const char *const reserved[] = {
    "default",	     "include",	     "stages",	 "variables",
    "workflow",	     "image",	     "services", "cache",
    "before_script", "after_script", "spec",	 "types"};

static bool is_reserved(const char *key)
{
	for (size_t i = 0; i < sizeof(reserved) / sizeof(*reserved); i++)
		if (!strcmp(key, reserved[i]))
			return true;
	return false;
}

struct located {
	const struct cg_node *node;
	const struct cg_src *src;
};

/* The keys of a job that `extends:` is resolved for. */
enum gl_key {
	KEY_ALLOW_FAILURE,
	KEY_SERVICES,
	KEY_VARIABLES,
	KEY_BEFORE_SCRIPT,
	KEY_SCRIPT,
	KEY_AFTER_SCRIPT,
	KEY_RULES,
	KEY_INHERIT_DEFAULT,
	KEY_INHERIT_VARIABLES,
	KEY_FF_EXIT_CODE_CHECK,
	NKEYS
};

/* gitlab-runner's feature flag: test $? after every script item */
#define FF_EXIT_CODE_CHECK "FF_ENABLE_BASH_EXIT_CODE_CHECK"

/* Each key's name in a job, and for a key inside a mapping that
 * `extends:` merges key by key (GitLab deep-merges hashes), the name
 * there: `inherit: {default: ...}` of a template still counts when the
 * job has `inherit: {variables: ...}` of its own. */
static const char *const key_names[NKEYS] = {
    [KEY_ALLOW_FAILURE] = "allow_failure",
    [KEY_SERVICES] = "services",
    [KEY_VARIABLES] = "variables",
    [KEY_BEFORE_SCRIPT] = "before_script",
    [KEY_SCRIPT] = "script",
    [KEY_AFTER_SCRIPT] = "after_script",
    [KEY_RULES] = "rules",
    [KEY_INHERIT_DEFAULT] = "inherit",
    [KEY_INHERIT_VARIABLES] = "inherit",
    [KEY_FF_EXIT_CODE_CHECK] = "variables",
};
static const char *const sub_key_names[NKEYS] = {
    [KEY_INHERIT_DEFAULT] = "default",
    [KEY_INHERIT_VARIABLES] = "variables",
    [KEY_FF_EXIT_CODE_CHECK] = FF_EXIT_CODE_CHECK,
};

/* `job`'s own pair for key `k`, or NULL */
static const struct cg_pair *own_pair(const struct cg_node *job, enum gl_key k)
{
	const struct cg_pair *p = cg_map_get_pair(job, key_names[k]);

	if (p && sub_key_names[k])
		p = cg_map_get_pair(p->value, sub_key_names[k]);
	return p;
}

/* A top-level entry of a GitLab file: a job, a template, `default`... */
struct entry {
	const struct cg_pair *pair; /* name: value */
	const struct cg_src *src;
	size_t file;		       /* its file in m->gitlab */
	const struct cg_pair *extends; /* its `extends:`, or NULL */
	/* the entries its `extends:` names, in order (names that no file
	 * defines, say a remote include's, are left out) */
	struct entry **parents;
	size_t nparents;
	/* the walk: visiting order (1-based, 0 before the visit), lowest
	 * order reachable on the walk's stack, and marks */
	size_t index, low;
	bool on_stack, on_path, self_loop, in_cycle;
	/* the result: the longest `extends:` chain below it (the parent it
	 * goes through), and each key's pair, maybe inherited, and file */
	unsigned height;
	const struct entry *deepest;
	const struct cg_pair *found[NKEYS];
	const struct cg_src *found_src[NKEYS];
};

/* Every entry of every GitLab file, while jobs are built. */
struct gl_index {
	struct cg_model *m;
	struct entry *entries; /* file by file, in document order */
	size_t n;
	size_t *first;		/* per file: its first entry */
	struct entry **by_name; /* scalar-keyed entries by name, then order */
	size_t nby_name;
	struct entry **edges; /* every entry's parents, one after another */
	/* per file: a note said so */
	bool *noted_cycle, *noted_depth, *noted_reference;
};

static int name_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c)
		return c;
	return alen < blen ? -1 : alen > blen;
}

static int by_name_cmp(const void *pa, const void *pb)
{
	const struct entry *a = *(struct entry *const *)pa;
	const struct entry *b = *(struct entry *const *)pb;
	int c = name_cmp(a->pair->key->str, a->pair->key->len,
			 b->pair->key->str, b->pair->key->len);

	if (c)
		return c;
	return a < b ? -1 : a > b;
}

/* The entry named `name`: of several, the last file's, and there the last
 * duplicate (as cg_map_get). NULL when no file defines it. */
static struct entry *lookup(const struct gl_index *ix, const char *name,
			    size_t len)
{
	size_t lo = 0, hi = ix->nby_name;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct cg_node *key = ix->by_name[mid]->pair->key;

		if (name_cmp(key->str, key->len, name, len) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo > 0) {
		const struct cg_node *key = ix->by_name[lo - 1]->pair->key;

		if (!name_cmp(key->str, key->len, name, len))
			return ix->by_name[lo - 1];
	}
	return NULL;
}

static struct located find_top(const struct gl_index *ix, const char *name)
{
	struct located l = {NULL, NULL};
	const struct entry *e = lookup(ix, name, strlen(name));

	if (e) {
		l.node = e->pair->value;
		l.src = e->src;
	}
	return l;
}

static const struct cg_node *file_root(const struct cg_gl_file *gl)
{
	const struct cg_node *root = gl->root;

	return root && root->kind == CG_NODE_MAP ? root : NULL;
}

/* `extends: NAME` or `extends: [NAME, ...]`: each NAME, in order */
static size_t extends_names(const struct cg_pair *ext,
			    const struct cg_node **out)
{
	size_t n = 0;

	if (!ext)
		return 0;
	if (cg_node_is_scalar(ext->value)) {
		if (out)
			out[0] = ext->value;
		return 1;
	}
	if (ext->value->kind != CG_NODE_SEQ)
		return 0;
	for (size_t i = 0; i < ext->value->n; i++)
		if (cg_node_is_scalar(ext->value->items[i])) {
			if (out)
				out[n] = ext->value->items[i];
			n++;
		}
	return n;
}

static void index_build(struct gl_index *ix, struct cg_model *m)
{
	size_t n = 0, nedges = 0, nfiles = m->ngitlab ? m->ngitlab : 1;
	const struct cg_node **names;

	memset(ix, 0, sizeof(*ix));
	ix->m = m;
	for (size_t f = 0; f < m->ngitlab; f++)
		if (file_root(&m->gitlab[f]))
			n += file_root(&m->gitlab[f])->n;
	ix->entries = cg_xcalloc(n ? n : 1, sizeof(*ix->entries));
	ix->by_name = cg_xcalloc(n ? n : 1, sizeof(*ix->by_name));
	ix->first = cg_xcalloc(nfiles, sizeof(*ix->first));
	ix->noted_cycle = cg_xcalloc(nfiles, sizeof(*ix->noted_cycle));
	ix->noted_depth = cg_xcalloc(nfiles, sizeof(*ix->noted_depth));
	ix->noted_reference = cg_xcalloc(nfiles, sizeof(*ix->noted_reference));
	for (size_t f = 0; f < m->ngitlab; f++) {
		const struct cg_node *root = file_root(&m->gitlab[f]);

		ix->first[f] = ix->n;
		for (size_t k = 0; root && k < root->n; k++) {
			struct entry *e = &ix->entries[ix->n++];

			e->pair = &root->pairs[k];
			e->src = m->gitlab[f].src;
			e->file = f;
			e->extends = cg_map_get_pair(e->pair->value, "extends");
			nedges += extends_names(e->extends, NULL);
			if (cg_node_is_scalar(e->pair->key))
				ix->by_name[ix->nby_name++] = e;
		}
	}
	qsort(ix->by_name, ix->nby_name, sizeof(*ix->by_name), by_name_cmp);

	/* the parents, now that every name is known */
	ix->edges = cg_xcalloc(nedges ? nedges : 1, sizeof(*ix->edges));
	names = cg_xcalloc(nedges ? nedges : 1, sizeof(*names));
	nedges = 0;
	for (size_t i = 0; i < ix->n; i++) {
		struct entry *e = &ix->entries[i];
		size_t k = extends_names(e->extends, names);

		e->parents = &ix->edges[nedges];
		for (size_t j = 0; j < k; j++) {
			struct entry *p =
			    lookup(ix, names[j]->str, names[j]->len);

			if (p)
				e->parents[e->nparents++] = p;
		}
		nedges += e->nparents;
	}
	free(names);
}

static void index_release(struct gl_index *ix)
{
	free(ix->entries);
	free(ix->by_name);
	free(ix->first);
	free(ix->edges);
	free(ix->noted_cycle);
	free(ix->noted_depth);
	free(ix->noted_reference);
}

/* "a -> b -> c" for a note; the middle of a long chain left out */
static void add_chain(struct cg_buf *b, const struct entry *const *chain,
		      size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (n > MAX_CHAIN_SHOWN && i >= MAX_CHAIN_SHOWN / 2 &&
		    i < n - MAX_CHAIN_SHOWN / 2 + 1) {
			if (i == MAX_CHAIN_SHOWN / 2)
				cg_buf_addstr(b, " -> ...");
			continue;
		}
		if (i)
			cg_buf_addstr(b, " -> ");
		cg_buf_addstr(b, chain[i]->pair->key->str);
	}
}

static void note_at_extends(struct gl_index *ix, const struct entry *e,
			    const char *what, const struct entry *const *chain,
			    size_t n, const char *why)
{
	struct cg_buf b = CG_BUF_INIT;
	const struct cg_pos *pos = &e->extends->key->pos;

	add_chain(&b, chain, n);
	cg_model_note(ix->m, "%s:%u:%u: %s (%s): %s", e->src->path, pos->line,
		      pos->col, what, b.buf, why);
	cg_buf_release(&b);
}

struct frame {
	struct entry *e;
	size_t next; /* the next of e->parents to look at */
};

/* `frames[0..n)` is the walk's path, and its last entry extends `w`, which
 * is on the path: a cycle. */
static void note_cycle(struct gl_index *ix, const struct frame *frames,
		       size_t n, const struct entry *w)
{
	const struct entry *closer = frames[n - 1].e;
	const struct entry **chain;
	size_t from = n - 1, len = 0;

	if (ix->noted_cycle[closer->file])
		return;
	ix->noted_cycle[closer->file] = true;
	while (frames[from].e != w)
		from--;
	chain = cg_xcalloc(n - from + 1, sizeof(*chain));
	for (size_t i = from; i < n; i++)
		chain[len++] = frames[i].e;
	chain[len++] = w;
	note_at_extends(ix, closer, "circular 'extends'", chain, len,
			"GitLab rejects the pipeline (circular dependency "
			"detected in `extends`); what extends these templates "
			"is checked without them");
	free(chain);
}

static void note_depth(struct gl_index *ix, const struct entry *e)
{
	const struct entry **chain;
	size_t len = 0;
	char *what, *why;

	if (ix->noted_depth[e->file])
		return;
	ix->noted_depth[e->file] = true;
	chain = cg_xcalloc(e->height + 1, sizeof(*chain));
	for (const struct entry *c = e; c; c = c->deepest)
		chain[len++] = c;
	what = cg_xasprintf("'extends' %u levels deep", e->height);
	why = cg_xasprintf("GitLab allows %d and rejects the pipeline "
			   "(nesting too deep in `extends`)",
			   MAX_EXTENDS_DEPTH);
	note_at_extends(ix, e, what, chain, len, why);
	free(what);
	free(why);
	free(chain);
}

/* Every parent of `e` outside a cycle is resolved: resolve `e`. */
static void resolve(struct gl_index *ix, struct entry *e)
{
	for (size_t k = 0; k < NKEYS; k++) {
		e->found[k] = own_pair(e->pair->value, k);
		e->found_src[k] = e->src;
	}
	if (e->in_cycle)
		return;
	for (size_t i = e->nparents; i-- > 0;) {
		const struct entry *p = e->parents[i];

		if (p->in_cycle)
			continue;
		for (size_t k = 0; k < NKEYS; k++)
			if (!e->found[k] && p->found[k]) {
				e->found[k] = p->found[k];
				e->found_src[k] = p->found_src[k];
			}
		if (!e->deepest || p->height + 1 > e->height) {
			e->height = p->height + 1;
			e->deepest = p;
		}
	}
	if (e->height > MAX_EXTENDS_DEPTH)
		note_depth(ix, e);
}

/* `v` is the first-visited entry of a strongly connected component, which
 * sits on top of `stack`: one entry, or a cycle. */
static void finish_component(struct gl_index *ix, struct entry *v,
			     struct entry **stack, size_t *nstack)
{
	size_t top = *nstack, from = top;
	bool cycle;

	while (stack[--from] != v)
		;
	cycle = top - from > 1 || v->self_loop;
	for (size_t i = from; i < top; i++) {
		stack[i]->on_stack = false;
		stack[i]->in_cycle = cycle;
	}
	for (size_t i = from; i < top; i++)
		resolve(ix, stack[i]);
	*nstack = from;
}

static void resolve_extends(struct gl_index *ix)
{
	struct frame *frames = cg_xcalloc(ix->n ? ix->n : 1, sizeof(*frames));
	struct entry **stack = cg_xcalloc(ix->n ? ix->n : 1, sizeof(*stack));
	size_t nstack = 0, order = 0;

	for (size_t i = 0; i < ix->n; i++) {
		size_t nframes = 0;

		if (ix->entries[i].index)
			continue;
		frames[nframes++] = (struct frame){&ix->entries[i], 0};
		for (struct entry *v = &ix->entries[i]; v;) {
			struct frame *fr = &frames[nframes - 1];
			struct entry *w;

			if (!v->index) { /* first visit */
				v->index = v->low = ++order;
				v->on_stack = v->on_path = true;
				stack[nstack++] = v;
			}
			if (fr->next < v->nparents) {
				w = v->parents[fr->next++];
				if (!w->index) {
					frames[nframes++] =
					    (struct frame){w, 0};
					v = w;
					continue;
				}
				if (w == v)
					v->self_loop = true;
				if (w->on_path)
					note_cycle(ix, frames, nframes, w);
				if (w->on_stack && w->index < v->low)
					v->low = w->index;
				continue;
			}
			/* every parent visited */
			v->on_path = false;
			if (--nframes && v->low < frames[nframes - 1].e->low)
				frames[nframes - 1].e->low = v->low;
			if (v->low == v->index)
				finish_component(ix, v, stack, &nstack);
			v = nframes ? frames[nframes - 1].e : NULL;
		}
	}
	free(frames);
	free(stack);
}

static struct located found_at(const struct entry *e, enum gl_key k)
{
	struct located l = {NULL, NULL};

	if (e->found[k]) {
		l.node = e->found[k]->value;
		l.src = e->found_src[k];
	}
	return l;
}

/* `!reference [job, key, ...]` */
static struct located follow_reference(const struct gl_index *ix,
				       const struct cg_node *ref)
{
	struct located l = {NULL, NULL};
	const struct entry *e;

	if (ref->kind != CG_NODE_SEQ || ref->n < 1 ||
	    !cg_node_is_scalar(ref->items[0]))
		return l;
	e = lookup(ix, ref->items[0]->str, ref->items[0]->len);
	if (!e)
		return l;
	l.node = e->pair->value;
	l.src = e->src;
	for (size_t i = 1; i < ref->n && l.node; i++) {
		if (!cg_node_is_scalar(ref->items[i]))
			return (struct located){NULL, NULL};
		l.node = cg_map_get(l.node, ref->items[i]->str);
	}
	return l;
}

static bool is_reference(const struct cg_node *n)
{
	return n->tag && !strcmp(n->tag, "!reference");
}

static size_t file_of(const struct gl_index *ix, const struct cg_src *src)
{
	for (size_t f = 0; f < ix->m->ngitlab; f++)
		if (ix->m->gitlab[f].src == src)
			return f;
	return 0;
}

/* `ref`, a `!reference` in `src`, is part of a circular chain */
static void note_reference_cycle(struct gl_index *ix, const struct cg_src *src,
				 const struct cg_node *ref)
{
	struct cg_buf b = CG_BUF_INIT;
	size_t f = file_of(ix, src);

	if (ix->noted_reference[f])
		return;
	ix->noted_reference[f] = true;
	for (size_t i = 0; ref->kind == CG_NODE_SEQ && i < ref->n; i++)
		cg_buf_addf(&b, "%s%s", i ? ", " : "",
			    cg_node_is_scalar(ref->items[i])
				? ref->items[i]->str
				: "...");
	cg_model_note(ix->m,
		      "%s:%u:%u: circular '!reference [%s]': GitLab rejects "
		      "the pipeline (it is part of a circular chain); the "
		      "reference is left out",
		      src->path, ref->pos.line, ref->pos.col, b.buf);
	cg_buf_release(&b);
}

/*
 * A list value (script, rules) walked the way GitLab flattens it: nested
 * lists, from anchors and `!reference`, spliced in, at most
 * MAX_SCRIPT_NESTING lists deep and MAX_REFERENCE_NESTING references deep;
 * `item` gets every item that is not a list. GitLab resolves each
 * `!reference` once and rejects one that is part of a circular chain. Here
 * a `!reference` to a list that is being walked is left out (a note), and
 * a list is cut after MAX_LIST_NODES nodes, so that references to
 * references cannot make a short file expand to exponentially many items.
 */
#define MAX_REFERENCE_NESTING 10
#define MAX_LIST_NODES 10000

struct list_walk {
	struct gl_index *ix;
	void (*item)(struct list_walk *w, struct located item);
	void *out;
	/* the lists being walked: the start, then the reference targets */
	const struct cg_node *walking[MAX_REFERENCE_NESTING + 1];
	size_t nwalking;
	size_t nodes; /* visited so far */
	bool cut;     /* MAX_LIST_NODES reached */
};

static void flatten_at(struct list_walk *w, struct located l, unsigned depth)
{
	const struct cg_node *n = l.node;

	if (!n || depth > MAX_SCRIPT_NESTING)
		return;
	if (w->nodes++ >= MAX_LIST_NODES) {
		w->cut = true;
		return;
	}
	if (is_reference(n)) {
		struct located to = follow_reference(w->ix, n);

		for (size_t i = 0; i < w->nwalking; i++)
			if (to.node && w->walking[i] == to.node) {
				note_reference_cycle(w->ix, l.src, n);
				return;
			}
		if (w->nwalking > MAX_REFERENCE_NESTING)
			return;
		w->walking[w->nwalking++] = to.node;
		flatten_at(w, to, depth);
		w->nwalking--;
		return;
	}
	if (n->kind != CG_NODE_SEQ) {
		w->item(w, l);
		return;
	}
	for (size_t i = 0; i < n->n; i++) {
		struct located item = {n->items[i], l.src};

		flatten_at(w, item, depth + 1);
	}
}

/* Walk list `l` (a job's key, maybe inherited); false when it was cut. */
static bool flatten(struct gl_index *ix, struct located l,
		    void (*item)(struct list_walk *w, struct located item),
		    void *out)
{
	struct list_walk w;

	memset(&w, 0, sizeof(w));
	w.ix = ix;
	w.item = item;
	w.out = out;
	w.walking[w.nwalking++] = l.node;
	flatten_at(&w, l, 0);
	return !w.cut;
}

/* A list of scripts being filled in: job->scripts or job->after. */
struct script_list {
	struct cg_script ***items;
	size_t *n;
	size_t alloc;
};

static void add_script(struct list_walk *w, struct located l)
{
	struct script_list *out = w->out;
	struct cg_script *s = cg_script_new(w->ix->m, l.src, l.node);

	if (s) {
		CG_GROW(*out->items, out->alloc, *out->n + 1);
		(*out->items)[(*out->n)++] = s;
	}
}

static bool add_scripts(struct gl_index *ix, struct script_list *out,
			struct located l)
{
	return flatten(ix, l, add_script, out);
}

static void note_cut(struct gl_index *ix, const struct entry *job)
{
	const struct cg_pos *pos = &job->pair->key->pos;

	cg_model_note(ix->m,
		      "%s:%u:%u: job '%s': '!reference' makes a list of more "
		      "than %d items; the rest is not checked",
		      job->src->path, pos->line, pos->col, job->pair->key->str,
		      MAX_LIST_NODES);
}

/* An exit code: a plain decimal integer (GitLab wants integers). */
static bool exit_code(const struct cg_node *n, int *out)
{
	long v = 0;

	if (!cg_node_is_scalar(n) || n->style != CG_STYLE_PLAIN || !n->len ||
	    n->len > 9)
		return false;
	for (size_t i = 0; i < n->len; i++) {
		if (n->str[i] < '0' || n->str[i] > '9')
			return false;
		v = v * 10 + (n->str[i] - '0');
	}
	*out = (int)v;
	return true;
}

/* A pair's position, from its key to the end of its value. */
static struct cg_pos pair_pos(const struct cg_pair *p)
{
	struct cg_pos pos = p->key->pos;

	pos.end_line = p->value->pos.end_line;
	pos.end_col = p->value->pos.end_col;
	return pos;
}

/* `allow_failure: {exit_codes: N}` or `{exit_codes: [N, ...]}` */
static void parse_exit_codes(struct cg_model *m, struct cg_gl_allow_failure *af)
{
	const struct cg_pair *ec =
	    cg_map_get_pair(af->pair->value, "exit_codes");
	const struct cg_node *v;
	int *codes;

	if (!ec)
		return;
	af->value = CG_GL_ALLOW_EXIT_CODES;
	af->exit_codes = ec;
	af->exit_codes_pos = pair_pos(ec);
	v = ec->value;
	af->codes_list = v->kind == CG_NODE_SEQ;
	if (v->kind == CG_NODE_SEQ) {
		codes = cg_arena_alloc(&m->arena,
				       (v->n ? v->n : 1) * sizeof(*codes));
		for (size_t i = 0; i < v->n; i++)
			if (exit_code(v->items[i], &codes[af->ncodes]))
				af->ncodes++;
	} else {
		codes = cg_arena_alloc(&m->arena, sizeof(*codes));
		if (exit_code(v, &codes[0]))
			af->ncodes = 1;
	}
	af->codes = codes;
}

/* job->allow_failures being filled in */
struct allow_list {
	struct cg_model *m;
	struct cg_gl_job *job;
	size_t alloc;
	/* the `rules:` entries so far: one of them always matches, so no
	 * later one is ever used; one that runs the job can be the first to
	 * match and has no allow_failure, so the job's own applies there */
	bool matched_always, job_level_used;
};

static void add_allow_failure(struct allow_list *out,
			      const struct cg_pair *pair,
			      const struct cg_src *src,
			      const struct cg_node *rule, bool effective)
{
	struct cg_gl_job *job = out->job;
	struct cg_gl_allow_failure *af;

	CG_GROW(job->allow_failures, out->alloc, job->nallow_failures + 1);
	af = &job->allow_failures[job->nallow_failures++];
	memset(af, 0, sizeof(*af));
	af->pair = pair;
	af->pos = pair_pos(pair);
	af->src = src;
	af->rule = rule;
	af->effective = effective;
	switch (cg_scalar_bool(pair->value)) {
	case 1:
		af->value = CG_GL_ALLOW_TRUE;
		break;
	case 0:
		af->value = CG_GL_ALLOW_FALSE;
		break;
	default:
		af->value = CG_GL_ALLOW_OTHER;
		parse_exit_codes(out->m, af);
	}
}

/* An entry of `rules:`, in order: is it live, and does it end the list?
 * (see cg_gl_allow_failure.effective; Gitlab::Ci::Build::Rules) */
static void add_rule(struct list_walk *w, struct located l)
{
	static const char *const conditions[] = {"if", "changes", "exists"};
	struct allow_list *out = w->out;
	const struct cg_pair *p = cg_map_get_pair(l.node, "allow_failure");
	bool runs, always = true;

	if (l.node->kind != CG_NODE_MAP)
		return; /* GitLab rejects it */
	runs = !out->matched_always &&
	       !cg_scalar_eq(cg_map_get(l.node, "when"), "never");
	if (p)
		add_allow_failure(out, p, l.src, l.node, runs);
	else if (runs)
		out->job_level_used = true;
	for (size_t i = 0; i < sizeof(conditions) / sizeof(*conditions); i++)
		if (cg_map_get_pair(l.node, conditions[i]))
			always = false;
	if (always)
		out->matched_always = true;
}

/*
 * Does `inherit: default:` or `inherit: variables:` value `v` (NULL when
 * there is none) let the job take `name`, a keyword of default:'s or a
 * top-level variable? Not when it is false, or a list that does not name
 * it. GitLab rejects other values; they are read as inheriting, so that
 * nothing is left unchecked.
 */
static bool inherit_allows(const struct cg_node *v, const char *name)
{
	if (!v)
		return true;
	if (v->kind == CG_NODE_SEQ) {
		for (size_t i = 0; i < v->n; i++)
			if (cg_scalar_eq(v->items[i], name))
				return true;
		return false;
	}
	return cg_scalar_bool(v) != 0;
}

/* Does the job take `default:`'s `key`? (its `inherit:` maybe through
 * `extends:`) */
static bool inherits_default(const struct entry *self, enum gl_key key)
{
	return inherit_allows(found_at(self, KEY_INHERIT_DEFAULT).node,
			      key_names[key]);
}

/*
 * A runner feature flag's value, as gitlab-runner reads it: Go's
 * strconv.ParseBool, where anything but "1", "t", "T", "TRUE", "true" and
 * "True" is off. A variable may be `{value: ..., description: ...}`.
 */
static bool feature_flag_on(const struct cg_node *v)
{
	static const char *const on[] = {"1", "t", "T", "TRUE", "true", "True"};

	if (v && v->kind == CG_NODE_MAP)
		v = cg_map_get(v, "value");
	for (size_t i = 0; i < sizeof(on) / sizeof(*on); i++)
		if (cg_scalar_eq(v, on[i]))
			return true;
	return false;
}

/* Does the job take the top-level variable `name`? */
static bool inherits_variable(const struct entry *self, const char *name)
{
	return inherit_allows(found_at(self, KEY_INHERIT_VARIABLES).node, name);
}

/* The top-level variable `name` as GitLab merges the files: the main
 * file's own over an included file's, of those the last. NULL if unset. */
static const struct cg_node *top_variable(const struct cg_model *m,
					  const char *name)
{
	const struct cg_node *v = NULL;

	for (size_t f = m->ngitlab; f-- > 0;) {
		const struct cg_node *vars =
		    cg_map_get(file_root(&m->gitlab[f]), "variables");
		const struct cg_node *own = cg_map_get(vars, name);

		if (own && (!v || f == 0))
			v = own;
	}
	return v;
}

/* see cg_gl_job.exit_code_check */
static bool exit_code_check(const struct gl_index *ix, const struct entry *self)
{
	const struct cg_node *v = found_at(self, KEY_FF_EXIT_CODE_CHECK).node;

	if (!v && inherits_variable(self, FF_EXIT_CODE_CHECK))
		v = top_variable(ix->m, FF_EXIT_CODE_CHECK);
	return feature_flag_on(v);
}

/* The job's `key` (before_script, after_script), else default's, else
 * the top-level one (the old global form, which GitLab turns into
 * default's: `inherit: default:` decides for both). */
static struct located job_or_default(const struct gl_index *ix,
				     const struct entry *self, enum gl_key key)
{
	struct located l = found_at(self, key), def;

	if (l.node || !inherits_default(self, key))
		return l;
	def = find_top(ix, "default");
	l.node = cg_map_get(def.node, key_names[key]);
	l.src = def.src;
	if (!l.node)
		l = find_top(ix, key_names[key]);
	return l;
}

static void job_build(struct gl_index *ix, struct cg_gl_job *job,
		      const struct entry *self)
{
	struct script_list scripts = {&job->scripts, &job->nscripts, 0};
	struct script_list after = {&job->after, &job->nafter, 0};
	struct allow_list allow = {ix->m, job, 0, false, false};
	struct located rules = found_at(self, KEY_RULES);
	bool whole = true;

	job->id = self->pair->key->str;
	job->key = self->pair->key;
	job->node = self->pair->value;
	job->exit_code_check = exit_code_check(ix, self);
	job->allow_failure = self->found[KEY_ALLOW_FAILURE];
	if (job->allow_failure) {
		job->allow_failure_src = self->found_src[KEY_ALLOW_FAILURE];
		add_allow_failure(&allow, job->allow_failure,
				  job->allow_failure_src, NULL, true);
	}
	whole &= flatten(ix, rules, add_rule, &allow);
	/* with `rules:`, the job's own allow_failure is used only where an
	 * entry without one matches (none: the job never runs) */
	if (job->allow_failure && rules.node &&
	    (rules.node->kind == CG_NODE_SEQ || is_reference(rules.node)))
		job->allow_failures[0].effective = allow.job_level_used;
	job->services = found_at(self, KEY_SERVICES).node;
	job->variables = found_at(self, KEY_VARIABLES).node;
	whole &= add_scripts(ix, &scripts,
			     job_or_default(ix, self, KEY_BEFORE_SCRIPT));
	whole &= add_scripts(ix, &scripts, found_at(self, KEY_SCRIPT));
	job->script = cg_script_join(ix->m, job->scripts, job->nscripts,
				     job->exit_code_check);
	whole &=
	    add_scripts(ix, &after, job_or_default(ix, self, KEY_AFTER_SCRIPT));
	if (!whole)
		note_cut(ix, self);
}

void cg_gl_register(struct cg_model *m, struct cg_file *f)
{
	struct cg_gl_file *gl;

	if (f->tree.ndocs < 1 || !f->tree.docs[0] ||
	    f->tree.docs[0]->kind != CG_NODE_MAP)
		return;
	CG_GROW(m->gitlab, m->gitlab_alloc, m->ngitlab + 1);
	gl = &m->gitlab[m->ngitlab++];
	memset(gl, 0, sizeof(*gl));
	gl->src = &f->src;
	/* a file may start with a `spec:` header document (components) */
	gl->root = f->tree.docs[f->tree.ndocs - 1];
}

void cg_gl_build_jobs(struct cg_model *m)
{
	struct gl_index ix;

	index_build(&ix, m);
	resolve_extends(&ix);
	for (size_t i = 0; i < m->ngitlab; i++) {
		struct cg_gl_file *gl = &m->gitlab[i];
		const struct cg_node *root = file_root(gl);

		if (!root || !root->n)
			continue;
		gl->jobs =
		    cg_arena_alloc(&m->arena, root->n * sizeof(*gl->jobs));
		for (size_t k = 0; k < root->n; k++) {
			const struct cg_pair *p = &root->pairs[k];

			if (!cg_node_is_scalar(p->key) ||
			    p->value->kind != CG_NODE_MAP ||
			    is_reserved(p->key->str) || p->key->str[0] == '.')
				continue;
			job_build(&ix, &gl->jobs[gl->njobs++],
				  &ix.entries[ix.first[i] + k]);
		}
	}
	index_release(&ix);
}

void cg_gl_includes(const struct cg_node *root, struct cg_strlist *out)
{
	const struct cg_node *inc = cg_map_get(root, "include");

	if (!inc)
		return;
	if (cg_node_is_scalar(inc)) {
		if (!strstr(inc->str, "://"))
			cg_strlist_add(out, inc->str);
		return;
	}
	if (inc->kind != CG_NODE_SEQ)
		inc = NULL;
	for (size_t i = 0; inc && i < inc->n; i++) {
		const struct cg_node *it = inc->items[i];
		const struct cg_node *local = cg_map_get(it, "local");

		if (cg_node_is_scalar(it) && !strstr(it->str, "://"))
			cg_strlist_add(out, it->str);
		else if (cg_node_is_scalar(local))
			cg_strlist_add(out, local->str);
	}
	/* include: {local: path} */
	if (cg_node_is_scalar(cg_map_get(cg_map_get(root, "include"), "local")))
		cg_strlist_add(
		    out, cg_map_get(cg_map_get(root, "include"), "local")->str);
}

void cg_gl_release(struct cg_model *m)
{
	for (size_t i = 0; i < m->ngitlab; i++)
		for (size_t j = 0; j < m->gitlab[i].njobs; j++) {
			struct cg_gl_job *job = &m->gitlab[i].jobs[j];

			cg_script_free(job->script);
			for (size_t k = 0; k < job->nscripts; k++)
				cg_script_free(job->scripts[k]);
			for (size_t k = 0; k < job->nafter; k++)
				cg_script_free(job->after[k]);
			free(job->scripts);
			free(job->after);
			free(job->allow_failures);
		}
	free(m->gitlab);
	m->gitlab = NULL;
	m->ngitlab = m->gitlab_alloc = 0;
}
