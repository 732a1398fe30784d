/*
 * rediss:// against a real redis-server serving TLS (--tls-port), with a
 * throwaway CA made by the openssl CLI for this run: the redis probe and
 * the limiter verify the server's certificate (against the CA given by
 * ?ssl_ca_certs=, the caller's option or $CIGUARD_REDIS_CACERT), check
 * the name they connected to, say clearly why a wrong CA, a wrong name or
 * a port of the other kind fails, log in over TLS, and the limiter admits
 * exactly max_slots racing threads over TLS.
 *
 * The server also listens in plain text (the harness's port, used to set
 * up the ACL user), so a TLS client can be pointed at a plain port and a
 * plain one at the TLS port. Its certificate names DNS:localhost only:
 * 127.0.0.1 is the wrong address for it. A second server, started by the
 * mismatch test, has a certificate for DNS:redis.example only: localhost
 * is the wrong host name for it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <hiredis/hiredis.h>

#include "ciguard/limiter.h"
#include "ciguard/probe.h"
#include "harness.h"

#define TIMEOUT_MS 3000
#define RACERS 10
#define ROUNDS 30

static struct cg_it_server server;
static int tls_port;
static char dir[512], ca[600], other_ca[600];

static void assert_result(const struct cg_it_outcome *o,
			  enum cg_probe_result want)
{
	if (o->result != want)
		fail_msg("%s: %s, want %s (%s)", o->display,
			 cg_it_result_name(o->result), cg_it_result_name(want),
			 o->error);
}

/* rediss://[userinfo]HOST:TLS_PORT/0[query] (static) */
static const char *tls_url(const char *userinfo, const char *host,
			   const char *query)
{
	static char url[1024];

	snprintf(url, sizeof(url), "rediss://%s%s:%d/0%s", userinfo, host,
		 tls_port, query);
	return url;
}

/* A CA, server certificates it signs for DNS:localhost and for
 * DNS:redis.example, another CA. */
static int make_certificates(void)
{
	char cmd[4096];

	snprintf(
	    cmd, sizeof(cmd),
	    "cd '%s' && (k='-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
	    "-nodes' && "
	    "openssl req -x509 $k -days 2 -subj /CN=ciguard-test-ca "
	    "-keyout ca.key -out ca.pem && "
	    "openssl req -x509 $k -days 2 -subj /CN=some-other-ca "
	    "-keyout other.key -out other.pem && "
	    "openssl req $k -subj /CN=localhost -keyout server.key "
	    "-out server.csr && "
	    "printf 'subjectAltName=DNS:localhost\\n' >san.ext && "
	    "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key "
	    "-CAcreateserial -days 2 -extfile san.ext -out server.pem && "
	    "openssl req $k -subj /CN=redis.example -keyout named.key "
	    "-out named.csr && "
	    "printf 'subjectAltName=DNS:redis.example\\n' >named.ext && "
	    "openssl x509 -req -in named.csr -CA ca.pem -CAkey ca.key "
	    "-CAcreateserial -days 2 -extfile named.ext -out named.pem)",
	    dir);
	snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd),
		 " >'%s/openssl.log' 2>&1", dir);
	if (system(cmd) != 0) {
		fprintf(stderr, "openssl failed: see %s/openssl.log\n", dir);
		return -1;
	}
	snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
	snprintf(other_ca, sizeof(other_ca), "%s/other.pem", dir);
	return 0;
}

static int server_start(void **state)
{
	char port[16], cert[600], key[600];
	const char *args[16];
	redisContext *c;
	redisReply *r;
	int n = 0;

	snprintf(dir, sizeof(dir), "%s/tls", cg_it_tmpdir());
	if (mkdir(dir, 0700) < 0 || make_certificates() < 0)
		return -1;
	snprintf(cert, sizeof(cert), "%s/server.pem", dir);
	snprintf(key, sizeof(key), "%s/server.key", dir);
	tls_port = cg_it_free_port();
	snprintf(port, sizeof(port), "%d", tls_port);
	args[n++] = "--tls-port";
	args[n++] = port;
	args[n++] = "--tls-cert-file";
	args[n++] = cert;
	args[n++] = "--tls-key-file";
	args[n++] = key;
	args[n++] = "--tls-ca-cert-file";
	args[n++] = ca;
	/* managed Redis asks for no client certificate either */
	args[n++] = "--tls-auth-clients";
	args[n++] = "no";
	args[n] = NULL;
	if (cg_it_redis_start(&server, args) < 0)
		return -1;
	/* a user with a password, for AUTH over TLS */
	c = redisConnect("127.0.0.1", server.port);
	if (!c || c->err)
		return -1;
	r = redisCommand(c, "ACL SETUSER ci on >hunter2 ~* &* +@all");
	n = r && r->type == REDIS_REPLY_STATUS ? 0 : -1;
	freeReplyObject(r);
	redisFree(c);
	return n;
}

