/*
 * Building the model: discover the files, load those a rule can use (CI
 * workflows first; later compose, env, k8s, WireMock, Python), collect
 * suppression comments, and build the typed views (GitHub workflows...).
 * One unreadable or malformed file becomes a note; it never stops the run.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

/* --staged: the blob in the index, which is what a commit will hold. A
 * staged symlink is followed inside the index, as the work tree's would be
 * on disk; one pointing out of the repository or at nothing staged is not
 * read. */
static int load_staged(const struct cg_model *m, struct cg_src *out,
		       const char *path, enum cg_src_kind kind)
{
	struct cg_buf b = CG_BUF_INIT;
	char *cur = cg_xstrdup(path);
	int err = 0, hops = 0;
	bool link = false;

	memset(out, 0, sizeof(*out));
	for (;;) {
		char *dir, *slash;

		cg_buf_release(&b);
		err = cg_git_index_read(m->staged_index, cur,
					m->opt.max_file_size, &b, &link);
		if (err == CG_ENOTFOUND && hops)
			err = cg_error_set(CG_ESKIP,
					   "'%s' is a symlink to nothing "
					   "staged, skipped",
					   path);
		if (err < 0 || !link)
			break;
		if (++hops > 8) {
			err = cg_error_set(CG_ESKIP,
					   "'%s': too many levels of symlinks, "
					   "skipped",
					   path);
			break;
		}
		/* the target, relative to the link's folder */
		dir = cur;
		slash = strrchr(dir, '/');
		*(slash ? slash : dir) = '\0';
		cur = memchr(b.buf, '\0', b.len) ? NULL
						 : cg_model_path(dir, b.buf);
		free(dir);
		if (!cur) {
			err = cg_error_set(CG_ESKIP,
					   "'%s' is a symlink to outside the "
					   "repository, skipped",
					   path);
			break;
		}
	}
	free(cur);
	if (err >= 0 && (err = cg_src_check(path, b.buf, b.len, kind)) >= 0)
		cg_src_init_mem(out, path, b.buf, b.len);
	cg_buf_release(&b);
	return err;
}

/* A file of opt.mem_files, as cg_src_load would have read it. */
static int load_mem(const struct cg_model *m, struct cg_src *out,
		    const char *path, enum cg_src_kind kind)
{
	int err;

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
		if ((err = cg_src_check(path, mf->text, mf->len, kind)) < 0)
			return err;
		cg_src_init_mem(out, path, mf->text, mf->len);
		return 0;
	}
	return CG_ENOTFOUND;
}

/*
 * What happens to a file before the model knows of it: read, sniffed,
 * parsed. It touches nothing of the model but what stays fixed while it is
 * built (the options and the path list), and allocates only in `arena`, so
 * check --jobs runs it ahead on worker threads, each with its own arena.
 * The notes it would make are kept, for adopt() to add in file order: the
 * notes, like everything else, are the same whatever --jobs is.
 */
enum prep_outcome {
	PREP_UNREAD,   /* cannot be read (note: why, unless not found) */
	PREP_DECLINED, /* the loader's sniff said no (note: maybe why) */
	PREP_READ,     /* f is read, and parsed unless f->loaded is false
			  (then note says why) */
};

struct prep {
	enum prep_outcome outcome;
	struct cg_file *f;	    /* PREP_READ */
	char *note;		    /* to add to the model's notes, or NULL */
	struct cg_prepared scripts; /* the loader's prepare made them */
};

/* Parse f->src in its loader's format; a failure is a note. */
static void parse(struct cg_file *f, struct cg_arena *arena, char **note)
{
	struct cg_load_limits lim = CG_LOAD_LIMITS_DEFAULT;
	int err;

	switch (f->format) {
	case CG_FILE_YAML:
	case CG_FILE_YAML_MULTI:
		err = cg_yaml_load_in(&f->tree, &f->src, &lim, arena);
		break;
	case CG_FILE_JSON:
		err = cg_json_load(&f->tree, &f->src, CG_JSON_STRICT, &lim);
		break;
	case CG_FILE_DOTENV:
		err = cg_dotenv_load(&f->dotenv, &f->src);
		break;
	case CG_FILE_MARKDOWN:
		err = cg_md_load(&f->markdown, &f->src);
		break;
	case CG_FILE_RAW:
		err = 0;
		break;
	default:
		err =
		    cg_error_set(CG_EINVAL, "%s: unknown format", f->src.path);
	}
	if (err < 0) {
		*note = cg_xasprintf("%s (file skipped)", cg_error_last());
		return;
	}
	f->loaded = true;
}

static void release_result(struct cg_file *f)
{
	if (f->format == CG_FILE_DOTENV)
		cg_dotenv_release(&f->dotenv);
	else if (f->format == CG_FILE_MARKDOWN)
		cg_md_release(&f->markdown);
	else
		cg_tree_release(&f->tree);
}

