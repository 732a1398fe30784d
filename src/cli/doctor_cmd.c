/*
 * `ciguard doctor`: the incident checklist, run instead of read.
 *
 * Three groups of items, each with a verdict (ok, warn, fail, skipped)
 * and the reason for it:
 *
 *   services    every row of the connectivity matrix (model/matrix.h) that
 *               has a value in the environment doctor runs for (CI when
 *               $CI is set, else local; --env overrides). The value shown
 *               first in the matrix cell is the one used, unless the
 *               process env sets one of the cell's variables: then that
 *               wins, as it would for the application. Where it came
 *               from (the variable's name, or FILE:LINE:COL), the value
 *               with passwords masked, where it points (this machine, a
 *               service container, elsewhere), and whether it answers by
 *               its own protocol (the probes of `ciguard wait`, all at
 *               once under one deadline). A host off this machine while
 *               the environment is CI is a fail and is not probed: CI
 *               talking to a shared database is the incident itself.
 *   workers     every worker start of the model (process facts with
 *               `worker`, long-running) in that environment: is a process
 *               with its command line running (/proc), and is
 *               PYTHONUNBUFFERED on in its environment: read from
 *               /proc/PID/environ where we may, else from the config as
 *               the model resolves it (`python -u`, cg_env_lookup);
 *               and a CI worker's log file (its stdout redirect): it
 *               exists, and grew while the probes ran (judge_logs).
 *   repository  uncommitted changes to tracked files (the model's git
 *               changes), commits not pushed to the upstream branch, and
 *               the verdict of the quick check.
 *
 * Secrets: a value is printed only after masking: the password of a URL,
 * the values of query parameters and variables whose names look secret
 * are shown as `***`; a value from a CI secret that is not in the process
 * env is named (`secret:NAME`), never read. Probe errors come masked from
 * the probes.
 *
 * Exit status: 1 when an item fails, 0 otherwise; 2 on bad usage or an
 * unreadable repository.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "ciguard/check.h"
#include "ciguard/probe.h"
#include "cli/cli.h"
#include "cli/opt.h"
#include "core/url.h"
#include "model/matrix.h"
#include "probe/probe.h"
#include "rules/rule.h"
#include "core/banned.h"

enum { OPT_ENV, OPT_JSON, OPT_TIMEOUT, OPT_CONFIG };

static const struct cli_opt doctor_options[] = {
    {"env", 0, "ENV", "ci or local (default: ci when $CI is set, else\nlocal)",
     OPT_ENV},
    {"json", 0, NULL, "print the items as one JSON document", OPT_JSON},
    {"timeout", 0, "D", "deadline for all the probes (default 2s)",
     OPT_TIMEOUT},
    {"config", 0, "FILE",
     "configuration (default: PATH/.ciguard.yml if present)", OPT_CONFIG},
};

const struct cli_spec cli_doctor_spec = {
    .cmd = "doctor",
    .head = "usage: ciguard doctor [--env ci|local] [--json] [--timeout D] "
	    "[PATH]\n"
	    "\n"
	    "Run the incident checklist on the repository at PATH (default: "
	    "the enclosing\ngit work tree, else the current folder) and this "
	    "machine:\n"
	    "  services    each service of the connectivity matrix in the "
	    "environment:\n"
	    "              where its URL comes from, its value (passwords "
	    "shown as ***),\n"
	    "              whether it points off this machine (a fail in CI), "
	    "and whether\n"
	    "              it answers by its own protocol (probed in "
	    "parallel)\n"
	    "  workers     each worker the repository starts: is it running, "
	    "is\n"
	    "              PYTHONUNBUFFERED on in its environment\n"
	    "  repository  uncommitted changes, unpushed commits, the quick "
	    "check\n"
	    "Each item ends with a verdict: ok, warn, fail or skipped (with "
	    "the reason).\n"
	    "\n",
    .opts = doctor_options,
    .nopts = sizeof(doctor_options) / sizeof(*doctor_options),
    .column = 19,
    .tail = "\nDurations: 500ms, 2s, 1m (a bare number is seconds).\n"
	    "exit status: 0 no item failed, 1 an item failed, 2 bad usage, "
	    "bad configuration\nor unreadable PATH.\n",
};

enum verdict { V_OK, V_WARN, V_FAIL, V_SKIPPED };

static const char *const verdict_names[] = {"ok", "warn", "fail", "skipped"};

enum group { G_SERVICES, G_WORKERS, G_REPOSITORY, G_N };

static const char *const group_names[G_N] = {"services", "workers",
					     "repository"};

struct item {
	enum group group;
	char *name;
	enum verdict verdict;
	char *reason;
	char *hint;	/* NULL: none */
	char *where;	/* "FILE:LINE:COL" the item is about, or NULL */
	char *source;	/* services: "DATABASE_URL in the process env", or
			   NULL */
	json_t *detail; /* the group's own fields */
	/* services: the probe to run (owned), its result */
	struct cg_probe *probe;
	struct cg_wait_status status;
};

/* A worker's log file: its size when first seen, judged after a while. */
struct log_watch {
	size_t item; /* index into items */
	char *path;  /* on disk */
	long long size;
};

struct doctor {
	const struct cg_model *m;
	enum cg_environment env;
	long timeout_ms;
	struct item *items;
	size_t n, alloc;
	struct log_watch *logs;
	size_t nlogs, logs_alloc;
	long logs_since; /* cg_now_ms() of the first sizes */
};

static struct item *add_item(struct doctor *d, enum group g, char *name)
{
	struct item *it;

	CG_GROW(d->items, d->alloc, d->n + 1);
	it = &d->items[d->n++];
	memset(it, 0, sizeof(*it));
	it->group = g;
	it->name = name;
	it->detail = json_object();
	return it;
}

