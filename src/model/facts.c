/*
 * The fact tables (see facts.h): appending rows, env lookup through nested
 * scopes and imports, and the small classifiers every loader shares (what a
 * value is made of, which service an image is).
 */
#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "core/banned.h"

const char *cg_place_name(enum cg_place p)
{
	switch (p) {
	case CG_PLACE_ENV_EXAMPLE:
		return ".env.example";
	case CG_PLACE_DOTENV:
		return ".env";
	case CG_PLACE_CI:
		return "CI";
	case CG_PLACE_COMPOSE:
		return "compose";
	case CG_PLACE_K8S:
		return "k8s";
	case CG_PLACE_CODE:
		return "code";
	case CG_PLACE_IMAGE:
		return "Dockerfile";
	default:
		return "?";
	}
}

const char *cg_environment_name(enum cg_environment e)
{
	switch (e) {
	case CG_ENVIRONMENT_CI:
		return "CI";
	case CG_ENVIRONMENT_LOCAL:
		return "local";
	case CG_ENVIRONMENT_PRODUCTION:
		return "production";
	default:
		return "none";
	}
}

static const char *dup(struct cg_model *m, const char *s)
{
	return s ? cg_arena_strdup(&m->arena, s) : NULL;
}

static void invalidate_index(struct cg_facts *f)
{
	for (size_t i = 0; i < f->nscope_index; i++)
		free(f->scope_defs[i]);
	free(f->scope_defs);
	free(f->scope_ndefs);
	f->scope_defs = NULL;
	f->scope_ndefs = NULL;
	f->nscope_index = 0;
}

size_t cg_fact_scope(struct cg_model *m, enum cg_scope_kind kind, size_t parent,
		     const char *name, const struct cg_src *src,
		     const struct cg_pos *pos)
{
	struct cg_facts *f = &m->facts;
	struct cg_scope *s;

	CG_GROW(f->scopes, f->scopes_alloc, f->nscopes + 1);
	s = &f->scopes[f->nscopes];
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->parent = parent;
	s->underlay = CG_NO_SCOPE;
	s->name = dup(m, name);
	s->src = src;
	if (pos)
		s->pos = *pos;
	if (parent != CG_NO_SCOPE && parent < f->nscopes) {
		s->place = f->scopes[parent].place;
		s->environment = f->scopes[parent].environment;
		s->in_container = f->scopes[parent].in_container;
	}
	invalidate_index(f);
	return f->nscopes++;
}

void cg_fact_scope_image(struct cg_model *m, size_t scope, const char *image)
{
	if (scope < m->facts.nscopes && image && *image)
		m->facts.scopes[scope].image = dup(m, image);
}

void cg_fact_scope_import(struct cg_model *m, size_t scope, size_t imported)
{
	struct cg_scope *s;

	if (scope >= m->facts.nscopes || imported >= m->facts.nscopes ||
	    scope == imported)
		return;
	s = &m->facts.scopes[scope];
	CG_GROW(s->imports, s->imports_alloc, s->nimports + 1);
	s->imports[s->nimports++] = imported;
}

size_t cg_fact_env(struct cg_model *m, const struct cg_env_fact *row)
{
	struct cg_facts *f = &m->facts;
	struct cg_env_fact *e;

	CG_GROW(f->env, f->env_alloc, f->nenv + 1);
	e = &f->env[f->nenv];
	*e = *row;
	e->name = dup(m, row->name);
	e->value = dup(m, row->value);
	e->ref = dup(m, row->ref);
	invalidate_index(f);
	return f->nenv++;
}

size_t cg_fact_service(struct cg_model *m, const struct cg_service_fact *row)
{
	struct cg_facts *f = &m->facts;
	struct cg_service_fact *s;

	CG_GROW(f->services, f->services_alloc, f->nservices + 1);
	s = &f->services[f->nservices];
	*s = *row;
	s->dir_kind = row->kind;
	s->name = dup(m, row->name);
	s->image = dup(m, row->image);
	s->hosts = NULL;
	if (row->nhosts) {
		s->hosts =
		    cg_arena_alloc(&m->arena, row->nhosts * sizeof(*s->hosts));
		for (size_t i = 0; i < row->nhosts; i++)
			s->hosts[i] = dup(m, row->hosts[i]);
	}
	s->ports = NULL;
	if (row->nports) {
		s->ports =
		    cg_arena_alloc(&m->arena, row->nports * sizeof(*s->ports));
		memcpy(s->ports, row->ports, row->nports * sizeof(*s->ports));
	}
	return f->nservices++;
}

size_t cg_fact_process(struct cg_model *m, const struct cg_process_fact *row)
{
	struct cg_facts *f = &m->facts;
	struct cg_process_fact *p;

	CG_GROW(f->processes, f->processes_alloc, f->nprocesses + 1);
	p = &f->processes[f->nprocesses];
	*p = *row;
	p->command = dup(m, row->command);
	p->argv = NULL;
	if (row->argc) {
		p->argv =
		    cg_arena_alloc(&m->arena, row->argc * sizeof(*p->argv));
		for (size_t i = 0; i < row->argc; i++)
			p->argv[i] = dup(m, row->argv[i]);
	}
	return f->nprocesses++;
}

static bool is_name_char(char c, bool first)
{
	return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (!first && c >= '0' && c <= '9');
}

/*
 * The variables a `sh -c` script sets in its own shell, as far as they
 * reach the environment of a command it runs: `export NAME=value` (or
 * bash's `declare -x`), `NAME=value` then `export NAME` (or under
 * `set -a`), `unset NAME`.
 * What runs only on some paths (after a `||`, in an `if`, a loop, a
 * function) makes the value unknown, written `$(unknown)`, which reads as
 * a value ciguard cannot see. Not followed: `.`/`source`, `eval`, and a
 * plain assignment to a variable the shell inherited (it is exported
 * then, but which ones are inherited is not known here).
 */
struct shell_var {
	const char *name;
	size_t len;
	const char *value; /* NULL: unset */
	bool assigned;	   /* the script gave it a value, or unset it */
	bool exported;
};

#define MAX_SHELL_VARS 64
#define UNKNOWN_VALUE "$(unknown)"

struct shell_vars {
	struct shell_var v[MAX_SHELL_VARS];
	size_t n;
	bool allexport; /* set -a */
};

/* NAME's entry (w is `NAME` or `NAME=value`); NULL when w names no
 * variable, or there are too many */
