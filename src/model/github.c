/*
 * The GitHub Actions view of a workflow file: workflow/job/step env,
 * defaults.run.shell, services, container, and steps with their effective
 * shell (FACTS.md: no `shell:` on Linux means `bash -e {0}` without pipefail;
 * `shell: bash` adds -o pipefail; `sh` is `sh -e {0}`).
 */
#include <stdlib.h>
#include <string.h>

#include "model/model_int.h"
#include "core/banned.h"

static void env_block(struct cg_model *m, struct cg_env_block *out,
		      const struct cg_node *node)
{
	memset(out, 0, sizeof(*out));
	out->node = node;
	if (!node || node->kind != CG_NODE_MAP)
		return;
	out->vars = cg_arena_alloc(&m->arena, (node->n ? node->n : 1) *
						  sizeof(*out->vars));
	for (size_t i = 0; i < node->n; i++) {
		const struct cg_pair *p = &node->pairs[i];

		if (!cg_node_is_scalar(p->key))
			continue;
		out->vars[out->n].name = p->key->str;
		out->vars[out->n].key = p->key;
		out->vars[out->n].value =
		    cg_node_is_scalar(p->value) ? p->value : NULL;
		out->n++;
	}
}

static const char *basename_of(const char *word)
{
	const char *slash = strrchr(word, '/');

	return slash ? slash + 1 : word;
}

static bool is_posix_shell_name(const char *name)
{
	static const char *const shells[] = {"bash", "sh",  "dash",
					     "zsh",  "ksh", "ash"};

	for (size_t i = 0; i < sizeof(shells) / sizeof(*shells); i++)
		if (!strcmp(name, shells[i]))
			return true;
	return false;
}

/*
 * Interpret a `shell:` value. The keywords are GitHub's; anything else is a
 * custom command template like `bash -el {0}` whose flags we read.
 */
void cg_gh_shell_parse(struct cg_shell *sh, const struct cg_node *node,
		       const struct cg_src *src)
{
	char *copy, *save = NULL, *word;
	bool found = false, want_option = false;

	memset(sh, 0, sizeof(*sh));
	sh->node = node;
	sh->src = src;
	if (cg_scalar_eq(node, "bash")) {
		sh->kind = CG_SHELL_POSIX;
		sh->errexit = sh->pipefail = true;
		sh->describe = "bash --noprofile --norc -eo pipefail {0}";
		return;
	}
	if (cg_scalar_eq(node, "sh")) {
		sh->kind = CG_SHELL_POSIX;
		sh->errexit = true;
		sh->describe = "sh -e {0}";
		return;
	}
	sh->kind = CG_SHELL_OTHER;
	sh->describe = node->str;
	if (strstr(node->str, "${{"))
		return; /* decided at run time: we cannot know */
	copy = cg_xstrdup(node->str);
	for (word = strtok_r(copy, " \t", &save); word;
	     word = strtok_r(NULL, " \t", &save)) {
		if (!found) {
			if (is_posix_shell_name(basename_of(word))) {
				found = true;
				sh->kind = CG_SHELL_POSIX;
			}
			continue;
		}
		if (want_option) {
			if (!strcmp(word, "errexit"))
				sh->errexit = true;
			if (!strcmp(word, "pipefail"))
				sh->pipefail = true;
			want_option = false;
			continue;
		}
		if (word[0] == '-' && word[1] != '-') {
			for (const char *c = word + 1; *c; c++) {
				if (*c == 'e')
					sh->errexit = true;
				if (*c == 'o')
					want_option = true;
			}
		} else if (word[0] != '-') {
			break; /* the script argument, e.g. {0} */
		}
	}
	free(copy);
}

static bool runs_on_windows(const struct cg_node *runs_on)
{
	if (cg_node_is_scalar(runs_on))
		return cg_starts_with(runs_on->str, "windows");
	if (runs_on && runs_on->kind == CG_NODE_SEQ)
		for (size_t i = 0; i < runs_on->n; i++)
			if (cg_node_is_scalar(runs_on->items[i]) &&
			    cg_starts_with(runs_on->items[i]->str, "windows"))
				return true;
	return false;
}

static const struct cg_node *defaults_shell(const struct cg_node *owner)
{
	return cg_map_get(cg_map_get(cg_map_get(owner, "defaults"), "run"),
			  "shell");
}

