/*
 * File discovery. In a git work tree we ask git which files it would commit
 * (tracked + untracked-not-ignored), so .gitignore'd build output is never
 * checked; git is spawned directly (no shell, argv only). Elsewhere we walk
 * the tree ourselves without following symlinked directories, so a symlink
 * loop cannot trap the walk.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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

int cg_capture_start(struct cg_capture *c, const char *const argv[])
{
	posix_spawn_file_actions_t fa;
	int pipefd[2], err, devnull;
	char *const *args = (char *const *)argv;

	c->pid = 0;
	c->fd = -1;
	if (pipe(pipefd) < 0)
		return cg_error_set(CG_EIO, "cannot create a pipe: %s",
				    strerror(errno));
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	posix_spawn_file_actions_addclose(&fa, pipefd[0]);
	posix_spawn_file_actions_addclose(&fa, pipefd[1]);
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull >= 0) {
		posix_spawn_file_actions_adddup2(&fa, devnull, 0);
		posix_spawn_file_actions_adddup2(&fa, devnull, 2);
	}
	err = posix_spawnp(&c->pid, argv[0], &fa, NULL, args, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (devnull >= 0)
		close(devnull);
	fcntl(pipefd[0], F_SETFD, FD_CLOEXEC);
	if (err) {
		close(pipefd[0]);
		c->pid = 0;
		return cg_error_set(CG_EIO, "cannot run '%s': %s", argv[0],
				    strerror(err));
	}
	c->fd = pipefd[0];
	return 0;
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

void cg_file_list_release(struct cg_file_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->paths[i]);
	free(l->paths);
	free(l->untracked);
	memset(l, 0, sizeof(*l));
}
