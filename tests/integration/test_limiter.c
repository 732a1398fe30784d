/*
 * The Redis limiter against real redis-server processes: races between
 * threads and between processes (exactly max_slots admitted, every round),
 * a mixed load watched from Redis directly, expiry and refresh by server
 * time, the NOSCRIPT path, and outages (stopped, frozen with SIGSTOP,
 * restarted) under fail-open and fail-closed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "ciguard/limiter.h"
#include "harness.h"

extern char **environ;

#define THREADS 10
#define PROCS 50
#define ROUNDS 200
#define SLACK_MS 700

static struct cg_it_server redis;
/* the restarted server of test_limiter__redis_restarted, for teardown */
static pid_t restarted;
static char url[64];

static struct cg_limiter *open_limiter(const char *u, long ttl_ms,
				       long timeout_ms, bool fail_open)
{
	struct cg_limiter_options o = {.redis_url = u,
				       .ttl_ms = ttl_ms,
				       .connect_timeout_ms = timeout_ms,
				       .command_timeout_ms = timeout_ms,
				       .fail_open = fail_open};
	char err[256];
	struct cg_limiter *l = cg_limiter_open(&o, err, sizeof(err));

	if (!l)
		fail_msg("cg_limiter_open: %s", err);
	return l;
}

static redisContext *direct(int port)
{
	redisContext *c = redisConnect("127.0.0.1", port);

	assert_non_null(c);
	assert_int_equal(c->err, 0);
	return c;
}

static long long direct_int(redisContext *c, const char *fmt, ...)
{
	va_list ap;
	redisReply *r;
	long long v;

	va_start(ap, fmt);
	r = redisvCommand(c, fmt, ap);
	va_end(ap);
	assert_non_null(r);
	if (r->type != REDIS_REPLY_INTEGER)
		fail_msg("'%s': not an integer reply (%s)", fmt,
			 r->type == REDIS_REPLY_ERROR ? r->str : "?");
	v = r->integer;
	freeReplyObject(r);
	return v;
}

static void direct_cmd(int port, const char *cmd)
{
	redisContext *c = direct(port);
	redisReply *r = redisCommand(c, cmd);

	assert_non_null(r);
	freeReplyObject(r);
	redisFree(c);
}

/* Delete KEY's limiter keys on the server at port. */
static void wipe_on(int port, const char *key)
{
	redisContext *c = direct(port);
	redisReply *r = redisCommand(c,
				     "DEL ciguard:{%s}:holders "
				     "ciguard:{%s}:fences ciguard:{%s}:queue "
				     "ciguard:{%s}:leases",
				     key, key, key, key);

	assert_non_null(r);
	freeReplyObject(r);
	redisFree(c);
}

static void wipe(const char *key)
{
	wipe_on(redis.port, key);
}

static int setup(void **state)
{
	signal(SIGPIPE, SIG_IGN);
	if (cg_it_redis_start(&redis, NULL) < 0)
		return -1;
	snprintf(url, sizeof(url), "redis://127.0.0.1:%d/0", redis.port);
	return 0;
}

static int teardown(void **state)
{
	if (restarted > 0) {
		kill(restarted, SIGTERM);
		waitpid(restarted, NULL, 0);
	}
	cg_it_server_release(&redis);
	return 0;
}

/* ---- races ---- */

/* One race, in memory shared with forked racers. */
struct race {
	pthread_barrier_t barrier; /* racers + the referee, process-shared */
	atomic_int admitted, errors;
	int rounds;
	char url[64], key[64];
};

/* A racer: each round, acquire once; after the referee has counted,
 * release what it got. */
static void race_member(struct race *r)
{
	struct cg_limiter_options o = {.redis_url = r->url,
				       .ttl_ms = 30000,
				       .connect_timeout_ms = 5000,
				       .command_timeout_ms = 5000};
	char err[256];
	struct cg_limiter *l = cg_limiter_open(&o, err, sizeof(err));
	struct cg_limit_token tok;

	for (int i = 0; i < r->rounds; i++) {
		enum cg_limit_status st = CG_LIMIT_ERROR;

		pthread_barrier_wait(&r->barrier);
		if (l)
			st = cg_limiter_acquire(l, r->key, 2, &tok);
		if (st == CG_LIMIT_ACQUIRED)
			atomic_fetch_add(&r->admitted, 1);
		else if (st != CG_LIMIT_FULL)
			atomic_fetch_add(&r->errors, 1);
		pthread_barrier_wait(&r->barrier); /* the referee counts */
		pthread_barrier_wait(&r->barrier);
		if (st == CG_LIMIT_ACQUIRED &&
		    cg_limiter_release(l, r->key, &tok) != CG_LIMIT_RELEASED)
			atomic_fetch_add(&r->errors, 1);
		pthread_barrier_wait(&r->barrier); /* released */
	}
	cg_limiter_close(l);
}

static void *race_thread(void *arg)
{
	race_member(arg);
	return NULL;
}

/*
 * n racers (threads, or forked processes with processes set), each with
 * its own limiter on `u`, race for 2 slots of `key`, `rounds` times:
 * exactly 2 admitted every round, no errors.
 */
static void race(const char *u, const char *key, int n, bool processes,
		 int rounds)
{
	struct race *r = mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE,
			      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pthread_barrierattr_t attr;
	pthread_t t[PROCS];
	pid_t pids[PROCS];
	int bad_rounds = 0;
	long start = cg_now_ms();

	assert_true(r != MAP_FAILED);
	assert_true(n <= PROCS);
	snprintf(r->url, sizeof(r->url), "%s", u);
	snprintf(r->key, sizeof(r->key), "%s", key);
	r->rounds = rounds;
	atomic_init(&r->admitted, 0);
	atomic_init(&r->errors, 0);
	pthread_barrierattr_init(&attr);
	pthread_barrierattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
	pthread_barrier_init(&r->barrier, &attr, (unsigned)n + 1);
	pthread_barrierattr_destroy(&attr);
	for (int i = 0; i < n; i++) {
		if (!processes) {
			assert_int_equal(
			    pthread_create(&t[i], NULL, race_thread, r), 0);
			continue;
		}
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			race_member(r);
			_exit(0);
		}
	}
	for (int i = 0; i < rounds; i++) {
		pthread_barrier_wait(&r->barrier);
		pthread_barrier_wait(&r->barrier);
		if (atomic_load(&r->admitted) != 2) {
			fprintf(stderr, "round %d: %d admitted\n", i,
				atomic_load(&r->admitted));
			bad_rounds++;
		}
		atomic_store(&r->admitted, 0);
		pthread_barrier_wait(&r->barrier);
		pthread_barrier_wait(&r->barrier);
	}
	for (int i = 0; i < n; i++) {
		int status;

		if (!processes) {
			pthread_join(t[i], NULL);
			continue;
		}
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	printf("%s race '%s': %d rounds of %d %s, max 2, %d bad, %d errors "
	       "(%ld ms)\n",
	       processes ? "process" : "thread", key, rounds, n,
	       processes ? "processes" : "threads", bad_rounds,
	       atomic_load(&r->errors), cg_now_ms() - start);
	pthread_barrier_destroy(&r->barrier);
	assert_int_equal(bad_rounds, 0);
	assert_int_equal(atomic_load(&r->errors), 0);
	munmap(r, sizeof(*r));
}

static void test_limiter__threads_admit_exactly_max(void **state)
{
	race(url, "threads", THREADS, false, ROUNDS);
}

static void test_limiter__processes_admit_exactly_max(void **state)
{
	race(url, "procs", PROCS, true, ROUNDS);
}

/* ---- mixed load, watched from Redis ---- */

#define MIXED_THREADS 8
#define MIXED_MAX 3
#define MIXED_MS 2000

static atomic_bool mixed_stop;
static atomic_int mixed_acquired, mixed_errors;

static void *mixed_worker(void *arg)
{
	struct cg_limiter *l = open_limiter(url, 30000, 2000, false);
	unsigned seed = (unsigned)(uintptr_t)arg;

	while (!atomic_load(&mixed_stop)) {
		struct cg_limit_token tok;
		enum cg_limit_status st =
		    cg_limiter_acquire(l, "mixed", MIXED_MAX, &tok);

		if (st == CG_LIMIT_ACQUIRED) {
			atomic_fetch_add(&mixed_acquired, 1);
			usleep((useconds_t)(rand_r(&seed) % 2000));
			if (cg_limiter_release(l, "mixed", &tok) !=
			    CG_LIMIT_RELEASED)
				atomic_fetch_add(&mixed_errors, 1);
		} else if (st != CG_LIMIT_FULL) {
			atomic_fetch_add(&mixed_errors, 1);
		}
	}
	cg_limiter_close(l);
	return NULL;
}

