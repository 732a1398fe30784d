/*
 * The Redis limiter: a connection made lazily, rebuilt after any I/O error
 * or timeout, and one Lua script per decision (scripts.h). The connection
 * is core/net.h's (plain text, or TLS for rediss://), with hiredis
 * formatting the commands (redisFormatCommandArgv) and parsing the replies
 * (redisReader): Debian's hiredis 0.14 has no TLS, and our own I/O bounds
 * each command by one deadline and never raises SIGPIPE. Scripts run by
 * EVALSHA; the SHA1 of each comes from SCRIPT LOAD the first time it is needed,
 * and a NOSCRIPT answer (the server was restarted or SCRIPT FLUSHed) falls back
 * to EVAL, which caches it again.
 *
 * Every decision (expire, count, admit) is taken inside one script, so two
 * clients can never both see "one slot left": Redis runs scripts one at a
 * time. The client's clock is never used for deadlines. The hot path is
 * cut to what Redis must do: cg_limiter_acquire runs a short script that
 * only looks further (the full one) when waiters are queued or the token
 * holds already, and a release with nobody waiting runs no script at all
 * (release_plain): a script's EVALSHA costs Redis several times the
 * commands it makes.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <hiredis/hiredis.h>

#include "ciguard/limiter.h"
#include "core/core.h"
#include "core/net.h"
#include "core/url.h"
#include "limiter/scripts.h"
#include "core/banned.h"

#define DEFAULT_URL "redis://127.0.0.1:6379/0"
#define DEFAULT_TIMEOUT_MS 1000
#define MAX_KEY_LEN 512

enum script_id {
	S_ACQUIRE,
	S_RELEASE,
	S_REFRESH,
	S_COUNT,
	S_HOLDERS,
	S_DEQUEUE,
	S_WAITERS,
	S_ACQUIRE_FAST,
	S_WAKE,
	S_N
};

static const char *const scripts[S_N] = {
    script_acquire, script_release,	 script_refresh,
    script_count,   script_holders,	 script_dequeue,
    script_waiters, script_acquire_fast, script_wake,
};

/*
 * A waiter's lease: dropped from the queue when it has not retried for
 * this long; it retries (renewing it) at least every WAIT_LEASE_MS / 2.
 */
#define WAIT_LEASE_MS 2000

/* A connection to one Redis node and the reader of its replies. */
struct link {
	struct cg_conn *conn; /* NULL when not connected */
	redisReader *reader;
};

struct cg_limiter {
	struct link link;
	struct cg_tls *tls; /* rediss://; NULL: plain text */
	char *host;
	int port;
	/* Redis Cluster: the node the last MOVED named (NULL: the URL's);
	 * `where` names the node connected to in messages */
	char *node_host;
	int node_port;
	char where[320];
	long conn_timeout_ms;  /* the timeout of the next command */
	bool timed_out;	       /* the last I/O failure was a timeout */
	char *user, *password; /* NULL when absent */
	long db;
	char *display; /* the URL without the password */
	long ttl_ms, connect_timeout_ms, command_timeout_ms;
	bool fail_open;
	char sha[S_N][41]; /* "" until SCRIPT LOAD answered */
	char error[512];
};

/* What a failed command means for the caller. */
enum outcome {
	OUT_REPLY,	 /* a reply that is not an error */
	OUT_UNAVAILABLE, /* I/O error, timeout, LOADING...: fail policy */
	OUT_ERROR,	 /* an error reply or a bad answer */
};

static const char *const status_names[] = {
    [CG_LIMIT_OK] = "ok",
    [CG_LIMIT_ACQUIRED] = "acquired",
    [CG_LIMIT_FULL] = "full",
    [CG_LIMIT_ACQUIRED_FAIL_OPEN] = "acquired-fail-open",
    [CG_LIMIT_DENIED_FAIL_CLOSED] = "denied-fail-closed",
    [CG_LIMIT_RELEASED] = "released",
    [CG_LIMIT_REFRESHED] = "refreshed",
    [CG_LIMIT_LOST] = "lost",
    [CG_LIMIT_NOT_HELD] = "not-held",
    [CG_LIMIT_ERROR] = "error",
};

const char *cg_limit_status_name(enum cg_limit_status s)
{
	if ((unsigned)s < sizeof(status_names) / sizeof(*status_names))
		return status_names[s];
	return "unknown";
}

static void set_error(struct cg_limiter *l, const char *fmt, ...)
    CG_PRINTF(2, 3);
static void set_error(struct cg_limiter *l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(l->error, sizeof(l->error), fmt, ap);
	va_end(ap);
}

/* ---- tokens ---- */

