/*
 * postgres:// probe against a real postgres the harness initdb's and
 * starts: before it starts, while it starts, once it runs, while it shuts
 * down; logins with right and wrong credentials; targets that can never
 * work; and a fake server that accepts and never answers.
 *
 * The tests run in order against one server; each that needs it running
 * starts it when an earlier test left it stopped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "harness.h"

#define TIMEOUT_MS 3000
#define SLACK_MS 3000
#define PASSWORD "secret"

static struct cg_it_server pg;

static void assert_result(const struct cg_it_outcome *o,
			  enum cg_probe_result want)
{
	if (o->result != want)
		fail_msg("%s: %s, want %s (%s)", o->display,
			 cg_it_result_name(o->result), cg_it_result_name(want),
			 o->error);
}

static void assert_says(const struct cg_it_outcome *o, const char *what)
{
	if (what && !strstr(o->error, what))
		fail_msg("last error '%s' does not say '%s'", o->error, what);
}

/* postgres://USERINFO127.0.0.1:PORT/DBQUERY (static) */
static const char *url(const char *userinfo, const char *db_and_query)
{
	static char u[512];

	snprintf(u, sizeof(u), "postgres://%s127.0.0.1:%d/%s", userinfo,
		 pg.port, db_and_query);
	return u;
}

/* A libpq connection of the test's own, as the superuser. */
static PGconn *connect_superuser(bool quiet)
{
	char conninfo[256];
	PGconn *conn;

	snprintf(conninfo, sizeof(conninfo),
		 "host=127.0.0.1 port=%d user=postgres password=" PASSWORD
		 " dbname=postgres connect_timeout=10",
		 pg.port);
	conn = PQconnectdb(conninfo);
	if (PQstatus(conn) != CONNECTION_OK) {
		if (!quiet)
			print_error("test connection: %s",
				    PQerrorMessage(conn));
		PQfinish(conn);
		return NULL;
	}
	return conn;
}

static void exec_ok(PGconn *conn, const char *sql)
{
	PGresult *res = PQexec(conn, sql);
	ExecStatusType st = PQresultStatus(res);

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		print_error("%s: %s", sql, PQresultErrorMessage(res));
	PQclear(res);
	assert_true(st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK);
}

static void ensure_running(void)
{
	if (pg.pid <= 0)
		assert_int_equal(cg_it_pg_start(&pg, true), 0);
}

static int setup(void **state)
{
	static const char *const env[] = {"PGHOST",
					  "PGHOSTADDR",
					  "PGPORT",
					  "PGUSER",
					  "PGPASSWORD",
					  "PGDATABASE",
					  "PGSERVICE",
					  "PGSSLMODE",
					  "PGCONNECT_TIMEOUT",
					  "PGOPTIONS",
					  "PGAPPNAME",
					  "PGGSSENCMODE",
					  "PGTARGETSESSIONATTRS"};
	static const char hba[] = "local all all trust\n"
				  "host all blocked 127.0.0.1/32 reject\n"
				  "host all all 127.0.0.1/32 scram-sha-256\n";
	char path[512];
	FILE *f;

	/* the probe must see what the target says, not our environment */
	for (size_t i = 0; i < sizeof(env) / sizeof(*env); i++)
		unsetenv(env[i]);
	setenv("PGPASSFILE", "/nonexistent/ciguard-pgpass", 1);
	if (cg_it_pg_init(&pg, PASSWORD) < 0)
		return -1;
	/* rewrite pg_hba.conf in place (it keeps its owner) */
	snprintf(path, sizeof(path), "%s/pg_hba.conf", pg.data);
	f = fopen(path, "w");
	if (!f || fputs(hba, f) < 0 || fclose(f) != 0)
		return -1;
	print_message("postgres cluster in %s, port %d\n", pg.data, pg.port);
	return 0;
}

static int teardown(void **state)
{
	cg_it_server_release(&pg);
	return 0;
}

