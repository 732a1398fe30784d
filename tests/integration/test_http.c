/*
 * Integration tests of the http:// and https:// probes against servers the
 * test starts itself on free loopback ports: a small HTTP/1.1 server in a
 * thread (one thread per connection, so a request that is never answered
 * does not hold up the others), and for TLS a Python server with a
 * self-signed certificate made by openssl.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "harness.h"

#include "ciguard/probe.h"

extern char **environ;

/* ------------------------------------------------------ the test server */

#define MAX_CONNS 256

struct server {
	int listen_fd;
	int port;
	int stop[2]; /* readable once the server stops */
	pthread_t acceptor;
	pthread_mutex_t lock;
	pthread_t conns[MAX_CONNS];
	size_t nconns;
};

struct conn {
	struct server *srv;
	int fd;
};

static struct server srv;

static void send_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t n = send(fd, data, len, MSG_NOSIGNAL);

		if (n <= 0)
			return;
		data += n;
		len -= (size_t)n;
	}
}

static void respond(int fd, int status, const char *extra_headers,
		    const char *body, size_t body_len)
{
	char head[512];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %d Test\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n%s\r\n",
			 status, body_len, extra_headers);

	send_all(fd, head, (size_t)n);
	send_all(fd, body, body_len);
}

/* Wait for the client or the stop pipe; false when stopping. */
static bool wait_readable(struct server *s, int fd)
{
	struct pollfd pfd[2] = {{fd, POLLIN, 0}, {s->stop[0], POLLIN, 0}};

	while (poll(pfd, 2, -1) < 0)
		if (errno != EINTR)
			return false;
	return !(pfd[1].revents & POLLIN);
}

static void *serve_conn(void *arg)
{
	struct conn *c = arg;
	char req[4096], path[1024];
	size_t len = 0;
	ssize_t n;

	req[0] = '\0';
	while (len < sizeof(req) - 1 && !strstr(req, "\r\n\r\n")) {
		if (!wait_readable(c->srv, c->fd))
			goto out;
		n = recv(c->fd, req + len, sizeof(req) - 1 - len, 0);
		if (n <= 0)
			goto out;
		len += (size_t)n;
		req[len] = '\0';
	}
	if (sscanf(req, "GET %1023s ", path) != 1) {
		respond(c->fd, 400, "", "", 0);
		goto out;
	}
	if (strncmp(path, "/", 1) != 0) {
		/* absolute form: we are being used as a proxy */
		respond(c->fd, 502, "", "proxied", 7);
	} else if (!strcmp(path, "/health")) {
		const char *b =
		    "{\"status\":\"ok\",\"checks\":{\"db\":\"up\"}}";

		respond(c->fd, 200, "Content-Type: application/json\r\n", b,
			strlen(b));
	} else if (!strcmp(path, "/typed")) {
		const char *b = "{\"ready\":true,\"count\":3,\"ratio\":0.5,"
				"\"nothing\":null,\"text\":\"3\","
				"\"items\":[{\"state\":\"up\"}]}";

		respond(c->fd, 200, "", b, strlen(b));
	} else if (!strcmp(path, "/starting")) {
		const char *b = "{\"status\":\"starting\"}";

		respond(c->fd, 200, "", b, strlen(b));
	} else if (!strcmp(path, "/error")) {
		respond(c->fd, 500, "", "database unavailable", 20);
	} else if (!strcmp(path, "/notjson")) {
		respond(c->fd, 200, "", "hello", 5);
	} else if (!strcmp(path, "/auth")) {
		respond(c->fd, 401, "WWW-Authenticate: Basic realm=x\r\n", "",
			0);
	} else if (!strcmp(path, "/redirect")) {
		respond(c->fd, 302, "Location: /health\r\n", "", 0);
	} else if (!strcmp(path, "/loop")) {
		respond(c->fd, 302, "Location: /loop\r\n", "", 0);
	} else if (!strcmp(path, "/big")) {
		size_t big = 2u << 20;
		char *b = malloc(big);

		memset(b, ' ', big);
		b[0] = '{';
		b[big - 1] = '}';
		respond(c->fd, 200, "", b, big);
		free(b);
	} else if (!strcmp(path, "/slow")) {
		/* hold the connection without a word until the server stops */
		while (wait_readable(c->srv, c->fd) &&
		       recv(c->fd, req, sizeof(req), 0) > 0)
			;
	} else if (!strcmp(path, "/")) {
		respond(c->fd, 200, "", "root", 4);
	} else {
		respond(c->fd, 404, "", "not found", 9);
	}
out:
	close(c->fd);
	free(c);
	return NULL;
}

