/*
 * ciguard/limiter.h: a distributed counting semaphore on Redis ("at most N
 * of these at once"), atomic by one Lua script per decision. A release
 * decides nothing when nobody waits: on a connection made earlier it is
 * plain commands in one round trip (TIME, ZSCORE, ZREM, HDEL, EXISTS of
 * the queue), and a script wakes the first waiter only when there is one.
 *
 * Holders of limiter KEY live in the sorted set ciguard:{KEY}:holders,
 * scored by their deadline in Redis server time (TIME inside the scripts,
 * never the client's clock); fencing numbers come from ciguard:{KEY}:fence
 * (never expires, so they keep increasing) and are remembered per holder in
 * ciguard:{KEY}:fences. Waiters queue in ciguard:{KEY}:queue (by ticket,
 * from ciguard:{KEY}:ticket) with leases in ciguard:{KEY}:leases and are
 * woken through ciguard:{KEY}:wake:TOKEN. All share the hash tag {KEY}.
 *
 * Redis Cluster: the URL may name any master. MOVED repoints the limiter's
 * connection at the named node; ASK sends that one command to the named
 * node after ASKING; TRYAGAIN (a slot migration has split the keys of a
 * script) is retried with short pauses for up to the command timeout. More
 * than 5 redirects for one command, or TRYAGAIN past the timeout, count as
 * Redis being unavailable (the failure policy below applies). When the
 * node a MOVED named stops answering (a failover), the next try goes to
 * the URL's node again, which names the new master. Replication is
 * asynchronous: a failover can lose the last holders written to the old
 * master, so for that moment more than max_slots may hold a slot.
 *
 * A command that fails on a connection made by an earlier call (the
 * server restarted, or failed over), other than by a timeout, is sent
 * once more on a new connection: every script is safe to run twice, and
 * so is a release.
 *
 * TLS (rediss://): certificates are verified (the chain, against the
 * system's CA store or the CA file given, and the host name or address
 * the connection goes to, MOVED targets included); SNI is sent. A
 * certificate that fails verification, or a server that does not speak
 * TLS, is an error (CG_LIMIT_ERROR), never an outage: the failure policy
 * does not apply to it.
 *
 * Ownership: cg_limiter_open returns a limiter freed by cg_limiter_close
 * (NULL is fine); strings passed in are copied. A limiter is one Redis
 * connection: use it from one thread at a time. Nothing here prints or
 * exits; passwords never appear in any message. Writes use
 * send(MSG_NOSIGNAL): a reset connection raises no SIGPIPE.
 *
 * Failure policy: when Redis is unreachable, times out or answers LOADING /
 * BUSY / MASTERDOWN, the connection is dropped (rebuilt by the next call)
 * and acquire answers CG_LIMIT_ACQUIRED_FAIL_OPEN with fail_open, else
 * CG_LIMIT_DENIED_FAIL_CLOSED; release and refresh answer CG_LIMIT_ERROR.
 * A timeout is ambiguous (the slot may have been taken): retry with
 * cg_limiter_acquire_token and the same token (a retry refreshes instead of
 * adding), or leave it: an unreleased slot expires within ttl_ms.
 */
#ifndef CIGUARD_LIMITER_H
#define CIGUARD_LIMITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ciguard/api.h"

enum cg_limit_status {
	CG_LIMIT_OK = 0,	     /* count / holders answered */
	CG_LIMIT_ACQUIRED,	     /* a slot is ours until released/expired */
	CG_LIMIT_FULL,		     /* max_slots live holders already */
	CG_LIMIT_ACQUIRED_FAIL_OPEN, /* Redis unavailable, admitted anyway */
	CG_LIMIT_DENIED_FAIL_CLOSED, /* Redis unavailable, not admitted */
	CG_LIMIT_RELEASED,
	CG_LIMIT_REFRESHED,
	CG_LIMIT_LOST,	   /* refresh: the slot had expired; not re-added */
	CG_LIMIT_NOT_HELD, /* release: no live holder with this token */
	CG_LIMIT_ERROR,	   /* see cg_limiter_last_error */
};

/* "acquired", "full", "acquired-fail-open", ... */
CG_API const char *cg_limit_status_name(enum cg_limit_status s);

#define CG_LIMIT_TOKEN_HEX 32
/* "open-" + 32 hex digits: a token admitted by fail-open */
#define CG_LIMIT_TOKEN_MAX 38

struct cg_limit_token {
	char id[CG_LIMIT_TOKEN_HEX + 1]; /* 128 random bits, lower-case hex */
	uint64_t fence; /* increases with every new holder of the key; 0
			   for a fail-open token */
	bool fail_open; /* admitted without Redis: release/refresh of it
			   are no-ops that succeed */
};

/* The token as text (the id, or "open-" + id for a fail-open token) in
 * `out` (CG_LIMIT_TOKEN_MAX + 1 bytes). */
CG_API void cg_limit_token_format(const struct cg_limit_token *tok, char *out);
/* Parse that text back (fence 0): 0, or -1 when it is not a token. */
CG_API int cg_limit_token_parse(struct cg_limit_token *out, const char *text);

