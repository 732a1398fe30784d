/*
 * File discovery. In a git work tree we ask git which files it would commit
 * (tracked + untracked-not-ignored), so .gitignore'd build output is never
 * checked; git is spawned directly (no shell, argv only). Elsewhere we walk
 * the tree ourselves without following symlinked directories, so a symlink
 * loop cannot trap the walk.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/core.h"
#include "core/banned.h"

extern char **environ;

#define CAPTURE_CAP (256u * 1024 * 1024)

/* Where PATH finds `git`, looked up once per process (NULL: not found,
 * let posix_spawnp say so). A spawn by name tries every PATH entry in
 * the child, an exec each: with ten entries before git's, that is most
 * of what starting it costs. */
static char *git_path;
static pthread_once_t git_once = PTHREAD_ONCE_INIT;

static void git_find(void)
{
	const char *path = getenv("PATH");

	while (path && *path) {
		const char *end = strchr(path, ':');
		size_t n = end ? (size_t)(end - path) : strlen(path);
		char *cand;

		if (n && path[0] == '/') {
			cand = cg_xasprintf("%.*s/git", (int)n, path);
			if (access(cand, X_OK) == 0) {
				git_path = cand;
				return;
			}
			free(cand);
		}
		path = end ? end + 1 : NULL;
	}
}

const char *cg_program_path(const char *name)
{
	if (strcmp(name, "git"))
		return name;
	pthread_once(&git_once, git_find);
	return git_path ? git_path : name;
}

int cg_spawn_piped(pid_t *out_pid, int *out_fd, const char *const argv[],
		   const struct cg_spawn_opts *opts)
{
	static const struct cg_spawn_opts defaults = {NULL, false, false};
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	int pipefd[2], err, devnull;
	char *const *args = (char *const *)argv;
	short flags = 0;

	if (!opts)
		opts = &defaults;
	*out_pid = 0;
	*out_fd = -1;
	if (pipe(pipefd) < 0)
		return cg_error_set(CG_EIO, "cannot create a pipe: %s",
				    strerror(errno));
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull >= 0)
		posix_spawn_file_actions_adddup2(&fa, devnull, 0);
	if (opts->stderr_too)
		posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
	else if (devnull >= 0)
		posix_spawn_file_actions_adddup2(&fa, devnull, 2);
	posix_spawn_file_actions_addclose(&fa, pipefd[0]);
	posix_spawn_file_actions_addclose(&fa, pipefd[1]);
	posix_spawnattr_init(&attr);
	if (opts->new_group) {
		sigset_t none, dfl;

		/* a program of its own: signals as a shell would start it
		 * with, whatever ciguard blocks or ignores */
		sigemptyset(&none);
		sigemptyset(&dfl);
		sigaddset(&dfl, SIGPIPE);
		sigaddset(&dfl, SIGINT);
		sigaddset(&dfl, SIGTERM);
		sigaddset(&dfl, SIGHUP);
		sigaddset(&dfl, SIGCHLD);
		posix_spawnattr_setpgroup(&attr, 0);
		posix_spawnattr_setsigmask(&attr, &none);
		posix_spawnattr_setsigdefault(&attr, &dfl);
		flags |= POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
			 POSIX_SPAWN_SETSIGDEF;
	}
	posix_spawnattr_setflags(&attr, flags);
	err = posix_spawnp(out_pid, cg_program_path(argv[0]), &fa, &attr, args,
			   opts->envp ? opts->envp : environ);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (devnull >= 0)
		close(devnull);
	fcntl(pipefd[0], F_SETFD, FD_CLOEXEC);
	if (err) {
		close(pipefd[0]);
		*out_pid = 0;
		return cg_error_set(CG_EIO, "cannot run '%s': %s", argv[0],
				    strerror(err));
	}
	*out_fd = pipefd[0];
	return 0;
}

int cg_capture_start(struct cg_capture *c, const char *const argv[])
{
	return cg_spawn_piped(&c->pid, &c->fd, argv, NULL);
}

