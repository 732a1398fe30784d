/*
 * `ciguard flaky -n N [--parallel K] [--timeout D] [--until-fail] --
 * COMMAND...`: is it our change or a flake? Run COMMAND N times, K at a
 * time, and compare.
 *
 * Each run is started by cg_spawn_piped in a process group of its own,
 * stdin from /dev/null, stdout and stderr into one pipe of which only the
 * tail is kept (the last TAIL_KEEP bytes; the last 40 lines are shown).
 * It sees CIGUARD_FLAKY_RUN (1..N) and CIGUARD_FLAKY_RUNS (N) in its
 * environment.
 *
 * One loop, no threads: poll() over the pipes and a self-pipe that the
 * SIGCHLD/SIGINT/SIGTERM/SIGHUP handlers write to. A run's end is seen
 * with waitid(WNOWAIT) before it is reaped, so its process group is
 * signalled while its pgid cannot yet be reused: whatever the run left
 * behind in its group gets SIGTERM, then SIGKILL after GRACE_MS. At
 * --timeout the whole group gets SIGTERM, then SIGKILL after GRACE_MS;
 * a timed-out run is a failure. A run is over when its group is empty.
 * On Linux ciguard is the subreaper of what its runs leave behind, so an
 * orphan of a run is reaped here and "its group is empty" is true once
 * the processes are gone, whatever the system's init does.
 *
 * Failures are grouped by how the run ended (exit status, signal,
 * timeout) and the last 40 lines of output after cg_normalize_output.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <jansson.h>

#include "cli/cli.h"
#include "cli/opt.h"
#include "core/core.h"
#include "core/banned.h"

#define TAIL_LINES 40
#define TAIL_KEEP (64 * 1024) /* bytes of output kept per run */
#define LINE_MAX_SHOWN 500    /* a longer line is cut */
#define GRACE_MS 2000	      /* SIGTERM -> SIGKILL */
#define GIVE_UP_MS 2000	      /* after SIGKILL, stop waiting for the group */
#define MAX_RUNS 100000
#define MAX_PARALLEL 256
#define DEFAULT_RUNS 10
#define DEFAULT_TIMEOUT_MS (10L * 60 * 1000)

extern char **environ;

enum {
	OPT_RUNS,
	OPT_PARALLEL,
	OPT_TIMEOUT,
	OPT_UNTIL_FAIL,
	OPT_JSON,
	OPT_QUIET,
};

static const struct cli_opt options[] = {
    {"runs", 'n', "N", "run COMMAND N times (default 10)", OPT_RUNS},
    {"parallel", 'j', "K", "K runs at a time (default 1)", OPT_PARALLEL},
    {"timeout", 0, "D",
     "kill a run's process group after D (default 10m;\n0: no limit); a "
     "run that timed out failed",
     OPT_TIMEOUT},
    {"until-fail", 0, NULL,
     "start no new run after the first failure (runs\nalready started "
     "finish)",
     OPT_UNTIL_FAIL},
    {"json", 0, NULL, "print the report as JSON (schema: README)", OPT_JSON},
    {"quiet", 'q', NULL, "no progress on stderr", OPT_QUIET},
};

const struct cli_spec cli_flaky_spec = {
    .cmd = "flaky",
    .head = "usage: ciguard flaky [-n N] [--parallel K] [--timeout D] "
	    "[--until-fail] [--json]\n"
	    "                     -- COMMAND [ARGS...]\n"
	    "\n"
	    "Run COMMAND N times and tell a flaky test from a broken one: "
	    "pass/fail\ncounts, the spread of durations, and each distinct "
	    "failure once. COMMAND\nis run directly, not through a shell "
	    "(write sh -c '...' for one), each run\nin a process group of its "
	    "own with stdin from /dev/null and the variables\n"
	    "CIGUARD_FLAKY_RUN (1..N) and CIGUARD_FLAKY_RUNS (N) set. What a "
	    "run leaves\nrunning in its group is killed when it ends.\n"
	    "\n"
	    "Failures are grouped by how the run ended and its last 40 lines "
	    "of output,\nwith times, dates, pids, 0x addresses, temporary "
	    "paths, durations and UUIDs\nreplaced by <TIME>, <PID>, <ADDR>, "
	    "<TMP>, <DURATION>, <UUID>.\n"
	    "\n",
    .opts = options,
    .nopts = sizeof(options) / sizeof(*options),
    .column = 22,
    .tail = "\n"
	    "Durations: 500ms, 10s, 2m, 1h (a bare number is seconds).\n"
	    "exit status: 0 every run passed, 1 flaky (some passed, some "
	    "failed),\n2 every run failed (broken, not flaky) or bad usage, "
	    "128+N interrupted by\nsignal N.\n",
};

