/*
 * cg_wait: one thread per target, each looping attempt -> pause until its
 * target is ready or fatal, or the shared deadline passes. The caller's
 * thread sleeps on a condition variable (monotonic clock) and wakes on every
 * attempt to report progress, so nothing polls tightly: between attempts
 * every thread sleeps for the interval, +-20 % jitter (targets started
 * together do not stay in lockstep). The pause doubles up to max_interval
 * while attempts are slow to fail (timeouts: do not hammer a hanging
 * server) and drops back to the interval when they fail fast (refused:
 * retrying is cheap, and time-to-ready stays within one interval).
 * An attempt's timeout is clamped to the deadline, so no attempt outlives
 * the wait by more than its own slack; all threads are joined before
 * returning, so probes may be freed right after.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "probe/probe_int.h"
#include "core/banned.h"

struct shared {
	pthread_mutex_t mu;
	pthread_cond_t changed; /* a target made an attempt */
	pthread_cond_t stop_cv; /* stop was set */
	bool stop;
	unsigned version; /* bumped on every change */
	long start, deadline;
	struct cg_wait_options opt;
};

struct worker {
	struct shared *sh;
	struct cg_probe *probe;
	struct cg_wait_status st; /* guarded by sh->mu */
	bool done;		  /* guarded by sh->mu */
	unsigned seed;
};

static void abs_time(struct timespec *ts, long at_ms)
{
	/* CLOCK_MONOTONIC ms -> timespec for pthread_cond_timedwait */
	ts->tv_sec = at_ms / 1000;
	ts->tv_nsec = (at_ms % 1000) * 1000000;
}

/* Sleep until `until` (monotonic ms) or until stop; true if stopped. */
static bool pause_until(struct shared *sh, long until)
{
	struct timespec ts;
	bool stopped;

	abs_time(&ts, until);
	pthread_mutex_lock(&sh->mu);
	while (!sh->stop && cg_now_ms() < until)
		if (pthread_cond_timedwait(&sh->stop_cv, &sh->mu, &ts))
			break;
	stopped = sh->stop;
	pthread_mutex_unlock(&sh->mu);
	return stopped;
}

static void *run_worker(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;
	long pause = sh->opt.interval_ms;

	for (;;) {
		long now = cg_now_ms(), left = sh->deadline - now, t;
		enum cg_probe_result r;
		long jitter, next, took;
		bool stop;

		pthread_mutex_lock(&sh->mu);
		stop = sh->stop;
		pthread_mutex_unlock(&sh->mu);
		if (stop || left <= 0)
			break;
		t = sh->opt.attempt_timeout_ms < left
			? sh->opt.attempt_timeout_ms
			: left;
		r = cg_probe_attempt(w->probe, (int)t);
		took = cg_now_ms() - now;

		pthread_mutex_lock(&sh->mu);
		w->st.attempts++;
		w->st.elapsed_ms = cg_now_ms() - sh->start;
		/* an attempt the deadline cut short that ran out of its time
		 * says only that time ran out: the error of the full attempt
		 * before it (a certificate refused, a wrong password) is the
		 * one that tells the user what is wrong */
		if (r == CG_PROBE_READY || !w->st.last_error[0] ||
		    t >= sh->opt.attempt_timeout_ms || took < t)
			snprintf(w->st.last_error, sizeof(w->st.last_error),
				 "%s",
				 r == CG_PROBE_READY
				     ? ""
				     : cg_probe_last_error(w->probe));
		w->st.ready = r == CG_PROBE_READY;
		w->st.fatal = r == CG_PROBE_FATAL;
		w->done = r != CG_PROBE_NOT_READY;
		sh->version++;
		pthread_cond_broadcast(&sh->changed);
		pthread_mutex_unlock(&sh->mu);
		if (r != CG_PROBE_NOT_READY)
			break;

		/* +-20 % jitter, never past the deadline */
		jitter = pause / 5;
		next = pause + (jitter ? (long)(rand_r(&w->seed) %
						(unsigned)(2 * jitter + 1)) -
					     jitter
				       : 0);
		if (pause_until(sh, cg_now_ms() + next))
			break;
		/* back off from a target that is slow to fail (timeouts, a
		 * hanging server); one that fails fast (refused, no such file)
		 * costs nothing to retry, and retrying it at the interval keeps
		 * time-to-ready within one interval */
		if (took >= sh->opt.interval_ms)
			pause = pause * 2 > sh->opt.max_interval_ms
				    ? sh->opt.max_interval_ms
				    : pause * 2;
		else
			pause = sh->opt.interval_ms;
	}
	return NULL;
}

