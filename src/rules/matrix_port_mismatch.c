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

/* Read `d`'s host and port; false when either is not known. */
/* The services the rule holds URLs against, listed once per check: a
 * repository's CI service containers, which it never reads, can be
 * thousands. */
struct services {
	const struct cg_service_fact **compose, **k8s;
	size_t ncompose, nk8s;
	const char *single_ns; /* see single_ns() */
};

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

/* A compose file that can be the stack an env file of `env_path`
 * describes: in its folder, above it, or below it (a monorepo's
 * `services/api/.env.example` and `docker-compose.yml`, a root
 * `.env.example` and `docker/compose.yml`), not a sibling project's. */
static bool related(const char *env_path, const char *compose_path)
{
	size_t e = dir_len(env_path), c = dir_len(compose_path);

	return !strncmp(env_path, compose_path, e < c ? e : c);
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
	size_t n = 0;

	*match = false;
	*first = NULL;
	*first_port = NULL;
	for (size_t i = 0; i < sv->ncompose; i++) {
		const struct cg_service_fact *s = sv->compose[i];

		if (cg_matrix_service_kind(m, s) != k ||
		    !related(env_path, s->src->path))
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
	for (size_t i = 0; i < sv->ncompose; i++) {
		s = sv->compose[i];
		if (cg_matrix_service_kind(m, s) != j->kind ||
		    !related(j->def->src->path, s->src->path) ||
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

static void judge_production(struct cg_rule_ctx *ctx, const struct services *sv,
			     const struct judged *j)
{
	const struct cg_service_fact *other = NULL;
	const char *want;
	char *ns;

	for (size_t i = 0; i < sv->nk8s; i++) {
		const struct cg_service_fact *s = sv->k8s[i];
		struct cg_buf ports = CG_BUF_INIT;
		bool ok = false;

		if (!is_host_of(s, j->host))
			continue;
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
	for (size_t i = 0; want && i < sv->nk8s && !other; i++) {
		const struct cg_service_fact *s = sv->k8s[i];

		if (s->kind == j->kind && !strcmp(ns_of(s), want))
			other = s;
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
