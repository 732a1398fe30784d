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
#include "model/loader.h"
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
bool cg_is_action_path(const char *path)
{
	const char *name = cg_path_base(path);

	return !strcmp(name, "action.yml") || !strcmp(name, "action.yaml");
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

/* A file of opt.mem_files, as cg_src_load would have read it. */
static int load_mem(struct cg_model *m, struct cg_src *out, const char *path)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < m->opt.nmem_files; i++) {
		const struct cg_mem_file *mf = &m->opt.mem_files[i];

		if (strcmp(mf->path, path))
			continue;
		if (mf->len > m->opt.max_file_size)
			return cg_error_set(CG_ELIMIT,
					    "'%s' is larger than %zu bytes, "
					    "skipped",
					    path, m->opt.max_file_size);
		if (memchr(mf->text, '\0', mf->len))
			return cg_error_set(
			    CG_ESKIP, "'%s' is a binary file, skipped", path);
		if (!cg_utf8_valid(mf->text, mf->len))
			return cg_error_set(
			    CG_ESKIP, "'%s' is not valid UTF-8, skipped", path);
		cg_src_init_mem(out, path, mf->text, mf->len);
		return 0;
	}
	return CG_ENOTFOUND;
}

/* Parse f->src in its loader's format; a failure is a note. */
static void parse(struct cg_model *m, struct cg_file *f)
{
	struct cg_load_limits lim = CG_LOAD_LIMITS_DEFAULT;
	int err;

	switch (f->format) {
	case CG_FILE_YAML:
	case CG_FILE_YAML_MULTI:
		err = cg_yaml_load_in(&f->tree, &f->src, &lim, &m->arena);
		break;
	case CG_FILE_JSON:
		err = cg_json_load(&f->tree, &f->src, CG_JSON_STRICT, &lim);
		break;
	case CG_FILE_DOTENV:
		err = cg_dotenv_load(&f->dotenv, &f->src);
		break;
	default:
		err =
		    cg_error_set(CG_EINVAL, "%s: unknown format", f->src.path);
	}
	if (err < 0) {
		cg_model_note(m, "%s (file skipped)", cg_error_last());
		return;
	}
	f->loaded = true;
}

static void release_result(struct cg_file *f)
{
	if (f->format == CG_FILE_DOTENV)
		cg_dotenv_release(&f->dotenv);
	else
		cg_tree_release(&f->tree);
}

static int cmp_path(const void *a, const void *b);

/* The index of `path` in m->paths, or -1. */
static long path_index(const struct cg_model *m, const char *path)
{
	char *const *hit =
	    bsearch(&path, m->paths, m->npaths, sizeof(*m->paths), cmp_path);

	return hit ? (long)(hit - m->paths) : -1;
}

/* Remember that `path` has been read (so the build loop and
 * cg_model_read_file need not search the files read so far). */
static void mark_read(struct cg_model *m, const char *path)
{
	long i = path_index(m, path);

	if (i >= 0)
		m->path_read[i] = 1;
}

/* Read, parse and build `path` with `loader`. NULL when it cannot be read
 * (a note says why) or the loader's sniff declines it (*declined set; NULL
 * is fine). */
static struct cg_file *add_file(struct cg_model *m, const char *path,
				const struct cg_loader *loader, bool *declined)
{
	struct cg_file *f = cg_xcalloc(1, sizeof(*f));
	int err;

	if (m->opt.nmem_files)
		err = load_mem(m, &f->src, path);
	else if (m->opt.staged)
		err = load_staged(&f->src, m->opt.root, path,
				  m->opt.max_file_size);
	else
		err = cg_src_load(&f->src, m->opt.root, path,
				  m->opt.max_file_size);
	if (err < 0) {
		if (err != CG_ENOTFOUND)
			cg_model_note(m, "%s", cg_error_last());
		free(f);
		return NULL;
	}
	if (loader->sniff && !loader->sniff(m, &f->src)) {
		cg_src_release(&f->src);
		free(f);
		if (declined)
			*declined = true;
		return NULL;
	}
	mark_read(m, path);
	f->loader = loader;
	f->format = loader->format;
	f->scope = CG_NO_SCOPE;
	CG_GROW(m->files, m->files_alloc, m->nfiles + 1);
	m->files[m->nfiles++] = f;
	parse(m, f);
	if (f->format != CG_FILE_JSON)
		cg_collect_suppressions(m, f);
	if (f->loaded && loader->build)
		loader->build(m, f);
	return f;
}

