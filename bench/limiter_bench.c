/*
 * bench/limiter_bench.c: the C side of the limiter part of `make bench`
 * (bench/limiter.sh starts the redis-server and prints the table).
 *
 *   limiter_bench script acquire
 *	the acquire script exactly as the library sends it, for
 *	`redis-cli -x SCRIPT LOAD` (its SHA1 is then the library's)
 *   limiter_bench ceiling-args KEY TOKEN
 *	the keys and arguments of that script after "EVALSHA SHA", for
 *	redis-benchmark: a huge max and no queueing, so every call admits
 *   limiter_bench pairs PORT CLIENTS SECONDS
 *	acquire+release pairs per second and the latency of a pair
 *   limiter_bench race PORT MAX CLIENTS ROUNDS
 *	CLIENTS threads released at once by a barrier each round try to take
 *	one of MAX slots: first the naive ZCARD-then-ZADD pattern, then
 *	cg_limiter_acquire; how many were admitted, per round
 *   limiter_bench contention PORT MAX CLIENTS HOLD_MS TOTAL
 *	CLIENTS threads loop cg_limiter_acquire_wait -> hold -> release
 *	until TOTAL acquisitions: the wait and the share of each client
 *
 * Every client is a thread with its own connection. Each measurement is
 * one line of key=value fields on stdout (limiter.sh reads them; peer.js
 * prints the same for the peer); errors go to stderr and make the exit
 * status 1. The numbers are wall-clock times on a machine shared with
 * the redis-server and nothing is pinned.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "ciguard/limiter.h"
#include "core/core.h"
/* the library's private scripts, for their exact text; only the acquire
 * script is used here */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-const-variable"
#include "limiter/scripts.h"
#pragma GCC diagnostic pop
#include "core/banned.h"

#define COMMAND_TIMEOUT_MS 10000
#define TTL_MS 60000
#define WAIT_MS 60000

struct samples {
	uint64_t *ns;
	size_t n, alloc;
};