static struct shell_var *shell_var(struct shell_vars *vs, const char *w)
{
	const char *eq = strchr(w, '=');
	size_t len = eq ? (size_t)(eq - w) : strlen(w);

	for (size_t i = 0; i < len; i++)
		if (!is_name_char(w[i], i == 0))
			return NULL;
	if (!len)
		return NULL;
	for (size_t i = 0; i < vs->n; i++)
		if (vs->v[i].len == len && !memcmp(vs->v[i].name, w, len))
			return &vs->v[i];
	if (vs->n == MAX_SHELL_VARS)
		return NULL;
	vs->v[vs->n] = (struct shell_var){w, len, NULL, false, false};
	return &vs->v[vs->n++];
}

/* `NAME=value` or `NAME` given to export (export), to unset (unset), or
 * assigned alone; surely: the command runs whenever the script goes on */
static void shell_set(struct shell_vars *vs, const char *w, bool export,
		      bool unset, bool surely)
{
	const char *eq = strchr(w, '=');
	struct shell_var *v = shell_var(vs, w);

	if (!v || (unset && eq))
		return;
	if (eq || unset) {
		v->value = !surely ? UNKNOWN_VALUE : unset ? NULL : eq + 1;
		v->assigned = true;
	}
	if (export || unset || vs->allexport)
		v->exported = true;
}

static void shell_cmd(struct shell_vars *vs, const struct cg_sh_cmd *c,
		      bool surely);

/* every command of a list, each of which may or may not run */
static void shell_list(struct shell_vars *vs, const struct cg_sh_list *l)
{
	for (uint32_t i = 0; l && i < l->n; i++)
		for (uint32_t p = 0; p < l->items[i].n; p++)
			if (l->items[i].pipes[p].n == 1 &&
			    !l->items[i].background)
				shell_cmd(vs, &l->items[i].pipes[p].cmds[0],
					  false);
}

/* What one command in the script's own shell does to its variables. */
static void shell_cmd(struct shell_vars *vs, const struct cg_sh_cmd *c,
		      bool surely)
{
	const char *b;

	if (c->kind == CG_SH_SUBSHELL)
		return;
	if (c->kind != CG_SH_SIMPLE) {
		for (int k = 0; k < 3; k++)
			shell_list(vs, c->body[k]);
		for (uint32_t k = 0; k < c->narms; k++)
			shell_list(vs, c->arms[k]);
		return;
	}
	if (!c->nwords) {
		for (uint32_t i = 0; i < c->nassigns; i++)
			shell_set(vs, c->assigns[i].text, false, false, surely);
		return;
	}
	b = c->words[0].text;
	for (uint32_t i = 1; i < c->nwords; i++) {
		enum cg_var_effect e = cg_sh_var_effect(c, i);

		if (e != CG_VAR_NONE)
			shell_set(vs, c->words[i].text, e == CG_VAR_EXPORT,
				  e == CG_VAR_UNSET, surely);
	}
	if (!strcmp(b, "set") && surely) {
		for (uint32_t i = 1; i < c->nwords; i++) {
			const char *w = c->words[i].text;

			if ((w[0] == '-' || w[0] == '+') && w[1] != '-' &&
			    strchr(w, 'a'))
				vs->allexport = w[0] == '-';
			else if (!strcmp(w, "-o") || !strcmp(w, "+o"))
				if (i + 1 < c->nwords &&
				    !strcmp(c->words[i + 1].text, "allexport"))
					vs->allexport = w[0] == '-';
		}
	}
}

/* The NAME=value words of the environment the script gives `cmd`, the
 * last command of top-level item `item` (cg_fact_process_started), as
 * new strings in words[], their count returned. */
static size_t inner_env(const struct cg_sh_script *sh, uint32_t item,
			const struct cg_sh_cmd *cmd, char ***words)
{
	struct shell_vars vs = {.n = 0};
	const struct cg_sh_andor *last = &sh->top->items[item];
	bool all_and = true;
	size_t n = 0;

	/* the first pipeline of an and-or list runs whenever it is
	 * reached; the others only when the ones before went one way */
	for (uint32_t i = 0; i < item; i++) {
		const struct cg_sh_andor *ao = &sh->top->items[i];

		for (uint32_t p = 0; p < ao->n && !ao->background; p++)
			if (ao->pipes[p].n == 1)
				shell_cmd(&vs, &ao->pipes[p].cmds[0], p == 0);
	}
	/* `a && b && cmd`: cmd runs only when all of them ran */
	for (uint32_t k = 0; k + 1 < last->n; k++)
		all_and &= last->ops[k] == CG_SH_OP_AND;
	for (uint32_t p = 0; p + 1 < last->n; p++)
		if (last->pipes[p].n == 1)
			shell_cmd(&vs, &last->pipes[p].cmds[0],
				  p == 0 || all_and);
	*words = cg_xcalloc(vs.n + cmd->nassigns + 1, sizeof(**words));
	for (size_t i = 0; i < vs.n; i++)
		if (vs.v[i].exported && vs.v[i].assigned)
			(*words)[n++] = cg_xasprintf(
			    "%.*s=%s", (int)vs.v[i].len, vs.v[i].name,
			    vs.v[i].value ? vs.v[i].value : "");
	for (uint32_t i = 0; i < cmd->nassigns; i++)
		(*words)[n++] = cg_xstrdup(cmd->assigns[i].text);
	return n;
}

/* `cmd` of a `sh -c` string as a process row like `outer`: the words the
 * script's environment gives it (inner_env), its words, its text; false
 * when it is no simple command with words */
static bool inner_row(struct cg_model *m, const struct cg_process_fact *outer,
		      const struct cg_sh_script *sh, uint32_t item,
		      const struct cg_sh_cmd *cmd)
{
	struct cg_process_fact p = *outer;
	const char **argv;
	char **env;
	size_t nenv;
	char *line;

	if (cmd->kind != CG_SH_SIMPLE || !cmd->nwords)
		return false;
	nenv = inner_env(sh, item, cmd, &env);
	argv = cg_xcalloc(nenv + cmd->nwords, sizeof(*argv));
	for (size_t i = 0; i < nenv; i++)
		argv[i] = env[i];
	for (uint32_t i = 0; i < cmd->nwords; i++)
		argv[nenv + i] = cmd->words[i].text;
	line = cg_xasprintf("%.*s", (int)(cmd->end - cmd->start),
			    sh->text + cmd->start);
	for (char *c = line; *c; c++)
		if (*c == '\n' || *c == '\r')
			*c = ' ';
	p.command = line;
	p.argv = argv;
	p.argc = nenv + cmd->nwords;
	cg_process_classify(m->config, &p);
	cg_fact_process(m, &p);
	for (size_t i = 0; i < nenv; i++)
		free(env[i]);
	free(env);
	free(argv);
	free(line);
	return true;
}

