/*
 * The GitLab CI loader: `.gitlab-ci.yml` and the local files it includes.
 * gitlab.c resolves jobs (extends, default, !reference); once every file
 * is in, this turns them into facts. A GitLab job runs in a container and
 * reaches its services at their alias, or at the host names GitLab derives
 * from the image (`bitnami/redis:7` -> `bitnami__redis` and
 * `bitnami-redis`), on the port the service listens on. Top-level
 * `variables:` are the pipeline's scope, a job's `variables:` its own. A
 * value that is only `$X` where no `variables:` of the pipeline or job
 * defines X comes from the project's CI/CD settings: a secret, as far as
 * the repository can tell (predefined CI_* and GITLAB_* variables aside).
 */
#include <stdlib.h>
#include <string.h>

#include "model/model_int.h"
#include "model/loader.h"
#include "core/banned.h"

static void variables_facts(struct cg_model *m, const struct cg_node *vars,
			    const struct cg_src *src, size_t scope)
{
	if (!vars || vars->kind != CG_NODE_MAP || !src)
		return;
	for (size_t i = 0; i < vars->n; i++) {
		const struct cg_pair *p = &vars->pairs[i];
		const struct cg_node *v = p->value;
		struct cg_env_fact e = {0};

		if (!cg_node_is_scalar(p->key))
			continue;
		if (v && v->kind == CG_NODE_MAP) /* {value:, description:} */
			v = cg_map_get(v, "value");
		e.name = p->key->str;
		e.role = CG_ENV_DEF;
		e.place = CG_PLACE_CI;
		e.scope = scope;
		e.src = src;
		e.pos = p->key->pos;
		if (cg_node_is_scalar(v)) {
			e.value = v->str;
			e.value_pos = v->pos;
			e.value_has_pos = true;
			e.value_kind = cg_value_classify(m, e.value, &e.ref);
		}
		cg_fact_env(m, &e);
	}
}

/* `variables:` as GitLab merged them (see struct cg_gl_variable) */
static void merged_variables_facts(struct cg_model *m,
				   const struct cg_gl_variable *vars, size_t n,
				   size_t scope)
{
	for (size_t i = 0; i < n; i++) {
		const struct cg_node *v = vars[i].value;
		struct cg_env_fact e = {0};

		e.name = vars[i].pair->key->str;
		e.role = CG_ENV_DEF;
		e.place = CG_PLACE_CI;
		e.scope = scope;
		e.src = vars[i].src;
		e.pos = vars[i].pair->key->pos;
		if (cg_node_is_scalar(v)) {
			e.value = v->str;
			e.value_pos = v->pos;
			e.value_has_pos = true;
			e.value_kind = cg_value_classify(m, e.value, &e.ref);
		}
		cg_fact_env(m, &e);
	}
}

/* GitLab's host names for an image: the reference without its tag or
 * digest, and without a registry's port (gitlab-runner's
 * SplitNameAndVersion: `registry.example.com:5000/team/pg:16` is
 * registry.example.com/team/pg), with '/' made "__" and, second, '-'. */