static void samples_add(struct samples *s, uint64_t ns)
{
	if (s->n == s->alloc) {
		s->alloc = s->alloc ? 2 * s->alloc : 4096;
		s->ns = realloc(s->ns, s->alloc * sizeof(*s->ns));
		if (!s->ns) {
			fprintf(stderr, "limiter_bench: out of memory\n");
			exit(1);
		}
	}
	s->ns[s->n++] = ns;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile p (0 < p <= 1) of sorted samples, in ns. */
static uint64_t percentile(const struct samples *s, double p)
{
	size_t rank;

	if (!s->n)
		return 0;
	rank = (size_t)(p * (double)s->n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > s->n)
		rank = s->n;
	return s->ns[rank - 1];
}

/* Append one worker's samples to all. */
static void samples_merge(struct samples *all, const struct samples *one)
{
	for (size_t i = 0; i < one->n; i++)
		samples_add(all, one->ns[i]);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static long parse_long(const char *s, long min, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min) {
		fprintf(stderr, "limiter_bench: bad %s '%s'\n", what, s);
		exit(2);
	}
	return v;
}

static void start_thread(pthread_t *out, void *(*run)(void *), void *arg)
{
	int err = pthread_create(out, NULL, run, arg);

	if (err) {
		fprintf(stderr, "limiter_bench: cannot start a thread: %s\n",
			strerror(err));
		exit(1);
	}
}

static char redis_url[64];

static struct cg_limiter *open_limiter(void)
{
	struct cg_limiter_options o = {.redis_url = redis_url,
				       .ttl_ms = TTL_MS,
				       .command_timeout_ms =
					   COMMAND_TIMEOUT_MS};
	char err[256];
	struct cg_limiter *l = cg_limiter_open(&o, err, sizeof(err));

	if (!l) {
		fprintf(stderr, "limiter_bench: cg_limiter_open: %s\n", err);
		exit(1);
	}
	return l;
}

/* An acquire or release that did not answer as it must: say why, once. */
static void report_failure(struct cg_limiter *l, const char *op,
			   enum cg_limit_status st)
{
	static atomic_int reported;

	if (atomic_fetch_add(&reported, 1) == 0)
		fprintf(stderr, "limiter_bench: %s answered %s: %s\n", op,
			cg_limit_status_name(st), cg_limiter_last_error(l));
}

/* Connect and load the scripts outside the timed part. */
static int warm_up(struct cg_limiter *l)
{
	struct cg_limit_token tok;
	enum cg_limit_status st;

	st = cg_limiter_acquire(l, "bench-warm-up", 1000000, &tok);
	if (st != CG_LIMIT_ACQUIRED) {
		report_failure(l, "acquire", st);
		return -1;
	}
	st = cg_limiter_release(l, "bench-warm-up", &tok);
	if (st != CG_LIMIT_RELEASED) {
		report_failure(l, "release", st);
		return -1;
	}
	return 0;
}

/* ---- script, ceiling-args ---- */

static int cmd_script(int argc, char **argv)
{
	if (argc != 1 || strcmp(argv[0], "acquire") != 0) {
		fprintf(stderr, "usage: limiter_bench script acquire\n");
		return 2;
	}
	fputs(script_acquire, stdout);
	return 0;
}

/* The argument order of acquire_step in src/limiter/limiter.c: keys
 * holders, fences, fence, queue, leases, ticket; args token, max, ttl_ms,
 * lease_ms (0: do not queue), wake prefix. */
static int cmd_ceiling_args(int argc, char **argv)
{
	const char *key, *token;

	if (argc != 2) {
		fprintf(stderr,
			"usage: limiter_bench ceiling-args KEY TOKEN\n");
		return 2;
	}
	key = argv[0];
	token = argv[1];
	printf("6 ciguard:{%s}:holders ciguard:{%s}:fences ciguard:{%s}:fence "
	       "ciguard:{%s}:queue ciguard:{%s}:leases ciguard:{%s}:ticket "
	       "%s 1000000000 %d 0 ciguard:{%s}:wake:\n",
	       key, key, key, key, key, key, token, TTL_MS, key);
	return 0;
}

/* ---- pairs ---- */

struct pairs_worker {
	pthread_t thread;
	const char *key;
	int max_slots;
	pthread_barrier_t *start;
	atomic_bool *stop;
	struct samples latency;
	long errors;
};

static void *pairs_run(void *arg)
{
	struct pairs_worker *w = arg;
	struct cg_limiter *l = open_limiter();

	if (warm_up(l) < 0)
		w->errors++;
	pthread_barrier_wait(w->start);
	while (!w->errors && !atomic_load(w->stop)) {
		struct cg_limit_token tok;
		uint64_t t0 = now_ns();
		enum cg_limit_status st =
		    cg_limiter_acquire(l, w->key, w->max_slots, &tok);

		if (st != CG_LIMIT_ACQUIRED) {
			report_failure(l, "acquire", st);
			w->errors++;
			break;
		}
		st = cg_limiter_release(l, w->key, &tok);
		if (st != CG_LIMIT_RELEASED) {
			report_failure(l, "release", st);
			w->errors++;
			break;
		}
		samples_add(&w->latency, now_ns() - t0);
	}
	cg_limiter_close(l);
	return NULL;
}

static int cmd_pairs(int argc, char **argv)
{
	long clients, seconds, errors = 0;
	struct pairs_worker *w;
	struct samples all = {0};
	pthread_barrier_t start;
	atomic_bool stop = false;
	char key[64];
	uint64_t t0, elapsed;

	if (argc != 2) {
		fprintf(stderr, "usage: limiter_bench pairs PORT CLIENTS "
				"SECONDS\n");
		return 2;
	}
	clients = parse_long(argv[0], 1, "number of clients");
	seconds = parse_long(argv[1], 1, "number of seconds");
	snprintf(key, sizeof(key), "bench-pairs-%ld", clients);
	w = calloc((size_t)clients, sizeof(*w));
	if (!w)
		return 1;
	pthread_barrier_init(&start, NULL, (unsigned)clients + 1);
	for (long i = 0; i < clients; i++) {
		w[i].key = key;
		/* one slot per client: every acquire is admitted */
		w[i].max_slots = (int)clients;
		w[i].start = &start;
		w[i].stop = &stop;
		start_thread(&w[i].thread, pairs_run, &w[i]);
	}
	pthread_barrier_wait(&start);
	t0 = now_ns();
	cg_sleep_ms(seconds * 1000);
	atomic_store(&stop, true);
	for (long i = 0; i < clients; i++) {
		pthread_join(w[i].thread, NULL);
		errors += w[i].errors;
		samples_merge(&all, &w[i].latency);
		free(w[i].latency.ns);
	}
	elapsed = now_ns() - t0;
	qsort(all.ns, all.n, sizeof(*all.ns), cmp_u64);
	printf("pairs impl=ours clients=%ld pairs=%zu seconds=%.2f rate=%.0f "
	       "p50_us=%.0f p99_us=%.0f errors=%ld\n",
	       clients, all.n, (double)elapsed / 1e9,
	       (double)all.n / ((double)elapsed / 1e9),
	       (double)percentile(&all, 0.50) / 1e3,
	       (double)percentile(&all, 0.99) / 1e3, errors);
	pthread_barrier_destroy(&start);
	free(all.ns);
	free(w);
	return errors ? 1 : 0;
}

/* ---- race ---- */

struct race {
	int port;
	int max_slots;
	long rounds;
	const char *key;
	pthread_barrier_t go, done;
	atomic_int admitted;
	atomic_long errors;
};

struct race_worker {
	pthread_t thread;
	struct race *race;
	int id;
};

static long long reply_int(redisContext *c, redisReply *r)
{
	long long v = -1;

	if (!r) {
		fprintf(stderr, "limiter_bench: redis: %s\n", c->errstr);
		return -1;
	}
	if (r->type == REDIS_REPLY_INTEGER)
		v = r->integer;
	else
		fprintf(stderr, "limiter_bench: unexpected redis reply\n");
	freeReplyObject(r);
	return v;
}

/*
 * The pattern the issue warns about: count the holders, then add one when
 * there was room, as two commands. Between a client's ZCARD and its ZADD
 * the others' ZCARDs see the same count.
 */
static void *race_naive(void *arg)
{
	struct race_worker *w = arg;
	struct race *race = w->race;
	redisContext *c = redisConnect("127.0.0.1", race->port);
	char token[32];

	if (!c || c->err) {
		fprintf(stderr, "limiter_bench: cannot connect to redis\n");
		exit(1);
	}
	snprintf(token, sizeof(token), "naive-%d", w->id);
	for (long r = 0; r < race->rounds; r++) {
		long long n;

		pthread_barrier_wait(&race->go);
		n = reply_int(c, redisCommand(c, "ZCARD %s", race->key));
		if (n >= 0 && n < race->max_slots &&
		    reply_int(c, redisCommand(c, "ZADD %s 0 %s", race->key,
					      token)) >= 0)
			atomic_fetch_add(&race->admitted, 1);
		if (n < 0)
			atomic_fetch_add(&race->errors, 1);
		pthread_barrier_wait(&race->done);
	}
	redisFree(c);
	return NULL;
}

static void *race_ours(void *arg)
{
	struct race_worker *w = arg;
	struct race *race = w->race;
	struct cg_limiter *l = open_limiter();

	if (warm_up(l) < 0)
		atomic_fetch_add(&race->errors, 1);
	for (long r = 0; r < race->rounds; r++) {
		struct cg_limit_token tok;
		enum cg_limit_status st;

		pthread_barrier_wait(&race->go);
		st = cg_limiter_acquire(l, race->key, race->max_slots, &tok);
		if (st == CG_LIMIT_ACQUIRED) {
			atomic_fetch_add(&race->admitted, 1);
		} else if (st != CG_LIMIT_FULL) {
			report_failure(l, "acquire", st);
			atomic_fetch_add(&race->errors, 1);
		}
		pthread_barrier_wait(&race->done);
		/* the main thread counted; free the slot before the next
		 * round's barrier */
		if (st == CG_LIMIT_ACQUIRED &&
		    (st = cg_limiter_release(l, race->key, &tok)) !=
			CG_LIMIT_RELEASED) {
			report_failure(l, "release", st);
			atomic_fetch_add(&race->errors, 1);
		}
	}
	cg_limiter_close(l);
	return NULL;
}

static long race_one(struct race *race, long clients, const char *impl,
		     void *(*run)(void *))
{
	struct race_worker *w = calloc((size_t)clients, sizeof(*w));
	redisContext *c = redisConnect("127.0.0.1", race->port);
	long over = 0, exact = 0, worst = 0, errors;
	char key[64];

	if (!w || !c || c->err) {
		fprintf(stderr, "limiter_bench: cannot connect to redis\n");
		exit(1);
	}
	snprintf(key, sizeof(key), "bench-race-%s-%d-%ld", impl,
		 race->max_slots, clients);
	race->key = key;
	atomic_store(&race->admitted, 0);
	atomic_store(&race->errors, 0);
	pthread_barrier_init(&race->go, NULL, (unsigned)clients + 1);
	pthread_barrier_init(&race->done, NULL, (unsigned)clients + 1);
	for (long i = 0; i < clients; i++) {
		w[i].race = race;
		w[i].id = (int)i;
		start_thread(&w[i].thread, run, &w[i]);
	}
	for (long r = 0; r < race->rounds; r++) {
		int admitted;

		freeReplyObject(redisCommand(c, "DEL %s", key));
		pthread_barrier_wait(&race->go);
		pthread_barrier_wait(&race->done);
		admitted = atomic_exchange(&race->admitted, 0);
		if (admitted > race->max_slots)
			over++;
		if (admitted == race->max_slots)
			exact++;
		if (admitted > worst)
			worst = admitted;
	}
	for (long i = 0; i < clients; i++)
		pthread_join(w[i].thread, NULL);
	errors = atomic_load(&race->errors);
	printf("race impl=%s max=%d clients=%ld rounds=%ld over=%ld exact=%ld "
	       "worst=%ld errors=%ld\n",
	       impl, race->max_slots, clients, race->rounds, over, exact, worst,
	       errors);
	pthread_barrier_destroy(&race->go);
	pthread_barrier_destroy(&race->done);
	redisFree(c);
	free(w);
	return errors;
}

static int cmd_race(int argc, char **argv)
{
	struct race race = {0};
	long clients, errors;

	if (argc != 4) {
		fprintf(stderr, "usage: limiter_bench race PORT MAX CLIENTS "
				"ROUNDS\n");
		return 2;
	}
	race.port = (int)parse_long(argv[0], 1, "port");
	race.max_slots = (int)parse_long(argv[1], 1, "max");
	clients = parse_long(argv[2], 1, "number of clients");
	race.rounds = parse_long(argv[3], 1, "number of rounds");
	errors = race_one(&race, clients, "naive", race_naive);
	errors += race_one(&race, clients, "ours", race_ours);
	return errors ? 1 : 0;
}

/* ---- contention ---- */

struct contention {
	const char *key;
	int max_slots;
	long hold_ms, total;
	pthread_barrier_t start;
	atomic_long claimed;
	atomic_long errors;
};

struct contention_worker {
	pthread_t thread;
	struct contention *con;
	struct samples wait;
};

static void *contention_run(void *arg)
{
	struct contention_worker *w = arg;
	struct contention *con = w->con;
	struct cg_limiter *l = open_limiter();

	if (warm_up(l) < 0)
		atomic_fetch_add(&con->errors, 1);
	pthread_barrier_wait(&con->start);
	while (!atomic_load(&con->errors) &&
	       atomic_fetch_add(&con->claimed, 1) < con->total) {
		struct cg_limit_token tok;
		uint64_t t0 = now_ns();
		enum cg_limit_status st = cg_limiter_acquire_wait(
		    l, con->key, con->max_slots, WAIT_MS, &tok);

		if (st != CG_LIMIT_ACQUIRED) {
			report_failure(l, "acquire_wait", st);
			atomic_fetch_add(&con->errors, 1);
			break;
		}
		samples_add(&w->wait, now_ns() - t0);
		cg_sleep_ms(con->hold_ms);
		st = cg_limiter_release(l, con->key, &tok);
		if (st != CG_LIMIT_RELEASED) {
			report_failure(l, "release", st);
			atomic_fetch_add(&con->errors, 1);
			break;
		}
	}
	cg_limiter_close(l);
	return NULL;
}

static int cmd_contention(int argc, char **argv)
{
	struct contention con = {.key = "bench-contention"};
	struct contention_worker *w;
	struct samples all = {0};
	long clients, errors;
	size_t min_share = SIZE_MAX, max_share = 0;
	uint64_t t0, elapsed;

	if (argc != 4) {
		fprintf(stderr, "usage: limiter_bench contention PORT MAX "
				"CLIENTS HOLD_MS TOTAL\n");
		return 2;
	}
	con.max_slots = (int)parse_long(argv[0], 1, "max");
	clients = parse_long(argv[1], 1, "number of clients");
	con.hold_ms = parse_long(argv[2], 0, "hold");
	con.total = parse_long(argv[3], 1, "number of acquisitions");
	w = calloc((size_t)clients, sizeof(*w));
	if (!w)
		return 1;
	pthread_barrier_init(&con.start, NULL, (unsigned)clients + 1);
	for (long i = 0; i < clients; i++) {
		w[i].con = &con;
		start_thread(&w[i].thread, contention_run, &w[i]);
	}
	pthread_barrier_wait(&con.start);
	t0 = now_ns();
	for (long i = 0; i < clients; i++) {
		pthread_join(w[i].thread, NULL);
		if (w[i].wait.n < min_share)
			min_share = w[i].wait.n;
		if (w[i].wait.n > max_share)
			max_share = w[i].wait.n;
		samples_merge(&all, &w[i].wait);
		free(w[i].wait.ns);
	}
	elapsed = now_ns() - t0;
	errors = atomic_load(&con.errors);
	qsort(all.ns, all.n, sizeof(*all.ns), cmp_u64);
	printf("contention impl=ours max=%d clients=%ld hold_ms=%ld "
	       "acquisitions=%zu seconds=%.2f p50_ms=%.1f p99_ms=%.1f "
	       "max_ms=%.1f min_share=%zu max_share=%zu errors=%ld\n",
	       con.max_slots, clients, con.hold_ms, all.n,
	       (double)elapsed / 1e9, (double)percentile(&all, 0.50) / 1e6,
	       (double)percentile(&all, 0.99) / 1e6,
	       (double)percentile(&all, 1.0) / 1e6, min_share, max_share,
	       errors);
	pthread_barrier_destroy(&con.start);
	free(all.ns);
	free(w);
	return errors ? 1 : 0;
}

/* ---- main ---- */

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	long port;

	if (!strcmp(mode, "script"))
		return cmd_script(argc - 2, argv + 2);
	if (!strcmp(mode, "ceiling-args"))
		return cmd_ceiling_args(argc - 2, argv + 2);
	if (argc < 3) {
		fprintf(stderr,
			"usage: limiter_bench script acquire\n"
			"       limiter_bench ceiling-args KEY TOKEN\n"
			"       limiter_bench pairs PORT CLIENTS SECONDS\n"
			"       limiter_bench race PORT MAX CLIENTS ROUNDS\n"
			"       limiter_bench contention PORT MAX CLIENTS "
			"HOLD_MS TOTAL\n");
		return 2;
	}
	port = parse_long(argv[2], 1, "port");
	snprintf(redis_url, sizeof(redis_url), "redis://127.0.0.1:%ld/0", port);
	if (!strcmp(mode, "pairs"))
		return cmd_pairs(argc - 3, argv + 3);
	if (!strcmp(mode, "race"))
		return cmd_race(argc - 2, argv + 2);
	if (!strcmp(mode, "contention"))
		return cmd_contention(argc - 3, argv + 3);
	fprintf(stderr, "limiter_bench: unknown mode '%s'\n", mode);
	return 2;
}