enum run_state { RUN_WAITING, RUN_RUNNING, RUN_ENDING, RUN_DONE };

struct run {
	int index; /* 1-based */
	enum run_state state;
	pid_t pgid; /* the leader's pid, = its process group */
	int fd;	    /* the output pipe; -1 once closed */
	long start_ms, end_ms;
	long kill_at;	 /* SIGKILL the group then (0: not planned) */
	long give_up_at; /* after SIGKILL: stop waiting (0: not yet) */
	int status;	 /* wait status of the leader */
	bool timed_out, interrupted;
	struct cg_buf out; /* the tail of the output */
	int failure;	   /* index into the failure groups; -1 */
};

struct failure {
	char *how;   /* "exit status 1", "killed by SIGSEGV", "timed out" */
	char *lines; /* normalised tail, '\n'-separated */
	size_t count;
	int exit_code, signal; /* -1 when not that */
	bool timed_out;
	int first_run;
};

struct flaky {
	char **command;
	int nruns, parallel;
	long timeout_ms;
	bool until_fail, json, quiet;
	bool progress_tty;
	struct run *runs;
	struct failure *failures;
	size_t nfailures, failures_alloc;
	int started, finished, passed, failed, timed_out, running;
	bool stop;
	long last_draw_ms;
};

static volatile sig_atomic_t got_signal;
static int wake_pipe[2] = {-1, -1};

static void on_signal(int sig)
{
	int saved = errno;

	if (sig != SIGCHLD)
		got_signal = sig;
	if (wake_pipe[1] >= 0)
		(void)!write(wake_pipe[1], "", 1);
	errno = saved;
}

static void set_handlers(void (*fn)(int))
{
	static const int sigs[] = {SIGCHLD, SIGINT, SIGTERM, SIGHUP};
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = fn == SIG_DFL ? 0 : SA_NOCLDSTOP;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(*sigs); i++)
		sigaction(sigs[i], &sa, NULL);
}

/* ---------------------------------------------------------------- output */

static void keep_output(struct run *r, const char *data, size_t n)
{
	if (n >= TAIL_KEEP) {
		data += n - TAIL_KEEP;
		n = TAIL_KEEP;
	}
	if (r->out.len + n > 2 * TAIL_KEEP) {
		size_t keep = TAIL_KEEP - n;

		memmove(r->out.buf, r->out.buf + r->out.len - keep, keep);
		r->out.len = keep;
		r->out.buf[keep] = '\0';
	}
	cg_buf_add(&r->out, data, n);
}

