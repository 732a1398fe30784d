/*
 * service-url-mismatch: a variable that points at a kind of service (by
 * its name, or by its URL's scheme) is set, readable, and cannot reach
 * the job's service container of that kind: the wrong host for where the
 * job runs (localhost in a container job or GitLab; a service name on the
 * runner; another machine), the wrong port (the container port instead of
 * the published one on the runner, or the reverse), or a service that
 * the runner cannot reach at a known port at all (nothing published, or
 * only a bare container port, which GitHub publishes on a random port).
 *
 * A value is read as the job's consumers see it (service_vars.h):
 * `${{ env.X }}`, GitLab `$X` and `${{ job.services.ID.ports[N] }}` are
 * resolved; anything else unknown in the host or port leaves that part
 * unjudged. A URL without a port means its scheme's default. A variable
 * found by its scheme alone is judged only when its host is local or one
 * of the job's service names: a URL of some other server is not assumed
 * to mean the container.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rules/service_vars.h"
#include "core/banned.h"

static bool host_of_group(const struct cg_model *m,
			  const struct cg_script_group *g, const char *host)
{
	for (size_t i = 0; i < g->nservices; i++) {
		const struct cg_service_fact *s =
		    &m->facts.services[g->services[i]];

		for (size_t h = 0; h < s->nhosts; h++)
			if (s->hosts[h] && !strcasecmp(s->hosts[h], host))
				return true;
	}
	return false;
}

/* The port of a HOST variable's partner (REDIS_HOST -> REDIS_PORT), as
 * the same consumer sees it: its definition, and the port or the service
 * whose published port it names. */
static const struct cg_env_fact *partner_port(const struct cg_model *m,
					      const struct cg_script_group *g,
					      const struct cg_svc_seen *s,
					      unsigned *port, size_t *service)
{
	struct cg_buf name = CG_BUF_INIT;
	const struct cg_env_fact *p = NULL;
	struct cg_svc_endpoint ep;

	*port = 0;
	*service = CG_NO_INDEX;
	if (cg_svc_port_partner(s->def->name, &name))
		p = cg_env_lookup(m, s->scope, name.buf);
	cg_buf_release(&name);
	if (!p || !p->value)
		return NULL;
	/* read it as the host part of "localhost:PORT" */
	{
		char *v = cg_xasprintf("localhost:%s", p->value);

		if (cg_svc_endpoint_read(m, g, s->scope, v, false, &ep)) {
			*port = ep.port;
			*service = ep.port_service;
			cg_svc_endpoint_release(&ep);
		}
		free(v);
	}
	return *port || *service != CG_NO_INDEX ? p : NULL;
}

/* The service of kind `k` to name: one the host names, else the first. */
static size_t target_service(const struct cg_model *m,
			     const struct cg_script_group *g,
			     enum cg_service_kind k, const char *host)
{
	for (size_t i = 0; host && i < g->nservices; i++) {
		const struct cg_service_fact *s =
		    &m->facts.services[g->services[i]];

		if (s->kind != k)
			continue;
		for (size_t h = 0; h < s->nhosts; h++)
			if (!strcasecmp(s->hosts[h], host))
				return g->services[i];
	}
	return cg_svc_first_of_kind(m, g, k);
}

static void where_text(const char *host, unsigned port, bool implied,
		       size_t port_service, const struct cg_model *m,
		       struct cg_buf *out)
{
	if (host && strchr(host, ':'))
		cg_buf_addf(out, "[%s]", host); /* IPv6 */
	else if (host)
		cg_buf_addstr(out, host);
	if (port)
		cg_buf_addf(out, "%s%u", host ? ":" : "port ", port);
	else if (port_service != CG_NO_INDEX)
		cg_buf_addf(out, "%sthe runner port of service '%s'",
			    host ? " on " : "",
			    m->facts.services[port_service].name);
	if (implied)
		cg_buf_addstr(out, " (the URL names no port: its scheme's "
				   "default)");
}

struct judged {
	const struct cg_env_fact *def; /* the key to point at */
	const struct cg_env_fact *host_def;
	enum cg_service_kind kind;
	enum cg_svc_role role;
	const char *host;
	unsigned port;
	bool implied;
	size_t port_service;
	const struct cg_svc_endpoint *ep;
};