/* Read `path` from where the model reads files, for `loader`. */
static int read_src(const struct cg_model *m, struct cg_src *out,
		    const char *path, const struct cg_loader *loader)
{
	enum cg_src_kind kind = loader->bytes ? CG_SRC_BYTES : CG_SRC_TEXT;

	if (m->opt.nmem_files)
		return load_mem(m, out, path, kind);
	if (m->opt.staged)
		return load_staged(m, out, path, kind);
	return cg_src_load(out, m->opt.root, path, m->opt.max_file_size, kind);
}

/* `ahead`: on a worker, ahead of the build; then the loader's prepare
 * runs too (inline it would only move the work). */
static void prepare(const struct cg_model *m, struct prep *p, const char *path,
		    const struct cg_loader *loader, struct cg_arena *arena,
		    bool ahead)
{
	struct cg_file *f = cg_xcalloc(1, sizeof(*f));
	const char *why = NULL;
	int err;

	memset(p, 0, sizeof(*p));
	if ((err = read_src(m, &f->src, path, loader)) < 0) {
		p->outcome = PREP_UNREAD;
		if (err != CG_ENOTFOUND)
			p->note = cg_xstrdup(cg_error_last());
		free(f);
		return;
	}
	if (loader->sniff && !loader->sniff(m, &f->src, &why)) {
		p->outcome = PREP_DECLINED;
		if (why)
			p->note = cg_xasprintf("%s: %s", path, why);
		cg_src_release(&f->src);
		free(f);
		return;
	}
	f->loader = loader;
	f->format = loader->format;
	f->scope = CG_NO_SCOPE;
	parse(f, arena, &p->note);
	p->outcome = PREP_READ;
	p->f = f;
	if (ahead && f->loaded && loader->prepare) {
		p->scripts.arena = arena;
		p->scripts.config = m->config;
		loader->prepare(&p->scripts, f);
		cg_prepared_sort(&p->scripts);
	}
}

static void prep_discard(struct prep *p)
{
	cg_prepared_release(&p->scripts);
	if (p->f) {
		release_result(p->f);
		cg_src_release(&p->f->src);
		free(p->f);
	}
	free(p->note);
	memset(p, 0, sizeof(*p));
}

static int cmp_path(const void *a, const void *b);

/* The index of `path` in m->paths, or -1. */
static long path_index(const struct cg_model *m, const char *path)
{
	char *const *hit = m->npaths ? bsearch(&path, m->paths, m->npaths,
					       sizeof(*m->paths), cmp_path)
				     : NULL;

	return hit ? (long)(hit - m->paths) : -1;
}

/* Remember that `f` has been read from `path` (so the build loop and
 * cg_model_read_file need not search the files read so far). */
static void mark_read(struct cg_model *m, const char *path, struct cg_file *f)
{
	long i = path_index(m, path);

	if (i >= 0) {
		m->path_read[i] = 1;
		m->path_file[i] = f;
	} else {
		m->nunlisted_read++;
	}
}

/* ------------------------------------------------------- reading ahead */

/* at most this many files are read before the list comes */
#define GUESS_MAX 20000

enum ahead_state {
	AHEAD_NEW,  /* nobody has started it */
	AHEAD_BUSY, /* a thread is preparing it (a worker, or the build's) */
	AHEAD_DONE, /* prepared, waiting for the build */
	AHEAD_TAKEN /* the build has it (or prepares it itself) */
};

/* A file the build will read with `loader` (the first that claims it). */
struct ahead_item {
	size_t path; /* index into m->paths */
	char *guess; /* or, read before the list came: its path */
	const struct cg_loader *loader;
	_Atomic int state;
	struct prep prep;
};

struct cg_ahead {
	struct cg_model *m;
	struct ahead_item *items;
	size_t n;
	long *of_path; /* per path: its item, or -1 */
	atomic_size_t next;
	struct cg_arena *arenas; /* one per worker */
	unsigned nworkers;
	pthread_mutex_t lock;
	pthread_cond_t done;
	struct cg_workers *workers;
};

/* Prepare the next item nobody has started, into `arena` (the calling
 * thread's). False when every item has been handed out. */
static bool ahead_one(struct cg_model *m, struct cg_ahead *a,
		      struct cg_arena *arena)
{
	size_t i = atomic_fetch_add(&a->next, 1);
	struct ahead_item *it;
	int expect = AHEAD_NEW;

	if (i >= a->n)
		return false;
	it = &a->items[i];
	if (!atomic_compare_exchange_strong(&it->state, &expect, AHEAD_BUSY))
		return true;
	prepare(m, &it->prep, it->guess ? it->guess : m->paths[it->path],
		it->loader, arena, true);
	pthread_mutex_lock(&a->lock);
	atomic_store(&it->state, AHEAD_DONE);
	pthread_cond_broadcast(&a->done);
	pthread_mutex_unlock(&a->lock);
	return true;
}