static int random_id(char *out)
{
	unsigned char bytes[CG_LIMIT_TOKEN_HEX / 2];
	size_t got = 0;

	while (got < sizeof(bytes)) {
		ssize_t n = getrandom(bytes + got, sizeof(bytes) - got, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		got += (size_t)n;
	}
	for (size_t i = 0; i < sizeof(bytes); i++)
		snprintf(out + 2 * i, 3, "%02x", bytes[i]);
	return 0;
}

void cg_limit_token_format(const struct cg_limit_token *tok, char *out)
{
	snprintf(out, CG_LIMIT_TOKEN_MAX + 1, "%s%s",
		 tok->fail_open ? "open-" : "", tok->id);
}

int cg_limit_token_parse(struct cg_limit_token *out, const char *text)
{
	memset(out, 0, sizeof(*out));
	if (!strncmp(text, "open-", 5)) {
		out->fail_open = true;
		text += 5;
	}
	if (strlen(text) != CG_LIMIT_TOKEN_HEX)
		return -1;
	for (size_t i = 0; i < CG_LIMIT_TOKEN_HEX; i++) {
		if (cg_hex_value(text[i]) < 0)
			return -1;
		out->id[i] = (char)(text[i] >= 'A' && text[i] <= 'F'
					? text[i] - 'A' + 'a'
					: text[i]);
	}
	return 0;
}

/* ---- options ---- */

static void disconnect(struct cg_limiter *l);

/* The URL's parts into l (the strings change hands); 0 or -1. */
static int parse_url(struct cg_limiter *l, const char *url, const char *ca_file,
		     char *err, size_t errlen)
{
	struct cg_redis_url r;
	char why[200];

	if (cg_redis_url_parse(&r, url, why, sizeof(why)) < 0) {
		/* the reasons never hold the password */
		snprintf(err, errlen,
			 "bad redis URL "
			 "(redis[s]://[USER:PASS@]HOST[:PORT][/DB]): %s",
			 why);
		return -1;
	}
	if (r.tls) {
		/* the URL's own CA, else the option, else the environment */
		const char *env = getenv(CG_REDIS_CACERT_ENV);
		struct cg_tls_options to = {
		    .ca_file = r.ca_file	     ? r.ca_file
			       : ca_file && *ca_file ? ca_file
			       : env && *env	     ? env
						     : NULL,
		    .no_verify = r.no_verify,
		};

		if (!(l->tls = cg_tls_new(&to, why, sizeof(why)))) {
			snprintf(err, errlen, "%s", why);
			cg_redis_url_release(&r);
			return -1;
		}
	}
	l->host = r.url.host;
	l->port = r.url.port;
	l->db = r.db;
	/* an empty user or password is an absent one */
	if (r.url.user && *r.url.user)
		l->user = r.url.user;
	else
		free(r.url.user);
	if (r.url.password && *r.url.password)
		l->password = r.url.password;
	else
		free(r.url.password);
	l->display = cg_xasprintf(
	    "%s://%s%s%s%s%s%s:%d/%ld", r.tls ? "rediss" : "redis",
	    l->user ? l->user : "", l->password ? ":***" : "",
	    l->user || l->password ? "@" : "", strchr(l->host, ':') ? "[" : "",
	    l->host, strchr(l->host, ':') ? "]" : "", l->port, l->db);
	free(r.url.scheme);
	free(r.url.path);
	free(r.url.query);
	free(r.ca_file);
	return 0;
}

struct cg_limiter *cg_limiter_open(const struct cg_limiter_options *opt,
				   char *err, size_t errlen)
{
	struct cg_limiter *l;
	const char *url = opt->redis_url;

	if (opt->ttl_ms <= 0) {
		snprintf(err, errlen, "ttl must be more than 0 ms, not %ld",
			 opt->ttl_ms);
		return NULL;
	}
	if (opt->connect_timeout_ms < 0 || opt->command_timeout_ms < 0) {
		snprintf(err, errlen, "timeouts must not be negative");
		return NULL;
	}
	if (!url || !*url)
		url = getenv("REDIS_URL");
	if (!url || !*url)
		url = DEFAULT_URL;
	l = cg_xcalloc(1, sizeof(*l));
	if (parse_url(l, url, opt->ca_file, err, errlen) < 0) {
		cg_limiter_close(l);
		return NULL;
	}
	l->ttl_ms = opt->ttl_ms;
	l->connect_timeout_ms = opt->connect_timeout_ms
				    ? opt->connect_timeout_ms
				    : DEFAULT_TIMEOUT_MS;
	l->command_timeout_ms = opt->command_timeout_ms
				    ? opt->command_timeout_ms
				    : DEFAULT_TIMEOUT_MS;
	l->fail_open = opt->fail_open;
	return l;
}

void cg_limiter_close(struct cg_limiter *l)
{
	if (!l)
		return;
	disconnect(l);
	cg_tls_free(l->tls);
	free(l->host);
	free(l->user);
	if (l->password) {
		memset(l->password, 0, strlen(l->password));
		free(l->password);
	}
	free(l->display);
	free(l->node_host);
	free(l);
}

const char *cg_limiter_last_error(const struct cg_limiter *l)
{
	return l->error;
}

/* ---- the connection ---- */

/* The URL (no password) or, after a redirect, the cluster node. */
static const char *where(const struct cg_limiter *l)
{
	return l->node_host ? l->where : l->display;
}

static void disconnect(struct cg_limiter *l)
{
	cg_conn_close(l->link.conn);
	if (l->link.reader)
		redisReaderFree(l->link.reader);
	l->link.conn = NULL;
	l->link.reader = NULL;
}

/* Error replies a server grows out of: treated like an outage. */
static bool transient(const char *err)
{
	static const char *const words[] = {"LOADING", "BUSY", "MASTERDOWN",
					    "CLUSTERDOWN"};

	for (size_t i = 0; i < sizeof(words) / sizeof(*words); i++)
		if (cg_starts_with(err, words[i]))
			return true;
	return false;
}

/*
 * After the connection failed (`code`: 0 the server closed it, or a
 * CG_NET_* code; `why` the reason): drop it, say why. A TLS failure (the
 * server wants a client certificate) is an error of the setup, not an
 * outage.
 */
static enum outcome io_failure(struct cg_limiter *l, const char *what,
			       long code, const char *why)
{
	const char *hint = cg_conn_plain_hint(l->link.conn, code >= -1);

	l->timed_out = code == CG_NET_TIMEOUT;
	if (code == 0)
		why = "the server closed the connection";
	set_error(l, "%s on %s: %s%s", what, where(l), why, hint);
	disconnect(l);
	return code == CG_NET_TLS ? OUT_ERROR : OUT_UNAVAILABLE;
}

/*
 * Send n commands (argc[i], argv[i]) in one write and read their n replies
 * within the connection's timeout. When all n came, out[0..n-1] are they
 * (the caller frees them) and the outcome is OUT_REPLY, or, for the first
 * error reply among them, OUT_ERROR with its text as the error
 * (OUT_UNAVAILABLE, the connection dropped, for errors a server grows out
 * of). After an I/O error or a timeout out[] is all NULL.
 */
static enum outcome commands(struct cg_limiter *l, int n, const int *argc,
			     const char *const *const *argv, redisReply **out)
{
	long deadline = cg_now_ms() + l->conn_timeout_ms;
	char *cmd = NULL, buf[16384], why[400];
	struct cg_buf all;
	enum outcome o = OUT_REPLY;
	int got = 0;
	long k;

	/* one command is sent as hiredis formatted it; several are joined
	 * first, so that they leave in one write */
	cg_buf_init(&all, 0);
	for (int i = 0; i < n; i++) {
		out[i] = NULL;
		k = redisFormatCommandArgv(&cmd, argc[i],
					   (const char **)argv[i], NULL);
		if (k < 0 || !cmd) {
			set_error(l, "%s: out of memory", argv[i][0]);
			cg_buf_release(&all);
			return OUT_ERROR;
		}
		if (n == 1)
			break;
		cg_buf_add(&all, cmd, (size_t)k);
		redisFreeCommand(cmd);
		cmd = NULL;
	}
	if (n == 1)
		k = cg_conn_write(l->link.conn, cmd, (size_t)k, deadline, why,
				  sizeof(why));
	else
		k = cg_conn_write(l->link.conn, all.buf, all.len, deadline, why,
				  sizeof(why));
	redisFreeCommand(cmd);
	cg_buf_release(&all);
	if (k < 0)
		return io_failure(l, argv[0][0], k, why);
	while (got < n) {
		void *reply = NULL;

		if (redisReaderGetReply(l->link.reader, &reply) != REDIS_OK) {
			snprintf(why, sizeof(why), "not a Redis reply: %s",
				 l->link.reader->errstr);
			o = io_failure(l, argv[got][0], CG_NET_ERROR, why);
			goto fail;
		}
		if (reply) {
			out[got++] = reply;
			continue;
		}
		k = cg_conn_read_answer(l->link.conn, buf, sizeof(buf),
					deadline, why, sizeof(why));
		if (k <= 0) {
			o = io_failure(l, argv[got][0], k, why);
			goto fail;
		}
		if (redisReaderFeed(l->link.reader, buf, (size_t)k) !=
		    REDIS_OK) {
			snprintf(why, sizeof(why), "not a Redis reply: %s",
				 l->link.reader->errstr);
			o = io_failure(l, argv[got][0], CG_NET_ERROR, why);
			goto fail;
		}
	}
	for (int i = 0; i < n; i++) {
		redisReply *r = out[i];

		if (r->type != REDIS_REPLY_ERROR)
			continue;
		set_error(l, "%s on %s: %s", argv[i][0], where(l), r->str);
		if (transient(r->str)) {
			disconnect(l);
			return OUT_UNAVAILABLE;
		}
		return OUT_ERROR;
	}
	return OUT_REPLY;
fail:
	for (int i = 0; i < got; i++) {
		freeReplyObject(out[i]);
		out[i] = NULL;
	}
	return o;
}

/*
 * Run argv within the connection's timeout; on OUT_REPLY *out is the reply
 * (the caller frees it). Error replies become OUT_ERROR or OUT_UNAVAILABLE
 * with the text kept.
 */
static enum outcome command(struct cg_limiter *l, int argc, const char **argv,
			    redisReply **out)
{
	const char *const *argvs[1] = {argv};

	return commands(l, 1, &argc, argvs, out);
}

static enum outcome connect_redis(struct cg_limiter *l)
{
	redisReply *r = NULL;
	enum outcome o = OUT_REPLY;
	char why[400];
	int rc;

	if (l->link.conn)
		return OUT_REPLY;
	rc =
	    cg_conn_open(&l->link.conn, l->node_host ? l->node_host : l->host,
			 l->node_host ? l->node_port : l->port, l->tls,
			 cg_now_ms() + l->connect_timeout_ms, why, sizeof(why));
	if (rc < 0) {
		set_error(l, "cannot connect to %s: %s", where(l), why);
		/* a certificate that does not verify is no outage: the
		 * failure policy does not apply */
		return rc == CG_NET_TLS ? OUT_ERROR : OUT_UNAVAILABLE;
	}
	if (!(l->link.reader = redisReaderCreate())) {
		set_error(l, "cannot connect to %s: out of memory", where(l));
		disconnect(l);
		return OUT_UNAVAILABLE;
	}
	l->conn_timeout_ms = l->command_timeout_ms;
	if (l->password) {
		const char *argv[3] = {"AUTH"};
		int argc = 1;

		if (l->user)
			argv[argc++] = l->user;
		argv[argc++] = l->password;
		o = command(l, argc, argv, &r);
		freeReplyObject(r);
		r = NULL;
		if (o != OUT_REPLY)
			goto out;
	}
	if (l->db) {
		char db[32];
		const char *argv[2] = {"SELECT", db};

		snprintf(db, sizeof(db), "%ld", l->db);
		o = command(l, 2, argv, &r);
		freeReplyObject(r);
		r = NULL;
	}
out:
	if (o != OUT_REPLY)
		disconnect(l);
	return o;
}

/* Point the connection at a cluster node (host NULL: the URL's own). */
static void set_node(struct cg_limiter *l, const char *host, int port)
{
	disconnect(l);
	free(l->node_host);
	l->node_host = NULL;
	if (!host)
		return;
	l->node_host = cg_xstrdup(host);
	l->node_port = port;
	snprintf(l->where, sizeof(l->where), "%s%s%s:%d (cluster node of %s)",
		 strchr(host, ':') ? "[" : "", host,
		 strchr(host, ':') ? "]" : "", port, l->display);
}

/*
 * A Redis Cluster redirect, "MOVED <slot> <endpoint>:<port>" or "ASK ...":
 * 1 MOVED, 2 ASK (host and port filled in; host is malloc'd), 0 when it is
 * neither or malformed. An empty or "?" endpoint means "the host this
 * request went to, with that port".
 */
static int redirect_of(const struct cg_limiter *l, const char *err, char **host,
		       int *port)
{
	int kind;
	const char *p, *colon;
	char *end;
	long n;

	if (cg_starts_with(err, "MOVED "))
		kind = 1, p = err + 6;
	else if (cg_starts_with(err, "ASK "))
		kind = 2, p = err + 4;
	else
		return 0;
	p = strchr(p, ' ');
	if (!p)
		return 0;
	p++;
	colon = strrchr(p, ':');
	if (!colon)
		return 0;
	errno = 0;
	n = strtol(colon + 1, &end, 10);
	if (errno || end == colon + 1 || (*end && *end != ' ') || n < 1 ||
	    n > 65535)
		return 0;
	*port = (int)n;
	if (colon == p || (colon == p + 1 && *p == '?'))
		*host = cg_xstrdup(l->node_host ? l->node_host : l->host);
	else if (*p == '[' && colon[-1] == ']')
		*host = cg_xstrndup(p + 1, (size_t)(colon - p - 2));
	else
		*host = cg_xstrndup(p, (size_t)(colon - p));
	return kind;
}

#define MAX_REDIRECTS 5

/* How far home_command got. */
enum sent {
	NOT_SENT,    /* connecting failed */
	SENT_FRESH,  /* on a connection made for it */
	SENT_REUSED, /* on a connection made earlier */
};

/* argv on the limiter's connection (made first when there is none) within
 * ms. */
static enum outcome home_command(struct cg_limiter *l, int argc,
				 const char **argv, long ms, redisReply **out,
				 enum sent *sent)
{
	enum outcome o;
	bool reused = l->link.conn != NULL;

	*sent = NOT_SENT;
	if ((o = connect_redis(l)) != OUT_REPLY)
		return o;
	l->conn_timeout_ms = ms;
	*sent = reused ? SENT_REUSED : SENT_FRESH;
	return command(l, argc, argv, out);
}

/*
 * ASK: the slot is being migrated to host:port and the key is not here
 * (any more): send ASKING and then argv there, on a connection of its own
 * that is closed afterwards; the limiter's own connection stays as it is.
 */
static enum outcome ask_trip(struct cg_limiter *l, char *host, int port,
			     int argc, const char **argv, long ms,
			     redisReply **out)
{
	struct link home = l->link;
	char *home_host = l->node_host;
	int home_port = l->node_port;
	char home_where[sizeof(l->where)];
	const char *asking[1] = {"ASKING"};
	enum outcome o;
	enum sent sent;

	memcpy(home_where, l->where, sizeof(home_where));
	memset(&l->link, 0, sizeof(l->link));
	l->node_host = NULL;
	set_node(l, host, port);
	o = home_command(l, 1, asking, ms, out, &sent);
	freeReplyObject(*out);
	*out = NULL;
	if (o == OUT_REPLY)
		o = command(l, argc, argv, out);
	disconnect(l);
	free(l->node_host);
	l->link = home;
	l->node_host = home_host;
	l->node_port = home_port;
	memcpy(l->where, home_where, sizeof(l->where));
	return o;
}

/*
 * command() on the limiter's connection, the way every command goes:
 * connecting first, with a socket timeout of timeout_ms (0: the command
 * timeout), and following the Redis Cluster redirects a command on keys
 * may get. MOVED repoints the limiter at the named node
 * (the slot lives there now); ASK sends this one command there (ask_trip).
 * More than MAX_REDIRECTS redirects is an outage (the cluster is being
 * reconfigured). When the node a MOVED named fails, the limiter goes back
 * to the URL's node, which names the slot's new master after a failover.
 * A command that fails on a connection made earlier, other than by a
 * timeout, is sent once more on a new one. TRYAGAIN (a multi-key command while
 * its slot migrates) is retried with short pauses for up to the command
 * timeout, then is an outage too.
 */
static enum outcome routed_command(struct cg_limiter *l, int argc,
				   const char **argv, long timeout_ms,
				   redisReply **out)
{
	long start = cg_now_ms(), pause = 10;
	char *ask = NULL;
	int ask_port = 0, hops = 0;
	bool retried = false;

	if (!timeout_ms)
		timeout_ms = l->command_timeout_ms;
	for (;;) {
		char *host = NULL;
		int port = 0, kind;
		enum outcome o;

		*out = NULL;
		if (ask) {
			o = ask_trip(l, ask, ask_port, argc, argv, timeout_ms,
				     out);
			free(ask);
			ask = NULL;
		} else {
			enum sent sent;
			bool redirected = l->node_host != NULL;

			l->timed_out = false;
			o = home_command(l, argc, argv, timeout_ms, out, &sent);
			/* a node a MOVED named that fails may be gone for
			 * good (a failover): go back to the URL's node,
			 * which knows the slot's new master */
			if (o == OUT_UNAVAILABLE && redirected)
				set_node(l, NULL, 0);
			/* once more on a new connection when the old one
			 * turned out dead (the server restarted or failed
			 * over) or the redirect target did not answer; not
			 * after a timeout, which would double the wait.
			 * Every script is safe to run twice. */
			if (o == OUT_UNAVAILABLE && !retried && !*out &&
			    !l->timed_out &&
			    (sent == SENT_REUSED ||
			     (redirected && sent == NOT_SENT))) {
				retried = true;
				continue;
			}
		}
		/* no reply with an error: AUTH or SELECT failed */
		if (o != OUT_ERROR || !*out)
			return o;
		if (cg_starts_with((*out)->str, "TRYAGAIN")) {
			long left = start + l->command_timeout_ms - cg_now_ms();

			if (left <= 0)
				return OUT_UNAVAILABLE;
			freeReplyObject(*out);
			cg_sleep_ms(pause < left ? pause : left);
			pause = pause * 2 > 100 ? 100 : pause * 2;
			hops = 0; /* a fresh try, from the home node */
			continue;
		}
		kind = redirect_of(l, (*out)->str, &host, &port);
		if (!kind)
			return o;
		freeReplyObject(*out);
		*out = NULL;
		if (++hops > MAX_REDIRECTS) {
			free(host);
			set_error(l, "%s on %s: more than %d cluster redirects",
				  argv[0], where(l), MAX_REDIRECTS);
			return OUT_UNAVAILABLE;
		}
		if (kind == 1) {
			set_node(l, host, port);
			free(host);
		} else {
			ask = host;
			ask_port = port;
		}
	}
}

/*
 * EVALSHA script `id` with numkeys keys then args (argc in all after
 * "EVALSHA sha numkeys"), loading it first when needed and falling back to
 * EVAL on NOSCRIPT.
 */
static enum outcome run_script(struct cg_limiter *l, enum script_id id,
			       int nkeys, int nargs, const char **keys_args,
			       redisReply **out)
{
	const char *argv[16];
	char numkeys[8];
	enum outcome o;
	redisReply *r = NULL;

	*out = NULL;
	if (!l->sha[id][0]) {
		const char *load[3] = {"SCRIPT", "LOAD", scripts[id]};

		o = routed_command(l, 3, load, 0, &r);
		if (o == OUT_REPLY && r->type == REDIS_REPLY_STRING &&
		    r->len == 40)
			memcpy(l->sha[id], r->str, 41);
		freeReplyObject(r);
		r = NULL;
		if (o == OUT_UNAVAILABLE)
			return o;
		/* without a SHA, EVAL below does the job */
	}
	snprintf(numkeys, sizeof(numkeys), "%d", nkeys);
	argv[1] = l->sha[id];
	argv[2] = numkeys;
	for (int i = 0; i < nkeys + nargs; i++)
		argv[3 + i] = keys_args[i];
	if (l->sha[id][0]) {
		argv[0] = "EVALSHA";
		o = routed_command(l, 3 + nkeys + nargs, argv, 0, &r);
		if (o != OUT_ERROR || strncmp(r->str, "NOSCRIPT", 8) != 0) {
			*out = r;
			return o;
		}
		freeReplyObject(r);
		r = NULL;
	}
	argv[0] = "EVAL";
	argv[1] = scripts[id];
	o = routed_command(l, 3 + nkeys + nargs, argv, 0, &r);
	*out = r;
	return o;
}

/* ---- operations ---- */

struct keys {
	char holders[MAX_KEY_LEN + 32];
	char fences[MAX_KEY_LEN + 32];
	char fence[MAX_KEY_LEN + 32];
	char queue[MAX_KEY_LEN + 32];
	char leases[MAX_KEY_LEN + 32];
	char ticket[MAX_KEY_LEN + 32];
	char wake_prefix[MAX_KEY_LEN + 32];
};

static int make_keys(struct cg_limiter *l, const char *key, struct keys *k)
{
	if (!key || !*key || strlen(key) > MAX_KEY_LEN || strpbrk(key, "{}")) {
		set_error(l,
			  "a limiter key is 1 to %d characters without "
			  "'{' or '}'",
			  MAX_KEY_LEN);
		return -1;
	}
	snprintf(k->holders, sizeof(k->holders), "ciguard:{%s}:holders", key);
	snprintf(k->fences, sizeof(k->fences), "ciguard:{%s}:fences", key);
	snprintf(k->fence, sizeof(k->fence), "ciguard:{%s}:fence", key);
	snprintf(k->queue, sizeof(k->queue), "ciguard:{%s}:queue", key);
	snprintf(k->leases, sizeof(k->leases), "ciguard:{%s}:leases", key);
	snprintf(k->ticket, sizeof(k->ticket), "ciguard:{%s}:ticket", key);
	snprintf(k->wake_prefix, sizeof(k->wake_prefix),
		 "ciguard:{%s}:wake:", key);
	return 0;
}

static enum cg_limit_status unavailable_acquire(struct cg_limiter *l,
						struct cg_limit_token *tok)
{
	if (!l->fail_open)
		return CG_LIMIT_DENIED_FAIL_CLOSED;
	tok->fail_open = true;
	tok->fence = 0;
	return CG_LIMIT_ACQUIRED_FAIL_OPEN;
}

/*
 * One run of the acquire script; lease_ms > 0 queues the token when full
 * (its queue position in *out_position, 1 = head).
 */
static enum cg_limit_status acquire_step(struct cg_limiter *l, const char *key,
					 int max_slots, long lease_ms,
					 struct cg_limit_token *tok,
					 long *out_position)
{
	struct keys k;
	char max[16], ttl[32], lease[32];
	const char *ka[11];
	redisReply *r = NULL;
	enum outcome o;
	enum cg_limit_status st = CG_LIMIT_ERROR;

	l->error[0] = '\0';
	tok->fail_open = false;
	tok->fence = 0;
	if (make_keys(l, key, &k) < 0)
		return CG_LIMIT_ERROR;
	if (max_slots < 1) {
		set_error(l, "max slots must be at least 1, not %d", max_slots);
		return CG_LIMIT_ERROR;
	}
	if (!tok->id[0] && random_id(tok->id) < 0) {
		set_error(l, "getrandom: %s", strerror(errno));
		return CG_LIMIT_ERROR;
	}
	snprintf(max, sizeof(max), "%d", max_slots);
	snprintf(ttl, sizeof(ttl), "%ld", l->ttl_ms);
	snprintf(lease, sizeof(lease), "%ld", lease_ms);
	ka[0] = k.holders;
	ka[1] = k.fences;
	ka[2] = k.fence;
	ka[3] = k.queue;
	ka[4] = k.leases;
	ka[5] = k.ticket;
	ka[6] = tok->id;
	ka[7] = max;
	ka[8] = ttl;
	ka[9] = lease;
	ka[10] = k.wake_prefix;
	*out_position = 0;
	if (lease_ms <= 0) {
		/* keys holders, fences, fence, queue; args token, max, ttl */
		const char *fast[7] = {k.holders, k.fences, k.fence, k.queue,
				       tok->id,	  max,	    ttl};

		o = run_script(l, S_ACQUIRE_FAST, 4, 3, fast, &r);
		if (o != OUT_REPLY)
			goto answer;
		/* one integer: the fence, 0 full, or -1 */
		if (r->type == REDIS_REPLY_INTEGER && r->integer >= 0) {
			if (r->integer > 0) {
				tok->fence = (uint64_t)r->integer;
				st = CG_LIMIT_ACQUIRED;
			} else {
				st = CG_LIMIT_FULL;
			}
			goto out;
		}
		if (r->type != REDIS_REPLY_INTEGER) {
			set_error(l, "unexpected answer to the acquire script");
			goto out;
		}
		/* queued waiters, or a retry: the full script decides */
		freeReplyObject(r);
		r = NULL;
	}
	o = run_script(l, S_ACQUIRE, 6, 5, ka, &r);
answer:
	if (o == OUT_UNAVAILABLE) {
		st = unavailable_acquire(l, tok);
		goto out;
	}
	if (o == OUT_ERROR)
		goto out;
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[0]->type != REDIS_REPLY_INTEGER ||
	    r->element[1]->type != REDIS_REPLY_INTEGER) {
		set_error(l, "unexpected answer to the acquire script");
		goto out;
	}
	if (r->element[0]->integer == 1) {
		tok->fence = (uint64_t)r->element[1]->integer;
		st = CG_LIMIT_ACQUIRED;
	} else {
		*out_position = (long)r->element[1]->integer;
		st = CG_LIMIT_FULL;
	}
out:
	freeReplyObject(r);
	return st;
}

