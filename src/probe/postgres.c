/*
 * postgres:// and postgresql:// (one implementation, two kinds): a ping
 * as libpq's PQpingParams decides it, as pg_isready does, but driven by
 * PQconnectPoll under the attempt's own deadline (ping()). OK is ready;
 * REJECT (the
 * server answers 57P03: starting up, shutting down, in crash recovery) and
 * NO_RESPONSE are "not yet"; NO_ATTEMPT (parameters libpq will not use) is
 * fatal. A ping does not authenticate: a server that asks for a password
 * is up. Note that "too many clients" (53300) is an OK ping, not a REJECT.
 *
 * The target goes to libpq as it is, as the `dbname` of a keyword/value
 * list with expand_dbname, so every libpq URI feature (several hosts,
 * sslmode, PG* environment variables, ~/.pgpass) means what it means to the
 * user's application. Only our own `ciguard_login` parameter is taken out
 * first. The target must name a host: the postgres image's entrypoint runs
 * its init server on the unix socket only, so a socket probe passes before
 * the real server listens on TCP.
 *
 * PQpingParams itself blocks for `connect_timeout` per host address, which
 * libpq raises to 2 s at least: `wait --timeout 1s` took 2 s against a
 * server that accepts and never answers. So it is called only where the
 * connection failed before anything went out (options libpq will not
 * use, which is its NO_ATTEMPT). `connect_timeout` is still passed, in
 * whole seconds, for a login's hosts.
 *
 * With ?ciguard_login=1 a successful ping is followed by a real login and
 * `SELECT 1`, driven by PQconnectPoll under our own deadline. libpq has no
 * accessor for the SQLSTATE of a failed connection, so the connection's
 * error verbosity is raised before it starts and the SQLSTATE is read from
 * the message ("FATAL:  28P01: password authentication failed ...").
 *
 * libpq is loaded by the first init (dynlib.h), not linked, and called
 * through the table that init keeps in the probe's state.
 */
#include <ctype.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probe/dynlib.h"
#include "probe/probe_int.h"
#include "core/banned.h"

#define PG_DEFAULT_PORT "5432"
#define PG_LOGIN_PARAM "ciguard_login"
#define NEEDS_HOST                                                             \
	"postgres:// target needs a host; the image's init server listens on " \
	"the unix socket only"

struct pg_state {
	const struct cg_pq_api *pq;
	char *conninfo; /* the target without ciguard_login, for libpq */
	bool login;
	char *password;	    /* to mask in messages; NULL when none */
	char *raw_password; /*   and as written, before %-decoding */
	char *where;	    /* "host:port[, host:port...]" for messages */
	/* a single-host target's host and port, to find out why there was no
	 * response (NULL: several hosts) */
	char *tcp_host;
	int tcp_port;
};

/* ---- parsing the target ---- */

static int parse_login(const char *value, bool *out, char *err, size_t errlen)
{
	static const char *const on[] = {"", "1", "true", "yes", "on"};
	static const char *const off[] = {"0", "false", "no", "off"};

	for (size_t i = 0; i < sizeof(on) / sizeof(*on); i++) {
		if (!strcasecmp(value, on[i])) {
			*out = true;
			return 0;
		}
	}
	for (size_t i = 0; i < sizeof(off) / sizeof(*off); i++) {
		if (!strcasecmp(value, off[i])) {
			*out = false;
			return 0;
		}
	}
	snprintf(err, errlen, "%s=%.40s: expected 1 or 0", PG_LOGIN_PARAM,
		 value);
	return -1;
}