static void fill_defaults(struct cg_wait_options *o)
{
	if (o->timeout_ms <= 0)
		o->timeout_ms = 60000;
	if (o->interval_ms <= 0)
		o->interval_ms = 250;
	if (o->max_interval_ms <= 0)
		o->max_interval_ms = 5000;
	if (o->max_interval_ms < o->interval_ms)
		o->max_interval_ms = o->interval_ms;
	if (o->attempt_timeout_ms <= 0)
		o->attempt_timeout_ms = 5000;
}

int cg_wait(struct cg_probe *const *probes, size_t n,
	    const struct cg_wait_options *opt, struct cg_wait_status *out)
{
	struct shared sh;
	struct worker *w = cg_xcalloc(n ? n : 1, sizeof(*w));
	pthread_t *tid = cg_xcalloc(n ? n : 1, sizeof(*tid));
	pthread_condattr_t ca;
	size_t started = 0;
	unsigned seen = 0;
	int rc = 0;

	memset(&sh, 0, sizeof(sh));
	sh.opt = *opt;
	fill_defaults(&sh.opt);
	pthread_mutex_init(&sh.mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&sh.changed, &ca);
	pthread_cond_init(&sh.stop_cv, &ca);
	pthread_condattr_destroy(&ca);
	sh.start = cg_now_ms();
	sh.deadline = sh.start + sh.opt.timeout_ms;

	for (size_t i = 0; i < n; i++) {
		w[i].sh = &sh;
		w[i].probe = probes[i];
		w[i].st.target = cg_probe_display(probes[i]);
		w[i].seed = (unsigned)(sh.start ^ (long)(i * 2654435761u));
		if (pthread_create(&tid[i], NULL, run_worker, &w[i]))
			break;
		started++;
	}
	if (started < n) {
		rc = -1;
		pthread_mutex_lock(&sh.mu);
		sh.stop = true;
		pthread_cond_broadcast(&sh.stop_cv);
		pthread_mutex_unlock(&sh.mu);
	}

	pthread_mutex_lock(&sh.mu);
	while (rc == 0) {
		bool all = true, fatal = false;
		struct timespec ts;

		for (size_t i = 0; i < n; i++) {
			all = all && w[i].st.ready;
			fatal = fatal || w[i].st.fatal;
		}
		if (sh.version != seen && sh.opt.progress) {
			seen = sh.version;
			for (size_t i = 0; i < n; i++)
				out[i] = w[i].st;
			sh.opt.progress(sh.opt.progress_ctx, out, n);
		}
		if (fatal) {
			rc = 2;
			break;
		}
		if (all)
			break;
		if (cg_now_ms() >= sh.deadline) {
			rc = 1;
			break;
		}
		abs_time(&ts, sh.deadline);
		if (sh.version == seen || !sh.opt.progress)
			pthread_cond_timedwait(&sh.changed, &sh.mu, &ts);
	}
	sh.stop = true;
	pthread_cond_broadcast(&sh.stop_cv);
	pthread_mutex_unlock(&sh.mu);
	for (size_t i = 0; i < started; i++)
		pthread_join(tid[i], NULL);

	for (size_t i = 0; i < n; i++) {
		out[i] = w[i].st;
		if (!out[i].ready && !out[i].fatal)
			out[i].elapsed_ms = cg_now_ms() - sh.start;
	}
	pthread_cond_destroy(&sh.changed);
	pthread_cond_destroy(&sh.stop_cv);
	pthread_mutex_destroy(&sh.mu);
	free(w);
	free(tid);
	return rc;
}
