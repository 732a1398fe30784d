/*
 * The service rules' shared knowledge (see service_vars.h): names per
 * kind, values read as endpoints, reachability from a CI job, and the env
 * definitions a job's consumers see.
 *
 * URLs are split here rather than with core/url.h: a CI value often holds
 * an expression in its port (`${{ job.services.pg.ports[5432] }}`) or a
 * secret in its password, which cg_url_parse rejects or decodes, and the
 * rules want the byte span of host:port to suggest a corrected value. The
 * splitting follows the same rules (the last '@' before the path ends the
 * user info, `[...]` holds an IPv6 host, the port is optional).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rules/service_vars.h"
#include "rules/critical.h"
#include "core/banned.h"

/* Markers left in a resolved value where a piece stays unknown. */
#define MARK_SERVICE_PORT '\x01' /* \x01INDEX\x01: job.services.X.ports */
#define MARK_SECRET '\x02'	 /* a secret, a vars. value, a CI/CD one */
#define MARK_UNKNOWN '\x03'	 /* anything else we cannot read */

/* ------------------------------------------------------------ names */

struct builtin_name {
	enum cg_service_kind kind;
	const char *name;
	enum cg_svc_role role;
	bool needs_scheme;
};

static const struct builtin_name builtin[] = {
    {CG_SERVICE_REDIS, "REDIS_URL", CG_SVC_URL, false},
    {CG_SERVICE_REDIS, "REDIS_HOST", CG_SVC_HOST, false},
    {CG_SERVICE_REDIS, "REDIS_PORT", CG_SVC_PORT, false},
    {CG_SERVICE_REDIS, "VALKEY_URL", CG_SVC_URL, false},
    {CG_SERVICE_REDIS, "VALKEY_HOST", CG_SVC_HOST, false},
    {CG_SERVICE_REDIS, "VALKEY_PORT", CG_SVC_PORT, false},
    {CG_SERVICE_REDIS, "CELERY_BROKER_URL", CG_SVC_URL, true},
    {CG_SERVICE_REDIS, "CACHE_URL", CG_SVC_URL, true},
    {CG_SERVICE_POSTGRES, "DATABASE_URL", CG_SVC_URL, false},
    {CG_SERVICE_POSTGRES, "SQLALCHEMY_DATABASE_URI", CG_SVC_URL, false},
    {CG_SERVICE_POSTGRES, "POSTGRES_HOST", CG_SVC_HOST, false},
    {CG_SERVICE_POSTGRES, "POSTGRES_PORT", CG_SVC_PORT, false},
    {CG_SERVICE_POSTGRES, "PGHOST", CG_SVC_HOST, false},
    {CG_SERVICE_POSTGRES, "PGPORT", CG_SVC_PORT, false},
    {CG_SERVICE_WIREMOCK, "WIREMOCK_URL", CG_SVC_URL, false},
};

#define NBUILTIN (sizeof(builtin) / sizeof(*builtin))

static const struct cg_config_service *configured(const struct cg_model *m,
						  enum cg_service_kind k)
{
	if (!m->config || k == CG_SERVICE_OTHER)
		return NULL;
	for (size_t i = 0; i < m->config->nservices; i++)
		if (m->config->services[i].kind &&
		    cg_service_kind_parse(m->config->services[i].kind) == k)
			return &m->config->services[i];
	return NULL;
}

static enum cg_svc_role role_by_suffix(const char *name)
{
	if (cg_ends_with(name, "HOST") || cg_ends_with(name, "host"))
		return CG_SVC_HOST;
	if (cg_ends_with(name, "PORT") || cg_ends_with(name, "port"))
		return CG_SVC_PORT;
	return CG_SVC_URL;
}

enum cg_svc_role cg_svc_var_role(const struct cg_model *m,
				 enum cg_service_kind k, const char *name,
				 enum cg_svc_names which, bool *needs_scheme)
{
	const struct cg_config_service *c = configured(m, k);

	if (needs_scheme)
		*needs_scheme = false;
	if (c)
		for (size_t i = 0; i < c->vars.n; i++)
			if (!strcmp(c->vars.items[i], name))
				return role_by_suffix(name);
	if (c && which == CG_SVC_NAMES_APP)
		return CG_SVC_NONE;
	for (size_t i = 0; i < NBUILTIN; i++)
		if (builtin[i].kind == k && !strcmp(builtin[i].name, name)) {
			if (needs_scheme)
				*needs_scheme = builtin[i].needs_scheme;
			return builtin[i].role;
		}
	return CG_SVC_NONE;
}

bool cg_svc_kind_named(const struct cg_model *m, enum cg_service_kind k,
		       enum cg_svc_names which)
{
	const struct cg_config_service *c = configured(m, k);

	(void)which;
	if (c && c->vars.n)
		return true;
	for (size_t i = 0; i < NBUILTIN; i++)
		if (builtin[i].kind == k)
			return true;
	return false;
}

bool cg_svc_kind_configured(const struct cg_model *m, enum cg_service_kind k)
{
	return configured(m, k) != NULL;
}

void cg_svc_names_text(const struct cg_model *m, enum cg_service_kind k,
		       enum cg_svc_names which, struct cg_buf *out)
{
	const struct cg_config_service *c = configured(m, k);
	size_t n = 0;