/* Copy `target` without its ciguard_login parameter(s) into st. */
static int strip_login(struct pg_state *st, const char *target, char *err,
		       size_t errlen)
{
	const char *q = strchr(target, '?');
	struct cg_buf out = CG_BUF_INIT;
	size_t klen = strlen(PG_LOGIN_PARAM);
	bool first = true;

	if (!q) {
		st->conninfo = cg_xstrdup(target);
		return 0;
	}
	cg_buf_add(&out, target, (size_t)(q - target));
	for (const char *p = q + 1; *p;) {
		size_t n = strcspn(p, "&");

		if (n >= klen && !strncmp(p, PG_LOGIN_PARAM, klen) &&
		    (n == klen || p[klen] == '=')) {
			char *value = cg_url_query_get(p, PG_LOGIN_PARAM);
			int rc = parse_login(value, &st->login, err, errlen);

			free(value);
			if (rc < 0) {
				cg_buf_release(&out);
				return -1;
			}
		} else if (n) {
			cg_buf_addch(&out, first ? '?' : '&');
			cg_buf_add(&out, p, n);
			first = false;
		}
		p += n;
		if (*p == '&')
			p++;
	}
	st->conninfo = cg_buf_detach(&out, NULL);
	return 0;
}

static const char *option(const PQconninfoOption *opts, const char *keyword)
{
	for (const PQconninfoOption *o = opts; o->keyword; o++)
		if (!strcmp(o->keyword, keyword))
			return o->val && *o->val ? o->val : NULL;
	return NULL;
}

/* The n-th entry of a comma-separated list, or NULL past its end. */
static char *list_item(const char *list, size_t n)
{
	for (size_t i = 0; list; i++) {
		size_t len = strcspn(list, ",");

		if (i == n)
			return cg_xstrndup(list, len);
		list = list[len] ? list + len + 1 : NULL;
	}
	return NULL;
}

static size_t list_count(const char *list)
{
	size_t n = 1;

	for (const char *c = list; *c; c++)
		n += *c == ',';
	return n;
}