static void *accept_loop(void *arg)
{
	struct server *s = arg;

	for (;;) {
		struct conn *c;
		int fd;

		if (!wait_readable(s, s->listen_fd))
			break;
		fd = accept(s->listen_fd, NULL, NULL);
		if (fd < 0)
			continue;
		c = malloc(sizeof(*c));
		c->srv = s;
		c->fd = fd;
		pthread_mutex_lock(&s->lock);
		if (s->nconns < MAX_CONNS &&
		    pthread_create(&s->conns[s->nconns], NULL, serve_conn, c) ==
			0) {
			s->nconns++;
		} else {
			close(fd);
			free(c);
		}
		pthread_mutex_unlock(&s->lock);
	}
	return NULL;
}

/* A listening socket on a free loopback port; its port in *out_port. */
static int listen_loopback(int *out_port)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 64), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	*out_port = ntohs(a.sin_port);
	return fd;
}

/* A loopback port that nothing listens on (bound, then closed). */
static int closed_port(void)
{
	int port, fd = listen_loopback(&port);

	close(fd);
	return port;
}

static int server_start(void **state)
{
	memset(&srv, 0, sizeof(srv));
	srv.listen_fd = listen_loopback(&srv.port);
	assert_int_equal(pipe(srv.stop), 0);
	pthread_mutex_init(&srv.lock, NULL);
	assert_int_equal(pthread_create(&srv.acceptor, NULL, accept_loop, &srv),
			 0);
	return 0;
}

static int server_stop(void **state)
{
	assert_int_equal(write(srv.stop[1], "x", 1), 1);
	pthread_join(srv.acceptor, NULL);
	for (size_t i = 0; i < srv.nconns; i++)
		pthread_join(srv.conns[i], NULL);
	close(srv.listen_fd);
	close(srv.stop[0]);
	close(srv.stop[1]);
	pthread_mutex_destroy(&srv.lock);
	return 0;
}

/* ---------------------------------------------------------------- helpers */

struct outcome {
	enum cg_probe_result result;
	char error[512];
	long elapsed_ms;
};

/* One attempt at http://127.0.0.1:PORT<path> with the given options. */
static struct outcome probe_url(const char *url, const char *expect_status,
				const char *expect_json, int timeout_ms)
{
	struct cg_probe_options opt = {.expect_status = expect_status,
				       .expect_json = expect_json};
	struct outcome o;
	char err[512] = "";
	struct cg_probe *p = cg_probe_new(url, &opt, err, sizeof(err));
	long t0;

	if (!p)
		fail_msg("cg_probe_new(%s): %s", url, err);
	t0 = cg_now_ms();
	o.result = cg_probe_attempt(p, timeout_ms);
	o.elapsed_ms = cg_now_ms() - t0;
	snprintf(o.error, sizeof(o.error), "%s", cg_probe_last_error(p));
	cg_probe_free(p);
	return o;
}

static struct outcome probe_path(const char *path, const char *expect_status,
				 const char *expect_json)
{
	char url[256];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", srv.port, path);
	return probe_url(url, expect_status, expect_json, 5000);
}

/* ------------------------------------------------------------------ tests */

static void test_http__2xx_is_ready_by_default(void **state)
{
	struct outcome o = probe_path("/health", NULL, NULL);

	assert_int_equal(o.result, CG_PROBE_READY);
	o = probe_path("/notjson", NULL, NULL);
	assert_int_equal(o.result, CG_PROBE_READY);
}

static void test_http__404_and_500_are_not_ready(void **state)
{
	struct outcome o = probe_path("/missing", NULL, NULL);

	assert_int_equal(o.result, CG_PROBE_NOT_READY);
	assert_contains(o.error, "HTTP 404");
	o = probe_path("/error", NULL, NULL);
	assert_int_equal(o.result, CG_PROBE_NOT_READY);
	assert_contains(o.error, "HTTP 500");
	/* the body's start says why */
	assert_contains(o.error, "database unavailable");
	/* a 404 is never ready while the user has not listed it */
	o = probe_path("/missing", "200-399,401-403,405-599", NULL);
	assert_int_equal(o.result, CG_PROBE_NOT_READY);
}

