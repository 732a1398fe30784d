/*
 * The service connectivity matrix (see matrix.h): one pass over the env
 * table (variables that point at a kind of service), one over the service
 * table (where each service is published), each value put in the cell of
 * its row and environment with a rank that orders the cell. Values read
 * through model/service_vars.c, as the service rules read them.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "model/matrix.h"
#include "core/banned.h"

static const enum cg_service_kind kinds[] = {
    CG_SERVICE_REDIS, CG_SERVICE_POSTGRES, CG_SERVICE_WIREMOCK,
    CG_SERVICE_MYSQL, CG_SERVICE_RABBITMQ,
};
#define NKINDS (sizeof(kinds) / sizeof(*kinds))

int cg_matrix_column(enum cg_environment e)
{
	switch (e) {
	case CG_ENVIRONMENT_CI:
		return 0;
	case CG_ENVIRONMENT_LOCAL:
		return 1;
	case CG_ENVIRONMENT_PRODUCTION:
		return 2;
	default:
		return -1;
	}
}

enum cg_environment cg_matrix_environment(int col)
{
	static const enum cg_environment e[CG_MATRIX_NENV] = {
	    CG_ENVIRONMENT_CI, CG_ENVIRONMENT_LOCAL, CG_ENVIRONMENT_PRODUCTION};

	return col >= 0 && col < CG_MATRIX_NENV ? e[col] : CG_ENVIRONMENT_NONE;
}

static bool known_kind(enum cg_service_kind k)
{
	for (size_t i = 0; i < NKINDS; i++)
		if (kinds[i] == k)
			return true;
	return false;
}

static struct cg_matrix_row *row_for(struct cg_matrix *mx,
				     enum cg_service_kind k, const char *name)
{
	const char *want = known_kind(k) ? cg_service_kind_name(k) : name;
	struct cg_matrix_row *r;

	for (size_t i = 0; i < mx->n; i++)
		if (!strcmp(mx->rows[i].service, want))
			return &mx->rows[i];
	CG_GROW(mx->rows, mx->alloc, mx->n + 1);
	r = &mx->rows[mx->n++];
	memset(r, 0, sizeof(*r));
	r->service = cg_xstrdup(want);
	r->kind = known_kind(k) || k == CG_SERVICE_APP ? k : CG_SERVICE_OTHER;
	return r;
}

/* Add `v` to its cell, after the values of the same or a lower rank. */
static void add(struct cg_matrix *mx, enum cg_service_kind k, const char *name,
		enum cg_environment e, const struct cg_matrix_value *v)
{
	int col = cg_matrix_column(e);
	struct cg_matrix_cell *c;
	size_t at;

	if (col < 0) {
		free(v->host);
		return;
	}
	c = &row_for(mx, k, name)->cells[col];
	/* one value written once, seen twice (a compose `x-` anchor merged
	 * into two services) */
	for (size_t i = 0; i < c->n; i++) {
		const struct cg_matrix_value *o = &c->values[i];

		if (o->src == v->src && o->pos.line == v->pos.line &&
		    o->pos.col == v->pos.col && o->port == v->port &&
		    !o->secret == !v->secret && !o->host == !v->host &&
		    (!o->host || !strcmp(o->host, v->host))) {
			free(v->host);
			return;
		}
	}
	CG_GROW(c->values, c->alloc, c->n + 1);
	for (at = c->n; at > 0 && c->values[at - 1].rank > v->rank; at--)
		;
	memmove(&c->values[at + 1], &c->values[at],
		(c->n - at) * sizeof(*c->values));
	c->values[at] = *v;
	c->n++;
}

/* ------------------------------------------------------------ env */

/* The kind a URL's scheme names (redis://, postgresql+psycopg://,
 * mysql://), else OTHER. */
static enum cg_service_kind scheme_kind(const struct cg_model *m,
					const char *value)
{
	struct cg_svc_endpoint ep;
	enum cg_service_kind k = CG_SERVICE_OTHER;

	if (!value || !strstr(value, "://") ||
	    !cg_svc_endpoint_read(m, NULL, CG_NO_SCOPE, value, false, &ep))
		return CG_SERVICE_OTHER;
	if (ep.network && known_kind(ep.scheme_kind))
		k = ep.scheme_kind;
	cg_svc_endpoint_release(&ep);
	return k;
}

