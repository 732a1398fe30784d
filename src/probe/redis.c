/*
 * redis://[USER:PASS@]HOST[:PORT][/DB] and rediss://... (TLS): AUTH when
 * the URL has a password, SELECT when it names a database other than 0,
 * then PING and CLUSTER INFO. Ready only when PING is answered with the
 * status reply PONG and, on a cluster node, the cluster's state is ok.
 *
 * hiredis formats the commands and parses the replies (its protocol
 * reader), but the I/O is our own (core/net.h, which also speaks TLS):
 * non-blocking send and recv under poll() against one deadline for the
 * whole attempt, TLS handshake included. hiredis' blocking context arms
 * SO_RCVTIMEO for each read, so a server that trickles a byte at a time
 * could stretch an attempt far past its budget, it writes with write(2),
 * which raises SIGPIPE on a reset connection, and Debian's hiredis 0.14
 * has no TLS. A certificate that fails verification is "not ready", as
 * for https:// (it may be replaced while we wait); the message says
 * which check failed and how to trust a private CA.
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "probe/probe_int.h"
#include "core/banned.h"

#define MAX_COMMANDS 4 /* AUTH, SELECT, PING, CLUSTER INFO */
#define MAX_ARGS 3

struct redis_state {
	struct cg_redis_url url;
	struct cg_tls *tls; /* NULL: plain text */
	char *request;	    /* the pipelined commands, formatted once */
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
	const struct cg_url *u = &st->url.url;

	p->state = st;
	if (cg_redis_url_parse(&st->url, p->target, err, errlen) < 0)
		return -1;
	if (st->url.tls) {
		/* the URL's own CA, else --cacert, else the environment */
		const char *env = getenv(CG_REDIS_CACERT_ENV);
		struct cg_tls_options to = {
		    .ca_file = st->url.ca_file ? st->url.ca_file
			       : p->ca_file    ? p->ca_file
			       : env && *env   ? env
					       : NULL,
		    .no_verify = st->url.no_verify,
		};

		if (!(st->tls = cg_tls_new(&to, err, errlen)))
			return -1;
	}
	if (u->password && *u->password) {
		if (u->user && *u->user) {
			const char *argv[] = {"AUTH", u->user, u->password};

			add_command(st, &req, 3, argv);
		} else {
			const char *argv[] = {"AUTH", u->password};

			add_command(st, &req, 2, argv);
		}
	}
	if (st->url.db) {
		const char *argv[] = {"SELECT", db};

		snprintf(db, sizeof(db), "%ld", st->url.db);
		add_command(st, &req, 2, argv);
	}
	{
		const char *argv[] = {"PING"};

		add_command(st, &req, 1, argv);
	}
	{
		/* a cluster node answers PING before its slots are served
		 * (CLUSTERDOWN until the cluster is created or healed) */
		const char *argv[] = {"CLUSTER", "INFO"};

		add_command(st, &req, 2, argv);
	}
	st->request = cg_buf_detach(&req, &st->request_len);
	return 0;
}

/* Read until the reader holds one reply; READY means *out is set. */
static enum cg_probe_result read_reply(struct cg_probe *p, struct cg_conn *c,
				       redisReader *reader, const char *command,
				       long deadline, int timeout_ms,
				       redisReply **out)
{
	char buf[4096], why[256];

	*out = NULL;
	for (;;) {
		void *reply = NULL;
		long n;

		if (redisReaderGetReply(reader, &reply) != REDIS_OK)
			return cg_probe_fail(p, CG_PROBE_NOT_READY,
					     "not a Redis reply to %s: %s%s",
					     command, reader->errstr,
					     cg_conn_plain_hint(c, false));
		if (reply) {
			*out = reply;
			return CG_PROBE_READY;
		}
		n = cg_conn_read(c, buf, sizeof(buf), deadline, why,
				 sizeof(why));
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
					     "before answering %s%s",
					     command,
					     cg_conn_plain_hint(c, true));
		if (n == CG_NET_TIMEOUT)
			return cg_probe_fail(p, CG_PROBE_NOT_READY,
					     "no reply to %s within %d ms",
					     command, timeout_ms);
		return cg_probe_fail(
		    p, CG_PROBE_NOT_READY, "waiting for the reply to %s: %s%s",
		    command, why, cg_conn_plain_hint(c, n == CG_NET_ERROR));
	}
}

/* CLUSTER INFO: a node of a cluster whose state is not ok serves no
 * keys; a server without cluster support answers an error, which is
 * fine, as is any other error (a user the ACL does not let ask) */
static enum cg_probe_result judge_cluster(struct cg_probe *p,
					  const redisReply *reply)
{
	const char *state;

	if (reply->type != REDIS_REPLY_STRING ||
	    !(state = strstr(reply->str, "cluster_state:")))
		return CG_PROBE_READY;
	state += strlen("cluster_state:");
	if (!strncmp(state, "ok", 2))
		return CG_PROBE_READY;
	return cg_probe_fail(p, CG_PROBE_NOT_READY,
			     "the node answers PING, but its cluster is not "
			     "serving (CLUSTER INFO: cluster_state:%.*s; "
			     "commands get CLUSTERDOWN until every slot is "
			     "assigned and reachable)",
			     (int)strcspn(state, "\r\n"), state);
}

static enum cg_probe_result judge(struct cg_probe *p, const char *command,
				  const redisReply *reply)
{
	bool ping = !strcmp(command, "PING");

	if (!strcmp(command, "CLUSTER"))
		return judge_cluster(p, reply);

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
	enum cg_probe_result r = CG_PROBE_READY;
	struct cg_conn *c;
	char why[400];

	if (cg_conn_open(&c, st->url.url.host, st->url.url.port, st->tls,
			 deadline, p->last_error, sizeof(p->last_error)) < 0)
		return CG_PROBE_NOT_READY;
	if (cg_conn_write(c, st->request, st->request_len, deadline, why,
			  sizeof(why)) < 0)
		r = cg_probe_fail(p, CG_PROBE_NOT_READY, "sending %s: %s%s",
				  st->commands[0], why,
				  cg_conn_plain_hint(c, true));
	if (r == CG_PROBE_READY && !(reader = redisReaderCreate()))
		r = cg_probe_fail(p, CG_PROBE_NOT_READY, "out of memory");
	for (int i = 0; r == CG_PROBE_READY && i < st->ncommands; i++) {
		redisReply *reply;

		r = read_reply(p, c, reader, st->commands[i], deadline,
			       timeout_ms, &reply);
		if (r != CG_PROBE_READY)
			break;
		r = judge(p, st->commands[i], reply);
		freeReplyObject(reply);
	}
	cg_conn_close(c);
	if (reader)
		redisReaderFree(reader);
	/* a server's error text is not ours to trust with the password */
	cg_probe_mask(p->last_error, sizeof(p->last_error),
		      st->url.url.password);
	return r;
}

static void redis_release(struct cg_probe *p)
{
	struct redis_state *st = p->state;

	if (!st)
		return;
	cg_redis_url_release(&st->url);
	cg_tls_free(st->tls);
	free(st->request);
	free(st);
}

const struct cg_probe_kind cg_probe_redis = {"redis://", redis_init,
					     redis_attempt, redis_release};
const struct cg_probe_kind cg_probe_rediss = {"rediss://", redis_init,
					      redis_attempt, redis_release};