	if (c)
		for (size_t i = 0; i < c->vars.n; i++) {
			if (role_by_suffix(c->vars.items[i]) == CG_SVC_PORT)
				continue;
			cg_buf_addf(out, "%s`%s`", n++ ? ", " : "",
				    c->vars.items[i]);
		}
	if (c && which == CG_SVC_NAMES_APP)
		return;
	for (size_t i = 0; i < NBUILTIN; i++)
		if (builtin[i].kind == k && builtin[i].role != CG_SVC_PORT)
			cg_buf_addf(out, "%s`%s`", n++ ? ", " : "",
				    builtin[i].name);
}

bool cg_svc_port_partner(const char *host, struct cg_buf *out)
{
	size_t n = strlen(host);

	if (n < 4 || strcmp(host + n - 4, "HOST"))
		return false;
	cg_buf_add(out, host, n - 4);
	cg_buf_addstr(out, "PORT");
	return true;
}

/* ---------------------------------------------------------- schemes */

struct scheme_info {
	const char *name;
	enum cg_service_kind kind;
	unsigned port;
};

static const struct scheme_info schemes[] = {
    {"redis", CG_SERVICE_REDIS, 6379},
    {"rediss", CG_SERVICE_REDIS, 6379},
    {"valkey", CG_SERVICE_REDIS, 6379},
    {"valkeys", CG_SERVICE_REDIS, 6379},
    {"postgres", CG_SERVICE_POSTGRES, 5432},
    {"postgresql", CG_SERVICE_POSTGRES, 5432},
    {"pgsql", CG_SERVICE_POSTGRES, 5432},
    {"postgis", CG_SERVICE_POSTGRES, 5432},
    {"timescale", CG_SERVICE_POSTGRES, 5432},
    {"mysql", CG_SERVICE_MYSQL, 3306},
    {"mariadb", CG_SERVICE_MYSQL, 3306},
    {"amqp", CG_SERVICE_RABBITMQ, 5672},
    {"pyamqp", CG_SERVICE_RABBITMQ, 5672},
    {"amqps", CG_SERVICE_RABBITMQ, 5671},
    {"http", CG_SERVICE_OTHER, 80},
    {"https", CG_SERVICE_OTHER, 443},
};

/* The scheme as a driver names it: "postgresql+psycopg" -> "postgresql". */
static const struct scheme_info *scheme_find(const char *scheme)
{
	size_t n = strcspn(scheme, "+");

	for (size_t i = 0; i < sizeof(schemes) / sizeof(*schemes); i++)
		if (strlen(schemes[i].name) == n &&
		    !strncmp(schemes[i].name, scheme, n))
			return &schemes[i];
	return NULL;
}

unsigned cg_svc_scheme_port(const char *scheme)
{
	const struct scheme_info *s = scheme_find(scheme);

	return s ? s->port : 0;
}

bool cg_svc_host_is_local(const char *host)
{
	if (!host)
		return false;
	if (!strcasecmp(host, "localhost") || !strcmp(host, "::1") ||
	    !strcmp(host, "[::1]") || !strcmp(host, "0.0.0.0") ||
	    !strcasecmp(host, "ip6-localhost"))
		return true;
	return cg_starts_with(host, "127.") &&
	       strspn(host, "0123456789.") == strlen(host);
}

/* -------------------------------------------------------- resolving */

struct resolver {
	const struct cg_model *m;
	const struct cg_script_group *g;
	size_t scope;
	unsigned depth;
};

static bool name_char(char c, bool first)
{
	return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (!first && c >= '0' && c <= '9');
}

static void resolve(struct resolver *r, const char *v, bool shell,
		    struct cg_buf *out);

/* A variable's value as the consumer sees it, or a marker. */
static void resolve_var(struct resolver *r, const char *name, size_t n,
			struct cg_buf *out)
{
	char *key = cg_xstrndup(name, n);
	const struct cg_env_fact *d = cg_env_lookup(r->m, r->scope, key);
	bool gitlab = r->g->kind == CG_GROUP_GITLAB_JOB;

	if (d && d->value && r->depth < 4) {
		r->depth++;
		/* a GitHub env value is taken as written; a GitLab one
		 * expands `$X` again */
		resolve(r, d->value, gitlab, out);
		r->depth--;
	} else if (!d && gitlab && !cg_starts_with(key, "CI_") &&
		   !cg_starts_with(key, "GITLAB_") && strcmp(key, "CI")) {
		cg_buf_addch(out, MARK_SECRET); /* a CI/CD setting */
	} else {
		cg_buf_addch(out, MARK_UNKNOWN);
	}
	free(key);
}

/* `job.services.ID.ports[N]` (N maybe quoted) in [a, b): the text. */
static bool service_port_expr(struct resolver *r, const char *a, const char *b,
			      struct cg_buf *out)
{
	const char *p = a, *id, *close;
	size_t idn;
	unsigned long port;
	char *end;