/* Read what is there; close at end of file. */
static void drain(struct run *r)
{
	char chunk[16384];

	while (r->fd >= 0) {
		ssize_t n = read(r->fd, chunk, sizeof(chunk));

		if (n > 0) {
			keep_output(r, chunk, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		close(r->fd);
		r->fd = -1;
	}
}

/*
 * The last TAIL_LINES lines of a run's output as shown: what a terminal
 * would show of a line rewritten with \r, NUL bytes as '?', a long line
 * cut, bytes that are not UTF-8 as '?', so that JSON can carry it.
 */
static char *output_tail(const struct cg_buf *out)
{
	const char *s = out->buf, *end = s + out->len, *from;
	struct cg_buf b = CG_BUF_INIT;
	int lines = 0;

	while (end > s && end[-1] == '\n')
		end--;
	from = end;
	while (from > s) {
		if (from[-1] == '\n' && ++lines == TAIL_LINES)
			break;
		from--;
	}
	while (from < end) {
		const char *nl = memchr(from, '\n', (size_t)(end - from));
		const char *le = nl ? nl : end, *ls = from, *cr;
		size_t n;

		if (le > ls && le[-1] == '\r')
			le--;
		for (cr = ls; cr < le; cr++)
			if (*cr == '\r')
				ls = cr + 1;
		n = (size_t)(le - ls);
		if (n > LINE_MAX_SHOWN) {
			n = LINE_MAX_SHOWN;
			while (n && ((unsigned char)ls[n] & 0xc0) == 0x80)
				n--;
		}
		if (cg_utf8_valid(ls, n)) {
			for (size_t i = 0; i < n; i++)
				cg_buf_addch(&b, ls[i] ? ls[i] : '?');
		} else {
			for (size_t i = 0; i < n; i++)
				cg_buf_addch(
				    &b, ls[i] && !(ls[i] & 0x80) ? ls[i] : '?');
		}
		if ((size_t)(le - ls) > n)
			cg_buf_addstr(&b, " [...]");
		cg_buf_addch(&b, '\n');
		from = nl ? nl + 1 : end;
	}
	return cg_buf_detach(&b, NULL);
}

/* ------------------------------------------------------------ the runs */

static const char *signal_name(int sig)
{
	static const struct {
		int sig;
		const char *name;
	} names[] = {
	    {SIGHUP, "SIGHUP"},	  {SIGINT, "SIGINT"},	{SIGQUIT, "SIGQUIT"},
	    {SIGILL, "SIGILL"},	  {SIGTRAP, "SIGTRAP"}, {SIGABRT, "SIGABRT"},
	    {SIGBUS, "SIGBUS"},	  {SIGFPE, "SIGFPE"},	{SIGKILL, "SIGKILL"},
	    {SIGUSR1, "SIGUSR1"}, {SIGSEGV, "SIGSEGV"}, {SIGUSR2, "SIGUSR2"},
	    {SIGPIPE, "SIGPIPE"}, {SIGALRM, "SIGALRM"}, {SIGTERM, "SIGTERM"},
	    {SIGXCPU, "SIGXCPU"}, {SIGXFSZ, "SIGXFSZ"}, {SIGSYS, "SIGSYS"},
	};
	static char other[24]; /* "signal " and any int */

	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
		if (names[i].sig == sig)
			return names[i].name;
	snprintf(other, sizeof(other), "signal %d", sig);
	return other;
}

static bool run_passed(const struct run *r)
{
	return !r->timed_out && WIFEXITED(r->status) &&
	       WEXITSTATUS(r->status) == 0;
}

/* The environment of run i: ours, with CIGUARD_FLAKY_RUN(S) set. */
static char **run_env(int index, int nruns, char *own[2])
{
	size_t n = 0, k = 0;
	char **env;

	while (environ[n])
		n++;
	env = cg_xcalloc(n + 3, sizeof(*env));
	for (size_t i = 0; i < n; i++)
		if (!cg_starts_with(environ[i], "CIGUARD_FLAKY_RUN=") &&
		    !cg_starts_with(environ[i], "CIGUARD_FLAKY_RUNS="))
			env[k++] = environ[i];
	own[0] = cg_xasprintf("CIGUARD_FLAKY_RUN=%d", index);
	own[1] = cg_xasprintf("CIGUARD_FLAKY_RUNS=%d", nruns);
	env[k++] = own[0];
	env[k++] = own[1];
	return env;
}

static int start_run(struct flaky *f, struct run *r)
{
	struct cg_spawn_opts so = {.new_group = true, .stderr_too = true};
	char *own[2];
	char **env = run_env(r->index, f->nruns, own);
	int err;

	so.envp = env;
	err = cg_spawn_piped(&r->pgid, &r->fd, (const char *const *)f->command,
			     &so);
	free(env);
	free(own[0]);
	free(own[1]);
	if (err < 0)
		return err;
	fcntl(r->fd, F_SETFL, fcntl(r->fd, F_GETFL) | O_NONBLOCK);
	r->state = RUN_RUNNING;
	r->start_ms = cg_now_ms();
	f->started++;
	f->running++;
	return 0;
}

/* Signal what is left of a run's group. */
static void signal_group(struct run *r, int sig)
{
	if (r->pgid > 0 && kill(-r->pgid, sig) < 0 && errno != ESRCH)
		kill(r->pgid, sig);
}

static void begin_kill(struct run *r, long now)
{
	signal_group(r, SIGTERM);
	if (!r->kill_at)
		r->kill_at = now + GRACE_MS;
}

static void record(struct flaky *f, struct run *r);
static void format_ms(char *out, size_t n, long ms);
static void log_run(struct flaky *f, const struct run *r);

/* Whether the run's group still has a process. */
static bool group_alive(const struct run *r)
{
	return kill(-r->pgid, 0) == 0 || errno == EPERM;
}

static void finish_run(struct flaky *f, struct run *r)
{
	drain(r);
	if (r->fd >= 0) {
		/* a process outside the group still holds the pipe */
		close(r->fd);
		r->fd = -1;
	}
	r->state = RUN_DONE;
	f->running--;
	if (!r->interrupted) {
		f->finished++;
		record(f, r);
		log_run(f, r);
		if (f->until_fail && !run_passed(r))
			f->stop = true;
	}
}

static struct run *run_by_pid(struct flaky *f, pid_t pid)
{
	for (int i = 0; i < f->started; i++)
		if (f->runs[i].state == RUN_RUNNING && f->runs[i].pgid == pid)
			return &f->runs[i];
	return NULL;
}

/* Reap every child that ended: run leaders, and orphans of runs. */
static void reap(struct flaky *f, long now)
{
	for (;;) {
		siginfo_t si;
		struct run *r;
		int status;

		memset(&si, 0, sizeof(si));
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 ||
		    si.si_pid == 0)
			return;
		r = run_by_pid(f, si.si_pid);
		if (r) {
			/* still a zombie: its pgid is not free yet */
			signal_group(r, SIGTERM);
		}
		while (waitpid(si.si_pid, &status, 0) < 0 && errno == EINTR)
			;
		if (!r)
			continue;
		r->status = status;
		r->end_ms = now;
		r->state = RUN_ENDING;
		if (!r->kill_at)
			r->kill_at = now + GRACE_MS;
	}
}

/* Timeouts, SIGKILLs due, and runs whose group is gone. */
static void step_runs(struct flaky *f, long now)
{
	for (int i = 0; i < f->started; i++) {
		struct run *r = &f->runs[i];

		if (r->state == RUN_RUNNING && f->timeout_ms &&
		    now - r->start_ms >= f->timeout_ms && !r->timed_out &&
		    !r->interrupted) {
			r->timed_out = true;
			begin_kill(r, now);
		}
		if (r->state != RUN_RUNNING && r->state != RUN_ENDING)
			continue;
		if (r->kill_at && now >= r->kill_at) {
			signal_group(r, SIGKILL);
			r->kill_at = 0;
			r->give_up_at = now + GIVE_UP_MS;
		}
		if (r->state == RUN_ENDING &&
		    (!group_alive(r) ||
		     (r->give_up_at && now >= r->give_up_at)))
			finish_run(f, r);
	}
}

/* Group a failed run with an equal one, or start a group. */
static void record(struct flaky *f, struct run *r)
{
	char *how, *tail, *lines;
	int code = -1, sig = -1;

	if (run_passed(r)) {
		f->passed++;
		r->failure = -1;
		return;
	}
	f->failed++;
	if (r->timed_out) {
		f->timed_out++;
		char d[32];

		format_ms(d, sizeof(d), f->timeout_ms);
		how = cg_xasprintf("timed out after %s", d);
	} else if (WIFEXITED(r->status)) {
		code = WEXITSTATUS(r->status);
		how = cg_xasprintf("exit status %d", code);
	} else {
		sig = WTERMSIG(r->status);
		how = cg_xasprintf("killed by %s", signal_name(sig));
	}
	tail = output_tail(&r->out);
	lines = cg_normalize_output(tail, strlen(tail), NULL);
	free(tail);
	for (size_t i = 0; i < f->nfailures; i++) {
		struct failure *g = &f->failures[i];

		if (!strcmp(g->how, how) && !strcmp(g->lines, lines)) {
			g->count++;
			if (r->index < g->first_run)
				g->first_run = r->index;
			r->failure = (int)i;
			free(how);
			free(lines);
			return;
		}
	}
	CG_GROW(f->failures, f->failures_alloc, f->nfailures + 1);
	f->failures[f->nfailures] = (struct failure){
	    .how = how,
	    .lines = lines,
	    .count = 1,
	    .exit_code = code,
	    .signal = sig,
	    .timed_out = r->timed_out,
	    .first_run = r->index,
	};
	r->failure = (int)f->nfailures++;
}

/* --------------------------------------------------------- progress */

static void format_ms(char *out, size_t n, long ms)
{
	if (ms < 1000)
		snprintf(out, n, "%ldms", ms);
	else if (ms < 60000)
		snprintf(out, n, "%.2fs", (double)ms / 1000);
	else if (ms % 60000 < 1000)
		snprintf(out, n, "%ldm", ms / 60000);
	else
		snprintf(out, n, "%ldm%02lds", ms / 60000, ms / 1000 % 60);
}

static void draw_progress(struct flaky *f, bool force)
{
	enum { WIDTH = 30 };
	long now = cg_now_ms();
	int done = f->finished, fill;
	char bar[WIDTH + 1];

	if (f->quiet || !f->progress_tty ||
	    (!force && now - f->last_draw_ms < 100))
		return;
	f->last_draw_ms = now;
	fill = f->nruns ? done * WIDTH / f->nruns : WIDTH;
	for (int i = 0; i < WIDTH; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[WIDTH] = '\0';
	fprintf(stderr, "\r\033[2K[%s] %d/%d  passed %d  failed %d  running %d",
		bar, done, f->nruns, f->passed, f->failed, f->running);
	fflush(stderr);
}

static void clear_progress(struct flaky *f)
{
	if (!f->quiet && f->progress_tty) {
		fputs("\r\033[2K", stderr);
		fflush(stderr);
	}
}

/* Not on a terminal (a CI log): one line per finished run. */
static void log_run(struct flaky *f, const struct run *r)
{
	char d[32];

	if (f->quiet || f->json || f->progress_tty)
		return;
	format_ms(d, sizeof(d), r->end_ms - r->start_ms);
	if (run_passed(r))
		fprintf(stderr, "ciguard: flaky: run %d/%d passed in %s\n",
			r->index, f->nruns, d);
	else
		fprintf(stderr, "ciguard: flaky: run %d/%d FAILED in %s: %s\n",
			r->index, f->nruns, d, f->failures[r->failure].how);
}

/* ---------------------------------------------------------- the loop */

static int run_all(struct flaky *f)
{
	struct pollfd *pfd = cg_xcalloc((size_t)f->parallel + 1, sizeof(*pfd));
	struct run **pr = cg_xcalloc((size_t)f->parallel + 1, sizeof(*pr));
	int next = 0, rc = 0, handled_signal = 0;

	for (;;) {
		long now = cg_now_ms(), wait_ms = -1;
		int np = 0, finished_before = f->finished;

		if (got_signal && got_signal != handled_signal) {
			/* first signal: SIGTERM every group; a second:
			 * SIGKILL */
			bool hard = handled_signal != 0;

			handled_signal = got_signal;
			f->stop = true;
			for (int i = 0; i < f->started; i++) {
				struct run *r = &f->runs[i];

				if (r->state != RUN_RUNNING &&
				    r->state != RUN_ENDING)
					continue;
				/* a run that ended has its result */
				if (r->state == RUN_RUNNING)
					r->interrupted = true;
				if (hard)
					r->kill_at = now;
				else
					begin_kill(r, now);
			}
		}
		while (!f->stop && next < f->nruns &&
		       f->running < f->parallel) {
			if ((rc = start_run(f, &f->runs[next])) < 0) {
				f->stop = true;
				for (int i = 0; i < f->started; i++)
					if (f->runs[i].state == RUN_RUNNING ||
					    f->runs[i].state == RUN_ENDING) {
						f->runs[i].interrupted = true;
						begin_kill(&f->runs[i], now);
					}
				break;
			}
			next++;
		}
		if (!f->running && (f->stop || next >= f->nruns))
			break;
		draw_progress(f, false);

		pfd[np].fd = wake_pipe[0];
		pfd[np++].events = POLLIN;
		for (int i = 0; i < f->started; i++) {
			struct run *r = &f->runs[i];
			long due = -1;

			if (r->state != RUN_RUNNING && r->state != RUN_ENDING)
				continue;
			if (r->fd >= 0) {
				pr[np] = r;
				pfd[np].fd = r->fd;
				pfd[np++].events = POLLIN;
			}
			if (r->state == RUN_RUNNING && f->timeout_ms &&
			    !r->timed_out)
				due = r->start_ms + f->timeout_ms;
			if (r->kill_at && (due < 0 || r->kill_at < due))
				due = r->kill_at;
			if (r->state == RUN_ENDING)
				/* leftovers: look again soon */
				due = now + 10;
			if (due >= 0) {
				long w = due > now ? due - now : 0;

				if (wait_ms < 0 || w < wait_ms)
					wait_ms = w;
			}
		}
		if (f->progress_tty && !f->quiet &&
		    (wait_ms < 0 || wait_ms > 100))
			wait_ms = 100;
		if (poll(pfd, (nfds_t)np, (int)wait_ms) > 0) {
			char junk[64];

			if (pfd[0].revents)
				while (read(wake_pipe[0], junk, sizeof(junk)) >
				       0)
					;
			for (int i = 1; i < np; i++)
				if (pfd[i].revents)
					drain(pr[i]);
		}
		now = cg_now_ms();
		reap(f, now);
		step_runs(f, now);
		if (f->finished != finished_before)
			draw_progress(f, true);
	}
	clear_progress(f);
	free(pfd);
	free(pr);
	return rc;
}

/* ---------------------------------------------------------- the report */

static bool is_failed_run(const struct run *r)
{
	return r->state == RUN_DONE && !r->interrupted && !run_passed(r);
}

static int cmp_first_run(const void *a, const void *b)
{
	const struct failure *x = a, *y = b;

	return (x->first_run > y->first_run) - (x->first_run < y->first_run);
}

/* Failures in the order of the first run that showed each, whatever
 * order parallel runs ended in. A group's first run is its own, so it
 * names the group while the array moves. */
static void sort_failures(struct flaky *f)
{
	if (!f->nfailures)
		return;
	for (int k = 0; k < f->nruns; k++)
		if (is_failed_run(&f->runs[k]))
			f->runs[k].failure =
			    f->failures[f->runs[k].failure].first_run;
	qsort(f->failures, f->nfailures, sizeof(*f->failures), cmp_first_run);
	for (int k = 0; k < f->nruns; k++) {
		if (!is_failed_run(&f->runs[k]))
			continue;
		for (size_t i = 0; i < f->nfailures; i++)
			if (f->failures[i].first_run == f->runs[k].failure) {
				f->runs[k].failure = (int)i;
				break;
			}
	}
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x > y) - (x < y);
}

/* min, median, max of the finished runs' durations; false if none. */
static bool spread(const struct flaky *f, long out[3])
{
	long *d = cg_xcalloc((size_t)f->nruns + 1, sizeof(*d));
	size_t n = 0;

	for (int i = 0; i < f->started; i++)
		if (f->runs[i].state == RUN_DONE && !f->runs[i].interrupted)
			d[n++] = f->runs[i].end_ms - f->runs[i].start_ms;
	if (n) {
		qsort(d, n, sizeof(*d), cmp_long);
		out[0] = d[0];
		out[1] = n % 2 ? d[n / 2] : (d[n / 2 - 1] + d[n / 2]) / 2;
		out[2] = d[n - 1];
	}
	free(d);
	return n > 0;
}

static const char *verdict(const struct flaky *f)
{
	if (got_signal)
		return "interrupted";
	if (!f->finished)
		return "none";
	if (!f->failed)
		return "passed";
	return f->passed ? "flaky" : "broken";
}

/* A word of COMMAND as a shell would read it back. */
static void print_word(const char *w)
{
	if (*w && !w[strspn(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRS"
			       "TUVWXYZ0123456789_-+=./:,@%^")]) {
		fputs(w, stdout);
		return;
	}
	putchar('\'');
	for (; *w; w++)
		if (*w == '\'')
			fputs("'\\''", stdout);
		else
			putchar(*w);
	putchar('\'');
}

static void print_text(struct flaky *f, bool color)
{
	const char *v = verdict(f);
	const char *on = "", *off = color ? "\033[0m" : "";
	char a[32], b[32], c[32];
	long d[3];
	int not_run = f->nruns - f->finished;

	printf("flaky: %d run%s of", f->nruns, f->nruns == 1 ? "" : "s");
	for (char **w = f->command; *w; w++) {
		putchar(' ');
		print_word(*w);
	}
	printf(" (%d at a time", f->parallel);
	if (f->timeout_ms) {
		format_ms(a, sizeof(a), f->timeout_ms);
		printf(", timeout %s", a);
	}
	printf(")\n");
	printf("  passed    %d\n", f->passed);
	printf("  failed    %d", f->failed);
	if (f->timed_out)
		printf(" (%d timed out)", f->timed_out);
	printf("\n");
	if (not_run)
		printf("  not run   %d%s\n", not_run,
		       got_signal      ? " (interrupted)"
		       : f->until_fail ? " (--until-fail)"
				       : "");
	if (spread(f, d)) {
		format_ms(a, sizeof(a), d[0]);
		format_ms(b, sizeof(b), d[1]);
		format_ms(c, sizeof(c), d[2]);
		printf("  duration  min %s, median %s, max %s\n", a, b, c);
	}
	for (size_t i = 0; i < f->nfailures; i++) {
		const struct failure *g = &f->failures[i];
		int listed = 0;

		printf("\nfailure %zu of %zu: %zu run%s (", i + 1, f->nfailures,
		       g->count, g->count == 1 ? "" : "s");
		for (int k = 0; k < f->nruns; k++) {
			const struct run *r = &f->runs[k];

			if (!is_failed_run(r) || r->failure != (int)i)
				continue;
			if (listed == 10) {
				printf(", ...");
				break;
			}
			printf("%s%s%d", listed ? ", " : "",
			       listed	      ? ""
			       : g->count > 1 ? "runs "
					      : "run ",
			       r->index);
			listed++;
		}
		printf("), %s\n", g->how);
		if (!*g->lines) {
			printf("  (no output)\n");
			continue;
		}
		printf("  last lines of output, normalised:\n");
		for (const char *l = g->lines; *l;) {
			const char *nl = strchr(l, '\n');
			size_t n = nl ? (size_t)(nl - l) : strlen(l);

			printf("  | %.*s\n", (int)n, l);
			l += n + (nl ? 1 : 0);
		}
	}
	if (color)
		on = !strcmp(v, "passed")  ? "\033[32m"
		     : !strcmp(v, "flaky") ? "\033[33m"
					   : "\033[31m";
	else
		off = "";
	printf("\n%s", on);
	if (!strcmp(v, "passed"))
		printf("passed: every run passed (%d of %d)", f->passed,
		       f->finished);
	else if (!strcmp(v, "flaky"))
		printf("flaky: results differ: %d passed, %d failed, %zu "
		       "distinct failure%s",
		       f->passed, f->failed, f->nfailures,
		       f->nfailures == 1 ? "" : "s");
	else if (!strcmp(v, "broken"))
		printf("broken: every run failed (%d of %d), not a flake",
		       f->failed, f->finished);
	else if (!strcmp(v, "interrupted"))
		printf("interrupted by %s after %d finished run%s",
		       signal_name(got_signal), f->finished,
		       f->finished == 1 ? "" : "s");
	else
		printf("no run finished");
	printf("%s\n", off);
}

static json_t *json_lines(const char *lines)
{
	json_t *a = json_array();

	for (const char *l = lines; *l;) {
		const char *nl = strchr(l, '\n');
		size_t n = nl ? (size_t)(nl - l) : strlen(l);

		json_array_append_new(a, json_stringn(l, n));
		l += n + (nl ? 1 : 0);
	}
	return a;
}

static json_t *int_or_null(int v)
{
	return v < 0 ? json_null() : json_integer(v);
}

static void print_json(struct flaky *f)
{
	json_t *o = json_object(), *tool = json_object(), *cmd = json_array();
	json_t *sum = json_object(), *fails = json_array(),
	       *runs = json_array();
	json_t *dur;
	long d[3];
	char *s;

	json_object_set_new(tool, "name", json_string("ciguard"));
	json_object_set_new(tool, "version", json_string(CIGUARD_VERSION));
	json_object_set_new(o, "tool", tool);
	for (char **w = f->command; *w; w++)
		json_array_append_new(cmd, json_string(*w));
	json_object_set_new(o, "command", cmd);
	json_object_set_new(o, "runs_requested", json_integer(f->nruns));
	json_object_set_new(o, "parallel", json_integer(f->parallel));
	json_object_set_new(o, "timeout_ms",
			    f->timeout_ms ? json_integer(f->timeout_ms)
					  : json_null());
	json_object_set_new(o, "until_fail", json_boolean(f->until_fail));
	json_object_set_new(o, "verdict", json_string(verdict(f)));
	json_object_set_new(sum, "runs", json_integer(f->finished));
	json_object_set_new(sum, "passed", json_integer(f->passed));
	json_object_set_new(sum, "failed", json_integer(f->failed));
	json_object_set_new(sum, "timed_out", json_integer(f->timed_out));
	json_object_set_new(sum, "not_run",
			    json_integer(f->nruns - f->finished));
	json_object_set_new(sum, "distinct_failures",
			    json_integer((json_int_t)f->nfailures));
	if (spread(f, d)) {
		dur = json_object();
		json_object_set_new(dur, "min", json_integer(d[0]));
		json_object_set_new(dur, "median", json_integer(d[1]));
		json_object_set_new(dur, "max", json_integer(d[2]));
	} else {
		dur = json_null();
	}
	json_object_set_new(sum, "duration_ms", dur);
	json_object_set_new(o, "summary", sum);
	for (size_t i = 0; i < f->nfailures; i++) {
		const struct failure *g = &f->failures[i];
		json_t *fo = json_object(), *which = json_array();

		for (int k = 0; k < f->nruns; k++)
			if (is_failed_run(&f->runs[k]) &&
			    f->runs[k].failure == (int)i)
				json_array_append_new(
				    which, json_integer(f->runs[k].index));
		json_object_set_new(fo, "count",
				    json_integer((json_int_t)g->count));
		json_object_set_new(fo, "runs", which);
		json_object_set_new(fo, "outcome", json_string(g->how));
		json_object_set_new(fo, "exit_code", int_or_null(g->exit_code));
		json_object_set_new(fo, "signal",
				    g->signal < 0
					? json_null()
					: json_string(signal_name(g->signal)));
		json_object_set_new(fo, "timed_out",
				    json_boolean(g->timed_out));
		json_object_set_new(fo, "output", json_lines(g->lines));
		json_array_append_new(fails, fo);
	}
	json_object_set_new(o, "failures", fails);
	for (int k = 0; k < f->nruns; k++) {
		const struct run *r = &f->runs[k];
		json_t *ro;
		bool pass;

		if (r->state != RUN_DONE || r->interrupted)
			continue;
		pass = run_passed(r);
		ro = json_object();
		json_object_set_new(ro, "run", json_integer(r->index));
		json_object_set_new(ro, "passed", json_boolean(pass));
		json_object_set_new(
		    ro, "exit_code",
		    int_or_null(!r->timed_out && WIFEXITED(r->status)
				    ? WEXITSTATUS(r->status)
				    : -1));
		json_object_set_new(
		    ro, "signal",
		    !r->timed_out && WIFSIGNALED(r->status)
			? json_string(signal_name(WTERMSIG(r->status)))
			: json_null());
		json_object_set_new(ro, "timed_out",
				    json_boolean(r->timed_out));
		json_object_set_new(ro, "duration_ms",
				    json_integer(r->end_ms - r->start_ms));
		json_object_set_new(ro, "failure",
				    pass ? json_null()
					 : json_integer(r->failure));
		json_array_append_new(runs, ro);
	}
	json_object_set_new(o, "runs", runs);
	s = json_dumps(o, JSON_PRESERVE_ORDER | JSON_INDENT(2));
	if (s)
		puts(s);
	free(s);
	json_decref(o);
}

/* ------------------------------------------------------------- options */

/* NO_COLOR set and not empty (no-color.org), as `check` reads it */
static bool no_color(void)
{
	const char *nc = getenv("NO_COLOR");

	return nc && *nc;
}

static int parse_count(const char *cmd, const char *name, const char *v,
		       int max, int *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || end == v || *end || n < 1 || n > max)
		return cli_fail("%s: %s takes a whole number from 1 to %d, "
				"not '%s'",
				cmd, name, max, v);
	*out = (int)n;
	return 0;
}

