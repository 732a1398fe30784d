/*
 * matrix-port-mismatch (full layer, error): within one environment, a
 * service's URL disagrees with where that environment publishes the
 * service.
 *
 *   local: a URL of an example env file (.env.example; the app runs on
 *     the host) against the compose services of that kind: with a local
 *     host its port must be a host port compose publishes (`"6380:6379"`:
 *     6380); with a compose service's name as host (the file is also an
 *     env_file for containers) a port the container listens on. Not
 *     judged: a service compose publishes nowhere (an override file or
 *     `-p` may), another host, compose files of a sibling folder (another
 *     project of a monorepo).
 *   production: a URL of a Kubernetes container (or ConfigMap) against
 *     the repository's Services: a host that names a Service (`name`,
 *     `name.ns`, `name.ns.svc`, `name.ns.svc.cluster.local`) must use one
 *     of its `port`s (not the pod's targetPort); an in-cluster host
 *     (`name.ns.svc...`, or a bare `name` when all the repository's
 *     Services are in one namespace, as the consumer's namespace is not
 *     known) that names no Service, while the repository has a Service of
 *     that kind in that namespace, names the wrong one.
 *   CI: not judged here. service-url-mismatch already judges every URL a
 *     CI job's steps see against that job's own service containers (host
 *     and port, runner or container job, GitHub and GitLab); a job is the
 *     only scope where CI env and CI services meet, so this rule adds
 *     nothing there and would report the same value twice.
 *
 * A value from a secret, or with a host or port that is not literal, is
 * not judged. The finding points at the variable.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rules/rule.h"
#include "model/matrix.h"
#include "core/banned.h"

struct judged {
	const struct cg_env_fact *def;
	enum cg_service_kind kind;
	enum cg_svc_role role;
	char *host;
	unsigned port;
	bool port_implied;
};

/* A compose service's folder (its file's, with the '/'; "" at the
 * root) and its index in services.compose. */
struct compose_dir {
	const char *dir;
	size_t len, i;
};

/* The services the rule holds URLs against, listed once per check: a
 * repository's CI service containers, which it never reads, can be
 * thousands. The indexes answer "which services could this URL mean"
 * without reading them all for each URL: a repository of thousands of
 * services has thousands of URLs. */
struct services {
	const struct cg_service_fact **compose, **k8s;
	size_t ncompose, nk8s;
	const char *single_ns;	    /* see single_ns() */
	struct compose_dir *dirs;   /* ncompose of them, sorted by folder */
	struct cg_strmap k8s_hosts; /* a host (any case) -> first k8s index */
	/* per kind: a namespace -> its first Service of that kind */
	struct cg_strmap k8s_ns[CG_SERVICE_APP + 1];
	size_t *cand; /* scratch: the compose services of one env file */
};

/* Read `d`'s host and port; false when either is not known. */
static bool read_def(const struct cg_model *m, const struct cg_env_fact *d,
		     struct judged *j)
{
	struct cg_svc_endpoint ep;

	memset(j, 0, sizeof(*j));
	j->def = d;
	if (d->value_kind == CG_VALUE_SECRET || !d->value || !*d->value)
		return false;
	j->kind = cg_matrix_def_kind(m, d, &j->role);
	if (j->kind == CG_SERVICE_OTHER || j->role != CG_SVC_URL)
		return false;
	if (!cg_svc_endpoint_read(m, NULL, d->scope, d->value,
				  cg_matrix_value_expands(m, d), &ep))
		return false;
	if (ep.network && !ep.from_secret && ep.host && ep.port) {
		j->host = ep.host;
		ep.host = NULL;
		j->port = ep.port;
		j->port_implied = ep.port_implied;
	}
	cg_svc_endpoint_release(&ep);
	return j->host != NULL;
}

static bool is_host_of(const struct cg_service_fact *s, const char *host)
{
	for (size_t i = 0; i < s->nhosts; i++)
		if (s->hosts[i] && !strcasecmp(s->hosts[i], host))
			return true;
	return false;
}

static bool listens_on(const struct cg_service_fact *s,
		       enum cg_service_kind kind, unsigned port)
{
	bool known = false;

	for (size_t i = 0; i < s->nports; i++) {
		if (s->ports[i].container == port)
			return true;
		known |= s->ports[i].container != 0;
	}
	if (!known)
		return cg_service_default_port(kind) == port ||
		       !cg_service_default_port(kind);
	return false;
}

