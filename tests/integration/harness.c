/*
 * Servers are our direct children, started with PR_SET_PDEATHSIG so that
 * they go when the test process dies, however it dies; otherwise group
 * teardown, or the atexit handler, stops them by pid and reaps them.
 * postgres refuses to run as root: when we are root the child drops to the
 * `postgres` user before exec (what runuser would do), so the postmaster's
 * pid is the child's pid and nothing daemonizes behind our back.
 */
#define _GNU_SOURCE /* accept4, vasprintf */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <cmocka.h>
#include <hiredis/hiredis.h>

#include "harness.h"

#define MAX_SERVERS 8
#define START_TRIES 3

static char tmpdir[256];
static struct cg_it_server *running[MAX_SERVERS];

int cg_it_free_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port = -1;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

/* ---- cleanup ---- */

static int remove_entry(const char *path, const struct stat *st, int flag,
			struct FTW *ftw)
{
	remove(path);
	return 0;
}

static void cleanup(void)
{
	for (int i = 0; i < MAX_SERVERS; i++)
		if (running[i])
			cg_it_server_stop(running[i], running[i]->stop_sig);
	if (!*tmpdir)
		return;
	if (getenv("CG_IT_KEEP"))
		fprintf(stderr, "harness: kept %s\n", tmpdir);
	else
		nftw(tmpdir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

const char *cg_it_tmpdir(void)
{
	const char *base = getenv("TMPDIR");

	if (*tmpdir)
		return tmpdir;
	snprintf(tmpdir, sizeof(tmpdir), "%s/ciguard-it-XXXXXX",
		 base && *base ? base : "/tmp");
	if (!mkdtemp(tmpdir)) {
		fprintf(stderr, "harness: mkdtemp %s: %s\n", tmpdir,
			strerror(errno));
		abort();
	}
	/* the postgres user must reach its own directory inside */
	chmod(tmpdir, 0711);
	atexit(cleanup);
	return tmpdir;
}

static void track(struct cg_it_server *s)
{
	for (int i = 0; i < MAX_SERVERS; i++) {
		if (running[i] == s)
			return;
	}
	for (int i = 0; i < MAX_SERVERS; i++) {
		if (!running[i]) {
			running[i] = s;
			return;
		}
	}
}

static void untrack(struct cg_it_server *s)
{
	for (int i = 0; i < MAX_SERVERS; i++)
		if (running[i] == s)
			running[i] = NULL;
}

/* ---- processes ---- */

static void print_log(const char *log)
{
	FILE *f = log ? fopen(log, "r") : NULL;
	char line[1024];

	if (!f)
		return;
	fprintf(stderr, "--- %s ---\n", log);
	while (fgets(line, sizeof(line), f))
		fputs(line, stderr);
	fprintf(stderr, "---\n");
	fclose(f);
}

/*
 * fork + exec argv with stdout/stderr appended to `log`; as `user` when
 * non-NULL; `death_sig` is sent to the child when we die.
 */
static pid_t spawn(char *const argv[], const char *log,
		   const struct passwd *user, int death_sig)
{
	int logfd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	pid_t parent = getpid(), pid;

	if (logfd < 0) {
		fprintf(stderr, "harness: cannot open '%s': %s\n", log,
			strerror(errno));
		return -1;
	}
	if (user && fchown(logfd, user->pw_uid, user->pw_gid) < 0) {
		fprintf(stderr, "harness: chown '%s': %s\n", log,
			strerror(errno));
		close(logfd);
		return -1;
	}
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		dup2(null, 0);
		dup2(logfd, 1);
		dup2(logfd, 2);
		if (user &&
		    (setgroups(1, &user->pw_gid) < 0 ||
		     setgid(user->pw_gid) < 0 || setuid(user->pw_uid) < 0))
			_exit(126);
		/* after setuid, which clears it */
		prctl(PR_SET_PDEATHSIG, death_sig);
		if (getppid() != parent)
			_exit(1);
		execv(argv[0], argv);
		_exit(127);
	}
	close(logfd);
	if (pid < 0)
		fprintf(stderr, "harness: fork: %s\n", strerror(errno));
	return pid;
}

/* Reap pid if it has exited: true when it is gone. */
static bool exited(pid_t pid, int *status)
{
	return waitpid(pid, status, WNOHANG) == pid;
}

void cg_it_server_stop(struct cg_it_server *s, int sig)
{
	long until = cg_now_ms() + 30000;
	int status;

	if (!s || s->pid <= 0)
		return;
	kill(s->pid, sig);
	while (!exited(s->pid, &status)) {
		if (cg_now_ms() > until) {
			kill(s->pid, SIGKILL);
			waitpid(s->pid, &status, 0);
			break;
		}
		cg_sleep_ms(10);
	}
	s->pid = 0;
	untrack(s);
}

void cg_it_server_release(struct cg_it_server *s)
{
	cg_it_server_stop(s, s->stop_sig);
	free(s->dir);
	free(s->log);
	free(s->data);
	memset(s, 0, sizeof(*s));
}

static int make_dir(struct cg_it_server *s, const char *name,
		    const struct passwd *owner)
{
	static int seq;

	s->dir = cg_xasprintf("%s/%s-%d", cg_it_tmpdir(), name, ++seq);
	s->log = cg_xasprintf("%s/%s.log", s->dir, name);
	if (mkdir(s->dir, 0700) < 0 ||
	    (owner && chown(s->dir, owner->pw_uid, owner->pw_gid) < 0)) {
		fprintf(stderr, "harness: cannot make '%s': %s\n", s->dir,
			strerror(errno));
		return -1;
	}
	return 0;
}

static bool executable(const char *path)
{
	return access(path, X_OK) == 0;
}

/* ---- redis ---- */

static const char *redis_server_path(void)
{
	const char *env = getenv("CIGUARD_REDIS_SERVER");

	return env && *env ? env : "/usr/bin/redis-server";
}

/* A raw PING, independent of the code under test: true on +PONG. */
static bool redis_pongs(int port)
{
	struct sockaddr_in a;
	char buf[64];
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct timeval tv = {1, 0};
	bool ok = false;
	long n;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    send(fd, "PING\r\n", 6, MSG_NOSIGNAL) == 6) {
		n = recv(fd, buf, sizeof(buf) - 1, 0);
		/* -NOAUTH also proves it is up and serving */
		ok = n > 0 && (buf[0] == '+' || buf[0] == '-');
	}
	close(fd);
	return ok;
}

