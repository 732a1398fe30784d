/*
 * The GitHub Actions loaders (workflows and composite actions): github.c
 * builds the typed view of each file, and right after that this turns
 * the view into facts: env scopes (workflow > job > step; a service
 * container's own env apart), env definitions, service containers with
 * their ports and health checks, one script group per job, and what the
 * scripts start and name (ci_scripts.c).
 */
#include <stdlib.h>
#include <string.h>

#include "model/model_int.h"
#include "model/loader.h"
#include "core/banned.h"

/* One `NAME: value` of an env mapping (value NULL when not a scalar). */
static void env_def(struct cg_model *m, const struct cg_node *key,
		    const struct cg_node *value, const struct cg_src *src,
		    size_t scope)
{
	struct cg_env_fact e = {0};

	e.name = key->str;
	e.role = CG_ENV_DEF;
	e.place = CG_PLACE_CI;
	e.scope = scope;
	e.src = src;
	e.pos = key->pos;
	if (cg_node_is_scalar(value)) {
		e.value = value->str;
		e.value_pos = value->pos;
		e.value_has_pos = true;
		e.value_kind = cg_value_classify(m, e.value, &e.ref);
	}
	cg_fact_env(m, &e);
}

static void env_facts(struct cg_model *m, const struct cg_env_block *b,
		      const struct cg_src *src, size_t scope)
{
	if (b->node && b->node->kind == CG_NODE_SCALAR)
		m->facts.scopes[scope].env_unknown = true;
	for (size_t i = 0; i < b->n; i++)
		env_def(m, b->vars[i].key, b->vars[i].value, src, scope);
}

struct later {
	struct cg_model *m;
	size_t scope;
};

/* A NAME=value a step writes to $GITHUB_ENV: a LATER row of its scope. */
static void later_def(void *ctx, const struct cg_script *s,
		      const struct cg_github_env_write *w)
{
	struct later *l = ctx;
	struct cg_env_fact e = {0};

	e.name = w->name;
	e.role = CG_ENV_LATER;
	e.place = CG_PLACE_CI;
	e.scope = l->scope;
	e.src = cg_script_src(s, w->start);
	e.pos = cg_script_pos(s, w->start, w->end);
	if (w->value) {
		e.value = w->value;
		e.value_kind = cg_value_classify(l->m, e.value, &e.ref);
		if (!w->literal && e.value_kind == CG_VALUE_LITERAL)
			e.value_kind = CG_VALUE_EXPRESSION;
	}
	cg_fact_env(l->m, &e);
}

/* A service container's `ports:`, as Docker publishes them (the runner
 * hands each to `docker create -p`): a list of the short syntax, strings
 * or numbers. A `${{ }}` item publishes its container port, when it can be
 * read, at a host port that cannot be told; so does every port of a whole
 * list given as one expression. */
static void service_ports(struct cg_ports *ps, const struct cg_node *ports)
{
	if (!ports)
		return;
	if (cg_node_is_scalar(ports) && strstr(ports->str, "${{")) {
		cg_ports_short(ps, ports->str, &ports->pos);
		return;
	}
	if (ports->kind != CG_NODE_SEQ)
		return;
	for (size_t i = 0; i < ports->n; i++)
		if (cg_node_is_scalar(ports->items[i]))
			cg_ports_short(ps, ports->items[i]->str,
				       &ports->items[i]->pos);
}

static bool options_have(const struct cg_node *options, const char *flag)
{
	return cg_node_is_scalar(options) && strstr(options->str, flag);
}

static void service_facts(struct cg_model *m, const struct cg_gh_service *sv,
			  const struct cg_src *src, size_t job_scope,
			  size_t group)
{
	struct cg_service_fact f = {0};
	struct cg_ports ports = {0};
	const char *hosts[1];

	f.name = sv->id;
	hosts[0] = sv->id;
	f.hosts = hosts;
	f.nhosts = 1;
	f.image = cg_node_is_scalar(sv->image) ? sv->image->str : NULL;
	f.kind = cg_service_kind_of_image(f.image);
	f.environment = CG_ENVIRONMENT_CI;
	f.place = CG_PLACE_CI;
	f.scope = job_scope;
	f.src = src;
	f.pos = sv->key->pos;
	f.own_scope = cg_fact_scope(m, CG_SCOPE_CI_SERVICE, job_scope, sv->id,
				    src, &sv->key->pos);
	cg_fact_scope_image(m, f.own_scope, f.image);
	env_facts(m, &sv->env, src, f.own_scope);
	service_ports(&ports, sv->ports);
	f.ports = ports.v;
	f.nports = ports.n;
	f.healthcheck = options_have(sv->options, "--health-cmd");
	cg_fact_group_service(m, group, cg_fact_service(m, &f));
	free(ports.v);
}