	if ((size_t)(b - a) < 13 || strncmp(p, "job.services.", 13))
		return false;
	id = p += 13;
	while (p < b && (name_char(*p, false) || *p == '-'))
		p++;
	idn = (size_t)(p - id);
	if (!idn || (size_t)(b - p) < 7 || strncmp(p, ".ports[", 7))
		return false;
	p += 7;
	if (*p == '\'' || *p == '"')
		p++;
	port = strtoul(p, &end, 10);
	close = end;
	if (*close == '\'' || *close == '"')
		close++;
	if (end == p || *close != ']' || close + 1 != b)
		return false;
	for (size_t i = 0; i < r->g->nservices; i++) {
		size_t si = r->g->services[i];
		const struct cg_service_fact *s = &r->m->facts.services[si];

		if (strlen(s->name) != idn || strncmp(s->name, id, idn))
			continue;
		for (size_t k = 0; k < s->nports; k++)
			if (s->ports[k].container == port &&
			    s->ports[k].published) {
				cg_buf_addf(out, "%u", s->ports[k].published);
				return true;
			}
		cg_buf_addf(out, "%c%zu%c", MARK_SERVICE_PORT, si,
			    MARK_SERVICE_PORT);
		return true;
	}
	cg_buf_addch(out, MARK_UNKNOWN);
	return true;
}

static void resolve_expression(struct resolver *r, const char *a, const char *b,
			       struct cg_buf *out)
{
	while (a < b && (*a == ' ' || *a == '\t'))
		a++;
	while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
		b--;
	if (cg_starts_with(a, "secrets.") || cg_starts_with(a, "vars.") ||
	    cg_starts_with(a, "secrets[") || cg_starts_with(a, "vars[")) {
		cg_buf_addch(out, MARK_SECRET);
		return;
	}
	if ((size_t)(b - a) > 4 && !strncmp(a, "env.", 4)) {
		const char *n = a + 4, *e = n;

		while (e < b && name_char(*e, e == n))
			e++;
		if (e == b && e > n) {
			resolve_var(r, n, (size_t)(e - n), out);
			return;
		}
	}
	if (service_port_expr(r, a, b, out))
		return;
	cg_buf_addch(out, MARK_UNKNOWN);
}

static void resolve(struct resolver *r, const char *v, bool shell,
		    struct cg_buf *out)
{
	const char *p = v;

	while (*p) {
		/* what needs reading starts with '$'; the rest is copied */
		if (*p != '$') {
			size_t n = strcspn(p, "$");

			cg_buf_add(out, p, n);
			p += n;
			continue;
		}
		if (p[0] == '$' && p[1] == '{' && p[2] == '{') {
			const char *end = strstr(p + 3, "}}");

			if (!end) {
				cg_buf_addch(out, MARK_UNKNOWN);
				return;
			}
			resolve_expression(r, p + 3, end, out);
			p = end + 2;
			continue;
		}
		if (shell && p[0] == '$' && p[1] == '$' &&
		    r->g->kind == CG_GROUP_GITLAB_JOB) {
			cg_buf_addch(out, '$'); /* GitLab's escape */
			p += 2;
			continue;
		}
		if (shell && p[0] == '$' &&
		    (name_char(p[1], true) ||
		     (p[1] == '{' && name_char(p[2], true)))) {
			bool braced = p[1] == '{';
			const char *n = p + 1 + braced, *e = n;

			while (name_char(*e, e == n))
				e++;
			if (braced) {
				const char *close = strchr(e, '}');

				if (*e != '}') {
					/* ${X:-default} and the like */
					cg_buf_addch(out, MARK_UNKNOWN);
					p = close ? close + 1 : e + strlen(e);
					continue;
				}
				e++;
			}
			resolve_var(r, n, (size_t)(e - n - braced), out);
			p = e;
			continue;
		}
		cg_buf_addch(out, *p++);
	}
}

/* ---------------------------------------------------------- parsing */

static bool readable(const char *s, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == '$' || c == '{' || c == '}' || c == ',' ||
		    c == ' ' || c == '"' || c == '\'' || c == '`')
			return false;
	}
	return true;
}

static size_t colons(const char *a, const char *b)
{
	size_t n = 0;

	for (; a < b; a++)
		n += *a == ':';
	return n;
}

static bool has_byte(const char *s, size_t n, char c)
{
	return memchr(s, c, n) != NULL;
}

bool cg_svc_endpoint_read(const struct cg_model *m,
			  const struct cg_script_group *g, size_t scope,
			  const char *value, bool shell,
			  struct cg_svc_endpoint *out)
{
	struct resolver r = {m, g, scope, 0};
	struct cg_buf b = CG_BUF_INIT;
	const char *t, *sep, *auth, *auth_end, *host, *host_end, *port = NULL,
								 *port_end;
	bool scheme = false;