int cmd_flaky(int argc, char **argv)
{
	struct flaky f;
	struct cli_parser p;
	int rc = 2, id, err;
	bool pipe_made = false;

	memset(&f, 0, sizeof(f));
	f.nruns = DEFAULT_RUNS;
	f.parallel = 1;
	f.timeout_ms = DEFAULT_TIMEOUT_MS;
	cli_parser_init(&p, &cli_flaky_spec, argc, argv);
	while (!f.command && (id = cli_next(&p)) != CLI_END) {
		switch (id) {
		case CLI_HELP:
			return 0;
		case CLI_ERROR:
			return 2;
		case CLI_DASHDASH:
			if (!p.nrest)
				return cli_fail("flaky: no COMMAND after '--' "
						"(see 'ciguard flaky --help')");
			f.command = p.rest;
			break;
		case CLI_ARG:
			return cli_fail("flaky: unexpected '%s': COMMAND goes "
					"after '--', as in 'ciguard flaky -n "
					"20 -- %s ...'",
					p.arg, p.arg);
		case OPT_RUNS:
			if (parse_count("flaky", p.name, p.value, MAX_RUNS,
					&f.nruns))
				return 2;
			break;
		case OPT_PARALLEL:
			if (parse_count("flaky", p.name, p.value, MAX_PARALLEL,
					&f.parallel))
				return 2;
			break;
		case OPT_TIMEOUT:
			if (cli_parse_duration(p.value, &f.timeout_ms) < 0 ||
			    f.timeout_ms > 1000L * 86400 * 365)
				return cli_fail("flaky: %s takes a duration "
						"like 500ms, 30s or 10m (0: "
						"no limit), not '%s'",
						p.name, p.value);
			break;
		case OPT_UNTIL_FAIL:
			f.until_fail = true;
			break;
		case OPT_JSON:
			f.json = true;
			break;
		case OPT_QUIET:
			f.quiet = true;
			break;
		}
	}
	if (!f.command)
		return cli_fail("flaky: no COMMAND: write it after '--', as in "
				"'ciguard flaky -n 20 -- pytest -x' (see "
				"'ciguard flaky --help')");
	if (f.parallel > f.nruns)
		f.parallel = f.nruns;
	f.progress_tty = isatty(STDERR_FILENO) && !no_color();
	f.runs = cg_xcalloc((size_t)f.nruns, sizeof(*f.runs));
	for (int i = 0; i < f.nruns; i++) {
		f.runs[i].index = i + 1;
		f.runs[i].fd = -1;
		f.runs[i].failure = -1;
		cg_buf_init(&f.runs[i].out, 0);
	}
	if (pipe(wake_pipe) < 0) {
		rc = cli_fail("flaky: cannot create a pipe: %s",
			      strerror(errno));
		goto out;
	}
	pipe_made = true;
	for (int i = 0; i < 2; i++) {
		fcntl(wake_pipe[i], F_SETFD, FD_CLOEXEC);
		fcntl(wake_pipe[i], F_SETFL,
		      fcntl(wake_pipe[i], F_GETFL) | O_NONBLOCK);
	}
#ifdef __linux__
	/* orphans of the runs become our children: reaped here, so that
	 * an empty process group really means its processes are gone */
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
#endif
	got_signal = 0;
	set_handlers(on_signal);
	err = run_all(&f);
	set_handlers(SIG_DFL);
	if (err < 0) {
		rc = cli_fail("flaky: %s", cg_error_last());
		goto out;
	}
	sort_failures(&f);
	if (f.json)
		print_json(&f);
	else
		print_text(&f, isatty(STDOUT_FILENO) && !no_color());
	fflush(stdout);
	if (got_signal)
		rc = 128 + got_signal;
	else if (!f.failed)
		rc = 0;
	else
		rc = f.passed ? 1 : 2;
out:
	for (int i = 0; i < f.nruns; i++)
		cg_buf_release(&f.runs[i].out);
	free(f.runs);
	for (size_t i = 0; i < f.nfailures; i++) {
		free(f.failures[i].how);
		free(f.failures[i].lines);
	}
	free(f.failures);
	if (pipe_made) {
		close(wake_pipe[0]);
		close(wake_pipe[1]);
		wake_pipe[0] = wake_pipe[1] = -1;
	}
	return rc;
}