/* `container: {image, env}`: the container's own env, under the rest. */
static void container_env(struct cg_model *m, const struct cg_gh_job *job,
			  const struct cg_src *src, size_t jscope)
{
	const struct cg_node *env = cg_map_get(job->container, "env");
	const struct cg_node *image;
	size_t cscope;

	if (!env || env->kind != CG_NODE_MAP)
		return;
	cscope = cg_fact_scope(m, CG_SCOPE_CI_SERVICE, CG_NO_SCOPE, "container",
			       src, &job->container->pos);
	image = cg_map_get(job->container, "image");
	if (cg_node_is_scalar(image))
		cg_fact_scope_image(m, cscope, image->str);
	m->facts.scopes[cscope].place = CG_PLACE_CI;
	m->facts.scopes[cscope].environment = CG_ENVIRONMENT_CI;
	for (size_t i = 0; i < env->n; i++)
		if (cg_node_is_scalar(env->pairs[i].key))
			env_def(m, env->pairs[i].key, env->pairs[i].value, src,
				cscope);
	m->facts.scopes[jscope].underlay = cscope;
}

/* `jobs.<id>.uses: ./.github/workflows/x.yml`: a workflow of this
 * repository the job calls, which the runner reads from the commit */
static void reusable_ref(struct cg_model *m, const struct cg_gh_job *job,
			 const struct cg_src *src, size_t group)
{
	const struct cg_node *u = cg_map_get(job->node, "uses");
	struct cg_file_ref r = {0};
	char *path;

	if (!cg_node_is_scalar(u) || !cg_starts_with(u->str, "./") ||
	    strchr(u->str, '$') || strchr(u->str, '@') ||
	    !(path = cg_model_path(NULL, u->str)))
		return;
	r.kind = CG_REF_SCRIPT;
	r.path = path;
	r.required = true;
	r.group = group;
	r.item = CG_NO_INDEX;
	r.src = src;
	r.pos = u->pos;
	cg_fact_file_ref(m, &r);
	free(path);
}

/* A job whose checkout puts the repository elsewhere than the workspace
 * (`actions/checkout` with `path:`): where its paths point is not known. */
static bool checkout_moved(const struct cg_gh_job *job)
{
	for (size_t s = 0; s < job->nsteps; s++) {
		const struct cg_gh_step *st = &job->steps[s];

		if (cg_node_is_scalar(st->uses) &&
		    cg_starts_with(st->uses->str, "actions/checkout@") &&
		    cg_map_get(st->with, "path"))
			return true;
	}
	return false;
}

/*
 * What a `uses:` step reads or may write: a local action (`./path`) is a
 * folder of the repository the runner reads; any other action but
 * checkout and the setup-* ones may write files (a download, a cache
 * restore, a build).
 */
static void uses_refs(struct cg_model *m, const struct cg_gh_step *st,
		      const struct cg_src *src, size_t group, size_t item,
		      bool moved)
{
	const char *u = st->uses->str;
	const char *name = strchr(u, '/');
	struct cg_file_ref r = {0};
	char *path = NULL;

	r.required = true;
	r.group = group;
	r.item = item;
	r.src = src;
	r.pos = st->uses->pos;
	if (cg_starts_with(u, "./")) {
		if (moved || strchr(u, '$') || !(path = cg_model_path(NULL, u)))
			return;
		r.kind = CG_REF_SCRIPT;
		r.path = path;
	} else {
		if (cg_starts_with(u, "actions/checkout@") ||
		    (name && cg_starts_with(name + 1, "setup-")))
			return;
		r.kind = CG_REF_BUILD;
		r.path = u;
		if (name && (cg_starts_with(name + 1, "download-artifact@") ||
			     cg_starts_with(name + 1, "cache@"))) {
			/* it writes files, tracked or not, where `path:`
			 * says (anywhere when it says nothing plain) */
			const struct cg_node *to = cg_map_get(st->with, "path");

			r.kind = CG_REF_OUTPUT;
			if (cg_node_is_scalar(to) && !strchr(to->str, '$') &&
			    !strchr(to->str, '\n') && !moved)
				path = cg_model_path(NULL, to->str);
			r.path = path ? path : "**";
		}
	}
	cg_fact_file_ref(m, &r);
	free(path);
}