/* The file at `path` contains `text`. */
static bool log_says(const char *path, const char *text)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, text) != NULL;
	fclose(f);
	return found;
}

int cg_it_redis_start(struct cg_it_server *out, const char *const *args)
{
	const char *bin = redis_server_path();

	memset(out, 0, sizeof(*out));
	if (!executable(bin)) {
		fprintf(stderr,
			"harness: redis-server not found at '%s': install the "
			"redis-server package (`make test` does) or set "
			"CIGUARD_REDIS_SERVER\n",
			bin);
		return -1;
	}
	out->stop_sig = SIGTERM;
	if (make_dir(out, "redis", NULL) < 0)
		return -1;
	for (int attempt = 0; attempt < START_TRIES; attempt++) {
		char *argv[32], port[16], bus[16];
		int argc = 0, status;
		long until = cg_now_ms() + 20000;
		bool cluster = false, bus_given = false;

		out->port = cg_it_free_port();
		snprintf(port, sizeof(port), "%d", out->port);
		argv[argc++] = (char *)bin;
		argv[argc++] = "--port";
		argv[argc++] = port;
		argv[argc++] = "--bind";
		argv[argc++] = "127.0.0.1";
		argv[argc++] = "--dir";
		argv[argc++] = out->dir;
		argv[argc++] = "--save";
		argv[argc++] = "";
		argv[argc++] = "--appendonly";
		argv[argc++] = "no";
		argv[argc++] = "--daemonize";
		argv[argc++] = "no";
		/* every attempt gets the caller's arguments (a retry after
		 * a port taken by another test's server too) */
		for (const char *const *a = args; a && *a && argc < 28; a++) {
			cluster |= !strcmp(*a, "--cluster-enabled");
			bus_given |= !strcmp(*a, "--cluster-port");
			argv[argc++] = (char *)*a;
		}
		/* a cluster node's bus port defaults to its port + 10000:
		 * a free port above 55535 would make it refuse to start */
		if (cluster && !bus_given) {
			snprintf(bus, sizeof(bus), "%d", cg_it_free_port());
			argv[argc++] = "--cluster-port";
			argv[argc++] = bus;
		}
		argv[argc] = NULL;
		out->pid = spawn(argv, out->log, NULL, SIGTERM);
		if (out->pid < 0)
			return -1;
		track(out);
		while (cg_now_ms() < until) {
			if (exited(out->pid, &status)) {
				out->pid = 0;
				untrack(out);
				break;
			}
			/* a PONG counts only once our server says it is
			 * listening: another test's server may have taken the
			 * port first (ours then fails to bind and exits) */
			if (log_says(out->log, "Ready to accept connections") &&
			    redis_pongs(out->port))
				return 0;
			cg_sleep_ms(20);
		}
		cg_it_server_stop(out, SIGKILL);
	}
	fprintf(stderr, "harness: redis-server did not start\n");
	print_log(out->log);
	return -1;
}