size_t cg_fact_process_started(struct cg_model *m, struct cg_process_fact *row)
{
	size_t k = cg_cmd_unwrap(row->argv, row->argc, 0, 0), first = 0;
	struct cg_shell_flags fl;
	struct cg_sh_script sh;
	const char *text;
	bool any = false;

	if (k >= row->argc || !cg_posix_shell_name(row->argv[k], NULL))
		goto plain;
	cg_shell_flags_read(&fl, CG_FLAGS_INVOKE, row->argv + k + 1, NULL,
			    row->argc - k - 1);
	if (!fl.c || fl.unreadable || k + 1 + fl.operand >= row->argc)
		goto plain;
	text = row->argv[k + 1 + fl.operand];
	if (cg_sh_parse(&sh, text, strlen(text), 64) < 0) {
		cg_sh_release(&sh); /* released even on error */
		goto plain;
	}
	first = m->facts.nprocesses;
	for (uint32_t i = 0; i < sh.top->n; i++) {
		const struct cg_sh_andor *ao = &sh.top->items[i];
		const struct cg_sh_pipeline *pl = &ao->pipes[ao->n - 1];

		/* what keeps running: the script's last pipeline, and each
		 * it leaves running in the background; every command of a
		 * pipeline runs as long as the pipeline does */
		if (ao->background || i + 1 == sh.top->n)
			for (uint32_t c = 0; c < pl->n; c++)
				any |= inner_row(m, row, &sh, i, &pl->cmds[c]);
	}
	cg_sh_release(&sh);
	if (any)
		return first;
plain:
	cg_process_classify(m->config, row);
	return cg_fact_process(m, row);
}

size_t cg_fact_file_ref(struct cg_model *m, const struct cg_file_ref *row)
{
	struct cg_facts *f = &m->facts;

	CG_GROW(f->file_refs, f->file_refs_alloc, f->nfile_refs + 1);
	f->file_refs[f->nfile_refs] = *row;
	f->file_refs[f->nfile_refs].path = dup(m, row->path);
	return f->nfile_refs++;
}

size_t cg_fact_doc_cell(struct cg_model *m, const struct cg_doc_cell *row)
{
	struct cg_facts *f = &m->facts;
	struct cg_doc_cell *c;

	CG_GROW(f->doc_cells, f->doc_cells_alloc, f->ndoc_cells + 1);
	c = &f->doc_cells[f->ndoc_cells];
	*c = *row;
	c->service = dup(m, row->service);
	c->column = dup(m, row->column);
	c->text = dup(m, row->text);
	c->host = row->host ? dup(m, row->host) : NULL;
	return f->ndoc_cells++;
}

size_t cg_fact_group(struct cg_model *m, const struct cg_script_group *row)
{
	struct cg_facts *f = &m->facts;
	struct cg_script_group *g;

	CG_GROW(f->groups, f->groups_alloc, f->ngroups + 1);
	g = &f->groups[f->ngroups];
	*g = *row;
	g->name = dup(m, row->name);
	g->items = NULL;
	g->nitems = g->items_alloc = 0;
	g->services = NULL;
	g->nservices = g->services_alloc = 0;
	return f->ngroups++;
}

void cg_fact_group_item(struct cg_model *m, size_t group,
			const struct cg_script_item *item)
{
	struct cg_script_group *g;

	if (group >= m->facts.ngroups)
		return;
	g = &m->facts.groups[group];
	CG_GROW(g->items, g->items_alloc, g->nitems + 1);
	g->items[g->nitems++] = *item;
}

void cg_fact_group_service(struct cg_model *m, size_t group, size_t service)
{
	struct cg_script_group *g;

	if (group >= m->facts.ngroups)
		return;
	g = &m->facts.groups[group];
	CG_GROW(g->services, g->services_alloc, g->nservices + 1);
	g->services[g->nservices++] = service;
}

void cg_facts_release(struct cg_facts *f)
{
	invalidate_index(f);
	for (size_t i = 0; i < f->nscopes; i++)
		free(f->scopes[i].imports);
	for (size_t i = 0; i < f->ngroups; i++) {
		free(f->groups[i].items);
		free(f->groups[i].services);
	}
	free(f->scopes);
	free(f->env);
	free(f->services);
	free(f->processes);
	free(f->file_refs);
	free(f->groups);
	free(f->doc_cells);
	memset(f, 0, sizeof(*f));
}

/* ------------------------------------------------------------ lookup */

/* Per scope, its DEF and LATER rows in table order; built once, lazily
 * (the model is complete before rules read it). */
static void build_index(struct cg_facts *f)
{
	size_t *alloc;

	if (f->nscope_index == f->nscopes && f->scope_defs)
		return;
	invalidate_index(f);
	if (!f->nscopes)
		return;
	f->scope_defs = cg_xcalloc(f->nscopes, sizeof(*f->scope_defs));
	f->scope_ndefs = cg_xcalloc(f->nscopes, sizeof(*f->scope_ndefs));
	alloc = cg_xcalloc(f->nscopes, sizeof(*alloc));
	f->nscope_index = f->nscopes;
	for (size_t i = 0; i < f->nenv; i++) {
		size_t s = f->env[i].scope;

		if ((f->env[i].role != CG_ENV_DEF &&
		     f->env[i].role != CG_ENV_LATER) ||
		    s >= f->nscopes)
			continue;
		CG_GROW(f->scope_defs[s], alloc[s], f->scope_ndefs[s] + 1);
		f->scope_defs[s][f->scope_ndefs[s]++] = i;
	}
	free(alloc);
}

void cg_facts_index(struct cg_model *m)
{
	build_index(&m->facts);
}

/* The last DEF of `name` in `scope` itself (a later key wins, as YAML
 * loaders and dotenv readers keep the last). */