	memset(out, 0, sizeof(*out));
	out->port_service = CG_NO_INDEX;
	if (!value)
		return false;
	resolve(&r, value, shell || g->kind == CG_GROUP_GITLAB_JOB, &b);
	t = b.buf;
	while (*t == ' ' || *t == '\t')
		t++;
	while (b.len && (b.buf[b.len - 1] == ' ' || b.buf[b.len - 1] == '\t' ||
			 b.buf[b.len - 1] == '\n'))
		b.buf[--b.len] = '\0';
	if (!*t)
		goto no;
	sep = strstr(t, "://");
	if (sep && sep > t) {
		size_t sn = (size_t)(sep - t);

		if (sn >= sizeof(out->scheme) || !isalpha((unsigned char)*t))
			goto no;
		for (size_t i = 0; i < sn; i++) {
			char c = t[i];

			if (!isalnum((unsigned char)c) && c != '+' &&
			    c != '-' && c != '.')
				goto no;
			out->scheme[i] = (char)tolower((unsigned char)c);
		}
		scheme = true;
		auth = sep + 3;
		auth_end = auth + strcspn(auth, "/?#");
		for (const char *c = sep + 3; c < auth_end; c++)
			if (*c == '@')
				auth = c + 1; /* after the user info */
	} else {
		/* host[:port]: one token, no path */
		if (strpbrk(t, "/= \t\n?#@"))
			goto no;
		auth = t;
		auth_end = t + strlen(t);
	}
	host = auth;
	if (*host == '[') {
		const char *rb = memchr(host, ']', (size_t)(auth_end - host));

		if (!rb)
			goto no;
		host_end = rb + 1;
		if (host_end < auth_end && *host_end == ':')
			port = host_end + 1;
	} else if (!scheme && colons(host, auth_end) > 1) {
		host_end = auth_end; /* a bare IPv6 address */
	} else {
		const char *colon =
		    memchr(host, ':', (size_t)(auth_end - host));

		host_end = colon ? colon : auth_end;
		if (colon)
			port = colon + 1;
	}
	port_end = auth_end;
	out->network = true;
	if (scheme) {
		const struct scheme_info *si = scheme_find(out->scheme);

		if (si) {
			out->scheme_kind = si->kind;
			out->http = !strncmp(out->scheme, "http", 4);
		} else {
			out->scheme_kind = CG_SERVICE_OTHER;
			/* sqlite:, file:, unix:, redis+socket: ... */
			if (strstr(out->scheme, "sqlite") ||
			    strstr(out->scheme, "file") ||
			    strstr(out->scheme, "unix") ||
			    strstr(out->scheme, "socket"))
				out->network = false;
		}
		if (host == host_end)
			out->network = false; /* postgres:///db: a socket */
	}
	out->from_secret =
	    has_byte(host, (size_t)(port_end - host), MARK_SECRET);
	{
		const char *h = host, *he = host_end;

		if (*h == '[' && he > h + 1 && he[-1] == ']')
			h++, he--;
		if (readable(h, (size_t)(he - h)))
			out->host = cg_xstrndup(h, (size_t)(he - h));
	}
	if (port && port < port_end) {
		size_t pn = (size_t)(port_end - port);

		out->port_written = true;
		if (*port == MARK_SERVICE_PORT) {
			char *e;
			unsigned long si = strtoul(port + 1, &e, 10);

			if (*e == MARK_SERVICE_PORT && e + 1 == port_end &&
			    si < m->facts.nservices)
				out->port_service = si;
		} else if (strspn(port, "0123456789") == pn && pn <= 5) {
			unsigned long v = strtoul(port, NULL, 10);

			if (v >= 1 && v <= 65535)
				out->port = (unsigned)v;
		}
	} else if (scheme) {
		out->port = cg_svc_scheme_port(out->scheme);
		out->port_implied = out->port != 0;
	}
	out->host_start = (size_t)(host - b.buf);
	out->port_end = (size_t)(port_end - b.buf);
	out->text = cg_buf_detach(&b, NULL);
	return true;
no:
	cg_buf_release(&b);
	memset(out, 0, sizeof(*out));
	out->port_service = CG_NO_INDEX;
	return false;
}

void cg_svc_endpoint_release(struct cg_svc_endpoint *e)
{
	free(e->text);
	free(e->host);
	memset(e, 0, sizeof(*e));
	e->port_service = CG_NO_INDEX;
}

/* --------------------------------------------------------- reaching */

bool cg_svc_in_container(const struct cg_model *m,
			 const struct cg_script_group *g)
{
	if (g->kind == CG_GROUP_GITLAB_JOB)
		return true;
	return g->scope < m->facts.nscopes &&
	       m->facts.scopes[g->scope].in_container;
}

unsigned cg_svc_container_port(const struct cg_service_fact *s)
{
	for (size_t i = 0; i < s->nports; i++)
		if (s->ports[i].container)
			return s->ports[i].container;
	return cg_service_default_port(s->kind);
}

static bool listens_on(const struct cg_service_fact *s, unsigned port)
{
	bool known = false;

	for (size_t i = 0; i < s->nports; i++) {
		if (s->ports[i].container == port)
			return true;
		if (s->ports[i].container)
			known = true;
	}
	if (cg_service_default_port(s->kind))
		return cg_service_default_port(s->kind) == port;
	return !known; /* nothing says where it listens */
}

static bool is_host_of(const struct cg_service_fact *s, const char *host)
{
	for (size_t i = 0; i < s->nhosts; i++)
		if (s->hosts[i] && !strcasecmp(s->hosts[i], host))
			return true;
	return false;
}