int cg_capture_finish(struct cg_capture *c, struct cg_buf *out)
{
	int status, err = 0;

	if (c->fd < 0)
		return CG_EIO;
	for (;;) {
		char chunk[65536];
		ssize_t r = read(c->fd, chunk, sizeof(chunk));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (out->len + (size_t)r > CAPTURE_CAP) {
			err = CG_ELIMIT;
			kill(c->pid, SIGTERM);
			break;
		}
		cg_buf_add(out, chunk, (size_t)r);
	}
	close(c->fd);
	c->fd = -1;
	while (waitpid(c->pid, &status, 0) < 0)
		if (errno != EINTR)
			return cg_error_set(CG_EIO, "waitpid: %s",
					    strerror(errno));
	if (err)
		return cg_error_set(err,
				    "output of a git command is too large");
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

int cg_run_capture(const char *const argv[], const char *cwd,
		   struct cg_buf *out)
{
	struct cg_capture c;
	int err;

	/* glibc >= 2.29 has addchdir_np; cwd is passed as git -C instead */
	(void)cwd;
	if ((err = cg_capture_start(&c, argv)) < 0)
		return err;
	return cg_capture_finish(&c, out);
}

static void list_add(struct cg_file_list *l, const char *path)
{
	CG_GROW(l->paths, l->alloc, l->n + 1);
	l->paths[l->n++] = cg_xstrdup(path);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* `git ls-files -t` tags each path: "? " for an untracked one, a letter
 * (H, S, M, ...) for one in the index. */
static int from_git(struct cg_file_list *out, const char *root)
{
	const char *argv[] = {
	    "git", "-C",       root,	   "ls-files",		 "-z",
	    "-t",  "--cached", "--others", "--exclude-standard", NULL};
	struct cg_buf b = CG_BUF_INIT;
	int rc = cg_run_capture(argv, NULL, &b);

	if (rc != 0) {
		cg_buf_release(&b);
		return rc < 0 ? rc : CG_ENOTFOUND;
	}
	for (size_t i = 0; i < b.len;) {
		const char *entry = b.buf + i;
		size_t n = strlen(entry);

		i += n + 1;
		if (n < 3 || entry[1] != ' ')
			continue;
		list_add(out, entry + 2);
		if (entry[0] == '?') {
			CG_GROW(out->untracked, out->untracked_alloc,
				out->nuntracked + 1);
			out->untracked[out->nuntracked++] =
			    out->paths[out->n - 1];
		}
	}
	cg_buf_release(&b);
	return 0;
}

static bool skipped_dir(const char *name)
{
	return !strcmp(name, ".git") || !strcmp(name, "node_modules") ||
	       !strcmp(name, "vendor") || !strcmp(name, ".venv");
}

/* Iterative walk: a stack of relative directory paths. */
static int walk(struct cg_file_list *out, const char *root,
		void (*note)(void *, const char *), void *ctx)
{
	char **stack = NULL;
	size_t n = 0, alloc = 0;

	CG_GROW(stack, alloc, 1);
	stack[n++] = cg_xstrdup("");
	while (n) {
		char *rel = stack[--n];
		char *dirpath =
		    *rel ? cg_xasprintf("%s/%s", root, rel) : cg_xstrdup(root);
		DIR *d = opendir(dirpath);
		struct dirent *e;

		if (!d) {
			char *msg =
			    cg_xasprintf("cannot read folder '%s': %s",
					 *rel ? rel : ".", strerror(errno));
			note(ctx, msg);
			free(msg);
		}
		while (d && (e = readdir(d))) {
			char *child, *full;
			struct stat st;

			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			child = *rel ? cg_xasprintf("%s/%s", rel, e->d_name)
				     : cg_xstrdup(e->d_name);
			full = cg_xasprintf("%s/%s", root, child);
			if (lstat(full, &st) < 0) {
				free(child);
				free(full);
				continue;
			}
			if (S_ISDIR(st.st_mode)) {
				if (!skipped_dir(e->d_name)) {
					CG_GROW(stack, alloc, n + 1);
					stack[n++] = child;
					child = NULL;
				}
			} else if (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) {
				/* a symlink is listed; the loader decides
				 * (a dangling or looping one is a note) */
				list_add(out, child);
			}
			free(child);
			free(full);
		}
		if (d)
			closedir(d);
		free(dirpath);
		free(rel);
	}
	free(stack);
	return 0;
}

int cg_discover(struct cg_file_list *out, const char *root,
		void (*note)(void *ctx, const char *msg), void *note_ctx)
{
	struct stat st;
	int err;

	memset(out, 0, sizeof(*out));
	if (stat(root, &st) < 0)
		return cg_error_set(CG_ENOTFOUND, "cannot read '%s': %s", root,
				    strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return cg_error_set(CG_EINVAL, "'%s' is not a folder", root);
	if (access(root, R_OK | X_OK) < 0)
		return cg_error_set(CG_EIO, "cannot read '%s': %s", root,
				    strerror(errno));
	err = from_git(out, root);
	if (err == 0) {
		out->in_git = true;
	} else {
		cg_file_list_release(out);
		if ((err = walk(out, root, note, note_ctx)) < 0)
			return err;
	}
	if (out->n > 1)
		qsort(out->paths, out->n, sizeof(*out->paths), cmp_str);
	if (out->nuntracked > 1)
		qsort(out->untracked, out->nuntracked, sizeof(*out->untracked),
		      cmp_str);
	return 0;
}

/* ------------------------------------------------ the quick layer's */

/* Folders of installed packages and tool caches: never walked for
 * untracked files (their tracked files come from the index). */
static bool cache_dir(const char *name)
{
	static const char *const names[] = {
	    "node_modules",  ".venv",	    "venv",
	    "__pycache__",   ".tox",	    ".mypy_cache",
	    ".pytest_cache", ".ruff_cache", NULL};

	for (size_t i = 0; names[i]; i++)
		if (!strcmp(name, names[i]))
			return true;
	return false;
}

struct wanted_walk {
	bool (*want)(void *ctx, const char *path);
	void *ctx;
	char path[PATH_MAX];
	struct cg_file_list *found;
	unsigned depth;
};

/* Folder fd is the work tree of another repository, which git lists as
 * one entry and does not look into: `.git` is a file (a submodule, a
 * worktree) or a folder with a HEAD. */
static bool other_repo(int fd)
{
	struct stat st;

	if (fstatat(fd, ".git", &st, AT_SYMLINK_NOFOLLOW) != 0)
		return false;
	if (!S_ISDIR(st.st_mode))
		return S_ISREG(st.st_mode);
	return fstatat(fd, ".git/HEAD", &st, 0) == 0;
}

/* The files under folder fd (at w->path, `len` bytes) that w->want
 * takes; folders holding `.git` are other repositories, left out. */
static void walk_wanted(struct wanted_walk *w, int fd, size_t len)
{
	DIR *d = fdopendir(fd);
	struct dirent *e;

	if (!d) {
		close(fd);
		return;
	}
	while ((e = readdir(d))) {
		const char *name = e->d_name;
		size_t nl = strlen(name);
		unsigned char type = e->d_type;

		if (name[0] == '.' &&
		    (!name[1] || (name[1] == '.' && !name[2]) ||
		     !strcmp(name, ".git")))
			continue;
		if (len + nl + 2 > sizeof(w->path))
			continue;
		if (type == DT_UNKNOWN) {
			struct stat st;

			if (fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW))
				continue;
			type = S_ISDIR(st.st_mode)   ? DT_DIR
			       : S_ISLNK(st.st_mode) ? DT_LNK
			       : S_ISREG(st.st_mode) ? DT_REG
						     : DT_UNKNOWN;
		}
		memcpy(w->path + len, name, nl + 1);
		if (type == DT_DIR) {
			int sub;

			if (cache_dir(name) || w->depth >= 64)
				continue;
			sub = openat(dirfd(d), name,
				     O_RDONLY | O_DIRECTORY | O_CLOEXEC |
					 O_NOFOLLOW);
			if (sub < 0)
				continue;
			if (other_repo(sub)) {
				close(sub);
				continue;
			}
			w->path[len + nl] = '/';
			w->depth++;
			walk_wanted(w, sub, len + nl + 1);
			w->depth--;
		} else if ((type == DT_REG || type == DT_LNK) &&
			   w->want(w->ctx, w->path)) {
			list_add(w->found, w->path);
		}
	}
	closedir(d);
}

/* Sort out->paths unless they already are. */
static void sort_paths(struct cg_file_list *out)
{
	for (size_t i = 1; i < out->n; i++)
		if (strcmp(out->paths[i - 1], out->paths[i]) > 0) {
			qsort(out->paths, out->n, sizeof(*out->paths), cmp_str);
			return;
		}
}

#define ASK_MAX 512 /* paths on one git command line */

int cg_git_untracked(const char *root, const char *const *paths, size_t n,
		     struct cg_buf *out)
{
	const char **argv = cg_xcalloc(n + 10, sizeof(*argv));
	size_t a = 0;
	int rc;

	argv[a++] = "git";
	argv[a++] = "--literal-pathspecs";
	argv[a++] = "-C";
	argv[a++] = root;
	argv[a++] = "ls-files";
	argv[a++] = "-z";
	argv[a++] = "--others";
	argv[a++] = "--exclude-standard";
	argv[a++] = "--";
	for (size_t i = 0; n <= ASK_MAX && i < n; i++)
		argv[a++] = paths[i];
	rc = cg_run_capture(argv, NULL, out);
	free(argv);
	return rc;
}

/* Which of `cand` (sorted) git lists as untracked and not ignored: added
 * to out (paths and untracked). */
static void add_untracked(struct cg_file_list *out, const char *root,
			  struct cg_file_list *cand)
{
	struct cg_buf b = CG_BUF_INIT;

	if (!cand->n)
		return;
	if (cg_git_untracked(root, (const char *const *)cand->paths, cand->n,
			     &b) != 0) {
		cg_error_clear();
		cg_buf_release(&b);
		return;
	}
	for (size_t i = 0; i < b.len;) {
		const char *p = b.buf + i;
		size_t n = strlen(p);

		i += n + 1;
		if (!n || !bsearch(&p, cand->paths, cand->n,
				   sizeof(*cand->paths), cmp_str))
			continue;
		list_add(out, p);
		CG_GROW(out->untracked, out->untracked_alloc,
			out->nuntracked + 1);
		out->untracked[out->nuntracked++] = out->paths[out->n - 1];
	}
	cg_buf_release(&b);
}

void cg_discover_wanted_start(struct cg_capture *cap, const char *root)
{
	const char *argv[] = {"git", "-C",	 root, "ls-files",
			      "-z",  "--cached", NULL};

	if (cg_capture_start(cap, argv) < 0) {
		cg_error_clear();
		cap->fd = -1;
	}
}

int cg_discover_wanted(struct cg_file_list *out, struct cg_capture *cap,
		       const char *root,
		       bool (*want)(void *ctx, const char *path), void *ctx,
		       void (*note)(void *ctx, const char *msg), void *note_ctx)
{
	struct cg_file_list disk = {0}, cand = {0};
	struct wanted_walk *w;
	struct cg_buf b = CG_BUF_INIT;
	int fd, rc;

	memset(out, 0, sizeof(*out));
	if (cap->fd < 0)
		return cg_discover(out, root, note, note_ctx);
	/* while git reads the index: the wanted files on disk */
	w = cg_xcalloc(1, sizeof(*w));
	w->want = want;
	w->ctx = ctx;
	w->found = &disk;
	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0)
		walk_wanted(w, fd, 0);
	free(w);
	rc = cg_capture_finish(cap, &b);
	if (rc != 0) {
		cg_buf_release(&b);
		cg_file_list_release(&disk);
		cg_error_clear();
		return cg_discover(out, root, note, note_ctx);
	}
	out->in_git = true;
	out->partial = true;
	for (size_t i = 0; i < b.len;) {
		size_t n = strlen(b.buf + i);

		if (n && (!out->n || strcmp(out->paths[out->n - 1], b.buf + i)))
			list_add(out, b.buf + i); /* a merge lists a path
						     once per stage */
		i += n + 1;
	}
	cg_buf_release(&b);
	sort_paths(out); /* git lists the index sorted: a check */
	/* the wanted files git does not track: untracked or ignored? */
	for (size_t i = 0; i < disk.n; i++)
		if (!out->n || !bsearch(&disk.paths[i], out->paths, out->n,
					sizeof(*out->paths), cmp_str))
			list_add(&cand, disk.paths[i]);
	cg_file_list_release(&disk);
	sort_paths(&cand);
	add_untracked(out, root, &cand);
	cg_file_list_release(&cand);
	sort_paths(out);
	if (out->nuntracked > 1)
		qsort(out->untracked, out->nuntracked, sizeof(*out->untracked),
		      cmp_str);
	return 0;
}

void cg_file_list_release(struct cg_file_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->paths[i]);
	free(l->paths);
	free(l->untracked);
	memset(l, 0, sizeof(*l));
}