/* A worker: prepare the items in order, skipping those taken. */
static void ahead_work(void *ctx, unsigned worker)
{
	struct cg_ahead *a = ctx;

	while (ahead_one(a->m, a, &a->arenas[worker - 1]))
		;
}

/* A table of n items, and jobs - 1 workers with an arena each, not
 * started yet. */
static struct cg_ahead *ahead_new(struct cg_model *m, size_t n)
{
	struct cg_ahead *a = cg_xcalloc(1, sizeof(*a));

	a->m = m;
	a->items = cg_xcalloc(n ? n : 1, sizeof(*a->items));
	atomic_init(&a->next, 0);
	a->nworkers = m->opt.jobs - 1;
	a->arenas = cg_xcalloc(a->nworkers, sizeof(*a->arenas));
	for (unsigned w = 0; w < a->nworkers; w++)
		cg_arena_init(&a->arenas[w]);
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->done, NULL);
	return a;
}

static int cmp_guess(const void *a, const void *b)
{
	return strcmp(((const struct ahead_item *)a)->guess,
		      ((const struct ahead_item *)b)->guess);
}

/* What was read before the list came for `path` with `loader`: the item,
 * when it is prepared; NULL otherwise. */
static struct ahead_item *guessed(struct cg_ahead *g, const char *path,
				  const struct cg_loader *loader)
{
	struct ahead_item key, *it;

	if (!g)
		return NULL;
	key.guess = (char *)path;
	it = bsearch(&key, g->items, g->n, sizeof(*g->items), cmp_guess);
	if (!it || it->loader != loader ||
	    atomic_load(&it->state) != AHEAD_DONE)
		return NULL;
	return it;
}

/*
 * With more than one job, start jobs - 1 workers preparing, in path order,
 * the files the build loop will read. Too few files are not worth a
 * thread.
 */
static void ahead_start(struct cg_model *m,
			const struct cg_loader *const *first)
{
	struct cg_ahead *a;
	size_t n = 0;

	for (size_t i = 0; i < m->npaths; i++)
		n += first[i] != NULL;
	if (m->opt.jobs <= 1 || (n < 8 && !m->guess))
		return;
	a = ahead_new(m, n);
	a->of_path = cg_xcalloc(m->npaths, sizeof(*a->of_path));
	for (size_t i = 0; i < m->npaths; i++) {
		struct ahead_item *it = &a->items[a->n], *g;

		a->of_path[i] = -1;
		g = first[i] ? guessed(m->guess, m->paths[i], first[i]) : NULL;
		/* nothing to parse ahead in a raw file (Python code: its
		 * build is the work), and its text would wait in memory */
		if (!first[i] || (first[i]->format == CG_FILE_RAW && !g))
			continue;
		a->of_path[i] = (long)a->n;
		it->path = i;
		it->loader = first[i];
		atomic_init(&it->state, AHEAD_NEW);
		/* read already, before the list came: take it over */
		if (g) {
			it->prep = g->prep;
			memset(&g->prep, 0, sizeof(g->prep));
			atomic_store(&g->state, AHEAD_TAKEN);
			atomic_store(&it->state, AHEAD_DONE);
		}
		a->n++;
	}
	m->ahead = a;
	a->workers = cg_workers_start(a->nworkers, ahead_work, a);
}

/*
 * The prepared `path` when a thread has prepared it or is preparing it
 * (then the caller prepares files further on, and waits at the end), NULL
 * when the caller must prepare it itself (then no worker will).
 */
static struct prep *ahead_take(struct cg_model *m, const char *path,
			       const struct cg_loader *loader)
{
	struct cg_ahead *a = m->ahead;
	struct ahead_item *it;
	long idx;
	int expect = AHEAD_NEW;

	if (!a || !a->of_path || (idx = path_index(m, path)) < 0 ||
	    a->of_path[idx] < 0)
		return NULL;
	it = &a->items[a->of_path[idx]];
	if (it->loader != loader)
		return NULL;
	if (atomic_compare_exchange_strong(&it->state, &expect, AHEAD_TAKEN))
		return NULL;
	if (expect == AHEAD_TAKEN)
		return NULL;
	/* a worker has it: rather than wait, prepare files further on (the
	 * build is quicker than the parse, so it would wait for each one) */
	while (atomic_load(&it->state) != AHEAD_DONE &&
	       ahead_one(m, a, &m->arena))
		;
	pthread_mutex_lock(&a->lock);
	while (atomic_load(&it->state) != AHEAD_DONE)
		pthread_cond_wait(&a->done, &a->lock);
	pthread_mutex_unlock(&a->lock);
	atomic_store(&it->state, AHEAD_TAKEN);
	return &it->prep;
}

/* Wait for the workers; drop what they prepared that nobody took. The
 * arenas stay until the model goes (trees the build took live there). */