static int server_stop(void **state)
{
	cg_it_server_release(&server);
	return 0;
}

/* ---- the probe ---- */

static void test_tls__verified_by_the_given_ca(void **state)
{
	char query[700];
	struct cg_it_outcome o;
	struct cg_probe_options opt = {.ca_file = ca};
	struct cg_probe *p;
	char err[512];

	/* ?ssl_ca_certs= */
	snprintf(query, sizeof(query), "?ssl_ca_certs=%s", ca);
	o = cg_it_attempt(tls_url("", "localhost", query), TIMEOUT_MS);
	assert_result(&o, CG_PROBE_READY);
	/* $CIGUARD_REDIS_CACERT */
	setenv("CIGUARD_REDIS_CACERT", ca, 1);
	o = cg_it_attempt(tls_url("", "localhost", ""), TIMEOUT_MS);
	unsetenv("CIGUARD_REDIS_CACERT");
	assert_result(&o, CG_PROBE_READY);
	/* the caller's option (--cacert), over the environment's */
	setenv("CIGUARD_REDIS_CACERT", other_ca, 1);
	p = cg_probe_new(tls_url("", "localhost", ""), &opt, err, sizeof(err));
	unsetenv("CIGUARD_REDIS_CACERT");
	assert_non_null(p);
	if (cg_probe_attempt(p, TIMEOUT_MS) != CG_PROBE_READY)
		fail_msg("ca_file option: %s", cg_probe_last_error(p));
	cg_probe_free(p);
}

static void test_tls__wrong_ca_says_how_to_trust_one(void **state)
{
	char query[700];
	struct cg_it_outcome o;

	/* the system's store does not know our CA */
	o = cg_it_attempt(tls_url("", "localhost", ""), TIMEOUT_MS);
	assert_result(&o, CG_PROBE_NOT_READY);
	assert_contains(o.error, "certificate verify failed");
	assert_contains(o.error, "--cacert");
	/* another CA */
	snprintf(query, sizeof(query), "?ssl_ca_certs=%s", other_ca);
	o = cg_it_attempt(tls_url("", "localhost", query), TIMEOUT_MS);
	assert_result(&o, CG_PROBE_NOT_READY);
	assert_contains(o.error, "certificate verify failed");
	assert_contains(o.error, "--cacert");
	/* ssl_cert_reqs=none (redis-py's spelling): no check at all */
	o = cg_it_attempt(tls_url("", "localhost", "?ssl_cert_reqs=none"),
			  TIMEOUT_MS);
	assert_result(&o, CG_PROBE_READY);
	/* a CA file that is not there is a bad target */
	assert_non_null(
	    strstr(cg_it_bad_target(
		       tls_url("", "localhost", "?ssl_ca_certs=/nonexistent")),
		   "cannot read CA file '/nonexistent'"));
}

static void test_tls__name_mismatch(void **state)
{
	char query[700], port[16], cert[600], key[600], url[1024];
	const char *args[] = {"--tls-port",
			      port,
			      "--tls-cert-file",
			      cert,
			      "--tls-key-file",
			      key,
			      "--tls-auth-clients",
			      "no",
			      NULL};
	struct cg_it_server named;
	struct cg_it_outcome o;

	/* the certificate is for localhost, not for 127.0.0.1 */
	snprintf(query, sizeof(query), "?ssl_ca_certs=%s", ca);
	o = cg_it_attempt(tls_url("", "127.0.0.1", query), TIMEOUT_MS);
	assert_result(&o, CG_PROBE_NOT_READY);
	assert_contains(o.error,
			"certificate verify failed: IP address mismatch");
	assert_contains(o.error, "not for the host name or address");
	/* a server whose certificate is for redis.example only, reached
	 * as localhost */
	snprintf(cert, sizeof(cert), "%s/named.pem", dir);
	snprintf(key, sizeof(key), "%s/named.key", dir);
	snprintf(port, sizeof(port), "%d", cg_it_free_port());
	assert_int_equal(cg_it_redis_start(&named, args), 0);
	snprintf(url, sizeof(url), "rediss://localhost:%s/0%s", port, query);
	o = cg_it_attempt(url, TIMEOUT_MS);
	cg_it_server_release(&named);
	assert_result(&o, CG_PROBE_NOT_READY);
	assert_contains(o.error,
			"certificate verify failed: hostname mismatch");
}