static void report(struct cg_rule_ctx *ctx, const struct cg_model *m,
		   const struct cg_script_group *g, const struct judged *j,
		   size_t svc, enum cg_svc_verdict v)
{
	const struct cg_service_fact *s = &m->facts.services[svc];
	const struct cg_env_fact *d = j->def;
	struct cg_buf msg = CG_BUF_INIT, hint = CG_BUF_INIT,
		      where = CG_BUF_INIT, want = CG_BUF_INIT,
		      subject = CG_BUF_INIT, value = CG_BUF_INIT;
	bool container = cg_svc_in_container(m, g);
	bool gitlab = g->kind == CG_GROUP_GITLAB_JOB;
	bool named = cg_svc_expected(m, g, svc, &want);
	unsigned cport = cg_svc_container_port(s);

	where_text(j->host, j->port, j->implied, j->port_service, m, &where);
	if (d != j->host_def)
		cg_buf_addf(&msg, "`%s` and `%s` point at %s, but ",
			    j->host_def->name, d->name, where.buf);
	else
		cg_buf_addf(&msg, "`%s` points at %s, but ", d->name,
			    where.buf);
	switch (v) {
	case CG_SVC_WRONG_HOST:
		if (container && cg_svc_host_is_local(j->host))
			cg_buf_addf(&msg,
				    "%sjob '%s' runs in a container, where "
				    "localhost is the job itself: reach "
				    "service '%s' at %s",
				    gitlab ? "GitLab " : "", g->name, s->name,
				    want.buf);
		else if (!container && host_of_group(m, g, j->host))
			cg_buf_addf(
			    &msg,
			    "job '%s' runs on the runner, where service "
			    "names do not resolve: reach service '%s' "
			    "at %s",
			    g->name, s->name, want.buf);
		else
			cg_buf_addf(&msg,
				    "that is not service '%s' of job '%s': "
				    "reach it at %s",
				    s->name, g->name, want.buf);
		if (s->hosts_unknown && !s->nhosts)
			cg_buf_addstr(&msg,
				      " (GitLab derives its host names from "
				      "the image name after expanding its "
				      "variables: give the service an "
				      "`alias: ALIAS`)");
		break;
	case CG_SVC_WRONG_PORT:
		if (container)
			cg_buf_addf(&msg,
				    "service '%s' of job '%s' listens on %s "
				    "inside the job's network (a published "
				    "port is on the runner only)",
				    s->name, g->name, want.buf);
		else
			cg_buf_addf(&msg,
				    "job '%s' runs on the runner, where "
				    "service '%s' is published at %s",
				    g->name, s->name, want.buf);
		break;
	case CG_SVC_RANDOM_PORT:
		cg_buf_addf(&msg,
			    "service '%s' of job '%s' publishes container "
			    "port %u on a random runner port",
			    s->name, g->name, cport);
		cg_buf_addf(&hint,
			    "publish a fixed port (`ports: ['%u:%u']`) or use "
			    "`%s`",
			    cport, cport, want.buf);
		break;
	case CG_SVC_NOT_PUBLISHED:
		cg_buf_addf(&msg,
			    "service '%s' of job '%s' publishes no port: a "
			    "job on the runner cannot reach it",
			    s->name, g->name);
		if (cport)
			cg_buf_addf(&hint,
				    "add `ports: ['%u:%u']` to service '%s'",
				    cport, cport, s->name);
		else
			cg_buf_addf(&hint,
				    "publish the port service '%s' "
				    "listens on under its `ports:`",
				    s->name);
		break;
	default:
		break;
	}
	if (!hint.len) {
		bool literal = d->value_kind == CG_VALUE_LITERAL && j->ep &&
			       j->ep->text && d->value &&
			       !strcmp(j->ep->text, d->value);

		if (d != j->host_def && named) {
			/* the PORT variable of a HOST/PORT pair */
			cg_buf_addf(&hint, "set `%s: \"%s\"`", d->name,
				    strchr(want.buf, ':') + 1);
		} else if (literal && named && j->role == CG_SVC_URL) {
			cg_buf_add(&value, d->value, j->ep->host_start);
			cg_buf_addstr(&value, want.buf);
			cg_buf_addstr(&value, d->value + j->ep->port_end);
			cg_buf_addf(&hint, "set `%s: %s`", d->name, value.buf);
		} else {
			cg_svc_suggest(m, g, svc, j->role, &value);
			cg_buf_addf(&hint, "set `%s` to reach %s (e.g. `%s`)",
				    d->name, want.buf, value.buf);
		}
		if (gitlab && cg_svc_host_is_local(j->host))
			cg_buf_addstr(&hint,
				      "; localhost reaches services only with "
				      "the Kubernetes executor");
	}
	cg_buf_addf(&subject, "%s: %s", d->name, d->value ? d->value : "");
	cg_report(ctx, d->src, &d->pos, subject.buf, hint.buf, "%s", msg.buf);
	cg_buf_release(&msg);
	cg_buf_release(&hint);
	cg_buf_release(&where);
	cg_buf_release(&want);
	cg_buf_release(&subject);
	cg_buf_release(&value);
}

