/*
 * service-url-missing: a CI job has a service container and runs a
 * critical command, but nothing gives the code the variable that says
 * where that service is, so the tests fall back to whatever default the
 * code has (often a Unix socket, or a host that is not there).
 *
 * "Sets the URL" means: one of the kind's variables (any one: REDIS_URL,
 * or REDIS_HOST, ...; the `services:` names of .ciguard.yml instead when
 * it lists the kind) has a non-empty value that a step running a critical
 * command, or any earlier step, sees through workflow, job or step `env:`
 * (GitLab: `variables:`); or, when the configuration does not list the
 * kind, any variable whose value is a URL of that kind's scheme or
 * reaches the service (`PAYMENTS_API_URL: http://localhost:8080`); or a
 * script of the job up to its last critical command sets one: `export
 * NAME=...`, `NAME=... pytest`, `echo "NAME=..." >> $GITHUB_ENV`, `docker
 * run -e NAME=...`. A script that may set variables we cannot see
 * (`source ./ci.env`, `cat ci.env >> $GITHUB_ENV`, `export $(...)`,
 * `docker run --env-file`) is taken to set it.
 *
 * Without `services:` for the kind in .ciguard.yml the built-in names are
 * a guess at what the code reads, so a job that visibly configures its
 * code another way is left alone: a configuration selected in env
 * (DJANGO_SETTINGS_MODULE, NETBOX_CONFIGURATION, RAILS_ENV, *_CONFIG,
 * *_SETTINGS, *_INI), a configuration file on the command line or in an
 * env value (`--ckan-ini=test.ini`, `-c ci.cfg`, `--ds=`, *.ini, *.cfg,
 * *.conf, *.toml, *.env), or a critical command run by something with an
 * env of its own (tox, nox, make, docker). With `services:`, the names it
 * lists must be set.
 */
#include <stdlib.h>
#include <string.h>

#include "rules/critical.h"
#include "rules/service_vars.h"
#include "core/banned.h"

/* What the job's scripts export, and whether they may export more; read
 * when first asked, as most jobs set their URLs in env. */
struct exports {
	struct cg_strlist names;
	bool unknown, done;
};