enum cg_limit_status cg_limiter_acquire_token(struct cg_limiter *l,
					      const char *key, int max_slots,
					      struct cg_limit_token *tok)
{
	long position;

	return acquire_step(l, key, max_slots, 0, tok, &position);
}

/*
 * Block on the waiter's wake-up list for up to ms: 0 woken or timed out,
 * -1 on an I/O error (the connection is dropped), -2 on an error reply
 * (error set). The connection's timeout is raised above the BLPOP's for
 * the call.
 */
static int wait_for_wake(struct cg_limiter *l, const struct keys *k,
			 const char *token, long ms)
{
	char list[sizeof(k->wake_prefix) + CG_LIMIT_TOKEN_HEX + 1];
	char seconds[32];
	const char *argv[3] = {"BLPOP", list, seconds};
	redisReply *r = NULL;
	enum outcome o;

	snprintf(list, sizeof(list), "%s%s", k->wake_prefix, token);
	snprintf(seconds, sizeof(seconds), "%ld.%03ld", ms / 1000, ms % 1000);
	o = routed_command(l, 3, argv, ms + l->command_timeout_ms, &r);
	freeReplyObject(r);
	if (o == OUT_UNAVAILABLE)
		return -1;
	return o == OUT_ERROR ? -2 : 0;
}