static const struct cg_env_fact *own_def(const struct cg_facts *f, size_t scope,
					 const char *name)
{
	for (size_t k = f->scope_ndefs[scope]; k-- > 0;) {
		const struct cg_env_fact *e = &f->env[f->scope_defs[scope][k]];

		if (e->role == CG_ENV_DEF && !strcmp(e->name, name))
			return e;
	}
	return NULL;
}

const struct cg_env_fact *cg_env_lookup(const struct cg_model *m, size_t scope,
					const char *name)
{
	struct cg_facts *f = (struct cg_facts *)&m->facts;
	unsigned guard = 0;

	size_t underlays[8], nunder = 0;

	build_index(f);
	while (scope != CG_NO_SCOPE && scope < f->nscopes && guard++ < 64) {
		const struct cg_scope *s = &f->scopes[scope];
		const struct cg_env_fact *e = own_def(f, scope, name);

		if (e)
			return e;
		for (size_t i = s->nimports; i-- > 0;) {
			size_t im = s->imports[i];

			if (im < f->nscopes && (e = own_def(f, im, name)))
				return e;
		}
		if (s->underlay < f->nscopes && nunder < 8)
			underlays[nunder++] = s->underlay;
		scope = s->parent;
	}
	for (size_t i = 0; i < nunder; i++) {
		const struct cg_env_fact *e = own_def(f, underlays[i], name);

		if (e)
			return e;
	}
	return NULL;
}

/* The last LATER row of `name` that `scope` itself holds. */
static const struct cg_env_fact *own_later(const struct cg_facts *f,
					   size_t scope, const char *name)
{
	if (scope >= f->nscope_index)
		return NULL;
	for (size_t k = f->scope_ndefs[scope]; k-- > 0;) {
		const struct cg_env_fact *e = &f->env[f->scope_defs[scope][k]];

		if (e->role == CG_ENV_LATER && !strcmp(e->name, name))
			return e;
	}
	return NULL;
}

const struct cg_env_fact *cg_env_lookup_item(const struct cg_model *m,
					     const struct cg_script_group *g,
					     size_t item, const char *name)
{
	const struct cg_facts *f = &m->facts;
	const struct cg_env_fact *e;

	if (item >= g->nitems)
		return cg_env_lookup(m, g->scope, name);
	e = cg_env_lookup(m, g->items[item].scope, name);
	if (g->kind != CG_GROUP_GITHUB_JOB ||
	    (e && e->scope == g->items[item].scope))
		return e;
	for (size_t k = item; k-- > 0;) {
		const struct cg_env_fact *l =
		    own_later(f, g->items[k].scope, name);

		if (l)
			return l;
	}
	return e;
}

/* Sorted (strcmp order). GitHub: docs.github.com "Variables" > "Default
 * environment variables"; the runner sets each on every job (those of
 * pull requests, debug runs and actions aside). */
static const char *const github_sets[] = {
    "CI",
    "GITHUB_ACTIONS",
    "GITHUB_ACTOR",
    "GITHUB_ACTOR_ID",
    "GITHUB_API_URL",
    "GITHUB_ENV",
    "GITHUB_EVENT_NAME",
    "GITHUB_EVENT_PATH",
    "GITHUB_GRAPHQL_URL",
    "GITHUB_JOB",
    "GITHUB_OUTPUT",
    "GITHUB_PATH",
    "GITHUB_REF",
    "GITHUB_REF_NAME",
    "GITHUB_REF_TYPE",
    "GITHUB_REPOSITORY",
    "GITHUB_REPOSITORY_ID",
    "GITHUB_REPOSITORY_OWNER",
    "GITHUB_RETENTION_DAYS",
    "GITHUB_RUN_ATTEMPT",
    "GITHUB_RUN_ID",
    "GITHUB_RUN_NUMBER",
    "GITHUB_SERVER_URL",
    "GITHUB_SHA",
    "GITHUB_STEP_SUMMARY",
    "GITHUB_TRIGGERING_ACTOR",
    "GITHUB_WORKFLOW",
    "GITHUB_WORKFLOW_REF",
    "GITHUB_WORKFLOW_SHA",
    "GITHUB_WORKSPACE",
    "HOME",
    "PATH",
    "RUNNER_ARCH",
    "RUNNER_NAME",
    "RUNNER_OS",
    "RUNNER_TEMP",
    "RUNNER_TOOL_CACHE",
};

/* GitLab: docs.gitlab.com "Predefined CI/CD variables", those available
 * in every job (not CI_COMMIT_BRANCH, CI_COMMIT_TAG, CI_MERGE_REQUEST_*). */
static const char *const gitlab_sets[] = {
    "CI",
    "CI_BUILDS_DIR",
    "CI_COMMIT_REF_NAME",
    "CI_COMMIT_REF_SLUG",
    "CI_COMMIT_SHA",
    "CI_COMMIT_SHORT_SHA",
    "CI_CONCURRENT_ID",
    "CI_JOB_ID",
    "CI_JOB_NAME",
    "CI_JOB_STAGE",
    "CI_JOB_TOKEN",
    "CI_JOB_URL",
    "CI_PIPELINE_ID",
    "CI_PIPELINE_IID",
    "CI_PIPELINE_SOURCE",
    "CI_PROJECT_DIR",
    "CI_PROJECT_ID",
    "CI_PROJECT_NAME",
    "CI_PROJECT_PATH",
    "CI_PROJECT_URL",
    "CI_RUNNER_ID",
    "CI_SERVER_HOST",
    "CI_SERVER_URL",
    "GITLAB_CI",
    "HOME",
    "PATH",
};

bool cg_runner_sets(enum cg_group_kind kind, const char *name)
{
	if (kind == CG_GROUP_GITLAB_JOB)
		return cg_name_index(gitlab_sets,
				     sizeof(gitlab_sets) / sizeof(*gitlab_sets),
				     sizeof(*gitlab_sets), name) >= 0;
	return cg_name_index(github_sets,
			     sizeof(github_sets) / sizeof(*github_sets),
			     sizeof(*github_sets), name) >= 0;
}

bool cg_scope_within(const struct cg_model *m, size_t scope, size_t ancestor)
{
	unsigned guard = 0;

	while (scope != CG_NO_SCOPE && scope < m->facts.nscopes &&
	       guard++ < 64) {
		if (scope == ancestor)
			return true;
		scope = m->facts.scopes[scope].parent;
	}
	return false;
}

size_t cg_scope_up(const struct cg_model *m, size_t scope,
		   enum cg_scope_kind kind)
{
	unsigned guard = 0;