static void test_http__expect_status_lists_and_ranges(void **state)
{
	struct outcome o = probe_path("/auth", NULL, NULL);

	assert_int_equal(o.result, CG_PROBE_NOT_READY);
	assert_contains(o.error, "HTTP 401");
	o = probe_path("/auth", "200-299,401", NULL);
	assert_int_equal(o.result, CG_PROBE_READY);
	o = probe_path("/health", "200-299,401", NULL);
	assert_int_equal(o.result, CG_PROBE_READY);
	o = probe_path("/health", "201, 204", NULL);
	assert_int_equal(o.result, CG_PROBE_NOT_READY);
	assert_contains(o.error, "HTTP 200");
	o = probe_path("/missing", "404", NULL);
	assert_int_equal(o.result, CG_PROBE_READY);
}

static void test_http__bad_options_are_init_errors(void **state)
{
	static const char *const bad_status[] = {
	    "",		"abc",	     "200-", "299-200", "99",	"600",
	    "200,,300", "200-299,x", "2xx",  "200 300", ",200", "200,",
	};
	static const char *const bad_json[] = {"status", "=ok", ".a=b", "a.=b",
					       "a..b=c"};
	static const char *const bad_url[] = {"http://",
					      "http://127.0.0.1:99999/",
					      "http://[::1/", "http://ho st/"};
	char err[512];

	for (size_t i = 0; i < sizeof(bad_status) / sizeof(*bad_status); i++) {
		struct cg_probe_options opt = {.expect_status = bad_status[i]};
		struct cg_probe *p =
		    cg_probe_new("http://127.0.0.1:1/", &opt, err, sizeof(err));

		if (p)
			fail_msg("expect_status '%s' was accepted",
				 bad_status[i]);
		assert_contains(err, "bad expected status");
	}
	for (size_t i = 0; i < sizeof(bad_json) / sizeof(*bad_json); i++) {
		struct cg_probe_options opt = {.expect_json = bad_json[i]};
		struct cg_probe *p =
		    cg_probe_new("http://127.0.0.1:1/", &opt, err, sizeof(err));

		if (p)
			fail_msg("expect_json '%s' was accepted", bad_json[i]);
		assert_contains(err, "bad expected JSON");
	}
	for (size_t i = 0; i < sizeof(bad_url) / sizeof(*bad_url); i++) {
		struct cg_probe *p =
		    cg_probe_new(bad_url[i], NULL, err, sizeof(err));

		if (p)
			fail_msg("URL '%s' was accepted", bad_url[i]);
	}
}

static void test_http__expect_json_field(void **state)
{
	struct outcome o = probe_path("/health", NULL, "status=ok");

	assert_int_equal(o.result, CG_PROBE_READY);
	o = probe_path("/starting", NULL, "status=ok");
	assert_int_equal(o.result, CG_PROBE_NOT_READY);
	assert_contains(o.error, "'status'");
	assert_contains(o.error, "\"starting\"");
	assert_contains(o.error, "\"ok\"");
	o = probe_path("/health", NULL, "checks.db=up");
	assert_int_equal(o.result, CG_PROBE_READY);
	o = probe_path("/health", NULL, "checks.db=down");
	assert_int_equal(o.result, CG_PROBE_NOT_READY);
	assert_contains(o.error, "'checks.db'");
	o = probe_path("/health", NULL, "checks.cache=up");
	assert_int_equal(o.result, CG_PROBE_NOT_READY);
	assert_contains(o.error, "'checks.cache' is missing");
	/* the status is judged first */
	o = probe_path("/missing", NULL, "status=ok");
	assert_int_equal(o.result, CG_PROBE_NOT_READY);
	assert_contains(o.error, "HTTP 404");
}

static void test_http__expect_json_scalars_by_text(void **state)
{
	static const struct {
		const char *spec;
		enum cg_probe_result want;
	} cases[] = {
	    {"ready=true", CG_PROBE_READY},
	    {"ready=false", CG_PROBE_NOT_READY},
	    {"ready=\"true\"", CG_PROBE_NOT_READY},
	    {"count=3", CG_PROBE_READY},
	    {"count=4", CG_PROBE_NOT_READY},
	    {"ratio=0.5", CG_PROBE_READY},
	    {"nothing=null", CG_PROBE_READY},
	    {"text=3", CG_PROBE_READY},
	    {"items.0.state=up", CG_PROBE_READY},
	    {"items.1.state=up", CG_PROBE_NOT_READY},
	    {"items=up", CG_PROBE_NOT_READY},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct outcome o = probe_path("/typed", NULL, cases[i].spec);

		if (o.result != cases[i].want)
			fail_msg("%s: got %d (%s), want %d", cases[i].spec,
				 o.result, o.error, cases[i].want);
	}
}