static void workflow_facts(struct cg_model *m, const struct cg_gh_workflow *wf)
{
	struct cg_pos top = {1, 1, 1, 1};
	size_t wscope = cg_fact_scope(m, CG_SCOPE_FILE, CG_NO_SCOPE,
				      wf->src->path, wf->src, &top);
	struct cg_buf title = CG_BUF_INIT;

	m->facts.scopes[wscope].place = CG_PLACE_CI;
	m->facts.scopes[wscope].environment = CG_ENVIRONMENT_CI;
	env_facts(m, &wf->env, wf->src, wscope);
	cg_ci_env_uses(m, wf->root, wf->src, wscope, true);
	for (size_t j = 0; j < wf->njobs; j++) {
		const struct cg_gh_job *job = &wf->jobs[j];
		struct cg_script_group g = {0};
		size_t jscope, group;
		bool moved;

		jscope = cg_fact_scope(m, CG_SCOPE_CI_JOB, wscope, job->id,
				       wf->src, &job->key->pos);
		m->facts.scopes[jscope].in_container = job->container != NULL;
		env_facts(m, &job->env, wf->src, jscope);
		container_env(m, job, wf->src, jscope);
		moved = checkout_moved(job);
		g.kind = wf->composite ? CG_GROUP_GITHUB_ACTION
				       : CG_GROUP_GITHUB_JOB;
		g.name = job->id;
		g.scope = jscope;
		g.src = wf->src;
		g.pos = job->key->pos;
		g.gh = job;
		group = cg_fact_group(m, &g);
		m->facts.groups[group].process_first = m->facts.nprocesses;
		reusable_ref(m, job, wf->src, group);
		for (size_t s = 0; s < job->nservices; s++)
			service_facts(m, &job->services[s], wf->src, jscope,
				      group);
		for (size_t s = 0; s < job->nsteps; s++) {
			const struct cg_gh_step *st = &job->steps[s];
			struct cg_script_item it = {0};
			size_t sscope, item;

			cg_buf_reset(&title);
			if (cg_node_is_scalar(st->name))
				cg_buf_addstr(&title, st->name->str);
			else
				cg_buf_addf(&title, "#%zu", st->index + 1);
			sscope =
			    cg_fact_scope(m, CG_SCOPE_CI_STEP, jscope,
					  title.buf, wf->src, &st->node->pos);
			env_facts(m, &st->env, wf->src, sscope);
			it.script = st->script;
			it.shell = &st->shell;
			it.scope = sscope;
			it.step = st;
			it.name =
			    cg_node_is_scalar(st->name) ? st->name->str : NULL;
			it.uses =
			    cg_node_is_scalar(st->uses) ? st->uses->str : NULL;
			it.pos = st->node->pos;
			cg_fact_group_item(m, group, &it);
			item = m->facts.groups[group].nitems - 1;
			if (cg_node_is_scalar(st->uses))
				uses_refs(m, st, wf->src, group, item, moved);
			cg_ci_script_facts(m, st->script, sscope, group, item,
					   moved ? NULL : st->workdir);
			if (st->script) {
				struct later l = {m, sscope};

				cg_github_env_writes(st->script, later_def, &l);
			}
		}
		m->facts.groups[group].process_end = m->facts.nprocesses;
	}
	cg_buf_release(&title);
}

/* Each file's facts right after its typed view is built, while that is
 * still in the cache. A finish pass over every view, built long before,
 * took 11 ms of the bench repository's 130; this way the check is 6 ms
 * faster (make bench, 2 cores). */