static void dequeue(struct cg_limiter *l, const struct keys *k,
		    const char *token)
{
	const char *ka[4] = {k->queue, k->leases, token, k->wake_prefix};
	redisReply *r = NULL;

	run_script(l, S_DEQUEUE, 2, 2, ka, &r);
	freeReplyObject(r);
}

enum cg_limit_status cg_limiter_acquire_wait(struct cg_limiter *l,
					     const char *key, int max_slots,
					     long wait_ms,
					     struct cg_limit_token *out_token)
{
	long deadline = cg_now_ms() + (wait_ms > 0 ? wait_ms : 0);
	enum cg_limit_status st;
	struct keys k;
	long position;

	memset(out_token, 0, sizeof(*out_token));
	if (wait_ms <= 0)
		return acquire_step(l, key, max_slots, 0, out_token, &position);
	for (;;) {
		long left = deadline - cg_now_ms();
		long nap = WAIT_LEASE_MS / 2;

		st = acquire_step(l, key, max_slots, WAIT_LEASE_MS, out_token,
				  &position);
		if (st != CG_LIMIT_FULL)
			return st;
		if (left <= 0)
			break;
		if (nap > left)
			nap = left;
		make_keys(l, key, &k);
		/* after an outage (-1) the next acquire_step applies the
		 * failure policy */
		if (wait_for_wake(l, &k, out_token->id, nap) == -2) {
			dequeue(l, &k, out_token->id);
			return CG_LIMIT_ERROR;
		}
	}
	make_keys(l, key, &k);
	dequeue(l, &k, out_token->id);
	l->error[0] = '\0';
	return CG_LIMIT_FULL;
}

