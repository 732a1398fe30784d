/*
 * The integration harness: real redis-server and postgres processes on
 * free loopback ports in a temporary directory, stopped by pid; and small
 * fake TCP servers (a thread each) for what a real server will not do on
 * demand (answer -LOADING, stay silent, trickle bytes).
 *
 * A missing server binary is a failure, never a skip: `make test` installs
 * them. Functions that can fail print the reason (with the server's log)
 * to stderr and return -1.
 */
#ifndef CG_IT_HARNESS_H
#define CG_IT_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "ciguard/probe.h"
#include "core/core.h"

struct cg_it_server {
	pid_t pid; /* 0 when not running */
	int port;
	char *dir;    /* the server's own directory under the temp dir */
	char *log;    /* its stdout and stderr */
	char *data;   /* postgres: the data directory */
	int stop_sig; /* how the harness stops it at the end */
};

/* cmocka: fail unless `hay` contains `needle`. */
#define assert_contains(hay, needle)                                           \
	do {                                                                   \
		if (!strstr((hay), (needle)))                                  \
			fail_msg("'%s' does not contain '%s'", (hay),          \
				 (needle));                                    \
	} while (0)
/* A port on 127.0.0.1 that was free a moment ago (bound to 0, read). */
int cg_it_free_port(void);
/* The run's temporary directory: made on first use, removed at exit
 * (kept, and named on stderr, when CG_IT_KEEP is set). */
const char *cg_it_tmpdir(void);

/* Start redis-server with `args` (NULL-terminated, may be NULL) added to
 * its command line; returns once it answers PING. */
int cg_it_redis_start(struct cg_it_server *out, const char *const *args);

/* Start n (1 to 8) cluster-enabled redis-servers and join them with
 * `redis-cli --cluster create`, `replicas` replicas per master (its
 * choice of roles: ask each node's ROLE), cluster-node-timeout
 * node_timeout_ms; returns once every node says cluster_state:ok. */
int cg_it_redis_cluster_start(struct cg_it_server *nodes, int n, int replicas,
			      int node_timeout_ms);
/* CLUSTER INFO of the node on `port` says cluster_state:ok with every
 * slot served. */
bool cg_it_redis_cluster_ok(int port);

/* initdb a cluster: superuser `postgres` with `password`, scram-sha-256
 * over TCP. Picks out->port (free now) but does not start the server. */
int cg_it_pg_init(struct cg_it_server *out, const char *password);
/* Start postgres on s->port, listening on 127.0.0.1 only. With `wait`,
 * return once it accepts connections (retrying on another port when the
 * port was taken); without, return as soon as the process exists. */
int cg_it_pg_start(struct cg_it_server *s, bool wait);
/* Until postmaster.pid says "ready": 0, or -1 on timeout or exit. */
int cg_it_pg_wait_ready(struct cg_it_server *s, int timeout_ms);

/* Send `sig` to the server's pid and reap it (SIGKILL after 30 s). */
void cg_it_server_stop(struct cg_it_server *s, int sig);
/* Stop (with stop_sig, when running) and free the strings. */
void cg_it_server_release(struct cg_it_server *s);

/* ---- fake servers ---- */

struct cg_it_fake;
/* Serve one accepted connection; the harness closes fd afterwards. */
typedef void (*cg_it_conn_fn)(struct cg_it_fake *f, int fd, unsigned n,
			      void *ctx);

/* Listen on 127.0.0.1 (a free port) and serve connections one at a time,
 * the n-th (from 0) with fn(f, fd, n, ctx). */
struct cg_it_fake *cg_it_fake_start(cg_it_conn_fn fn, void *ctx);
int cg_it_fake_port(const struct cg_it_fake *f);
unsigned cg_it_fake_connections(const struct cg_it_fake *f);
/* recv that gives up when the fake is stopping: >0 bytes, 0 at EOF, -1 on
 * an error or a stop. */
long cg_it_fake_recv(struct cg_it_fake *f, int fd, void *buf, size_t n);
/* send all of it (no SIGPIPE): 0, or -1. */
int cg_it_fake_send(int fd, const void *buf, size_t n);
/* Hold the connection without a word until the peer closes or a stop. */
void cg_it_fake_hold(struct cg_it_fake *f, int fd);
/* A cg_it_conn_fn: accept and never answer (cg_it_fake_hold). */
void cg_it_serve_silence(struct cg_it_fake *f, int fd, unsigned n, void *ctx);
bool cg_it_fake_stopping(struct cg_it_fake *f);
/* Stop the thread, close the listener, free (NULL is fine). */
void cg_it_fake_stop(struct cg_it_fake *f);

/* ---- probing ---- */

struct cg_it_outcome {
	enum cg_probe_result result;
	char error[512];
	char display[512];
	long elapsed_ms;
};

/* cg_probe_new(target) (failing the test when it returns NULL), one
 * attempt with timeout_ms, cg_probe_free; the outcome is also printed. */
struct cg_it_outcome cg_it_attempt(const char *target, int timeout_ms);
/* cg_probe_new that is expected to fail: its message (static buffer). */
const char *cg_it_bad_target(const char *target);

/* A target cg_probe_new must refuse, and what its message must say. */
struct cg_it_bad {
	const char *target;
	const char *says;
};

/* Every target of `t` is refused with a message containing its `says`
 * and never the test password "hunter2". */
void cg_it_check_bad_targets(const struct cg_it_bad *t, size_t n);
/* "READY", "NOT_READY", "FATAL" */
const char *cg_it_result_name(enum cg_probe_result r);

#endif