static struct cg_file *find_file(const struct cg_model *m, const char *path)
{
	long idx = path_index(m, path);

	if (idx >= 0 && !m->path_read[idx])
		return NULL;
	for (size_t i = 0; i < m->nfiles; i++)
		if (!strcmp(m->files[i]->src.path, path))
			return m->files[i];
	return NULL;
}

static int cmp_path(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * `path` relative to the root with `.`, `..`, empty and leading `./`
 * segments resolved; NULL when it climbs out of the root. Caller frees.
 */
static char *normalise(const char *path)
{
	size_t n = strlen(path), len = 0;
	char *out = cg_xmalloc(n + 1);
	const char *p = path;

	while (*p) {
		const char *seg = p;
		size_t sl;

		while (*p && *p != '/')
			p++;
		sl = (size_t)(p - seg);
		if (*p == '/')
			p++;
		if (sl == 0 || (sl == 1 && seg[0] == '.'))
			continue;
		if (sl == 2 && seg[0] == '.' && seg[1] == '.') {
			if (!len) {
				free(out);
				return NULL;
			}
			while (len && out[len - 1] != '/')
				len--;
			if (len)
				len--; /* the '/' before the dropped segment */
			continue;
		}
		if (len)
			out[len++] = '/';
		memcpy(out + len, seg, sl);
		len += sl;
	}
	out[len] = '\0';
	return out;
}

char *cg_model_path(const char *dir, const char *rel)
{
	char *joined, *out;

	if (!rel || !*rel || rel[0] == '/')
		return NULL;
	joined =
	    dir && *dir ? cg_xasprintf("%s/%s", dir, rel) : cg_xstrdup(rel);
	out = normalise(joined);
	free(joined);
	if (out && !*out) {
		free(out);
		out = NULL;
	}
	return out;
}

bool cg_model_has_path(const struct cg_model *m, const char *path)
{
	char *norm = normalise(path);
	size_t lo = 0, hi = m->npaths, nl;
	bool found = false;

	if (!norm)
		return false;
	nl = strlen(norm);
	/* the first path >= norm: the file itself, or the first one in the
	 * folder `norm/` (a '/' sorts before every name byte but few) */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(m->paths[mid], norm) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < m->npaths && !found; i++) {
		const char *p = m->paths[i];

		if (strncmp(p, norm, nl))
			break;
		found = p[nl] == '\0' || p[nl] == '/' || nl == 0;
	}
	free(norm);
	return found;
}

struct cg_file *cg_model_read_file(struct cg_model *m, const char *path,
				   const struct cg_loader *loader)
{
	char *norm = normalise(path);
	struct cg_file *f = NULL;

	if (!norm || !*norm)
		goto out;
	if ((f = find_file(m, norm)))
		goto out;
	if (!bsearch(&norm, m->paths, m->npaths, sizeof(*m->paths), cmp_path) ||
	    ignored_by_config(m->config, norm))
		goto out;
	f = add_file(m, norm, loader, NULL);
out:
	free(norm);
	return f;
}

static bool claims(const struct cg_loader *l, const char *path)
{
	for (const char *const *p = l->patterns; p && *p; p++)
		if (cg_glob_match(*p, path))
			return !l->claims || l->claims(path);
	return false;
}

