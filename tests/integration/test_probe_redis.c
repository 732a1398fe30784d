/*
 * redis:// probe against real redis-server processes (plain, and with
 * requirepass) and against fake servers of our own for the replies a real
 * server gives only in passing: -LOADING, -BUSY, -MASTERDOWN, silence, a
 * reply that trickles in a byte at a time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <strings.h>
#include <time.h>

#include "harness.h"

#define TIMEOUT_MS 2000
#define SLACK_MS 2000

static struct cg_it_server plain, secured;

/* True when `text` contains one of the '|'-separated `alternatives`. */
static bool says(const char *text, const char *alternatives)
{
	char *copy = strdup(alternatives), *save = NULL;
	bool found = false;

	for (char *a = strtok_r(copy, "|", &save); a && !found;
	     a = strtok_r(NULL, "|", &save))
		found = strstr(text, a) != NULL;
	free(copy);
	return found;
}

static void assert_says(const struct cg_it_outcome *o, const char *what)
{
	if (what && !says(o->error, what))
		fail_msg("last error '%s' does not say '%s'", o->error, what);
}

static void assert_result(const struct cg_it_outcome *o,
			  enum cg_probe_result want)
{
	if (o->result != want)
		fail_msg("%s: %s, want %s (%s)", o->display,
			 cg_it_result_name(o->result), cg_it_result_name(want),
			 o->error);
}

/* The password in "user:password@" (static), or NULL. */
static const char *password_of(const char *userinfo)
{
	static char pw[64];
	const char *colon = strchr(userinfo, ':'), *at = strchr(userinfo, '@');

	if (!colon || !at || at == colon + 1)
		return NULL;
	snprintf(pw, sizeof(pw), "%.*s", (int)(at - colon - 1), colon + 1);
	return pw;
}

static void assert_no_password(const struct cg_it_outcome *o,
			       const char *userinfo)
{
	const char *pw = password_of(userinfo);

	if (pw && (strstr(o->error, pw) || strstr(o->display, pw)))
		fail_msg("the password '%s' shows: '%s' / '%s'", pw, o->display,
			 o->error);
}

/* ---- a fake Redis of our own ---- */

struct fake_redis {
	const char *auth_reply; /* NULL: +OK */
	const char *ping_reply; /* for connections before `bad` */
	unsigned bad;
	char seen[256]; /* command names received, space-separated */
};

/* Bytes of the first complete RESP command in buf (0: incomplete). */
static size_t parse_command(const char *buf, size_t len, char *name,
			    size_t namelen)
{
	const char *p = buf, *end = buf + len, *nl;
	long n;

	if (!len || *p != '*' || !(nl = memchr(p, '\n', len)))
		return 0;
	n = strtol(p + 1, NULL, 10);
	p = nl + 1;
	for (long i = 0; i < n; i++) {
		long l;

		if (p >= end || *p != '$' ||
		    !(nl = memchr(p, '\n', (size_t)(end - p))))
			return 0;
		l = strtol(p + 1, NULL, 10);
		p = nl + 1;
		if (end - p < l + 2)
			return 0;
		if (i == 0)
			snprintf(name, namelen, "%.*s", (int)l, p);
		p += l + 2;
	}
	return (size_t)(p - buf);
}

static void serve_redis(struct cg_it_fake *f, int fd, unsigned n, void *ctx)
{
	struct fake_redis *fr = ctx;
	char buf[4096], name[32];
	size_t len = 0, used;
	long got;

	while ((got = cg_it_fake_recv(f, fd, buf + len, sizeof(buf) - len)) >
	       0) {
		len += (size_t)got;
		while ((used = parse_command(buf, len, name, sizeof(name)))) {
			const char *reply = "+OK\r\n";
			size_t seen = strlen(fr->seen);

			snprintf(fr->seen + seen, sizeof(fr->seen) - seen,
				 "%s ", name);
			if (!strcasecmp(name, "AUTH") && fr->auth_reply)
				reply = fr->auth_reply;
			else if (!strcasecmp(name, "PING"))
				reply =
				    n < fr->bad ? fr->ping_reply : "+PONG\r\n";
			if (cg_it_fake_send(fd, reply, strlen(reply)) < 0)
				return;
			memmove(buf, buf + used, len - used);
			len -= used;
		}
	}
}

/* "+PPPP..." one byte every 100 ms, never a line end */
static void serve_trickle(struct cg_it_fake *f, int fd, unsigned n, void *ctx)
{
	struct timespec pause = {0, 100 * 1000000};

	if (cg_it_fake_send(fd, "+", 1) < 0)
		return;
	while (!cg_it_fake_stopping(f)) {
		nanosleep(&pause, NULL);
		if (cg_it_fake_send(fd, "P", 1) < 0)
			return;
	}
}