static int run_to_end(char *const argv[], const char *log,
		      const struct passwd *user)
{
	pid_t pid = spawn(argv, log, user, SIGKILL);
	int status;

	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "harness: %s failed (status %d)\n", argv[0],
			status);
		print_log(log);
		return -1;
	}
	return 0;
}

/* redis-cli beside redis-server (CIGUARD_REDIS_CLI overrides). */
static char *redis_cli_path(void)
{
	const char *env = getenv("CIGUARD_REDIS_CLI");
	const char *server = redis_server_path();
	const char *slash = strrchr(server, '/');

	if (env && *env)
		return cg_xasprintf("%s", env);
	if (!slash)
		return cg_xasprintf("redis-cli");
	return cg_xasprintf("%.*s/redis-cli", (int)(slash - server), server);
}

bool cg_it_redis_cluster_ok(int port)
{
	redisContext *c = redisConnect("127.0.0.1", port);
	redisReply *r = NULL;
	bool ok = false;

	if (c && !c->err)
		r = redisCommand(c, "CLUSTER INFO");
	if (r && r->type == REDIS_REPLY_STRING)
		ok = strstr(r->str, "cluster_state:ok") &&
		     strstr(r->str, "cluster_slots_ok:16384") &&
		     strstr(r->str, "cluster_known_nodes:");
	if (r)
		freeReplyObject(r);
	if (c)
		redisFree(c);
	return ok;
}