enum cg_limit_status cg_limiter_acquire(struct cg_limiter *l, const char *key,
					int max_slots,
					struct cg_limit_token *out)
{
	memset(out, 0, sizeof(*out));
	return cg_limiter_acquire_token(l, key, max_slots, out);
}

/* release / refresh: 1 or 0 from the script, or -1 (error set). */
static int run_boolean(struct cg_limiter *l, enum script_id id, const char *key,
		       const struct cg_limit_token *tok)
{
	struct keys k;
	char ttl[32];
	const char *ka[6];
	redisReply *r = NULL;
	enum outcome o;
	int ret = -1;

	if (make_keys(l, key, &k) < 0)
		return -1;
	snprintf(ttl, sizeof(ttl), "%ld", l->ttl_ms);
	ka[0] = k.holders;
	ka[1] = k.fences;
	if (id == S_REFRESH) {
		ka[2] = tok->id;
		ka[3] = ttl;
		o = run_script(l, id, 2, 2, ka, &r);
	} else {
		ka[2] = k.queue;
		ka[3] = k.leases;
		ka[4] = tok->id;
		ka[5] = k.wake_prefix;
		o = run_script(l, id, 4, 2, ka, &r);
	}
	if (o != OUT_REPLY)
		goto out;
	if (r->type != REDIS_REPLY_INTEGER) {
		set_error(l, "unexpected answer to a limiter script");
		goto out;
	}
	ret = r->integer == 1;
out:
	freeReplyObject(r);
	return ret;
}