static void table_stop(struct cg_ahead *a)
{
	if (!a || !a->items)
		return;
	cg_workers_join(a->workers);
	a->workers = NULL;
	for (size_t i = 0; i < a->n; i++) {
		if (atomic_load(&a->items[i].state) == AHEAD_DONE)
			prep_discard(&a->items[i].prep);
		free(a->items[i].guess);
	}
	free(a->items);
	free(a->of_path);
	a->items = NULL;
	a->of_path = NULL;
	a->n = 0;
	pthread_mutex_destroy(&a->lock);
	pthread_cond_destroy(&a->done);
}

static void ahead_stop(struct cg_model *m)
{
	table_stop(m->guess);
	table_stop(m->ahead);
}

static void table_release(struct cg_ahead *a)
{
	if (!a)
		return;
	table_stop(a);
	for (unsigned w = 0; w < a->nworkers; w++)
		cg_arena_release(&a->arenas[w]);
	free(a->arenas);
	free(a);
}

static void ahead_release(struct cg_model *m)
{
	table_release(m->ahead);
	table_release(m->guess);
	m->ahead = m->guess = NULL;
}

/* ------------------------------------------------------------ adding */

/* Take a prepared file into the model: its notes, then its suppression
 * comments and its loader's build. */
static struct cg_file *adopt(struct cg_model *m, struct prep *p,
			     const char *path, bool *declined)
{
	struct cg_file *f = p->f;

	if (p->outcome != PREP_READ) {
		cg_prepared_release(&p->scripts);
		if (p->note)
			cg_model_note(m, "%s", p->note);
		if (p->outcome == PREP_DECLINED && declined)
			*declined = true;
		free(p->note);
		return NULL;
	}
	CG_GROW(m->files, m->files_alloc, m->nfiles + 1);
	m->files[m->nfiles++] = f;
	mark_read(m, path, f);
	if (p->note)
		cg_model_note(m, "%s", p->note);
	free(p->note);
	if (f->format != CG_FILE_JSON && f->format != CG_FILE_RAW)
		cg_collect_suppressions(m, f);
	if (f->loaded && f->loader->build) {
		/* a build may read another file (cg_model_read_file) */
		struct cg_prepared *outer = m->prepared;

		m->prepared = &p->scripts;
		f->loader->build(m, f);
		m->prepared = outer;
	}
	cg_prepared_release(&p->scripts);
	return f;
}

/* Read, parse and build `path` with `loader`. NULL when it cannot be read
 * (a note says why) or the loader's sniff declines it (*declined set; NULL
 * is fine). */
static struct cg_file *add_file(struct cg_model *m, const char *path,
				const struct cg_loader *loader, bool *declined)
{
	struct prep *ahead = ahead_take(m, path, loader);
	struct prep p;

	if (ahead) {
		p = *ahead;
		memset(ahead, 0, sizeof(*ahead));
	} else {
		prepare(m, &p, path, loader, &m->arena, false);
	}
	return adopt(m, &p, path, declined);
}

static struct cg_file *find_file(const struct cg_model *m, const char *path)
{
	long idx = path_index(m, path);