static void test_probe_postgres__not_ready_before_start(void **state)
{
	char want[64];
	struct cg_it_outcome o =
	    cg_it_attempt(url("postgres@", "postgres"), TIMEOUT_MS);

	snprintf(want, sizeof(want),
		 "no response from 127.0.0.1:%d: ", pg.port);
	assert_result(&o, CG_PROBE_NOT_READY);
	assert_says(&o, want);
	assert_says(&o, "Connection refused");
}

static void test_probe_postgres__ready_during_start(void **state)
{
	long until;
	int not_ready = 0;
	struct cg_it_outcome o;

	assert_int_equal(cg_it_pg_start(&pg, false), 0);
	/* probing right after the fork: postgres is not listening yet */
	o = cg_it_attempt(url("postgres@", "postgres"), TIMEOUT_MS);
	assert_result(&o, CG_PROBE_NOT_READY);
	until = cg_now_ms() + 60000;
	while (o.result == CG_PROBE_NOT_READY && cg_now_ms() < until) {
		not_ready++;
		cg_sleep_ms(20);
		o = cg_it_attempt(url("postgres@", "postgres"), TIMEOUT_MS);
	}
	print_message("  %d not-ready attempts before ready\n", not_ready);
	assert_result(&o, CG_PROBE_READY);
	assert_int_equal(cg_it_pg_wait_ready(&pg, 60000), 0);
}

static void test_probe_postgres__ready_after_start(void **state)
{
	char target[256];
	struct cg_it_outcome o;

	ensure_running();
	o = cg_it_attempt(url("postgres@", "postgres"), TIMEOUT_MS);
	assert_result(&o, CG_PROBE_READY);
	snprintf(target, sizeof(target), "postgresql://127.0.0.1:%d/postgres",
		 pg.port);
	o = cg_it_attempt(target, TIMEOUT_MS);
	assert_result(&o, CG_PROBE_READY);
	o = cg_it_attempt(
	    url("", "postgres?sslmode=disable&connect_timeout=30"), TIMEOUT_MS);
	assert_result(&o, CG_PROBE_READY);
}

/* A ping does not authenticate: credentials and database are not checked
 * without ciguard_login, as pg_isready does not check them. */
static void test_probe_postgres__ping_does_not_log_in(void **state)
{
	struct cg_it_outcome o;

	ensure_running();
	o = cg_it_attempt(url("postgres:wrong-pw@", "no_such_db"), TIMEOUT_MS);
	assert_result(&o, CG_PROBE_READY);
	o = cg_it_attempt(url("postgres:wrong-pw@", "postgres?ciguard_login=0"),
			  TIMEOUT_MS);
	assert_result(&o, CG_PROBE_READY);
}

static const struct {
	const char *userinfo;
	const char *db_and_query;
	enum cg_probe_result want;
	const char *says;
	const char *password; /* must not show */
} login_cases[] = {
    {"postgres:" PASSWORD "@", "postgres?ciguard_login=1", CG_PROBE_READY, NULL,
     PASSWORD},
    {"postgres:" PASSWORD "@",
     "postgres?sslmode=disable&ciguard_login=true&application_name=probe",
     CG_PROBE_READY, NULL, PASSWORD},
    {"postgres:wrong-pw@", "postgres?ciguard_login=1", CG_PROBE_FATAL,
     "SQLSTATE 28P01: password authentication failed for user \"postgres\"",
     "wrong-pw"},
    {"nobody:" PASSWORD "@", "postgres?ciguard_login=1", CG_PROBE_FATAL,
     "SQLSTATE 28P01", PASSWORD},
    {"postgres:" PASSWORD "@", "no_such_db?ciguard_login=1", CG_PROBE_FATAL,
     "SQLSTATE 3D000: database \"no_such_db\" does not exist", PASSWORD},
    {"blocked:" PASSWORD "@", "postgres?ciguard_login=1", CG_PROBE_FATAL,
     "SQLSTATE 28000: pg_hba.conf rejects connection", PASSWORD},
    {"postgres@", "postgres?ciguard_login=1", CG_PROBE_FATAL,
     "the server asks for a password", NULL},
    /* a role that may not connect now: a limit, not a lost cause */
    {"limited:limited-pw@", "postgres?ciguard_login=1", CG_PROBE_NOT_READY,
     "SQLSTATE 53300: too many connections for role \"limited\"", "limited-pw"},
};

