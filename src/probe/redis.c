/*
 * redis://[USER:PASS@]HOST[:PORT][/DB]: AUTH when the URL has a password,
 * SELECT when it names a database other than 0, then PING. Ready only when
 * PING is answered with the status reply PONG.
 *
 * hiredis formats the commands and parses the replies (its protocol
 * reader), but the socket I/O is our own: non-blocking send and recv under
 * poll() against one deadline for the whole attempt. hiredis' blocking
 * context arms SO_RCVTIMEO for each read, so a server that trickles a byte
 * at a time could stretch an attempt far past its budget, and it writes
 * with write(2), which raises SIGPIPE on a reset connection.
 *
 * The commands go out in one pipelined write; the replies are judged in
 * order and the first one that is not a success decides. An error reply is
 * fatal when retrying cannot change it (wrong or missing credentials, no
 * permission, a database index the server does not have) and "not ready"
 * otherwise: LOADING, BUSY, MASTERDOWN, max clients reached and anything we
 * do not know are things a server grows out of.
 *
 * A user name without a password sends no AUTH (as redis-py does); a
 * server that wants one then answers NOAUTH, which is fatal.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "probe/probe_int.h"
#include "core/banned.h"

#define MAX_COMMANDS 3 /* AUTH, SELECT, PING */
#define MAX_ARGS 3

struct redis_state {
	struct cg_url url;
	long db;
	char *request; /* the pipelined commands, formatted once */
	size_t request_len;
	const char *commands[MAX_COMMANDS]; /* names, for messages */
	int ncommands;
};

/*
 * Error replies that retrying cannot fix, by their first word and, for the
 * generic ERR, a part of the text (Redis 2.x to 7.x wordings).
 */
static const struct {
	const char *code;
	const char *text; /* NULL: any text */
} fatal_errors[] = {
    {"NOAUTH", NULL},
    {"WRONGPASS", NULL},
    {"NOPERM", NULL},
    {"DENIED", NULL}, /* protected mode */
    {"ERR", "invalid password"},
    {"ERR", "invalid username-password pair"},
    {"ERR", "called without any password configured"},
    {"ERR", "but no password is set"},
    {"ERR", "wrong number of arguments for 'auth'"},
    {"ERR", "DB index is out of range"},
    {"ERR", "SELECT is not allowed in cluster mode"},
};

static bool error_is_fatal(const char *err)
{
	for (size_t i = 0; i < sizeof(fatal_errors) / sizeof(*fatal_errors);
	     i++) {
		size_t n = strlen(fatal_errors[i].code);

		if (strncmp(err, fatal_errors[i].code, n) != 0 ||
		    (err[n] != ' ' && err[n] != '\0'))
			continue;
		if (!fatal_errors[i].text || strstr(err, fatal_errors[i].text))
			return true;
	}
	return false;
}

static void add_command(struct redis_state *st, struct cg_buf *req, int argc,
			const char **argv)
{
	size_t len[MAX_ARGS];
	char *cmd = NULL;
	int n;

	for (int i = 0; i < argc; i++)
		len[i] = strlen(argv[i]);
	n = redisFormatCommandArgv(&cmd, argc, argv, len);
	if (n < 0 || !cmd) {
		fprintf(stderr, "ciguard: out of memory\n");
		abort();
	}
	cg_buf_add(req, cmd, (size_t)n);
	redisFreeCommand(cmd);
	st->commands[st->ncommands++] = argv[0];
}

static int redis_init(struct cg_probe *p, char *err, size_t errlen)
{
	struct redis_state *st = cg_xcalloc(1, sizeof(*st));
	struct cg_buf req = CG_BUF_INIT;
	char db[24];
	struct cg_redis_url target;

	p->state = st;
	if (cg_redis_url_parse(&target, p->target, err, errlen) < 0)
		return -1;
	st->url = target.url;
	st->db = target.db;
	if (st->url.password && *st->url.password) {
		if (st->url.user && *st->url.user) {
			const char *argv[] = {"AUTH", st->url.user,
					      st->url.password};

			add_command(st, &req, 3, argv);
		} else {
			const char *argv[] = {"AUTH", st->url.password};

			add_command(st, &req, 2, argv);
		}
	}
	if (st->db) {
		const char *argv[] = {"SELECT", db};

		snprintf(db, sizeof(db), "%ld", st->db);
		add_command(st, &req, 2, argv);
	}
	{
		const char *argv[] = {"PING"};

		add_command(st, &req, 1, argv);
	}
	st->request = cg_buf_detach(&req, &st->request_len);
	return 0;
}

