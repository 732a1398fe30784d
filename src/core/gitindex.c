/*
 * What `check --staged` reads: the git index, not the work tree. One
 * `git ls-files -s -z` lists the entries (mode, blob id, stage, path);
 * one `git cat-file --batch`, started on first use and fed a blob id per
 * line, returns the blobs. No process per file, no shell.
 *
 * Entries: stage 0 is what a commit will hold. During a merge a path has
 * stages 1-3 instead; stage 2 ("ours", the side being committed to) is
 * taken. A gitlink (mode 160000, a submodule) has no blob here and is left
 * out; a symlink (120000) is kept: its blob is the target path.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/core.h"
#include "core/banned.h"

extern char **environ;

struct entry {
	char *path;
	char id[65]; /* hex: SHA-1 (40) or SHA-256 (64) */
	unsigned mode;
	int stage;
	/* cg_git_index_prefetch: the blob, read ahead of its use */
	bool fetched;
	int err; /* 0, CG_ELIMIT or CG_ENOTFOUND */
	struct cg_buf blob;
};

struct cg_git_index {
	char *root;
	struct entry *e;
	size_t n, alloc;
	/* the cat-file --batch process, started on first use */
	pthread_mutex_t lock;
	pid_t pid;
	FILE *in, *out; /* its stdin, its stdout */
	bool started, broken;
	struct cg_capture listing; /* `git ls-files -s`, from start to open */
	bool paths_given; /* the entries' paths belong to the file list */
};

static int cmp_entry(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int c = strcmp(x->path, y->path);

	return c ? c : x->stage - y->stage;
}

/* "MODE ID STAGE\tPATH" */
static bool parse_entry(const char *rec, struct entry *out)
{
	const char *tab = strchr(rec, '\t'), *sp1, *sp2;
	char *end;
	unsigned long mode;
	size_t idlen;

	/* every field: the caller's entry is on its stack, and a stray
	 * `fetched` would hand over a blob never read */
	memset(out, 0, sizeof(*out));
	if (!tab || !(sp1 = strchr(rec, ' ')) || sp1 > tab ||
	    !(sp2 = strchr(sp1 + 1, ' ')) || sp2 > tab)
		return false;
	mode = strtoul(rec, &end, 8);
	if (end != sp1)
		return false;
	idlen = (size_t)(sp2 - sp1 - 1);
	if (idlen != 40 && idlen != 64)
		return false;
	memcpy(out->id, sp1 + 1, idlen);
	out->id[idlen] = '\0';
	out->mode = (unsigned)mode;
	out->stage = sp2[1] - '0';
	if (out->stage < 0 || out->stage > 3 || sp2[2] != '\t' || !tab[1])
		return false;
	out->path = cg_xstrdup(tab + 1);
	return true;
}

static int start_batch(struct cg_git_index *ix);

struct cg_git_index *cg_git_index_start(const char *root)
{
	const char *argv[] = {"git", "-C", root, "ls-files", "-s", "-z", NULL};
	struct cg_git_index *ix = cg_xcalloc(1, sizeof(*ix));

	ix->root = cg_xstrdup(root);
	pthread_mutex_init(&ix->lock, NULL);
	ix->listing.fd = -1;
	if (cg_capture_start(&ix->listing, argv) < 0)
		ix->listing.fd = -1;
	/* while git reads the index, the reader of blobs starts */
	else if (start_batch(ix) < 0)
		ix->broken = true;
	return ix;
}