	if (idx >= 0)
		return m->path_read[idx] ? m->path_file[idx] : NULL;
	/* a file on no list (an untracked one the quick layer read): the
	 * few of them are searched */
	for (size_t i = 0; m->nunlisted_read && i < m->nfiles; i++)
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

/* A file the list may lack (cg_discover_wanted lists only the untracked
 * files the quick layer wants): is it on disk, untracked and not
 * ignored? One git process, asked only for such a path. */
static bool untracked_unlisted(struct cg_model *m, const char *path)
{
	struct cg_buf b = CG_BUF_INIT;
	char *full;
	struct stat st;
	bool yes;

	if (!m->paths_partial)
		return false;
	full = cg_xasprintf("%s/%s", m->opt.root, path);
	yes = lstat(full, &st) == 0 && !S_ISDIR(st.st_mode);
	free(full);
	if (!yes)
		return false;
	yes = cg_git_untracked(m->opt.root, &path, 1, &b) == 0 && b.len &&
	      !strcmp(b.buf, path);
	cg_error_clear();
	cg_buf_release(&b);
	return yes;
}

/* A file whose text was dropped once its facts were taken gets it back
 * (the text is a cache of the file: the model is the same after). */
static void refill(const struct cg_model *m, struct cg_file *f)
{
	struct cg_src again;

	if (!f->dropped || read_src(m, &again, f->src.path, f->loader) < 0)
		return;
	free(f->src.text);
	free(f->src.line_start);
	f->src.text = again.text;
	f->src.len = again.len;
	f->src.line_start = again.line_start;
	f->src.nlines = again.nlines;
	f->dropped = false;
	free(again.path);
}

struct cg_file *cg_model_read_file(struct cg_model *m, const char *path,
				   const struct cg_loader *loader)
{
	char *norm = normalise(path);
	struct cg_file *f = NULL;

	if (!norm || !*norm)
		goto out;
	if ((f = find_file(m, norm))) {
		refill(m, f);
		goto out;
	}
	if ((path_index(m, norm) < 0 && !untracked_unlisted(m, norm)) ||
	    ignored_by_config(m->config, norm))
		goto out;
	f = add_file(m, norm, loader, NULL);
out:
	free(norm);
	return f;
}

static bool loader_on(const struct cg_model *m, const struct cg_loader *l)
{
	return l->layer == CG_LAYER_QUICK || m->opt.layer != CG_LAYER_QUICK;
}

static const struct cg_loader *first_loader(const struct cg_model *m,
					    const char *path);

/* The quick layer lists the untracked files its loaders read, and YAML
 * files (a GitLab include may name one). */
static bool quick_wants(void *ctx, const char *path)
{
	return first_loader(ctx, path) || cg_ends_with(path, ".yml") ||
	       cg_ends_with(path, ".yaml");
}

static bool quick_listing(const struct cg_model *m)
{
	return !m->opt.nmem_files && !m->opt.staged &&
	       m->opt.layer == CG_LAYER_QUICK;
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
	if (m->opt.staged)
		err = cg_git_index_open(m->staged_index, &list);
	else if (quick_listing(m))
		err = cg_discover_wanted(&list, &m->listing, m->opt.root,
					 quick_wants, m, discover_note, m);
	else
		err = cg_discover(&list, m->opt.root, discover_note, m);
	if (err < 0)
		return err;
	m->in_git = list.in_git;
	m->paths = list.paths; /* sorted by cg_discover */
	m->npaths = list.n;
	m->untracked = list.untracked;
	m->nuntracked = list.nuntracked;
	m->paths_partial = list.partial;
	m->nfiles_listed = list.n;
	return 0;
}

/* ----------------------------------------------------- git changes */

/*
 * Ask git what changed since the last commit, while the files are read,
 * names only, renames as a deletion and an addition, relative to the root,
 * never running an external diff program. --staged: `git diff --cached`
 * (index against HEAD) and `git diff` (work tree against the index); the
 * full layer: `git diff HEAD` (work tree against the last commit), one
 * process. The quick layer without --staged asks nothing.
 */
static void git_diff_start(struct cg_model *m, struct cg_capture *c,
			   const char *what, const char *const *paths,
			   size_t npaths)
{
	const char *fixed[] = {"git",
			       "--literal-pathspecs",
			       "-C",
			       m->opt.root,
			       "diff",
			       "--relative",
			       "--no-ext-diff",
			       "--no-renames",
			       "--name-only",
			       "-z"};
	size_t nfixed = sizeof(fixed) / sizeof(*fixed), a = 0;
	const char **argv = cg_xcalloc(nfixed + npaths + 3, sizeof(*argv));

	for (size_t i = 0; i < nfixed; i++)
		argv[a++] = fixed[i];
	if (what)
		argv[a++] = what;
	if (npaths) {
		argv[a++] = "--";
		for (size_t i = 0; i < npaths; i++)
			argv[a++] = paths[i];
	}
	if (cg_capture_start(c, argv) < 0)
		cg_error_clear();
	free(argv);
}

/* The most bytes of paths handed to one git command line. */
#define PATHSPEC_BYTES (128u * 1024)

/* Started before the file list (--staged): what the index changes. */
static void git_staged_start(struct cg_model *m)
{
	m->git_diffs[0].fd = m->git_diffs[1].fd = -1;
	if (m->opt.nmem_files || !m->opt.staged)
		return;
	git_diff_start(m, &m->git_diffs[0], "--cached", NULL, 0);
}

static void git_changes_start(struct cg_model *m)
{
	if (!m->in_git || m->opt.nmem_files)
		return;
	if (m->opt.staged) {
		/* the work tree against the index, for the staged paths
		 * only: git stats no other file */
		struct cg_buf cached = CG_BUF_INIT;
		const char **paths = NULL;
		size_t n = 0, alloc = 0;

		if (m->git_diffs[0].fd < 0 ||
		    cg_capture_finish(&m->git_diffs[0], &cached) != 0) {
			cg_error_clear();
			m->git_diffs[0].fd = -1;
			cg_buf_release(&cached);
			return;
		}
		m->git_staged = cached;
		for (size_t i = 0; i < cached.len;) {
			size_t len = strlen(cached.buf + i);

			if (len) {
				CG_GROW(paths, alloc, n + 1);
				paths[n++] = cached.buf + i;
			}
			i += len + 1;
		}
		m->git_staged_known = true;
		/* a long list would not fit the command line: then the
		 * whole work tree */
		if (n) {
			m->git_unstaged_asked = true;
			git_diff_start(m, &m->git_diffs[1], NULL, paths,
				       cached.len > PATHSPEC_BYTES ? 0 : n);
		}
		free(paths);
	}
}

/*
 * The full layer without --staged: the work tree against HEAD, for the
 * files under the root only (`-- .`: git stats no other file of a larger
 * repository). Started before the file list, beside `git ls-files`,
 * since neither waits for the other; outside a git work tree it fails
 * and the changes stay unknown.
 */
static void git_head_start(struct cg_model *m)
{
	static const char *const here[] = {"."};

	if (m->opt.nmem_files || m->opt.staged ||
	    m->opt.layer == CG_LAYER_QUICK)
		return;
	git_diff_start(m, &m->git_diffs[0], "HEAD", here, 1);
}

/* Wait for the git processes still running (a build that failed, or a
 * model released early). */
static void git_drop(struct cg_model *m)
{
	struct cg_capture *all[] = {&m->git_diffs[0], &m->git_diffs[1],
				    &m->listing};

	for (size_t i = 0; i < sizeof(all) / sizeof(*all); i++)
		if (all[i]->pid > 0 && all[i]->fd >= 0) {
			struct cg_buf scratch = CG_BUF_INIT;

			if (cg_capture_finish(all[i], &scratch) < 0)
				cg_error_clear();
			cg_buf_release(&scratch);
		}
	cg_buf_release(&m->git_staged);
}

static int cmp_change(const void *a, const void *b)
{
	return strcmp(((const struct cg_git_change *)a)->path,
		      ((const struct cg_git_change *)b)->path);
}

static void git_changes_finish(struct cg_model *m)
{
	struct cg_buf out[2] = {CG_BUF_INIT, CG_BUF_INIT};
	struct cg_git_change *all = NULL;
	size_t n = 0, alloc = 0, keep = 0;
	bool ok = true;

	if (m->opt.staged) {
		/* the index's changes came first (git_changes_start); the
		 * work tree's were asked only when there were some */
		ok = m->git_staged_known &&
		     (!m->git_unstaged_asked ||
		      (m->git_diffs[1].fd >= 0 &&
		       cg_capture_finish(&m->git_diffs[1], &out[1]) == 0));
		out[0] = m->git_staged;
		m->git_staged = (struct cg_buf)CG_BUF_INIT;
	} else {
		ok = m->git_diffs[0].fd >= 0 &&
		     cg_capture_finish(&m->git_diffs[0], &out[0]) == 0;
	}
	/* both lists in one table, sorted; a path in both is one row */
	for (int k = 0; ok && k < 2; k++)
		for (size_t i = 0; i < out[k].len;) {
			const char *p = out[k].buf + i;
			size_t len = strlen(p);

			i += len + 1;
			if (!len)
				continue;
			CG_GROW(all, alloc, n + 1);
			all[n].path = cg_xstrdup(p);
			all[n].staged = m->opt.staged && k == 0;
			all[n].unstaged = m->opt.staged && k == 1;
			all[n++].uncommitted = !m->opt.staged;
		}
	if (n)
		qsort(all, n, sizeof(*all), cmp_change);
	for (size_t i = 0; i < n; i++) {
		if (keep && !strcmp(all[keep - 1].path, all[i].path)) {
			all[keep - 1].staged |= all[i].staged;
			all[keep - 1].unstaged |= all[i].unstaged;
			all[keep - 1].uncommitted |= all[i].uncommitted;
			free(all[i].path);
			continue;
		}
		all[keep++] = all[i];
	}
	m->git_changes = all;
	m->ngit_changes = keep;
	m->git_changes_known = ok;
	if (!ok)
		cg_error_clear();
	cg_buf_release(&out[0]);
	cg_buf_release(&out[1]);
}

/* A pattern `**` + `/NAME` with no '/' in NAME matches the last path
 * component alone. */
static bool base_pattern(const char *p)
{
	if (p[0] != '*' || p[1] != '*' || p[2] != '/')
		return false;
	for (p += 3; *p; p++)
		if (*p == '/' || (p[0] == '*' && p[1] == '*'))
			return false;
	return true;
}

/* Per loader (bit k), whether one of its `** /NAME` patterns takes a file
 * named `base`: worked out once per name (a repository repeats names:
 * __init__.py, README.md, ...), in a table of BASE_MEMO slots. */
#define BASE_MEMO 4096
struct base_memo {
	uint64_t hash;
	char *base;
	unsigned mask;
};

static unsigned base_mask(const char *base)
{
	unsigned mask = 0;

	for (size_t k = 0; k < cg_nloaders; k++)
		for (const char *const *p = cg_loaders[k]->patterns; p && *p;
		     p++)
			if (base_pattern(*p) && cg_glob_match(*p + 3, base)) {
				mask |= 1u << k;
				break;
			}
	return mask;
}

static unsigned base_claims(struct cg_model *m, const char *base)
{
	size_t len = strlen(base);
	uint64_t h = cg_hash64(CG_HASH_INIT, base, len);
	struct base_memo *t = m->base_memo;

	if (!t)
		t = m->base_memo = cg_xcalloc(BASE_MEMO, sizeof(*t));
	for (size_t i = 0; i < 16; i++) {
		struct base_memo *e = &t[(h + i) & (BASE_MEMO - 1)];

		if (!e->base) {
			e->hash = h;
			e->base = cg_xstrdup(base);
			e->mask = base_mask(base);
			return e->mask;
		}
		if (e->hash == h && !strcmp(e->base, base))
			return e->mask;
	}
	return base_mask(base);
}

/* Per loader, its patterns that are not `** /NAME` ones (those the memo
 * above answers), listed once. */
#define MAX_LOADERS 16
#define MAX_FULL 16
static const char *full_pats[MAX_LOADERS][MAX_FULL];
static size_t nfull[MAX_LOADERS];
static bool full_all[MAX_LOADERS]; /* too many: match every pattern */
static pthread_once_t full_once = PTHREAD_ONCE_INIT;

static void full_fill(void)
{
	for (size_t k = 0; k < cg_nloaders; k++)
		for (const char *const *p = cg_loaders[k]->patterns; p && *p;
		     p++) {
			if (k >= MAX_LOADERS || nfull[k] == MAX_FULL) {
				if (k < MAX_LOADERS)
					full_all[k] = true;
				break;
			}
			if (!base_pattern(*p))
				full_pats[k][nfull[k]++] = *p;
		}
}

/* The loaders whose `** /NAME` patterns take `path`'s last component, as
 * a bit mask (memoised per name: the memo is the model's cache, not part
 * of what it says). */
static unsigned path_mask(const struct cg_model *m, const char *path)
{
	const char *slash = strrchr(path, '/');

	return base_claims((struct cg_model *)m, slash ? slash + 1 : path);
}

/* Does loader k claim `path` (`mask` from path_mask)? */
static bool loader_claims(size_t k, const char *path, unsigned mask)
{
	const struct cg_loader *l = cg_loaders[k];
	bool yes = mask & (1u << k);

	pthread_once(&full_once, full_fill);
	if (k >= MAX_LOADERS || full_all[k])
		for (const char *const *p = l->patterns; !yes && p && *p; p++)
			yes = cg_glob_match(*p, path);
	for (size_t i = 0; !yes && k < MAX_LOADERS && i < nfull[k]; i++)
		yes = cg_glob_match(full_pats[k][i], path);
	return yes && (!l->claims || l->claims(path));
}

/* The first loader (of those on) that claims `path`, or NULL. */
static const struct cg_loader *first_loader(const struct cg_model *m,
					    const char *path)
{
	unsigned mask;

	if (ignored_by_config(m->config, path))
		return NULL;
	mask = path_mask(m, path);
	for (size_t k = 0; k < cg_nloaders; k++)
		if (loader_on(m, cg_loaders[k]) && loader_claims(k, path, mask))
			return cg_loaders[k];
	return NULL;
}

/* The files of folder `dir` (relative to the root; "" for the root)
 * that a loader claims, as items of `a` (grown as needed). */
static void guess_dir(struct cg_model *m, const char *dir,
		      struct ahead_item **items, size_t *n, size_t *alloc)
{
	char *full = *dir ? cg_xasprintf("%s/%s", m->opt.root, dir)
			  : cg_xstrdup(m->opt.root);
	DIR *d = opendir(full);
	struct dirent *e;

