/*
 * proc:PATTERN and pid:FILE, read from /proc (Linux).
 *
 * proc: scans /proc/[0-9]* for a live process (state not Z or X in
 * /proc/PID/stat) whose command line, its NUL separators read as spaces,
 * contains PATTERN. The waiter must not find itself: our own process, every
 * ancestor (the shell that ran us, `timeout`, `sh -c "ciguard wait ..."`)
 * and any other process whose command line holds the target itself
 * ("proc:PATTERN", another waiter) are skipped.
 *
 * pid: reads the pid in FILE (a daemon may still be writing it, so bad
 * content is "not yet", like a missing file) and asks kill(pid, 0) whether
 * it exists, then /proc whether it is a zombie.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "probe/probe.h"
#include "probe/probe_int.h"
#include "core/banned.h"

#define CMDLINE_CAP (256 * 1024)
#define MAX_ANCESTORS 64

struct proc_state {
	const char *pattern; /* inside p->target */
	char *waiter;	     /* "proc:PATTERN": a command line that waits */
	struct cg_buf cmdline;
};

struct pid_state {
	const char *path; /* inside p->target */
};

/*
 * Read /proc/PID/FILE into b (replacing its contents), at most b's cap.
 * 0, or -1 when the process is gone or the file unreadable.
 */
static int read_proc_file(struct cg_buf *b, long pid, const char *file)
{
	char path[64], chunk[4096];
	int fd;
	ssize_t n;

	cg_buf_reset(b);
	snprintf(path, sizeof(path), "/proc/%ld/%s", pid, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			close(fd);
			return -1;
		}
		if (cg_buf_add(b, chunk, (size_t)n) < 0)
			break; /* over the cap: what we have will do */
	}
	close(fd);
	return 0;
}

/*
 * State letter and parent of `pid` from /proc/PID/stat ("pid (comm) S ppid
 * ..."; comm may hold spaces and parentheses, so parse after the last ')').
 * Returns the state, or 0 when the process is gone.
 */
static char proc_stat(long pid, long *out_ppid)
{
	struct cg_buf b;
	char state = 0, *rp, *end;

	cg_buf_init(&b, 4096);
	if (read_proc_file(&b, pid, "stat") == 0 &&
	    (rp = strrchr(b.buf, ')')) != NULL && rp[1] == ' ' && rp[2]) {
		state = rp[2];
		if (out_ppid) {
			*out_ppid = strtol(rp + 3, &end, 10);
			if (end == rp + 3)
				*out_ppid = 0;
		}
	}
	cg_buf_release(&b);
	return state;
}

static bool is_dead_state(char state)
{
	return state == 0 || state == 'Z' || state == 'X' || state == 'x';
}

static int proc_init(struct cg_probe *p, char *err, size_t errlen)
{
	struct proc_state *st = cg_xcalloc(1, sizeof(*st));

	p->state = st;
	st->pattern = p->target + strlen("proc:");
	st->waiter = cg_xasprintf("proc:%s", st->pattern);
	cg_buf_init(&st->cmdline, CMDLINE_CAP);
	if (!*st->pattern) {
		snprintf(err, errlen, "proc: needs a pattern (proc:PATTERN)");
		return -1;
	}
	return 0;
}

/* Our own pid and every ancestor's, up to init. */
static size_t our_lineage(long *out, size_t max)
{
	size_t n = 0;
	long pid = (long)getpid();

	while (pid > 0 && n < max) {
		long ppid = 0;

		out[n++] = pid;
		if (!proc_stat(pid, &ppid))
			break;
		pid = ppid;
	}
	/* /proc unreadable: getppid() still names the parent shell */
	if (n == 1 && n < max)
		out[n++] = (long)getppid();
	return n;
}

/*
 * Scan /proc for live processes whose command line (NULs read as spaces)
 * contains `pattern` and not `exclude` (NULL: nothing excluded), leaving
 * out our own lineage. Up to `max` pids into `out`; the number found (at
 * most max), or -1 when /proc cannot be read. `cmdline` is scratch.
 */
static int proc_scan(const char *pattern, const char *exclude,
		     struct cg_buf *cmdline, long *out, size_t max)
{
	long lineage[MAX_ANCESTORS];
	size_t nlineage = our_lineage(lineage, MAX_ANCESTORS), found = 0;
	struct dirent *de;
	DIR *dir = opendir("/proc");

	if (!dir)
		return -1;
	while (found < max && (de = readdir(dir)) != NULL) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		bool ours = false;

		if (!isdigit((unsigned char)de->d_name[0]) || *end || pid <= 0)
			continue;
		for (size_t i = 0; i < nlineage && !ours; i++)
			ours = lineage[i] == pid;
		if (ours || read_proc_file(cmdline, pid, "cmdline") < 0 ||
		    !cmdline->len)
			continue;
		/* argv is NUL-separated and NUL-terminated */
		if (cmdline->buf[cmdline->len - 1] == '\0')
			cmdline->buf[--cmdline->len] = '\0';
		for (size_t i = 0; i < cmdline->len; i++)
			if (cmdline->buf[i] == '\0')
				cmdline->buf[i] = ' ';
		if (!strstr(cmdline->buf, pattern) ||
		    (exclude && strstr(cmdline->buf, exclude)))
			continue;
		/* a zombie's command line is empty; this catches the rest */
		if (is_dead_state(proc_stat(pid, NULL)))
			continue;
		out[found++] = pid;
	}
	closedir(dir);
	return (int)found;
}