int cg_it_redis_cluster_start(struct cg_it_server *nodes, int n, int replicas,
			      int node_timeout_ms)
{
	char *argv[16], *cli = redis_cli_path(), *log, reps[16];
	char addr[8][32];
	int argc = 0, rc = -1;
	long until;

	if (n < 1 || n > 8) {
		free(cli);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char bus[16], timeout[16];
		/* no delay before a replica's first sync: tests fail over */
		const char *args[] = {"--cluster-enabled",
				      "yes",
				      "--cluster-port",
				      bus,
				      "--cluster-node-timeout",
				      timeout,
				      "--repl-diskless-sync-delay",
				      "0",
				      NULL};

		snprintf(bus, sizeof(bus), "%d", cg_it_free_port());
		snprintf(timeout, sizeof(timeout), "%d", node_timeout_ms);
		if (cg_it_redis_start(&nodes[i], args) < 0)
			goto out;
		snprintf(addr[i], sizeof(addr[i]), "127.0.0.1:%d",
			 nodes[i].port);
	}
	argv[argc++] = cli;
	argv[argc++] = "--cluster";
	argv[argc++] = "create";
	for (int i = 0; i < n; i++)
		argv[argc++] = addr[i];
	snprintf(reps, sizeof(reps), "%d", replicas);
	argv[argc++] = "--cluster-replicas";
	argv[argc++] = reps;
	argv[argc++] = "--cluster-yes";
	argv[argc] = NULL;
	log = cg_xasprintf("%s/cluster-create.log", nodes[0].dir);
	rc = run_to_end(argv, log, NULL);
	free(log);
	if (rc < 0)
		goto out;
	/* create returns once the nodes agree; each must say so itself */
	rc = -1;
	until = cg_now_ms() + 30000;
	while (cg_now_ms() < until) {
		int ready = 0;

		for (int i = 0; i < n; i++)
			ready += cg_it_redis_cluster_ok(nodes[i].port);
		if (ready == n) {
			rc = 0;
			break;
		}
		cg_sleep_ms(50);
	}
	if (rc < 0)
		fprintf(stderr, "harness: the cluster did not become ok\n");
out:
	free(cli);
	return rc;
}

/* ---- postgres ---- */

/* The bin directory of the newest /usr/lib/postgresql/VERSION. */
static char *pg_bindir(void)
{
	const char *env = getenv("CIGUARD_PG_BINDIR");
	glob_t g;
	char *best = NULL;
	long best_version = -1;

	if (env && *env)
		return strdup(env);
	if (glob("/usr/lib/postgresql/*/bin/postgres", 0, NULL, &g) != 0)
		return NULL;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		const char *v = g.gl_pathv[i] + strlen("/usr/lib/postgresql/");
		long version = strtol(v, NULL, 10);

		if (version > best_version) {
			best_version = version;
			free(best);
			best = strndup(g.gl_pathv[i], strlen(g.gl_pathv[i]) -
							  strlen("/postgres"));
		}
	}
	globfree(&g);
	return best;
}

/* The user postgres runs as: `postgres` when we are root, else us. */
static int pg_user(const struct passwd **out)
{
	*out = NULL;
	if (geteuid() != 0)
		return 0;
	if (!(*out = getpwnam("postgres"))) {
		fprintf(stderr, "harness: we are root and there is no "
				"'postgres' user to run postgres as (the "
				"postgresql package creates it)\n");
		return -1;
	}
	return 0;
}

int cg_it_pg_init(struct cg_it_server *out, const char *password)
{
	const struct passwd *user;
	char *bindir = pg_bindir(), *initdb = NULL, *pwfile = NULL;
	char *pwopt = NULL;
	FILE *f;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (!bindir || !executable(bindir)) {
		fprintf(stderr,
			"harness: no PostgreSQL server binaries in "
			"/usr/lib/postgresql/*/bin: install the postgresql "
			"package (`make test` does) or set "
			"CIGUARD_PG_BINDIR\n");
		goto out;
	}
	out->stop_sig = SIGQUIT; /* immediate shutdown */
	if (pg_user(&user) < 0 || make_dir(out, "postgres", user) < 0)
		goto out;
	out->data = cg_xasprintf("%s/data", out->dir);
	pwfile = cg_xasprintf("%s/pw", out->dir);
	if (!(f = fopen(pwfile, "w")))
		goto out;
	fprintf(f, "%s\n", password);
	fclose(f);
	if (user && chown(pwfile, user->pw_uid, user->pw_gid) < 0)
		goto out;
	initdb = cg_xasprintf("%s/initdb", bindir);
	pwopt = cg_xasprintf("--pwfile=%s", pwfile);
	{
		char *argv[] = {initdb,
				"-D",
				out->data,
				"-U",
				"postgres",
				"--auth-local=trust",
				"--auth-host=scram-sha-256",
				pwopt,
				"--no-locale",
				"-E",
				"UTF8",
				"--no-sync",
				NULL};

		if (run_to_end(argv, out->log, user) < 0)
			goto out;
	}
	out->port = cg_it_free_port();
	rc = 0;
out:
	free(bindir);
	free(initdb);
	free(pwfile);
	free(pwopt);
	return rc;
}