	while (scope != CG_NO_SCOPE && scope < m->facts.nscopes &&
	       guard++ < 64) {
		if (m->facts.scopes[scope].kind == kind)
			return scope;
		scope = m->facts.scopes[scope].parent;
	}
	return CG_NO_SCOPE;
}

/* ------------------------------------------------------- classifiers */

static const char *skip_blanks(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* `${{ ... }}` spanning the whole of `v` (blanks aside): its inside in
 * [*a, *b); false otherwise. */
static bool whole_expression(const char *v, const char **a, const char **b)
{
	const char *end;

	v = skip_blanks(v);
	if (strncmp(v, "${{", 3))
		return false;
	end = strstr(v + 3, "}}");
	if (!end || *skip_blanks(end + 2))
		return false;
	*a = skip_blanks(v + 3);
	*b = end;
	while (*b > *a && ((*b)[-1] == ' ' || (*b)[-1] == '\t'))
		(*b)--;
	return true;
}

/* `ctx.NAME` (or ctx['NAME'] / ctx["NAME"]) exactly: NAME in the arena. */
static const char *context_name(struct cg_model *m, const char *a,
				const char *b, const char *ctx)
{
	size_t n = strlen(ctx);
	const char *p;

	if ((size_t)(b - a) <= n || strncmp(a, ctx, n))
		return NULL;
	p = a + n;
	if (*p == '.') {
		const char *q = ++p;

		if (!is_name_char(*q, true))
			return NULL;
		while (q < b && (is_name_char(*q, false) || *q == '-'))
			q++;
		return q == b ? cg_arena_strndup(&m->arena, p, (size_t)(q - p))
			      : NULL;
	}
	if (*p == '[' && (p[1] == '\'' || p[1] == '"')) {
		char quote = p[1];
		const char *q = p + 2, *close = q;

		while (close < b && *close != quote)
			close++;
		if (close + 2 != b || close[1] != ']')
			return NULL;
		return cg_arena_strndup(&m->arena, q, (size_t)(close - q));
	}
	return NULL;
}

/*
 * Shell/compose interpolations in `v`: how many, how many lack a default,
 * and the name when `v` is exactly one `$X` / `${X}`.
 */
static void interpolations(const char *v, size_t *n, size_t *no_default,
			   const char **only, size_t *only_len)
{
	const char *p = v;

	*n = *no_default = 0;
	*only = NULL;
	*only_len = 0;
	while ((p = strchr(p, '$'))) {
		const char *name, *q;
		bool braced = p[1] == '{';

		if (p[1] == '$') { /* `$$` is a literal `$` in compose */
			p += 2;
			continue;
		}
		name = p + 1 + braced;
		if (!is_name_char(*name, true)) {
			p++;
			continue;
		}
		for (q = name; is_name_char(*q, false); q++)
			;
		(*n)++;
		if (braced) {
			bool dflt =
			    (q[0] == ':' && (q[1] == '-' || q[1] == '=')) ||
			    q[0] == '-' || q[0] == '=';
			const char *close = strchr(q, '}');

			if (!dflt)
				(*no_default)++;
			if (*n == 1 && p == v && *q == '}' && !q[1]) {
				*only = name;
				*only_len = (size_t)(q - name);
			}
			p = close ? close + 1 : q;
		} else {
			(*no_default)++;
			if (*n == 1 && p == v && !*q) {
				*only = name;
				*only_len = (size_t)(q - name);
			}
			p = q;
		}
	}
}

/* Is [p, q) next to a comparison or a `!` (its value is then a boolean,
 * never the secret's text): look back from p (back) or on from q. */
static bool compared(const char *a, const char *p, const char *b, const char *q)
{
	while (p > a && (p[-1] == ' ' || p[-1] == '\t'))
		p--;
	if (p > a &&
	    (p[-1] == '!' || p[-1] == '=' || p[-1] == '<' || p[-1] == '>'))
		return true;
	while (q < b && (*q == ' ' || *q == '\t'))
		q++;
	return q < b && (*q == '=' || *q == '!' || *q == '<' || *q == '>' ||
			 (*q == '&' && q + 1 < b && q[1] == '&'));
}

/*
 * A secrets.NAME or vars.NAME of the expression [a, b) whose text can be
 * the expression's value: an operand of `||`, or last after `&&`
 * (`secrets.DB_URL || 'postgres://localhost/ci'` is the secret whenever
 * it is set). Not one inside a function call (format(), contains()),
 * compared, negated, or in front of `&&` (the value is then what
 * follows). "secrets.NAME" in the arena, or NULL.
 */
static const char *secret_operand(struct cg_model *m, const char *a,
				  const char *b)
{
	/* open brackets: a call's `(` or an index `[`, or a group's `(`,
	 * which leaves its operands the value's */
	bool call[64];
	unsigned depth = 0, calls = 0;

	for (const char *p = a; p < b; p++) {
		if (*p == '\'') {
			for (p++; p < b && !(*p == '\'' && p[1] != '\''); p++)
				if (*p == '\'')
					p++; /* '' inside a literal */
			continue;
		}
		if (*p == '(' || *p == '[') {
			const char *q = p;

			while (q > a && (q[-1] == ' ' || q[-1] == '\t'))
				q--;
			if (depth < 64)
				call[depth] =
				    *p == '[' ||
				    (q > a && is_name_char(q[-1], false));
			calls += depth >= 64 || call[depth];
			depth++;
		} else if ((*p == ')' || *p == ']') && depth > 0) {
			depth--;
			calls -= depth >= 64 || call[depth];
		}
		if (calls ||
		    (p > a && (is_name_char(p[-1], false) || p[-1] == '.')))
			continue;
		for (int k = 0; k < 2; k++) {
			const char *ctx = k ? "vars." : "secrets.";
			size_t n = strlen(ctx);
			const char *q = p + n;

			if ((size_t)(b - p) <= n || strncmp(p, ctx, n) ||
			    !is_name_char(*q, true))
				continue;
			while (q < b && (is_name_char(*q, false) || *q == '-'))
				q++;
			if (!compared(a, p, b, q))
				return cg_arena_strndup(&m->arena, p,
							(size_t)(q - p));
		}
	}
	return NULL;
}

static const char *prefixed(struct cg_model *m, const char *prefix,
			    const char *name)
{
	char *s = cg_xasprintf("%s%s", prefix, name);
	const char *out = cg_arena_strdup(&m->arena, s);

	free(s);
	return out;
}

enum cg_value_kind cg_value_classify(struct cg_model *m, const char *value,
				     const char **ref_out)
{
	const char *a, *b, *name, *only;
	size_t n, no_default, only_len;

	*ref_out = NULL;
	if (!value)
		return CG_VALUE_NONE;
	if (whole_expression(value, &a, &b)) {
		if ((name = context_name(m, a, b, "secrets"))) {
			*ref_out = prefixed(m, "secrets.", name);
			return CG_VALUE_SECRET;
		}
		if ((name = context_name(m, a, b, "vars"))) {
			*ref_out = prefixed(m, "vars.", name);
			return CG_VALUE_SECRET;
		}
		if ((name = context_name(m, a, b, "env"))) {
			*ref_out = name;
			return CG_VALUE_VARIABLE;
		}
		if ((*ref_out = secret_operand(m, a, b)))
			return CG_VALUE_SECRET;
		return CG_VALUE_EXPRESSION;
	}
	if (strstr(value, "${{")) {
		/* text around an expression: a secret inside still comes
		 * from outside the repository */
		const char *s = strstr(value, "secrets.");
		const char *v = strstr(value, "vars.");

		if (s || v) {
			const char *start = s ? s : v, *q = strchr(start, '.');

			for (q++; is_name_char(*q, false) || *q == '-'; q++)
				;
			*ref_out = cg_arena_strndup(&m->arena, start,
						    (size_t)(q - start));
			return CG_VALUE_SECRET;
		}
		return CG_VALUE_EXPRESSION;
	}
	interpolations(value, &n, &no_default, &only, &only_len);
	if (only) {
		*ref_out = cg_arena_strndup(&m->arena, only, only_len);
		return CG_VALUE_VARIABLE;
	}
	if (n)
		return no_default ? CG_VALUE_INTERP : CG_VALUE_INTERP_DEFAULT;
	return CG_VALUE_LITERAL;
}

/* ----------------------------------------------------- service kinds */

/*
 * The repository part of an image reference without registry, tag and
 * digest: "docker.io/bitnami/redis:7" -> "bitnami/redis". Into `out`.
 */
static void image_repo(const char *image, char *out, size_t cap)
{
	const char *p = image, *slash = strchr(image, '/'), *end;
	size_t n;

	/* a first segment with '.' or ':' or "localhost" is a registry */
	if (slash) {
		size_t fl = (size_t)(slash - image);

		if (memchr(image, '.', fl) || memchr(image, ':', fl) ||
		    (fl == 9 && !strncmp(image, "localhost", 9)))
			p = slash + 1;
	}
	end = p + strcspn(p, "@");
	{
		/* a ':' after the last '/' starts the tag */
		const char *ls = p, *c;

		for (c = p; c < end; c++)
			if (*c == '/')
				ls = c + 1;
		for (c = ls; c < end; c++)
			if (*c == ':') {
				end = c;
				break;
			}
	}
	if (!strncmp(p, "library/", 8))
		p += 8;
	n = (size_t)(end - p);
	if (n >= cap)
		n = cap - 1;
	for (size_t i = 0; i < n; i++)
		out[i] =
		    (p[i] >= 'A' && p[i] <= 'Z') ? (char)(p[i] + 32) : p[i];
	out[n] = '\0';
}

enum cg_service_kind cg_service_kind_of_image(const char *image)
{
	static const struct {
		const char *name; /* the last path segment */
		enum cg_service_kind kind;
	} names[] = {
	    {"redis", CG_SERVICE_REDIS},
	    {"valkey", CG_SERVICE_REDIS},
	    {"redis-stack", CG_SERVICE_REDIS},
	    {"redis-stack-server", CG_SERVICE_REDIS},
	    {"keydb", CG_SERVICE_REDIS},
	    {"dragonfly", CG_SERVICE_REDIS},
	    {"postgres", CG_SERVICE_POSTGRES},
	    {"postgresql", CG_SERVICE_POSTGRES},
	    {"postgis", CG_SERVICE_POSTGRES},
	    {"timescaledb", CG_SERVICE_POSTGRES},
	    {"timescaledb-ha", CG_SERVICE_POSTGRES},
	    {"timescaledb-postgis", CG_SERVICE_POSTGRES},
	    {"pgvector", CG_SERVICE_POSTGRES},
	    {"postgresql-repmgr", CG_SERVICE_POSTGRES},
	    {"redis-cluster", CG_SERVICE_REDIS},
	    {"redis-sentinel", CG_SERVICE_REDIS},
	    {"wiremock", CG_SERVICE_WIREMOCK},
	    {"wiremock-studio", CG_SERVICE_WIREMOCK},
	    {"mysql", CG_SERVICE_MYSQL},
	    {"mariadb", CG_SERVICE_MYSQL},
	    {"rabbitmq", CG_SERVICE_RABBITMQ},
	};
	char repo[256];
	const char *last;

	if (!image || !*image)
		return CG_SERVICE_OTHER;
	image_repo(image, repo, sizeof(repo));
	last = cg_path_base(repo);
	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
		if (!strcmp(last, names[i].name))
			return names[i].kind;
	/* timescale/timescaledb-*; not redis-exporter, postgres-exporter,
	 * which only talk to one */
	if (cg_starts_with(last, "timescaledb"))
		return CG_SERVICE_POSTGRES;
	return CG_SERVICE_OTHER;
}

const char *cg_service_kind_name(enum cg_service_kind k)
{
	switch (k) {
	case CG_SERVICE_REDIS:
		return "redis";
	case CG_SERVICE_POSTGRES:
		return "postgres";
	case CG_SERVICE_WIREMOCK:
		return "wiremock";
	case CG_SERVICE_MYSQL:
		return "mysql";
	case CG_SERVICE_RABBITMQ:
		return "rabbitmq";
	case CG_SERVICE_APP:
		return "app";
	default:
		return "service";
	}
}

enum cg_service_kind cg_service_kind_parse(const char *name)
{
	if (!strcmp(name, "redis") || !strcmp(name, "valkey"))
		return CG_SERVICE_REDIS;
	if (!strcmp(name, "postgres") || !strcmp(name, "postgresql"))
		return CG_SERVICE_POSTGRES;
	if (!strcmp(name, "wiremock"))
		return CG_SERVICE_WIREMOCK;
	if (!strcmp(name, "mysql") || !strcmp(name, "mariadb"))
		return CG_SERVICE_MYSQL;
	if (!strcmp(name, "rabbitmq"))
		return CG_SERVICE_RABBITMQ;
	return CG_SERVICE_OTHER;
}

unsigned cg_service_default_port(enum cg_service_kind k)
{
	switch (k) {
	case CG_SERVICE_REDIS:
		return 6379;
	case CG_SERVICE_POSTGRES:
		return 5432;
	case CG_SERVICE_WIREMOCK:
		return 8080;
	case CG_SERVICE_MYSQL:
		return 3306;
	case CG_SERVICE_RABBITMQ:
		return 5672;
	default:
		return 0;
	}
}

/* ---------------------------------------------------------- processes */

bool cg_python_unbuffered_value(const char *v)
{
	const char *p = v;
	bool zero = true;

	if (!v || !*v)
		return false;
	/* CPython reads it with strtol: blanks, a sign, decimal digits, and
	 * nothing after; such an integer is on unless it is 0 */
	while (*p == ' ' || (*p >= '\t' && *p <= '\r'))
		p++;
	if (*p == '+' || *p == '-')
		p++;
	if (*p < '0' || *p > '9')
		return true; /* not an integer: on */
	for (; *p >= '0' && *p <= '9'; p++)
		if (*p != '0')
			zero = false;
	if (*p)
		return true; /* text after the digits: not an integer, on */
	return !zero;
}

static bool is_python(const char *name)
{
	const char *b = cg_path_base(name);

	if (!strncmp(b, "python", 6) || !strncmp(b, "pypy", 4)) {
		const char *p = b + (b[1] == 'y' && b[2] == 't' ? 6 : 4);

		for (; *p; p++)
			if (!((*p >= '0' && *p <= '9') || *p == '.'))
				return false;
		return true;
	}
	return false;
}

static bool is_python_program(const char *name)
{
	static const char *const progs[] = {
	    "gunicorn",	    "uvicorn",	"celery",	 "rq",
	    "arq",	    "dramatiq", "huey_consumer", "huey_consumer.py",
	    "hypercorn",    "daphne",	"rqworker",	 "flask",
	    "django-admin", "faust",	"granian",	 NULL};
	const char *b = cg_path_base(name);

	for (size_t i = 0; progs[i]; i++)
		if (!strcmp(b, progs[i]))
			return true;
	return false;
}

/* Index of the real program in argv after wrappers (cg_cmd_unwrap), and
 * whether a PYTHONUNBUFFERED assignment of theirs (`env`, `sudo`) turned
 * buffering off. */
/* The index of p's program: after the NAME=value words a `sh -c`
 * string's environment put first (inner_env), and the wrappers. */
static size_t program_index(const struct cg_process_fact *p)
{
	size_t i = 0;

	while (i < p->argc && cg_word_is_assignment(p->argv[i]))
		i++;
	return cg_cmd_unwrap((const char *const *)p->argv, p->argc, i, 0);
}

/* the last NAME=value word before argv[upto] */
static const char *env_word_before(const struct cg_process_fact *p, size_t upto,
				   const char *name)
{
	size_t len = strlen(name);
	const char *v = NULL;

	for (size_t k = 0; k < upto; k++)
		if (!strncmp(p->argv[k], name, len) && p->argv[k][len] == '=')
			v = p->argv[k] + len + 1;
	return v;
}

const char *cg_process_env_word(const struct cg_process_fact *p,
				const char *name)
{
	return env_word_before(p, program_index(p), name);
}

static size_t unwrap(const struct cg_process_fact *p, bool *env_unbuffered)
{
	size_t i = program_index(p);
	const char *v = env_word_before(p, i, "PYTHONUNBUFFERED");

	*env_unbuffered = v && cg_python_unbuffered_value(v);
	return i;
}

/* A Python program (or `python -m` module) that runs as a worker or a
 * server: celery/rq/faust only with their `worker` (or `beat`) command. */
static bool program_is_worker(const char *b, const char *const *args,
			      size_t nargs)
{
	if (!strcmp(b, "gunicorn") || !strcmp(b, "uvicorn") ||
	    !strcmp(b, "hypercorn") || !strcmp(b, "daphne") ||
	    !strcmp(b, "granian") || !strcmp(b, "arq") ||
	    !strcmp(b, "dramatiq") || !strcmp(b, "rqworker") ||
	    !strncmp(b, "huey_consumer", 13))
		return true;
	if (!strcmp(b, "celery") || !strcmp(b, "rq") || !strcmp(b, "faust"))
		for (size_t k = 0; k < nargs; k++)
			if (!strcmp(args[k], "worker") ||
			    !strcmp(args[k], "beat"))
				return true;
	return false;
}

/* `name(.name)*`, optionally `:attr...`: the length of the dotted module
 * part, or 0 when `w` is not one. */
static size_t dotted_module(const char *w)
{
	size_t n = 0;
	bool start = true;

	for (; w[n] && w[n] != ':'; n++) {
		char c = w[n];

		if (c == '.') {
			if (start)
				return 0;
			start = true;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      c == '_' || (!start && c >= '0' && c <= '9')))
			return 0;
		start = false;
	}
	return start ? 0 : n;
}