/* A reply that is an integer: its value, else -1. */
static long long integer_of(const redisReply *r)
{
	return r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
}

/*
 * Redis TIME's reply in ms, or -1 when it is not one. Scores are deadlines
 * in these ms, as the scripts make them.
 */
static long long time_ms(const redisReply *r)
{
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[0]->type != REDIS_REPLY_STRING ||
	    r->element[1]->type != REDIS_REPLY_STRING)
		return -1;
	return strtoll(r->element[0]->str, NULL, 10) * 1000 +
	       strtoll(r->element[1]->str, NULL, 10) / 1000;
}

/*
 * The release without a script, on the connection the limiter has: TIME,
 * ZSCORE, ZREM and HDEL of the token and EXISTS of the queue, in one
 * write and one round trip, for about a tenth of the Redis time of a
 * script. None of it needs to be atomic: only the holder itself changes
 * its deadline, so "the score was after TIME and ZREM removed it" means
 * that a live holder was released (a sweep that got in between makes ZREM
 * answer 0: not held), and the one thing that needs a script, waking the
 * head waiter, follows only when the queue exists (script_wake). A waiter
 * that queued after the EXISTS ran its acquire after the ZREM and saw the
 * free slot itself.
 *
 * 1 released, 0 not held, -1 an outage or a timeout (error set; the
 * script is not tried: the wait would double), -2 when the script must do
 * it: no connection yet, an error reply (a Cluster redirect, TRYAGAIN) or
 * an I/O error on the connection, which the script's way retries on a new
 * one. *out_removed says that ZREM removed a live holder before such a
 * fallback.
 */
