/* The git hooks of `ciguard hooks`; see hooks.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hooks/hooks.h"
#include "core/core.h"
#include "core/banned.h"

#define MARK "# ciguard-hook: "
#define CHAINED ".ciguard-chained"

const char *cg_hook_name(enum cg_hook h)
{
	return h == CG_HOOK_PRE_COMMIT ? "pre-commit" : "pre-push";
}

char *cg_hooks_dir(const char *dir)
{
	const char *argv[] = {"git",	    "-C",    dir, "rev-parse",
			      "--git-path", "hooks", NULL};
	struct cg_buf b = CG_BUF_INIT;
	char *out;

	if (cg_run_capture(argv, NULL, &b) != 0 || !b.len) {
		cg_buf_release(&b);
		cg_error_set(CG_EINVAL, "'%s' is not in a git repository", dir);
		return NULL;
	}
	while (b.len && (b.buf[b.len - 1] == '\n' || b.buf[b.len - 1] == '\r'))
		b.buf[--b.len] = '\0';
	/* relative to `dir` unless absolute */
	out = b.buf[0] == '/' ? cg_xstrdup(b.buf)
			      : cg_xasprintf("%s/%s", dir, b.buf);
	cg_buf_release(&b);
	return out;
}

/* `s` in single quotes for sh: ' becomes '\'' */
static void sh_quote(struct cg_buf *b, const char *s)
{
	cg_buf_addstr(b, "'");
	for (; *s; s++)
		if (*s == '\'')
			cg_buf_addstr(b, "'\\''");
		else
			cg_buf_add(b, s, 1);
	cg_buf_addstr(b, "'");
}

/* The text of our hook. */
static char *script(enum cg_hook h, const char *ciguard)
{
	const char *name = cg_hook_name(h);
	bool push = h == CG_HOOK_PRE_PUSH;
	struct cg_buf b = CG_BUF_INIT;

	cg_buf_addf(&b,
		    "#!/bin/sh\n" MARK "%s\n"
		    "# Installed by `ciguard hooks install`; `ciguard hooks "
		    "uninstall` removes it\n"
		    "# and puts back the hook that was here before, if any.\n"
		    "hook_dir=$(dirname -- \"$0\")\n"
		    "chained=\"$hook_dir/%s" CHAINED "\"\n",
		    name, name);
	if (push)
		/* git writes the refs to push on stdin: both hooks get them */
		cg_buf_addstr(
		    &b, "input=$(cat)\n"
			"if [ -x \"$chained\" ]; then\n"
			"\tif [ -n \"$input\" ]; then printf '%s\\n' "
			"\"$input\"; fi | \"$chained\" \"$@\" || exit $?\n"
			"fi\n");
	else
		cg_buf_addstr(&b, "if [ -x \"$chained\" ]; then\n"
				  "\t\"$chained\" \"$@\" || exit $?\n"
				  "fi\n");
	cg_buf_addstr(&b, "ciguard=");
	sh_quote(&b, ciguard);
	cg_buf_addf(
	    &b,
	    "\n"
	    "# GUI git clients run hooks with a short PATH: the path above "
	    "first\n"
	    "if [ ! -x \"$ciguard\" ]; then\n"
	    "\tciguard=$(command -v ciguard) || {\n"
	    "\t\techo \"ciguard: not found; skip this once with 'git %s "
	    "--no-verify', or run 'ciguard hooks uninstall'\" >&2\n"
	    "\t\texit 1\n"
	    "\t}\n"
	    "fi\n"
	    "\"$ciguard\" check%s || {\n"
	    "\tstatus=$?\n"
	    "\techo \"ciguard: %s blocked; skip this once with 'git %s "
	    "--no-verify', or suppress a finding with '# ciguard: "
	    "ignore[RULE] reason' on its line\" >&2\n"
	    "\texit $status\n"
	    "}\n",
	    push ? "push" : "commit", push ? "" : " --quick --staged",
	    push ? "push" : "commit", push ? "push" : "commit");
	return cg_buf_detach(&b, NULL);
}

/* The whole of `path` (a hook: small), or NULL. */
static char *read_all(const char *path)
{
	struct cg_buf b = CG_BUF_INIT;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	char chunk[4096];
	ssize_t n;

	if (fd < 0)
		return NULL;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0 && b.len < (1u << 20))
		cg_buf_add(&b, chunk, (size_t)n);
	close(fd);
	return cg_buf_detach(&b, NULL);
}