enum cg_service_kind cg_matrix_def_kind(const struct cg_model *m,
					const struct cg_env_fact *def,
					enum cg_svc_role *role)
{
	enum cg_service_kind by_scheme = scheme_kind(m, def->value);

	*role = CG_SVC_NONE;
	/* the scheme says what the URL is, whatever the name suggests:
	 * DATABASE_URL=mysql://... points at MySQL */
	if (by_scheme != CG_SERVICE_OTHER) {
		*role = CG_SVC_URL;
		return by_scheme;
	}
	for (size_t i = 0; i < NKINDS; i++) {
		bool needs_scheme;
		enum cg_svc_role r = cg_svc_var_role(
		    m, kinds[i], def->name, CG_SVC_NAMES_ALL, &needs_scheme);

		/* CELERY_BROKER_URL, CACHE_URL: only with the kind's scheme,
		 * which would have answered above */
		if (r == CG_SVC_NONE || needs_scheme)
			continue;
		*role = r;
		return kinds[i];
	}
	return CG_SERVICE_OTHER;
}

enum cg_service_kind cg_matrix_service_kind(const struct cg_model *m,
					    const struct cg_service_fact *s)
{
	(void)m;
	return s->dir_kind;
}

static const struct cg_script_group *group_of(const struct cg_model *m,
					      size_t scope);

bool cg_matrix_value_expands(const struct cg_model *m,
			     const struct cg_env_fact *d)
{
	const struct cg_script_group *g;

	switch (d->place) {
	case CG_PLACE_COMPOSE:
	case CG_PLACE_ENV_EXAMPLE:
	case CG_PLACE_DOTENV:
		return true;
	case CG_PLACE_CI:
		g = group_of(m, d->scope);
		return g && g->kind == CG_GROUP_GITLAB_JOB;
	default:
		return false;
	}
}

/* A CI job that sees env scope `scope` (inside it or around it), to read
 * its values as that job does; NULL when none. */
static const struct cg_script_group *group_of(const struct cg_model *m,
					      size_t scope)
{
	for (size_t i = 0; i < m->facts.ngroups; i++) {
		const struct cg_script_group *g = &m->facts.groups[i];

		if (cg_scope_within(m, g->scope, scope) ||
		    cg_scope_within(m, scope, g->scope))
			return g;
	}
	return NULL;
}

static unsigned port_number(const char *s)
{
	char *end;
	unsigned long v;

	if (!s || !isdigit((unsigned char)*s))
		return 0;
	v = strtoul(s, &end, 10);
	return *end == '\0' && v >= 1 && v <= 65535 ? (unsigned)v : 0;
}

static unsigned env_rank(const struct cg_model *m, const struct cg_env_fact *d)
{
	const struct cg_scope *s = &m->facts.scopes[d->scope];

	switch (d->place) {
	case CG_PLACE_ENV_EXAMPLE:
		return 0;
	case CG_PLACE_DOTENV:
		return 1;
	case CG_PLACE_COMPOSE:
		return 3;
	case CG_PLACE_K8S:
		return s->kind == CG_SCOPE_K8S_CONFIG ? 1 : 0;
	default:
		return 0;
	}
}

/* The value `d` gives, into `v`; false when it says nothing of where. */
static bool env_value(const struct cg_model *m, const struct cg_env_fact *d,
		      enum cg_svc_role role, struct cg_matrix_value *v)
{
	const struct cg_script_group *g =
	    d->place == CG_PLACE_CI ? group_of(m, d->scope) : NULL;

	memset(v, 0, sizeof(*v));
	v->origin = CG_MATRIX_FROM_ENV;
	v->def = d;
	v->src = d->src;
	v->pos = d->pos;
	v->rank = env_rank(m, d);
	/* the whole value from a secret; a URL with a secret password and
	 * a literal host and port says where it points */
	if (d->value_kind == CG_VALUE_SECRET &&
	    (!d->value || !strstr(d->value, "://"))) {
		v->secret = d->name;
		return true;
	}
	if (!d->value || !*d->value)
		return false;
	if (role == CG_SVC_HOST) {
		struct cg_buf partner = CG_BUF_INIT;
		const struct cg_env_fact *p = NULL;

		if (cg_svc_port_partner(d->name, &partner))
			p = cg_env_lookup(m, d->scope, partner.buf);
		cg_buf_release(&partner);
		if (p && p->value_kind == CG_VALUE_SECRET) {
			v->secret = d->name;
			return true;
		}
		if (strchr(d->value, '$') ||
		    strspn(d->value,
			   "abcdefghijklmnopqrstuvwxyz"
			   "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_:[]") !=
			strlen(d->value))
			return false;
		v->host = cg_xstrdup(d->value);
		v->port = p && p->value ? port_number(p->value) : 0;
		return true;
	}
	{
		struct cg_svc_endpoint ep;

		if (!cg_svc_endpoint_read(m, g, d->scope, d->value,
					  cg_matrix_value_expands(m, d), &ep))
			return false;
		if (!ep.network) {
			cg_svc_endpoint_release(&ep);
			return false;
		}
		if (ep.from_secret) {
			v->secret = d->name;
		} else {
			v->host = ep.host;
			ep.host = NULL;
			v->port = ep.port;
			v->port_implied = ep.port_implied;
		}
		cg_svc_endpoint_release(&ep);
		return v->host || v->secret;
	}
}