static void serve_hangup(struct cg_it_fake *f, int fd, unsigned n, void *ctx)
{
}

static void serve_http(struct cg_it_fake *f, int fd, unsigned n, void *ctx)
{
	static const char answer[] = "HTTP/1.1 400 Bad Request\r\n\r\n";
	char buf[512];

	if (cg_it_fake_recv(f, fd, buf, sizeof(buf)) > 0)
		cg_it_fake_send(fd, answer, sizeof(answer) - 1);
}

static char *target(const char *userinfo, int port, const char *path)
{
	static char t[256];

	snprintf(t, sizeof(t), "redis://%s127.0.0.1:%d%s", userinfo, port,
		 path);
	return t;
}

/* ---- real servers ---- */

static int setup(void **state)
{
	static const char *const requirepass[] = {"--requirepass", "secret",
						  NULL};

	if (cg_it_redis_start(&plain, NULL) < 0 ||
	    cg_it_redis_start(&secured, requirepass) < 0)
		return -1;
	print_message("redis-server on %d (plain) and %d (requirepass)\n",
		      plain.port, secured.port);
	return 0;
}

static int teardown(void **state)
{
	cg_it_server_release(&plain);
	cg_it_server_release(&secured);
	return 0;
}

static void test_probe_redis__plain_server_is_ready(void **state)
{
	struct cg_it_outcome o =
	    cg_it_attempt(target("", plain.port, ""), TIMEOUT_MS);

	assert_result(&o, CG_PROBE_READY);
	o = cg_it_attempt(target("", plain.port, "/"), TIMEOUT_MS);
	assert_result(&o, CG_PROBE_READY);
}

static const struct {
	bool secured;
	const char *userinfo;
	enum cg_probe_result want;
	const char *says;
} auth_cases[] = {
    {true, ":secret@", CG_PROBE_READY, NULL},
    {true, "default:secret@", CG_PROBE_READY, NULL},
    {true, "", CG_PROBE_FATAL, "NOAUTH"},
    {true, ":not-the-password@", CG_PROBE_FATAL, "WRONGPASS|invalid password"},
    {true, "alice:secret@", CG_PROBE_FATAL, "WRONGPASS"},
    {true, "alice@", CG_PROBE_FATAL, "NOAUTH"}, /* no password: no AUTH */
    {false, ":secret@", CG_PROBE_FATAL,
     "without any password configured|no password is set"},
};

static void test_probe_redis__auth(void **state)
{
	for (size_t i = 0; i < sizeof(auth_cases) / sizeof(*auth_cases); i++) {
		int port = auth_cases[i].secured ? secured.port : plain.port;
		struct cg_it_outcome o = cg_it_attempt(
		    target(auth_cases[i].userinfo, port, ""), TIMEOUT_MS);

		assert_result(&o, auth_cases[i].want);
		assert_says(&o, auth_cases[i].says);
		assert_no_password(&o, auth_cases[i].userinfo);
	}
}

static void test_probe_redis__selects_the_database(void **state)
{
	struct cg_it_outcome o =
	    cg_it_attempt(target(":secret@", secured.port, "/3"), TIMEOUT_MS);

	assert_result(&o, CG_PROBE_READY);
	o = cg_it_attempt(target("", plain.port, "/999"), TIMEOUT_MS);
	assert_result(&o, CG_PROBE_FATAL);
	assert_says(&o, "DB index is out of range");
}

/* A cluster node answers PING before the cluster serves its slots:
 * commands get CLUSTERDOWN, so it is not ready until cluster_state:ok. */
static void test_probe_redis__cluster_down_is_not_ready(void **state)
{
	char conf[512], cmd[600];
	const char *args[] = {"--cluster-enabled", "yes",
			      "--cluster-config-file", conf, NULL};
	struct cg_it_server node;
	struct cg_it_outcome o;
	int tries = 0;

	snprintf(conf, sizeof(conf), "%s/nodes-down-%d.conf", cg_it_tmpdir(),
		 (int)getpid());
	assert_int_equal(cg_it_redis_start(&node, args), 0);
	o = cg_it_attempt(target("", node.port, ""), TIMEOUT_MS);
	assert_result(&o, CG_PROBE_NOT_READY);
	assert_says(&o, "cluster_state:fail");
	snprintf(cmd, sizeof(cmd),
		 "redis-cli -h 127.0.0.1 -p %d cluster addslotsrange 0 16383 "
		 ">/dev/null",
		 node.port);
	assert_int_equal(system(cmd), 0);
	while (!cg_it_redis_cluster_ok(node.port) && tries++ < 100)
		usleep(50 * 1000);
	o = cg_it_attempt(target("", node.port, ""), TIMEOUT_MS);
	assert_result(&o, CG_PROBE_READY);
	cg_it_server_release(&node);
}