static bool loader_on(const struct cg_model *m, const struct cg_loader *l)
{
	return l->layer == CG_LAYER_QUICK || m->opt.layer != CG_LAYER_QUICK;
}

/* The repository's files: discovered, or the in-memory ones. */
static int list_paths(struct cg_model *m)
{
	struct cg_file_list list;
	int err;

	if (m->opt.nmem_files) {
		m->paths = cg_xcalloc(m->opt.nmem_files, sizeof(*m->paths));
		for (size_t i = 0; i < m->opt.nmem_files; i++) {
			char *norm = normalise(m->opt.mem_files[i].path);

			if (norm && *norm)
				m->paths[m->npaths++] = norm;
			else
				free(norm);
		}
		qsort(m->paths, m->npaths, sizeof(*m->paths), cmp_path);
		m->nfiles_listed = m->npaths;
		return 0;
	}
	if ((err = cg_discover(&list, m->opt.root, discover_note, m)) < 0)
		return err;
	if (m->opt.staged && !list.in_git) {
		cg_file_list_release(&list);
		return cg_error_set(CG_EINVAL,
				    "--staged needs a git work tree, "
				    "and '%s' is not in one",
				    m->opt.root);
	}
	m->in_git = list.in_git;
	m->paths = list.paths; /* sorted by cg_discover */
	m->npaths = list.n;
	m->nfiles_listed = list.n;
	return 0;
}

int cg_model_build(struct cg_model *m, const struct cg_model_options *opt)
{
	int err;

	memset(m, 0, sizeof(*m));
	m->opt = *opt;
	if (!m->opt.max_file_size)
		m->opt.max_file_size = 8u * 1024 * 1024;
	m->config = opt->config;
	cg_arena_init(&m->arena);
	if ((err = list_paths(m)) < 0)
		return err;
	m->path_read = cg_xcalloc(m->npaths ? m->npaths : 1, 1);
	for (size_t i = 0; i < m->npaths; i++) {
		const char *path = m->paths[i];

		if (ignored_by_config(m->config, path))
			continue;
		for (size_t k = 0; k < cg_nloaders; k++) {
			const struct cg_loader *l = cg_loaders[k];
			bool declined = false;

			if (!loader_on(m, l) || !claims(l, path))
				continue;
			/* a loader's build may have read it already
			 * (cg_model_read_file: a compose env_file) */
			if (!m->path_read[i])
				add_file(m, path, l, &declined);
			if (!declined)
				break;
		}
	}
	for (size_t k = 0; k < cg_nloaders; k++)
		if (loader_on(m, cg_loaders[k]) && cg_loaders[k]->finish)
			cg_loaders[k]->finish(m);
	return 0;
}

void cg_model_release(struct cg_model *m)
{
	for (size_t k = 0; k < cg_nloaders; k++)
		if (cg_loaders[k]->release)
			cg_loaders[k]->release(m);
	cg_facts_release(&m->facts);
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
		release_result(m->files[i]);
		cg_src_release(&m->files[i]->src);
		free(m->files[i]);
	}
	free(m->files);
	for (size_t i = 0; i < m->npaths; i++)
		free(m->paths[i]);
	free(m->paths);
	free(m->path_read);
	for (size_t i = 0; i < m->nnotes; i++)
		free(m->notes[i].message);
	free(m->notes);
	cg_arena_release(&m->arena);
	memset(m, 0, sizeof(*m));
}

const struct cg_loader *const cg_loaders[] = {
#define CG_LOADER(name) &cg_loader_##name,
#include "model/loaders.def"
#undef CG_LOADER
};
const size_t cg_nloaders = sizeof(cg_loaders) / sizeof(cg_loaders[0]);

const struct cg_src *cg_model_find_src(const struct cg_model *m,
				       const char *path)
{
	for (size_t i = 0; i < m->nfiles; i++)
		if (!strcmp(m->files[i]->src.path, path))
			return &m->files[i]->src;
	return NULL;
}