static enum cg_probe_result send_request(struct cg_probe *p, int fd,
					 long deadline)
{
	struct redis_state *st = p->state;
	size_t off = 0;

	while (off < st->request_len) {
		ssize_t n = send(fd, st->request + off, st->request_len - off,
				 MSG_NOSIGNAL);
		int w;

		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return cg_probe_fail(p, CG_PROBE_NOT_READY,
					     "sending %s: %s", st->commands[0],
					     strerror(errno));
		w = cg_poll_fd(fd, POLLOUT, deadline);
		if (w <= 0)
			return cg_probe_fail(p, CG_PROBE_NOT_READY,
					     "sending %s: %s", st->commands[0],
					     w ? strerror(errno) : "timed out");
	}
	return CG_PROBE_READY;
}

/* Read until the reader holds one reply; READY means *out is set. */
static enum cg_probe_result read_reply(struct cg_probe *p, int fd,
				       redisReader *reader, const char *command,
				       long deadline, int timeout_ms,
				       redisReply **out)
{
	char buf[4096];

	*out = NULL;
	for (;;) {
		void *reply = NULL;
		ssize_t n;
		int w;

		if (redisReaderGetReply(reader, &reply) != REDIS_OK)
			return cg_probe_fail(p, CG_PROBE_NOT_READY,
					     "not a Redis reply to %s: %s",
					     command, reader->errstr);
		if (reply) {
			*out = reply;
			return CG_PROBE_READY;
		}
		n = recv(fd, buf, sizeof(buf), 0);
		if (n > 0) {
			if (redisReaderFeed(reader, buf, (size_t)n) != REDIS_OK)
				return cg_probe_fail(
				    p, CG_PROBE_NOT_READY,
				    "not a Redis reply to %s: %s", command,
				    reader->errstr);
			continue;
		}
		if (n == 0)
			return cg_probe_fail(p, CG_PROBE_NOT_READY,
					     "the server closed the connection "
					     "before answering %s",
					     command);
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return cg_probe_fail(p, CG_PROBE_NOT_READY,
					     "waiting for the reply to %s: %s",
					     command, strerror(errno));
		w = cg_poll_fd(fd, POLLIN, deadline);
		if (w < 0)
			return cg_probe_fail(p, CG_PROBE_NOT_READY,
					     "waiting for the reply to %s: %s",
					     command, strerror(errno));
		if (w == 0)
			return cg_probe_fail(p, CG_PROBE_NOT_READY,
					     "no reply to %s within %d ms",
					     command, timeout_ms);
	}
}

static enum cg_probe_result judge(struct cg_probe *p, const char *command,
				  const redisReply *reply)
{
	bool ping = !strcmp(command, "PING");

	switch (reply->type) {
	case REDIS_REPLY_ERROR:
		return cg_probe_fail(p,
				     error_is_fatal(reply->str)
					 ? CG_PROBE_FATAL
					 : CG_PROBE_NOT_READY,
				     "%s", reply->str);
	case REDIS_REPLY_STATUS:
		if (!strcmp(reply->str, ping ? "PONG" : "OK"))
			return CG_PROBE_READY;
		return cg_probe_fail(p, CG_PROBE_NOT_READY,
				     "%s answered '+%.100s', not '+%s'",
				     command, reply->str, ping ? "PONG" : "OK");
	default:
		return cg_probe_fail(p, CG_PROBE_NOT_READY,
				     "%s answered a reply of type %d, not a "
				     "status",
				     command, reply->type);
	}
}

static enum cg_probe_result redis_attempt(struct cg_probe *p, int timeout_ms)
{
	struct redis_state *st = p->state;
	long deadline = cg_now_ms() + timeout_ms;
	redisReader *reader = NULL;
	enum cg_probe_result r;
	int fd;

	fd = cg_tcp_connect(st->url.host, st->url.port, timeout_ms,
			    p->last_error, sizeof(p->last_error));
	if (fd < 0)
		return CG_PROBE_NOT_READY;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL, 0) | O_NONBLOCK);
	r = send_request(p, fd, deadline);
	if (r == CG_PROBE_READY && !(reader = redisReaderCreate()))
		r = cg_probe_fail(p, CG_PROBE_NOT_READY, "out of memory");
	for (int i = 0; r == CG_PROBE_READY && i < st->ncommands; i++) {
		redisReply *reply;

		r = read_reply(p, fd, reader, st->commands[i], deadline,
			       timeout_ms, &reply);
		if (r != CG_PROBE_READY)
			break;
		r = judge(p, st->commands[i], reply);
		freeReplyObject(reply);
	}
	close(fd);
	if (reader)
		redisReaderFree(reader);
	/* a server's error text is not ours to trust with the password */
	cg_probe_mask(p->last_error, sizeof(p->last_error), st->url.password);
	return r;
}

static void redis_release(struct cg_probe *p)
{
	struct redis_state *st = p->state;

	if (!st)
		return;
	cg_url_release(&st->url);
	free(st->request);
	free(st);
}

const struct cg_probe_kind cg_probe_redis = {"redis://", redis_init,
					     redis_attempt, redis_release};