static enum cg_probe_result proc_attempt(struct cg_probe *p, int timeout_ms)
{
	struct proc_state *st = p->state;
	long pid;
	int n = proc_scan(st->pattern, st->waiter, &st->cmdline, &pid, 1);

	if (n < 0)
		return cg_probe_fail(p, CG_PROBE_NOT_READY,
				     "cannot read '/proc': %s",
				     strerror(errno));
	if (n > 0)
		return CG_PROBE_READY;
	return cg_probe_fail(p, CG_PROBE_NOT_READY,
			     "no running process matches '%s' (ciguard, its "
			     "parents and other waiters excluded)",
			     st->pattern);
}

int cg_proc_find(const char *pattern, long *out, size_t max)
{
	struct cg_buf cmdline;
	int n;

	if (!pattern || !*pattern)
		return 0;
	cg_buf_init(&cmdline, CMDLINE_CAP);
	n = proc_scan(pattern, NULL, &cmdline, out, max);
	cg_buf_release(&cmdline);
	return n;
}

int cg_proc_getenv(long pid, const char *name, struct cg_buf *out)
{
	struct cg_buf env;
	size_t len = strlen(name);
	int rc = 0;

	cg_buf_init(&env, CMDLINE_CAP);
	if (read_proc_file(&env, pid, "environ") < 0) {
		rc = -1;
		goto out;
	}
	/* NAME=VALUE entries, each NUL-terminated */
	for (size_t i = 0; i < env.len;) {
		const char *e = env.buf + i;
		size_t n = strnlen(e, env.len - i);

		if (n > len && !strncmp(e, name, len) && e[len] == '=') {
			cg_buf_reset(out);
			cg_buf_add(out, e + len + 1, n - len - 1);
			rc = 1;
			break;
		}
		i += n + 1;
	}
out:
	cg_buf_release(&env);
	return rc;
}

static void proc_release(struct cg_probe *p)
{
	struct proc_state *st = p->state;

	if (!st)
		return;
	cg_buf_release(&st->cmdline);
	free(st->waiter);
	free(st);
}

const struct cg_probe_kind cg_probe_proc = {"proc:", proc_init, proc_attempt,
					    proc_release};

/* ------------------------------------------------------------------ pid */

static int pid_init(struct cg_probe *p, char *err, size_t errlen)
{
	struct pid_state *st = cg_xcalloc(1, sizeof(*st));

	p->state = st;
	st->path = p->target + strlen("pid:");
	if (!*st->path) {
		snprintf(err, errlen, "pid: needs a file (pid:FILE)");
		return -1;
	}
	return 0;
}

/* `s` as a printable excerpt for a message. */
static void printable(char *out, size_t outlen, const char *s, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n && o + 1 < outlen; i++)
		out[o++] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	out[o] = '\0';
}

static enum cg_probe_result pid_attempt(struct cg_probe *p, int timeout_ms)
{
	struct pid_state *st = p->state;
	char text[64], shown[32], *start, *stop, *end;
	ssize_t n;
	long pid;
	char state;
	int fd = cg_probe_open(p, st->path);

	if (fd < 0)
		return CG_PROBE_NOT_READY;
	do
		n = read(fd, text, sizeof(text) - 1);
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n < 0)
		return cg_probe_fail(p, CG_PROBE_NOT_READY,
				     "cannot read '%s': %s", st->path,
				     strerror(errno));
	text[n] = '\0';
	start = text;
	while (isspace((unsigned char)*start))
		start++;
	stop = text + n;
	while (stop > start && isspace((unsigned char)stop[-1]))
		*--stop = '\0';
	if (start == stop)
		return cg_probe_fail(p, CG_PROBE_NOT_READY, "'%s' is empty",
				     st->path);
	errno = 0;
	pid = strtol(start, &end, 10);
	if (!isdigit((unsigned char)*start) || end != stop || errno ||
	    pid <= 0 || pid > 0x7fffffffL) {
		printable(shown, sizeof(shown), start, (size_t)(stop - start));
		return cg_probe_fail(p, CG_PROBE_NOT_READY,
				     "'%s' does not hold a pid: \"%s\"",
				     st->path, shown);
	}
	if (kill((pid_t)pid, 0) < 0 && errno != EPERM)
		return cg_probe_fail(p, CG_PROBE_NOT_READY,
				     "process %ld (from '%s') is not running",
				     pid, st->path);
	state = proc_stat(pid, NULL);
	if (state == 'Z' || state == 'X' || state == 'x')
		return cg_probe_fail(p, CG_PROBE_NOT_READY,
				     "process %ld (from '%s') has exited "
				     "(zombie)",
				     pid, st->path);
	return CG_PROBE_READY;
}

static void pid_release(struct cg_probe *p)
{
	free(p->state);
}

const struct cg_probe_kind cg_probe_pid = {"pid:", pid_init, pid_attempt,
					   pid_release};