static void step_build(struct cg_model *m, struct cg_gh_step *st,
		       const struct cg_node *node, const struct cg_src *src,
		       const struct cg_node *job_shell,
		       const struct cg_node *wf_shell, bool windows)
{
	const struct cg_node *shell;

	st->node = node;
	st->name = cg_map_get(node, "name");
	st->run = cg_map_get(node, "run");
	st->uses = cg_map_get(node, "uses");
	st->with = cg_map_get(node, "with");
	st->if_cond = cg_map_get(node, "if");
	st->continue_on_error = cg_map_get_pair(node, "continue-on-error");
	env_block(m, &st->env, cg_map_get(node, "env"));
	shell = cg_map_get(node, "shell");
	if (!cg_node_is_scalar(shell))
		shell = cg_node_is_scalar(job_shell) ? job_shell : NULL;
	if (!shell)
		shell = cg_node_is_scalar(wf_shell) ? wf_shell : NULL;
	if (shell) {
		cg_gh_shell_parse(&st->shell, shell, src);
	} else if (windows) {
		st->shell.kind = CG_SHELL_OTHER;
		st->shell.describe = "pwsh (GitHub's default on Windows)";
	} else {
		st->shell.kind = CG_SHELL_POSIX;
		st->shell.errexit = true;
		st->shell.describe = "GitHub's default shell `bash -e {0}`";
	}
	if (st->shell.kind == CG_SHELL_POSIX && cg_node_is_scalar(st->run))
		st->script = cg_script_new(m, src, st->run);
}

static void job_build(struct cg_model *m, struct cg_gh_job *job,
		      const struct cg_pair *pair, const struct cg_src *src,
		      const struct cg_node *wf_shell)
{
	const struct cg_node *node = pair->value, *services, *steps;
	bool windows;

	job->id = pair->key->str;
	job->key = pair->key;
	job->node = node;
	job->runs_on = cg_map_get(node, "runs-on");
	job->container = cg_map_get(node, "container");
	job->continue_on_error = cg_map_get_pair(node, "continue-on-error");
	env_block(m, &job->env, cg_map_get(node, "env"));
	windows = runs_on_windows(job->runs_on);

	services = cg_map_get(node, "services");
	if (services && services->kind == CG_NODE_MAP && services->n) {
		job->services = cg_arena_alloc(
		    &m->arena, services->n * sizeof(*job->services));
		for (size_t i = 0; i < services->n; i++) {
			const struct cg_pair *sp = &services->pairs[i];
			struct cg_gh_service *svc;

			if (!cg_node_is_scalar(sp->key))
				continue;
			svc = &job->services[job->nservices++];
			svc->id = sp->key->str;
			svc->key = sp->key;
			svc->node = sp->value;
			svc->image = cg_node_is_scalar(sp->value)
					 ? sp->value
					 : cg_map_get(sp->value, "image");
			svc->ports = cg_map_get(sp->value, "ports");
			svc->options = cg_map_get(sp->value, "options");
			env_block(m, &svc->env, cg_map_get(sp->value, "env"));
		}
	}
	steps = cg_map_get(node, "steps");
	if (steps && steps->kind == CG_NODE_SEQ && steps->n) {
		job->steps =
		    cg_arena_alloc(&m->arena, steps->n * sizeof(*job->steps));
		for (size_t i = 0; i < steps->n; i++) {
			if (steps->items[i]->kind != CG_NODE_MAP)
				continue;
			job->steps[job->nsteps].index = i;
			step_build(m, &job->steps[job->nsteps++],
				   steps->items[i], src, defaults_shell(node),
				   wf_shell, windows);
		}
	}
}

void cg_gh_build(struct cg_model *m, struct cg_file *f)
{
	const struct cg_node *root, *jobs;
	struct cg_gh_workflow *wf;

	if (f->tree.ndocs < 1 || !(root = f->tree.docs[0]) ||
	    root->kind != CG_NODE_MAP)
		return;
	jobs = cg_map_get(root, "jobs");
	m->workflows = cg_xrealloc(m->workflows,
				   (m->nworkflows + 1) * sizeof(*m->workflows));
	wf = &m->workflows[m->nworkflows++];
	memset(wf, 0, sizeof(*wf));
	wf->src = &f->src;
	wf->root = root;
	env_block(m, &wf->env, cg_map_get(root, "env"));
	if (!jobs || jobs->kind != CG_NODE_MAP || !jobs->n)
		return;
	wf->jobs = cg_arena_alloc(&m->arena, jobs->n * sizeof(*wf->jobs));
	for (size_t i = 0; i < jobs->n; i++) {
		if (!cg_node_is_scalar(jobs->pairs[i].key) ||
		    jobs->pairs[i].value->kind != CG_NODE_MAP)
			continue;
		job_build(m, &wf->jobs[wf->njobs++], &jobs->pairs[i], &f->src,
			  defaults_shell(root));
	}
}

void cg_gh_release(struct cg_model *m)
{
	for (size_t w = 0; w < m->nworkflows; w++)
		for (size_t j = 0; j < m->workflows[w].njobs; j++)
			for (size_t s = 0; s < m->workflows[w].jobs[j].nsteps;
			     s++)
				cg_script_free(
				    m->workflows[w].jobs[j].steps[s].script);
	free(m->workflows);
	m->workflows = NULL;
	m->nworkflows = 0;
}