int cg_it_pg_wait_ready(struct cg_it_server *s, int timeout_ms)
{
	long until = cg_now_ms() + timeout_ms;
	char *pidfile = cg_xasprintf("%s/postmaster.pid", s->data);
	int status, rc = -1;

	while (cg_now_ms() < until && s->pid > 0) {
		FILE *f = fopen(pidfile, "r");
		char line[256];
		int n = 0;

		if (exited(s->pid, &status)) {
			s->pid = 0;
			untrack(s);
			break;
		}
		/* line 8 is the postmaster's status, as pg_ctl -w reads it */
		while (f && fgets(line, sizeof(line), f) && ++n < 8)
			;
		if (f)
			fclose(f);
		if (n == 8 && !strncmp(line, "ready", 5)) {
			rc = 0;
			break;
		}
		cg_sleep_ms(20);
	}
	free(pidfile);
	return rc;
}

int cg_it_pg_start(struct cg_it_server *s, bool wait)
{
	const struct passwd *user;
	char *bindir = pg_bindir(), *postgres;
	char *sockdir = cg_xasprintf("unix_socket_directories=%s", s->dir);
	int rc = -1;

	if (!bindir || pg_user(&user) < 0) {
		free(sockdir);
		free(bindir);
		return -1;
	}
	postgres = cg_xasprintf("%s/postgres", bindir);
	for (int attempt = 0; attempt < START_TRIES; attempt++) {
		char port[16];
		char *argv[] = {postgres,
				"-D",
				s->data,
				"-p",
				port,
				"-c",
				"listen_addresses=127.0.0.1",
				"-c",
				sockdir,
				"-c",
				"fsync=off",
				"-c",
				"max_connections=20",
				"-c",
				"shared_buffers=16MB",
				NULL};

		if (attempt)
			s->port = cg_it_free_port();
		snprintf(port, sizeof(port), "%d", s->port);
		s->pid = spawn(argv, s->log, user, SIGQUIT);
		if (s->pid < 0)
			break;
		track(s);
		if (!wait || cg_it_pg_wait_ready(s, 60000) == 0) {
			rc = 0;
			break;
		}
		cg_it_server_stop(s, SIGQUIT);
	}
	if (rc < 0) {
		fprintf(stderr, "harness: postgres did not start\n");
		print_log(s->log);
	}
	free(postgres);
	free(sockdir);
	free(bindir);
	return rc;
}

/* ---- fake servers ---- */

struct cg_it_fake {
	int listen_fd;
	int port;
	pthread_t thread;
	atomic_bool stopping;
	atomic_uint connections;
	cg_it_conn_fn fn;
	void *ctx;
};

