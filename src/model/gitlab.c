/*
 * The GitLab CI view: jobs of .gitlab-ci.yml and its local includes, with
 * `extends:` (templates, later parents win), `default:` and `!reference`
 * resolved for the keys rules read. Scripts are the items of before_script
 * and script, flattened the way GitLab does (nested lists from anchors);
 * after_script's items are kept apart (a shell of their own, exit status
 * ignored).
 */
#include <stdlib.h>
#include <string.h>

#include "model/model_int.h"
#include "core/banned.h"

#define MAX_EXTENDS_DEPTH 11
#define MAX_SCRIPT_NESTING 10

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

static struct located find_top(const struct cg_model *m, const char *name)
{
	struct located l = {NULL, NULL};

	for (size_t i = 0; i < m->ngitlab; i++) {
		const struct cg_node *n = cg_map_get(m->gitlab[i].root, name);

		if (n) {
			l.node = n;
			l.src = m->gitlab[i].src;
		}
	}
	return l;
}

/* `key` of job `job`, looking through extends: parents (last wins). */
static struct located resolve_key(const struct cg_model *m, struct located job,
				  const char *key, const struct cg_pair **pair,
				  unsigned depth)
{
	struct located none = {NULL, NULL};
	const struct cg_pair *p = cg_map_get_pair(job.node, key);
	const struct cg_node *ext;

	if (p) {
		struct located l = {p->value, job.src};

		if (pair)
			*pair = p;
		return l;
	}
	if (depth >= MAX_EXTENDS_DEPTH)
		return none;
	ext = cg_map_get(job.node, "extends");
	if (cg_node_is_scalar(ext)) {
		return resolve_key(m, find_top(m, ext->str), key, pair,
				   depth + 1);
	}
	if (ext && ext->kind == CG_NODE_SEQ) {
		for (size_t i = ext->n; i-- > 0;) {
			struct located l;

			if (!cg_node_is_scalar(ext->items[i]))
				continue;
			l = resolve_key(m, find_top(m, ext->items[i]->str), key,
					pair, depth + 1);
			if (l.node)
				return l;
		}
	}
	return none;
}

/* `!reference [job, key, ...]` */
static struct located follow_reference(const struct cg_model *m,
				       const struct cg_node *ref)
{
	struct located l = {NULL, NULL};

	if (ref->kind != CG_NODE_SEQ || ref->n < 1 ||
	    !cg_node_is_scalar(ref->items[0]))
		return l;
	l = find_top(m, ref->items[0]->str);
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

/* A list of scripts being filled in: job->scripts or job->after. */
struct script_list {
	struct cg_script ***items;
	size_t *n;
	size_t alloc;
};

static void add_scripts(struct cg_model *m, struct script_list *out,
			struct located l, unsigned depth)
{
	const struct cg_node *n = l.node;

	if (!n || depth > MAX_SCRIPT_NESTING)
		return;
	if (is_reference(n)) {
		add_scripts(m, out, follow_reference(m, n), depth + 1);
		return;
	}
	if (cg_node_is_scalar(n)) {
		struct cg_script *s = cg_script_new(m, l.src, n);

		if (s) {
			CG_GROW(*out->items, out->alloc, *out->n + 1);
			(*out->items)[(*out->n)++] = s;
		}
		return;
	}
	if (n->kind != CG_NODE_SEQ)
		return;
	for (size_t i = 0; i < n->n; i++) {
		struct located item = {n->items[i], l.src};

		add_scripts(m, out, item, depth + 1);
	}
}

/* The job's `key` (before_script, after_script), else default's, else
 * the top-level one (the old global form). */
static struct located job_or_default(struct cg_model *m, struct located self,
				     const char *key)
{
	struct located l = resolve_key(m, self, key, NULL, 0);

	if (!l.node) {
		struct located def = find_top(m, "default");

		l.node = cg_map_get(def.node, key);
		l.src = def.src;
	}
	if (!l.node)
		l = find_top(m, key);
	return l;
}

static void job_build(struct cg_model *m, struct cg_gl_job *job,
		      const struct cg_pair *pair, const struct cg_src *src)
{
	struct located self = {pair->value, src}, l;
	struct script_list scripts = {&job->scripts, &job->nscripts, 0};
	struct script_list after = {&job->after, &job->nafter, 0};
	const struct cg_pair *af = NULL;

	job->id = pair->key->str;
	job->key = pair->key;
	job->node = pair->value;
	l = resolve_key(m, self, "allow_failure", &af, 0);
	if (l.node) {
		job->allow_failure = af;
		job->allow_failure_src = l.src;
	}
	job->services = resolve_key(m, self, "services", NULL, 0).node;
	job->variables = resolve_key(m, self, "variables", NULL, 0).node;
	add_scripts(m, &scripts, job_or_default(m, self, "before_script"), 0);
	add_scripts(m, &scripts, resolve_key(m, self, "script", NULL, 0), 0);
	add_scripts(m, &after, job_or_default(m, self, "after_script"), 0);
}

void cg_gl_register(struct cg_model *m, struct cg_file *f)
{
	struct cg_gl_file *gl;

	if (f->tree.ndocs < 1 || !f->tree.docs[0] ||
	    f->tree.docs[0]->kind != CG_NODE_MAP)
		return;
	m->gitlab =
	    cg_xrealloc(m->gitlab, (m->ngitlab + 1) * sizeof(*m->gitlab));
	gl = &m->gitlab[m->ngitlab++];
	memset(gl, 0, sizeof(*gl));
	gl->src = &f->src;
	/* a file may start with a `spec:` header document (components) */
	gl->root = f->tree.docs[f->tree.ndocs - 1];
}

void cg_gl_build_jobs(struct cg_model *m)
{
	for (size_t i = 0; i < m->ngitlab; i++) {
		struct cg_gl_file *gl = &m->gitlab[i];
		const struct cg_node *root = gl->root;

		if (!root || root->kind != CG_NODE_MAP || !root->n)
			continue;
		gl->jobs =
		    cg_arena_alloc(&m->arena, root->n * sizeof(*gl->jobs));
		for (size_t k = 0; k < root->n; k++) {
			const struct cg_pair *p = &root->pairs[k];

			if (!cg_node_is_scalar(p->key) ||
			    p->value->kind != CG_NODE_MAP ||
			    is_reserved(p->key->str) || p->key->str[0] == '.')
				continue;
			job_build(m, &gl->jobs[gl->njobs++], p, gl->src);
		}
	}
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

			for (size_t k = 0; k < job->nscripts; k++)
				cg_script_free(job->scripts[k]);
			for (size_t k = 0; k < job->nafter; k++)
				cg_script_free(job->after[k]);
			free(job->scripts);
			free(job->after);
		}
	free(m->gitlab);
	m->gitlab = NULL;
	m->ngitlab = 0;
}
