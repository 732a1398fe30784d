/*
 * Threads for check --jobs: a few workers running one function, and a
 * parallel loop over indexes built on them. A thread that cannot be
 * started is not an error: the threads that did start (at least the
 * caller's) do its share, so the result is the same with fewer cores.
 */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/core.h"
#include "core/banned.h"

struct worker {
	pthread_t tid;
	void (*fn)(void *ctx, unsigned worker);
	void *ctx;
	unsigned index;
};

struct cg_workers {
	struct worker *w;
	unsigned n; /* started */
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	cg_heap_tune_thread();
	w->fn(w->ctx, w->index);
	return NULL;
}

struct cg_workers *
cg_workers_start(unsigned n, void (*fn)(void *ctx, unsigned worker), void *ctx)
{
	struct cg_workers *ws = cg_xcalloc(1, sizeof(*ws));

	ws->w = cg_xcalloc(n ? n : 1, sizeof(*ws->w));
	for (unsigned i = 0; i < n; i++) {
		struct worker *w = &ws->w[ws->n];

		w->fn = fn;
		w->ctx = ctx;
		w->index = i + 1;
		if (pthread_create(&w->tid, NULL, worker_main, w) != 0)
			break;
		ws->n++;
	}
	return ws;
}

void cg_workers_join(struct cg_workers *ws)
{
	if (!ws)
		return;
	for (unsigned i = 0; i < ws->n; i++)
		pthread_join(ws->w[i].tid, NULL);
	free(ws->w);
	free(ws);
}

struct loop {
	atomic_size_t next;
	size_t n;
	void (*fn)(void *ctx, size_t i, unsigned worker);
	void *ctx;
};

static void loop_run(void *arg, unsigned worker)
{
	struct loop *l = arg;
	size_t i;

	while ((i = atomic_fetch_add(&l->next, 1)) < l->n)
		l->fn(l->ctx, i, worker);
}

void cg_parallel_for(size_t n, unsigned jobs,
		     void (*fn)(void *ctx, size_t i, unsigned worker),
		     void *ctx)
{
	struct loop l = {0, n, fn, ctx};
	struct cg_workers *ws = NULL;

	if (jobs > n)
		jobs = (unsigned)n;
	if (jobs > 1)
		ws = cg_workers_start(jobs - 1, loop_run, &l);
	loop_run(&l, 0);
	cg_workers_join(ws);
}

unsigned cg_cpu_count(void)
{
	cpu_set_t set;
	long n;

	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
		return (unsigned)CPU_COUNT(&set);
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n : 1;
}