int cg_git_index_open(struct cg_git_index *ix, struct cg_file_list *list)
{
	struct cg_buf b = CG_BUF_INIT;
	int rc;
	size_t keep = 0;
	bool sorted = true;

	memset(list, 0, sizeof(*list));
	if (ix->listing.fd < 0)
		return CG_EIO; /* git could not be run: the error says so */
	rc = cg_capture_finish(&ix->listing, &b);
	if (rc != 0) {
		cg_buf_release(&b);
		return rc < 0 ? rc
			      : cg_error_set(CG_EINVAL,
					     "--staged needs a git work tree, "
					     "and '%s' is not in one",
					     ix->root);
	}
	/* one entry per record: sized once */
	ix->alloc = 1;
	for (size_t i = 0; i < b.len; i++)
		ix->alloc += b.buf[i] == '\0';
	ix->e = cg_xcalloc(ix->alloc, sizeof(*ix->e));
	for (size_t i = 0; i < b.len;) {
		size_t len = strlen(b.buf + i);
		struct entry e;

		if (len && parse_entry(b.buf + i, &e)) {
			CG_GROW(ix->e, ix->alloc, ix->n + 1);
			ix->e[ix->n++] = e;
			if (ix->n > 1 &&
			    cmp_entry(&ix->e[ix->n - 2], &ix->e[ix->n - 1]) > 0)
				sorted = false;
		}
		i += len + 1;
	}
	cg_buf_release(&b);
	if (!sorted) /* git lists the index sorted */
		qsort(ix->e, ix->n, sizeof(*ix->e), cmp_entry);
	/* one entry per path: stage 0, else stage 2 (ours) of a merge, else
	 * none (only theirs or the base: deleted on our side); gitlinks have
	 * no content to read */
	for (size_t i = 0; i < ix->n;) {
		size_t j = i, pick = ix->n;

		while (j < ix->n && !strcmp(ix->e[j].path, ix->e[i].path)) {
			if (pick == ix->n &&
			    (ix->e[j].stage == 0 || ix->e[j].stage == 2))
				pick = j;
			j++;
		}
		for (size_t k = i; k < j; k++) {
			if (k == pick && (ix->e[k].mode & 0170000) != 0160000) {
				ix->e[keep++] = ix->e[k];
				continue;
			}
			free(ix->e[k].path);
		}
		i = j;
	}
	ix->n = keep;
	list->in_git = true;
	ix->paths_given = true;
	for (size_t i = 0; i < ix->n; i++) {
		CG_GROW(list->paths, list->alloc, list->n + 1);
		list->paths[list->n++] = ix->e[i].path; /* the list's now */
	}
	return 0;
}