static void test_http__non_json_body_is_not_ready(void **state)
{
	struct outcome o = probe_path("/notjson", NULL, "status=ok");

	assert_int_equal(o.result, CG_PROBE_NOT_READY);
	assert_contains(o.error, "body is not JSON");
	/* over the 1 MiB cap: cannot be checked, but the status alone can */
	o = probe_path("/big", NULL, "status=ok");
	assert_int_equal(o.result, CG_PROBE_NOT_READY);
	assert_contains(o.error, "larger than");
	o = probe_path("/big", NULL, NULL);
	assert_int_equal(o.result, CG_PROBE_READY);
}

static void test_http__redirects_followed_unless_3xx_expected(void **state)
{
	struct outcome o = probe_path("/redirect", NULL, "status=ok");

	assert_int_equal(o.result, CG_PROBE_READY);
	o = probe_path("/loop", NULL, NULL);
	assert_int_equal(o.result, CG_PROBE_NOT_READY);
	assert_contains(o.error, "redirect");
	o = probe_path("/redirect", "302", NULL);
	assert_int_equal(o.result, CG_PROBE_READY);
}

static void test_http__silent_server_costs_one_timeout(void **state)
{
	char url[256];
	struct outcome o;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/slow", srv.port);
	o = probe_url(url, NULL, NULL, 500);
	assert_int_equal(o.result, CG_PROBE_NOT_READY);
	assert_contains(o.error, "timed out");
	if (o.elapsed_ms < 400 || o.elapsed_ms > 500 + 4000)
		fail_msg("a 500 ms attempt took %ld ms", o.elapsed_ms);
}

static void test_http__closed_port_is_not_ready(void **state)
{
	char url[256];
	struct outcome o;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/health", closed_port());
	o = probe_url(url, NULL, NULL, 5000);
	assert_int_equal(o.result, CG_PROBE_NOT_READY);
	assert_true(o.error[0] != '\0');
	if (o.elapsed_ms > 4000)
		fail_msg("a refused connection took %ld ms", o.elapsed_ms);
}

static void test_http__password_never_shown(void **state)
{
	static const char *const paths[] = {"/missing", "/error", "/starting"};
	char url[256], want[256], err[512];
	struct cg_probe *p;

	for (size_t i = 0; i < sizeof(paths) / sizeof(*paths); i++) {
		struct cg_probe_options opt = {.expect_json = "status=ok"};

		snprintf(url, sizeof(url), "http://user:secret@127.0.0.1:%d%s",
			 srv.port, paths[i]);
		snprintf(want, sizeof(want), "http://user:***@127.0.0.1:%d%s",
			 srv.port, paths[i]);
		p = cg_probe_new(url, &opt, err, sizeof(err));
		assert_non_null(p);
		assert_string_equal(cg_probe_display(p), want);
		assert_int_equal(cg_probe_attempt(p, 5000), CG_PROBE_NOT_READY);
		assert_null(strstr(cg_probe_last_error(p), "secret"));
		cg_probe_free(p);
	}
	snprintf(url, sizeof(url), "http://user:secret@127.0.0.1:%d/",
		 closed_port());
	p = cg_probe_new(url, NULL, err, sizeof(err));
	assert_non_null(p);
	assert_int_equal(cg_probe_attempt(p, 5000), CG_PROBE_NOT_READY);
	assert_null(strstr(cg_probe_last_error(p), "secret"));
	cg_probe_free(p);
	/* an init error names the target masked too */
	{
		struct cg_probe_options opt = {.expect_status = "nope"};

		assert_null(cg_probe_new(url, &opt, err, sizeof(err)));
		assert_null(strstr(err, "secret"));
		assert_contains(err, "user:***@");
	}
}

static void test_http__proxy_skipped_for_loopback_only(void **state)
{
	char proxy[64];
	struct outcome o;

	/* our server answers any proxy request (absolute URL) with 502 */
	snprintf(proxy, sizeof(proxy), "http://127.0.0.1:%d", srv.port);
	setenv("http_proxy", proxy, 1);
	setenv("HTTPS_PROXY", proxy, 1);
	unsetenv("NO_PROXY");
	unsetenv("no_proxy");
	o = probe_path("/health", NULL, NULL);
	assert_int_equal(o.result, CG_PROBE_READY);
	{
		char url[256];

		snprintf(url, sizeof(url), "http://localhost:%d/health",
			 srv.port);
		o = probe_url(url, NULL, NULL, 5000);
		assert_int_equal(o.result, CG_PROBE_READY);
	}
	/* another host does go through the proxy the environment names */
	o = probe_url("http://ciguard-test.invalid/health", NULL, NULL, 5000);
	assert_int_equal(o.result, CG_PROBE_NOT_READY);
	assert_contains(o.error, "HTTP 502");
}