/* Options of the runners below that take a value in the next word. */
static bool takes_value(const char *prog, const char *opt)
{
	static const char *const any[] = {"-b",		 "--bind",
					  "-w",		 "--workers",
					  "-k",		 "--worker-class",
					  "-c",		 "--config",
					  "--host",	 "--port",
					  "--log-level", "-l",
					  "--loglevel",	 "-Q",
					  "--queues",	 "--concurrency",
					  "-n",		 "--hostname",
					  "-P",		 "--pool",
					  "--timeout",	 "-t",
					  "--threads",	 "--env-file",
					  "--uds",	 "--root-path",
					  "--name",	 "-p",
					  "--processes", "--pidfile",
					  "--logfile",	 "-f",
					  "--chdir",	 "--app-dir",
					  NULL};

	(void)prog;
	if (strchr(opt, '='))
		return false;
	for (size_t i = 0; any[i]; i++)
		if (!strcmp(opt, any[i]))
			return true;
	return false;
}

/*
 * CPython's command line after its program word argv[i]: the options (as
 * its getopt reads them: flags cluster, `-uBm NAME`; -c, -m, -W and -X
 * take a value, the rest of the word or the next one, and so does
 * --check-hash-based-pycs), up to what it runs: -m's module, -c's
 * command, `-` (stdin) or the script after them (or after `--`).
 */