static bool is_ours(const char *path, enum cg_hook h)
{
	char *head = read_all(path), *mark;
	bool ours;

	if (!head)
		return false;
	mark = cg_xasprintf("\n" MARK "%s\n", cg_hook_name(h));
	ours = strstr(head, mark) != NULL;
	free(mark);
	free(head);
	return ours;
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* `dir` and the folders above it that are missing (core.hooksPath may
 * name a folder nobody made yet). */
static int mkdir_p(const char *dir)
{
	char *d = cg_xstrdup(dir);
	int rc = 0;

	for (char *p = d + 1; *p && !rc; p++)
		if (*p == '/') {
			*p = '\0';
			if (mkdir(d, 0777) < 0 && errno != EEXIST)
				rc = -1;
			*p = '/';
		}
	if (!rc && mkdir(d, 0777) < 0 && errno != EEXIST)
		rc = -1;
	free(d);
	return rc;
}

/* Write `text` to `path` through a temporary file and a rename. */
static int write_hook(const char *path, const char *text)
{
	char *tmp = cg_xasprintf("%s.ciguard-tmp", path);
	size_t len = strlen(text);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	int err = 0;

	if (fd < 0 || write(fd, text, len) != (ssize_t)len ||
	    fchmod(fd, 0755) < 0 || close(fd) < 0) {
		err = cg_error_set(CG_EIO, "cannot write '%s': %s", tmp,
				   strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(tmp);
	} else if (rename(tmp, path) < 0) {
		err = cg_error_set(CG_EIO, "cannot write '%s': %s", path,
				   strerror(errno));
		unlink(tmp);
	}
	free(tmp);
	return err;
}

int cg_hook_install(const char *dir, enum cg_hook h, const char *ciguard)
{
	char *path = cg_xasprintf("%s/%s", dir, cg_hook_name(h));
	char *chained = cg_xasprintf("%s" CHAINED, path);
	char *text = script(h, ciguard);
	int err = 0;

	if (mkdir_p(dir) < 0) {
		err = cg_error_set(CG_EIO, "cannot create '%s': %s", dir,
				   strerror(errno));
		goto out;
	}
	if (exists(path) && is_ours(path, h)) {
		/* installed: rewritten only when it would differ (another
		 * ciguard path), so installing twice changes nothing */
		char *cur = read_all(path);

		if (!cur || strcmp(cur, text))
			err = write_hook(path, text);
		free(cur);
		goto out;
	}
	if (exists(path)) {
		/* a hook that is not ours: it runs first, from its new name */
		if (exists(chained)) {
			err = cg_error_set(CG_EINVAL,
					   "'%s' and '%s' both exist: move one "
					   "away, then install again",
					   path, chained);
			goto out;
		}
		if (rename(path, chained) < 0) {
			err = cg_error_set(CG_EIO, "cannot move '%s': %s", path,
					   strerror(errno));
			goto out;
		}
	}
	if ((err = write_hook(path, text)) < 0 && exists(chained) &&
	    !exists(path))
		rename(chained, path); /* as it was */
out:
	free(text);
	free(chained);
	free(path);
	return err;
}

int cg_hook_uninstall(const char *dir, enum cg_hook h)
{
	char *path = cg_xasprintf("%s/%s", dir, cg_hook_name(h));
	char *chained = cg_xasprintf("%s" CHAINED, path);
	int err = 0;

	if (!exists(path) || !is_ours(path, h))
		goto out; /* nothing of ours: nothing to do */
	if (exists(chained)) {
		if (rename(chained, path) < 0)
			err = cg_error_set(CG_EIO, "cannot restore '%s': %s",
					   path, strerror(errno));
	} else if (unlink(path) < 0) {
		err = cg_error_set(CG_EIO, "cannot remove '%s': %s", path,
				   strerror(errno));
	}
out:
	free(chained);
	free(path);
	return err;
}

void cg_hook_status(const char *dir, enum cg_hook h, struct cg_hook_status *out)
{
	char *chained;

	memset(out, 0, sizeof(*out));
	out->path = cg_xasprintf("%s/%s", dir, cg_hook_name(h));
	chained = cg_xasprintf("%s" CHAINED, out->path);
	if (exists(out->path)) {
		out->ours = is_ours(out->path, h);
		out->foreign = !out->ours;
		out->chained = out->ours && exists(chained);
	}
	free(chained);
}
