/*
 * The GitLab CI view: jobs of .gitlab-ci.yml and its local includes, as
 * GitLab builds its configuration (Gitlab::Ci::Config#build_config):
 *
 * 1. included files are deep-merged in include order, each file over the
 *    files it includes, and .gitlab-ci.yml over all of them
 *    (External::Processor: `@content.deep_merge!(file.to_hash)` per file,
 *    then the file's own values);
 * 2. `extends:` deep-merges each entry over its templates, a later parent
 *    over an earlier one, each parent with its own parents already merged
 *    (Extendable::Entry#extend!);
 * 3. `!reference [name, key, ...]` tags are resolved in that result
 *    (Yaml::Tags::Reference: `config.dig(*location)`);
 * 4. a job takes each `default:` keyword it does not set itself, unless
 *    its `inherit: default:` says no (Entry::Processable#inherit!).
 *
 * A deep merge (Ruby's Hash#deep_merge) merges two mappings key by key and
 * otherwise keeps the upper value whole: a list or a scalar of the child
 * replaces the parent's. Nothing is copied here: a merged mapping is a
 * "view", the mappings it is made of, highest precedence first, and a key
 * is looked up through them (view_get). Scripts are the items of
 * before_script and script, flattened the way GitLab does (nested lists
 * from anchors); after_script's items are kept apart (a shell of their
 * own, exit status ignored). A job defined in several files is one job,
 * kept in the file whose definition wins. Its variables are its merged
 * `variables:` with those of `parallel: matrix:` and of `rules:` entries
 * that can run it; `inherit: variables:` says which top-level ones it
 * takes. A bridge (`trigger:` without `script:`) and a job whose `rules:`
 * never create it run nothing.
 *
 * `extends:` is resolved once for every top-level entry (job, template or
 * other key), never again per job or per key. The entries and their
 * `extends:` edges form a graph; one depth-first walk over it (Tarjan's
 * strongly connected components, on a stack of our own so that a long
 * chain cannot overflow the C stack) finishes every parent before what
 * extends it. A finished entry keeps its view: its own definitions, then
 * its parents' views, the last parent first; a mapping that comes twice
 * (a template two parents share) counts at its upper place only, where it
 * hides everything the lower one could give.
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
#define MAX_VIEW 64	  /* mappings a view is made of, at most */
#define MAX_DEREF 10	  /* `!reference` to `!reference` ... */

/* gitlab-runner's feature flag: test $? after every script item */
#define FF_EXIT_CODE_CHECK "FF_ENABLE_BASH_EXIT_CODE_CHECK"

static const char *const reserved[] = {
    "default",	     "include",	     "stages",	 "variables",
    "workflow",	     "image",	     "services", "cache",
    "before_script", "after_script", "spec",	 "types"};

bool cg_gl_reserved(const char *key)
{
	for (size_t i = 0; i < sizeof(reserved) / sizeof(*reserved); i++)
		if (!strcmp(key, reserved[i]))
			return true;
	return false;
}

static bool is_reserved(const char *key)
{
	return cg_gl_reserved(key);
}

struct located {
	const struct cg_node *node;
	const struct cg_src *src;
};

/* One definition of a key: `pair` in file `src`. */
struct layer {
	const struct cg_pair *pair;
	const struct cg_src *src;
	size_t def; /* a top-level one: its index in gl_index.defs */
};

/*
 * A value as GitLab merges it: its definitions, highest precedence first.
 * Either one value that is not a mapping (n == 1), or mappings only, which
 * deep-merge; a definition below a non-mapping is hidden by it and left
 * out. n == 0: the key is not set.
 */
struct view {
	const struct layer *l;
	size_t n;
};

static bool is_map(const struct cg_node *n)
{
	return n && n->kind == CG_NODE_MAP;
}

static struct located top(struct view v)
{
	struct located l = {NULL, NULL};

	if (v.n) {
		l.node = v.l[0].pair->value;
		l.src = v.l[0].src;
	}
	return l;
}

/* A top-level entry of the merged configuration: a job, a template,
 * `default`... with one definition per file that has it. */
struct entry {
	/* its definition in the file that wins the include merge: its name
	 * and where notes about it go */
	const struct cg_pair *pair;
	const struct cg_src *src;
	size_t file; /* its file in m->gitlab */
	/* its own definitions, highest first (a view of them) */
	struct layer *own;
	size_t nown;
	const struct cg_pair *extends; /* its `extends:`, or NULL */
	const struct cg_src *extends_src;
	/* the entries its `extends:` names, in order (names that no file
	 * defines, say a remote include's, are left out) */
	struct entry **parents;
	size_t nparents;
	/* the walk: visiting order (1-based, 0 before the visit), lowest
	 * order reachable on the walk's stack, and marks */
	size_t index, low;
	bool on_stack, on_path, self_loop, in_cycle;
	/* the result: the longest `extends:` chain below it (the parent it
	 * goes through), and its view with its templates merged in */
	unsigned height;
	const struct entry *deepest;
	struct layer *merged;
	size_t nmerged;
};