/* The folder of `path`, its length (with the '/'); 0 at the root. */
static size_t dir_len(const char *path)
{
	return (size_t)(cg_path_base(path) - path);
}

static int cmp_dir(const void *a, const void *b)
{
	const struct compose_dir *x = a, *y = b;
	int r = memcmp(x->dir, y->dir, x->len < y->len ? x->len : y->len);

	if (r)
		return r;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* The first entry of sv->dirs whose folder sorts at or after
 * dir[0, len). */
static size_t dir_lower(const struct services *sv, const char *dir, size_t len)
{
	size_t lo = 0, hi = sv->ncompose;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct compose_dir *d = &sv->dirs[mid];
		int r = memcmp(d->dir, dir, d->len < len ? d->len : len);

		if (r < 0 || (!r && d->len < len))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * The compose files that can be the stack an env file of `env_path`
 * describes: in its folder, above it, or below it (a monorepo's
 * `services/api/.env.example` and `docker-compose.yml`, a root
 * `.env.example` and `docker/compose.yml`), not a sibling project's.
 * Their services' indexes in sv->cand, in services.compose order; their
 * number.
 */
static size_t related(const struct services *sv, const char *env_path)
{
	size_t e = dir_len(env_path), n = 0;

	/* its folder and those below it: the folders that start with it */
	for (size_t k = dir_lower(sv, env_path, e);
	     k < sv->ncompose && sv->dirs[k].len >= e &&
	     !memcmp(sv->dirs[k].dir, env_path, e);
	     k++)
		sv->cand[n++] = sv->dirs[k].i;
	/* the folders above it, each one exactly */
	for (size_t p = e; p-- > 0;) {
		if (p && env_path[p - 1] != '/')
			continue;
		for (size_t k = dir_lower(sv, env_path, p);
		     k < sv->ncompose && sv->dirs[k].len == p &&
		     !memcmp(sv->dirs[k].dir, env_path, p);
		     k++)
			sv->cand[n++] = sv->dirs[k].i;
	}
	qsort(sv->cand, n, sizeof(*sv->cand), cg_cmp_size);
	return n;
}

/* "6380 (docker-compose.yml:63)", "6380 or 6381" of compose services of
 * kind `k`; the first publishing service in *first. */
static size_t published_text(const struct cg_model *m,
			     const struct services *sv, const char *env_path,
			     enum cg_service_kind k, unsigned port, bool *match,
			     struct cg_buf *out,
			     const struct cg_service_fact **first,
			     const struct cg_port_map **first_port)
{
	size_t n = 0, ncand = related(sv, env_path);

	*match = false;
	*first = NULL;
	*first_port = NULL;
	for (size_t c = 0; c < ncand; c++) {
		const struct cg_service_fact *s = sv->compose[sv->cand[c]];

		if (cg_matrix_service_kind(m, s) != k)
			continue;
		for (size_t p = 0; p < s->nports; p++) {
			if (!s->ports[p].published)
				continue;
			if (s->ports[p].published == port)
				*match = true;
			if (!*first) {
				*first = s;
				*first_port = &s->ports[p];
			}
			cg_buf_addf(out, "%s%u", n++ ? " or " : "",
				    s->ports[p].published);
		}
	}
	return n;
}

static void judge_local(struct cg_rule_ctx *ctx, const struct cg_model *m,
			const struct services *sv, const struct judged *j)
{
	struct cg_buf ports = CG_BUF_INIT;
	const struct cg_service_fact *s;
	const struct cg_port_map *pm;
	bool match;

	if (cg_svc_host_is_local(j->host)) {
		if (published_text(m, sv, j->def->src->path, j->kind, j->port,
				   &match, &ports, &s, &pm) &&
		    !match)
			cg_report(
			    ctx, j->def->src, &j->def->pos, j->def->name, NULL,
			    "`%s` in %s points at %s:%u, but compose "
			    "publishes %s on host port %s (%s:%u): "
			    "the app on the host cannot reach it",
			    j->def->name, j->def->src->path, j->host, j->port,
			    s->name, ports.buf, s->src->path, pm->pos.line);
		cg_buf_release(&ports);
		return;
	}
	for (size_t c = 0, ncand = related(sv, j->def->src->path); c < ncand;
	     c++) {
		s = sv->compose[sv->cand[c]];
		if (cg_matrix_service_kind(m, s) != j->kind ||
		    !is_host_of(s, j->host))
			continue;
		if (!listens_on(s, j->kind, j->port))
			cg_report(ctx, j->def->src, &j->def->pos, j->def->name,
				  NULL,
				  "`%s` in %s points at %s:%u, but the compose "
				  "service `%s` (%s:%u) listens on port %u "
				  "in its container",
				  j->def->name, j->def->src->path, j->host,
				  j->port, s->name, s->src->path, s->pos.line,
				  cg_svc_container_port(s));
		break;
	}
	cg_buf_release(&ports);
}

/* The namespace in an in-cluster host (`name.ns.svc...`), or "" for a
 * bare name; NULL when the host is not an in-cluster name. */
static char *in_cluster_ns(const char *host)
{
	const char *dot = strchr(host, '.'), *svc;

	if (!dot)
		return cg_xstrdup("");
	svc = strstr(dot + 1, ".svc");
	if (!svc || (svc[4] != '\0' && strcmp(svc + 4, ".cluster.local")))
		return NULL;
	return cg_xstrndup(dot + 1, (size_t)(svc - dot - 1));
}

/* The Service's namespace, from its `name.ns` host ("" when unknown). */
static const char *ns_of(const struct cg_service_fact *s)
{
	size_t n = strlen(s->name);

	if (s->nhosts > 1 && !strncmp(s->hosts[1], s->name, n) &&
	    s->hosts[1][n] == '.')
		return s->hosts[1] + n + 1;
	return "";
}

/*
 * A bare name resolves in the consumer's own namespace, which the facts
 * do not say: it is known only when every Service of the repository is
 * in one namespace. That one, or NULL.
 */
static const char *single_ns(const struct services *sv)
{
	const char *ns = NULL;

	for (size_t i = 0; i < sv->nk8s; i++) {
		const struct cg_service_fact *s = sv->k8s[i];

		if (ns && strcmp(ns, ns_of(s)))
			return NULL;
		ns = ns_of(s);
	}
	return ns;
}

static void index_services(struct services *sv)
{
	sv->dirs = cg_xcalloc(sv->ncompose + 1, sizeof(*sv->dirs));
	sv->cand = cg_xcalloc(sv->ncompose + 1, sizeof(*sv->cand));
	for (size_t i = 0; i < sv->ncompose; i++) {
		sv->dirs[i].dir = sv->compose[i]->src->path;
		sv->dirs[i].len = dir_len(sv->compose[i]->src->path);
		sv->dirs[i].i = i;
	}
	qsort(sv->dirs, sv->ncompose, sizeof(*sv->dirs), cmp_dir);
	cg_strmap_init(&sv->k8s_hosts, true);
	for (size_t i = 0; i < sv->nk8s; i++) {
		const struct cg_service_fact *s = sv->k8s[i];
		const char *ns = ns_of(s);

		for (size_t h = 0; h < s->nhosts; h++)
			if (s->hosts[h])
				cg_strmap_put(&sv->k8s_hosts, s->hosts[h],
					      strlen(s->hosts[h]), i);
		if (s->kind <= CG_SERVICE_APP)
			cg_strmap_put(&sv->k8s_ns[s->kind], ns, strlen(ns), i);
	}
}

static void judge_production(struct cg_rule_ctx *ctx, const struct services *sv,
			     const struct judged *j)
{
	const struct cg_service_fact *other = NULL;
	size_t named = cg_strmap_get(&sv->k8s_hosts, j->host, strlen(j->host));
	const char *want;
	char *ns;

	if (named != CG_NO_INDEX) {
		const struct cg_service_fact *s = sv->k8s[named];
		struct cg_buf ports = CG_BUF_INIT;
		bool ok = false;

		/* a bare name may be another namespace's Service */
		if (!strchr(j->host, '.') && !sv->single_ns)
			return;
		for (size_t p = 0; p < s->nports; p++) {
			ok |= s->ports[p].container == j->port;
			if (s->ports[p].container)
				cg_buf_addf(&ports, "%s%u", p ? " or " : "",
					    s->ports[p].container);
		}
		if (!ok && ports.len)
			cg_report(ctx, j->def->src, &j->def->pos, j->def->name,
				  NULL,
				  "`%s` points at %s:%u, but the Service "
				  "`%s` (%s:%u) listens on port %s%s",
				  j->def->name, j->host, j->port, s->name,
				  s->src->path, s->pos.line, ports.buf,
				  j->port_implied ? " (the URL names no port: "
						    "its scheme's default)"
						  : "");
		cg_buf_release(&ports);
		return;
	}
	if (cg_svc_host_is_local(j->host) || !(ns = in_cluster_ns(j->host)))
		return;
	want = *ns ? ns : sv->single_ns;
	if (want) {
		size_t k =
		    cg_strmap_get(&sv->k8s_ns[j->kind], want, strlen(want));

		other = k != CG_NO_INDEX ? sv->k8s[k] : NULL;
	}
	if (other)
		cg_report(ctx, j->def->src, &j->def->pos, j->def->name, NULL,
			  "`%s` points at %s, but no Service of the "
			  "repository has that name; its %s Service is `%s` "
			  "(%s:%u)",
			  j->def->name, j->host, cg_service_kind_name(j->kind),
			  other->name, other->src->path, other->pos.line);
	free(ns);
}

static void check(struct cg_rule_ctx *ctx, const struct cg_model *m)
{
	struct services sv = {0};

	sv.compose = cg_xcalloc(m->facts.nservices + 1, sizeof(*sv.compose));
	sv.k8s = cg_xcalloc(m->facts.nservices + 1, sizeof(*sv.k8s));
	for (size_t i = 0; i < m->facts.nservices; i++) {
		const struct cg_service_fact *s = &m->facts.services[i];

		if (s->place == CG_PLACE_COMPOSE)
			sv.compose[sv.ncompose++] = s;
		else if (s->place == CG_PLACE_K8S)
			sv.k8s[sv.nk8s++] = s;
	}
	sv.single_ns = single_ns(&sv);
	index_services(&sv);
	for (size_t i = 0; i < m->facts.nenv; i++) {
		const struct cg_env_fact *d = &m->facts.env[i];
		struct judged j;

		if (d->role != CG_ENV_DEF ||
		    (d->place != CG_PLACE_ENV_EXAMPLE &&
		     d->place != CG_PLACE_K8S))
			continue;
		if (!read_def(m, d, &j))
			continue;
		if (d->place == CG_PLACE_ENV_EXAMPLE)
			judge_local(ctx, m, &sv, &j);
		else
			judge_production(ctx, &sv, &j);
		free(j.host);
	}
	free(sv.compose);
	free(sv.k8s);
	free(sv.dirs);
	free(sv.cand);
	cg_strmap_release(&sv.k8s_hosts);
	for (size_t k = 0; k <= CG_SERVICE_APP; k++)
		cg_strmap_release(&sv.k8s_ns[k]);
}

const struct cg_rule cg_rule_matrix_port_mismatch = {
    .id = "matrix-port-mismatch",
    .layer = CG_LAYER_FULL,
    .severity = CG_SEV_ERROR,
    .summary = "within one environment, a service's URL disagrees with "
	       "where that environment publishes the service",
    .explain =
	"Each environment says twice where a service is: once in the URL "
	"the application gets, once where the service is published. When "
	"the two disagree the application cannot connect, and only in that "
	"environment.\n"
	"\n"
	"Local development: a URL in .env.example (the app on the host) "
	"must use a host port that compose publishes for that kind of "
	"service (`\"6380:6379\"` publishes 6380; `${REDIS_PORT:-6380}` "
	"is read from the project's .env, else .env.example, else the "
	"default), or, with a compose "
	"service name as host, the port it listens on in its container. "
	"Production: a URL of a Kubernetes container whose host names a "
	"Service of the repository must use one of the Service's `port`s "
	"(not the pod's targetPort); an in-cluster host that names no "
	"Service, where the repository has a Service of that kind in that "
	"namespace, names the wrong Service. CI is left to "
	"service-url-mismatch, which judges every URL a job's steps see "
	"against that job's service containers; this rule does not report "
	"those again. Values from secrets, and hosts or ports that are not "
	"literal, are not judged.\n"
	"\n"
	"Bad:\n"
	"\n"
	"    # docker-compose.yml\n"
	"    redis:\n"
	"      image: redis:7\n"
	"      ports: [\"6380:6379\"]\n"
	"    # .env.example\n"
	"    REDIS_URL=redis://localhost:6379/0\n"
	"\n"
	"Good:\n"
	"\n"
	"    # .env.example\n"
	"    REDIS_URL=redis://localhost:6380/0\n",
    .hint = "use the host port compose publishes (or the Service's port); "
	    "`ciguard matrix` shows each environment's values",
    .check = check,
};
