/*
 * Building the model: discover the files, load those a rule can use (CI
 * workflows first; later compose, env, k8s, WireMock, Python), collect
 * suppression comments, and build the typed views (GitHub workflows...).
 * One unreadable or malformed file becomes a note; it never stops the run.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "model/model_int.h"
#include "core/banned.h"

void cg_model_note(struct cg_model *m, const char *fmt, ...)
{
	struct cg_buf b = CG_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	cg_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	CG_GROW(m->notes, m->notes_alloc, m->nnotes + 1);
	m->notes[m->nnotes++].message = cg_buf_detach(&b, NULL);
}

static void discover_note(void *ctx, const char *msg)
{
	cg_model_note(ctx, "%s", msg);
}

bool cg_is_workflow_path(const char *path)
{
	const char *dir = ".github/workflows/";
	const char *name;

	if (!cg_starts_with(path, dir))
		return false;
	name = path + strlen(dir);
	if (strchr(name, '/'))
		return false;
	return cg_ends_with(name, ".yml") || cg_ends_with(name, ".yaml");
}

/* An action's metadata file, in any folder: GitHub reads `action.yml` or
 * `action.yaml` in the folder a `uses:` names (the root for `uses: ./`). */
static bool is_action_path(const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *name = slash ? slash + 1 : path;

	return !strcmp(name, "action.yml") || !strcmp(name, "action.yaml");
}

/* Which files the model reads at all; everything else is never opened. */
static enum cg_file_kind classify(const char *path)
{
	if (cg_is_workflow_path(path))
		return CG_FILE_GH_WORKFLOW;
	if (is_action_path(path))
		return CG_FILE_GH_ACTION;
	if (!strcmp(path, ".gitlab-ci.yml"))
		return CG_FILE_GITLAB_CI;
	return CG_FILE_NONE;
}

static bool ignored_by_config(const struct cg_config *c, const char *path)
{
	if (!c)
		return false;
	for (size_t i = 0; i < c->paths_ignore.n; i++)
		if (cg_glob_match(c->paths_ignore.items[i], path))
			return true;
	return false;
}

/* --staged: the blob in the index, which is what a commit will hold. */
static int load_staged(struct cg_src *out, const char *root, const char *path,
		       size_t max)
{
	char *spec = cg_xasprintf(":%s", path);
	const char *argv[] = {"git", "-C", root, "show", spec, NULL};
	struct cg_buf b = CG_BUF_INIT;
	int rc = cg_run_capture(argv, NULL, &b), err = 0;

	memset(out, 0, sizeof(*out));
	if (rc != 0)
		err = CG_ENOTFOUND; /* not in the index: not committed */
	else if (b.len > max)
		err = cg_error_set(CG_ELIMIT,
				   "'%s' is larger than %zu bytes, skipped",
				   path, max);
	else if (memchr(b.buf, '\0', b.len))
		err = cg_error_set(CG_ESKIP, "'%s' is a binary file, skipped",
				   path);
	else if (!cg_utf8_valid(b.buf, b.len))
		err = cg_error_set(CG_ESKIP, "'%s' is not valid UTF-8, skipped",
				   path);
	else
		cg_src_init_mem(out, path, b.buf, b.len);
	cg_buf_release(&b);
	free(spec);
	return err;
}

static struct cg_file *add_file(struct cg_model *m, const char *path,
				enum cg_file_kind kind)
{
	struct cg_file *f = cg_xcalloc(1, sizeof(*f));
	int err =
	    m->opt.staged
		? load_staged(&f->src, m->opt.root, path, m->opt.max_file_size)
		: cg_src_load(&f->src, m->opt.root, path, m->opt.max_file_size);

	if (err < 0) {
		if (err != CG_ENOTFOUND)
			cg_model_note(m, "%s", cg_error_last());
		free(f);
		return NULL;
	}
	f->kind = kind;
	CG_GROW(m->files, m->files_alloc, m->nfiles + 1);
	m->files[m->nfiles++] = f;
	return f;
}