static void from_env(struct cg_matrix *mx, const struct cg_model *m)
{
	for (size_t i = 0; i < m->facts.nenv; i++) {
		const struct cg_env_fact *d = &m->facts.env[i];
		const struct cg_scope *s;
		enum cg_svc_role role;
		enum cg_service_kind k;
		struct cg_matrix_value v;

		if (d->role != CG_ENV_DEF || d->scope >= m->facts.nscopes)
			continue;
		s = &m->facts.scopes[d->scope];
		/* a service container's own env configures the service; a
		 * Dockerfile's ENV is a default of no one environment */
		if (s->kind == CG_SCOPE_CI_SERVICE || s->kind == CG_SCOPE_IMAGE)
			continue;
		k = cg_matrix_def_kind(m, d, &role);
		if (k == CG_SERVICE_OTHER ||
		    (role != CG_SVC_URL && role != CG_SVC_HOST))
			continue;
		if (env_value(m, d, role, &v))
			add(mx, k, NULL, s->environment, &v);
	}
}

/* ------------------------------------------------------- services */

static void service_value(struct cg_matrix_value *v,
			  const struct cg_service_fact *s, const char *host,
			  unsigned port, const struct cg_pos *pos,
			  unsigned rank)
{
	memset(v, 0, sizeof(*v));
	v->origin = CG_MATRIX_FROM_SERVICE;
	v->svc = s;
	v->src = s->src;
	v->pos = pos ? *pos : s->pos;
	v->host = cg_xstrdup(host);
	v->port = port;
	v->rank = rank;
}

static void from_ci_service(struct cg_matrix *mx, const struct cg_model *m,
			    size_t idx)
{
	const struct cg_service_fact *s = &m->facts.services[idx];

	for (size_t i = 0; i < m->facts.ngroups; i++) {
		const struct cg_script_group *g = &m->facts.groups[i];
		struct cg_buf where = CG_BUF_INIT;
		struct cg_matrix_value v;
		bool has = false;
		char *colon;

		for (size_t j = 0; j < g->nservices; j++)
			has |= g->services[j] == idx;
		if (!has || !cg_svc_expected(m, g, idx, &where) ||
		    strchr(where.buf, '$') ||
		    !(colon = strrchr(where.buf, ':'))) {
			cg_buf_release(&where);
			continue;
		}
		*colon = '\0';
		service_value(&v, s, where.buf, port_number(colon + 1), NULL,
			      1);
		add(mx, s->kind, s->name, CG_ENVIRONMENT_CI, &v);
		cg_buf_release(&where);
	}
}

/*
 * The row of a Kubernetes Service that runs no known kind: the compose
 * service built from the repository (the application) that it stands
 * for in production, when one has its name or the name of the container
 * behind it (compose `api`, Deployment container `api`, Service
 * `orders-api`); else its own name.
 */
static const char *k8s_row_name(const struct cg_model *m,
				const struct cg_service_fact *s)
{
	const char *container = s->own_scope < m->facts.nscopes
				    ? m->facts.scopes[s->own_scope].name
				    : NULL;

	for (size_t i = 0; i < m->facts.nservices; i++) {
		const struct cg_service_fact *c = &m->facts.services[i];

		if (c->place != CG_PLACE_COMPOSE || c->kind != CG_SERVICE_APP)
			continue;
		if (!strcmp(c->name, s->name) ||
		    (container && !strcmp(c->name, container)))
			return c->name;
	}
	return s->name;
}

