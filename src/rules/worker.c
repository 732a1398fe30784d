/* Workers and their Python code (worker.h). */
#include <stdlib.h>
#include <string.h>

#include "rules/worker.h"
#include "core/banned.h"

/* `path` ends with `tail` at a folder boundary. */
static bool path_tail(const char *path, const char *tail)
{
	size_t n = strlen(path), t = strlen(tail);

	return t && t <= n && !strcmp(path + n - t, tail) &&
	       (t == n || path[n - t - 1] == '/');
}

/*
 * The file of `python PATH`: PATH as the repository has it, or, for a
 * path the command gives from elsewhere (`/app/worker/pool.py` in an
 * image whose WORKDIR is /app, `../src/run.py`), the longest tail of it
 * that exactly one file of the repository ends with.
 */
static const struct cg_py_file *script_file(const struct cg_model *m,
					    const char *path, size_t len)
{
	const struct cg_py_facts *pf = &m->facts.python;
	char *want = cg_xstrndup(path, len);
	const char *tail = want;
	const struct cg_py_file *found = NULL;

	while (tail[0] == '.' && tail[1] == '/')
		tail += 2;
	while (*tail && !found) {
		size_t hits = 0;
		const struct cg_py_file *hit = NULL;

		while (*tail == '/')
			tail++;
		for (size_t i = 0; i < pf->nfiles && hits < 2; i++)
			if (path_tail(pf->files[i].src->path, tail)) {
				hit = &pf->files[i];
				hits++;
			}
		if (hits == 1)
			found = hit;
		if (hits > 1)
			break; /* ambiguous: judge nothing */
		/* a folder less: `/app/x.py` -> `x.py` only as the last try */
		tail = strchr(tail, '/');
		if (!tail)
			break;
	}
	free(want);
	return found;
}

/* The module an entry names, as Python would find it. */
static const struct cg_py_file *entry_file(const struct cg_model *m,
					   const struct cg_py_entry *e)
{
	char *name;
	const struct cg_py_file *f = NULL;

	if (e->kind == CG_PY_ENTRY_SCRIPT)
		return script_file(m, e->target, e->target_len);
	if (e->kind != CG_PY_ENTRY_MODULE && e->kind != CG_PY_ENTRY_APP)
		return NULL;
	name = cg_xstrndup(e->target, e->target_len);
	if (e->kind == CG_PY_ENTRY_MODULE) {
		f = cg_py_find_module(m, name, true);
	} else {
		/* `app.huey` may be module `app` and its attribute `huey` */
		char *dot;

		while (!(f = cg_py_find_module(m, name, false)) &&
		       (dot = strrchr(name, '.')))
			*dot = '\0';
	}
	free(name);
	return f;
}

void cg_worker_each(const struct cg_model *m,
		    void (*fn)(void *ud, const struct cg_worker *w), void *ud)
{
	const struct cg_facts *f = &m->facts;

	if (!f->python.nfiles)
		return;
	for (size_t i = 0; i < f->nprocesses; i++) {
		const struct cg_process_fact *p = &f->processes[i];
		struct cg_worker w;
		const char *mod, *dot;

		if (!p->worker || p->oneshot || !p->python)
			continue;
		memset(&w, 0, sizeof(w));
		w.p = p;
		cg_process_python_entry(p, &w.entry);
		if (!(w.file = entry_file(m, &w.entry)))
			continue;
		mod = w.file->module ? w.file->module : "";
		if (w.file->package) {
			w.package = mod;
			w.package_len = strlen(mod);
		} else if ((dot = strrchr(mod, '.'))) {
			w.package = mod;
			w.package_len = (size_t)(dot - mod);
		} else {
			w.package = "";
		}
		fn(ud, &w);
	}
}

bool cg_worker_owns(const struct cg_worker *w, const struct cg_py_file *f)
{
	const char *mod = f->module;

	if (f == w->file)
		return true;
	if (!w->package_len || !mod)
		return false;
	return !strncmp(mod, w->package, w->package_len) &&
	       (mod[w->package_len] == '\0' || mod[w->package_len] == '.');
}

static char *worker_where(const struct cg_worker *w)
{
	const char *path = w->file->src->path, *slash = strrchr(path, '/');

	if (!w->package_len)
		return cg_xstrdup(path);
	/* the package's folder: the module's own, or its parent's for a
	 * module `__main__.py` or `__init__.py` stands for */
	return slash ? cg_xstrndup(path, (size_t)(slash - path + 1))
		     : cg_xstrdup("./");
}

void cg_worker_judge(struct cg_rule_ctx *ctx, const struct cg_worker *w,
		     const char *lacks)
{
	const struct cg_py_facts *pf = &cg_rule_model(ctx)->facts.python;
	char *where, *name;

	for (size_t i = 0; i < pf->nfiles; i++)
		if (cg_worker_owns(w, &pf->files[i]) && cg_rule_marked(ctx, i))
			return;
	where = worker_where(w);
	/* what the command names: the module or app as written
	 * (`app.worker`, `proj.celery`), or the script's path */
	name = cg_xstrndup(w->entry.target, w->entry.target_len);
	cg_report(ctx, w->p->src, &w->p->pos, w->p->command, NULL,
		  "this starts `%s` (%s) as a worker, and nothing in %s %s",
		  name, w->file->src->path, where, lacks);
	free(where);
	free(name);
}