static void set_verdict(struct item *it, enum verdict v, char *reason,
			const char *hint)
{
	it->verdict = v;
	free(it->reason);
	it->reason = reason;
	free(it->hint);
	it->hint = hint ? cg_xstrdup(hint) : NULL;
}

static char *where_of(const struct cg_src *src, const struct cg_pos *pos)
{
	return cg_xasprintf("%s:%u:%u", src->path, (unsigned)pos->line,
			    (unsigned)pos->col);
}

/* ------------------------------------------------------------ secrets */

static bool secret_name(const char *name)
{
	static const char *const words[] = {"PASSWORD", "PASSWD",     "SECRET",
					    "TOKEN",	"CREDENTIAL", "PRIVATE",
					    "APIKEY",	"API_KEY"};
	char *up = cg_xstrdup(name);
	size_t n = strlen(up);
	bool secret;

	for (char *c = up; *c; c++)
		*c = (char)toupper((unsigned char)*c);
	secret = n >= 4 && !strcmp(up + n - 4, "_KEY");
	for (size_t i = 0; i < sizeof(words) / sizeof(*words) && !secret; i++)
		secret = strstr(up, words[i]) != NULL;
	free(up);
	return secret;
}

/*
 * `value` of variable `name` as doctor prints it: "***" for a variable
 * whose name looks secret; else the URL with the password of its user
 * info and the values of secret-looking query parameters as "***".
 */