static void *fake_main(void *arg)
{
	struct cg_it_fake *f = arg;

	while (!atomic_load(&f->stopping)) {
		struct pollfd pfd = {f->listen_fd, POLLIN, 0};
		int fd;

		if (poll(&pfd, 1, 50) <= 0)
			continue;
		fd = accept4(f->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		f->fn(f, fd, atomic_fetch_add(&f->connections, 1), f->ctx);
		close(fd);
	}
	return NULL;
}

struct cg_it_fake *cg_it_fake_start(cg_it_conn_fn fn, void *ctx)
{
	struct cg_it_fake *f = calloc(1, sizeof(*f));
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	if (!f)
		abort();
	f->fn = fn;
	f->ctx = ctx;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	f->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (f->listen_fd < 0 ||
	    bind(f->listen_fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(f->listen_fd, 16) < 0 ||
	    getsockname(f->listen_fd, (struct sockaddr *)&a, &len) < 0 ||
	    pthread_create(&f->thread, NULL, fake_main, f) != 0) {
		fprintf(stderr, "harness: fake server: %s\n", strerror(errno));
		if (f->listen_fd >= 0)
			close(f->listen_fd);
		free(f);
		return NULL;
	}
	f->port = ntohs(a.sin_port);
	return f;
}

int cg_it_fake_port(const struct cg_it_fake *f)
{
	return f->port;
}

unsigned cg_it_fake_connections(const struct cg_it_fake *f)
{
	return atomic_load(&((struct cg_it_fake *)f)->connections);
}

bool cg_it_fake_stopping(struct cg_it_fake *f)
{
	return atomic_load(&f->stopping);
}

long cg_it_fake_recv(struct cg_it_fake *f, int fd, void *buf, size_t n)
{
	while (!cg_it_fake_stopping(f)) {
		struct pollfd pfd = {fd, POLLIN, 0};
		int r = poll(&pfd, 1, 50);

		if (r < 0 && errno != EINTR)
			return -1;
		if (r > 0)
			return (long)recv(fd, buf, n, 0);
	}
	return -1;
}

int cg_it_fake_send(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

void cg_it_fake_hold(struct cg_it_fake *f, int fd)
{
	char buf[512];

	while (cg_it_fake_recv(f, fd, buf, sizeof(buf)) > 0)
		;
}

void cg_it_serve_silence(struct cg_it_fake *f, int fd, unsigned n, void *ctx)
{
	cg_it_fake_hold(f, fd);
}

void cg_it_fake_stop(struct cg_it_fake *f)
{
	if (!f)
		return;
	atomic_store(&f->stopping, true);
	pthread_join(f->thread, NULL);
	close(f->listen_fd);
	free(f);
}

/* ---- probing ---- */

const char *cg_it_result_name(enum cg_probe_result r)
{
	switch (r) {
	case CG_PROBE_READY:
		return "READY";
	case CG_PROBE_NOT_READY:
		return "NOT_READY";
	case CG_PROBE_FATAL:
		return "FATAL";
	}
	return "?";
}

struct cg_it_outcome cg_it_attempt(const char *target, int timeout_ms)
{
	struct cg_it_outcome o;
	char err[512];
	struct cg_probe *p = cg_probe_new(target, NULL, err, sizeof(err));
	long start;

	memset(&o, 0, sizeof(o));
	if (!p)
		fail_msg("cg_probe_new('%s') failed: %s", target, err);
	snprintf(o.display, sizeof(o.display), "%s", cg_probe_display(p));
	start = cg_now_ms();
	o.result = cg_probe_attempt(p, timeout_ms);
	o.elapsed_ms = cg_now_ms() - start;
	snprintf(o.error, sizeof(o.error), "%s", cg_probe_last_error(p));
	cg_probe_free(p);
	print_message("  %s -> %s in %ld ms: %s\n", o.display,
		      cg_it_result_name(o.result), o.elapsed_ms, o.error);
	return o;
}

const char *cg_it_bad_target(const char *target)
{
	static char err[512];
	struct cg_probe *p = cg_probe_new(target, NULL, err, sizeof(err));

	if (p) {
		cg_probe_free(p);
		fail_msg("cg_probe_new('%s') accepted a bad target", target);
	}
	print_message("  %s -> %s\n", target, err);
	return err;
}

void cg_it_check_bad_targets(const struct cg_it_bad *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *err = cg_it_bad_target(t[i].target);

		if (!strstr(err, t[i].says))
			fail_msg("'%s' does not say '%s'", err, t[i].says);
		assert_null(strstr(err, "hunter2"));
	}
}