static void test_tls__password_over_tls(void **state)
{
	char query[700];
	struct cg_it_outcome o;

	snprintf(query, sizeof(query), "?ssl_ca_certs=%s", ca);
	o = cg_it_attempt(tls_url("ci:hunter2@", "localhost", query),
			  TIMEOUT_MS);
	assert_result(&o, CG_PROBE_READY);
	o = cg_it_attempt(tls_url("ci:wr0ng@", "localhost", query), TIMEOUT_MS);
	assert_result(&o, CG_PROBE_FATAL);
	assert_contains(o.error, "WRONGPASS");
	assert_null(strstr(o.error, "wr0ng"));
	assert_null(strstr(o.display, "wr0ng"));
}

static void test_tls__port_of_the_other_kind(void **state)
{
	char url[1024];
	struct cg_it_outcome o;

	/* TLS to the plain port: Redis answers the ClientHello with -ERR,
	 * or waits for the rest of a line that never comes */
	snprintf(url, sizeof(url), "rediss://localhost:%d/0?ssl_cert_reqs=none",
		 server.port);
	o = cg_it_attempt(url, 1000);
	assert_result(&o, CG_PROBE_NOT_READY);
	assert_contains(o.error, "a plain port? use redis://");
	/* plain text to the TLS port: the server hangs up */
	snprintf(url, sizeof(url), "redis://localhost:%d/0", tls_port);
	o = cg_it_attempt(url, 1000);
	assert_result(&o, CG_PROBE_NOT_READY);
	assert_contains(o.error, "use rediss://");
}

/* ---- the limiter ---- */

static struct cg_limiter *limiter(const char *url, const char *ca_file,
				  bool fail_open)
{
	struct cg_limiter_options o = {.redis_url = url,
				       .ttl_ms = 30000,
				       .connect_timeout_ms = TIMEOUT_MS,
				       .command_timeout_ms = TIMEOUT_MS,
				       .fail_open = fail_open,
				       .ca_file = ca_file};
	char err[512];
	struct cg_limiter *l = cg_limiter_open(&o, err, sizeof(err));

	if (!l)
		fail_msg("cg_limiter_open(%s): %s", url, err);
	return l;
}

static void test_tls__limiter_logs_in_and_verifies(void **state)
{
	struct cg_limit_token tok;
	struct cg_limiter *l;
	int holders = -1;

	/* user and password over TLS, CA from the option */
	l = limiter(tls_url("ci:hunter2@", "localhost", ""), ca, false);
	assert_int_equal(cg_limiter_acquire(l, "tls-auth", 1, &tok),
			 CG_LIMIT_ACQUIRED);
	assert_int_equal(cg_limiter_count(l, "tls-auth", &holders),
			 CG_LIMIT_OK);
	assert_int_equal(holders, 1);
	assert_int_equal(cg_limiter_release(l, "tls-auth", &tok),
			 CG_LIMIT_RELEASED);
	cg_limiter_close(l);
	/* a wrong password: an error, never shown */
	l = limiter(tls_url("ci:wr0ng@", "localhost", ""), ca, false);
	assert_int_equal(cg_limiter_acquire(l, "tls-auth", 1, &tok),
			 CG_LIMIT_ERROR);
	assert_contains(cg_limiter_last_error(l), "WRONGPASS");
	assert_null(strstr(cg_limiter_last_error(l), "wr0ng"));
	cg_limiter_close(l);
	/* a certificate that does not verify is no outage: even fail-open
	 * does not admit */
	l = limiter(tls_url("ci:hunter2@", "localhost", ""), other_ca, true);
	assert_int_equal(cg_limiter_acquire(l, "tls-auth", 1, &tok),
			 CG_LIMIT_ERROR);
	assert_contains(cg_limiter_last_error(l), "certificate verify failed");
	assert_contains(cg_limiter_last_error(l), "rediss://ci:***@localhost");
	cg_limiter_close(l);
	l = limiter(tls_url("ci:hunter2@", "127.0.0.1", ""), ca, true);
	assert_int_equal(cg_limiter_acquire(l, "tls-auth", 1, &tok),
			 CG_LIMIT_ERROR);
	assert_contains(cg_limiter_last_error(l), "mismatch");
	cg_limiter_close(l);
}