static void test_limiter__mixed_load_never_over_max(void **state)
{
	pthread_t t[MIXED_THREADS];
	redisContext *c = direct(redis.port);
	long long seen = 0, checks = 0;
	long end;

	atomic_store(&mixed_stop, false);
	for (int i = 0; i < MIXED_THREADS; i++)
		pthread_create(&t[i], NULL, mixed_worker,
			       (void *)(uintptr_t)(i + 1));
	end = cg_now_ms() + MIXED_MS;
	while (cg_now_ms() < end) {
		long long n =
		    direct_int(c, "ZCOUNT ciguard:{mixed}:holders -inf +inf");

		if (n > seen)
			seen = n;
		checks++;
	}
	atomic_store(&mixed_stop, true);
	for (int i = 0; i < MIXED_THREADS; i++)
		pthread_join(t[i], NULL);
	redisFree(c);
	printf("mixed load: %d acquisitions by %d threads in %d ms, %lld "
	       "checks from Redis, at most %lld holders (max %d)\n",
	       atomic_load(&mixed_acquired), MIXED_THREADS, MIXED_MS, checks,
	       seen, MIXED_MAX);
	assert_true(seen <= MIXED_MAX);
	assert_int_equal(seen, MIXED_MAX); /* the load did fill it */
	assert_true(atomic_load(&mixed_acquired) > 100);
	assert_int_equal(atomic_load(&mixed_errors), 0);
}

/* ---- expiry, refresh, retries ---- */

static void test_limiter__crashed_holder_freed_after_ttl(void **state)
{
	struct cg_limiter *l = open_limiter(url, 300, 1000, false);
	struct cg_limit_token a, b;
	int n;

	assert_int_equal(cg_limiter_acquire(l, "crash", 1, &a),
			 CG_LIMIT_ACQUIRED);
	assert_int_equal(cg_limiter_acquire(l, "crash", 1, &b), CG_LIMIT_FULL);
	cg_sleep_ms(150);
	assert_int_equal(cg_limiter_acquire(l, "crash", 1, &b), CG_LIMIT_FULL);
	cg_sleep_ms(250);
	assert_int_equal(cg_limiter_count(l, "crash", &n), CG_LIMIT_OK);
	assert_int_equal(n, 0);
	assert_int_equal(cg_limiter_acquire(l, "crash", 1, &b),
			 CG_LIMIT_ACQUIRED);
	assert_true(b.fence > a.fence);
	assert_int_equal(cg_limiter_release(l, "crash", &a), CG_LIMIT_NOT_HELD);
	assert_int_equal(cg_limiter_release(l, "crash", &b), CG_LIMIT_RELEASED);
	cg_limiter_close(l);
}

static void test_limiter__refreshing_holder_kept(void **state)
{
	struct cg_limiter *l = open_limiter(url, 300, 1000, false);
	struct cg_limit_token a, b;
	long end;

	assert_int_equal(cg_limiter_acquire(l, "keep", 1, &a),
			 CG_LIMIT_ACQUIRED);
	end = cg_now_ms() + 1200;
	while (cg_now_ms() < end) {
		cg_sleep_ms(100);
		assert_int_equal(cg_limiter_refresh(l, "keep", &a),
				 CG_LIMIT_REFRESHED);
		assert_int_equal(cg_limiter_acquire(l, "keep", 1, &b),
				 CG_LIMIT_FULL);
	}
	assert_int_equal(cg_limiter_release(l, "keep", &a), CG_LIMIT_RELEASED);
	cg_limiter_close(l);
}

static void test_limiter__refresh_of_expired_is_lost(void **state)
{
	struct cg_limiter *l = open_limiter(url, 200, 1000, false);
	redisContext *c = direct(redis.port);
	struct cg_limit_token a, never;
	int n;

	assert_int_equal(cg_limiter_acquire(l, "lost", 2, &a),
			 CG_LIMIT_ACQUIRED);
	cg_sleep_ms(300);
	assert_int_equal(cg_limiter_refresh(l, "lost", &a), CG_LIMIT_LOST);
	assert_int_equal(cg_limiter_count(l, "lost", &n), CG_LIMIT_OK);
	assert_int_equal(n, 0);
	assert_int_equal(direct_int(c, "ZCARD ciguard:{lost}:holders"), 0);
	assert_int_equal(cg_limiter_refresh(l, "lost", &a), CG_LIMIT_LOST);
	assert_int_equal(
	    cg_limit_token_parse(&never, "00112233445566778899aabbccddeeff"),
	    0);
	assert_int_equal(cg_limiter_refresh(l, "lost", &never), CG_LIMIT_LOST);
	assert_int_equal(cg_limiter_release(l, "lost", &never),
			 CG_LIMIT_NOT_HELD);
	redisFree(c);
	cg_limiter_close(l);
}

/*
 * Expired holders are swept only when they may be in the way, so with a
 * free slot one can still be in the set: it must neither count as live
 * nor be revived by a retry of its token (that is a new holder, with a
 * new fence), and the key must never hold more than max entries.
 */
static void test_limiter__expired_holder_not_revived(void **state)
{
	struct cg_limiter *l = open_limiter(url, 200, 1000, false);
	redisContext *c = direct(redis.port);
	struct cg_limit_token a, retry, b, d;
	int n;

	wipe("stale");
	assert_int_equal(cg_limiter_acquire(l, "stale", 3, &a),
			 CG_LIMIT_ACQUIRED);
	cg_sleep_ms(300);
	assert_int_equal(cg_limiter_count(l, "stale", &n), CG_LIMIT_OK);
	assert_int_equal(n, 0);
	retry = a;
	assert_int_equal(cg_limiter_acquire_token(l, "stale", 3, &retry),
			 CG_LIMIT_ACQUIRED);
	assert_true(retry.fence > a.fence);
	assert_int_equal(cg_limiter_count(l, "stale", &n), CG_LIMIT_OK);
	assert_int_equal(n, 1);
	/* one live (retry), then one that expires beside it */
	assert_int_equal(cg_limiter_acquire(l, "stale", 3, &b),
			 CG_LIMIT_ACQUIRED);
	cg_sleep_ms(300);
	assert_int_equal(cg_limiter_acquire(l, "stale", 3, &b),
			 CG_LIMIT_ACQUIRED);
	assert_int_equal(cg_limiter_acquire(l, "stale", 3, &d),
			 CG_LIMIT_ACQUIRED);
	assert_true(direct_int(c, "ZCARD ciguard:{stale}:holders") <= 3);
	assert_true(direct_int(c, "HLEN ciguard:{stale}:fences") ==
		    direct_int(c, "ZCARD ciguard:{stale}:holders"));
	assert_true(direct_int(c, "PTTL ciguard:{stale}:holders") > 0);
	assert_true(direct_int(c, "PTTL ciguard:{stale}:fences") > 0);
	redisFree(c);
	cg_limiter_close(l);
}

static void test_limiter__retry_with_same_token_is_one_holder(void **state)
{
	struct cg_limiter *l = open_limiter(url, 5000, 1000, false);
	struct cg_limit_token a, retry, other;
	int n;

	assert_int_equal(cg_limiter_acquire(l, "retry", 2, &a),
			 CG_LIMIT_ACQUIRED);
	assert_int_equal(strlen(a.id), 32);
	assert_true(a.fence > 0);
	retry = a;
	for (int i = 0; i < 3; i++) {
		assert_int_equal(
		    cg_limiter_acquire_token(l, "retry", 2, &retry),
		    CG_LIMIT_ACQUIRED);
		assert_string_equal(retry.id, a.id);
		assert_int_equal(retry.fence, a.fence);
	}
	assert_int_equal(cg_limiter_count(l, "retry", &n), CG_LIMIT_OK);
	assert_int_equal(n, 1);
	assert_int_equal(cg_limiter_acquire(l, "retry", 2, &other),
			 CG_LIMIT_ACQUIRED);
	assert_string_not_equal(other.id, a.id);
	assert_true(other.fence > a.fence);
	/* full: a retry of a holder still succeeds, a newcomer does not */
	assert_int_equal(cg_limiter_acquire_token(l, "retry", 2, &retry),
			 CG_LIMIT_ACQUIRED);
	memset(&retry, 0, sizeof(retry));
	assert_int_equal(cg_limiter_acquire_token(l, "retry", 2, &retry),
			 CG_LIMIT_FULL);
	assert_int_equal(cg_limiter_release(l, "retry", &a), CG_LIMIT_RELEASED);
	assert_int_equal(cg_limiter_release(l, "retry", &other),
			 CG_LIMIT_RELEASED);
	cg_limiter_close(l);
}

