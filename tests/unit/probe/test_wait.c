/* The wait loop with real sockets: concurrency, deadline, backoff. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "ciguard/probe.h"
#include "probe/probe_int.h"

/* A free loopback port: bind port 0, read it, close. */
static int free_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static int listen_on(int port)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 16), 0);
	return fd;
}

struct late {
	int port, delay_ms, fd;
};

static void *listen_later(void *arg)
{
	struct late *l = arg;

	usleep((useconds_t)l->delay_ms * 1000);
	l->fd = listen_on(l->port);
	return NULL;
}

static struct cg_probe *tcp(int port)
{
	char target[64], err[256];
	struct cg_probe *p;

	snprintf(target, sizeof(target), "tcp://127.0.0.1:%d", port);
	p = cg_probe_new(target, NULL, err, sizeof(err));
	assert_non_null(p);
	return p;
}

static void test_wait__ready_once_the_port_listens(void **state)
{
	struct late l = {free_port(), 600, -1};
	struct cg_probe *p = tcp(l.port);
	struct cg_wait_options o = {10000, 100, 200, 1000, NULL, NULL};
	struct cg_wait_status st;
	pthread_t t;

	pthread_create(&t, NULL, listen_later, &l);
	assert_int_equal(cg_wait(&p, 1, &o, &st), 0);
	pthread_join(t, NULL);
	assert_true(st.ready);
	assert_true(st.attempts >= 2);
	/* it was refused before the listener came up, ready soon after */
	assert_true(st.elapsed_ms >= 500);
	assert_true(st.elapsed_ms < 5000);
	close(l.fd);
	cg_probe_free(p);
}

static void test_wait__deadline_reports_the_last_error(void **state)
{
	struct cg_probe *p = tcp(free_port());
	struct cg_wait_options o = {700, 50, 100, 500, NULL, NULL};
	struct cg_wait_status st;
	long t0 = cg_now_ms();

	assert_int_equal(cg_wait(&p, 1, &o, &st), 1);
	assert_false(st.ready);
	assert_false(st.fatal);
	assert_true(st.attempts >= 3);
	assert_non_null(strstr(st.last_error, "refused"));
	assert_true(cg_now_ms() - t0 >= 650);
	assert_true(cg_now_ms() - t0 < 4000); /* generous slack */
	cg_probe_free(p);
}

/* A listener whose accept queue is full: new connects hang (the SYN is
 * dropped), like a server that never answers. */
static int full_listener(int port, int *clients, int nclients)
{
	struct sockaddr_in a;
	int fd = listen_on(port);

	listen(fd, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	for (int i = 0; i < nclients; i++) {
		clients[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		connect(clients[i], (struct sockaddr *)&a, sizeof(a));
	}
	usleep(50000);
	return fd;
}

static void test_wait__targets_are_polled_concurrently(void **state)
{
	/* five targets whose connects hang: one after the other they would
	 * take at least 5 x 1 s; polled together, about the deadline */
	enum { N = 5, FILL = 4 };
	struct cg_probe *p[N];
	struct cg_wait_status st[N];
	struct cg_wait_options o = {1500, 100, 100, 1000, NULL, NULL};
	int fds[N], clients[N][FILL];
	long t0;

	for (int i = 0; i < N; i++) {
		int port = free_port();

		fds[i] = full_listener(port, clients[i], FILL);
		p[i] = tcp(port);
	}
	t0 = cg_now_ms();
	assert_int_equal(cg_wait(p, N, &o, st), 1);
	assert_true(cg_now_ms() - t0 < 4000);
	for (int i = 0; i < N; i++) {
		assert_false(st[i].ready);
		assert_true(st[i].attempts >= 1);
		assert_non_null(strstr(st[i].last_error, "timed out"));
		cg_probe_free(p[i]);
		close(fds[i]);
		for (int k = 0; k < FILL; k++)
			close(clients[i][k]);
	}
}

static unsigned progress_calls;

static void count_progress(void *ctx, const struct cg_wait_status *st, size_t n)
{
	progress_calls++;
}

static void test_wait__fast_failures_retry_at_the_interval(void **state)
{
	/* refused at once: retried every ~100 ms for 1 s, so the target is
	 * seen within one interval of coming up; each attempt is reported */
	struct cg_probe *p = tcp(free_port());
	struct cg_wait_options o = {1000, 100, 800, 500, count_progress, NULL};
	struct cg_wait_status st;

	progress_calls = 0;
	assert_int_equal(cg_wait(&p, 1, &o, &st), 1);
	assert_true(st.attempts >= 5);
	assert_true(st.attempts <= 15);
	assert_true(progress_calls >= 5);
	cg_probe_free(p);
}

static void test_wait__slow_failures_back_off(void **state)
{
	/* each connect hangs for the whole 200 ms attempt: pauses double
	 * 100, 200, 400, 800, 1000 ms, so about 5 attempts in 3 s where a
	 * fixed interval would make 10 */
	enum { FILL = 4 };
	int port = free_port(), clients[FILL];
	int fd = full_listener(port, clients, FILL);
	struct cg_probe *p = tcp(port);
	struct cg_wait_options o = {3000, 100, 1000, 200, NULL, NULL};
	struct cg_wait_status st;

	assert_int_equal(cg_wait(&p, 1, &o, &st), 1);
	assert_true(st.attempts >= 3);
	assert_true(st.attempts <= 7);
	cg_probe_free(p);
	close(fd);
	for (int k = 0; k < FILL; k++)
		close(clients[k]);
}

static void test_wait__bad_targets_are_refused_up_front(void **state)
{
	static const char *const bad[] = {
	    "foo://x",	     "tcp://127.0.0.1", "tcp://:80",
	    "tcp://h:99999", "tcp://[::1:80",	"nonsense",
	};
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		struct cg_probe *p =
		    cg_probe_new(bad[i], NULL, err, sizeof(err));

		if (p)
			fail_msg("'%s' was accepted", bad[i]);
		assert_true(err[0] != '\0');
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_wait__ready_once_the_port_listens),
	    cmocka_unit_test(test_wait__deadline_reports_the_last_error),
	    cmocka_unit_test(test_wait__targets_are_polled_concurrently),
	    cmocka_unit_test(test_wait__fast_failures_retry_at_the_interval),
	    cmocka_unit_test(test_wait__slow_failures_back_off),
	    cmocka_unit_test(test_wait__bad_targets_are_refused_up_front),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