static void test_probe_redis__closed_port_is_not_ready(void **state)
{
	struct cg_it_outcome o =
	    cg_it_attempt(target("", cg_it_free_port(), ""), TIMEOUT_MS);

	assert_result(&o, CG_PROBE_NOT_READY);
	assert_says(&o, "refused");
}

static void test_probe_redis__unknown_host_is_not_ready(void **state)
{
	struct cg_it_outcome o =
	    cg_it_attempt("redis://nonexistent.invalid:6390", TIMEOUT_MS);

	assert_result(&o, CG_PROBE_NOT_READY);
	assert_says(&o, "cannot resolve 'nonexistent.invalid'");
}

static void test_probe_redis__display_masks_the_password(void **state)
{
	char want[128];
	struct cg_it_outcome o =
	    cg_it_attempt(target(":secret@", secured.port, ""), TIMEOUT_MS);

	snprintf(want, sizeof(want), "redis://:***@127.0.0.1:%d", secured.port);
	assert_string_equal(o.display, want);
}

/* ---- fake servers ---- */

static void test_probe_redis__loading_then_ready(void **state)
{
	struct fake_redis fr = {
	    .ping_reply = "-LOADING Redis is loading the dataset in memory\r\n",
	    .bad = 2};
	struct cg_it_fake *f = cg_it_fake_start(serve_redis, &fr);
	struct cg_it_outcome o;

	assert_non_null(f);
	for (int i = 0; i < 2; i++) {
		o = cg_it_attempt(target(":pw@", cg_it_fake_port(f), ""),
				  TIMEOUT_MS);
		assert_result(&o, CG_PROBE_NOT_READY);
		assert_string_equal(
		    o.error, "LOADING Redis is loading the dataset in memory");
	}
	o = cg_it_attempt(target(":pw@", cg_it_fake_port(f), ""), TIMEOUT_MS);
	assert_result(&o, CG_PROBE_READY);
	/* AUTH first, then PING, on every connection */
	assert_string_equal(fr.seen, "AUTH PING CLUSTER AUTH PING CLUSTER "
				     "AUTH PING CLUSTER ");
	cg_it_fake_stop(f);
}

static const struct {
	const char *auth_reply;
	const char *ping_reply;
	const char *userinfo;
	enum cg_probe_result want;
	const char *says;
} reply_cases[] = {
    {NULL,
     "-BUSY Redis is busy running a script. You can only call SCRIPT KILL "
     "or SHUTDOWN NOSAVE.\r\n",
     "", CG_PROBE_NOT_READY, "BUSY Redis is busy running a script"},
    {NULL,
     "-MASTERDOWN Link with MASTER is down and replica-serve-stale-data is "
     "set to 'no'.\r\n",
     "", CG_PROBE_NOT_READY, "MASTERDOWN Link with MASTER is down"},
    {NULL, "-ERR max number of clients reached\r\n", "", CG_PROBE_NOT_READY,
     "ERR max number of clients reached"},
    {NULL, "-TRYAGAIN something new\r\n", "", CG_PROBE_NOT_READY,
     "TRYAGAIN something new"},
    {NULL, "+OK\r\n", "", CG_PROBE_NOT_READY, "PING answered '+OK'"},
    {NULL, "$4\r\nPONG\r\n", "", CG_PROBE_NOT_READY, "not a status"},
    {NULL, "-NOAUTH Authentication required.\r\n", "", CG_PROBE_FATAL,
     "NOAUTH Authentication required."},
    {"-ERR invalid password\r\n", "-NOAUTH Authentication required.\r\n",
     ":pw@", CG_PROBE_FATAL, "ERR invalid password"},
    {"-ERR Client sent AUTH, but no password is set\r\n", "+PONG\r\n", ":pw@",
     CG_PROBE_FATAL, "no password is set"},
    {"-WRONGPASS invalid username-password pair or user is disabled.\r\n",
     "+PONG\r\n", "bob:pw@", CG_PROBE_FATAL, "WRONGPASS"},
    {NULL, "-NOPERM this user has no permissions to run the 'ping' command\r\n",
     "bob:pw@", CG_PROBE_FATAL, "NOPERM"},
    {NULL,
     "-DENIED Redis is running in protected mode because protected mode "
     "is enabled\r\n",
     "", CG_PROBE_FATAL, "DENIED"},
    /* a server that quotes what it was sent must not leak it */
    {"-ERR bad password 'hunter2'\r\n", "+PONG\r\n", ":hunter2@",
     CG_PROBE_NOT_READY, "ERR bad password '***'"},
};