static void build(struct cg_model *m, struct cg_file *f)
{
	size_t before = m->nworkflows;

	cg_gh_build(m, f);
	for (size_t i = before; i < m->nworkflows; i++)
		if (m->workflows[i].src == &f->src)
			workflow_facts(m, &m->workflows[i]);
}

/* ---- what a step's composite action writes to $GITHUB_ENV ---- */

#define ACTION_DEPTH 8 /* actions that run actions, at most this deep */

/* The composite action of the repository in folder `dir` ("" or ".":
 * the root), or NULL. */
static const struct cg_gh_workflow *action_in(const struct cg_model *m,
					      const char *dir)
{
	bool root = !*dir || !strcmp(dir, ".");
	size_t n = root ? 0 : strlen(dir);

	for (size_t i = 0; i < m->nworkflows; i++) {
		const struct cg_gh_workflow *wf = &m->workflows[i];
		const char *path = wf->src->path;

		if (!wf->composite || wf->njobs != 1)
			continue;
		if (!root && (strncmp(path, dir, n) || path[n] != '/'))
			continue;
		if (!strchr(path + (root ? 0 : n + 1), '/'))
			return wf;
	}
	return NULL;
}

/*
 * A step `uses: ./dir` runs the repository's composite action in dir (the
 * path is from the workspace, where the checkout put the repository). What
 * the action's steps write to $GITHUB_ENV reaches every later step of the
 * job, as a step's own writes do (actions/runner: the runner reads the file
 * after each step of a composite action into the job's environment): LATER
 * rows of the calling step's scope, at the action's lines. An action that
 * runs another local action passes that one's writes on too.
 */
static void action_writes(struct cg_model *m, const char *uses, size_t scope,
			  unsigned depth)
{
	const struct cg_gh_workflow *wf;
	struct later l = {m, scope};
	char *dir;

	if (depth >= ACTION_DEPTH || !cg_starts_with(uses, "./") ||
	    strchr(uses, '$'))
		return;
	/* `./` alone: the action at the root of the repository */
	if (!(dir = cg_model_path(NULL, uses)) && !uses[2])
		dir = cg_xstrdup("");
	if (!dir)
		return;
	wf = action_in(m, dir);
	free(dir);
	if (!wf)
		return;
	for (size_t s = 0; s < wf->jobs[0].nsteps; s++) {
		const struct cg_gh_step *st = &wf->jobs[0].steps[s];

		if (st->script)
			cg_github_env_writes(st->script, later_def, &l);
		else if (cg_node_is_scalar(st->uses))
			action_writes(m, st->uses->str, scope, depth + 1);
	}
}

static void action_env_finish(struct cg_model *m)
{
	for (size_t g = 0; g < m->facts.ngroups; g++) {
		const struct cg_script_group *grp = &m->facts.groups[g];

		if (grp->kind == CG_GROUP_GITLAB_JOB ||
		    (grp->gh && checkout_moved(grp->gh)))
			continue;
		for (size_t i = 0; i < grp->nitems; i++)
			if (grp->items[i].uses)
				action_writes(m, grp->items[i].uses,
					      grp->items[i].scope, 0);
	}
}

static bool is_workflow(const char *path)
{
	return cg_is_workflow_path(path);
}

static const char *const workflow_patterns[] = {
    ".github/workflows/*.yml", ".github/workflows/*.yaml", NULL};

const struct cg_loader cg_loader_github_workflow = {
    .id = "github-workflow",
    .patterns = workflow_patterns,
    .claims = is_workflow,
    .format = CG_FILE_YAML,
    .layer = CG_LAYER_QUICK,
    .prepare = cg_gh_prepare,
    .build = build,
    .release = cg_gh_release,
};

static const char *const action_patterns[] = {"**/action.yml", "**/action.yaml",
					      NULL};

/* Its files become workflows (composite) in the same table, with their
 * facts made the same way; once all are built, what they write to
 * $GITHUB_ENV goes to the steps that use them. */
const struct cg_loader cg_loader_github_action = {
    .id = "github-action",
    .patterns = action_patterns,
    .format = CG_FILE_YAML,
    .layer = CG_LAYER_QUICK,
    .prepare = cg_gh_prepare,
    .build = build,
    .finish = action_env_finish,
};