	free(full);
	while (d && (e = readdir(d)) && *n < GUESS_MAX) {
		char *path;
		const struct cg_loader *l;

		if (e->d_type != DT_REG && e->d_type != DT_UNKNOWN)
			continue;
		path = *dir ? cg_xasprintf("%s/%s", dir, e->d_name)
			    : cg_xstrdup(e->d_name);
		if (!(l = first_loader(m, path))) {
			free(path);
			continue;
		}
		CG_GROW(*items, *alloc, *n + 1);
		memset(&(*items)[*n], 0, sizeof(**items));
		(*items)[*n].guess = path;
		(*items)[*n].loader = l;
		atomic_init(&(*items)[*n].state, AHEAD_NEW);
		(*n)++;
	}
	if (d)
		closedir(d);
}

/*
 * While git lists the repository's files (a process start and a walk of
 * the work tree: ~10 ms for the bench repository, with one core idle),
 * the workers already read and parse the files most likely on that list:
 * those a loader claims in the root folder and in .github/workflows, found
 * with two readdir calls. When the list comes, a file on it takes over
 * what was prepared for it (same path, same loader); the rest is dropped
 * unseen: no note, no finding, nothing of the model comes from a file
 * that is not on the list.
 */
static void guess_start(struct cg_model *m)
{
	struct ahead_item *items = NULL;
	size_t n = 0, alloc = 0;
	struct cg_ahead *a;

	if (m->opt.jobs <= 1 || m->opt.nmem_files || m->opt.staged)
		return;
	guess_dir(m, "", &items, &n, &alloc);
	guess_dir(m, ".github/workflows", &items, &n, &alloc);
	if (n < 8) {
		for (size_t i = 0; i < n; i++)
			free(items[i].guess);
		free(items);
		return;
	}
	qsort(items, n, sizeof(*items), cmp_guess);
	a = ahead_new(m, 0);
	free(a->items);
	a->items = items;
	a->n = n;
	m->guess = a;
	a->workers = cg_workers_start(a->nworkers, ahead_work, a);
}

/* The list is in: the workers take nothing more (what they are reading
 * they finish, for the build to take over). */
static void guess_stop(struct cg_model *m)
{
	struct cg_ahead *a = m->guess;

	if (!a)
		return;
	atomic_store(&a->next, a->n);
	cg_workers_join(a->workers);
	a->workers = NULL;
}

/* Per path of m->paths, the first loader (of those on) that claims it,
 * or NULL: worked out once for the prefetch, the read-ahead and the build
 * loop. */
static const struct cg_loader **first_loaders(const struct cg_model *m)
{
	const struct cg_loader **first =
	    cg_xcalloc(m->npaths ? m->npaths : 1, sizeof(*first));

	for (size_t i = 0; i < m->npaths; i++)
		first[i] = first_loader(m, m->paths[i]);
	return first;
}

/* --staged: the blobs of every file a loader claims, in one stream from
 * git rather than a request and an answer each. */
static void prefetch_staged(struct cg_model *m,
			    const struct cg_loader *const *first)
{
	const char **want;
	size_t n = 0;

	if (!m->staged_index)
		return;
	want = cg_xcalloc(m->npaths ? m->npaths : 1, sizeof(*want));
	for (size_t i = 0; i < m->npaths; i++)
		if (first[i])
			want[n++] = m->paths[i];
	cg_git_index_prefetch(m->staged_index, want, n, m->opt.max_file_size);
	free(want);
}

int cg_model_build(struct cg_model *m, const struct cg_model_options *opt)
{
	const struct cg_loader **first;
	int err;

	memset(m, 0, sizeof(*m));
	m->git_diffs[0].fd = m->git_diffs[1].fd = -1;
	m->listing.fd = -1;
	m->opt = *opt;
	if (!m->opt.max_file_size)
		m->opt.max_file_size = 8u * 1024 * 1024;
	m->config = opt->config;
	cg_arena_init(&m->arena);
	/* git first: it reads the index while the read-ahead starts */
	if (quick_listing(m))
		cg_discover_wanted_start(&m->listing, m->opt.root);
	if (m->opt.staged && !m->opt.nmem_files)
		m->staged_index = cg_git_index_start(m->opt.root);
	git_staged_start(m);
	git_head_start(m);
	guess_start(m);
	err = list_paths(m);
	guess_stop(m);
	if (err < 0) {
		ahead_release(m);
		git_drop(m);
		cg_git_index_close(m->staged_index);
		m->staged_index = NULL;
		return err;
	}
	m->path_read = cg_xcalloc(m->npaths ? m->npaths : 1, 1);
	m->path_file =
	    cg_xcalloc(m->npaths ? m->npaths : 1, sizeof(*m->path_file));
	git_changes_start(m);
	first = first_loaders(m);
	prefetch_staged(m, first);
	/* the files the build loop reads first thing, read ahead on worker
	 * threads (check --jobs) */
	if (m->opt.jobs > 1 && m->npaths >= 8)
		ahead_start(m, first);
	for (size_t i = 0; i < m->npaths; i++) {
		const char *path = m->paths[i];
		size_t k0 = 0;

		if (!first[i])
			continue; /* no loader claims it, or it is ignored */
		while (cg_loaders[k0] != first[i])
			k0++;
		for (size_t k = k0; k < cg_nloaders; k++) {
			const struct cg_loader *l = cg_loaders[k];
			bool declined = false;

			if (!loader_on(m, l) ||
			    !loader_claims(k, path, path_mask(m, path)))
				continue;
			/* a loader's build may have read it already
			 * (cg_model_read_file: a compose env_file) */
			if (!m->path_read[i])
				add_file(m, path, l, &declined);
			if (!declined)
				break;
		}
	}
	free(first);
	ahead_stop(m);
	for (size_t k = 0; k < cg_nloaders; k++)
		if (loader_on(m, cg_loaders[k]) && cg_loaders[k]->finish)
			cg_loaders[k]->finish(m);
	git_changes_finish(m);
	cg_file_refs_settle(m);
	cg_facts_index(m);
	/* every file is read: the git processes of --staged can go */
	cg_git_index_close(m->staged_index);
	m->staged_index = NULL;
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
	free(m->untracked);
	for (size_t i = 0; m->base_memo && i < BASE_MEMO; i++)
		free(m->base_memo[i].base);
	free(m->base_memo);
	free(m->path_read);
	free(m->path_file);
	for (size_t i = 0; i < m->nnotes; i++)
		free(m->notes[i].message);
	free(m->notes);
	ahead_release(m);
	cg_git_index_close(m->staged_index);
	git_drop(m);
	for (size_t i = 0; i < m->ngit_changes; i++)
		free(m->git_changes[i].path);
	free(m->git_changes);
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
		if (!strcmp(m->files[i]->src.path, path)) {
			refill(m, m->files[i]);
			return &m->files[i]->src;
		}
	return NULL;
}