static char *masked(const char *name, const char *value)
{
	struct cg_buf out = CG_BUF_INIT;
	const char *s = value, *auth, *end, *at = NULL, *colon = NULL, *q;

	if (name && secret_name(name))
		return cg_xstrdup("***");
	if (!(auth = strstr(s, "://")))
		return cg_xstrdup(value);
	auth += 3;
	end = auth + strcspn(auth, "/?#");
	for (const char *p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	if (at)
		colon = memchr(auth, ':', (size_t)(at - auth));
	if (colon) {
		cg_buf_add(&out, s, (size_t)(colon + 1 - s));
		cg_buf_addstr(&out, "***");
		s = at;
	}
	if (!(q = strchr(end, '?'))) {
		cg_buf_addstr(&out, s);
		return cg_buf_detach(&out, NULL);
	}
	cg_buf_add(&out, s, (size_t)(q + 1 - s));
	for (s = q + 1; *s;) {
		size_t len = strcspn(s, "&#");
		const char *eq = memchr(s, '=', len);
		char *key = eq ? cg_xstrndup(s, (size_t)(eq - s)) : NULL;

		if (key && secret_name(key)) {
			cg_buf_add(&out, s, (size_t)(eq + 1 - s));
			cg_buf_addstr(&out, "***");
		} else {
			cg_buf_add(&out, s, len);
		}
		free(key);
		s += len;
		if (*s == '#') {
			cg_buf_addstr(&out, s);
			break;
		}
		if (*s)
			cg_buf_addch(&out, *s++);
	}
	return cg_buf_detach(&out, NULL);
}

/* ----------------------------------------------------------- services */

/* Where a host is: on this machine, a container of the environment's own
 * (a CI service container; locally a compose service), or elsewhere. */
enum location { L_LOOPBACK, L_CONTAINER, L_OFF_MACHINE };

static const char *const location_names[] = {"loopback", "service-container",
					     "off-machine"};

static bool loopback_host(const char *host)
{
	char self[256];

	if (!strcasecmp(host, "localhost") || !strcmp(host, "::1") ||
	    !strcmp(host, "0.0.0.0") || !strcmp(host, "::") ||
	    cg_ends_with(host, ".localhost") ||
	    !strcmp(host, "0:0:0:0:0:0:0:1"))
		return true;
	if (!strncmp(host, "127.", 4) &&
	    strspn(host, "0123456789.") == strlen(host))
		return true;
	return gethostname(self, sizeof(self)) == 0 &&
	       (self[sizeof(self) - 1] = '\0', !strcasecmp(host, self));
}

static enum location locate(const struct cg_model *m, enum cg_environment env,
			    const char *host)
{
	enum cg_place place =
	    env == CG_ENVIRONMENT_CI ? CG_PLACE_CI : CG_PLACE_COMPOSE;

	if (loopback_host(host))
		return L_LOOPBACK;
	for (size_t i = 0; i < m->facts.nservices; i++) {
		const struct cg_service_fact *s = &m->facts.services[i];

		if (s->place != place)
			continue;
		if (!strcasecmp(s->name, host))
			return L_CONTAINER;
		for (size_t j = 0; j < s->nhosts; j++)
			if (!strcasecmp(s->hosts[j], host))
				return L_CONTAINER;
	}
	return L_OFF_MACHINE;
}

static const char *const probe_schemes[] = {
    "redis://", "rediss://", "postgres://", "postgresql://",
    "http://",	"https://",  NULL};

static bool probe_scheme(const char *url)
{
	for (size_t i = 0; probe_schemes[i]; i++)
		if (!strncasecmp(url, probe_schemes[i],
				 strlen(probe_schemes[i])))
			return true;
	return false;
}

/*
 * The target to probe a service of `kind` at host:port by: `url` itself
 * when it is a URL a probe speaks (it may carry the credentials the
 * server wants), else one made from the host and port by the kind's
 * protocol (TCP for a kind no probe speaks; WireMock by its admin API).
 */
static char *probe_target(enum cg_service_kind kind, const char *url,
			  const char *host, unsigned port)
{
	bool v6 = strchr(host, ':') != NULL;
	const char *l = v6 ? "[" : "", *r = v6 ? "]" : "";

	if (!port)
		port = cg_service_default_port(kind);
	/* WireMock answers 404 to a request no mapping matches: its admin API
	 * does not */
	if (kind == CG_SERVICE_WIREMOCK)
		return cg_xasprintf(
		    "%s://%s%s%s:%u/__admin/mappings",
		    url && !strncasecmp(url, "https:", 6) ? "https" : "http", l,
		    host, r, port);
	if (url && probe_scheme(url) && !strchr(url, '$'))
		return cg_xstrdup(url);
	switch (kind) {
	case CG_SERVICE_REDIS:
		return cg_xasprintf("redis://%s%s%s:%u", l, host, r, port);
	case CG_SERVICE_POSTGRES:
		return cg_xasprintf("postgres://%s%s%s:%u", l, host, r, port);
	default:
		return port ? cg_xasprintf("tcp://%s%s%s:%u", l, host, r, port)
			    : NULL;
	}
}

static const char *place_label(enum cg_place p)
{
	switch (p) {
	case CG_PLACE_CI:
		return "ci";
	case CG_PLACE_ENV_EXAMPLE:
		return "env-example";
	case CG_PLACE_DOTENV:
		return "dotenv";
	case CG_PLACE_COMPOSE:
		return "compose";
	case CG_PLACE_K8S:
		return "k8s";
	default:
		return "code";
	}
}

/* The variable of the cell that the process env sets, or NULL. */
static const struct cg_matrix_value *
from_process_env(const struct cg_matrix_cell *cell, const char **out_value)
{
	for (size_t i = 0; i < cell->n; i++) {
		const struct cg_matrix_value *v = &cell->values[i];
		const char *name = v->origin != CG_MATRIX_FROM_ENV ? NULL
				   : v->secret			   ? v->secret
					       : v->def->name;
		const char *val = name ? getenv(name) : NULL;

		if (val && *val) {
			*out_value = val;
			return v;
		}
	}
	return NULL;
}

static void service_item(struct doctor *d, const struct cg_matrix_row *row,
			 const struct cg_matrix_cell *cell)
{
	const struct cg_matrix_value *v = &cell->values[0], *pv;
	const char *penv = NULL, *name = NULL, *url = NULL;
	struct item *it = add_item(d, G_SERVICES, cg_xstrdup(row->service));
	json_t *src = json_object();
	char *host = NULL, *shown, *target;
	unsigned port = 0;
	enum location loc;
	char err[512];

	json_object_set_new(it->detail, "kind",
			    row->kind == CG_SERVICE_OTHER
				? json_null()
				: json_string(cg_service_kind_name(row->kind)));
	if ((pv = from_process_env(cell, &penv))) {
		struct cg_url u;

		name = pv->secret ? pv->secret : pv->def->name;
		json_object_set_new(src, "from", json_string("process-env"));
		it->source = cg_xasprintf("%s in the process env", name);
		json_object_set_new(src, "variable", json_string(name));
		if (strstr(penv, "://") &&
		    !cg_url_parse(&u, penv, err, sizeof(err))) {
			host = u.host && *u.host ? cg_xstrdup(u.host) : NULL;
			port = u.port > 0 ? (unsigned)u.port : pv->port;
			cg_url_release(&u);
			url = penv;
		} else if (!strstr(penv, "://")) {
			host = cg_xstrdup(penv);
			port = pv->port;
		}
		shown = masked(name, penv);
	} else {
		struct cg_buf text = CG_BUF_INIT;

		name = v->origin == CG_MATRIX_FROM_ENV ? v->def->name : NULL;
		json_object_set_new(src, "from", json_string("file"));
		json_object_set_new(src, "variable",
				    name ? json_string(name) : json_null());
		json_object_set_new(src, "service",
				    name ? json_null()
					 : json_string(v->svc->name));
		json_object_set_new(
		    src, "place",
		    json_string(v->origin == CG_MATRIX_FROM_ENV
				    ? place_label(v->def->place)
				    : place_label(v->svc->place)));
		json_object_set_new(src, "path", json_string(v->src->path));
		json_object_set_new(src, "line", json_integer(v->pos.line));
		json_object_set_new(src, "column", json_integer(v->pos.col));
		it->where = where_of(v->src, &v->pos);
		it->source = name
				 ? cg_xasprintf("%s at %s", name, it->where)
				 : cg_xasprintf("published by service %s at %s",
						v->svc->name, it->where);
		if (v->secret) {
			shown = cg_xasprintf("secret:%s", v->secret);
		} else if (name && v->def->value_kind == CG_VALUE_LITERAL &&
			   v->def->value) {
			shown = masked(name, v->def->value);
			url = v->def->value;
		} else {
			cg_matrix_value_text(v, &text);
			shown = cg_buf_detach(&text, NULL);
		}
		if (v->host) {
			host = cg_xstrdup(v->host);
			port = v->port;
		}
		cg_buf_release(&text);
	}
	json_object_set_new(it->detail, "source", src);
	json_object_set_new(it->detail, "value", json_string(shown));
	json_object_set_new(it->detail, "host",
			    host ? json_string(host) : json_null());
	json_object_set_new(it->detail, "port",
			    port ? json_integer(port) : json_null());
	if (!host) {
		json_object_set_new(it->detail, "location", json_null());
		json_object_set_new(it->detail, "probe", json_null());
		if (v->secret && !pv)
			set_verdict(
			    it,
			    d->env == CG_ENVIRONMENT_CI ? V_WARN : V_SKIPPED,
			    cg_xasprintf("the value comes from a secret (%s) "
					 "that this process's env does not "
					 "set: where it points is unknown",
					 v->secret),
			    d->env == CG_ENVIRONMENT_CI
				? "point the URL at the service container "
				  "(localhost or its name), not at a secret"
				: NULL);
		else
			set_verdict(it, V_SKIPPED,
				    cg_xasprintf("%s names no host ciguard "
						 "can read",
						 shown),
				    NULL);
		free(shown);
		return;
	}
	loc = locate(d->m, d->env, host);
	json_object_set_new(it->detail, "location",
			    json_string(location_names[loc]));
	if (loc == L_OFF_MACHINE && d->env == CG_ENVIRONMENT_CI) {
		json_object_set_new(it->detail, "probe", json_null());
		set_verdict(
		    it, V_FAIL,
		    cg_xasprintf("%s points off this machine (%s) while CI is "
				 "set; not probed",
				 shown, host),
		    "in CI, point it at the service container (localhost and "
		    "the published port, or the service's name); never at a "
		    "shared or production server");
		free(host);
		free(shown);
		return;
	}
	target = probe_target(row->kind, url, host, port);
	if (!target) {
		json_object_set_new(it->detail, "probe", json_null());
		set_verdict(it, V_SKIPPED,
			    cg_xasprintf("%s: no port to probe", shown), NULL);
	} else if (!(it->probe =
			 cg_probe_new(target, NULL, err, sizeof(err)))) {
		json_object_set_new(it->detail, "probe", json_null());
		set_verdict(it, V_FAIL, cg_xasprintf("%s: %s", shown, err),
			    NULL);
	} else {
		/* the verdict once the probe answered */
		set_verdict(it, V_SKIPPED, cg_xstrdup(shown), NULL);
		if (loc == L_OFF_MACHINE)
			it->hint = cg_xasprintf("%s is off this machine", host);
	}
	free(target);
	free(host);
	free(shown);
}

static void collect_services(struct doctor *d, const struct cg_matrix *mx)
{
	int col = cg_matrix_column(d->env);

	for (size_t i = 0; i < mx->n; i++)
		if (mx->rows[i].cells[col].n)
			service_item(d, &mx->rows[i], &mx->rows[i].cells[col]);
}

static void probe_one(void *ctx, size_t i, unsigned worker)
{
	struct doctor *d = ctx;
	struct item *it = &d->items[i];
	struct cg_wait_options wo = {0};

	(void)worker;
	if (!it->probe)
		return;
	wo.timeout_ms = d->timeout_ms;
	wo.interval_ms = 100;
	wo.max_interval_ms = 500;
	wo.attempt_timeout_ms = d->timeout_ms;
	if (cg_wait(&it->probe, 1, &wo, &it->status) < 0)
		snprintf(it->status.last_error, sizeof(it->status.last_error),
			 "cannot start a thread");
}

/* Every probe at once, under the one deadline; then their verdicts. */
static void run_probes(struct doctor *d, bool progress)
{
	size_t nprobes = 0;

	for (size_t i = 0; i < d->n; i++)
		nprobes += d->items[i].probe != NULL;
	if (!nprobes)
		return;
	if (progress)
		fprintf(stderr,
			"ciguard: doctor: probing %zu service%s (%.1fs "
			"at most)...\n",
			nprobes, nprobes == 1 ? "" : "s",
			(double)d->timeout_ms / 1000);
	cg_parallel_for(d->n, (unsigned)(d->n < 64 ? d->n : 64), probe_one, d);
	for (size_t i = 0; i < d->n; i++) {
		struct item *it = &d->items[i];
		json_t *pj;
		char *shown, *probed;

		if (!it->probe)
			continue;
		pj = json_object();
		json_object_set_new(pj, "target",
				    json_string(cg_probe_display(it->probe)));
		json_object_set_new(pj, "ready",
				    json_boolean(it->status.ready));
		json_object_set_new(pj, "elapsed_ms",
				    json_integer(it->status.elapsed_ms));
		json_object_set_new(
		    pj, "error",
		    it->status.ready ? json_null()
				     : json_string(it->status.last_error[0]
						       ? it->status.last_error
						       : "no answer"));
		json_object_set_new(it->detail, "probe", pj);
		shown = it->reason;
		it->reason = NULL;
		/* the probe's own target when it is not the value shown */
		probed = strcmp(shown, cg_probe_display(it->probe))
			     ? cg_xasprintf(" (probed as %s)",
					    cg_probe_display(it->probe))
			     : cg_xstrdup("");
		if (it->status.ready)
			set_verdict(it, V_OK,
				    cg_xasprintf("%s answers%s in %ldms%s%s",
						 shown, probed,
						 it->status.elapsed_ms,
						 it->hint ? "; " : "",
						 it->hint ? it->hint : ""),
				    NULL);
		else
			set_verdict(
			    it, V_FAIL,
			    cg_xasprintf("%s does not answer%s: %s", shown,
					 probed,
					 it->status.last_error[0]
					     ? it->status.last_error
					     : "no answer before the deadline"),
			    "start it, or fix the URL; `ciguard wait` shows "
			    "when it becomes ready");
		free(shown);
		free(probed);
	}
}

/* ------------------------------------------------------------ workers */

static bool wrapper_word(const char *w)
{
	static const char *const words[] = {
	    "env", "nohup", "setsid", "exec", "command", "time", NULL};

	return cg_str_in(cg_path_base(w), words) ||
	       (strchr(w, '=') && w[0] != '-' &&
		strcspn(w, "=") < strcspn(w, "/"));
}

/*
 * What to look for in /proc: the words after the program (wrappers
 * looked through), which survive `python` becoming `python3` or a full
 * path; the program's base name when it has no arguments.
 */
static char *process_pattern(const struct cg_process_fact *p)
{
	struct cg_buf out = CG_BUF_INIT;
	size_t i = 0;

	while (i < p->argc && wrapper_word(p->argv[i]))
		i++;
	/* `poetry run`, `uv run`, `pipenv run` */
	if (i + 1 < p->argc && !strcmp(p->argv[i + 1], "run") &&
	    cg_str_in(p->argv[i],
		      (const char *const[]){"poetry", "uv", "pipenv", NULL}))
		i += 2;
	if (i >= p->argc)
		return NULL;
	if (i + 1 == p->argc)
		return cg_xstrdup(cg_path_base(p->argv[i]));
	for (size_t j = i + 1; j < p->argc; j++) {
		if (j > i + 1)
			cg_buf_addch(&out, ' ');
		cg_buf_addstr(&out, p->argv[j]);
	}
	return cg_buf_detach(&out, NULL);
}

static enum cg_environment process_env(const struct cg_model *m,
				       const struct cg_process_fact *p)
{
	switch (p->origin) {
	case CG_PROCESS_CI:
		return CG_ENVIRONMENT_CI;
	case CG_PROCESS_COMPOSE:
		return p->scope < m->facts.nscopes
			   ? m->facts.scopes[p->scope].environment
			   : CG_ENVIRONMENT_LOCAL;
	default:
		return CG_ENVIRONMENT_PRODUCTION;
	}
}

/* PYTHONUNBUFFERED of worker `p` from the config, as the model resolves
 * it for the env the process runs with. */
static void unbuffered_from_config(struct doctor *d, struct item *it,
				   const struct cg_process_fact *p,
				   const char *why)
{
	const struct cg_env_fact *e;
	json_t *u = json_object_get(it->detail, "unbuffered");

	json_object_set_new(u, "from", json_string("config"));
	if (p->unbuffered) {
		set_verdict(it, V_OK,
			    cg_xasprintf("%sthe command runs `python -u`", why),
			    NULL);
		return;
	}
	e = cg_env_lookup(d->m, p->scope, "PYTHONUNBUFFERED");
	if (!e) {
		set_verdict(it, V_WARN,
			    cg_xasprintf("%sPYTHONUNBUFFERED is not set in any "
					 "env it runs with: its log lines are "
					 "block-buffered",
					 why),
			    "set PYTHONUNBUFFERED=1 in its env, or run it as "
			    "`python -u`");
		return;
	}
	json_object_set_new(u, "path", json_string(e->src->path));
	json_object_set_new(u, "line", json_integer(e->pos.line));
	if (e->value_kind != CG_VALUE_LITERAL || !e->value) {
		set_verdict(it, V_SKIPPED,
			    cg_xasprintf("%sPYTHONUNBUFFERED is set by a value "
					 "ciguard cannot read (%s:%u)",
					 why, e->src->path,
					 (unsigned)e->pos.line),
			    NULL);
		return;
	}
	json_object_set_new(u, "value", json_string(e->value));
	if (cg_python_unbuffered_value(e->value))
		set_verdict(it, V_OK,
			    cg_xasprintf("%sPYTHONUNBUFFERED=%s (%s:%u)", why,
					 e->value, e->src->path,
					 (unsigned)e->pos.line),
			    NULL);
	else
		set_verdict(it, V_WARN,
			    cg_xasprintf("%sPYTHONUNBUFFERED=%s (%s:%u), which "
					 "CPython reads as off",
					 why, e->value, e->src->path,
					 (unsigned)e->pos.line),
			    "set PYTHONUNBUFFERED=1 in its env, or run it as "
			    "`python -u`");
}

/*
 * The files a CI worker's stdout goes to (`> FILE`, `>> FILE`, `&> FILE`,
 * `1> FILE`), relative to the repository as a job's default working
 * directory is: each an item, that it exists now and, judged after the
 * probes (judge_logs), that it grew. A target with $, `...` is skipped.
 */
static void log_items(struct doctor *d, const struct cg_process_fact *p,
		      int npids)
{
	const struct cg_sh_cmd *c = p->cmd;

	for (uint32_t k = 0; c && k < c->nredirs; k++) {
		const struct cg_sh_redir *r = &c->redirs[k];
		bool out = r->kind == CG_SH_REDIR_OUT ||
			   r->kind == CG_SH_REDIR_APPEND ||
			   r->kind == CG_SH_REDIR_CLOBBER ||
			   r->kind == CG_SH_REDIR_OUT_ERR ||
			   r->kind == CG_SH_REDIR_APPEND_ERR;
		struct item *it;
		struct stat st;
		char *path;

		if (!out || (r->fd != -1 && r->fd != 1) || !r->target.len ||
		    !strcmp(r->target.text, "/dev/null"))
			continue;
		it = add_item(
		    d, G_WORKERS,
		    cg_xasprintf("%s: log %s", p->command, r->target.text));
		it->where = where_of(p->src, &p->pos);
		json_object_set_new(it->detail, "command",
				    json_string(p->command));
		json_object_set_new(it->detail, "log",
				    json_string(r->target.text));
		if (r->target.expands) {
			set_verdict(it, V_SKIPPED,
				    cg_xstrdup("the file's name is expanded "
					       "by the shell"),
				    NULL);
			continue;
		}
		path =
		    r->target.text[0] == '/'
			? cg_xstrdup(r->target.text)
			: cg_xasprintf("%s/%s", d->m->opt.root, r->target.text);
		if (stat(path, &st) < 0) {
			set_verdict(
			    it, npids > 0 ? V_FAIL : V_WARN,
			    cg_xasprintf("%s does not exist", r->target.text),
			    "start the worker with its output going "
			    "there, or fix the path");
			free(path);
			continue;
		}
		if (!d->nlogs)
			d->logs_since = cg_now_ms();
		CG_GROW(d->logs, d->logs_alloc, d->nlogs + 1);
		d->logs[d->nlogs].item = (size_t)(it - d->items);
		d->logs[d->nlogs].path = path;
		d->logs[d->nlogs].size = (long long)st.st_size;
		d->nlogs++;
		set_verdict(it, V_SKIPPED, cg_xstrdup("not judged"), NULL);
	}
}

/* The logs seen at first: did they grow since? Waits until a second has
 * passed since the first sizes (or half the timeout when shorter). */
static void judge_logs(struct doctor *d)
{
	long wait = d->timeout_ms / 2 < 1000 ? d->timeout_ms / 2 : 1000;
	long left = d->logs_since + wait - cg_now_ms();

	if (!d->nlogs)
		return;
	if (left > 0) {
		struct timespec ts = {left / 1000, (left % 1000) * 1000000L};

		nanosleep(&ts, NULL);
	}
	for (size_t i = 0; i < d->nlogs; i++) {
		struct log_watch *w = &d->logs[i];
		struct item *it = &d->items[w->item];
		struct stat st;
		long long now_size =
		    stat(w->path, &st) == 0 ? (long long)st.st_size : -1;

		json_object_set_new(it->detail, "bytes",
				    json_integer(now_size));
		if (now_size > w->size)
			set_verdict(it, V_OK,
				    cg_xasprintf("it grew by %lld bytes in "
						 "%ld ms",
						 now_size - w->size, wait),
				    NULL);
		else
			set_verdict(
			    it, V_WARN,
			    cg_xasprintf("it did not grow in %ld ms (%lld "
					 "bytes)",
					 wait, now_size),
			    "a quiet worker, a stuck one, or output held in "
			    "a buffer: set PYTHONUNBUFFERED=1");
		free(w->path);
	}
	free(d->logs);
	d->logs = NULL;
	d->nlogs = 0;
}

static void worker_items(struct doctor *d, const struct cg_process_fact *p)
{
	char *pattern = process_pattern(p);
	long pids[16];
	int npids = pattern ? cg_proc_find(pattern, pids, 16) : 0;
	struct item *run, *unb;
	json_t *arr = json_array(), *u = json_object();
	struct cg_buf val = CG_BUF_INIT;

	run = add_item(d, G_WORKERS, cg_xasprintf("%s: running", p->command));
	run->where = where_of(p->src, &p->pos);
	json_object_set_new(run->detail, "command", json_string(p->command));
	json_object_set_new(run->detail, "pattern",
			    pattern ? json_string(pattern) : json_null());
	for (int i = 0; i < npids; i++)
		json_array_append_new(arr, json_integer(pids[i]));
	json_object_set_new(run->detail, "pids", arr);
	if (!pattern)
		set_verdict(run, V_SKIPPED,
			    cg_xstrdup("its command names no program"), NULL);
	else if (npids < 0)
		set_verdict(run, V_SKIPPED, cg_xstrdup("cannot read /proc"),
			    NULL);
	else if (npids == 0)
		set_verdict(run, V_FAIL,
			    cg_xasprintf("no running process's command line "
					 "contains '%s'",
					 pattern),
			    "start it, and check its log for why it stopped");
	else
		set_verdict(run, V_OK,
			    cg_xasprintf("pid %ld%s", pids[0],
					 npids > 1 ? " and more" : ""),
			    NULL);

	unb = add_item(d, G_WORKERS,
		       cg_xasprintf("%s: PYTHONUNBUFFERED", p->command));
	unb->where = where_of(p->src, &p->pos);
	json_object_set_new(unb->detail, "command", json_string(p->command));
	json_object_set_new(unb->detail, "unbuffered", u);
	if (!p->python) {
		set_verdict(unb, V_SKIPPED, cg_xstrdup("not a Python program"),
			    NULL);
	} else if (!p->unbuffered && p->ignores_env) {
		set_verdict(unb, V_WARN,
			    cg_xstrdup("the command runs `python -E` or `-I`: "
				       "CPython ignores PYTHONUNBUFFERED, and "
				       "its log lines are block-buffered"),
			    "run it as `python -u`");
	} else if (npids > 0 && !p->unbuffered) {
		int r = cg_proc_getenv(pids[0], "PYTHONUNBUFFERED", &val);
		char *why;

		if (r < 0) {
			why = cg_xasprintf("/proc/%ld/environ is not readable; "
					   "config: ",
					   pids[0]);
			unbuffered_from_config(d, unb, p, why);
			free(why);
		} else {
			json_object_set_new(u, "from", json_string("proc"));
			json_object_set_new(u, "pid", json_integer(pids[0]));
			json_object_set_new(
			    u, "value", r ? json_string(val.buf) : json_null());
			if (r && cg_python_unbuffered_value(val.buf))
				set_verdict(
				    unb, V_OK,
				    cg_xasprintf("PYTHONUNBUFFERED=%s in "
						 "/proc/%ld/environ",
						 val.buf, pids[0]),
				    NULL);
			else
				set_verdict(
				    unb, V_WARN,
				    r ? cg_xasprintf("PYTHONUNBUFFERED=%s in "
						     "/proc/%ld/environ, which "
						     "CPython reads as off",
						     val.buf, pids[0])
				      : cg_xasprintf(
					    "PYTHONUNBUFFERED is not "
					    "set in /proc/%ld/environ: "
					    "its log lines are "
					    "block-buffered",
					    pids[0]),
				    "set PYTHONUNBUFFERED=1 in its env, or run "
				    "it as `python -u`");
		}
	} else {
		unbuffered_from_config(d, unb, p, "");
	}
	log_items(d, p, npids);
	cg_buf_release(&val);
	free(pattern);
}

static void collect_workers(struct doctor *d)
{
	const struct cg_facts *f = &d->m->facts;

	for (size_t i = 0; i < f->nprocesses; i++) {
		const struct cg_process_fact *p = &f->processes[i];
		bool seen = false;

		if (!p->worker || p->oneshot || process_env(d->m, p) != d->env)
			continue;
		/* one command started in several places is one worker */
		for (size_t j = 0; j < i && !seen; j++) {
			const struct cg_process_fact *o = &f->processes[j];

			seen = o->worker && !o->oneshot &&
			       process_env(d->m, o) == d->env &&
			       !strcmp(o->command, p->command);
		}
		if (!seen)
			worker_items(d, p);
	}
}

/* --------------------------------------------------------- repository */

static void repo_changes(struct doctor *d)
{
	const struct cg_model *m = d->m;
	struct item *it =
	    add_item(d, G_REPOSITORY, cg_xstrdup("uncommitted changes"));
	json_t *files = json_array();
	size_t n = 0;

	for (size_t i = 0; i < m->ngit_changes; i++)
		if (m->git_changes[i].uncommitted) {
			json_array_append_new(
			    files, json_string(m->git_changes[i].path));
			n++;
		}
	json_object_set_new(it->detail, "files", files);
	if (!m->in_git)
		set_verdict(it, V_SKIPPED, cg_xstrdup("not a git work tree"),
			    NULL);
	else if (!m->git_changes_known)
		set_verdict(it, V_SKIPPED,
			    cg_xstrdup("git could not compare the work tree "
				       "with HEAD"),
			    NULL);
	else if (n)
		set_verdict(
		    it, V_WARN,
		    cg_xasprintf("%zu tracked file%s changed since "
				 "HEAD (first: %s)",
				 n, n == 1 ? "" : "s",
				 json_string_value(json_array_get(files, 0))),
		    "what CI runs is HEAD, not this work tree: commit "
		    "or stash before comparing");
	else
		set_verdict(it, V_OK, cg_xstrdup("none"), NULL);
}

static void repo_unpushed(struct doctor *d)
{
	struct item *it =
	    add_item(d, G_REPOSITORY, cg_xstrdup("unpushed HEAD"));
	const char *root = d->m->opt.root ? d->m->opt.root : ".";
	const char *up_argv[] = {"git",		 "-C",
				 root,		 "rev-parse",
				 "--abbrev-ref", "--symbolic-full-name",
				 "@{upstream}",	 NULL};
	const char *count_argv[] = {"git",	"-C",	   root,
				    "rev-list", "--count", "@{upstream}..HEAD",
				    NULL};
	struct cg_buf up = CG_BUF_INIT, count = CG_BUF_INIT;
	long ahead;

	if (!d->m->in_git) {
		set_verdict(it, V_SKIPPED, cg_xstrdup("not a git work tree"),
			    NULL);
		goto out;
	}
	if (cg_run_capture(up_argv, NULL, &up) != 0 || !up.len) {
		cg_error_clear();
		json_object_set_new(it->detail, "upstream", json_null());
		if (d->env == CG_ENVIRONMENT_CI)
			set_verdict(it, V_SKIPPED,
				    cg_xstrdup("HEAD has no upstream branch "
					       "(CI checks out a pushed "
					       "commit)"),
				    NULL);
		else
			set_verdict(it, V_WARN,
				    cg_xstrdup("the branch has no upstream: "
					       "HEAD was never pushed"),
				    "push it (git push -u) so CI runs what you "
				    "ran");
		goto out;
	}
	while (up.len && isspace((unsigned char)up.buf[up.len - 1]))
		up.buf[--up.len] = '\0';
	json_object_set_new(it->detail, "upstream", json_string(up.buf));
	if (cg_run_capture(count_argv, NULL, &count) != 0) {
		cg_error_clear();
		set_verdict(
		    it, V_SKIPPED,
		    cg_xasprintf("git cannot compare HEAD with %s", up.buf),
		    NULL);
		goto out;
	}
	ahead = strtol(count.buf, NULL, 10);
	json_object_set_new(it->detail, "ahead", json_integer(ahead));
	if (ahead > 0)
		set_verdict(it, V_WARN,
			    cg_xasprintf("%ld commit%s not pushed to %s", ahead,
					 ahead == 1 ? "" : "s", up.buf),
			    "CI has not seen them: push before reading CI's "
			    "result as yours");
	else
		set_verdict(it, V_OK, cg_xasprintf("in %s", up.buf), NULL);
out:
	cg_buf_release(&up);
	cg_buf_release(&count);
}

static int repo_quick_check(struct doctor *d, const char *config)
{
	struct item *it = add_item(d, G_REPOSITORY, cg_xstrdup("quick check"));
	struct cg_check_opts opt = {0};
	struct cg_check_result *res;
	const struct cg_check_summary *s;

	opt.root = d->m->opt.root;
	opt.config = config;
	opt.quick = true;
	if (cg_check(&res, &opt) < 0)
		return cli_fail("doctor: %s", cg_check_last_error());
	s = cg_check_result_summary(res);
	json_object_set_new(it->detail, "errors", json_integer(s->errors));
	json_object_set_new(it->detail, "warnings", json_integer(s->warnings));
	json_object_set_new(it->detail, "notes", json_integer(s->notes));
	if (s->errors || s->warnings)
		set_verdict(it, s->failed ? V_FAIL : V_WARN,
			    cg_xasprintf("%zu error%s, %zu warning%s",
					 s->errors, s->errors == 1 ? "" : "s",
					 s->warnings,
					 s->warnings == 1 ? "" : "s"),
			    "run `ciguard check --quick` to see them");
	else
		set_verdict(it, V_OK,
			    cg_xasprintf("no findings in %zu files", s->files),
			    NULL);
	cg_check_result_free(res);
	return 0;
}

/* ------------------------------------------------------------- output */

static const char *verdict_color(enum verdict v)
{
	static const char *const c[] = {"\033[32m", "\033[33m", "\033[1;31m",
					"\033[2m"};
	return c[v];
}

static void print_text(const struct doctor *d, bool color)
{
	for (int g = 0; g < G_N; g++) {
		bool any = false;

		for (size_t i = 0; i < d->n; i++) {
			const struct item *it = &d->items[i];

			if ((int)it->group != g)
				continue;
			if (!any) {
				printf("%s%s%s", color ? "\033[1m" : "",
				       group_names[g], color ? "\033[0m" : "");
				if (g == G_SERVICES)
					printf(" (%s)",
					       cg_environment_name(d->env));
				putchar('\n');
				any = true;
			}
			printf("  %s%-7s%s %s",
			       color ? verdict_color(it->verdict) : "",
			       verdict_names[it->verdict],
			       color ? "\033[0m" : "", it->name);
			if (it->source)
				printf(": %s", it->source);
			else if (it->where)
				printf(" (%s)", it->where);
			printf("\n          %s\n", it->reason);
			if (it->hint && it->verdict != V_OK)
				printf("          hint: %s\n", it->hint);
		}
		if (!any)
			printf("%s\n  (none in %s)\n", group_names[g],
			       cg_environment_name(d->env));
	}
}

static void print_json(const struct doctor *d, const size_t *counts)
{
	json_t *root = json_object(), *tool = json_object(),
	       *items = json_array(), *sum = json_object();
	char *s;

	json_object_set_new(tool, "name", json_string("ciguard"));
	json_object_set_new(tool, "version", json_string(CIGUARD_VERSION));
	json_object_set_new(root, "tool", tool);
	json_object_set_new(
	    root, "environment",
	    json_string(d->env == CG_ENVIRONMENT_CI ? "ci" : "local"));
	for (int g = 0; g < G_N; g++)
		for (size_t i = 0; i < d->n; i++) {
			const struct item *it = &d->items[i];
			json_t *o;

			if ((int)it->group != g)
				continue;
			o = json_object();
			json_object_set_new(o, "group",
					    json_string(group_names[g]));
			json_object_set_new(o, "name", json_string(it->name));
			json_object_set_new(
			    o, "verdict",
			    json_string(verdict_names[it->verdict]));
			json_object_set_new(o, "reason",
					    json_string(it->reason));
			json_object_set_new(o, "hint",
					    it->hint && it->verdict != V_OK
						? json_string(it->hint)
						: json_null());
			json_object_set_new(o, "where",
					    it->where ? json_string(it->where)
						      : json_null());
			json_object_update(o, it->detail);
			json_array_append_new(items, o);
		}
	json_object_set_new(root, "items", items);
	for (int v = V_OK; v <= V_SKIPPED; v++)
		json_object_set_new(sum, verdict_names[v],
				    json_integer((json_int_t)counts[v]));
	json_object_set_new(root, "summary", sum);
	s = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (s)
		printf("%s\n", s);
	free(s);
	json_decref(root);
}

int cmd_doctor(int argc, char **argv)
{
	struct cli_parser p;
	const char *path = NULL, *config = NULL, *ci = getenv("CI");
	struct doctor d;
	struct cg_check_result *res = NULL;
	struct cg_matrix mx;
	size_t counts[4] = {0};
	bool json = false;
	int id, rc = 2;

	memset(&d, 0, sizeof(d));
	d.env = ci && *ci ? CG_ENVIRONMENT_CI : CG_ENVIRONMENT_LOCAL;
	d.timeout_ms = 2000;
	cli_parser_init(&p, &cli_doctor_spec, argc, argv);
	while ((id = cli_next(&p)) != CLI_END) {
		switch (id) {
		case CLI_HELP:
			return 0;
		case CLI_ERROR:
			return 2;
		case CLI_DASHDASH:
			break;
		case CLI_ARG:
			if (path)
				return cli_fail("doctor: unexpected argument "
						"'%s' (one PATH at most)",
						p.arg);
			path = p.arg;
			break;
		case OPT_ENV:
			if (!strcmp(p.value, "ci"))
				d.env = CG_ENVIRONMENT_CI;
			else if (!strcmp(p.value, "local"))
				d.env = CG_ENVIRONMENT_LOCAL;
			else
				return cli_fail("doctor: --env takes ci or "
						"local, not '%s'",
						p.value);
			break;
		case OPT_JSON:
			json = true;
			break;
		case OPT_CONFIG:
			config = p.value;
			break;
		case OPT_TIMEOUT:
			if (cli_parse_duration(p.value, &d.timeout_ms) < 0 ||
			    d.timeout_ms <= 0)
				return cli_fail("doctor: --timeout takes a "
						"duration like 500ms or 2s, "
						"not '%s'",
						p.value);
			break;
		}
	}
	if (!(res = cli_repo_model(path, config, "dirty-worktree")))
		return 2;
	d.m = cg_check_result_model(res);
	cg_matrix_build(&mx, d.m);
	collect_services(&d, &mx);
	collect_workers(&d);
	repo_changes(&d);
	repo_unpushed(&d);
	if (repo_quick_check(&d, config) != 0)
		goto out;
	run_probes(&d, !json && isatty(STDERR_FILENO));
	judge_logs(&d);
	for (size_t i = 0; i < d.n; i++)
		counts[d.items[i].verdict]++;
	if (json) {
		print_json(&d, counts);
	} else {
		const char *nc = getenv("NO_COLOR");

		print_text(&d, !(nc && *nc) && isatty(STDOUT_FILENO));
		printf("%zu ok, %zu warn, %zu fail, %zu skipped\n",
		       counts[V_OK], counts[V_WARN], counts[V_FAIL],
		       counts[V_SKIPPED]);
	}
	rc = counts[V_FAIL] ? 1 : 0;
out:
	for (size_t i = 0; i < d.n; i++) {
		free(d.items[i].name);
		free(d.items[i].reason);
		free(d.items[i].hint);
		free(d.items[i].where);
		free(d.items[i].source);
		json_decref(d.items[i].detail);
		cg_probe_free(d.items[i].probe);
	}
	free(d.items);
	for (size_t i = 0; i < d.nlogs; i++)
		free(d.logs[i].path);
	free(d.logs);
	cg_matrix_release(&mx);
	cg_check_result_free(res);
	return rc;
}