static void judge(struct cg_rule_ctx *ctx, const struct cg_model *m,
		  const struct cg_script_group *g, const struct cg_svc_seen *s,
		  unsigned char *done)
{
	const struct cg_env_fact *d = s->def, *pdef = NULL;
	struct cg_svc_endpoint ep;
	struct judged j = {0};
	enum cg_svc_verdict best = CG_SVC_REACHES;
	size_t svc = CG_NO_INDEX;
	bool by_name;

	if (!d->value || !*d->value || done[d - m->facts.env])
		return;
	if (!cg_svc_endpoint_read(m, g, s->scope, d->value, false, &ep))
		return;
	j.kind =
	    cg_svc_def_kind(m, g, d, &ep, CG_SVC_NAMES_ALL, &j.role, &by_name);
	if (j.kind == CG_SERVICE_OTHER || j.role == CG_SVC_PORT)
		goto out;
	j.def = j.host_def = d;
	j.ep = &ep;
	j.host = ep.host;
	j.port = ep.port;
	j.implied = ep.port_implied;
	j.port_service = ep.port_service;
	if (j.role == CG_SVC_HOST && !ep.port_written) {
		unsigned p;
		size_t ps;

		if ((pdef = partner_port(m, g, s, &p, &ps))) {
			j.port = p;
			j.port_service = ps;
		}
	}
	if (!j.host && !j.port && j.port_service == CG_NO_INDEX)
		goto out;
	/* found by its scheme only: judged when it means this machine or a
	 * service of the job */
	if (!by_name && (!j.host || (!cg_svc_host_is_local(j.host) &&
				     !host_of_group(m, g, j.host))))
		goto out;
	for (size_t i = 0; i < g->nservices; i++) {
		size_t si = g->services[i];
		enum cg_svc_verdict v;

		if (m->facts.services[si].kind != j.kind)
			continue;
		v = cg_svc_reach(m, g, si, j.host, j.port, j.port_service);
		if (v == CG_SVC_REACHES)
			goto out;
		if (svc == CG_NO_INDEX)
			best = v, svc = si;
	}
	if (svc == CG_NO_INDEX)
		goto out;
	/* the service the host names, if it has one of them */
	{
		size_t t = target_service(m, g, j.kind, j.host);

		if (t != svc) {
			svc = t;
			best = cg_svc_reach(m, g, svc, j.host, j.port,
					    j.port_service);
		}
	}
	/* a wrong port that the PORT variable gave: point at it */
	if (best == CG_SVC_WRONG_PORT && pdef &&
	    cg_svc_reach(m, g, svc, j.host, 0, CG_NO_INDEX) == CG_SVC_REACHES)
		j.def = pdef;
	done[j.def - m->facts.env] = 1;
	report(ctx, m, g, &j, svc, best);
out:
	cg_svc_endpoint_release(&ep);
}

static bool has_value(const struct cg_env_fact *d)
{
	return d->value && *d->value;
}

static void check(struct cg_rule_ctx *ctx, const struct cg_model *m)
{
	cg_svc_judge_seen(ctx, m, has_value, judge);
}

const struct cg_rule cg_rule_service_url_mismatch = {
    .id = "service-url-mismatch",
    .weight = 1,
    .layer = CG_LAYER_QUICK,
    .severity = CG_SEV_ERROR,
    .summary = "a service URL is set but cannot reach the job's service "
	       "container",
    .explain =
	"Where a CI job reaches its service containers depends on where the "
	"job runs. A GitHub job on the runner reaches them at localhost "
	"(127.0.0.1, ::1) and the published host port: `ports: "
	"['6380:6379']` means localhost:6380. A GitHub job with `container:` "
	"shares a network with its services and reaches each at its key "
	"under `services:` and the port it listens on in its container; a "
	"GitLab job reaches a service at its `alias` or at the host name "
	"GitLab derives from the image (`postgres:16` is `postgres`, "
	"`bitnami/redis` is `bitnami__redis` or `bitnami-redis`), on its "
	"container port. localhost there is the job's own container "
	"(GitLab's Kubernetes executor is the exception).\n"
	"\n"
	"ciguard reads the variables that point at a kind of service (see "
	"service-url-from-secret, plus any variable whose URL scheme names "
	"one, such as `redis://` or `postgresql+psycopg://`) as the steps "
	"that run tests or processes see them (a value an earlier step wrote "
	"to `$GITHUB_ENV` overrides the job's `env:`, a step's own `env:` "
	"overrides both), resolving `${{ env.X }}`, "
	"GitLab `$X` and `${{ job.services.ID.ports[N] }}`. A URL without a "
	"port means its scheme's default (redis 6379, postgresql 5432, http "
	"80, https 443); a HOST variable takes its port from its PORT "
	"partner (REDIS_HOST and REDIS_PORT, PGHOST and PGPORT). On the "
	"runner, a service with only a bare container port (`ports: "
	"[6379]`) is published on a random port that no fixed URL can name, "
	"and one with no `ports:` cannot be reached at all: both are "
	"reported. Parts that stay unknown (a matrix value, a secret) are "
	"not judged; a URL found by its scheme alone is judged only when "
	"its host is local or one of the job's service names.\n"
	"\n"
	"Bad (`container:` job, so localhost is the job's own container):\n"
	"\n"
	"    container: python:3.12\n"
	"    services:\n"
	"      postgres: {image: postgres:16}\n"
	"    env:\n"
	"      DATABASE_URL: postgresql://ci:ci@localhost:5432/ci\n"
	"\n"
	"Good:\n"
	"\n"
	"    env:\n"
	"      DATABASE_URL: postgresql://ci:ci@postgres:5432/ci\n",
    .hint = "point the variable at the host and port the job reaches the "
	    "service at",
    .check = check,
};