/* Every entry of every GitLab file, while jobs are built. */
struct gl_index {
	struct cg_model *m;
	struct cg_arena arena; /* views, while jobs are built */
	struct layer *defs;    /* every definition, by name then rank */
	size_t ndefs;
	size_t *stamp; /* per definition: the last entry (+1) that took it */
	struct entry *entries; /* by name */
	size_t n;
	struct entry **edges; /* every entry's parents, one after another */
	struct entry **order; /* the entries in the order files define them */
	size_t *rank;	      /* per file: its place in the include merge */
	/* per file: a note said so */
	bool *noted_cycle, *noted_depth, *noted_reference;
	bool noted_view; /* a view was cut at MAX_VIEW */
};

static int name_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c)
		return c;
	return alen < blen ? -1 : alen > blen;
}

/* The entry named `name`, or NULL when no file defines it. */
static struct entry *lookup(const struct gl_index *ix, const char *name,
			    size_t len)
{
	size_t lo = 0, hi = ix->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct cg_node *key = ix->entries[mid].pair->key;
		int c = name_cmp(key->str, key->len, name, len);

		if (!c)
			return &ix->entries[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The key `key` of merged mapping `v`, in the model's scratch arena. */
static struct view view_get(struct gl_index *ix, struct view v, const char *key)
{
	struct layer *out;
	size_t n = 0;

	if (!v.n || !is_map(v.l[0].pair->value))
		return (struct view){NULL, 0};
	out = cg_arena_alloc(&ix->arena, v.n * sizeof(*out));
	for (size_t i = 0; i < v.n; i++) {
		const struct cg_pair *p;

		if (!is_map(v.l[i].pair->value))
			break; /* v ends in a value that hides the rest */
		p = cg_map_get_pair(v.l[i].pair->value, key);
		if (!p)
			continue;
		if (n && !is_map(p->value))
			break; /* hidden by the mappings above */
		out[n++] = (struct layer){p, v.l[i].src, 0};
		if (!is_map(p->value))
			break;
	}
	return (struct view){out, n};
}

static struct view entry_view(const struct entry *e)
{
	if (!e)
		return (struct view){NULL, 0};
	return (struct view){e->merged, e->nmerged};
}

static struct view find_top(const struct gl_index *ix, const char *name)
{
	return entry_view(lookup(ix, name, strlen(name)));
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

/*
 * Each file's place in the include merge, lowest first: a file's includes
 * in order (each with its own includes before it), then the file itself,
 * from .gitlab-ci.yml (file 0) down. A file included twice counts where it
 * comes first; files no include reaches go below all.
 */
static void rank_files(struct gl_index *ix)
{
	struct cg_model *m = ix->m;
	size_t nfiles = m->ngitlab, next = 0, nstack = 0;
	/* the walk: the files on its path, and per file the next include */
	size_t *stack = cg_xcalloc(nfiles ? nfiles : 1, sizeof(*stack));
	size_t *at = cg_xcalloc(nfiles ? nfiles : 1, sizeof(*at));
	bool *seen = cg_xcalloc(nfiles ? nfiles : 1, sizeof(*seen));

	if (nfiles) {
		seen[0] = true;
		stack[nstack++] = 0;
	}
	while (nstack) {
		size_t f = stack[nstack - 1];
		const struct cg_gl_file *gl = &m->gitlab[f];

		if (at[f] < gl->nincludes) {
			size_t g = gl->includes[at[f]++];

			if (g < nfiles && !seen[g]) {
				seen[g] = true;
				stack[nstack++] = g;
			}
			continue;
		}
		ix->rank[f] = nfiles + next++;
		nstack--;
	}
	for (size_t f = 0; f < nfiles; f++)
		if (!seen[f])
			ix->rank[f] = f; /* below nfiles: under every other */
	free(stack);
	free(at);
	free(seen);
}

/* A top-level key of a file, while the index is built. */
struct def {
	const struct cg_pair *pair;
	const struct cg_src *src;
	size_t file, rank;
};

static int def_cmp(const void *pa, const void *pb)
{
	const struct def *a = pa, *b = pb;
	int c = name_cmp(a->pair->key->str, a->pair->key->len,
			 b->pair->key->str, b->pair->key->len);

	if (c)
		return c;
	/* the higher rank first; in one file, the later duplicate first */
	if (a->rank != b->rank)
		return a->rank > b->rank ? -1 : 1;
	return a->pair > b->pair ? -1 : a->pair < b->pair;
}

static void index_build(struct gl_index *ix, struct cg_model *m)
{
	size_t n = 0, ndefs = 0, nedges = 0,
	       nfiles = m->ngitlab ? m->ngitlab : 1;
	const struct cg_node **names;
	struct def *defs;

	memset(ix, 0, sizeof(*ix));
	ix->m = m;
	cg_arena_init(&ix->arena);
	ix->rank = cg_xcalloc(nfiles, sizeof(*ix->rank));
	ix->noted_cycle = cg_xcalloc(nfiles, sizeof(*ix->noted_cycle));
	ix->noted_depth = cg_xcalloc(nfiles, sizeof(*ix->noted_depth));
	ix->noted_reference = cg_xcalloc(nfiles, sizeof(*ix->noted_reference));
	rank_files(ix);
	for (size_t f = 0; f < m->ngitlab; f++)
		if (file_root(&m->gitlab[f]))
			n += file_root(&m->gitlab[f])->n;
	defs = cg_xcalloc(n ? n : 1, sizeof(*defs));
	for (size_t f = 0; f < m->ngitlab; f++) {
		const struct cg_node *root = file_root(&m->gitlab[f]);

		for (size_t k = 0; root && k < root->n; k++)
			if (cg_node_is_scalar(root->pairs[k].key))
				defs[ndefs++] = (struct def){&root->pairs[k],
							     m->gitlab[f].src,
							     f, ix->rank[f]};
	}
	qsort(defs, ndefs, sizeof(*defs), def_cmp);

	/* one entry per name, its definitions highest first: one per file,
	 * the last of a key a file repeats (as YAML loaders keep it) */
	ix->entries = cg_xcalloc(ndefs ? ndefs : 1, sizeof(*ix->entries));
	ix->defs = cg_xcalloc(ndefs ? ndefs : 1, sizeof(*ix->defs));
	for (size_t i = 0; i < ndefs; i++) {
		struct entry *e = ix->n ? &ix->entries[ix->n - 1] : NULL;

		if (e &&
		    !name_cmp(e->pair->key->str, e->pair->key->len,
			      defs[i].pair->key->str, defs[i].pair->key->len)) {
			if (defs[i].file == defs[i - 1].file)
				continue;
		} else {
			e = &ix->entries[ix->n++];
			e->pair = defs[i].pair;
			e->src = defs[i].src;
			e->file = defs[i].file;
			e->own = &ix->defs[ix->ndefs];
		}
		ix->defs[ix->ndefs] =
		    (struct layer){defs[i].pair, defs[i].src, ix->ndefs};
		ix->ndefs++;
		e->nown++;
	}
	free(defs);
	ix->stamp = cg_xcalloc(ix->ndefs ? ix->ndefs : 1, sizeof(*ix->stamp));
	for (size_t i = 0; i < ix->n; i++) {
		struct entry *e = &ix->entries[i];
		struct view ext =
		    view_get(ix, (struct view){e->own, e->nown}, "extends");

		if (ext.n) {
			e->extends = ext.l[0].pair;
			e->extends_src = ext.l[0].src;
		}
		nedges += extends_names(e->extends, NULL);
	}

	/* each entry where its file defines it (defs are sorted by file
	 * rank, so here the order of files and of keys in each) */
	ix->order = cg_xcalloc(ix->n ? ix->n : 1, sizeof(*ix->order));
	for (size_t f = 0, k = 0; f < m->ngitlab; f++) {
		const struct cg_node *root = file_root(&m->gitlab[f]);

		for (size_t j = 0; root && j < root->n; j++) {
			const struct cg_pair *p = &root->pairs[j];
			struct entry *e;

			if (!cg_node_is_scalar(p->key))
				continue;
			e = lookup(ix, p->key->str, p->key->len);
			if (e && e->pair == p)
				ix->order[k++] = e;
		}
	}

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
	for (size_t i = 0; i < ix->n; i++)
		free(ix->entries[i].merged);
	free(ix->entries);
	free(ix->defs);
	free(ix->stamp);
	free(ix->edges);
	free(ix->order);
	free(ix->rank);
	free(ix->noted_cycle);
	free(ix->noted_depth);
	free(ix->noted_reference);
	cg_arena_release(&ix->arena);
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

static size_t file_of(const struct gl_index *ix, const struct cg_src *src)
{
	for (size_t f = 0; f < ix->m->ngitlab; f++)
		if (ix->m->gitlab[f].src == src)
			return f;
	return 0;
}

static void note_at_extends(struct gl_index *ix, const struct entry *e,
			    const char *what, const struct entry *const *chain,
			    size_t n, const char *why)
{
	struct cg_buf b = CG_BUF_INIT;
	const struct cg_pos *pos = &e->extends->key->pos;

	add_chain(&b, chain, n);
	cg_model_note(ix->m, "%s:%u:%u: %s (%s): %s", e->extends_src->path,
		      pos->line, pos->col, what, b.buf, why);
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

	if (ix->noted_cycle[file_of(ix, closer->extends_src)])
		return;
	ix->noted_cycle[file_of(ix, closer->extends_src)] = true;
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

	if (ix->noted_depth[file_of(ix, e->extends_src)])
		return;
	ix->noted_depth[file_of(ix, e->extends_src)] = true;
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

static void note_view_cut(struct gl_index *ix, const struct entry *e)
{
	/* the `extends:` that brings them in, or where a name that too
	 * many files define is defined */
	const struct cg_pos *pos =
	    e->extends ? &e->extends->key->pos : &e->pair->key->pos;
	const struct cg_src *src = e->extends ? e->extends_src : e->src;

	if (ix->noted_view)
		return;
	ix->noted_view = true;
	cg_model_note(ix->m,
		      "%s:%u:%u: '%s' merges more than %d definitions; the "
		      "rest are not checked",
		      src->path, pos->line, pos->col, e->pair->key->str,
		      MAX_VIEW);
}

/* Add `l` to `e`'s view unless it is there already (higher up). */
static void add_layer(struct gl_index *ix, struct entry *e,
		      const struct layer *l)
{
	size_t mark = (size_t)(e - ix->entries) + 1;

	if (ix->stamp[l->def] == mark)
		return;
	if (e->nmerged == MAX_VIEW) {
		note_view_cut(ix, e);
		return;
	}
	ix->stamp[l->def] = mark;
	e->merged[e->nmerged++] = *l;
}

/* Every parent of `e` outside a cycle is resolved: resolve `e`, its own
 * definitions over its parents', the last parent's over the others'. */
static void resolve(struct gl_index *ix, struct entry *e)
{
	size_t n = e->nown;

	if (!e->in_cycle)
		for (size_t i = 0; i < e->nparents; i++)
			if (!e->parents[i]->in_cycle)
				n += e->parents[i]->nmerged;
	e->merged = cg_xcalloc(n < MAX_VIEW ? (n ? n : 1) : MAX_VIEW,
			       sizeof(*e->merged));
	for (size_t i = 0; i < e->nown; i++)
		add_layer(ix, e, &e->own[i]);
	if (e->in_cycle)
		return;
	for (size_t i = e->nparents; i-- > 0;) {
		const struct entry *p = e->parents[i];

		if (p->in_cycle)
			continue;
		for (size_t k = 0; k < p->nmerged; k++)
			add_layer(ix, e, &p->merged[k]);
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

	/* from each entry in document order, file by file, so that notes
	 * name what a reader meets first */
	for (size_t i = 0; i < ix->n; i++) {
		struct entry *root = ix->order[i];
		size_t nframes = 0;

		if (root->index)
			continue;
		frames[nframes++] = (struct frame){root, 0};
		for (struct entry *v = root; v;) {
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

static bool is_reference(const struct cg_node *n)
{
	return n->tag && !strcmp(n->tag, "!reference");
}

/* `!reference [name, key, ...]`: the value there in the configuration
 * after `extends:` (mappings only are looked into, as Ruby's Hash#dig:
 * GitLab cannot find a key under a `!reference` that is not resolved
 * yet). */
static struct view follow_reference(struct gl_index *ix,
				    const struct cg_node *ref)
{
	struct view v = {NULL, 0};

	if (ref->kind != CG_NODE_SEQ || ref->n < 1 ||
	    !cg_node_is_scalar(ref->items[0]))
		return v;
	v = entry_view(lookup(ix, ref->items[0]->str, ref->items[0]->len));
	for (size_t i = 1; i < ref->n && v.n; i++) {
		if (!cg_node_is_scalar(ref->items[i]))
			return (struct view){NULL, 0};
		v = view_get(ix, v, ref->items[i]->str);
	}
	return v;
}

/* `v`, or where it refers when it is a `!reference` (several times over,
 * MAX_DEREF at most: a longer chain is taken to be circular). */
static struct view deref(struct gl_index *ix, struct view v)
{
	for (int i = 0; v.n && is_reference(v.l[0].pair->value); i++) {
		if (i == MAX_DEREF)
			return (struct view){NULL, 0};
		v = follow_reference(ix, v.l[0].pair->value);
	}
	return v;
}

/* key `key` of merged mapping `v`, with `!reference` followed */
static struct view get(struct gl_index *ix, struct view v, const char *key)
{
	return deref(ix, view_get(ix, deref(ix, v), key));
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
	bool missing; /* a `!reference` to nothing seen (a remote include's) */
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
		struct located to = top(follow_reference(w->ix, n));

		if (!to.node)
			w->missing = true;

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
		    void *out, bool *missing)
{
	struct list_walk w;

	memset(&w, 0, sizeof(w));
	w.ix = ix;
	w.item = item;
	w.out = out;
	w.walking[w.nwalking++] = l.node;
	flatten_at(&w, l, 0);
	if (missing)
		*missing = w.missing;
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
	return flatten(ix, l, add_script, out, NULL);
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
	 * match and has no allow_failure, so the job's own applies there;
	 * one can be the first to match and runs the job */
	bool matched_always, job_level_used, can_run;
	/* the `variables:` of entries that can run the job, in order */
	struct located *rule_vars;
	size_t nrule_vars, rule_vars_alloc;
	size_t nlive; /* entries that can run the job */
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
	out->can_run |= runs;
	out->nlive += runs;
	if (runs && is_map(cg_map_get(l.node, "variables"))) {
		CG_GROW(out->rule_vars, out->rule_vars_alloc,
			out->nrule_vars + 1);
		out->rule_vars[out->nrule_vars++] =
		    (struct located){cg_map_get(l.node, "variables"), l.src};
	}
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

/* `inherit: WHAT:` of the job's view `self` (maybe through `extends:`) */
static const struct cg_node *inherit_of(struct gl_index *ix, struct view self,
					const char *what)
{
	return top(get(ix, get(ix, self, "inherit"), what)).node;
}

/*
 * A runner feature flag's value, as gitlab-runner reads it: Go's
 * strconv.ParseBool, where anything but "1", "t", "T", "TRUE", "true" and
 * "True" is off.
 */
static bool feature_flag_on(const struct cg_node *v)
{
	static const char *const on[] = {"1", "t", "T", "TRUE", "true", "True"};

	for (size_t i = 0; i < sizeof(on) / sizeof(*on); i++)
		if (cg_scalar_eq(v, on[i]))
			return true;
	return false;
}

static const struct cg_gl_variable *
find_variable(const struct cg_gl_variable *vars, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(vars[i].pair->key->str, name))
			return &vars[i];
	return NULL;
}

/* see cg_gl_job.exit_code_check */
static bool exit_code_check(struct gl_index *ix, const struct cg_gl_job *job,
			    struct view self)
{
	const struct cg_gl_variable *v =
	    find_variable(job->variables, job->nvariables, FF_EXIT_CODE_CHECK);

	if (!v && inherit_allows(inherit_of(ix, self, "variables"),
				 FF_EXIT_CODE_CHECK))
		v = find_variable(ix->m->gitlab_variables,
				  ix->m->ngitlab_variables, FF_EXIT_CODE_CHECK);
	return v && feature_flag_on(v->value);
}

/* A variable's definition while a `variables:` view is merged. */
struct var_def {
	const struct cg_pair *pair;
	const struct cg_src *src;
	size_t layer;
};

static int var_def_cmp(const void *pa, const void *pb)
{
	const struct var_def *a = pa, *b = pb;
	int c = name_cmp(a->pair->key->str, a->pair->key->len,
			 b->pair->key->str, b->pair->key->len);

	if (c)
		return c;
	/* the upper mapping first; in one mapping, the later duplicate */
	if (a->layer != b->layer)
		return a->layer < b->layer ? -1 : 1;
	return a->pair > b->pair ? -1 : a->pair < b->pair;
}

/*
 * The variables of merged `variables:` mapping `vars`: per name, the upper
 * definition; a `{value: ..., description: ...}` one merges with those
 * below it, so the value may come from further down. In the model's arena.
 */
static struct cg_gl_variable *merge_variables(struct gl_index *ix,
					      struct view vars, size_t *out_n)
{
	struct cg_gl_variable *out;
	struct var_def *defs;
	size_t n = 0, k = 0;

	*out_n = 0;
	for (size_t i = 0; i < vars.n; i++)
		if (is_map(vars.l[i].pair->value))
			n += vars.l[i].pair->value->n;
	if (!n)
		return NULL;
	defs = cg_xcalloc(n, sizeof(*defs));
	n = 0;
	for (size_t i = 0; i < vars.n; i++) {
		const struct cg_node *map = vars.l[i].pair->value;

		for (size_t j = 0; is_map(map) && j < map->n; j++)
			if (cg_node_is_scalar(map->pairs[j].key))
				defs[n++] = (struct var_def){&map->pairs[j],
							     vars.l[i].src, i};
	}
	qsort(defs, n, sizeof(*defs), var_def_cmp);
	/* the first of each name wins */
	for (size_t i = 0; i < n; i++)
		if (!k ||
		    name_cmp(defs[k - 1].pair->key->str,
			     defs[k - 1].pair->key->len, defs[i].pair->key->str,
			     defs[i].pair->key->len))
			defs[k++] = defs[i];
	out = k ? cg_arena_alloc(&ix->m->arena, k * sizeof(*out)) : NULL;
	for (size_t i = 0; i < k; i++) {
		struct layer one = {defs[i].pair, defs[i].src, 0};
		struct view v = deref(ix, (struct view){&one, 1});
		struct cg_gl_variable *var = &out[i];

		var->pair = defs[i].pair;
		var->src = defs[i].src;
		var->value = NULL;
		if (v.n && is_map(v.l[0].pair->value)) {
			/* `{value: ...}`, maybe merged over lower ones */
			if (v.l == &one)
				v = view_get(
				    ix,
				    (struct view){vars.l + defs[i].layer,
						  vars.n - defs[i].layer},
				    defs[i].pair->key->str);
			v = get(ix, v, "value");
		}
		if (v.n && !is_map(v.l[0].pair->value)) {
			var->value = v.l[0].pair->value;
			if (v.l[0].src == var->src)
				continue;
			/* the value's own definition, so that positions
			 * point into the file they are in */
			var->pair = v.l[0].pair;
			var->src = v.l[0].src;
		}
	}
	free(defs);
	*out_n = k;
	return out;
}

/*
 * `parallel: matrix:` runs the job once per combination of the values its
 * entries list, each run with those variables over the job's own
 * (Normalizer#expand_parallelize_jobs: `config.deep_merge(job.attributes)`
 * with MatrixStrategy's job_variables). The job's variables take each name
 * the matrix gives, with the first entry's first value: a name one entry
 * gives counts as set, though runs of the other entries lack it.
 */
static void add_matrix_variables(struct gl_index *ix, struct cg_gl_job *job,
				 struct view self)
{
	struct located matrix =
	    top(get(ix, get(ix, self, "parallel"), "matrix"));
	struct cg_gl_variable *vars;
	bool *given; /* per variable: a matrix entry gave it */
	size_t n = 0, k = job->nvariables;

	if (!matrix.node || matrix.node->kind != CG_NODE_SEQ)
		return;
	for (size_t i = 0; i < matrix.node->n; i++)
		if (is_map(matrix.node->items[i]))
			n += matrix.node->items[i]->n;
	if (!n)
		return;
	vars = cg_arena_alloc(&ix->m->arena, (k + n) * sizeof(*vars));
	given = cg_xcalloc(k + n, sizeof(*given));
	if (k)
		memcpy(vars, job->variables, k * sizeof(*vars));
	for (size_t i = 0; i < matrix.node->n; i++) {
		const struct cg_node *entry = matrix.node->items[i];

		for (size_t j = 0; is_map(entry) && j < entry->n; j++) {
			const struct cg_pair *p = &entry->pairs[j];
			const struct cg_node *value = p->value;
			struct cg_gl_variable *var;

			if (!cg_node_is_scalar(p->key))
				continue;
			var = (struct cg_gl_variable *)find_variable(
			    vars, k, p->key->str);
			if (var && given[var - vars])
				continue; /* an earlier entry gave it */
			if (!var)
				var = &vars[k++];
			given[var - vars] = true;
			if (value->kind == CG_NODE_SEQ)
				value = value->n ? value->items[0] : NULL;
			var->pair = p;
			var->value = cg_node_is_scalar(value) ? value : NULL;
			var->src = matrix.src;
		}
	}
	free(given);
	job->variables = vars;
	job->nvariables = k;
}

/*
 * A `rules:` entry's `variables:` are the job's when that entry matches,
 * over its own (gitlab-org/gitlab!48752). The job's variables take each
 * name that an entry which can run the job gives and the job does not
 * define: the job may get it in some pipeline. Where the job defines the
 * name too, its own value is kept: the one runs of other entries see.
 */
static void add_rule_variables(struct gl_index *ix, struct cg_gl_job *job,
			       const struct allow_list *allow)
{
	struct cg_gl_variable *vars;
	size_t n = 0, k = job->nvariables;

	for (size_t i = 0; i < allow->nrule_vars; i++)
		n += allow->rule_vars[i].node->n;
	if (!n)
		return;
	vars = cg_arena_alloc(&ix->m->arena, (k + n) * sizeof(*vars));
	if (k)
		memcpy(vars, job->variables, k * sizeof(*vars));
	/* a name every entry that can run the job sets: the matching
	 * entry's value replaces the job's in every pipeline (seed/build.rb
	 * merges the rule's variables over the job's), so the job's own is
	 * never seen; the first entry's stands for them */
	for (size_t v = 0; allow->nrule_vars == allow->nlive && v < k; v++) {
		const struct cg_pair *first = NULL;
		bool all = true;

		for (size_t i = 0; all && i < allow->nrule_vars; i++) {
			const struct cg_pair *p = cg_map_get_pair(
			    allow->rule_vars[i].node, vars[v].pair->key->str);

			all = p != NULL;
			if (p && !first)
				first = p;
		}
		if (!all || !first)
			continue;
		vars[v].pair = first;
		vars[v].value =
		    cg_node_is_scalar(first->value) ? first->value : NULL;
		vars[v].src = allow->rule_vars[0].src;
	}
	for (size_t i = 0; i < allow->nrule_vars; i++) {
		const struct cg_node *map = allow->rule_vars[i].node;

		for (size_t j = 0; j < map->n; j++) {
			const struct cg_pair *p = &map->pairs[j];

			if (!cg_node_is_scalar(p->key) ||
			    find_variable(vars, k, p->key->str))
				continue;
			vars[k].pair = p;
			vars[k].value =
			    cg_node_is_scalar(p->value) ? p->value : NULL;
			vars[k].src = allow->rule_vars[i].src;
			k++;
		}
	}
	job->variables = vars;
	job->nvariables = k;
}

/* see cg_gl_job.inherit_some_variables */
static void inherit_variables(struct gl_index *ix, struct cg_gl_job *job,
			      struct view self)
{
	const struct cg_node *iv = inherit_of(ix, self, "variables");
	const struct cg_model *m = ix->m;

	if (!iv || (iv->kind != CG_NODE_SEQ && cg_scalar_bool(iv) != 0))
		return;
	job->inherit_some_variables = true;
	job->inherited = cg_arena_alloc(
	    &ix->m->arena, (m->ngitlab_variables ? m->ngitlab_variables : 1) *
			       sizeof(*job->inherited));
	for (size_t i = 0; i < m->ngitlab_variables; i++)
		if (inherit_allows(iv, m->gitlab_variables[i].pair->key->str))
			job->inherited[job->ninherited++] =
			    m->gitlab_variables[i];
}

/* The job's `key`, else default's, else the top-level one (the old global
 * form, which GitLab's `default:` takes when it has no such key itself:
 * `inherit: default:` decides for both). */
static struct view job_or_default(struct gl_index *ix, struct view self,
				  const char *key)
{
	struct view v = view_get(ix, self, key);

	if (v.n || !inherit_allows(inherit_of(ix, self, "default"), key))
		return v;
	v = view_get(ix, deref(ix, find_top(ix, "default")), key);
	return v.n ? v : find_top(ix, key);
}

static void job_build(struct gl_index *ix, struct cg_gl_job *job,
		      const struct entry *self)
{
	struct script_list scripts = {&job->scripts, &job->nscripts, 0};
	struct script_list after = {&job->after, &job->nafter, 0};
	struct allow_list allow = {ix->m, job,	0, false, false,
				   false, NULL, 0, 0,	  0};
	struct view view = entry_view(self), v;
	struct located rules = top(view_get(ix, view, "rules"));
	bool whole = true, missing = false, has_rules, created;

	job->id = self->pair->key->str;
	job->key = self->pair->key;
	job->node = self->pair->value;
	job->variables =
	    merge_variables(ix, get(ix, view, "variables"), &job->nvariables);
	add_matrix_variables(ix, job, view);
	inherit_variables(ix, job, view);
	job->exit_code_check = exit_code_check(ix, job, view);
	v = get(ix, view, "allow_failure");
	if (v.n) {
		job->allow_failure = v.l[0].pair;
		job->allow_failure_src = v.l[0].src;
		add_allow_failure(&allow, job->allow_failure,
				  job->allow_failure_src, NULL, true);
	} else if ((v = get(ix, view, "when")).n &&
		   cg_scalar_eq(v.l[0].pair->value, "manual")) {
		/* a manual job's allow_failure defaults to true, whatever
		 * its rules say (Gitlab::Ci::Config::Entry::Job#ignored?);
		 * `when: manual` in a rules: entry defaults to false */
		job->allow_failure = v.l[0].pair;
		job->allow_failure_src = v.l[0].src;
		add_allow_failure(&allow, job->allow_failure,
				  job->allow_failure_src, NULL, true);
		job->allow_failures[0].value = CG_GL_ALLOW_TRUE;
		job->allow_failures[0].manual = true;
	}
	whole &= flatten(ix, rules, add_rule, &allow, &missing);
	add_rule_variables(ix, job, &allow);
	free(allow.rule_vars);
	has_rules = rules.node && (rules.node->kind == CG_NODE_SEQ ||
				   is_reference(rules.node));
	/* with `rules:`, the job's own allow_failure is used only where an
	 * entry without one matches (none: the job never runs) */
	if (job->allow_failure && has_rules)
		job->allow_failures[0].effective = allow.job_level_used;
	/*
	 * GitLab creates the job only when a `rules:` entry matches and
	 * does not say `when: never` (Gitlab::Ci::Build::Rules#evaluate):
	 * when no entry can, the job never runs, and nothing it would run
	 * is checked. Unless a `!reference` there names what no file here
	 * defines (a remote include's entries may run it).
	 */
	created = !has_rules || allow.can_run || missing;
	/* a job with `trigger:` and no `script:` is a bridge
	 * (Entry::Jobs: Job matches `script:`/`run:`, Bridge `trigger:`):
	 * it starts a downstream pipeline and runs nothing, not even
	 * default:'s before_script, after_script or services */
	if (created && (view_get(ix, view, "script").n ||
			!view_get(ix, view, "trigger").n)) {
		v = deref(ix, job_or_default(ix, view, "services"));
		job->services = top(v).node;
		job->services_src = top(v).src;
		whole &=
		    add_scripts(ix, &scripts,
				top(job_or_default(ix, view, "before_script")));
		whole &= add_scripts(ix, &scripts,
				     top(view_get(ix, view, "script")));
		job->script = cg_script_join(ix->m, job->scripts, job->nscripts,
					     job->exit_code_check);
		whole &= add_scripts(
		    ix, &after, top(job_or_default(ix, view, "after_script")));
	}
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
	gl->pipeline = CG_NO_INDEX; /* the GitLab finish places it */
}

/* The jobs of the files in m->gitlab, all of one pipeline, its root first. */
static void build_pipeline(struct cg_model *m)
{
	struct gl_index ix;

	index_build(&ix, m);
	resolve_extends(&ix);
	m->gitlab_variables = merge_variables(
	    &ix, deref(&ix, find_top(&ix, "variables")), &m->ngitlab_variables);
	for (size_t i = 0; i < m->ngitlab; i++) {
		struct cg_gl_file *gl = &m->gitlab[i];
		const struct cg_node *root = file_root(gl);

		if (!root || !root->n)
			continue;
		gl->jobs =
		    cg_arena_alloc(&m->arena, root->n * sizeof(*gl->jobs));
		for (size_t k = 0; k < root->n; k++) {
			const struct cg_pair *p = &root->pairs[k];
			const struct entry *e;

			if (!cg_node_is_scalar(p->key) ||
			    p->value->kind != CG_NODE_MAP ||
			    is_reserved(p->key->str) || p->key->str[0] == '.')
				continue;
			/* a job defined in several files is built once, in
			 * the file whose definition wins */
			e = lookup(&ix, p->key->str, p->key->len);
			if (e && e->pair == p)
				job_build(&ix, &gl->jobs[gl->njobs++], e);
		}
	}
	index_release(&ix);
}

/*
 * Each pipeline is built on its own, as GitLab merges only the files one
 * pipeline includes: m->gitlab is narrowed to that pipeline's entries
 * (its root first, includes renumbered) for the build, then restored.
 */
void cg_gl_build_jobs(struct cg_model *m)
{
	struct cg_gl_file *all = m->gitlab;
	size_t nall = m->ngitlab;
	size_t *idx = cg_xcalloc(nall + 1, sizeof(*idx));
	size_t *local = cg_xcalloc(nall + 1, sizeof(*local));

	for (size_t p = 0; p < m->ngitlab_pipelines; p++) {
		struct cg_gl_pipeline *pl = &m->gitlab_pipelines[p];
		struct cg_gl_file *sub;
		size_t k = 0;

		if (pl->root >= nall)
			continue;
		idx[k++] = pl->root;
		for (size_t i = 0; i < nall; i++)
			if (all[i].pipeline == p && i != pl->root)
				idx[k++] = i;
		for (size_t i = 0; i < nall; i++)
			local[i] = CG_NO_INDEX;
		for (size_t j = 0; j < k; j++)
			local[idx[j]] = j;
		sub = cg_xcalloc(k, sizeof(*sub));
		for (size_t j = 0; j < k; j++) {
			const struct cg_gl_file *g = &all[idx[j]];

			sub[j] = *g;
			sub[j].includes = cg_xcalloc(g->nincludes + 1,
						     sizeof(*sub[j].includes));
			sub[j].nincludes = 0;
			for (size_t i = 0; i < g->nincludes; i++)
				if (g->includes[i] < nall &&
				    local[g->includes[i]] != CG_NO_INDEX)
					sub[j].includes[sub[j].nincludes++] =
					    local[g->includes[i]];
		}
		m->gitlab = sub;
		m->ngitlab = k;
		build_pipeline(m);
		pl->variables = m->gitlab_variables;
		pl->nvariables = m->ngitlab_variables;
		for (size_t j = 0; j < k; j++) {
			all[idx[j]].jobs = sub[j].jobs;
			all[idx[j]].njobs = sub[j].njobs;
			free(sub[j].includes);
		}
		free(sub);
		m->gitlab = all;
		m->ngitlab = nall;
	}
	m->gitlab_variables =
	    m->ngitlab_pipelines ? m->gitlab_pipelines[0].variables : NULL;
	m->ngitlab_variables =
	    m->ngitlab_pipelines ? m->gitlab_pipelines[0].nvariables : 0;
	free(idx);
	free(local);
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
	for (size_t i = 0; i < m->ngitlab; i++)
		free(m->gitlab[i].includes);
	free(m->gitlab);
	free(m->gitlab_pipelines);
	m->gitlab_pipelines = NULL;
	m->ngitlab_pipelines = m->gitlab_pipelines_alloc = 0;
	m->gitlab_variables = NULL;
	m->ngitlab_variables = 0;
	m->gitlab = NULL;
	m->ngitlab = m->gitlab_alloc = 0;
}