struct py_cmdline {
	bool u;			    /* -u */
	bool ignore_env;	    /* -E or -I: no PYTHON* variable is read */
	enum cg_py_entry_kind kind; /* MODULE, SCRIPT, or NONE */
	const char *target;	    /* the module (maybe part of a word) or
				       the script */
	size_t rest;		    /* the first argv index after it */
};

static void py_cmdline(const struct cg_process_fact *p, size_t i,
		       struct py_cmdline *out)
{
	size_t k;

	memset(out, 0, sizeof(*out));
	for (k = i + 1; k < p->argc; k++) {
		const char *a = p->argv[k];
		bool next = false;

		if (!strcmp(a, "--")) {
			k++;
			break;
		}
		if (a[0] != '-' || !strcmp(a, "-"))
			break;
		if (a[1] == '-') {
			if (!strcmp(a, "--check-hash-based-pycs"))
				k++; /* its value is the next word */
			continue;
		}
		for (const char *c = a + 1; *c; c++) {
			if (*c == 'u')
				out->u = true;
			else if (*c == 'E' || *c == 'I')
				out->ignore_env = true;
			if (*c == 'c')
				return; /* the command: nothing to name */
			if (*c == 'm') {
				out->target = c[1]		? c + 1
					      : k + 1 < p->argc ? p->argv[k + 1]
								: NULL;
				if (!out->target || !*out->target)
					return;
				out->kind = CG_PY_ENTRY_MODULE;
				out->rest = c[1] ? k + 1 : k + 2;
				return;
			}
			if (*c == 'W' || *c == 'X') {
				next = !c[1];
				break;
			}
		}
		if (next)
			k++;
	}
	if (k < p->argc && p->argv[k][0] && strcmp(p->argv[k], "-")) {
		out->kind = CG_PY_ENTRY_SCRIPT;
		out->target = p->argv[k];
		out->rest = k + 1;
	}
}