static void test_probe_postgres__login(void **state)
{
	PGconn *admin;

	ensure_running();
	assert_non_null(admin = connect_superuser(false));
	exec_ok(admin, "SET client_min_messages = warning");
	exec_ok(admin, "DROP ROLE IF EXISTS limited");
	exec_ok(admin, "CREATE ROLE limited LOGIN PASSWORD 'limited-pw' "
		       "CONNECTION LIMIT 0");
	PQfinish(admin);
	for (size_t i = 0; i < sizeof(login_cases) / sizeof(*login_cases);
	     i++) {
		struct cg_it_outcome o = cg_it_attempt(
		    url(login_cases[i].userinfo, login_cases[i].db_and_query),
		    TIMEOUT_MS);

		assert_result(&o, login_cases[i].want);
		assert_says(&o, login_cases[i].says);
		if (login_cases[i].password &&
		    (strstr(o.error, login_cases[i].password) ||
		     strstr(o.display, login_cases[i].password)))
			fail_msg("the password shows: %s / %s", o.display,
				 o.error);
	}
}

/*
 * "sorry, too many clients already" is SQLSTATE 53300, not 57P03: libpq's
 * ping calls that server up (OK); a login waits for a free slot.
 */
static void test_probe_postgres__too_many_clients(void **state)
{
	PGconn *held[64];
	int n = 0;
	struct cg_it_outcome o;

	ensure_running();
	while (n < 64 && (held[n] = connect_superuser(true)))
		n++;
	print_message("  holding %d connections\n", n);
	assert_true(n > 0 && n < 64);
	o = cg_it_attempt(url("postgres:" PASSWORD "@", "postgres"),
			  TIMEOUT_MS);
	assert_result(&o, CG_PROBE_READY);
	o = cg_it_attempt(
	    url("postgres:" PASSWORD "@", "postgres?ciguard_login=1"),
	    TIMEOUT_MS);
	while (n > 0)
		PQfinish(held[--n]);
	assert_result(&o, CG_PROBE_NOT_READY);
	assert_says(&o, "SQLSTATE 53300");
}

static void test_probe_postgres__display_masks_the_password(void **state)
{
	char want[256];
	struct cg_it_outcome o;

	ensure_running();
	o = cg_it_attempt(
	    url("postgres:" PASSWORD "@", "postgres?ciguard_login=1"),
	    TIMEOUT_MS);
	snprintf(
	    want, sizeof(want),
	    "postgres://postgres:***@127.0.0.1:%d/postgres?ciguard_login=1",
	    pg.port);
	assert_string_equal(o.display, want);
}

/* sslmode=require against a server without SSL: libpq's ping says only
 * "no response"; the reason is libpq's, and it will not change */
static void test_probe_postgres__ssl_required_but_not_offered(void **state)
{
	struct cg_it_outcome o;

	ensure_running();
	o = cg_it_attempt(url("postgres@", "postgres?sslmode=require"),
			  TIMEOUT_MS);
	assert_result(&o, CG_PROBE_FATAL);
	assert_says(&o, "server does not support SSL, but SSL was required");
	assert_true(o.elapsed_ms < TIMEOUT_MS);
	o = cg_it_attempt(url("postgres@", "postgres?sslmode=prefer"),
			  TIMEOUT_MS);
	assert_result(&o, CG_PROBE_READY);
}

static void test_probe_postgres__bad_parameters_are_fatal(void **state)
{
	/* libpq parses sslmode's value only when it is about to connect */
	struct cg_it_outcome o =
	    cg_it_attempt(url("", "postgres?sslmode=bogus"), TIMEOUT_MS);

	assert_result(&o, CG_PROBE_FATAL);
	assert_says(&o, "libpq will not try to connect");
	assert_says(&o, "sslmode");
}