static int release_plain(struct cg_limiter *l, const struct keys *k,
			 const char *token, bool *out_removed)
{
	const char *time_argv[] = {"TIME"};
	const char *zscore[] = {"ZSCORE", k->holders, token};
	const char *zrem[] = {"ZREM", k->holders, token};
	const char *hdel[] = {"HDEL", k->fences, token};
	const char *exists[] = {"EXISTS", k->queue};
	const char *const *argv[5] = {time_argv, zscore, zrem, hdel, exists};
	const int argc[5] = {1, 3, 3, 3, 2};
	redisReply *r[5] = {NULL};
	enum outcome o;
	long long now;
	int ret = -2;

	*out_removed = false;
	if (!l->link.conn)
		return -2;
	l->conn_timeout_ms = l->command_timeout_ms;
	l->timed_out = false;
	o = commands(l, 5, argc, argv, r);
	if (!r[0])
		return o == OUT_UNAVAILABLE && l->timed_out ? -1 : -2;
	now = time_ms(r[0]);
	*out_removed = integer_of(r[2]) == 1 && now >= 0 &&
		       r[1]->type == REDIS_REPLY_STRING &&
		       strtod(r[1]->str, NULL) > (double)now;
	if (o != OUT_REPLY)
		goto out;
	if (now < 0 || (r[1]->type != REDIS_REPLY_STRING &&
			r[1]->type != REDIS_REPLY_NIL)) {
		set_error(l, "unexpected answer to a release");
		ret = -1;
		goto out;
	}
	ret = *out_removed;
	if (integer_of(r[2]) == 1 && integer_of(r[4]) == 1) {
		const char *ka[3] = {k->queue, k->leases, k->wake_prefix};
		redisReply *w = NULL;

		/* the release is done: a failed wake-up only leaves the
		 * head to its next retry, within WAIT_LEASE_MS / 2 */
		run_script(l, S_WAKE, 2, 1, ka, &w);
		freeReplyObject(w);
		l->error[0] = '\0';
	}
out:
	for (int i = 0; i < 5; i++)
		freeReplyObject(r[i]);
	return ret;
}

