/*
 * service-url-from-secret: a CI job has a service container of a kind,
 * and the variable that tells its code where that kind of service is
 * comes from a secret (`${{ secrets.X }}`, `${{ vars.X }}`; GitLab: a
 * variable the file does not define, so a CI/CD setting). Those are the
 * values production deployments use: the tests may be talking to a
 * production database while the service container idles.
 *
 * Judged on the definition each consumer of the job sees (see
 * service_vars.h), so a step `env:` that overrides a job-level secret for
 * the steps that run the tests clears it. A secret that only fills the
 * password or the path of a URL whose host and port are written out
 * (`postgresql://ci:${{ secrets.PW }}@localhost:5432/ci`) is fine.
 */
#include <stdlib.h>
#include <string.h>

#include "rules/service_vars.h"
#include "core/banned.h"

static void judge(struct cg_rule_ctx *ctx, const struct cg_model *m,
		  const struct cg_script_group *g, const struct cg_svc_seen *s,
		  unsigned char *done)
{
	const struct cg_env_fact *d = s->def;
	struct cg_svc_endpoint ep;
	bool read;
	enum cg_svc_role role;
	enum cg_service_kind k;
	size_t svc;
	struct cg_buf ref = CG_BUF_INIT, hint = CG_BUF_INIT,
		      value = CG_BUF_INIT, subject = CG_BUF_INIT;
	const struct cg_service_fact *sf;

	if (d->value_kind != CG_VALUE_SECRET || done[d - m->facts.env])
		return;
	read = cg_svc_endpoint_read(m, g, s->scope, d->value, false, &ep);
	k = cg_svc_def_kind(m, g, d, read ? &ep : NULL, CG_SVC_NAMES_ALL, &role,
			    NULL);
	/* a port alone says nothing about which server it is */
	if (k == CG_SERVICE_OTHER || role == CG_SVC_PORT)
		goto out;
	/* the secret only fills credentials or a path */
	if (read && ep.host && !ep.from_secret)
		goto out;
	svc = cg_svc_first_of_kind(m, g, k);
	if (svc == CG_NO_INDEX)
		goto out;
	sf = &m->facts.services[svc];
	done[d - m->facts.env] = 1;
	cg_svc_ref_text(d, &ref);
	cg_svc_suggest(m, g, svc, role, &value);
	cg_buf_addf(&hint,
		    "set `%s: %s` in the %s, so the job talks to its own "
		    "service container; keep production URLs out of CI",
		    d->name, value.buf,
		    g->kind == CG_GROUP_GITLAB_JOB
			? "job's `variables:`"
			: "workflow, job or step `env:`");
	cg_buf_addf(&subject, "%s: %s", d->name, d->value ? d->value : "");
	cg_report(ctx, d->src, &d->pos, subject.buf, hint.buf,
		  "`%s` comes from %s, but job '%s' has its own %s service "
		  "'%s': the tests may reach a production server instead",
		  d->name, ref.buf, g->name, cg_service_kind_name(k), sf->name);
out:
	if (read)
		cg_svc_endpoint_release(&ep);
	cg_buf_release(&ref);
	cg_buf_release(&hint);
	cg_buf_release(&value);
	cg_buf_release(&subject);
}

static bool is_secret(const struct cg_env_fact *d)
{
	return d->value_kind == CG_VALUE_SECRET;
}

static void check(struct cg_rule_ctx *ctx, const struct cg_model *m)
{
	cg_svc_judge_seen(ctx, m, is_secret, judge);
}

const struct cg_rule cg_rule_service_url_from_secret = {
    .id = "service-url-from-secret",
    .weight = 1,
    .layer = CG_LAYER_QUICK,
    .severity = CG_SEV_ERROR,
    .summary = "a CI job with a service container takes that service's URL "
	       "from a secret",
    .explain =
	"A CI job that declares a service container (redis, postgres, "
	"wiremock, ...) means its tests to use it. When the variable that "
	"tells the code where that service is comes from `${{ secrets.X }}` "
	"or `${{ vars.X }}` (GitHub, at workflow, job or step level, or "
	"written to `$GITHUB_ENV` by an earlier step; also with a fallback, "
	"`${{ secrets.X || 'postgres://localhost/ci' }}`, which is the "
	"secret whenever the repository has one) or from a "
	"GitLab variable that the file does not define (a CI/CD setting, "
	"such as `$PROD_DATABASE_URL`), it is the value a deployment uses: "
	"the tests can write to a production database or flush a staging "
	"Redis while the container idles.\n"
	"\n"
	"The variables that point at a kind of service are REDIS_URL, "
	"REDIS_HOST, VALKEY_URL, VALKEY_HOST, CELERY_BROKER_URL and CACHE_URL "
	"(redis); DATABASE_URL, SQLALCHEMY_DATABASE_URI, POSTGRES_HOST, "
	"PGHOST (postgres); WIREMOCK_URL (wiremock); and those `services:` "
	"in .ciguard.yml names. The value that counts is the one the steps "
	"that run tests, start processes or name the variable see, so a "
	"step `env:` that overrides a job-level secret clears it. A secret "
	"that fills only the password of a URL whose host and port are "
	"written out is fine.\n"
	"\n"
	"Bad:\n"
	"\n"
	"    env:\n"
	"      REDIS_URL: ${{ secrets.REDIS_URL }}\n"
	"    jobs:\n"
	"      test:\n"
	"        services:\n"
	"          redis: {image: redis:7, ports: ['6379:6379']}\n"
	"\n"
	"Good:\n"
	"\n"
	"    env:\n"
	"      REDIS_URL: redis://localhost:6379/0\n",
    .hint = "point the variable at the job's own service container",
    .check = check,
};