static const struct entry *find(const struct cg_git_index *ix, const char *path)
{
	size_t lo = 0, hi = ix->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(ix->e[mid].path, path);

		if (!c)
			return &ix->e[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Start `git cat-file --batch` with both ends piped. */
static int start_batch(struct cg_git_index *ix)
{
	const char *argv[] = {"git",	  "-C",	     ix->root,
			      "cat-file", "--batch", NULL};
	posix_spawn_file_actions_t fa;
	int to[2], from[2], devnull, err;

	ix->started = true;
	if (pipe(to) < 0)
		return -1;
	if (pipe(from) < 0) {
		close(to[0]);
		close(to[1]);
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, to[0], 0);
	posix_spawn_file_actions_adddup2(&fa, from[1], 1);
	devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (devnull >= 0)
		posix_spawn_file_actions_adddup2(&fa, devnull, 2);
	posix_spawn_file_actions_addclose(&fa, to[1]);
	posix_spawn_file_actions_addclose(&fa, from[0]);
	err = posix_spawnp(&ix->pid, cg_program_path("git"), &fa, NULL,
			   (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(to[0]);
	close(from[1]);
	if (devnull >= 0)
		close(devnull);
	fcntl(to[1], F_SETFD, FD_CLOEXEC);
	fcntl(from[0], F_SETFD, FD_CLOEXEC);
	if (err || !(ix->in = fdopen(to[1], "w")) ||
	    !(ix->out = fdopen(from[0], "r"))) {
		if (ix->in)
			fclose(ix->in);
		else
			close(to[1]);
		close(from[0]);
		ix->in = NULL;
		if (!err)
			waitpid(ix->pid, NULL, 0);
		ix->pid = 0;
		return -1;
	}
	return 0;
}

/*
 * The blob `id` into `out` (at most `max` bytes: a larger one is read past
 * and CG_ELIMIT returned); with `id` NULL, the answer to a request written
 * already. Under ix->lock: the workers of check --jobs share the process.
 */
static int read_blob(struct cg_git_index *ix, const char *id, size_t max,
		     struct cg_buf *out, size_t *size)
{
	char head[160], type[16];
	unsigned long long len;
	int err = 0;

	if (!ix->started && start_batch(ix) < 0)
		ix->broken = true;
	if (ix->broken)
		return CG_EIO;
	if ((id && (fprintf(ix->in, "%s\n", id) < 0 || fflush(ix->in) != 0)) ||
	    !fgets(head, sizeof(head), ix->out)) {
		ix->broken = true;
		return CG_EIO;
	}
	/* "<id> missing": an object the index names but the store lacks
	 * (a damaged or partial clone): that file only */
	if (sscanf(head, "%*s %15s", type) == 1 && !strcmp(type, "missing"))
		return CG_ENOTFOUND;
	if (sscanf(head, "%*s %15s %llu", type, &len) != 2) {
		ix->broken = true;
		return CG_EIO;
	}
	*size = (size_t)len;
	if (len > max)
		err = CG_ELIMIT;
	for (unsigned long long left = len + 1; left;) {
		char chunk[65536];
		size_t want =
		    left < sizeof(chunk) ? (size_t)left : sizeof(chunk);
		size_t got = fread(chunk, 1, want, ix->out);

		if (!got) {
			ix->broken = true;
			return CG_EIO;
		}
		left -= got;
		/* the blob, without the newline cat-file ends it with */
		if (!err) {
			size_t body = got - (left ? 0 : 1);

			if (cg_buf_add(out, chunk, body) < 0)
				err = CG_ELIMIT;
		}
	}
	if (strcmp(type, "blob"))
		err = CG_ENOTFOUND;
	return err;
}

struct feed {
	struct cg_git_index *ix;
	struct entry **want;
	size_t n;
};

/* Write every wanted id to cat-file, while the caller reads the blobs. */
static void *feed_ids(void *arg)
{
	struct feed *f = arg;

	for (size_t i = 0; i < f->n; i++)
		if (fprintf(f->ix->in, "%s\n", f->want[i]->id) < 0)
			break;
	fflush(f->ix->in);
	return NULL;
}

void cg_git_index_prefetch(struct cg_git_index *ix, const char *const *paths,
			   size_t n, size_t max)
{
	struct feed f = {ix, cg_xcalloc(n ? n : 1, sizeof(*f.want)), 0};
	pthread_t tid;

	for (size_t i = 0; i < n; i++) {
		struct entry *e = (struct entry *)find(ix, paths[i]);

		if (e && !e->fetched)
			f.want[f.n++] = e;
	}
	pthread_mutex_lock(&ix->lock);
	if (f.n && !ix->started && start_batch(ix) < 0)
		ix->broken = true;
	/* ids go in on a thread of their own: written all at once from
	 * here, they could fill the pipe while cat-file waits for us to
	 * read what it wrote */
	if (f.n && !ix->broken &&
	    pthread_create(&tid, NULL, feed_ids, &f) == 0) {
		for (size_t i = 0; i < f.n && !ix->broken; i++) {
			struct entry *e = f.want[i];
			size_t size;

			cg_buf_init(&e->blob, 0);
			e->err = read_blob(ix, NULL, max, &e->blob, &size);
			e->fetched = true;
			if (e->err < 0 && e->err != CG_ELIMIT &&
			    e->err != CG_ENOTFOUND) {
				cg_buf_release(&e->blob); /* the pipe broke */
				e->fetched = false;
			}
		}
		pthread_join(tid, NULL);
	}
	pthread_mutex_unlock(&ix->lock);
	free(f.want);
}

int cg_git_index_read(struct cg_git_index *ix, const char *path, size_t max,
		      struct cg_buf *out, bool *symlink)
{
	struct entry *e = (struct entry *)find(ix, path);
	size_t size;
	int err;

	*symlink = false;
	if (!e)
		return CG_ENOTFOUND;
	*symlink = (e->mode & 0170000) == 0120000;
	cg_buf_init(out, 0);
	pthread_mutex_lock(&ix->lock);
	if (e->fetched) {
		/* read ahead: handed over, once */
		*out = e->blob;
		err = e->err;
		cg_buf_init(&e->blob, 0);
		e->fetched = false;
	} else {
		err = read_blob(ix, e->id, max, out, &size);
	}
	pthread_mutex_unlock(&ix->lock);
	if (err == CG_ELIMIT)
		err = cg_error_set(CG_ELIMIT,
				   "'%s' is larger than %zu bytes, skipped",
				   path, max);
	else if (err == CG_EIO)
		err = cg_error_set(CG_EIO,
				   "cannot read '%s' from the git index "
				   "(git cat-file failed)",
				   path);
	else if (err == CG_ENOTFOUND)
		err = cg_error_set(
		    CG_ESKIP,
		    "'%s' is staged, but git does not have its "
		    "content (a damaged or partial clone), skipped",
		    path);
	if (err < 0)
		cg_buf_release(out);
	return err;
}

void cg_git_index_close(struct cg_git_index *ix)
{
	if (!ix)
		return;
	if (ix->listing.fd >= 0) {
		struct cg_buf scratch = CG_BUF_INIT;

		if (cg_capture_finish(&ix->listing, &scratch) < 0)
			cg_error_clear();
		cg_buf_release(&scratch);
	}
	if (ix->in)
		fclose(ix->in); /* end of input: cat-file exits */
	if (ix->out)
		fclose(ix->out);
	if (ix->pid > 0)
		while (waitpid(ix->pid, NULL, 0) < 0 && errno == EINTR)
			;
	for (size_t i = 0; i < ix->n; i++) {
		if (!ix->paths_given)
			free(ix->e[i].path);
		if (ix->e[i].fetched)
			cg_buf_release(&ix->e[i].blob);
	}
	free(ix->e);
	free(ix->root);
	pthread_mutex_destroy(&ix->lock);
	free(ix);
}