enum cg_limit_status cg_limiter_release(struct cg_limiter *l, const char *key,
					const struct cg_limit_token *tok)
{
	struct keys k;
	bool removed;
	int r;

	l->error[0] = '\0';
	if (tok->fail_open)
		return CG_LIMIT_RELEASED;
	if (make_keys(l, key, &k) < 0)
		return CG_LIMIT_ERROR;
	r = release_plain(l, &k, tok->id, &removed);
	if (r == -2) {
		l->error[0] = '\0';
		r = run_boolean(l, S_RELEASE, key, tok);
		/* a ZREM that got through before the error released it */
		if (r == 0 && removed)
			r = 1;
	}
	return r < 0 ? CG_LIMIT_ERROR
	       : r   ? CG_LIMIT_RELEASED
		     : CG_LIMIT_NOT_HELD;
}

enum cg_limit_status cg_limiter_refresh(struct cg_limiter *l, const char *key,
					const struct cg_limit_token *tok)
{
	int r;

	l->error[0] = '\0';
	if (tok->fail_open)
		return CG_LIMIT_REFRESHED;
	r = run_boolean(l, S_REFRESH, key, tok);
	return r < 0 ? CG_LIMIT_ERROR : r ? CG_LIMIT_REFRESHED : CG_LIMIT_LOST;
}

/*
 * Run read-only script `script` on KEY's keys at offsets `first` and
 * `second` of struct keys (`second` 0: one key only; `holders`, at offset
 * 0, is only ever first) and return its reply when it has type `type`;
 * otherwise NULL with the error set. The three status queries share this.
 */
static redisReply *query(struct cg_limiter *l, const char *key, int script,
			 size_t first, size_t second, int type,
			 const char *what)
{
	struct keys k;
	const char *ka[2];
	redisReply *r = NULL;

	l->error[0] = '\0';
	if (make_keys(l, key, &k) < 0)
		return NULL;
	ka[0] = (const char *)&k + first;
	ka[1] = (const char *)&k + second;
	if (run_script(l, script, second ? 2 : 1, 0, ka, &r) != OUT_REPLY) {
		freeReplyObject(r);
		return NULL;
	}
	if (r->type != type) {
		set_error(l, "unexpected answer to the %s script", what);
		freeReplyObject(r);
		return NULL;
	}
	return r;
}

enum cg_limit_status cg_limiter_count(struct cg_limiter *l, const char *key,
				      int *out_holders)
{
	redisReply *r = query(l, key, S_COUNT, offsetof(struct keys, holders),
			      0, REDIS_REPLY_INTEGER, "count");

	*out_holders = r ? (int)r->integer : 0;
	freeReplyObject(r);
	return r ? CG_LIMIT_OK : CG_LIMIT_ERROR;
}

enum cg_limit_status cg_limiter_holders(struct cg_limiter *l, const char *key,
					cg_limit_holder_fn fn, void *ctx)
{
	redisReply *r =
	    query(l, key, S_HOLDERS, offsetof(struct keys, holders),
		  offsetof(struct keys, fences), REDIS_REPLY_ARRAY, "holders");
	enum cg_limit_status st = CG_LIMIT_ERROR;

	if (!r)
		return st;
	if (r->elements % 3) {
		set_error(l, "unexpected answer to the holders script");
		goto out;
	}
	for (size_t i = 0; i < r->elements; i += 3) {
		redisReply **e = r->element + i;

		if (e[0]->type != REDIS_REPLY_STRING ||
		    e[1]->type != REDIS_REPLY_INTEGER ||
		    e[2]->type != REDIS_REPLY_INTEGER) {
			set_error(l, "unexpected answer to the holders script");
			goto out;
		}
		fn(ctx, e[0]->str, (long)e[1]->integer,
		   (uint64_t)e[2]->integer);
	}
	st = CG_LIMIT_OK;
out:
	freeReplyObject(r);
	return st;
}

enum cg_limit_status cg_limiter_waiters(struct cg_limiter *l, const char *key,
					cg_limit_waiter_fn fn, void *ctx)
{
	redisReply *r =
	    query(l, key, S_WAITERS, offsetof(struct keys, queue),
		  offsetof(struct keys, leases), REDIS_REPLY_ARRAY, "waiters");
	enum cg_limit_status st = CG_LIMIT_ERROR;

	if (!r)
		return st;
	for (size_t i = 0; i < r->elements; i++) {
		if (r->element[i]->type != REDIS_REPLY_STRING) {
			set_error(l, "unexpected answer to the waiters script");
			goto out;
		}
		fn(ctx, r->element[i]->str, (long)i + 1);
	}
	st = CG_LIMIT_OK;
out:
	freeReplyObject(r);
	return st;
}