static void test_limiter__key_expiry_never_shortened(void **state)
{
	struct cg_limiter *longer = open_limiter(url, 60000, 1000, false);
	struct cg_limiter *shorter = open_limiter(url, 1000, 1000, false);
	redisContext *c = direct(redis.port);
	struct cg_limit_token a, b;

	assert_int_equal(cg_limiter_acquire(longer, "pttl", 5, &a),
			 CG_LIMIT_ACQUIRED);
	assert_true(direct_int(c, "PTTL ciguard:{pttl}:holders") > 55000);
	assert_int_equal(cg_limiter_acquire(shorter, "pttl", 5, &b),
			 CG_LIMIT_ACQUIRED);
	assert_int_equal(cg_limiter_refresh(shorter, "pttl", &b),
			 CG_LIMIT_REFRESHED);
	assert_true(direct_int(c, "PTTL ciguard:{pttl}:holders") > 55000);
	assert_true(direct_int(c, "PTTL ciguard:{pttl}:fences") > 55000);
	/* the fence counter never expires: fencing numbers keep growing */
	assert_int_equal(direct_int(c, "PTTL ciguard:{pttl}:fence"), -1);
	redisFree(c);
	cg_limiter_close(longer);
	cg_limiter_close(shorter);
}

static void test_limiter__bad_options_rejected(void **state)
{
	static const struct {
		long ttl_ms;
		const char *url;
		const char *says;
	} cases[] = {
	    {0, "redis://127.0.0.1:1/0", "ttl must be more than 0"},
	    {-5, "redis://127.0.0.1:1/0", "ttl must be more than 0"},
	    {1000, "http://127.0.0.1:1/", "must start with redis://"},
	    {1000, "redis://u:s3cret@127.0.0.1:99999/0", "bad redis URL"},
	    {1000, "redis://127.0.0.1:1/x", "bad redis URL"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct cg_limiter_options o = {.redis_url = cases[i].url,
					       .ttl_ms = cases[i].ttl_ms};
		char err[256] = "";

		assert_null(cg_limiter_open(&o, err, sizeof(err)));
		assert_contains(err, cases[i].says);
		assert_null(strstr(err, "s3cret"));
	}
}

static void test_limiter__bad_arguments_are_errors(void **state)
{
	struct cg_limiter *l = open_limiter(url, 1000, 1000, false);
	struct cg_limit_token t;

	assert_int_equal(cg_limiter_acquire(l, "args", 0, &t), CG_LIMIT_ERROR);
	assert_contains(cg_limiter_last_error(l), "at least 1");
	assert_int_equal(cg_limiter_acquire(l, "", 1, &t), CG_LIMIT_ERROR);
	assert_int_equal(cg_limiter_acquire(l, "a{b", 1, &t), CG_LIMIT_ERROR);
	cg_limiter_close(l);
}

/* NOSCRIPT is not an outage: under either failure policy the script is
 * sent again with EVAL and the answer is a real one, never fail-open. */
static void test_limiter__script_flush_then_acquire(void **state)
{
	for (int open = 0; open < 2; open++) {
		struct cg_limiter *l = open_limiter(url, 5000, 1000, open);
		const char *key = open ? "flush-open" : "flush-closed";
		struct cg_limit_token a, b, c;
		int n;

		wipe(key);
		assert_int_equal(cg_limiter_acquire(l, key, 2, &a),
				 CG_LIMIT_ACQUIRED);
		direct_cmd(redis.port, "SCRIPT FLUSH");
		assert_int_equal(cg_limiter_acquire(l, key, 2, &b),
				 CG_LIMIT_ACQUIRED);
		assert_false(b.fail_open);
		assert_int_equal(cg_limiter_acquire(l, key, 2, &c),
				 CG_LIMIT_FULL);
		direct_cmd(redis.port, "SCRIPT FLUSH");
		assert_int_equal(cg_limiter_count(l, key, &n), CG_LIMIT_OK);
		assert_int_equal(n, 2);
		direct_cmd(redis.port, "SCRIPT FLUSH");
		assert_int_equal(cg_limiter_refresh(l, key, &a),
				 CG_LIMIT_REFRESHED);
		direct_cmd(redis.port, "SCRIPT FLUSH");
		assert_int_equal(cg_limiter_release(l, key, &a),
				 CG_LIMIT_RELEASED);
		assert_int_equal(cg_limiter_release(l, key, &b),
				 CG_LIMIT_RELEASED);
		cg_limiter_close(l);
	}
}

static void test_limiter__auth_and_db_from_url(void **state)
{
	static const char *const args[] = {"--requirepass", "s3cret", NULL};
	struct cg_it_server secured;
	struct cg_limiter *l;
	struct cg_limit_token t;
	redisContext *c;
	redisReply *r;
	char u[96];

	assert_int_equal(cg_it_redis_start(&secured, args), 0);
	snprintf(u, sizeof(u), "redis://:s3cret@127.0.0.1:%d/3", secured.port);
	l = open_limiter(u, 5000, 1000, false);
	assert_int_equal(cg_limiter_acquire(l, "auth", 1, &t),
			 CG_LIMIT_ACQUIRED);
	cg_limiter_close(l);
	c = direct(secured.port);
	r = redisCommand(c, "AUTH s3cret");
	freeReplyObject(r);
	r = redisCommand(c, "SELECT 3");
	freeReplyObject(r);
	assert_int_equal(direct_int(c, "ZCARD ciguard:{auth}:holders"), 1);
	r = redisCommand(c, "SELECT 0");
	freeReplyObject(r);
	assert_int_equal(direct_int(c, "EXISTS ciguard:{auth}:holders"), 0);
	redisFree(c);
	/* a wrong password is an error, not an outage, and is never shown */
	snprintf(u, sizeof(u), "redis://default:wr0ng@127.0.0.1:%d/3",
		 secured.port);
	l = open_limiter(u, 5000, 1000, true);
	assert_int_equal(cg_limiter_acquire(l, "auth", 1, &t), CG_LIMIT_ERROR);
	assert_contains(cg_limiter_last_error(l), "redis://default:***@");
	assert_null(strstr(cg_limiter_last_error(l), "wr0ng"));
	cg_limiter_close(l);
	cg_it_server_release(&secured);
}

/* ---- outages ---- */

static void test_limiter__redis_stopped(void **state)
{
	struct cg_it_server gone;
	char u[64];

	assert_int_equal(cg_it_redis_start(&gone, NULL), 0);
	snprintf(u, sizeof(u), "redis://127.0.0.1:%d", gone.port);
	cg_it_server_stop(&gone, SIGTERM);
	for (int fail_open = 0; fail_open <= 1; fail_open++) {
		struct cg_limiter *l = open_limiter(u, 5000, 500, fail_open);
		struct cg_limit_token t;
		long t0 = cg_now_ms(), took;
		enum cg_limit_status st = cg_limiter_acquire(l, "k", 1, &t);

		took = cg_now_ms() - t0;
		printf("stopped, fail_open=%d: %s in %ld ms (%s)\n", fail_open,
		       cg_limit_status_name(st), took,
		       cg_limiter_last_error(l));
		assert_true(took < 500 + SLACK_MS);
		assert_contains(cg_limiter_last_error(l), "cannot connect");
		if (fail_open) {
			assert_int_equal(st, CG_LIMIT_ACQUIRED_FAIL_OPEN);
			assert_true(t.fail_open);
			assert_int_equal(cg_limiter_refresh(l, "k", &t),
					 CG_LIMIT_REFRESHED);
			assert_int_equal(cg_limiter_release(l, "k", &t),
					 CG_LIMIT_RELEASED);
		} else {
			assert_int_equal(st, CG_LIMIT_DENIED_FAIL_CLOSED);
			t.fail_open = false;
			assert_int_equal(cg_limiter_release(l, "k", &t),
					 CG_LIMIT_ERROR);
		}
		cg_limiter_close(l);
	}
	cg_it_server_release(&gone);
}

static void test_limiter__redis_frozen(void **state)
{
	struct cg_it_server frozen;
	char u[64];
	struct cg_limiter *strict, *lenient;
	struct cg_limit_token t, held;

	assert_int_equal(cg_it_redis_start(&frozen, NULL), 0);
	snprintf(u, sizeof(u), "redis://127.0.0.1:%d", frozen.port);
	strict = open_limiter(u, 5000, 300, false);
	lenient = open_limiter(u, 5000, 300, true);
	assert_int_equal(cg_limiter_acquire(strict, "frozen", 1, &held),
			 CG_LIMIT_ACQUIRED);
	kill(frozen.pid, SIGSTOP);
	for (int round = 0; round < 2; round++) {
		/* round 0: on the live connection; round 1: a new one */
		long t0 = cg_now_ms(), took;
		enum cg_limit_status st =
		    cg_limiter_acquire(strict, "frozen", 1, &t);

		took = cg_now_ms() - t0;
		printf("frozen, fail-closed: %s in %ld ms (%s)\n",
		       cg_limit_status_name(st), took,
		       cg_limiter_last_error(strict));
		assert_int_equal(st, CG_LIMIT_DENIED_FAIL_CLOSED);
		assert_true(took < 300 + SLACK_MS);
		t0 = cg_now_ms();
		st = cg_limiter_acquire(lenient, "frozen", 1, &t);
		took = cg_now_ms() - t0;
		assert_int_equal(st, CG_LIMIT_ACQUIRED_FAIL_OPEN);
		assert_true(took < 300 + SLACK_MS);
	}
	kill(frozen.pid, SIGCONT);
	/* the timed-out calls may have run late; the retry is safe */
	assert_int_equal(cg_limiter_acquire_token(strict, "frozen", 1, &held),
			 CG_LIMIT_ACQUIRED);
	assert_int_equal(cg_limiter_acquire(lenient, "frozen", 1, &t),
			 CG_LIMIT_FULL);
	cg_limiter_close(strict);
	cg_limiter_close(lenient);
	cg_it_server_release(&frozen);
}

/* redis-server on a given port (the harness picks its own), by pid */
static pid_t start_redis_on(int port)
{
	char p[16], dir[512];
	char *argv[] = {"redis-server", "--port", p,   "--bind",
			"127.0.0.1",	"--save", "",  "--appendonly",
			"no",		"--dir",  dir, NULL};
	posix_spawn_file_actions_t fa;
	pid_t pid;

	snprintf(p, sizeof(p), "%d", port);
	snprintf(dir, sizeof(dir), "%s", cg_it_tmpdir());
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	assert_int_equal(
	    posix_spawnp(&pid, "redis-server", &fa, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	return pid;
}

static void test_limiter__redis_restarted(void **state)
{
	struct cg_it_server first;
	struct cg_limiter *l, *lenient;
	struct cg_limit_token t;
	char u[64];
	int port, status, n;
	pid_t second;
	long until;
	enum cg_limit_status st;

	assert_int_equal(cg_it_redis_start(&first, NULL), 0);
	port = first.port;
	snprintf(u, sizeof(u), "redis://127.0.0.1:%d", port);
	l = open_limiter(u, 5000, 500, false);
	assert_int_equal(cg_limiter_acquire(l, "restart", 2, &t),
			 CG_LIMIT_ACQUIRED);
	cg_it_server_stop(&first, SIGKILL);
	assert_int_equal(cg_limiter_acquire(l, "restart", 2, &t),
			 CG_LIMIT_DENIED_FAIL_CLOSED);
	lenient = open_limiter(u, 5000, 500, true);
	assert_int_equal(cg_limiter_acquire(lenient, "restart", 2, &t),
			 CG_LIMIT_ACQUIRED_FAIL_OPEN);
	restarted = second = start_redis_on(port);
	until = cg_now_ms() + 10000;
	do {
		cg_sleep_ms(50);
		st = cg_limiter_count(l, "restart", &n);
	} while (st != CG_LIMIT_OK && cg_now_ms() < until);
	assert_int_equal(st, CG_LIMIT_OK);
	assert_int_equal(n, 0); /* no persistence: the state is gone */
	assert_int_equal(cg_limiter_acquire(lenient, "restart", 2, &t),
			 CG_LIMIT_ACQUIRED);
	assert_false(t.fail_open);
	assert_int_equal(cg_limiter_release(lenient, "restart", &t),
			 CG_LIMIT_RELEASED);
	cg_limiter_close(lenient);
	/* and it still admits exactly max after recovery */
	snprintf(url, sizeof(url), "redis://127.0.0.1:%d/0", port);
	race(url, "after-restart", THREADS, false, 20);
	snprintf(url, sizeof(url), "redis://127.0.0.1:%d/0", redis.port);
	cg_limiter_close(l);
	kill(second, SIGTERM);
	waitpid(second, &status, 0);
	restarted = 0;
	cg_it_server_release(&first);
}

/* ---- fair waiting ---- */

static long long queue_len(const char *key)
{
	redisContext *c = direct(redis.port);
	long long n = direct_int(c, "ZCARD ciguard:{%s}:queue", key);

	redisFree(c);
	return n;
}

static long long evalsha_calls(redisContext *c)
{
	redisReply *r = redisCommand(c, "INFO commandstats");
	const char *p;
	long long n = 0;

	assert_non_null(r);
	p = strstr(r->str, "cmdstat_evalsha:calls=");
	if (p)
		n = strtoll(p + strlen("cmdstat_evalsha:calls="), NULL, 10);
	freeReplyObject(r);
	return n;
}

struct fifo_waiter {
	const char *url; /* NULL: the test server's */
	const char *key;
	int max;
	long wait_ms;
	long hold_ms;
	atomic_int *turn; /* order of admission, shared */
	int admitted_as;  /* -1: not admitted */
	long admitted_at;
};

static void *fifo_thread(void *arg)
{
	struct fifo_waiter *w = arg;
	struct cg_limiter *l =
	    open_limiter(w->url ? w->url : url, 30000, 1000, false);
	struct cg_limit_token t;

	w->admitted_as = -1;
	if (cg_limiter_acquire_wait(l, w->key, w->max, w->wait_ms, &t) ==
	    CG_LIMIT_ACQUIRED) {
		w->admitted_at = cg_now_ms();
		w->admitted_as = atomic_fetch_add(w->turn, 1);
		cg_sleep_ms(w->hold_ms);
		cg_limiter_release(l, w->key, &t);
	}
	cg_limiter_close(l);
	return NULL;
}

static void test_limiter__waiters_admitted_in_fifo_order(void **state)
{
	struct cg_limiter *l = open_limiter(url, 30000, 1000, false);
	struct fifo_waiter w[5];
	pthread_t th[5];
	atomic_int turn = 0;
	struct cg_limit_token holder;

	wipe("fifo");
	assert_int_equal(cg_limiter_acquire(l, "fifo", 1, &holder),
			 CG_LIMIT_ACQUIRED);
	for (int i = 0; i < 5; i++) {
		w[i] = (struct fifo_waiter){.key = "fifo",
					    .max = 1,
					    .wait_ms = 20000,
					    .hold_ms = 30,
					    .turn = &turn};
		assert_int_equal(
		    pthread_create(&th[i], NULL, fifo_thread, &w[i]), 0);
		/* queued before the next one starts */
		for (int t = 0; t < 100 && queue_len("fifo") < i + 1; t++)
			cg_sleep_ms(10);
		assert_int_equal(queue_len("fifo"), i + 1);
	}
	assert_int_equal(cg_limiter_release(l, "fifo", &holder),
			 CG_LIMIT_RELEASED);
	for (int i = 0; i < 5; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < 5; i++)
		assert_int_equal(w[i].admitted_as, i);
	assert_int_equal(queue_len("fifo"), 0);
	cg_limiter_close(l);
}

/*
 * l holds the only slot of `key` (on server URL u, NULL: the test
 * server); a waiter queues for it, and after ms (well into a BLPOP) l
 * releases: how long after the release the waiter got the slot.
 */
static long woken_after_release(const char *u, struct cg_limiter *l,
				const char *key,
				const struct cg_limit_token *holder, long ms)
{
	struct fifo_waiter w = {
	    .url = u, .key = key, .max = 1, .wait_ms = 10000, .hold_ms = 0};
	atomic_int turn = 0;
	pthread_t th;
	long released_at;

	w.turn = &turn;
	assert_int_equal(pthread_create(&th, NULL, fifo_thread, &w), 0);
	cg_sleep_ms(ms);
	released_at = cg_now_ms();
	assert_int_equal(cg_limiter_release(l, key, holder), CG_LIMIT_RELEASED);
	pthread_join(th, NULL);
	assert_int_equal(w.admitted_as, 0);
	print_message("woken %ld ms after the release\n",
		      w.admitted_at - released_at);
	return w.admitted_at - released_at;
}

static void test_limiter__waiter_woken_by_release(void **state)
{
	struct cg_limiter *l = open_limiter(url, 30000, 1000, false);
	redisContext *c = direct(redis.port);
	struct cg_limit_token holder;
	long calls;

	wipe("wake");
	assert_int_equal(cg_limiter_acquire(l, "wake", 1, &holder),
			 CG_LIMIT_ACQUIRED);
	freeReplyObject(redisCommand(c, "CONFIG RESETSTAT"));
	/* a poller would show up in the call count */
	assert_true(woken_after_release(NULL, l, "wake", &holder, 3000) < 500);
	calls = (long)evalsha_calls(c);
	print_message("%ld EVALSHA calls for a 3 s wait\n", calls);
	assert_true(calls < 20);
	redisFree(c);
	cg_limiter_close(l);
}

/*
 * A release on a connection the limiter has goes without a script when
 * nobody waits (limiter.c, release_plain): it must still tell a live
 * holder from an expired or unknown one, remove the token and its fence,
 * and create no queue keys. A limiter that has not connected yet releases
 * by the script, with the same answers.
 */
static void test_limiter__release_without_waiters_runs_no_script(void **state)
{
	struct cg_limiter *l = open_limiter(url, 300, 1000, false);
	struct cg_limiter *fresh;
	redisContext *c = direct(redis.port);
	struct cg_limit_token a, b, d;

	wipe("plain");
	assert_int_equal(cg_limiter_acquire(l, "plain", 3, &a),
			 CG_LIMIT_ACQUIRED);
	assert_int_equal(cg_limiter_acquire(l, "plain", 3, &b),
			 CG_LIMIT_ACQUIRED);
	freeReplyObject(redisCommand(c, "CONFIG RESETSTAT"));
	assert_int_equal(cg_limiter_release(l, "plain", &a), CG_LIMIT_RELEASED);
	assert_int_equal(cg_limiter_release(l, "plain", &a), CG_LIMIT_NOT_HELD);
	assert_int_equal(
	    direct_int(c, "HEXISTS ciguard:{plain}:fences %s", a.id), 0);
	assert_int_equal(direct_int(c, "ZCARD ciguard:{plain}:holders"), 1);
	/* expired but not swept yet (a slot was free): not held, and gone */
	cg_sleep_ms(400);
	assert_int_equal(cg_limiter_release(l, "plain", &b), CG_LIMIT_NOT_HELD);
	assert_int_equal(direct_int(c, "EXISTS ciguard:{plain}:holders"), 0);
	assert_int_equal(direct_int(c, "EXISTS ciguard:{plain}:fences"), 0);
	assert_int_equal(direct_int(c, "EXISTS ciguard:{plain}:queue"), 0);
	assert_int_equal(evalsha_calls(c), 0);
	/* the script's way, from a limiter without a connection */
	assert_int_equal(cg_limiter_acquire(l, "plain", 3, &d),
			 CG_LIMIT_ACQUIRED);
	fresh = open_limiter(url, 300, 1000, false);
	assert_int_equal(cg_limiter_release(fresh, "plain", &d),
			 CG_LIMIT_RELEASED);
	assert_int_equal(cg_limiter_release(fresh, "plain", &d),
			 CG_LIMIT_NOT_HELD);
	assert_int_equal(direct_int(c, "EXISTS ciguard:{plain}:holders"), 0);
	cg_limiter_close(fresh);
	redisFree(c);
	cg_limiter_close(l);
}

/*
 * cg_limiter_acquire takes a short script when nobody waits, the wait a
 * full one: fencing numbers grow across both, a refused attempt leaves
 * no trace in the set, and the keys it makes expire.
 */
static void test_limiter__fast_and_full_acquire_share_fences(void **state)
{
	struct cg_limiter *l = open_limiter(url, 5000, 1000, false);
	redisContext *c = direct(redis.port);
	struct cg_limit_token a, b, d, e, refused;

	wipe("paths");
	assert_int_equal(cg_limiter_acquire(l, "paths", 2, &a),
			 CG_LIMIT_ACQUIRED);
	/* a new set gets its expiry at once */
	assert_true(direct_int(c, "PTTL ciguard:{paths}:holders") > 5000);
	assert_true(direct_int(c, "PTTL ciguard:{paths}:fences") > 5000);
	assert_int_equal(cg_limiter_acquire(l, "paths", 2, &b),
			 CG_LIMIT_ACQUIRED);
	assert_true(b.fence > a.fence);
	assert_int_equal(cg_limiter_acquire(l, "paths", 2, &refused),
			 CG_LIMIT_FULL);
	assert_int_equal(direct_int(c, "ZCARD ciguard:{paths}:holders"), 2);
	assert_int_equal(direct_int(c, "HLEN ciguard:{paths}:fences"), 2);
	assert_int_equal(cg_limiter_release(l, "paths", &a), CG_LIMIT_RELEASED);
	assert_int_equal(cg_limiter_acquire_wait(l, "paths", 2, 1000, &d),
			 CG_LIMIT_ACQUIRED);
	assert_true(d.fence > b.fence);
	assert_int_equal(cg_limiter_release(l, "paths", &b), CG_LIMIT_RELEASED);
	assert_int_equal(cg_limiter_acquire(l, "paths", 2, &e),
			 CG_LIMIT_ACQUIRED);
	assert_true(e.fence > d.fence);
	assert_int_equal(direct_int(c, "ZCARD ciguard:{paths}:holders"), 2);
	assert_int_equal(direct_int(c, "HLEN ciguard:{paths}:fences"), 2);
	assert_true(direct_int(c, "PTTL ciguard:{paths}:holders") > 5000);
	assert_true(direct_int(c, "PTTL ciguard:{paths}:fences") > 5000);
	assert_int_equal(cg_limiter_release(l, "paths", &d), CG_LIMIT_RELEASED);
	assert_int_equal(cg_limiter_release(l, "paths", &e), CG_LIMIT_RELEASED);
	redisFree(c);
	cg_limiter_close(l);
}

static void test_limiter__wait_timeout_leaves_queue(void **state)
{
	struct cg_limiter *l = open_limiter(url, 30000, 1000, false);
	struct cg_limiter *m = open_limiter(url, 30000, 1000, false);
	struct cg_limit_token holder, t;
	long start = cg_now_ms(), took;

	wipe("timeout");
	assert_int_equal(cg_limiter_acquire(l, "timeout", 1, &holder),
			 CG_LIMIT_ACQUIRED);
	assert_int_equal(cg_limiter_acquire_wait(m, "timeout", 1, 700, &t),
			 CG_LIMIT_FULL);
	took = cg_now_ms() - start;
	assert_true(took >= 650 && took < 2500);
	assert_int_equal(queue_len("timeout"), 0);
	/* a released slot now goes to a newcomer: nobody is queued */
	assert_int_equal(cg_limiter_release(l, "timeout", &holder),
			 CG_LIMIT_RELEASED);
	assert_int_equal(cg_limiter_acquire(m, "timeout", 1, &t),
			 CG_LIMIT_ACQUIRED);
	cg_limiter_close(m);
	cg_limiter_close(l);
}

static void test_limiter__dead_waiter_leaves_queue(void **state)
{
	struct cg_limiter *l = open_limiter(url, 30000, 1000, false);
	struct fifo_waiter w;
	pthread_t th;
	atomic_int turn = 0;
	struct cg_limit_token holder;
	pid_t dead;
	long released_at;

	wipe("dead");
	assert_int_equal(cg_limiter_acquire(l, "dead", 1, &holder),
			 CG_LIMIT_ACQUIRED);
	dead = fork();
	assert_true(dead >= 0);
	if (dead == 0) {
		struct cg_limiter *c = open_limiter(url, 30000, 1000, false);
		struct cg_limit_token t;

		cg_limiter_acquire_wait(c, "dead", 1, 60000, &t);
		_exit(0);
	}
	for (int i = 0; i < 100 && queue_len("dead") < 1; i++)
		cg_sleep_ms(10);
	assert_int_equal(queue_len("dead"), 1);
	kill(dead, SIGKILL);
	waitpid(dead, NULL, 0);
	w = (struct fifo_waiter){.key = "dead",
				 .max = 1,
				 .wait_ms = 10000,
				 .hold_ms = 0,
				 .turn = &turn};
	assert_int_equal(pthread_create(&th, NULL, fifo_thread, &w), 0);
	for (int i = 0; i < 100 && queue_len("dead") < 2; i++)
		cg_sleep_ms(10);
	released_at = cg_now_ms();
	assert_int_equal(cg_limiter_release(l, "dead", &holder),
			 CG_LIMIT_RELEASED);
	pthread_join(th, NULL);
	print_message("admitted %ld ms after the release, past a dead head\n",
		      w.admitted_at - released_at);
	assert_int_equal(w.admitted_as, 0);
	assert_true(w.admitted_at - released_at < 4000);
	cg_limiter_close(l);
}

static atomic_bool fair_stop;
static atomic_int fair_over, fair_errors;

struct fair_worker {
	int done;
	long waited_max;
};

static void *fair_thread(void *arg)
{
	struct fair_worker *f = arg;
	struct cg_limiter *l = open_limiter(url, 30000, 1000, false);

	while (!atomic_load(&fair_stop)) {
		struct cg_limit_token t;
		long start = cg_now_ms();

		if (cg_limiter_acquire_wait(l, "fair", 2, 10000, &t) !=
		    CG_LIMIT_ACQUIRED) {
			atomic_fetch_add(&fair_errors, 1);
			break;
		}
		if (cg_now_ms() - start > f->waited_max)
			f->waited_max = cg_now_ms() - start;
		cg_sleep_ms(5);
		if (cg_limiter_release(l, "fair", &t) != CG_LIMIT_RELEASED)
			atomic_fetch_add(&fair_errors, 1);
		f->done++;
	}
	cg_limiter_close(l);
	return NULL;
}

static void *fair_monitor(void *arg)
{
	redisContext *c = direct(redis.port);

	(void)arg;
	while (!atomic_load(&fair_stop)) {
		if (direct_int(c, "ZCARD ciguard:{fair}:holders") > 2)
			atomic_fetch_add(&fair_over, 1);
		cg_sleep_ms(1);
	}
	redisFree(c);
	return NULL;
}

static void test_limiter__contention_is_fair(void **state)
{
	struct fair_worker f[10] = {0};
	pthread_t th[10], mon;
	int lo = 1 << 30, hi = 0, total = 0;
	long wmax = 0;

	wipe("fair");
	atomic_store(&fair_stop, false);
	assert_int_equal(pthread_create(&mon, NULL, fair_monitor, NULL), 0);
	for (int i = 0; i < 10; i++)
		assert_int_equal(
		    pthread_create(&th[i], NULL, fair_thread, &f[i]), 0);
	cg_sleep_ms(2000);
	atomic_store(&fair_stop, true);
	for (int i = 0; i < 10; i++)
		pthread_join(th[i], NULL);
	pthread_join(mon, NULL);
	for (int i = 0; i < 10; i++) {
		lo = f[i].done < lo ? f[i].done : lo;
		hi = f[i].done > hi ? f[i].done : hi;
		wmax = f[i].waited_max > wmax ? f[i].waited_max : wmax;
		total += f[i].done;
	}
	print_message("%d cycles in 2 s, per thread %d..%d, longest wait %ld "
		      "ms\n",
		      total, lo, hi, wmax);
	assert_int_equal(atomic_load(&fair_errors), 0);
	assert_int_equal(atomic_load(&fair_over), 0);
	assert_true(lo >= 20);
	assert_true(hi * 2 <= lo * 3);
}

/* Until a PING on port answers PONG (10 s at most). */
static bool pongs_within(int port, long ms)
{
	long until = cg_now_ms() + ms;

	while (cg_now_ms() < until) {
		redisContext *c = redisConnect("127.0.0.1", port);
		redisReply *r = c && !c->err ? redisCommand(c, "PING") : NULL;
		bool ok = r && r->type == REDIS_REPLY_STATUS;

		if (r)
			freeReplyObject(r);
		if (c)
			redisFree(c);
		if (ok)
			return true;
		cg_sleep_ms(20);
	}
	return false;
}

/*
 * Redis restarts between two calls: the limiter's connection is dead,
 * but the server is back. The next call finds out on sending, and sends
 * once more on a new connection instead of applying the failure policy.
 */
static void test_limiter__restart_between_calls_is_invisible(void **state)
{
	struct cg_it_server first;
	struct cg_limiter *l;
	struct cg_limit_token t;
	char u[64];
	pid_t second;
	int status;

	assert_int_equal(cg_it_redis_start(&first, NULL), 0);
	snprintf(u, sizeof(u), "redis://127.0.0.1:%d", first.port);
	l = open_limiter(u, 5000, 1000, false);
	assert_int_equal(cg_limiter_acquire(l, "again", 2, &t),
			 CG_LIMIT_ACQUIRED);
	cg_it_server_stop(&first, SIGKILL);
	restarted = second = start_redis_on(first.port);
	assert_true(pongs_within(first.port, 10000));
	if (cg_limiter_acquire(l, "again", 2, &t) != CG_LIMIT_ACQUIRED)
		fail_msg("acquire after the restart: %s",
			 cg_limiter_last_error(l));
	assert_int_equal(cg_limiter_release(l, "again", &t), CG_LIMIT_RELEASED);
	cg_limiter_close(l);
	kill(second, SIGTERM);
	waitpid(second, &status, 0);
	restarted = 0;
	cg_it_server_release(&first);
}

/* ---- Redis Cluster ---- */

#define NODES 3

/* The index of the node that serves `key`'s slot, asked of node 0 (a
 * MOVED answer names the owner's port). */
static int slot_owner(const struct cg_it_server *nodes, const char *key)
{
	redisContext *c = direct(nodes[0].port);
	redisReply *r = redisCommand(c, "EXISTS %s", key);
	int owner = -1;

	assert_non_null(r);
	if (r->type == REDIS_REPLY_INTEGER) {
		owner = 0;
	} else if (r->type == REDIS_REPLY_ERROR &&
		   !strncmp(r->str, "MOVED ", 6)) {
		int port = atoi(strrchr(r->str, ':') + 1);

		for (int i = 0; i < NODES; i++)
			if (nodes[i].port == port)
				owner = i;
	}
	if (owner < 0)
		fail_msg("EXISTS %s on node 0: %s", key,
			 r->type == REDIS_REPLY_ERROR ? r->str : "?");
	freeReplyObject(r);
	redisFree(c);
	return owner;
}

/* A limiter key "<prefix>N" whose keys live on node `want` (or, with
 * want < 0, on any node but 0), into out. */
static int key_on(const struct cg_it_server *nodes, const char *prefix,
		  int want, char *out, size_t n)
{
	for (int i = 0; i < 1000; i++) {
		char k[128];
		int owner;

		snprintf(out, n, "%s%d", prefix, i);
		snprintf(k, sizeof(k), "ciguard:{%s}:holders", out);
		owner = slot_owner(nodes, k);
		if (want < 0 ? owner != 0 : owner == want)
			return owner;
	}
	fail_msg("no key with prefix %s on node %d", prefix, want);
	return -1;
}

/* Calls of an EVAL or EVALSHA that a node ran (not rejected), from INFO
 * commandstats. */
static long long script_calls(int port)
{
	redisContext *c = direct(port);
	redisReply *r = redisCommand(c, "INFO commandstats");
	long long total = 0;

	assert_non_null(r);
	assert_int_equal(r->type, REDIS_REPLY_STRING);
	for (const char *name = "cmdstat_evalsha:calls=";;) {
		const char *p = strstr(r->str, name);

		if (p)
			total += atoll(p + strlen(name));
		if (!strcmp(name, "cmdstat_eval:calls="))
			break;
		name = "cmdstat_eval:calls=";
	}
	freeReplyObject(r);
	redisFree(c);
	return total;
}

static void release_nodes(struct cg_it_server *nodes)
{
	for (int i = 0; i < NODES; i++)
		cg_it_server_release(&nodes[i]);
}

/*
 * The race on a 3-master cluster, through the URL of node 0 for a key
 * whose slot another node serves: every call is answered MOVED first and
 * must be followed, and still exactly 2 are admitted every round.
 */
static void test_limiter__cluster_race_follows_moved(void **state)
{
	struct cg_it_server nodes[NODES];
	char u[64], key[64];
	int owner;
	long long before;
	struct cg_limiter *l;
	struct cg_limit_token holder;

	if (cg_it_redis_cluster_start(nodes, NODES, 0, 5000) < 0) {
		release_nodes(nodes);
		fail_msg("could not start a %d-node cluster", NODES);
	}
	snprintf(u, sizeof(u), "redis://127.0.0.1:%d/0", nodes[0].port);
	owner = key_on(nodes, "race", -1, key, sizeof(key));
	print_message("key '%s' lives on node %d (port %d); URL is node 0\n",
		      key, owner, nodes[owner].port);
	before = script_calls(nodes[owner].port);
	race(u, key, THREADS, false, ROUNDS);
	race(u, key, PROCS, true, ROUNDS);
	/* the owner ran the scripts: an acquire per racer per round */
	assert_true(script_calls(nodes[owner].port) - before >=
		    (long long)(THREADS + PROCS) * ROUNDS);
	assert_int_equal(script_calls(nodes[0].port), 0);

	/* waiting works there too (the wake-up list shares the slot): a
	 * release wakes the waiter, not its next renewal 1 s into a BLPOP */
	l = open_limiter(u, 30000, 1000, false);
	assert_int_equal(cg_limiter_acquire(l, key, 1, &holder),
			 CG_LIMIT_ACQUIRED);
	assert_true(woken_after_release(u, l, key, &holder, 1500) < 300);
	cg_limiter_close(l);
	release_nodes(nodes);
}

/* CLUSTER MYID of the node on port, into id (41 bytes). */
static void node_id(int port, char *id)
{
	redisContext *c = direct(port);
	redisReply *r = redisCommand(c, "CLUSTER MYID");

	assert_non_null(r);
	assert_int_equal(r->type, REDIS_REPLY_STRING);
	snprintf(id, 41, "%s", r->str);
	freeReplyObject(r);
	redisFree(c);
}

static void set_slot(int port, long long slot, const char *how, const char *id)
{
	redisContext *c = direct(port);
	redisReply *r =
	    redisCommand(c, "CLUSTER SETSLOT %lld %s %s", slot, how, id);

	assert_non_null(r);
	if (r->type == REDIS_REPLY_ERROR)
		fail_msg("CLUSTER SETSLOT %lld %s: %s", slot, how, r->str);
	freeReplyObject(r);
	redisFree(c);
}

struct finisher {
	struct cg_it_server *nodes;
	long long slot;
	const char *owner_id;
	long after_ms;
};

/* End a migration after a while: every node is told the new owner. */
static void *finish_migration(void *arg)
{
	struct finisher *f = arg;

	cg_sleep_ms(f->after_ms);
	for (int i = 0; i < NODES; i++)
		set_slot(f->nodes[i].port, f->slot, "NODE", f->owner_id);
	return NULL;
}

/*
 * A slot migrating from node A to node B. A answers ASK for keys it no
 * longer has, and the limiter must ask B (after ASKING, which B requires).
 * A script on several keys, some not on B yet, gets TRYAGAIN from B: the
 * limiter retries within its command timeout, and applies its failure
 * policy once that is spent. When the migration ends, A answers MOVED.
 */
static void test_limiter__cluster_ask_during_migration(void **state)
{
	struct cg_it_server nodes[NODES];
	char u[64], key[64], holders[128], a_id[41], b_id[41];
	struct cg_limit_token t1, t2, t3;
	struct cg_limiter *l, *impatient;
	struct finisher fin;
	pthread_t th;
	redisContext *c;
	redisReply *r;
	long long slot;
	long start, took;
	int a, b = 2, n = -1;

	if (cg_it_redis_cluster_start(nodes, NODES, 0, 5000) < 0) {
		release_nodes(nodes);
		fail_msg("could not start a %d-node cluster", NODES);
	}
	snprintf(u, sizeof(u), "redis://127.0.0.1:%d/0", nodes[0].port);
	a = key_on(nodes, "moving", 1, key, sizeof(key));
	snprintf(holders, sizeof(holders), "ciguard:{%s}:holders", key);
	c = direct(nodes[a].port);
	slot = direct_int(c, "CLUSTER KEYSLOT %s", holders);
	redisFree(c);
	node_id(nodes[a].port, a_id);
	node_id(nodes[b].port, b_id);
	set_slot(nodes[b].port, slot, "IMPORTING", a_id);
	set_slot(nodes[a].port, slot, "MIGRATING", b_id);

	/* a holder that was migrated already: on B only */
	c = direct(nodes[b].port);
	r = redisCommand(c, "ASKING");
	freeReplyObject(r);
	assert_int_equal(direct_int(c, "ZADD %s 99999999999999 %s", holders,
				    "0123456789abcdef0123456789abcdef"),
			 1);
	redisFree(c);

	/* one key (count): A says ASK, B answers */
	l = open_limiter(u, 30000, 2000, false);
	if (cg_limiter_count(l, key, &n) != CG_LIMIT_OK)
		fail_msg("count while migrating: %s", cg_limiter_last_error(l));
	assert_int_equal(n, 1);

	/* six keys (acquire): TRYAGAIN until the timeout, then the policy */
	impatient = open_limiter(u, 30000, 300, false);
	start = cg_now_ms();
	assert_int_equal(cg_limiter_acquire(impatient, key, 2, &t1),
			 CG_LIMIT_DENIED_FAIL_CLOSED);
	took = cg_now_ms() - start;
	print_message("acquire while migrating, 300 ms timeout: %ld ms, %s\n",
		      took, cg_limiter_last_error(impatient));
	assert_contains(cg_limiter_last_error(impatient), "TRYAGAIN");
	assert_true(took >= 290 && took < 300 + SLACK_MS);
	cg_limiter_close(impatient);

	/* the migration ends 300 ms into a patient acquire: it gets in */
	fin = (struct finisher){nodes, slot, b_id, 300};
	assert_int_equal(pthread_create(&th, NULL, finish_migration, &fin), 0);
	start = cg_now_ms();
	if (cg_limiter_acquire(l, key, 2, &t1) != CG_LIMIT_ACQUIRED)
		fail_msg("acquire across the migration: %s",
			 cg_limiter_last_error(l));
	took = cg_now_ms() - start;
	pthread_join(th, NULL);
	print_message("acquire across the end of the migration: %ld ms\n",
		      took);
	assert_true(took >= 250);

	/* B owns the slot now: A answers MOVED, and max 2 still holds */
	assert_int_equal(cg_limiter_acquire(l, key, 2, &t2), CG_LIMIT_FULL);
	assert_int_equal(cg_limiter_count(l, key, &n), CG_LIMIT_OK);
	assert_int_equal(n, 2);
	assert_int_equal(cg_limiter_release(l, key, &t1), CG_LIMIT_RELEASED);
	assert_int_equal(cg_limiter_acquire(l, key, 2, &t3), CG_LIMIT_ACQUIRED);
	assert_true(t3.fence > t1.fence);
	c = direct(nodes[a].port);
	assert_int_equal(direct_int(c, "CLUSTER COUNTKEYSINSLOT %lld", slot),
			 0);
	redisFree(c);
	cg_limiter_close(l);
	release_nodes(nodes);
}

/* ROLE of the node on port: "master" or "slave". */
static bool is_master(int port)
{
	redisContext *c = direct(port);
	redisReply *r = redisCommand(c, "ROLE");
	bool m;

	assert_non_null(r);
	assert_int_equal(r->type, REDIS_REPLY_ARRAY);
	m = !strcmp(r->element[0]->str, "master");
	freeReplyObject(r);
	redisFree(c);
	return m;
}

/* The port that serves `key` as the node on `port` sees it (its own
 * port, or the one its MOVED names), or -1 on another answer. */
static int serving_port(int port, const char *key)
{
	redisContext *c = direct(port);
	redisReply *r = redisCommand(c, "EXISTS %s", key);
	int p = -1;

	if (r && r->type == REDIS_REPLY_INTEGER)
		p = port;
	else if (r && r->type == REDIS_REPLY_ERROR &&
		 !strncmp(r->str, "MOVED ", 6))
		p = atoi(strrchr(r->str, ':') + 1);
	if (r)
		freeReplyObject(r);
	redisFree(c);
	return p;
}

/* The master on port has a replica that is in sync. */
static bool replica_online(int port)
{
	redisContext *c = direct(port);
	redisReply *r = redisCommand(c, "INFO replication");
	bool ok;

	assert_non_null(r);
	ok = r->type == REDIS_REPLY_STRING && strstr(r->str, "state=online");
	freeReplyObject(r);
	redisFree(c);
	return ok;
}

/*
 * The master of the limiter's slot dies and its replica takes over. The
 * limiter, pointed at the dead master by an earlier MOVED, goes back to
 * the URL's node, which sends it to the new master.
 */
static void test_limiter__cluster_failover_found_via_url(void **state)
{
	enum { N = 6 };
	struct cg_it_server nodes[N];
	int masters[N], nm = 0, seed, dead = -1, now = -1, n;
	char u[64], key[64], holders[128];
	struct cg_limiter *l;
	struct cg_limit_token tok;
	long until;

	if (cg_it_redis_cluster_start(nodes, N, 1, 1000) < 0) {
		for (int i = 0; i < N; i++)
			cg_it_server_release(&nodes[i]);
		fail_msg("could not start a %d-node cluster", N);
	}
	for (int i = 0; i < N; i++)
		if (is_master(nodes[i].port))
			masters[nm++] = i;
	assert_int_equal(nm, 3);
	seed = masters[0];
	/* a key served by another master */
	for (int i = 0; i < 1000 && dead < 0; i++) {
		int p;

		snprintf(key, sizeof(key), "failover%d", i);
		snprintf(holders, sizeof(holders), "ciguard:{%s}:holders", key);
		p = serving_port(nodes[seed].port, holders);
		for (int j = 0; j < N; j++)
			if (j != seed && nodes[j].port == p)
				dead = j;
	}
	assert_true(dead >= 0);
	snprintf(u, sizeof(u), "redis://127.0.0.1:%d/0", nodes[seed].port);
	l = open_limiter(u, 30000, 1000, false);
	assert_int_equal(cg_limiter_acquire(l, key, 2, &tok),
			 CG_LIMIT_ACQUIRED);
	/* its replica is in sync (so it can take over) before it dies */
	until = cg_now_ms() + 30000;
	while (!replica_online(nodes[dead].port) && cg_now_ms() < until)
		cg_sleep_ms(50);
	assert_true(replica_online(nodes[dead].port));
	cg_it_server_stop(&nodes[dead], SIGKILL);
	/* a call while the slot has no master: it fails (the count script's
	 * first use, so SCRIPT LOAD goes first), and must not leave the
	 * limiter stuck on the dead node */
	if (cg_limiter_count(l, key, &n) == CG_LIMIT_OK)
		print_message("count during the failover: %d\n", n);
	until = cg_now_ms() + 30000;
	while (cg_now_ms() < until) {
		now = serving_port(nodes[seed].port, holders);
		if (now > 0 && now != nodes[dead].port)
			break;
		cg_sleep_ms(100);
	}
	print_message("slot of '%s': port %d died, port %d took over\n", key,
		      nodes[dead].port, now);
	assert_true(now > 0 && now != nodes[dead].port);
	for (int t = 0; t < 50 && !cg_it_redis_cluster_ok(nodes[seed].port);
	     t++)
		cg_sleep_ms(100);
	if (cg_limiter_acquire(l, key, 2, &tok) != CG_LIMIT_ACQUIRED)
		fail_msg("acquire after the failover: %s",
			 cg_limiter_last_error(l));
	cg_limiter_close(l);
	for (int i = 0; i < N; i++)
		cg_it_server_release(&nodes[i]);
}

/* A node that redirects in a loop: the limiter gives up after a few hops
 * and applies its failure policy instead of spinning. */
static void serve_moved_loop(struct cg_it_fake *f, int fd, unsigned n,
			     void *ctx)
{
	char buf[4096], reply[64];

	(void)n;
	snprintf(reply, sizeof(reply), "-MOVED 1 :%d\r\n", cg_it_fake_port(f));
	(void)ctx;
	while (cg_it_fake_recv(f, fd, buf, sizeof(buf)) > 0)
		if (cg_it_fake_send(fd, reply, strlen(reply)) < 0)
			break;
}

static void test_limiter__cluster_redirect_loop_is_bounded(void **state)
{
	struct cg_it_fake *f = cg_it_fake_start(serve_moved_loop, NULL);
	char u[64];
	struct cg_limiter *l;
	struct cg_limit_token tok;

	assert_non_null(f);
	snprintf(u, sizeof(u), "redis://127.0.0.1:%d/0", cg_it_fake_port(f));
	l = open_limiter(u, 30000, 1000, false);
	assert_int_equal(cg_limiter_acquire(l, "loop", 2, &tok),
			 CG_LIMIT_DENIED_FAIL_CLOSED);
	assert_contains(cg_limiter_last_error(l), "cluster redirects");
	cg_limiter_close(l);
	l = open_limiter(u, 30000, 1000, true);
	assert_int_equal(cg_limiter_acquire(l, "loop", 2, &tok),
			 CG_LIMIT_ACQUIRED_FAIL_OPEN);
	cg_limiter_close(l);
	cg_it_fake_stop(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_limiter__threads_admit_exactly_max),
	    cmocka_unit_test(test_limiter__processes_admit_exactly_max),
	    cmocka_unit_test(test_limiter__mixed_load_never_over_max),
	    cmocka_unit_test(test_limiter__crashed_holder_freed_after_ttl),
	    cmocka_unit_test(test_limiter__refreshing_holder_kept),
	    cmocka_unit_test(test_limiter__refresh_of_expired_is_lost),
	    cmocka_unit_test(test_limiter__retry_with_same_token_is_one_holder),
	    cmocka_unit_test(test_limiter__expired_holder_not_revived),
	    cmocka_unit_test(test_limiter__key_expiry_never_shortened),
	    cmocka_unit_test(test_limiter__bad_options_rejected),
	    cmocka_unit_test(test_limiter__bad_arguments_are_errors),
	    cmocka_unit_test(test_limiter__script_flush_then_acquire),
	    cmocka_unit_test(test_limiter__auth_and_db_from_url),
	    cmocka_unit_test(test_limiter__waiters_admitted_in_fifo_order),
	    cmocka_unit_test(test_limiter__waiter_woken_by_release),
	    cmocka_unit_test(
		test_limiter__release_without_waiters_runs_no_script),
	    cmocka_unit_test(test_limiter__fast_and_full_acquire_share_fences),
	    cmocka_unit_test(test_limiter__wait_timeout_leaves_queue),
	    cmocka_unit_test(test_limiter__dead_waiter_leaves_queue),
	    cmocka_unit_test(test_limiter__contention_is_fair),
	    cmocka_unit_test(test_limiter__cluster_race_follows_moved),
	    cmocka_unit_test(test_limiter__cluster_ask_during_migration),
	    cmocka_unit_test(test_limiter__cluster_failover_found_via_url),
	    cmocka_unit_test(test_limiter__cluster_redirect_loop_is_bounded),
	    cmocka_unit_test(test_limiter__redis_stopped),
	    cmocka_unit_test(test_limiter__redis_frozen),
	    cmocka_unit_test(test_limiter__redis_restarted),
	    cmocka_unit_test(test_limiter__restart_between_calls_is_invisible),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