static size_t image_hosts(struct cg_model *m, const char *image,
			  const char **out)
{
	size_t n = strcspn(image, "@"), last_slash = 0, first_slash;
	size_t port = 0, port_end = 0;
	struct cg_buf a = CG_BUF_INIT, b = CG_BUF_INIT;
	size_t count = 0;

	for (size_t i = 0; i < n; i++)
		if (image[i] == '/')
			last_slash = i + 1;
	for (size_t i = last_slash; i < n; i++)
		if (image[i] == ':') {
			n = i;
			break;
		}
	/* a `:digits` that ends the first component is the registry's */
	first_slash = strcspn(image, "/");
	if (first_slash < n) {
		const char *colon = memchr(image, ':', first_slash);

		if (colon && (size_t)(colon - image) + 1 < first_slash &&
		    strspn(colon + 1, "0123456789") ==
			first_slash - (size_t)(colon - image) - 1) {
			port = (size_t)(colon - image);
			port_end = first_slash;
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (i >= port && i < port_end)
			continue;
		if (image[i] == '/') {
			cg_buf_addstr(&a, "__");
			cg_buf_addch(&b, '-');
		} else {
			cg_buf_addch(&a, image[i]);
			cg_buf_addch(&b, image[i]);
		}
	}
	if (a.len) {
		out[count++] = cg_arena_strdup(&m->arena, a.buf);
		if (strcmp(a.buf, b.buf))
			out[count++] = cg_arena_strdup(&m->arena, b.buf);
	}
	cg_buf_release(&a);
	cg_buf_release(&b);
	return count;
}

/* A `$` in an image reference before its tag or digest */
static bool variable_in_name(const char *image)
{
	size_t n = strcspn(image, "@"), last_slash = 0;

	for (size_t i = 0; i < n; i++)
		if (image[i] == '/')
			last_slash = i + 1;
	n = last_slash + strcspn(image + last_slash, ":@");
	return memchr(image, '$', n) != NULL;
}

static void service_fact(struct cg_model *m, const struct cg_node *entry,
			 const struct cg_src *src, size_t job_scope,
			 size_t group)
{
	const struct cg_node *name = entry, *alias = NULL;
	struct cg_service_fact f = {0};
	const char *hosts[16];
	struct cg_port_map port = {0};

	if (entry->kind == CG_NODE_MAP) {
		name = cg_map_get(entry, "name");
		alias = cg_map_get(entry, "alias");
	}
	if (!cg_node_is_scalar(name) || !*name->str)
		return;
	f.image = name->str;
	f.kind = cg_service_kind_of_image(f.image);
	if (cg_node_is_scalar(alias) && *alias->str) {
		/* `alias: a,b` or `alias: a b` gives several names:
		 * gitlab-runner's Image.Aliases() turns commas into spaces
		 * and splits at white space (Go's strings.Fields) */
		static const char sep[] = ", \t\n\v\f\r";
		const char *p = alias->str + strspn(alias->str, sep);

		while (*p && f.nhosts < 8) {
			size_t l = strcspn(p, sep);

			hosts[f.nhosts++] = cg_arena_strndup(&m->arena, p, l);
			p += l;
			p += strspn(p, sep);
		}
	}
	/* the runner expands the name first, then derives the host names
	 * (common/build.go, then SplitNameAndVersion): with a variable in
	 * the name before its tag (a dependency proxy prefix) they cannot
	 * be known here, and only an alias reaches it for sure */
	if (variable_in_name(f.image))
		f.hosts_unknown = true;
	else
		f.nhosts += image_hosts(m, f.image, hosts + f.nhosts);
	f.hosts = hosts;
	f.name = f.nhosts ? hosts[0] : f.image;
	f.environment = CG_ENVIRONMENT_CI;
	f.place = CG_PLACE_CI;
	f.scope = job_scope;
	f.src = src;
	f.pos = entry->kind == CG_NODE_MAP && name ? name->pos : entry->pos;
	f.own_scope = cg_fact_scope(m, CG_SCOPE_CI_SERVICE, job_scope, f.name,
				    src, &f.pos);
	cg_fact_scope_image(m, f.own_scope, f.image);
	if (entry->kind == CG_NODE_MAP)
		variables_facts(m, cg_map_get(entry, "variables"), src,
				f.own_scope);
	if ((port.container = cg_service_default_port(f.kind))) {
		port.pos = f.pos;
		f.ports = &port;
		f.nports = 1;
	}
	/* GitLab waits for the service's ports itself */
	f.healthcheck = true;
	cg_fact_group_service(m, group, cg_fact_service(m, &f));
}

/* `$X` values naming no variable of the job or pipeline: CI/CD settings. */
static void settle_references(struct cg_model *m, size_t first_env)
{
	for (size_t i = first_env; i < m->facts.nenv; i++) {
		struct cg_env_fact *e = &m->facts.env[i];
		const char *ref = e->ref;

		if (e->value_kind != CG_VALUE_VARIABLE || !ref ||
		    cg_starts_with(ref, "CI_") ||
		    cg_starts_with(ref, "GITLAB_") || !strcmp(ref, "CI"))
			continue;
		const struct cg_env_fact *d = cg_env_lookup(m, e->scope, ref);

		/* `NAME: $NAME` names itself: the value is the project's or
		 * group's NAME, which ranks above the file's variables,
		 * unless a variable of the pipeline is under it */
		if (d == e)
			d = cg_env_lookup(m, m->facts.scopes[e->scope].parent,
					  ref);
		if (!d)
			m->facts.env[i].value_kind = CG_VALUE_SECRET;
	}
}

/* gitlab-runner starts every job's script with pipefail and errexit */
static const struct cg_shell gitlab_shell = {
    .kind = CG_SHELL_POSIX,
    .errexit = true,
    .pipefail = true,
    .describe = "bash (GitLab runner: set -o pipefail; set -o errexit)"};

/* The `paths:` of an `artifacts:` or `cache:` (a map, or for cache a list
 * of maps) as OUTPUT rows of no group: a job of a later stage gets the
 * artifacts, and any job may get the cache. A path with a variable may
 * be anything. */
static void stored_paths(struct cg_model *m, const struct cg_node *v,
			 const struct cg_src *src)
{
	size_t n = !v ? 0 : v->kind == CG_NODE_SEQ ? v->n : 1;

	for (size_t i = 0; i < n; i++) {
		const struct cg_node *one =
		    v->kind == CG_NODE_SEQ ? v->items[i] : v;
		const struct cg_node *paths = cg_map_get(one, "paths");

		if (!paths || paths->kind != CG_NODE_SEQ)
			continue;
		for (size_t k = 0; k < paths->n; k++) {
			const struct cg_node *p = paths->items[k];
			struct cg_file_ref r = {0};
			char *path;

			if (!cg_node_is_scalar(p))
				continue;
			path = strchr(p->str, '$')
				   ? NULL
				   : cg_model_path(NULL, p->str);
			r.kind = CG_REF_OUTPUT;
			r.path = path ? path : "**";
			r.group = r.item = CG_NO_GROUP;
			r.src = src;
			r.pos = p->pos;
			cg_fact_file_ref(m, &r);
			free(path);
		}
	}
}

/* Every artifacts: and cache: of a file: of jobs, templates, default:
 * and the top level. */
static void stored_facts(struct cg_model *m, const struct cg_gl_file *gl)
{
	const struct cg_node *root = gl->root;

	if (!root || root->kind != CG_NODE_MAP)
		return;
	stored_paths(m, cg_map_get(root, "cache"), gl->src);
	for (size_t i = 0; i < root->n; i++) {
		const struct cg_node *v = root->pairs[i].value;

		if (v->kind != CG_NODE_MAP)
			continue;
		stored_paths(m, cg_map_get(v, "artifacts"), gl->src);
		stored_paths(m, cg_map_get(v, "cache"), gl->src);
	}
}

/*
 * The scope above a job's: the pipeline's, or for a job whose `inherit:
 * variables:` keeps some top-level variables out, a scope like it with
 * only those the job takes (GitLab leaves the others out of the job:
 * Entry::Processable#root_variables_inheritance).
 */
static size_t job_parent(struct cg_model *m, const struct cg_gl_job *job,
			 size_t pscope)
{
	struct cg_scope *p = &m->facts.scopes[pscope];
	struct cg_pos pos = p->pos;
	size_t s;

	if (!job->inherit_some_variables)
		return pscope;
	s = cg_fact_scope(m, CG_SCOPE_FILE, CG_NO_SCOPE, p->name, p->src, &pos);
	p = &m->facts.scopes[pscope]; /* the table may have moved */
	m->facts.scopes[s].place = p->place;
	m->facts.scopes[s].environment = p->environment;
	m->facts.scopes[s].in_container = p->in_container;
	merged_variables_facts(m, job->inherited, job->ninherited, s);
	return s;
}

/* An `include:` item's local path: the item itself when it is a string,
 * its `local:` when it is a mapping; else NULL. */
static const struct cg_node *local_item(const struct cg_node *it)
{
	if (cg_node_is_scalar(it))
		return it;
	return cg_map_get(it, "local");
}

/* `include:` path `n` (a scalar) of file `src`, as a file GitLab must find
 * in the commit: a local one, not a URL, and not a wildcard (which may
 * match nothing). */
static void include_ref(struct cg_model *m, const struct cg_node *n,
			const struct cg_src *src)
{
	struct cg_file_ref r = {0};
	const char *p;
	char *path;

	if (!cg_node_is_scalar(n) || strstr(n->str, "://") ||
	    strpbrk(n->str, "*$"))
		return;
	for (p = n->str; *p == '/'; p++)
		;
	if (!*p || !(path = cg_model_path(NULL, p)))
		return;
	r.kind = CG_REF_CONFIG_FILE;
	r.path = path;
	r.required = true;
	r.group = r.item = CG_NO_GROUP;
	r.src = src;
	r.pos = n->pos;
	cg_fact_file_ref(m, &r);
	free(path);
}

/* The files `include:` names: GitLab reads them from the commit when it
 * creates the pipeline, and fails ("Local file ... does not exist") when
 * one is not there (External::File::Local). */
static void include_refs(struct cg_model *m, const struct cg_gl_file *gl)
{
	const struct cg_node *inc = cg_map_get(gl->root, "include");
	size_t n = !inc ? 0 : inc->kind == CG_NODE_SEQ ? inc->n : 1;

	for (size_t i = 0; i < n; i++) {
		const struct cg_node *it =
		    inc->kind == CG_NODE_SEQ ? inc->items[i] : inc;

		include_ref(m, local_item(it), gl->src);
	}
}

/* The facts of pipeline `p`'s files and jobs; returns its scope. */
static size_t one_pipeline(struct cg_model *m, size_t p)
{
	const struct cg_gl_pipeline *pl = &m->gitlab_pipelines[p];
	const struct cg_gl_file *main_file = &m->gitlab[pl->root];
	struct cg_pos top = {1, 1, 1, 1};
	size_t pscope;

	pscope = cg_fact_scope(m, CG_SCOPE_FILE, CG_NO_SCOPE,
			       main_file->src->path, main_file->src, &top);
	m->facts.scopes[pscope].place = CG_PLACE_CI;
	m->facts.scopes[pscope].environment = CG_ENVIRONMENT_CI;
	m->facts.scopes[pscope].in_container = true;
	merged_variables_facts(m, pl->variables, pl->nvariables, pscope);
	for (size_t f = 0; f < m->ngitlab; f++)
		if (m->gitlab[f].pipeline == p && !m->gitlab[f].copy) {
			stored_facts(m, &m->gitlab[f]);
			include_refs(m, &m->gitlab[f]);
		}
	for (size_t f = 0; f < m->ngitlab; f++) {
		const struct cg_gl_file *gl = &m->gitlab[f];

		if (gl->pipeline != p)
			continue;

		for (size_t j = 0; j < gl->njobs; j++) {
			const struct cg_gl_job *job = &gl->jobs[j];
			const struct cg_node *services = job->services;
			struct cg_script_group g = {0};
			struct cg_script_item it = {0};
			size_t jscope, group;

			jscope = cg_fact_scope(
			    m, CG_SCOPE_CI_JOB, job_parent(m, job, pscope),
			    job->id, gl->src, &job->key->pos);
			merged_variables_facts(m, job->variables,
					       job->nvariables, jscope);
			g.kind = CG_GROUP_GITLAB_JOB;
			g.name = job->id;
			g.scope = jscope;
			g.src = gl->src;
			g.pos = job->key->pos;
			g.gl = job;
			group = cg_fact_group(m, &g);
			if (services && services->kind == CG_NODE_SEQ)
				for (size_t s = 0; s < services->n; s++)
					service_fact(m, services->items[s],
						     job->services_src, jscope,
						     group);
			it.script = job->script;
			it.shell = &gitlab_shell;
			it.scope = jscope;
			it.pos = job->key->pos;
			cg_fact_group_item(m, group, &it);
			m->facts.groups[group].process_first =
			    m->facts.nprocesses;
			/* the runner starts the script in the project's
			 * folder (CI_PROJECT_DIR) */
			cg_ci_script_facts(m, job->script, jscope, group, 0,
					   "");
			m->facts.groups[group].process_end =
			    m->facts.nprocesses;
		}
	}
	return pscope;
}

static void pipeline_facts(struct cg_model *m)
{
	size_t first_env = m->facts.nenv;
	size_t *pscope = cg_xcalloc(m->ngitlab_pipelines + 1, sizeof(*pscope));

	for (size_t p = 0; p < m->ngitlab_pipelines; p++)
		pscope[p] = one_pipeline(m, p);
	settle_references(m, first_env);
	for (size_t f = 0; f < m->ngitlab; f++)
		if (m->gitlab[f].pipeline < m->ngitlab_pipelines &&
		    !m->gitlab[f].copy)
			cg_ci_env_uses(m, m->gitlab[f].root, m->gitlab[f].src,
				       pscope[m->gitlab[f].pipeline], false);
	free(pscope);
}

/*
 * The entry of file `f` in pipeline `p`: the one it has there, or the one
 * its read registered (not placed yet), or a new entry of the same file,
 * when another pipeline has it already. CG_NO_INDEX when f is no GitLab
 * file (NULL, or not a mapping).
 */
static size_t place_file(struct cg_model *m, const struct cg_file *f, size_t p)
{
	size_t unplaced = CG_NO_INDEX, some = CG_NO_INDEX;
	struct cg_gl_file *gl;

	for (size_t i = 0; f && i < m->ngitlab; i++) {
		if (m->gitlab[i].src != &f->src)
			continue;
		if (m->gitlab[i].pipeline == p)
			return i;
		if (m->gitlab[i].pipeline == CG_NO_INDEX)
			unplaced = i;
		some = i;
	}
	if (unplaced != CG_NO_INDEX) {
		m->gitlab[unplaced].pipeline = p;
		return unplaced;
	}
	if (some == CG_NO_INDEX)
		return CG_NO_INDEX;
	CG_GROW(m->gitlab, m->gitlab_alloc, m->ngitlab + 1);
	gl = &m->gitlab[m->ngitlab];
	memset(gl, 0, sizeof(*gl));
	gl->src = m->gitlab[some].src;
	gl->root = m->gitlab[some].root;
	gl->pipeline = p;
	gl->copy = true;
	return m->ngitlab++;
}

/* File `g` includes `f` (NULL: it could not be read): remember it, for
 * the order in which GitLab merges the files. */
static void add_include(struct cg_model *m, size_t g, const struct cg_file *f)
{
	size_t i = place_file(m, f, m->gitlab[g].pipeline);
	struct cg_gl_file *gl = &m->gitlab[g];

	if (i == CG_NO_INDEX)
		return;
	for (size_t k = 0; k < gl->nincludes; k++)
		if (gl->includes[k] == i)
			return;
	gl->includes = cg_xrealloc(gl->includes,
				   (gl->nincludes + 1) * sizeof(*gl->includes));
	gl->includes[gl->nincludes++] = i;
}

/* at most this many pipelines, and child pipelines nest at most two
 * levels deep (GitLab's limit: a grandchild triggers none) */
#define MAX_PIPELINES 64
#define MAX_CHILD_DEPTH 2

/* A child pipeline of file `g`'s job `key` from repository file `path`. */
static void add_child(struct cg_model *m, size_t g, const struct cg_node *key,
		      const char *path, bool depend)
{
	struct cg_gl_pipeline *pl;
	size_t p = m->ngitlab_pipelines, root;
	const struct cg_file *f;

	unsigned depth = 0;

	while (*path == '/')
		path++;
	if (p >= MAX_PIPELINES || strchr(path, '*') || strchr(path, '$'))
		return;
	f = cg_model_read_file(m, path, &cg_loader_gitlab);
	if (!f)
		return;
	/* no deeper than GitLab goes, and no pipeline of a file that
	 * starts one of the pipelines above (a child that triggers its
	 * parent) */
	for (size_t a = m->gitlab[g].pipeline; a < m->ngitlab_pipelines;
	     a = m->gitlab_pipelines[a].parent) {
		if (m->gitlab[m->gitlab_pipelines[a].root].src == &f->src ||
		    ++depth > MAX_CHILD_DEPTH)
			return;
	}
	if ((root = place_file(m, f, p)) == CG_NO_INDEX)
		return;
	CG_GROW(m->gitlab_pipelines, m->gitlab_pipelines_alloc, p + 1);
	pl = &m->gitlab_pipelines[m->ngitlab_pipelines++];
	memset(pl, 0, sizeof(*pl));
	pl->root = root;
	pl->parent = m->gitlab[g].pipeline;
	pl->trigger_job = key->str;
	pl->trigger_src = m->gitlab[g].src;
	pl->trigger_pos = key->pos;
	pl->depend = depend;
}

/*
 * The child pipelines the jobs of file `g` trigger from files of the
 * repository: `trigger: include: PATH`, or a list of PATH and `local:
 * PATH` (`artifact:`, `project:`, `template:` and `remote:` ones are made
 * or kept elsewhere). `strategy: depend` or `mirror` makes the job wait
 * for the child's result.
 */
static void read_triggers(struct cg_model *m, size_t g)
{
	const struct cg_node *root = m->gitlab[g].root;

	for (size_t k = 0; root && k < root->n; k++) {
		const struct cg_pair *job = &root->pairs[k];
		const struct cg_node *t, *strategy;
		struct cg_strlist paths = {0};
		bool depend;

		if (!cg_node_is_scalar(job->key) ||
		    cg_gl_reserved(job->key->str) || job->key->str[0] == '.' ||
		    !(t = cg_map_get(job->value, "trigger")) ||
		    t->kind != CG_NODE_MAP || !cg_map_get(t, "include"))
			continue;
		strategy = cg_map_get(t, "strategy");
		depend = cg_node_is_scalar(strategy) &&
			 (!strcmp(strategy->str, "depend") ||
			  !strcmp(strategy->str, "mirror"));
		/* the same forms as a file's `include:` */
		cg_gl_includes(t, &paths);
		for (size_t i = 0; i < paths.n; i++)
			add_child(m, g, job->key, paths.items[i], depend);
		cg_strlist_release(&paths);
	}
}

/*
 * Does `path` match `include: local:` pattern `pat` as GitLab matches it
 * (Repository#search_files_by_wildcard_path turns the pattern into an
 * anchored regexp): `**` is any text, `/` included; `*` is any text
 * without `/`; every other character, `?` and `[` too, is itself. The
 * pattern runs as a set of states over the path, so that many stars
 * cost no more than one each.
 */
enum { INC_ANY = 256, INC_STAR = 257 };

static bool include_match(const char *pat, const char *path)
{
	size_t len = strlen(pat), n = 0;
	int small[128],
	    *tok = len < 128 ? small : cg_xcalloc(len, sizeof(*tok));
	bool small_set[2][129], *cur, *next, matched;

	/* the pattern as tokens: a byte, INC_ANY or INC_STAR */
	for (size_t i = 0; i < len; i++) {
		if (pat[i] == '*' && pat[i + 1] == '*') {
			tok[n++] = INC_ANY;
			i++;
		} else {
			tok[n++] =
			    pat[i] == '*' ? INC_STAR : (unsigned char)pat[i];
		}
	}
	if (n < 128) {
		cur = small_set[0];
		next = small_set[1];
	} else {
		cur = cg_xcalloc(2 * (n + 1), sizeof(*cur));
		next = cur + n + 1;
	}
	memset(cur, 0, (n + 1) * sizeof(*cur));
	cur[0] = true;
	for (const char *c = path;; c++) {
		/* a star may match nothing */
		for (size_t i = 0; i < n; i++)
			if (cur[i] && tok[i] >= INC_ANY)
				cur[i + 1] = true;
		if (!*c)
			break;
		memset(next, 0, (n + 1) * sizeof(*next));
		for (size_t i = 0; i < n; i++) {
			if (!cur[i])
				continue;
			if (tok[i] == INC_ANY ||
			    (tok[i] == INC_STAR && *c != '/'))
				next[i] = true;
			else if (tok[i] == (unsigned char)*c)
				next[i + 1] = true;
		}
		{
			bool *t = cur;

			cur = next;
			next = t;
		}
	}
	matched = cur[n];
	if (tok != small)
		free(tok);
	if (n >= 128)
		free(cur < next ? cur : next);
	return matched;
}

/* The project's pipeline: .gitlab-ci.yml (else the first file). */
static void main_pipeline(struct cg_model *m)
{
	size_t root = 0;

	for (size_t f = 0; f < m->ngitlab; f++)
		if (!strcmp(m->gitlab[f].src->path, ".gitlab-ci.yml"))
			root = f;
	if (!m->ngitlab)
		return;
	CG_GROW(m->gitlab_pipelines, m->gitlab_pipelines_alloc, 1);
	memset(m->gitlab_pipelines, 0, sizeof(*m->gitlab_pipelines));
	m->gitlab_pipelines[0].root = root;
	m->gitlab_pipelines[0].parent = CG_NO_INDEX;
	m->ngitlab_pipelines = 1;
	m->gitlab[root].pipeline = 0;
}

/* `include: local:` files (wildcards allowed), followed transitively, in
 * the pipeline of the file that includes them; and the child pipelines
 * jobs trigger, each with its own includes. */
static void read_includes(struct cg_model *m)
{
	main_pipeline(m);
	for (size_t g = 0; g < m->ngitlab && g < 256; g++) {
		struct cg_strlist inc = {0};

		if (m->gitlab[g].pipeline == CG_NO_INDEX)
			continue;
		cg_gl_includes(m->gitlab[g].root, &inc);
		for (size_t i = 0; i < inc.n; i++) {
			const char *pat = inc.items[i];

			while (*pat == '/')
				pat++;
			for (size_t k = 0; k < m->npaths; k++)
				if (include_match(pat, m->paths[k]))
					add_include(m, g,
						    cg_model_read_file(
							m, m->paths[k],
							&cg_loader_gitlab));
		}
		cg_strlist_release(&inc);
		read_triggers(m, g);
	}
}

static void finish(struct cg_model *m)
{
	read_includes(m);
	cg_gl_build_jobs(m);
	pipeline_facts(m);
}

static const char *const patterns[] = {".gitlab-ci.yml", NULL};

const struct cg_loader cg_loader_gitlab = {
    .id = "gitlab-ci",
    .patterns = patterns,
    .format = CG_FILE_YAML,
    .layer = CG_LAYER_QUICK,
    .build = cg_gl_register,
    .finish = finish,
    .release = cg_gl_release,
};