static int check_hosts(const char *hosts, char *err, size_t errlen)
{
	for (size_t i = 0; i < list_count(hosts); i++) {
		char *h = list_item(hosts, i);
		int rc = 0;

		if (!*h) {
			snprintf(err, errlen, "%s", NEEDS_HOST);
			rc = -1;
		} else if (*h == '/' || *h == '@') {
			snprintf(err, errlen,
				 "host '%s' is a unix socket; ciguard probes "
				 "PostgreSQL over TCP (host:port), as the "
				 "clients of a CI service container reach it",
				 h);
			rc = -1;
		}
		free(h);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int check_ports(const char *ports, char *err, size_t errlen)
{
	for (size_t i = 0; ports && i < list_count(ports); i++) {
		char *port = list_item(ports, i), *end;
		long n = strtol(port, &end, 10);
		bool bad = *port && (!isdigit((unsigned char)*port) || *end ||
				     n < 1 || n > 65535);

		if (bad)
			snprintf(err, errlen, "bad port '%.20s'", port);
		free(port);
		if (bad)
			return -1;
	}
	return 0;
}

/* "host:port, host:port" as libpq will pair them, for messages. */
static void describe_hosts(struct pg_state *st, const char *hosts,
			   const char *ports)
{
	struct cg_buf where = CG_BUF_INIT;
	const char *fallback = getenv("PGPORT");
	size_t nhosts = list_count(hosts);

	if (!fallback || !*fallback)
		fallback = PG_DEFAULT_PORT;
	for (size_t i = 0; i < nhosts; i++) {
		char *host = list_item(hosts, i);
		char *port =
		    ports ? list_item(ports, list_count(ports) == 1 ? 0 : i)
			  : NULL;
		const char *shown = port && *port ? port : fallback;

		cg_buf_addf(&where, strchr(host, ':') ? "%s[%s]:%s" : "%s%s:%s",
			    i ? ", " : "", host, shown);
		if (nhosts == 1) {
			st->tcp_host = cg_xstrdup(host);
			st->tcp_port = (int)strtol(shown, NULL, 10);
		}
		free(host);
		free(port);
	}
	st->where = cg_buf_detach(&where, NULL);
}

/*
 * libpq's message for a failed connection, on one line: lines joined with
 * "; ", LOCATION lines (from the raised verbosity) left out.
 */
static void one_line(char *out, size_t size, const char *msg)
{
	struct cg_buf b = CG_BUF_INIT;

	while (*msg) {
		size_t n = strcspn(msg, "\n");

		while (n && isspace((unsigned char)msg[n - 1]))
			n--;
		if (n && strncmp(msg, "LOCATION:", 9) != 0) {
			if (b.len)
				cg_buf_addstr(&b, "; ");
			cg_buf_add(&b, msg, n);
		}
		msg += strcspn(msg, "\n");
		if (*msg)
			msg++;
	}
	snprintf(out, size, "%s", b.buf);
	cg_buf_release(&b);
}

/* The password as written in the target's user info, or NULL. */
static char *raw_password(const char *target)
{
	const char *auth = strstr(target, "://"), *end, *at = NULL, *colon;

	if (!auth)
		return NULL;
	auth += 3;
	end = auth + strcspn(auth, "/?");
	for (const char *c = auth; c < end; c++)
		if (*c == '@')
			at = c;
	if (!at || !(colon = memchr(auth, ':', (size_t)(at - auth))) ||
	    colon + 1 == at)
		return NULL;
	return cg_xstrndup(colon + 1, (size_t)(at - colon - 1));
}

static void mask_secrets(const struct pg_state *st, char *buf, size_t size)
{
	cg_probe_mask(buf, size, st->raw_password);
	cg_probe_mask(buf, size, st->password);
}

static int pg_init(struct cg_probe *p, char *err, size_t errlen)
{
	struct pg_state *st = cg_xcalloc(1, sizeof(*st));
	const struct cg_pq_api *pq;
	PQconninfoOption *opts;
	const char *hosts, *ports, *password;
	char *why = NULL;
	int rc = -1;

	p->state = st;
	st->pq = pq = cg_dynlib_pq(p->kind->prefix, err, errlen);
	if (!pq)
		return -1;
	st->raw_password = raw_password(p->target);
	if (strip_login(st, p->target, err, errlen) < 0)
		return -1;
	/* libpq's parse errors may quote the whole URI, password and all */
	opts = pq->conninfoParse(st->conninfo, &why);
	if (!opts) {
		one_line(err, errlen, why ? why : "out of memory");
		mask_secrets(st, err, errlen);
		pq->freemem(why);
		return -1;
	}
	/* hostaddr, when given, is where libpq connects (over TCP) */
	hosts = option(opts, "hostaddr");
	if (!hosts)
		hosts = option(opts, "host");
	ports = option(opts, "port");
	password = option(opts, "password");
	if (!hosts) {
		snprintf(err, errlen, "%s", NEEDS_HOST);
		goto out;
	}
	if (check_hosts(hosts, err, errlen) < 0 ||
	    check_ports(ports, err, errlen) < 0)
		goto out;
	if (password)
		st->password = cg_xstrdup(password);
	describe_hosts(st, hosts, ports);
	rc = 0;
out:
	if (rc < 0) /* err holds a message only then */
		mask_secrets(st, err, errlen);
	pq->conninfoFree(opts);
	return rc;
}

/* ---- one attempt ---- */

/* libpq's functions, as pg_init loaded them */
static const struct cg_pq_api *pq_of(const struct cg_probe *p)
{
	const struct pg_state *st = p->state;

	return st->pq;
}

/*
 * The last "SEVERITY:  XXXXX: text" in a verbose libpq message: copies
 * the SQLSTATE into `state` (6 bytes) and returns the text (up to the end
 * of its line, length in *len), or NULL when there is none.
 */
static const char *find_sqlstate(const char *msg, char *state, size_t *len)
{
	const char *found = NULL;

	for (const char *c = strstr(msg, ":  "); c; c = strstr(c + 1, ":  ")) {
		const char *s = c + 3;
		size_t i = 0;

		while (i < 5 && (isdigit((unsigned char)s[i]) ||
				 isupper((unsigned char)s[i])))
			i++;
		if (i == 5 && s[5] == ':' && s[6] == ' ') {
			memcpy(state, s, 5);
			state[5] = '\0';
			found = s + 7;
		}
	}
	if (found)
		*len = strcspn(found, "\n");
	return found;
}

/*
 * Retrying helps with a connection problem (class 08), a lack of resources
 * such as too many clients (53) and an operator's intervention such as
 * "starting up" or "shutting down" (57); a bad password (28P01), a missing
 * role or pg_hba.conf entry (28000) or database (3D000) stay as they are.
 */
static enum cg_probe_result sqlstate_result(const char *state)
{
	if (!strncmp(state, "08", 2) || !strncmp(state, "53", 2) ||
	    !strncmp(state, "57", 2))
		return CG_PROBE_NOT_READY;
	return CG_PROBE_FATAL;
}

static enum cg_probe_result login_failed(struct cg_probe *p, PGconn *conn)
{
	const struct cg_pq_api *pq = pq_of(p);
	const char *msg = pq->errorMessage(conn), *text;
	char state[6], line[400];
	size_t len;

	if ((text = find_sqlstate(msg, state, &len)))
		return cg_probe_fail(p, sqlstate_result(state),
				     "login failed: SQLSTATE %s: %.*s", state,
				     (int)len, text);
	if (pq->connectionNeedsPassword(conn))
		return cg_probe_fail(p, CG_PROBE_FATAL,
				     "login failed: the server asks for a "
				     "password and the target gives none");
	one_line(line, sizeof(line), msg);
	return cg_probe_fail(p, CG_PROBE_NOT_READY, "login failed: %s", line);
}

static enum cg_probe_result select_one(struct cg_probe *p, PGconn *conn,
				       long deadline, int timeout_ms)
{
	const struct cg_pq_api *pq = pq_of(p);
	enum cg_probe_result r;
	PGresult *res;
	const char *state;

	if (!pq->sendQuery(conn, "SELECT 1"))
		return login_failed(p, conn);
	while (pq->isBusy(conn)) {
		int w = cg_poll_fd(pq->socket(conn), POLLIN, deadline);

		if (w == 0)
			return cg_probe_fail(p, CG_PROBE_NOT_READY,
					     "logged in, but SELECT 1 got no "
					     "answer within %d ms",
					     timeout_ms);
		if (w < 0 || !pq->consumeInput(conn))
			return login_failed(p, conn);
	}
	res = pq->getResult(conn);
	if (pq->resultStatus(res) == PGRES_TUPLES_OK && pq->ntuples(res) == 1 &&
	    pq->nfields(res) == 1 && !strcmp(pq->getvalue(res, 0, 0), "1")) {
		r = CG_PROBE_READY;
	} else if ((state = pq->resultErrorField(res, PG_DIAG_SQLSTATE))) {
		r = cg_probe_fail(
		    p, sqlstate_result(state),
		    "SELECT 1 failed: SQLSTATE %s: %s", state,
		    pq->resultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
	} else {
		r = cg_probe_fail(p, CG_PROBE_NOT_READY,
				  "SELECT 1 did not return one row: %s",
				  pq->resStatus(pq->resultStatus(res)));
	}
	pq->clear(res);
	return r;
}

static enum cg_probe_result login(struct cg_probe *p,
				  const char *const *keywords,
				  const char *const *values, long deadline,
				  int timeout_ms)
{
	const struct cg_pq_api *pq = pq_of(p);
	PostgresPollingStatusType poll_status = PGRES_POLLING_WRITING;
	enum cg_probe_result r;
	PGconn *conn = pq->connectStartParams(keywords, values, 1);

	if (!conn)
		return cg_probe_fail(p, CG_PROBE_NOT_READY, "out of memory");
	pq->setErrorVerbosity(conn, PQERRORS_VERBOSE);
	if (pq->status(conn) == CONNECTION_BAD)
		poll_status = PGRES_POLLING_FAILED;
	while (poll_status != PGRES_POLLING_OK &&
	       poll_status != PGRES_POLLING_FAILED) {
		int w;

		if (pq->socket(conn) < 0) {
			poll_status = PGRES_POLLING_FAILED;
			break;
		}
		w = cg_poll_fd(pq->socket(conn),
			       poll_status == PGRES_POLLING_READING ? POLLIN
								    : POLLOUT,
			       deadline);

		if (w == 0) {
			r = cg_probe_fail(p, CG_PROBE_NOT_READY,
					  "the server answers pings, but the "
					  "login did not finish within %d ms",
					  timeout_ms);
			goto out;
		}
		poll_status = pq->connectPoll(conn);
	}
	if (poll_status == PGRES_POLLING_FAILED)
		r = login_failed(p, conn);
	else
		r = select_one(p, conn, deadline, timeout_ms);
out:
	pq->finish(conn);
	return r;
}

/*
 * A ping under `deadline`, as libpq's own ping judges one (internal_ping
 * in fe-connect.c): a connection made, or a server that asked for a
 * password, is OK; a failure the server explained (a SQLSTATE in the
 * message) is OK too, it answered, except 57P03, REJECT ("the database
 * system is starting up"); options libpq will not use are NO_ATTEMPT;
 * any other failure, or the deadline, is NO_RESPONSE, with libpq's
 * message in `line` ("" at the deadline).
 */
static PGPing ping(struct cg_probe *p, const char *const *keywords,
		   const char *const *values, long deadline, char *line,
		   size_t size)
{
	const struct cg_pq_api *pq = pq_of(p);
	PostgresPollingStatusType ps = PGRES_POLLING_WRITING;
	PGconn *conn = pq->connectStartParams(keywords, values, 1);
	const char *msg;
	char state[6];
	size_t len;
	PGPing r;

	line[0] = '\0';
	if (!conn)
		return PQPING_NO_RESPONSE;
	if (pq->status(conn) == CONNECTION_BAD) {
		/* it failed before anything went out: libpq's ping tells
		 * unusable options from a refused connection, at once */
		pq->finish(conn);
		return pq->pingParams(keywords, values, 1);
	}
	pq->setErrorVerbosity(conn, PQERRORS_VERBOSE);
	while (ps != PGRES_POLLING_OK && ps != PGRES_POLLING_FAILED) {
		if (pq->socket(conn) < 0) {
			ps = PGRES_POLLING_FAILED;
			break;
		}
		if (cg_poll_fd(pq->socket(conn),
			       ps == PGRES_POLLING_READING ? POLLIN : POLLOUT,
			       deadline) <= 0) {
			pq->finish(conn);
			return PQPING_NO_RESPONSE;
		}
		ps = pq->connectPoll(conn);
	}
	msg = pq->errorMessage(conn);
	if (ps == PGRES_POLLING_OK || pq->connectionNeedsPassword(conn))
		r = PQPING_OK;
	else if (find_sqlstate(msg, state, &len))
		r = strcmp(state, "57P03") ? PQPING_OK : PQPING_REJECT;
	else
		r = PQPING_NO_RESPONSE;
	if (r == PQPING_NO_RESPONSE)
		one_line(line, size, msg);
	pq->finish(conn);
	return r;
}

/*
 * The ping had no answer; `line` is libpq's message ("" when the
 * deadline came first). A server that cannot give the SSL the target
 * requires will not start to: that is the target's to change. Otherwise
 * a plain connect tells refused from unresolvable from silent.
 */
static enum cg_probe_result no_response(struct cg_probe *p,
					const struct pg_state *st,
					const char *line, long deadline,
					int timeout_ms)
{
	char why[256];
	long left = deadline - cg_now_ms();
	const char *reason;
	int fd;

	if (strstr(line, "SSL") &&
	    (strstr(line, "not support") || strstr(line, "required")))
		return cg_probe_fail(p, CG_PROBE_FATAL,
				     "%s: %s (sslmode, or PGSSLMODE in the "
				     "environment)",
				     st->where, line);
	if (!st->tcp_host || left < 1)
		return cg_probe_fail(p, CG_PROBE_NOT_READY,
				     "no response from %s within %d ms",
				     st->where, timeout_ms);
	fd = cg_tcp_connect(st->tcp_host, st->tcp_port, (int)left, why,
			    sizeof(why));
	if (fd >= 0) {
		close(fd);
		return cg_probe_fail(p, CG_PROBE_NOT_READY,
				     "no response from %s: the port accepts "
				     "connections but no PostgreSQL server "
				     "answered",
				     st->where);
	}
	reason = why;
	if (!strncmp(why, "connect to ", 11) && strstr(why, ": "))
		reason = strstr(why, ": ") + 2;
	return cg_probe_fail(p, CG_PROBE_NOT_READY, "no response from %s: %s",
			     st->where, reason);
}

static enum cg_probe_result no_attempt(struct cg_probe *p,
				       const char *const *keywords,
				       const char *const *values)
{
	const struct cg_pq_api *pq = pq_of(p);
	/* invalid options stop libpq before any network activity, with the
	 * reason in the connection's message */
	PGconn *conn = pq->connectStartParams(keywords, values, 1);
	enum cg_probe_result r;
	char line[400];

	if (!conn)
		return cg_probe_fail(p, CG_PROBE_NOT_READY, "out of memory");
	one_line(line, sizeof(line), pq->errorMessage(conn));
	r = cg_probe_fail(p, CG_PROBE_FATAL,
			  "libpq will not try to connect: %s", line);
	pq->finish(conn);
	return r;
}

static enum cg_probe_result pg_attempt(struct cg_probe *p, int timeout_ms)
{
	struct pg_state *st = p->state;
	long deadline = cg_now_ms() + timeout_ms;
	int libpq_timeout_s = (timeout_ms + 999) / 1000;
	char connect_timeout[16], line[400];
	const char *keywords[] = {"dbname", "connect_timeout",
				  "fallback_application_name", NULL};
	const char *values[] = {st->conninfo, connect_timeout, "ciguard", NULL};
	enum cg_probe_result r;

	if (libpq_timeout_s < 2)
		libpq_timeout_s = 2; /* libpq's own minimum */
	snprintf(connect_timeout, sizeof(connect_timeout), "%d",
		 libpq_timeout_s);
	switch (ping(p, keywords, values, deadline, line, sizeof(line))) {
	case PQPING_OK:
		r = st->login ? login(p, keywords, values, deadline, timeout_ms)
			      : CG_PROBE_READY;
		break;
	case PQPING_REJECT:
		r = cg_probe_fail(p, CG_PROBE_NOT_READY,
				  "server at %s rejected the connection: "
				  "starting up, shutting down or in recovery "
				  "(SQLSTATE 57P03)",
				  st->where);
		break;
	case PQPING_NO_RESPONSE:
		r = no_response(p, st, line, deadline, timeout_ms);
		break;
	case PQPING_NO_ATTEMPT:
	default:
		r = no_attempt(p, keywords, values);
		break;
	}
	mask_secrets(st, p->last_error, sizeof(p->last_error));
	return r;
}

static void pg_release(struct cg_probe *p)
{
	struct pg_state *st = p->state;

	if (!st)
		return;
	free(st->conninfo);
	free(st->password);
	free(st->raw_password);
	free(st->where);
	free(st->tcp_host);
	free(st);
}

const struct cg_probe_kind cg_probe_postgres = {"postgres://", pg_init,
						pg_attempt, pg_release};
const struct cg_probe_kind cg_probe_postgresql = {"postgresql://", pg_init,
						  pg_attempt, pg_release};