static void from_service(struct cg_matrix *mx, const struct cg_model *m,
			 size_t idx)
{
	const struct cg_service_fact *s = &m->facts.services[idx];
	enum cg_service_kind kind = cg_matrix_service_kind(m, s);
	unsigned cport = cg_svc_container_port(s);
	struct cg_matrix_value v;

	switch (s->place) {
	case CG_PLACE_CI:
		from_ci_service(mx, m, idx);
		break;
	case CG_PLACE_COMPOSE:
		/* the main container port's host port first */
		for (int pass = 0; pass < 2; pass++)
			for (size_t i = 0; i < s->nports; i++) {
				const struct cg_port_map *p = &s->ports[i];

				if (!p->published ||
				    (p->container == cport) != !pass)
					continue;
				service_value(&v, s, "localhost", p->published,
					      &p->pos, 2);
				add(mx, kind, s->name, s->environment, &v);
			}
		/* from the other containers: its name and container port
		 * (a known kind's default when no port is mapped) */
		if (!s->nhosts)
			break;
		if (known_kind(kind) && cport) {
			service_value(&v, s, s->hosts[0], cport, NULL, 4);
			add(mx, kind, s->name, s->environment, &v);
		}
		for (size_t i = 0; i < s->nports; i++) {
			const struct cg_port_map *p = &s->ports[i];

			if (!p->container ||
			    (known_kind(kind) && p->container == cport))
				continue;
			service_value(&v, s, s->hosts[0], p->container, &p->pos,
				      4);
			add(mx, kind, s->name, s->environment, &v);
		}
		break;
	case CG_PLACE_K8S:
		for (size_t i = 0; i < s->nports; i++) {
			const struct cg_port_map *p = &s->ports[i];

			if (!p->container)
				continue;
			service_value(&v, s, s->nhosts ? s->hosts[0] : s->name,
				      p->container, &p->pos, 2);
			add(mx, s->kind, k8s_row_name(m, s), s->environment,
			    &v);
		}
		break;
	default:
		break;
	}
}

/* ------------------------------------------------------------ all */

static int cmp_row(const void *a, const void *b)
{
	const struct cg_matrix_row *x = a, *y = b;
	bool kx = known_kind(x->kind), ky = known_kind(y->kind);

	if (kx != ky)
		return kx ? -1 : 1;
	return strcmp(x->service, y->service);
}

void cg_matrix_build(struct cg_matrix *out, const struct cg_model *m)
{
	memset(out, 0, sizeof(*out));
	from_env(out, m);
	for (size_t i = 0; i < m->facts.nservices; i++)
		from_service(out, m, i);
	if (out->n > 1)
		qsort(out->rows, out->n, sizeof(*out->rows), cmp_row);
}

void cg_matrix_release(struct cg_matrix *mx)
{
	for (size_t i = 0; i < mx->n; i++) {
		for (int c = 0; c < CG_MATRIX_NENV; c++) {
			struct cg_matrix_cell *cell = &mx->rows[i].cells[c];

			for (size_t j = 0; j < cell->n; j++)
				free(cell->values[j].host);
			free(cell->values);
		}
		free(mx->rows[i].service);
	}
	free(mx->rows);
	memset(mx, 0, sizeof(*mx));
}

const struct cg_matrix_row *cg_matrix_find(const struct cg_matrix *mx,
					   const char *service)
{
	char *low = cg_xstrdup(service);
	const struct cg_matrix_row *found = NULL;
	enum cg_service_kind k;

	for (char *p = low; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	k = cg_service_kind_parse(low);
	if (!strcmp(low, "pg") || !strcmp(low, "postgis"))
		k = CG_SERVICE_POSTGRES;
	for (size_t i = 0; i < mx->n && !found; i++)
		if (!strcasecmp(mx->rows[i].service, low) ||
		    (k != CG_SERVICE_OTHER && mx->rows[i].kind == k))
			found = &mx->rows[i];
	free(low);
	return found;
}

void cg_matrix_value_text(const struct cg_matrix_value *v, struct cg_buf *out)
{
	if (v->secret) {
		cg_buf_addf(out, "secret:%s", v->secret);
		return;
	}
	if (!v->host) {
		cg_buf_addstr(out, "?");
		return;
	}
	if (strchr(v->host, ':'))
		cg_buf_addf(out, "[%s]", v->host);
	else
		cg_buf_addstr(out, v->host);
	if (v->port)
		cg_buf_addf(out, ":%u", v->port);
}