static const struct cg_it_bad bad_targets[] = {
    {"postgres:///postgres", "needs a host"},
    {"postgres://h1:5432,:5433/postgres", "needs a host"},
    {"postgresql://%2Fvar%2Frun%2Fpostgresql/postgres", "unix socket"},
    {"postgresql://localhost/postgres?host=/tmp", "unix socket"},
    {"postgres://127.0.0.1:99999/x", "bad port '99999'"},
    {"postgres://127.0.0.1:5432/x?ciguard_login=maybe", "ciguard_login=maybe"},
    {"postgres://127.0.0.1/x?no_such_option=1", "no_such_option"},
    /* libpq quotes the whole URI here: the password must not show */
    {"postgres://u:hunter2@[::1/x", "postgres://u:***@[::1/x"},
    /* a password given as a query parameter is masked too */
    {"postgres://u@127.0.0.1/x?password=hunter2&sslpassword=k&bad=1#f",
     "'postgres://u@127.0.0.1/x?password=***&sslpassword=***&bad=1#f'"},
};

static void test_probe_postgres__bad_targets(void **state)
{
	cg_it_check_bad_targets(bad_targets,
				sizeof(bad_targets) / sizeof(*bad_targets));
}

/* The attempt ends at its own deadline: libpq's blocking ping would take
 * 2 s (it raises a connect_timeout under 2 s to 2 s). The one-letter
 * password must not be masked inside the words of the message. */
static void test_probe_postgres__silent_server(void **state)
{
	struct cg_it_fake *f = cg_it_fake_start(cg_it_serve_silence, NULL);
	char target[128];
	struct cg_it_outcome o;

	assert_non_null(f);
	snprintf(target, sizeof(target),
		 "postgres://postgres:p@127.0.0.1:%d/postgres",
		 cg_it_fake_port(f));
	o = cg_it_attempt(target, 1000);
	cg_it_fake_stop(f);
	assert_result(&o, CG_PROBE_NOT_READY);
	assert_says(&o, "no response from 127.0.0.1:");
	assert_says(&o, "within 1000 ms");
	if (o.elapsed_ms >= 1900)
		fail_msg("a 1000 ms attempt took %ld ms", o.elapsed_ms);
}

/* Smart shutdown with a client still connected: new connections get
 * 57P03 "the database system is shutting down" until it leaves. */
static void test_probe_postgres__rejected_while_shutting_down(void **state)
{
	PGconn *held;
	long until;
	struct cg_it_outcome o;

	ensure_running();
	assert_non_null(held = connect_superuser(false));
	assert_int_equal(kill(pg.pid, SIGTERM), 0);
	until = cg_now_ms() + 10000;
	do {
		o = cg_it_attempt(url("postgres@", "postgres"), TIMEOUT_MS);
		if (o.result == CG_PROBE_READY)
			cg_sleep_ms(20);
	} while (o.result == CG_PROBE_READY && cg_now_ms() < until);
	PQfinish(held);
	assert_result(&o, CG_PROBE_NOT_READY);
	assert_says(&o, "rejected the connection");
	/* the last client gone, it stops; then nothing answers */
	cg_it_server_stop(&pg, SIGTERM);
	o = cg_it_attempt(url("postgres@", "postgres"), TIMEOUT_MS);
	assert_result(&o, CG_PROBE_NOT_READY);
	assert_says(&o, "Connection refused");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_probe_postgres__not_ready_before_start),
	    cmocka_unit_test(test_probe_postgres__ready_during_start),
	    cmocka_unit_test(test_probe_postgres__ready_after_start),
	    cmocka_unit_test(test_probe_postgres__ping_does_not_log_in),
	    cmocka_unit_test(test_probe_postgres__login),
	    cmocka_unit_test(test_probe_postgres__too_many_clients),
	    cmocka_unit_test(test_probe_postgres__display_masks_the_password),
	    cmocka_unit_test(test_probe_postgres__ssl_required_but_not_offered),
	    cmocka_unit_test(test_probe_postgres__bad_parameters_are_fatal),
	    cmocka_unit_test(test_probe_postgres__bad_targets),
	    cmocka_unit_test(test_probe_postgres__silent_server),
	    cmocka_unit_test(test_probe_postgres__rejected_while_shutting_down),
	};

	return cmocka_run_group_tests_name("probe_postgres", tests, setup,
					   teardown);
}