static void load_yaml(struct cg_model *m, struct cg_file *f)
{
	struct cg_load_limits lim = CG_LOAD_LIMITS_DEFAULT;

	if (cg_yaml_load_in(&f->tree, &f->src, &lim, &m->arena) < 0) {
		cg_model_note(m, "%s (file skipped)", cg_error_last());
		cg_tree_release(&f->tree);
		return;
	}
	f->loaded = true;
}

static bool have_file(const struct cg_model *m, const char *path)
{
	for (size_t i = 0; i < m->nfiles; i++)
		if (!strcmp(m->files[i]->src.path, path))
			return true;
	return false;
}

/* `include: local:` files (globs allowed), followed transitively. */
static void load_gitlab_includes(struct cg_model *m,
				 const struct cg_file_list *list)
{
	for (size_t g = 0; g < m->ngitlab && g < 256; g++) {
		struct cg_strlist inc = {0};

		cg_gl_includes(m->gitlab[g].root, &inc);
		for (size_t i = 0; i < inc.n; i++) {
			const char *pat = inc.items[i];

			while (*pat == '/')
				pat++;
			for (size_t k = 0; k < list->n; k++) {
				const char *path = list->paths[k];
				struct cg_file *f;

				if (!cg_glob_match(pat, path) ||
				    have_file(m, path) ||
				    ignored_by_config(m->config, path))
					continue;
				if (!(f = add_file(m, path, CG_FILE_GITLAB_CI)))
					continue;
				load_yaml(m, f);
				cg_collect_suppressions(m, f);
				if (f->loaded)
					cg_gl_register(m, f);
			}
		}
		cg_strlist_release(&inc);
	}
}

int cg_model_build(struct cg_model *m, const struct cg_model_options *opt)
{
	struct cg_file_list list;
	int err;

	memset(m, 0, sizeof(*m));
	m->opt = *opt;
	if (!m->opt.max_file_size)
		m->opt.max_file_size = 8u * 1024 * 1024;
	m->config = opt->config;
	cg_arena_init(&m->arena);
	if ((err = cg_discover(&list, opt->root, discover_note, m)) < 0)
		return err;
	if (opt->staged && !list.in_git) {
		cg_file_list_release(&list);
		return cg_error_set(CG_EINVAL,
				    "--staged needs a git work tree, "
				    "and '%s' is not in one",
				    opt->root);
	}
	m->in_git = list.in_git;
	m->nfiles_listed = list.n;
	for (size_t i = 0; i < list.n; i++) {
		const char *path = list.paths[i];
		enum cg_file_kind kind = classify(path);
		struct cg_file *f;

		if (kind == CG_FILE_NONE || ignored_by_config(m->config, path))
			continue;
		if (!(f = add_file(m, path, kind)))
			continue;
		load_yaml(m, f);
		cg_collect_suppressions(m, f);
		if (f->loaded &&
		    (kind == CG_FILE_GH_WORKFLOW || kind == CG_FILE_GH_ACTION))
			cg_gh_build(m, f);
		if (f->loaded && kind == CG_FILE_GITLAB_CI)
			cg_gl_register(m, f);
	}
	load_gitlab_includes(m, &list);
	cg_gl_build_jobs(m);
	cg_file_list_release(&list);
	return 0;
}

void cg_model_release(struct cg_model *m)
{
	cg_gh_release(m);
	cg_gl_release(m);
	for (size_t i = 0; i < m->nsuppressions; i++) {
		struct cg_suppression *s = &m->suppressions[i];

		for (size_t k = 0; k < s->nids; k++)
			free(s->ids[k]);
		free(s->ids);
		free(s->id_pos);
		free(s->used);
		free(s->reason);
	}
	free(m->suppressions);
	for (size_t i = 0; i < m->nfiles; i++) {
		cg_tree_release(&m->files[i]->tree);
		cg_src_release(&m->files[i]->src);
		free(m->files[i]);
	}
	free(m->files);
	for (size_t i = 0; i < m->nnotes; i++)
		free(m->notes[i].message);
	free(m->notes);
	cg_arena_release(&m->arena);
	memset(m, 0, sizeof(*m));
}

const struct cg_src *cg_model_find_src(const struct cg_model *m,
				       const char *path)
{
	for (size_t i = 0; i < m->nfiles; i++)
		if (!strcmp(m->files[i]->src.path, path))
			return &m->files[i]->src;
	return NULL;
}