enum cg_svc_verdict cg_svc_reach(const struct cg_model *m,
				 const struct cg_script_group *g,
				 size_t service, const char *host,
				 unsigned port, size_t port_service)
{
	const struct cg_service_fact *s = &m->facts.services[service];
	bool published = false, bare = false;

	if (cg_svc_in_container(m, g)) {
		if (host && !is_host_of(s, host))
			return CG_SVC_WRONG_HOST;
		/* a port GitHub published is on the runner, not on the
		 * container network */
		if (port_service != CG_NO_INDEX)
			return CG_SVC_WRONG_PORT;
		if (port && !listens_on(s, port))
			return CG_SVC_WRONG_PORT;
		return CG_SVC_REACHES;
	}
	if (host && !cg_svc_host_is_local(host))
		return CG_SVC_WRONG_HOST;
	for (size_t i = 0; i < s->nports; i++) {
		if (s->ports[i].published)
			published = true;
		else if (s->ports[i].container)
			bare = true;
	}
	if (port_service != CG_NO_INDEX)
		return port_service == service ? CG_SVC_REACHES
					       : CG_SVC_WRONG_PORT;
	if (!published)
		return bare ? CG_SVC_RANDOM_PORT : CG_SVC_NOT_PUBLISHED;
	if (!port)
		return CG_SVC_REACHES;
	for (size_t i = 0; i < s->nports; i++)
		if (s->ports[i].published == port)
			return CG_SVC_REACHES;
	return CG_SVC_WRONG_PORT;
}

bool cg_svc_expected(const struct cg_model *m, const struct cg_script_group *g,
		     size_t service, struct cg_buf *out)
{
	const struct cg_service_fact *s = &m->facts.services[service];
	unsigned cport = cg_svc_container_port(s);

	if (cg_svc_in_container(m, g)) {
		cg_buf_addstr(out, s->nhosts ? s->hosts[0] : s->name);
		if (!cport)
			return false;
		cg_buf_addf(out, ":%u", cport);
		return true;
	}
	cg_buf_addstr(out, "localhost");
	/* the host port of its main container port, else the first */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < s->nports; i++)
			if (s->ports[i].published &&
			    (pass || s->ports[i].container == cport)) {
				cg_buf_addf(out, ":%u", s->ports[i].published);
				return true;
			}
	for (size_t i = 0; i < s->nports; i++)
		if (s->ports[i].container) {
			cg_buf_addf(out, ":${{ job.services.%s.ports[%u] }}",
				    s->name, s->ports[i].container);
			return true;
		}
	return false;
}

static const char *kind_scheme(enum cg_service_kind k)
{
	switch (k) {
	case CG_SERVICE_REDIS:
		return "redis";
	case CG_SERVICE_POSTGRES:
		return "postgresql";
	case CG_SERVICE_MYSQL:
		return "mysql";
	case CG_SERVICE_RABBITMQ:
		return "amqp";
	default:
		return "http";
	}
}

void cg_svc_suggest(const struct cg_model *m, const struct cg_script_group *g,
		    size_t service, enum cg_svc_role role, struct cg_buf *out)
{
	struct cg_buf where = CG_BUF_INIT;

	cg_svc_expected(m, g, service, &where);
	if (role == CG_SVC_HOST) {
		size_t n = strcspn(where.buf, ":");

		cg_buf_add(out, where.buf, n);
	} else {
		cg_buf_addf(out, "%s://%s",
			    kind_scheme(m->facts.services[service].kind),
			    where.buf);
	}
	cg_buf_release(&where);
}

size_t cg_svc_first_of_kind(const struct cg_model *m,
			    const struct cg_script_group *g,
			    enum cg_service_kind k)
{
	for (size_t i = 0; i < g->nservices; i++)
		if (m->facts.services[g->services[i]].kind == k)
			return g->services[i];
	return CG_NO_INDEX;
}

/* -------------------------------------------------------- consumers */

const struct cg_sh_cmd *cg_svc_item_critical(const struct cg_model *m,
					     const struct cg_script_group *g,
					     size_t i,
					     const struct cg_script **where)
{
	struct cg_buf name = CG_BUF_INIT;
	const struct cg_sh_cmd *c = NULL;

	if (where)
		*where = NULL;
	if (i < g->nitems && g->items[i].script)
		c = cg_critical_in_script(g->items[i].script, m->config, &name,
					  where);
	cg_buf_release(&name);
	return c;
}

/* Does `text` name variable `name` ($NAME, ${NAME...}, env.NAME)? */
static bool names_var(const char *text, size_t len, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = text; p && (size_t)(p - text) < len;) {
		const char *hit = strstr(p, name);

		if (!hit || (size_t)(hit - text) + n > len)
			return false;
		if (!name_char(hit[n], false) && hit > text &&
		    (hit[-1] == '$' ||
		     (hit[-1] == '{' && hit - 1 > text && hit[-2] == '$') ||
		     (hit - text >= 4 && !strncmp(hit - 4, "env.", 4))))
			return true;
		p = hit + 1;
	}
	return false;
}