void cg_process_python_entry(const struct cg_process_fact *p,
			     struct cg_py_entry *out)
{
	bool env_unbuffered;
	size_t i = unwrap(p, &env_unbuffered), k;
	const char *prog, *b;

	memset(out, 0, sizeof(*out));
	if (i >= p->argc)
		return;
	prog = p->argv[i];
	b = cg_path_base(prog);
	out->program = b;
	if (cg_ends_with(b, ".py") && !is_python_program(prog)) {
		out->kind = CG_PY_ENTRY_SCRIPT;
		out->target = prog;
		out->target_len = strlen(prog);
		return;
	}
	if (is_python(prog)) {
		struct py_cmdline cl;

		py_cmdline(p, i, &cl);
		out->kind = cl.kind;
		out->target = cl.target;
		out->target_len = cl.target ? strlen(cl.target) : 0;
		return;
	}
	if (!is_python_program(prog))
		return;
	out->runner_logs_start =
	    strcmp(b, "flask") && strcmp(b, "django-admin");
	/* celery's app: -A NAME, --app NAME, --app=NAME, -ANAME */
	if (!strcmp(b, "celery")) {
		for (k = i + 1; k < p->argc; k++) {
			const char *a = p->argv[k], *v = NULL;

			if ((!strcmp(a, "-A") || !strcmp(a, "--app")) &&
			    k + 1 < p->argc)
				v = p->argv[k + 1];
			else if (cg_starts_with(a, "--app="))
				v = a + 6;
			else if (cg_starts_with(a, "-A") && a[2])
				v = a + 2;
			if (v && dotted_module(v)) {
				out->kind = CG_PY_ENTRY_APP;
				out->target = v;
				out->target_len = dotted_module(v);
				return;
			}
		}
		return;
	}
	if (!strcmp(b, "rq") || !strcmp(b, "rqworker") || !strcmp(b, "faust") ||
	    !strcmp(b, "flask") || !strcmp(b, "django-admin"))
		return; /* their app comes from elsewhere (env, settings) */
	/* the first operand naming a module: `app.main:app`, `app.tasks` */
	for (k = i + 1; k < p->argc; k++) {
		const char *a = p->argv[k];

		if (a[0] == '-') {
			if (takes_value(b, a))
				k++;
			continue;
		}
		if (dotted_module(a)) {
			out->kind = CG_PY_ENTRY_APP;
			out->target = a;
			out->target_len = dotted_module(a);
		}
		return;
	}
}

void cg_process_classify(const struct cg_config *config,
			 struct cg_process_fact *p)
{
	bool env_unbuffered;
	size_t i = unwrap(p, &env_unbuffered);
	const char *prog, *b;

	p->python = p->unbuffered = p->worker = p->ignores_env = false;
	if (i >= p->argc)
		goto workers;
	prog = p->argv[i];
	b = cg_path_base(prog);
	if (cg_ends_with(b, ".py")) {
		/* `./manage.py runserver`: its shebang runs Python; options
		 * for the interpreter cannot be given here */
		p->python = true;
		p->worker =
		    program_is_worker(b, p->argv + i + 1, p->argc - i - 1) ||
		    strstr(b, "worker");
	} else if (is_python(prog)) {
		struct py_cmdline cl;

		py_cmdline(p, i, &cl);
		p->python = true;
		p->unbuffered = cl.u;
		p->ignores_env = cl.ignore_env;
		if (cl.kind == CG_PY_ENTRY_MODULE) {
			p->worker =
			    strstr(cl.target, "worker") ||
			    program_is_worker(cl.target, p->argv + cl.rest,
					      p->argc - cl.rest);
		} else if (cl.kind == CG_PY_ENTRY_SCRIPT) {
			/* `python path/worker.py` as `./path/worker.py` */
			p->worker =
			    strstr(cg_path_base(cl.target), "worker") != NULL;
		}
	} else if (is_python_program(prog)) {
		p->python = true;
		p->worker =
		    program_is_worker(b, p->argv + i + 1, p->argc - i - 1);
	}
	/* `env PYTHONUNBUFFERED=1 python -E`: CPython does not read it */
	if (env_unbuffered && !p->ignores_env)
		p->unbuffered = true;
workers:
	if (config && p->command)
		for (size_t k = 0; k < config->workers.n; k++)
			if (cg_glob_match(config->workers.items[k], p->command))
				p->worker = true;
}