static void test_probe_redis__error_replies(void **state)
{
	for (size_t i = 0; i < sizeof(reply_cases) / sizeof(*reply_cases);
	     i++) {
		struct fake_redis fr = {.auth_reply = reply_cases[i].auth_reply,
					.ping_reply = reply_cases[i].ping_reply,
					.bad = UINT_MAX};
		struct cg_it_fake *f = cg_it_fake_start(serve_redis, &fr);
		struct cg_it_outcome o;

		assert_non_null(f);
		o = cg_it_attempt(
		    target(reply_cases[i].userinfo, cg_it_fake_port(f), ""),
		    TIMEOUT_MS);
		cg_it_fake_stop(f);
		assert_result(&o, reply_cases[i].want);
		assert_says(&o, reply_cases[i].says);
		assert_no_password(&o, reply_cases[i].userinfo);
	}
}

static void test_probe_redis__silent_server_costs_one_timeout(void **state)
{
	struct cg_it_fake *f = cg_it_fake_start(cg_it_serve_silence, NULL);
	struct cg_it_outcome o;

	assert_non_null(f);
	o = cg_it_attempt(target("", cg_it_fake_port(f), ""), 1000);
	cg_it_fake_stop(f);
	assert_result(&o, CG_PROBE_NOT_READY);
	assert_says(&o, "no reply to PING within 1000 ms");
	assert_true(o.elapsed_ms >= 900);
	assert_true(o.elapsed_ms < 1000 + SLACK_MS);
}

static void test_probe_redis__trickling_server_costs_one_timeout(void **state)
{
	struct cg_it_fake *f = cg_it_fake_start(serve_trickle, NULL);
	struct cg_it_outcome o;

	assert_non_null(f);
	o = cg_it_attempt(target("", cg_it_fake_port(f), ""), 1000);
	cg_it_fake_stop(f);
	assert_result(&o, CG_PROBE_NOT_READY);
	assert_says(&o, "no reply to PING within 1000 ms");
	assert_true(o.elapsed_ms < 1000 + SLACK_MS);
}

static void test_probe_redis__hangup_is_not_ready(void **state)
{
	struct cg_it_fake *f = cg_it_fake_start(serve_hangup, NULL);
	struct cg_it_outcome o;

	assert_non_null(f);
	o = cg_it_attempt(target("", cg_it_fake_port(f), ""), TIMEOUT_MS);
	cg_it_fake_stop(f);
	assert_result(&o, CG_PROBE_NOT_READY);
	assert_says(&o, "closed the connection|reset|Broken pipe");
}

static void test_probe_redis__not_redis_is_not_ready(void **state)
{
	struct cg_it_fake *f = cg_it_fake_start(serve_http, NULL);
	struct cg_it_outcome o;

	assert_non_null(f);
	o = cg_it_attempt(target("", cg_it_fake_port(f), ""), TIMEOUT_MS);
	cg_it_fake_stop(f);
	assert_result(&o, CG_PROBE_NOT_READY);
	assert_says(&o, "not a Redis reply to PING");
}

/* ---- targets that can never work ---- */

static const struct cg_it_bad bad_targets[] = {
    {"redis://127.0.0.1:6390/abc", "database 'abc' is not a number"},
    {"redis://127.0.0.1:6390/1x", "database '1x' is not a number"},
    {"redis://127.0.0.1:6390/-1", "database '-1' is not a number"},
    {"redis://127.0.0.1:6390/0/extra", "is not a number"},
    {"redis://:6390", "needs a host"},
    {"redis://127.0.0.1:0", "bad port"},
    {"redis://127.0.0.1:70000", "bad port"},
    {"redis://:hunter2@127.0.0.1:6390/x", "redis://:***@127.0.0.1:6390/x"},
};

static void test_probe_redis__bad_targets(void **state)
{
	cg_it_check_bad_targets(bad_targets,
				sizeof(bad_targets) / sizeof(*bad_targets));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_probe_redis__plain_server_is_ready),
	    cmocka_unit_test(test_probe_redis__auth),
	    cmocka_unit_test(test_probe_redis__selects_the_database),
	    cmocka_unit_test(test_probe_redis__cluster_down_is_not_ready),
	    cmocka_unit_test(test_probe_redis__closed_port_is_not_ready),
	    cmocka_unit_test(test_probe_redis__unknown_host_is_not_ready),
	    cmocka_unit_test(test_probe_redis__display_masks_the_password),
	    cmocka_unit_test(test_probe_redis__loading_then_ready),
	    cmocka_unit_test(test_probe_redis__error_replies),
	    cmocka_unit_test(test_probe_redis__silent_server_costs_one_timeout),
	    cmocka_unit_test(
		test_probe_redis__trickling_server_costs_one_timeout),
	    cmocka_unit_test(test_probe_redis__hangup_is_not_ready),
	    cmocka_unit_test(test_probe_redis__not_redis_is_not_ready),
	    cmocka_unit_test(test_probe_redis__bad_targets),
	};

	return cmocka_run_group_tests_name("probe_redis", tests, setup,
					   teardown);
}