static bool scope_in(const size_t *set, size_t n, size_t s)
{
	for (size_t i = 0; i < n; i++)
		if (set[i] == s)
			return true;
	return false;
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

static bool indexed(const struct cg_facts *f)
{
	return f->scope_defs && f->nscope_index == f->nscopes;
}

/* The DEF rows of `scopes`, in table order (caller frees *out). The
 * model indexes each scope's definitions on its first lookup; without
 * that index, the whole table is scanned. */
static size_t candidates(const struct cg_model *m, const size_t *scopes,
			 size_t nscopes, size_t **out)
{
	const struct cg_facts *f = &m->facts;
	size_t n = 0, alloc = 0;

	*out = NULL;
	if (nscopes)
		(void)cg_env_lookup(m, scopes[0], "");
	if (indexed(f)) {
		for (size_t i = 0; i < nscopes; i++)
			if (scopes[i] < f->nscope_index)
				n += f->scope_ndefs[scopes[i]];
		*out = cg_xcalloc(n + 1, sizeof(**out));
		n = 0;
		for (size_t i = 0; i < nscopes; i++) {
			size_t s = scopes[i];

			if (s >= f->nscope_index || !f->scope_ndefs[s])
				continue;
			memcpy(*out + n, f->scope_defs[s],
			       f->scope_ndefs[s] * sizeof(**out));
			n += f->scope_ndefs[s];
		}
		if (n > 1)
			qsort(*out, n, sizeof(**out), cmp_size);
		return n;
	}
	for (size_t e = 0; e < f->nenv; e++)
		if (f->env[e].role == CG_ENV_DEF &&
		    scope_in(scopes, nscopes, f->env[e].scope)) {
			CG_GROW(*out, alloc, n + 1);
			(*out)[n++] = e;
		}
	return n;
}

/* The scope where a lookup from `s` can first find something: above the
 * scopes that define and import nothing (a step without `env:`), whose
 * lookups are their parent's. */
static size_t lookup_scope(const struct cg_facts *f, size_t s)
{
	unsigned guard = 0;

	if (!indexed(f))
		return s;
	while (s != CG_NO_SCOPE && s < f->nscopes && guard++ < 64 &&
	       !f->scope_ndefs[s] && !f->scopes[s].nimports &&
	       f->scopes[s].underlay >= f->nscopes)
		s = f->scopes[s].parent;
	return s;
}

/* A step of the group, as cg_svc_seen_defs judges a candidate. */
struct step_view {
	size_t from;	/* lookup_scope of its scope */
	size_t first;	/* the first step whose lookups start there too */
	bool sees;	/* it sees the candidate */
	signed char is; /* consumes env (runs a critical command or starts
			    a process the model knows); -1: not known yet */
};

/* Per step of a group, computed when first asked: does it consume env? */
struct consumers {
	const struct cg_model *m;
	size_t group;
	struct step_view *steps;
	bool processes_done;
};

static bool consumes(struct consumers *c, size_t i, const char *name)
{
	const struct cg_script_group *g = &c->m->facts.groups[c->group];
	const struct cg_script *sc = g->items[i].script;

	if (!c->processes_done) {
		c->processes_done = true;
		for (size_t p = g->process_first; p < g->process_end; p++) {
			const struct cg_process_fact *pf =
			    &c->m->facts.processes[p];

			if (pf->origin == CG_PROCESS_CI &&
			    pf->group == c->group && pf->item < g->nitems)
				c->steps[pf->item].is = 1;
		}
	}
	if (c->steps[i].is < 0)
		c->steps[i].is = cg_svc_item_critical(c->m, g, i, NULL) != NULL;
	return c->steps[i].is ||
	       (sc && names_var(sc->sh.text, sc->sh.len, name));
}

static void add_seen(struct cg_svc_seen *out, size_t *n,
		     const struct cg_env_fact *d, size_t scope, size_t item)
{
	out[*n].def = d;
	out[*n].scope = scope;
	out[(*n)++].item = item;
}

/*
 * Steps whose lookups start in the same scope (the steps of a job without
 * `env:` of their own) see the same definitions: per candidate, one
 * lookup for each such scope.
 */
size_t cg_svc_seen_defs(const struct cg_model *m, size_t group,
			bool (*want)(const struct cg_env_fact *),
			struct cg_svc_seen **out)
{
	const struct cg_script_group *g = &m->facts.groups[group];
	size_t *scopes = NULL, nscopes = 0, alloc = 0, nout = 0;
	size_t *cand = NULL, ncand, nwant = 0;
	struct step_view *st = NULL;
	struct consumers cons = {m, group, NULL, false};

	/* every scope a step of the job sees: its own and those above */
	CG_GROW(scopes, alloc, g->nitems + 4);
	for (size_t i = 0; i <= g->nitems; i++) {
		size_t s = i < g->nitems ? g->items[i].scope : g->scope;
		unsigned guard = 0;

		while (s != CG_NO_SCOPE && s < m->facts.nscopes &&
		       guard++ < 64) {
			if (!scope_in(scopes, nscopes, s)) {
				if (nscopes == alloc)
					CG_GROW(scopes, alloc, nscopes + 1);
				scopes[nscopes++] = s;
			}
			s = m->facts.scopes[s].parent;
		}
	}
	ncand = candidates(m, scopes, nscopes, &cand);
	/* the candidates `want` accepts, in order; often none (secrets) */
	for (size_t ci = 0; ci < ncand; ci++)
		if (!want || want(&m->facts.env[cand[ci]]))
			cand[nwant++] = cand[ci];
	*out = NULL;
	if (!nwant)
		goto out;
	*out = cg_xcalloc(nwant, sizeof(**out));
	cons.steps = st = cg_xcalloc(g->nitems + 1, sizeof(*st));
	for (size_t i = 0; i < g->nitems; i++) {
		st[i].from = lookup_scope(&m->facts, g->items[i].scope);
		st[i].first = i;
		st[i].is = -1;
		for (size_t k = 0; k < i; k++)
			if (st[k].from == st[i].from) {
				st[i].first = k;
				break;
			}
	}
	for (size_t ci = 0; ci < nwant; ci++) {
		const struct cg_env_fact *d = &m->facts.env[cand[ci]];
		size_t nsee = 0, seen_first = CG_NO_INDEX, hit = CG_NO_INDEX;

		if (!g->nitems) {
			if (cg_env_lookup(m, g->scope, d->name) == d)
				add_seen(*out, &nout, d, g->scope, CG_NO_INDEX);
			continue;
		}
		for (size_t i = 0; i < g->nitems; i++) {
			st[i].sees =
			    st[i].first < i
				? st[st[i].first].sees
				: cg_env_lookup(m, st[i].from, d->name) == d;
			if (st[i].sees && seen_first == CG_NO_INDEX)
				seen_first = i;
			nsee += st[i].sees;
		}
		if (!nsee)
			continue;
		if (nsee == g->nitems) { /* no step overrides it */
			add_seen(*out, &nout, d, g->items[0].scope, 0);
			continue;
		}
		/* seen when a consumer of the name sees it, or when no step
		 * consumes it at all */
		for (size_t i = 0; i < g->nitems && hit == CG_NO_INDEX; i++)
			if (st[i].sees && consumes(&cons, i, d->name))
				hit = i;
		if (hit == CG_NO_INDEX) {
			hit = seen_first;
			for (size_t i = 0; i < g->nitems; i++)
				if (!st[i].sees &&
				    consumes(&cons, i, d->name)) {
					hit = CG_NO_INDEX;
					break;
				}
		}
		if (hit != CG_NO_INDEX)
			add_seen(*out, &nout, d, g->items[hit].scope, hit);
	}
out:
	free(scopes);
	free(cand);
	free(st);
	return nout;
}

/* ----------------------------------------------------------- kinds */

static bool group_has_kind(const struct cg_model *m,
			   const struct cg_script_group *g,
			   enum cg_service_kind k)
{
	for (size_t i = 0; i < g->nservices; i++)
		if (m->facts.services[g->services[i]].kind == k)
			return true;
	return false;
}

/* May a URL of `ep` stand for a service of kind `k`? */
static bool scheme_fits(const struct cg_svc_endpoint *ep,
			enum cg_service_kind k)
{
	if (!ep || !ep->scheme[0])
		return !ep || ep->network;
	if (!ep->network)
		return false;
	if (ep->http)
		return k == CG_SERVICE_WIREMOCK;
	return ep->scheme_kind == k;
}

enum cg_service_kind
cg_svc_def_kind(const struct cg_model *m, const struct cg_script_group *g,
		const struct cg_env_fact *def, const struct cg_svc_endpoint *ep,
		enum cg_svc_names which, enum cg_svc_role *role, bool *by_name)
{
	*role = CG_SVC_NONE;
	if (by_name)
		*by_name = false;
	for (size_t i = 0; i < g->nservices; i++) {
		enum cg_service_kind k = m->facts.services[g->services[i]].kind;
		bool needs;
		enum cg_svc_role r;

		if (k == CG_SERVICE_OTHER || k == CG_SERVICE_APP)
			continue;
		r = cg_svc_var_role(m, k, def->name, which, &needs);
		if (r == CG_SVC_NONE)
			continue;
		if (r == CG_SVC_URL && !scheme_fits(ep, k))
			continue;
		if (needs && (!ep || ep->scheme_kind != k))
			continue;
		*role = r;
		if (by_name)
			*by_name = true;
		return k;
	}
	if (ep && ep->network && ep->scheme_kind != CG_SERVICE_OTHER &&
	    group_has_kind(m, g, ep->scheme_kind)) {
		*role = CG_SVC_URL;
		return ep->scheme_kind;
	}
	return CG_SERVICE_OTHER;
}

void cg_svc_ref_text(const struct cg_env_fact *def, struct cg_buf *out)
{
	const char *ref = def->ref;

	if (ref &&
	    (cg_starts_with(ref, "secrets.") || cg_starts_with(ref, "vars.")))
		cg_buf_addf(out, "`${{ %s }}`", ref);
	else if (ref)
		cg_buf_addf(out, "the CI/CD variable `$%s`", ref);
	else
		cg_buf_addstr(out, "a secret");
}

/* ------------------------------------------------------------- walk */

struct walk {
	cg_svc_visit_fn fn;
	void *ud;
	unsigned depth;
};

static bool walk_script(struct walk *w, const struct cg_script *s,
			struct cg_svc_at at);

static bool word_is(const struct cg_sh_word *w, const char *s)
{
	return !w->expands && !strcmp(w->text, s);
}

/* A `sleep` among the commands of `l` (not inside nested loops). */
static bool list_sleeps(const struct cg_sh_list *l, unsigned depth)
{
	if (!l || depth > 8)
		return false;
	for (size_t i = 0; i < l->n; i++)
		for (size_t p = 0; p < l->items[i].n; p++)
			for (size_t k = 0; k < l->items[i].pipes[p].n; k++) {
				const struct cg_sh_cmd *c =
				    &l->items[i].pipes[p].cmds[k];

				if (c->kind == CG_SH_SIMPLE && c->nwords &&
				    word_is(&c->words[0], "sleep"))
					return true;
				if (c->kind == CG_SH_IF ||
				    c->kind == CG_SH_GROUP ||
				    c->kind == CG_SH_SUBSHELL)
					for (int b = 0; b < 3; b++)
						if (list_sleeps(c->body[b],
								depth + 1))
							return true;
			}
	return false;
}

static bool to_github_env(const struct cg_sh_cmd *c)
{
	for (size_t i = 0; i < c->nredirs; i++)
		if ((c->redirs[i].kind == CG_SH_REDIR_APPEND ||
		     c->redirs[i].kind == CG_SH_REDIR_OUT) &&
		    strstr(c->redirs[i].target.text, "GITHUB_ENV"))
			return true;
	return false;
}

static bool walk_list(struct walk *w, const struct cg_script *s,
		      const struct cg_sh_list *l, struct cg_svc_at at);

static bool walk_cmd(struct walk *w, const struct cg_script *s,
		     const struct cg_sh_cmd *c, struct cg_svc_at at)
{
	if (c->kind == CG_SH_SIMPLE) {
		const struct cg_nested_script *sub, *nested;
		size_t nsub = 0;

		sub = cg_script_substs(s, c, &nsub);
		for (size_t i = 0; sub && i < nsub; i++)
			if (!walk_script(w, sub[i].script, at))
				return false;
		nested = cg_script_nested_at(s, c);
		if (nested && nested->kind != CG_NESTED_SUBST &&
		    nested->kind != CG_NESTED_TRAP &&
		    !walk_script(w, nested->script, at))
			return false;
		return w->fn(w->ud, s, c, &at);
	}
	if (to_github_env(c))
		at.github_env = true;
	if ((c->kind == CG_SH_WHILE || c->kind == CG_SH_UNTIL ||
	     c->kind == CG_SH_FOR) &&
	    list_sleeps(c->body[1], 0))
		at.retry = true;
	for (int b = 0; b < 3; b++)
		if (c->body[b] && !walk_list(w, s, c->body[b], at))
			return false;
	for (size_t a = 0; a < c->narms; a++)
		if (!walk_list(w, s, c->arms[a], at))
			return false;
	return true;
}

static bool walk_list(struct walk *w, const struct cg_script *s,
		      const struct cg_sh_list *l, struct cg_svc_at at)
{
	bool go = true;

	if (!l || ++w->depth > 200) {
		w->depth--;
		return true;
	}
	for (size_t i = 0; go && i < l->n; i++)
		for (size_t p = 0; go && p < l->items[i].n; p++)
			for (size_t k = 0; go && k < l->items[i].pipes[p].n;
			     k++)
				go = walk_cmd(
				    w, s, &l->items[i].pipes[p].cmds[k], at);
	w->depth--;
	return go;
}

static bool walk_script(struct walk *w, const struct cg_script *s,
			struct cg_svc_at at)
{
	if (!s || w->depth > 200)
		return true;
	return walk_list(w, s, s->sh.top, at);
}

bool cg_svc_walk(const struct cg_script *s, cg_svc_visit_fn fn, void *ud)
{
	struct walk w = {fn, ud, 0};
	struct cg_svc_at at = {false, false};

	return walk_script(&w, s, at);
}

struct seen_list {
	struct cg_svc_seen *seen;
	size_t n;
};

static void *seen_all(const struct cg_model *m, size_t group)
{
	struct seen_list *l = cg_xcalloc(1, sizeof(*l));

	l->n = cg_svc_seen_defs(m, group, NULL, &l->seen);
	return l;
}

static void seen_free(void *v)
{
	struct seen_list *l = v;

	free(l->seen);
	free(l);
}

size_t cg_svc_seen_defs_memo(struct cg_rule_ctx *ctx, size_t group,
			     bool (*want)(const struct cg_env_fact *),
			     struct cg_svc_seen **out)
{
	const struct cg_model *m = cg_rule_model(ctx);
	const struct seen_list *l =
	    cg_rule_memo(ctx, CG_MEMO_SEEN_DEFS, group, m->facts.ngroups,
			 seen_all, seen_free);
	size_t n = 0;

	if (!l)
		return cg_svc_seen_defs(m, group, want, out);
	*out = NULL;
	for (size_t i = 0; i < l->n; i++)
		if (!want || want(l->seen[i].def)) {
			if (!*out)
				*out = cg_xcalloc(l->n, sizeof(**out));
			(*out)[n++] = l->seen[i];
		}
	return n;
}

void cg_svc_judge_seen(struct cg_rule_ctx *ctx, const struct cg_model *m,
		       bool (*want)(const struct cg_env_fact *),
		       cg_svc_judge_fn judge)
{
	unsigned char *done = cg_xcalloc(m->facts.nenv + 1, 1);

	for (size_t gi = 0; gi < m->facts.ngroups; gi++) {
		const struct cg_script_group *g = &m->facts.groups[gi];
		struct cg_svc_seen *seen;
		size_t n;

		if (!g->nservices)
			continue;
		n = cg_svc_seen_defs_memo(ctx, gi, want, &seen);
		for (size_t i = 0; i < n; i++)
			judge(ctx, m, g, &seen[i], done);
		free(seen);
	}
	free(done);
}
