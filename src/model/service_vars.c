/*
 * Service endpoints (see service_vars.h): which env variables point at
 * which kind of service, what a value says about the host and port it
 * reaches, and whether that reaches a service of a CI job. In the model
 * because rules, the connectivity matrix and the commands built on it all
 * read values the same way.
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

#include "model/service_vars.h"
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
	bool gitlab = r->g && r->g->kind == CG_GROUP_GITLAB_JOB;

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

	if (!r->g || (size_t)(b - a) < 13 || strncmp(p, "job.services.", 13))
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
		if (shell && p[0] == '$' && p[1] == '$' && r->g &&
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
	resolve(&r, value, shell || (g && g->kind == CG_GROUP_GITLAB_JOB), &b);
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
	bool published = false, bare = false, unknown = false;

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
		else if (s->ports[i].published_unknown)
			unknown = true;
		else if (s->ports[i].container)
			bare = true;
	}
	if (port_service != CG_NO_INDEX)
		return port_service == service ? CG_SVC_REACHES
					       : CG_SVC_WRONG_PORT;
	if (unknown)
		return CG_SVC_REACHES; /* any port may be the one */
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
		cg_buf_addstr(out, s->nhosts	      ? s->hosts[0]
				   : s->hosts_unknown ? "ALIAS"
						      : s->name);
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