struct cg_limiter_options {
	/* redis://[USER:PASS@]HOST[:PORT][/DB], or rediss://... for TLS
	 * (with redis-py's ?ssl_ca_certs=FILE and ?ssl_cert_reqs=none);
	 * NULL: $REDIS_URL, else redis://127.0.0.1:6379/0 */
	const char *redis_url;
	long ttl_ms;		 /* > 0: a holder that stops refreshing is
				    freed after it */
	long connect_timeout_ms; /* 0: 1000 */
	long command_timeout_ms; /* 0: 1000 */
	bool fail_open;
	/* rediss://: a PEM file of the CA certificates to trust instead of
	 * the system's; the URL's ?ssl_ca_certs= wins over it, and it over
	 * $CIGUARD_REDIS_CACERT. NULL: none. */
	const char *ca_file;
};

struct cg_limiter;

/*
 * Check the options and parse the URL; connects lazily (on the first
 * call). NULL on bad options, with the reason in `err` (errlen bytes).
 */
CG_API struct cg_limiter *cg_limiter_open(const struct cg_limiter_options *opt,
					  char *err, size_t errlen);
CG_API void cg_limiter_close(struct cg_limiter *l);
/* Why the last call answered ERROR / fail-open / fail-closed ("" if it
 * did not); owned by the limiter, valid until its next call. */
CG_API const char *cg_limiter_last_error(const struct cg_limiter *l);

/*
 * Take one of max_slots (>= 1) slots of `key` (1 to 512 characters, no
 * '{' or '}': it becomes the hash tag) with a fresh random token:
 * ACQUIRED (out filled in), FULL, ACQUIRED_FAIL_OPEN (out->fail_open set),
 * DENIED_FAIL_CLOSED or ERROR.
 */
CG_API enum cg_limit_status cg_limiter_acquire(struct cg_limiter *l,
					       const char *key, int max_slots,
					       struct cg_limit_token *out);
/*
 * The same with the caller's token (tok->id): when tok->id is a live
 * holder already, its deadline is extended and ACQUIRED returned with its
 * original fence, so retrying after a timeout never takes a second slot.
 * An empty tok->id gets a fresh one.
 */
CG_API enum cg_limit_status
cg_limiter_acquire_token(struct cg_limiter *l, const char *key, int max_slots,
			 struct cg_limit_token *tok);
/*
 * Wait up to wait_ms for one of max_slots slots of `key`, first come first
 * served: while full, the caller's fresh token (*out_token) queues in
 * ciguard:{KEY}:queue by a ticket number taken inside the acquire script,
 * and blocks (BLPOP on ciguard:{KEY}:wake:TOKEN) until a release wakes the
 * head of the queue, retrying at least every second to renew its place; a
 * waiter that stops retrying (it died) loses its place after 2 s. The
 * connection's command timeout is raised for each BLPOP. wait_ms <= 0 is
 * cg_limiter_acquire. Answers like cg_limiter_acquire: FULL when the wait
 * expired (the token has then left the queue), ACQUIRED_FAIL_OPEN /
 * DENIED_FAIL_CLOSED when Redis became unavailable. Plain acquires of the
 * same key do not jump the queue: a slot goes to them only when no waiter
 * is queued for it.
 */
CG_API enum cg_limit_status
cg_limiter_acquire_wait(struct cg_limiter *l, const char *key, int max_slots,
			long wait_ms, struct cg_limit_token *out_token);
/* RELEASED, NOT_HELD (unknown or expired token) or ERROR; wakes the first
 * waiter. */
CG_API enum cg_limit_status
cg_limiter_release(struct cg_limiter *l, const char *key,
		   const struct cg_limit_token *tok);
/* Extend a live holder by ttl_ms: REFRESHED, LOST (it had expired or was
 * never there; it is not re-added) or ERROR. */
CG_API enum cg_limit_status
cg_limiter_refresh(struct cg_limiter *l, const char *key,
		   const struct cg_limit_token *tok);
/* Live holders of `key`, changing nothing: OK or ERROR. */
CG_API enum cg_limit_status cg_limiter_count(struct cg_limiter *l,
					     const char *key, int *out_holders);

typedef void (*cg_limit_holder_fn)(void *ctx, const char *token,
				   long remaining_ms, uint64_t fence);
/* Call fn for every live holder (soonest deadline first): OK or ERROR. */
CG_API enum cg_limit_status cg_limiter_holders(struct cg_limiter *l,
					       const char *key,
					       cg_limit_holder_fn fn,
					       void *ctx);

typedef void (*cg_limit_waiter_fn)(void *ctx, const char *token, long position);
/* Call fn for every queued waiter with a live lease, head first (position
 * 1), changing nothing: OK or ERROR. */
CG_API enum cg_limit_status cg_limiter_waiters(struct cg_limiter *l,
					       const char *key,
					       cg_limit_waiter_fn fn,
					       void *ctx);

#endif
