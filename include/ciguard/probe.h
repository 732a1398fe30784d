/*
 * ciguard/probe.h: readiness probes and the wait loop, usable without the
 * CLI. A probe checks one service by its own protocol (TCP connect, Redis
 * PING, PostgreSQL ping, HTTP GET, a process, a log line); cg_wait polls
 * several at once under one deadline.
 *
 * Ownership: a probe is created by cg_probe_new and freed by cg_probe_free
 * (NULL is fine). Strings passed in are copied. Nothing here prints or
 * exits; passwords never appear in any string this API returns.
 */
#ifndef CIGUARD_PROBE_H
#define CIGUARD_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ciguard/api.h"

enum cg_probe_result {
	CG_PROBE_READY = 0,	/* the target is ready */
	CG_PROBE_NOT_READY = 1, /* not yet (refused, loading, starting...) */
	CG_PROBE_FATAL = 2,	/* can never become ready (auth rejected...) */
};

struct cg_probe_options {
	/* http: accepted statuses, "200-299,401"; NULL means 200-299 */
	const char *expect_status;
	/* http: "PATH=VALUE": the JSON body's field at dotted PATH must
	 * equal VALUE (as a string, number or bool literal); NULL: no check */
	const char *expect_json;
	/* https and rediss: a PEM file of the CA certificates to trust
	 * instead of the system's (rediss: a URL's ?ssl_ca_certs= wins, and
	 * $CIGUARD_REDIS_CACERT is used when neither is given); NULL: none */
	const char *ca_file;
};

struct cg_probe;

/*
 * Parse `target`: tcp://HOST:PORT, redis://[USER:PASS@]HOST:PORT[/DB],
 * rediss://... (TLS; ?ssl_ca_certs=FILE, ?ssl_cert_reqs=none),
 * postgres[ql]://... (libpq URI; ?ciguard_login=1 also logs in and runs
 * SELECT 1), http[s]://..., proc:PATTERN, pid:FILE, log:FILE:REGEX.
 * Returns NULL for a target that can never work (unknown scheme, bad URL,
 * bad regex), with the reason in `err` (at most errlen bytes, passwords
 * masked).
 */
CG_API struct cg_probe *cg_probe_new(const char *target,
				     const struct cg_probe_options *opt,
				     char *err, size_t errlen);

/*
 * One attempt, bounded by timeout_ms (a server that accepts and never
 * answers costs at most that), with two exceptions the caller should allow
 * for: the DNS lookup has no time limit of its own, and libpq's ping takes
 * at least 2 s to time out. Thread-safe for different probes. After
 * NOT_READY or FATAL, cg_probe_last_error says why (errno text, RESP error,
 * SQLSTATE, HTTP status, mismatching field).
 */
CG_API enum cg_probe_result cg_probe_attempt(struct cg_probe *p,
					     int timeout_ms);
CG_API const char *cg_probe_last_error(const struct cg_probe *p);
/* The target as given, with any password shown as "***". */
CG_API const char *cg_probe_display(const struct cg_probe *p);
CG_API void cg_probe_free(struct cg_probe *p);

/* ------------------------------------------------------------- wait */

struct cg_wait_status {
	const char *target; /* display form, owned by the probe */
	bool ready;
	bool fatal;
	unsigned attempts;
	long elapsed_ms; /* until ready, or until the wait ended */
	char last_error[512];
};

struct cg_wait_options {
	long timeout_ms;	 /* overall deadline (default 60 s) */
	long interval_ms;	 /* first pause between attempts (250 ms) */
	long max_interval_ms;	 /* backoff cap (5 s) */
	long attempt_timeout_ms; /* one attempt (5 s), never past the
				    deadline */
	/* called from the waiting thread after every attempt; may be NULL */
	void (*progress)(void *ctx, const struct cg_wait_status *st, size_t n);
	void *progress_ctx;
};

/*
 * Poll every probe concurrently until all are ready, one is fatal, or the
 * deadline passes. `out` (n entries) receives each target's status.
 * Returns 0 all ready, 1 deadline passed, 2 a target can never be ready,
 * or -1 when threads could not be started.
 */
CG_API int cg_wait(struct cg_probe *const *probes, size_t n,
		   const struct cg_wait_options *opt,
		   struct cg_wait_status *out);

#endif
