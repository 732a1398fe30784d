/*
 * What git has of each path that CI, compose or k8s reads from the
 * repository (facts.h, enum cg_ref_git), once every file is read. The
 * file list says it for the full layer: git listed every tracked file and
 * every untracked one that is not ignored (`ls-files -t` tells which), so
 * a file on disk that is not on the list is ignored. With --staged the
 * list is the index, and in the quick layer it has only the untracked
 * files the layer reads; then one `git ls-files --others
 * --exclude-standard` over the paths that are not in it tells untracked
 * from ignored.
 *
 * A path inside another repository (a submodule's work tree, a nested
 * clone: a folder on the way holds `.git`) is not this repository's to
 * judge and stays UNKNOWN.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "model/model_int.h"
#include "core/banned.h"

#define SCAN_MAX 4096 /* entries a folder's "has a file" walk looks at */

static int cmp_key(const void *key, const void *item)
{
	return strcmp(key, *(char *const *)item);
}

static bool in_list(char *const *v, size_t n, const char *path)
{
	return n && bsearch(path, v, n, sizeof(*v), cmp_key) != NULL;
}

/* The first index of sorted v[0..n) not less than key. */
static size_t lower_bound(char *const *v, size_t n, const char *key)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(v[mid], key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* A folder between the root and `path` holds `.git`. */
static bool in_other_repo(const char *root, const char *path)
{
	const char *slash = path;
	bool other = false;

	while (!other && (slash = strchr(slash, '/'))) {
		char *git = cg_xasprintf("%s/%.*s/.git", root,
					 (int)(slash - path), path);
		struct stat st;

		other = lstat(git, &st) == 0;
		free(git);
		slash++;
	}
	return other;
}

/* A file (not a folder) somewhere under `dir`, looking at no more than
 * *budget entries. */
static bool has_file(const char *dir, unsigned depth, size_t *budget)
{
	DIR *d = depth < 16 ? opendir(dir) : NULL;
	struct dirent *e;
	bool found = false;

	while (d && !found && *budget && (e = readdir(d))) {
		char *sub;
		struct stat st;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		(*budget)--;
		sub = cg_xasprintf("%s/%s", dir, e->d_name);
		if (lstat(sub, &st) == 0)
			found = S_ISDIR(st.st_mode)
				    ? has_file(sub, depth + 1, budget)
				    : true;
		free(sub);
	}
	if (d)
		closedir(d);
	return found || !*budget;
}

/* From the file list: TRACKED, UNTRACKED, or IGNORED when the list does
 * not have it (only right when the list has every untracked file). */
static enum cg_ref_git from_list(const struct cg_model *m, const char *path,
				 bool folder)
{
	char *prefix;
	size_t i, len;
	bool untracked = false;

	if (!folder) {
		if (!in_list(m->paths, m->npaths, path))
			return CG_REF_GIT_IGNORED;
		return in_list(m->untracked, m->nuntracked, path)
			   ? CG_REF_GIT_UNTRACKED
			   : CG_REF_GIT_TRACKED;
	}
	prefix = cg_xasprintf("%s/", path);
	len = strlen(prefix);
	for (i = lower_bound(m->paths, m->npaths, prefix);
	     i < m->npaths && !strncmp(m->paths[i], prefix, len); i++) {
		if (!in_list(m->untracked, m->nuntracked, m->paths[i])) {
			free(prefix);
			return CG_REF_GIT_TRACKED;
		}
		untracked = true;
	}
	free(prefix);
	return untracked ? CG_REF_GIT_UNTRACKED : CG_REF_GIT_IGNORED;
}

/* Which of `refs` (not in the list) git lists as untracked; the others
 * are ignored. */
static void ask_untracked(struct cg_model *m, struct cg_file_ref **refs,
			  size_t n)
{
	const char **paths = cg_xcalloc(n, sizeof(*paths));
	struct cg_buf out = CG_BUF_INIT;
	char **listed = NULL;
	size_t nlisted = 0, alloc = 0;
	int rc;

	for (size_t i = 0; i < n; i++)
		paths[i] = refs[i]->path;
	rc = cg_git_untracked(m->opt.root, paths, n, &out);
	for (size_t i = 0; rc == 0 && i < out.len;) {
		size_t len = strlen(out.buf + i);

		if (len) {
			CG_GROW(listed, alloc, nlisted + 1);
			listed[nlisted++] = out.buf + i;
		}
		i += len + 1;
	}
	if (rc != 0)
		cg_error_clear();
	/* git sorts its output; a folder's files follow its name */
	for (size_t i = 0; i < n; i++) {
		struct cg_file_ref *r = refs[i];
		size_t len = strlen(r->path), j;

		if (rc != 0) {
			r->git = CG_REF_GIT_UNKNOWN;
			continue;
		}
		j = lower_bound(listed, nlisted, r->path);
		if (j < nlisted && !strncmp(listed[j], r->path, len) &&
		    (listed[j][len] == '\0' ||
		     (r->folder && listed[j][len] == '/')))
			r->git = CG_REF_GIT_UNTRACKED;
	}
	free(listed);
	free(paths);
	cg_buf_release(&out);
}

static bool judged(enum cg_file_ref_kind kind)
{
	return kind != CG_REF_OUTPUT && kind != CG_REF_BUILD;
}

void cg_file_refs_settle(struct cg_model *m)
{
	struct cg_facts *f = &m->facts;
	struct cg_file_ref **ask = NULL;
	size_t nask = 0, ask_alloc = 0;

	if (!m->in_git || m->opt.nmem_files)
		return;
	for (size_t i = 0; i < f->nfile_refs; i++) {
		struct cg_file_ref *r = &f->file_refs[i];
		char *full;
		struct stat st;
		int rc;

		if (!judged(r->kind))
			continue;
		full = cg_xasprintf("%s/%s", m->opt.root, r->path);
		rc = lstat(full, &st);
		if (rc < 0) {
			r->git = errno == ENOENT || errno == ENOTDIR
				     ? CG_REF_GIT_ABSENT
				     : CG_REF_GIT_UNKNOWN;
			free(full);
			continue;
		}
		r->folder = S_ISDIR(st.st_mode);
		r->git = from_list(m, r->path, r->folder);
		if (r->git != CG_REF_GIT_TRACKED &&
		    in_other_repo(m->opt.root, r->path)) {
			r->git = CG_REF_GIT_UNKNOWN;
		} else if (r->git == CG_REF_GIT_IGNORED && r->folder) {
			size_t budget = SCAN_MAX;

			if (!has_file(full, 0, &budget))
				r->git = CG_REF_GIT_EMPTY;
		}
		if ((m->opt.staged || m->paths_partial) &&
		    r->git != CG_REF_GIT_TRACKED &&
		    r->git != CG_REF_GIT_UNKNOWN &&
		    r->git != CG_REF_GIT_EMPTY) {
			/* not in the index: untracked or ignored? */
			r->git = CG_REF_GIT_IGNORED;
			CG_GROW(ask, ask_alloc, nask + 1);
			ask[nask++] = r;
		}
		free(full);
	}
	if (nask)
		ask_untracked(m, ask, nask);
	free(ask);
}