static bool valid_name(const char *s, size_t n)
{
	if (!n || !((s[0] >= 'A' && s[0] <= 'Z') ||
		    (s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

/* NAME of "NAME=value" (or of "NAME" when bare is allowed) into `x`;
 * false when the word is not one. */
static bool add_assignment(struct exports *x, const struct cg_sh_word *w,
			   bool bare)
{
	const char *eq = strchr(w->text, '=');
	size_t n = eq ? (size_t)(eq - w->text) : strlen(w->text);
	char *name;

	if (!eq && !bare)
		return false;
	if (!valid_name(w->text, n))
		return false;
	name = cg_xstrndup(w->text, n);
	cg_strlist_add(&x->names, name);
	free(name);
	return true;
}

static bool sources_repo_file(const struct cg_sh_word *w)
{
	const char *t = w->text;

	if (w->expands || t[0] == '/' || t[0] == '~' || !*t)
		return false;
	/* a virtualenv's activate script sets no service URL */
	return !cg_ends_with(t, "activate");
}

static bool visit(void *ud, const struct cg_script *s,
		  const struct cg_sh_cmd *c, const struct cg_svc_at *at)
{
	struct exports *x = ud;
	const char *prog;

	(void)s;
	(void)at;
	for (size_t i = 0; i < c->nassigns; i++)
		if (c->nwords)
			add_assignment(x, &c->assigns[i], false);
	if (!c->nwords)
		return true;
	prog = cg_path_base(c->words[0].text);
	if (!strcmp(prog, "export") || !strcmp(prog, "declare") ||
	    !strcmp(prog, "typeset") || !strcmp(prog, "local") ||
	    !strcmp(prog, "readonly")) {
		bool exported = !strcmp(prog, "export");

		for (size_t i = 1; i < c->nwords; i++) {
			const struct cg_sh_word *w = &c->words[i];

			if (w->text[0] == '-') {
				if (strchr(w->text, 'x'))
					exported = true;
				continue;
			}
			if (!exported)
				break;
			if (!add_assignment(x, w, true) && w->expands)
				x->unknown = true; /* export $(cat .env) */
		}
	} else if (!strcmp(prog, "source") || !strcmp(prog, ".")) {
		if (c->nwords > 1 && sources_repo_file(&c->words[1]))
			x->unknown = true;
	} else if (!strcmp(prog, "docker") || !strcmp(prog, "podman") ||
		   !strcmp(prog, "docker-compose")) {
		for (size_t i = 1; i < c->nwords; i++) {
			const char *w = c->words[i].text;

			if ((!strcmp(w, "-e") || !strcmp(w, "--env")) &&
			    i + 1 < c->nwords)
				add_assignment(x, &c->words[++i], true);
			else if (cg_starts_with(w, "--env=") ||
				 (cg_starts_with(w, "-e") && w[2])) {
				struct cg_sh_word t = c->words[i];

				t.text = w + (w[1] == 'e' ? 2 : 6);
				add_assignment(x, &t, true);
			} else if (cg_starts_with(w, "--env-file")) {
				x->unknown = true;
			}
		}
	}
	return true;
}

/* The critical command of each item of a job (the first of its script)
 * and its name, found when first asked: most jobs need only the last. */
struct item_critical {
	bool known;
	const struct cg_sh_cmd *cmd;
	char *name;
};

struct criticals {
	const struct cg_model *m;
	const struct cg_script_group *g;
	struct item_critical *items;
	size_t n, first, last; /* first/last: CG_NO_INDEX when none */
};

static const struct item_critical *critical_at(struct criticals *c, size_t i)
{
	struct item_critical *it = &c->items[i];
	struct cg_buf name = CG_BUF_INIT;

	if (it->known)
		return it;
	it->known = true;
	if (!c->g->items[i].script)
		return it;
	it->cmd = cg_critical_in_script(c->g->items[i].script, c->m->config,
					&name, NULL);
	if (it->cmd)
		it->name = cg_buf_detach(&name, NULL);
	cg_buf_release(&name);
	return it;
}

/* `last` (from the end); `first` only when there is a last. */
static void criticals_find(const struct cg_model *m,
			   const struct cg_script_group *g, struct criticals *c)
{
	c->m = m;
	c->g = g;
	c->n = g->nitems;
	c->items = cg_xcalloc(c->n + 1, sizeof(*c->items));
	c->first = c->last = CG_NO_INDEX;
	for (size_t i = c->n; i-- > 0;)
		if (critical_at(c, i)->cmd) {
			c->last = i;
			break;
		}
	for (size_t i = 0; c->last != CG_NO_INDEX && i <= c->last; i++)
		if (critical_at(c, i)->cmd) {
			c->first = i;
			break;
		}
}

static void criticals_release(struct criticals *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->items[i].name);
	free(c->items);
}

/* A definition the job's steps see, read when first asked, once for all
 * the job's services. */
struct seen_read {
	bool done, read, by_name;
	struct cg_svc_endpoint ep;
	enum cg_service_kind kind; /* by the kind's app names */
	enum cg_svc_role role;
};

static const struct seen_read *seen_read(const struct cg_model *m,
					 const struct cg_script_group *g,
					 const struct cg_svc_seen *s,
					 struct seen_read *r)
{
	if (r->done)
		return r;
	r->done = true;
	r->read =
	    cg_svc_endpoint_read(m, g, s->scope, s->def->value, false, &r->ep);
	r->kind = cg_svc_def_kind(m, g, s->def, r->read ? &r->ep : NULL,
				  CG_SVC_NAMES_APP, &r->role, &r->by_name);
	return r;
}

/* Does some definition the job's steps see set the URL of `svc`? */
static bool set_by_env(const struct cg_model *m,
		       const struct cg_script_group *g, size_t svc,
		       const struct cg_svc_seen *seen, struct seen_read *reads,
		       size_t nseen, size_t last)
{
	const struct cg_service_fact *s = &m->facts.services[svc];
	bool configured = cg_svc_kind_configured(m, s->kind);

	for (size_t i = 0; i < nseen; i++) {
		const struct cg_env_fact *d = seen[i].def;
		const struct seen_read *r;

		if (!d->value || !*d->value)
			continue;
		if (seen[i].item != CG_NO_INDEX && seen[i].item > last)
			continue;
		r = seen_read(m, g, &seen[i], &reads[i]);
		/* one of its names; or a URL of its scheme, when the
		 * configuration does not name the kind's variables */
		if (r->kind == s->kind && r->role != CG_SVC_PORT &&
		    (r->by_name || !configured))
			return true;
		/* any variable that reaches the service, when the
		 * configuration does not name the kind's variables */
		if (r->read && !configured && r->ep.host &&
		    (r->ep.scheme[0] || r->ep.port_written) &&
		    cg_svc_reach(m, g, svc, r->ep.host, r->ep.port,
				 r->ep.port_service) == CG_SVC_REACHES)
			return true;
	}
	return false;
}

/* A name that selects a configuration (DJANGO_SETTINGS_MODULE,
 * NETBOX_CONFIGURATION, RAILS_ENV, APP_CONFIG_FILE, CKAN_INI). */
static bool selector_name(const char *n)
{
	static const char *const suffixes[] = {"SETTINGS_MODULE",
					       "_SETTINGS",
					       "_CONFIG",
					       "_CONFIGURATION",
					       "_CONFIG_FILE",
					       "_CONFIG_PATH",
					       "_INI",
					       "_ENV",
					       "_ENVIRONMENT",
					       NULL};

	for (size_t i = 0; suffixes[i]; i++)
		if (cg_ends_with(n, suffixes[i]))
			return true;
	return false;
}

/* A word that hands a program a configuration: `-c`, `--config...`,
 * `--settings`, `--ds=`, `--ckan-ini=x.ini`, or a file named *.ini,
 * *.cfg, *.conf, *.toml or *.env (not the options of reports, coverage
 * and logs, which name files the run writes). */
static bool config_word(const char *w, size_t n)
{
	static const char *const exts[] = {".ini",  ".cfg", ".conf",
					   ".toml", ".env", NULL};
	static const char *const not_config[] = {
	    "cov", "report", "output", "junit", "log", "out", NULL};
	char *t = cg_xstrndup(w, n);
	const char *eq = strchr(t, '=');
	const char *file = eq && t[0] == '-' ? eq + 1 : t;
	bool option = t[0] == '-', hit;

	for (size_t i = 0; option && not_config[i]; i++)
		if (strstr(t, not_config[i]) &&
		    (!eq || strstr(t, not_config[i]) < eq)) {
			free(t);
			return false;
		}
	hit = !strcmp(t, "-c") || !strcmp(t, "--ds") ||
	      cg_starts_with(t, "--ds=") ||
	      (cg_starts_with(t, "--") &&
	       (strstr(t, "config") || strstr(t, "settings") ||
		strstr(t, "-ini") || strstr(t, "_ini")));
	for (size_t i = 0; !hit && exts[i]; i++)
		if (cg_ends_with(file, exts[i]) &&
		    strlen(file) > strlen(exts[i]))
			hit = true;
	free(t);
	return hit;
}

/* Some word of `text` (split at blanks) is a config_word. */
static bool config_text(const char *text)
{
	for (const char *p = text; *p;) {
		size_t n;

		p += strspn(p, " \t\n");
		n = strcspn(p, " \t\n");
		if (n && config_word(p, n))
			return true;
		p += n;
	}
	return false;
}

/*
 * The tests may get their configuration from where ciguard cannot look:
 * a configuration selected in env or named on the command line, or a
 * runner with an env of its own (tox, nox, make, a container).
 */
static bool configured_elsewhere(const struct cg_svc_seen *seen, size_t nseen,
				 struct criticals *cr)
{
	for (size_t i = 0; i < nseen; i++) {
		const struct cg_env_fact *d = seen[i].def;

		if (d->value && *d->value &&
		    (selector_name(d->name) || config_text(d->value)))
			return true;
	}
	for (size_t i = 0; i <= cr->last && i < cr->n; i++) {
		const struct item_critical *it = critical_at(cr, i);
		const struct cg_sh_cmd *c = it->cmd;

		if (!c)
			continue;
		if (cg_starts_with(it->name, "make") ||
		    cg_starts_with(it->name, "tox") ||
		    cg_starts_with(it->name, "nox"))
			return true;
		for (size_t k = 0; k < c->nwords; k++) {
			const char *w = cg_path_base(c->words[k].text);

			if (!strcmp(w, "docker") || !strcmp(w, "podman") ||
			    !strcmp(w, "docker-compose") ||
			    config_word(c->words[k].text, c->words[k].len))
				return true;
		}
	}
	return false;
}

/* A NAME=value a step writes to $GITHUB_ENV: NAME is set for the
 * steps after it. */
static void written(void *ctx, const struct cg_script *s,
		    const struct cg_github_env_write *w)
{
	struct exports *x = ctx;

	(void)s;
	cg_strlist_add(&x->names, w->name);
}

/* Does a script of `g` up to item `last` set a URL of `s`? */
static bool set_by_scripts(const struct cg_model *m,
			   const struct cg_script_group *g, size_t last,
			   const struct cg_service_fact *s, struct exports *x)
{
	if (!x->done) {
		x->done = true;
		for (size_t i = 0; i <= last; i++) {
			const struct cg_script *sc = g->items[i].script;

			if (!sc)
				continue;
			cg_svc_walk(sc, visit, x);
			if (g->kind == CG_GROUP_GITHUB_JOB &&
			    !cg_github_env_writes(sc, written, x))
				x->unknown = true;
		}
	}
	if (x->unknown)
		return true;
	for (size_t i = 0; i < x->names.n; i++) {
		enum cg_svc_role r = cg_svc_var_role(
		    m, s->kind, x->names.items[i], CG_SVC_NAMES_APP, NULL);

		if (r == CG_SVC_URL || r == CG_SVC_HOST)
			return true;
	}
	return false;
}

/* A variable of the kind set in the service's own `env:` (which sets
 * the container's env, not the job's), or NULL. */
static const struct cg_env_fact *set_on_service(const struct cg_model *m,
						const struct cg_service_fact *s)
{
	if (s->own_scope == CG_NO_SCOPE)
		return NULL;
	for (size_t i = 0; i < m->facts.nenv; i++) {
		const struct cg_env_fact *d = &m->facts.env[i];

		if (d->scope == s->own_scope && d->role == CG_ENV_DEF &&
		    cg_svc_var_role(m, s->kind, d->name, CG_SVC_NAMES_ALL,
				    NULL) != CG_SVC_NONE)
			return d;
	}
	return NULL;
}

static bool has_value(const struct cg_env_fact *d)
{
	return d->value && *d->value;
}

/* A service whose URL variables the rule knows. */
static bool judged_kind(const struct cg_model *m,
			const struct cg_service_fact *s)
{
	return s->kind != CG_SERVICE_OTHER && s->kind != CG_SERVICE_APP &&
	       cg_svc_kind_named(m, s->kind, CG_SVC_NAMES_APP);
}

static void judge_group(struct cg_rule_ctx *ctx, const struct cg_model *m,
			size_t gi)
{
	const struct cg_script_group *g = &m->facts.groups[gi];
	struct criticals cr;
	struct exports x = {{0}, false, false};
	struct cg_svc_seen *seen = NULL;
	struct seen_read *reads = NULL;
	size_t nseen = 0, last;
	int elsewhere = -1; /* not known yet */
	bool any = false;

	for (size_t k = 0; k < g->nservices && !any; k++)
		any = judged_kind(m, &m->facts.services[g->services[k]]);
	if (!any)
		return;
	criticals_find(m, g, &cr);
	if ((last = cr.last) == CG_NO_INDEX)
		goto out;
	nseen = cg_svc_seen_defs_memo(ctx, gi, has_value, &seen);
	reads = cg_xcalloc(nseen + 1, sizeof(*reads));
	for (size_t k = 0; k < g->nservices; k++) {
		size_t svc = g->services[k];
		const struct cg_service_fact *s = &m->facts.services[svc];
		const struct cg_env_fact *own;
		struct cg_buf names = CG_BUF_INIT, hint = CG_BUF_INIT,
			      value = CG_BUF_INIT, msg = CG_BUF_INIT,
			      subject = CG_BUF_INIT;
		char *first_name;

		if (!judged_kind(m, s))
			continue;
		if (set_by_env(m, g, svc, seen, reads, nseen, last) ||
		    set_by_scripts(m, g, last, s, &x))
			continue;
		/* the code's own names are a guess without configuration */
		if (!cg_svc_kind_configured(m, s->kind)) {
			if (elsewhere < 0)
				elsewhere =
				    configured_elsewhere(seen, nseen, &cr);
			if (elsewhere)
				continue;
		}
		cg_svc_names_text(m, s->kind, CG_SVC_NAMES_APP, &names);
		/* the first name, for the hint: "`REDIS_URL`, ..." */
		first_name =
		    cg_xstrndup(names.buf + 1, strcspn(names.buf + 1, "`"));
		cg_svc_suggest(m, g, svc,
			       cg_svc_var_role(m, s->kind, first_name,
					       CG_SVC_NAMES_APP, NULL),
			       &value);
		cg_buf_addf(&msg,
			    "job '%s' has %s service '%s' and runs `%s`, but "
			    "no %s sets %s%s: the code falls back to its own "
			    "default",
			    g->name, cg_service_kind_name(s->kind), s->name,
			    cr.items[cr.first].name,
			    g->kind == CG_GROUP_GITLAB_JOB
				? "`variables:` of the pipeline or job"
				: "env of the workflow, job or step",
			    strchr(names.buf, ',') ? "any of " : "", names.buf);
		if ((own = set_on_service(m, s)))
			cg_buf_addf(&msg,
				    " (`%s` under the service's `env:` "
				    "configures the container, not the job)",
				    own->name);
		cg_buf_addf(&hint, "set `%s: %s` in the %s", first_name,
			    value.buf,
			    g->kind == CG_GROUP_GITLAB_JOB
				? "job's `variables:`"
				: "job's `env:` (or the workflow's)");
		cg_buf_addf(&subject, "%s %s", s->name, first_name);
		cg_report(ctx, s->src, &s->pos, subject.buf, hint.buf, "%s",
			  msg.buf);
		free(first_name);
		cg_buf_release(&names);
		cg_buf_release(&hint);
		cg_buf_release(&value);
		cg_buf_release(&msg);
		cg_buf_release(&subject);
	}
out:
	for (size_t i = 0; i < nseen; i++)
		if (reads[i].read)
			cg_svc_endpoint_release(&reads[i].ep);
	free(reads);
	free(seen);
	cg_strlist_release(&x.names);
	criticals_release(&cr);
}

static void check(struct cg_rule_ctx *ctx, const struct cg_model *m)
{
	for (size_t gi = 0; gi < m->facts.ngroups; gi++)
		if (m->facts.groups[gi].nservices)
			judge_group(ctx, m, gi);
}

const struct cg_rule cg_rule_service_url_missing = {
    .id = "service-url-missing",
    .weight = 2,
    .layer = CG_LAYER_QUICK,
    .severity = CG_SEV_ERROR,
    .summary = "a CI job runs tests next to a service container but never "
	       "says where it is",
    .explain =
	"A CI job that declares a service container and runs a critical "
	"command (tests, migrations) must tell the code where the service "
	"is. Without the variable, the code falls back to a default: a Unix "
	"socket that does not exist on the runner, localhost in a container "
	"job, or a port the service is not published on.\n"
	"\n"
	"The variables for a kind are REDIS_URL, REDIS_HOST, VALKEY_URL, "
	"VALKEY_HOST, and CELERY_BROKER_URL or CACHE_URL with a redis:// URL "
	"(redis); DATABASE_URL, SQLALCHEMY_DATABASE_URI, POSTGRES_HOST, "
	"PGHOST (postgres); WIREMOCK_URL (wiremock). Any one of them is "
	"enough, and so is any variable whose value is a URL of the kind's "
	"scheme or reaches the service. When `services:` in .ciguard.yml "
	"lists the kind, its names are the ones the code reads, and one of "
	"them must be set. It may be set in workflow, job or step `env:` "
	"(GitLab: `variables:`), or by a script of the job before its last "
	"critical command: `export NAME=...`, `NAME=... pytest`, `echo "
	"\"NAME=...\" >> $GITHUB_ENV`, `docker run -e NAME=...`; a script "
	"that loads variables ciguard cannot see (`source ./ci.env`, `cat "
	"ci.env >> $GITHUB_ENV`, `docker run --env-file`) counts as setting "
	"it. A service's own `env:` configures the container, not the job, "
	"so it does not count.\n"
	"\n"
	"Without `services:` for the kind in .ciguard.yml, the built-in "
	"names are a guess at what the code reads, so a job that configures "
	"its code another way is left alone: a configuration selected in env "
	"(DJANGO_SETTINGS_MODULE, NETBOX_CONFIGURATION, RAILS_ENV, names "
	"ending in _CONFIG, _SETTINGS, _INI or _ENV), a configuration file on "
	"the command line or in an env value (`--ckan-ini=test.ini`, `-c "
	"ci.cfg`, `--ds=`, a *.ini, *.cfg, *.conf, *.toml or *.env file), or "
	"tests run by tox, nox, make or docker, which bring their own env. "
	"List the kind under `services:` to require its variables anyway.\n"
	"\n"
	"Bad:\n"
	"\n"
	"    services:\n"
	"      wiremock: {image: wiremock/wiremock:3, ports: ['8080:8080']}\n"
	"    steps:\n"
	"      - run: pytest\n"
	"\n"
	"Good:\n"
	"\n"
	"    env:\n"
	"      WIREMOCK_URL: http://localhost:8080\n"
	"    steps:\n"
	"      - run: pytest\n",
    .hint = "set the service's URL variable in the job's env",
    .check = check,
};