static void test_tls__limiter_bad_ca_file_refused_at_open(void **state)
{
	struct cg_limiter_options o = {
	    .redis_url = tls_url("", "localhost", "?ssl_ca_certs=/nonexistent"),
	    .ttl_ms = 1000};
	char err[512] = "";

	assert_null(cg_limiter_open(&o, err, sizeof(err)));
	assert_contains(err, "cannot read CA file '/nonexistent'");
}

struct race {
	pthread_barrier_t barrier;
	const char *url;
	bool acquired[RACERS];
	int errors;
	pthread_mutex_t lock;
};

struct racer {
	struct race *race;
	int id;
};

static void *racer(void *arg)
{
	struct racer *me = arg;
	struct race *r = me->race;
	struct cg_limiter *l = limiter(r->url, ca, false);

	for (int round = 0; round < ROUNDS; round++) {
		struct cg_limit_token tok;
		enum cg_limit_status st;

		pthread_barrier_wait(&r->barrier); /* go */
		st = cg_limiter_acquire(l, "tls-race", 2, &tok);
		r->acquired[me->id] = st == CG_LIMIT_ACQUIRED;
		if (st != CG_LIMIT_ACQUIRED && st != CG_LIMIT_FULL) {
			pthread_mutex_lock(&r->lock);
			r->errors++;
			fprintf(stderr, "racer %d: %s: %s\n", me->id,
				cg_limit_status_name(st),
				cg_limiter_last_error(l));
			pthread_mutex_unlock(&r->lock);
		}
		pthread_barrier_wait(&r->barrier); /* the referee counts */
		pthread_barrier_wait(&r->barrier);
		if (r->acquired[me->id] &&
		    cg_limiter_release(l, "tls-race", &tok) !=
			CG_LIMIT_RELEASED) {
			pthread_mutex_lock(&r->lock);
			r->errors++;
			pthread_mutex_unlock(&r->lock);
		}
		pthread_barrier_wait(&r->barrier); /* released */
	}
	cg_limiter_close(l);
	return NULL;
}

/* RACERS threads, each with its own TLS connection, race for 2 slots
 * ROUNDS times: exactly 2 win every round. */
static void test_tls__limiter_race_admits_exactly_max(void **state)
{
	struct race r;
	struct racer who[RACERS];
	pthread_t t[RACERS];
	int bad_rounds = 0;

	memset(&r, 0, sizeof(r));
	r.url = tls_url("ci:hunter2@", "localhost", "");
	pthread_mutex_init(&r.lock, NULL);
	pthread_barrier_init(&r.barrier, NULL, RACERS + 1);
	for (int i = 0; i < RACERS; i++) {
		who[i].race = &r;
		who[i].id = i;
		assert_int_equal(pthread_create(&t[i], NULL, racer, &who[i]),
				 0);
	}
	for (int round = 0; round < ROUNDS; round++) {
		int won = 0;

		pthread_barrier_wait(&r.barrier);
		pthread_barrier_wait(&r.barrier);
		for (int i = 0; i < RACERS; i++)
			won += r.acquired[i];
		if (won != 2) {
			bad_rounds++;
			fprintf(stderr, "round %d: %d admitted\n", round, won);
		}
		pthread_barrier_wait(&r.barrier);
		pthread_barrier_wait(&r.barrier);
	}
	for (int i = 0; i < RACERS; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&r.barrier);
	pthread_mutex_destroy(&r.lock);
	printf("TLS race: %d rounds of %d threads, max 2, %d bad, %d "
	       "errors\n",
	       ROUNDS, RACERS, bad_rounds, r.errors);
	assert_int_equal(bad_rounds, 0);
	assert_int_equal(r.errors, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tls__verified_by_the_given_ca),
	    cmocka_unit_test(test_tls__wrong_ca_says_how_to_trust_one),
	    cmocka_unit_test(test_tls__name_mismatch),
	    cmocka_unit_test(test_tls__password_over_tls),
	    cmocka_unit_test(test_tls__port_of_the_other_kind),
	    cmocka_unit_test(test_tls__limiter_logs_in_and_verifies),
	    cmocka_unit_test(test_tls__limiter_bad_ca_file_refused_at_open),
	    cmocka_unit_test(test_tls__limiter_race_admits_exactly_max),
	};
	return cmocka_run_group_tests(tests, server_start, server_stop);
}