static int unset_proxy(void **state)
{
	unsetenv("http_proxy");
	unsetenv("HTTPS_PROXY");
	return 0;
}

struct worker {
	pthread_t thread;
	int ready;
};

static void *attempt_thrice(void *arg)
{
	struct worker *w = arg;
	char url[256], err[256];
	struct cg_probe_options opt = {.expect_json = "status=ok"};
	struct cg_probe *p;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/health", srv.port);
	p = cg_probe_new(url, &opt, err, sizeof(err));
	for (int i = 0; p && i < 3; i++)
		w->ready += cg_probe_attempt(p, 5000) == CG_PROBE_READY;
	cg_probe_free(p);
	return NULL;
}

static void test_http__probes_in_parallel_threads(void **state)
{
	struct worker w[6];

	memset(w, 0, sizeof(w));
	for (size_t i = 0; i < 6; i++)
		assert_int_equal(
		    pthread_create(&w[i].thread, NULL, attempt_thrice, &w[i]),
		    0);
	for (size_t i = 0; i < 6; i++) {
		pthread_join(w[i].thread, NULL);
		assert_int_equal(w[i].ready, 3);
	}
}

static bool have(const char *cmd)
{
	char sh[256];

	snprintf(sh, sizeof(sh), "command -v %s >/dev/null 2>&1", cmd);
	return system(sh) == 0;
}

/* TLS is verified: a self-signed certificate is never "ready". */
static void test_http__tls_verified(void **state)
{
	char dir[] = "/tmp/ciguard-tls-XXXXXX", cmd[1024], url[128];
	char script[1024], cert[256], key[256], line[64] = "";
	char *argv[5];
	posix_spawn_file_actions_t fa;
	int out[2], port = 0, status;
	pid_t pid;
	FILE *f;
	struct outcome o;

	if (!have("openssl") || !have("python3"))
		skip();
	assert_non_null(mkdtemp(dir));
	snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
	snprintf(key, sizeof(key), "%s/key.pem", dir);
	snprintf(cmd, sizeof(cmd),
		 "openssl req -x509 -newkey rsa:2048 -nodes -days 1 "
		 "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 "
		 "-keyout %s -out %s >/dev/null 2>&1",
		 key, cert);
	assert_int_equal(system(cmd), 0);
	snprintf(script, sizeof(script), "%s/tls_server.py", CG_TEST_DIR);
	argv[0] = "python3";
	argv[1] = script;
	argv[2] = cert;
	argv[3] = key;
	argv[4] = NULL;
	assert_int_equal(pipe(out), 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_addclose(&fa, out[0]);
	assert_int_equal(
	    posix_spawnp(&pid, "python3", &fa, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	close(out[1]);
	f = fdopen(out[0], "r");
	if (fgets(line, sizeof(line), f))
		port = (int)strtol(line, NULL, 10);
	assert_true(port > 0);

	snprintf(url, sizeof(url), "https://127.0.0.1:%d/", port);
	o = probe_url(url, NULL, NULL, 5000);
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(o.result, CG_PROBE_NOT_READY);
	assert_contains(o.error, "certificate");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_http__2xx_is_ready_by_default),
	    cmocka_unit_test(test_http__404_and_500_are_not_ready),
	    cmocka_unit_test(test_http__expect_status_lists_and_ranges),
	    cmocka_unit_test(test_http__bad_options_are_init_errors),
	    cmocka_unit_test(test_http__expect_json_field),
	    cmocka_unit_test(test_http__expect_json_scalars_by_text),
	    cmocka_unit_test(test_http__non_json_body_is_not_ready),
	    cmocka_unit_test(test_http__redirects_followed_unless_3xx_expected),
	    cmocka_unit_test(test_http__silent_server_costs_one_timeout),
	    cmocka_unit_test(test_http__closed_port_is_not_ready),
	    cmocka_unit_test(test_http__password_never_shown),
	    cmocka_unit_test_teardown(
		test_http__proxy_skipped_for_loopback_only, unset_proxy),
	    cmocka_unit_test(test_http__probes_in_parallel_threads),
	    cmocka_unit_test(test_http__tls_verified),
	};
	return cmocka_run_group_tests(tests, server_start, server_stop);
}
