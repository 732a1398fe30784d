/*
 * service-no-healthcheck: a GitHub service container without
 * `--health-cmd` in its `options:`, and nothing in the job that waits for
 * it before the first critical command. The runner starts the steps as
 * soon as the container runs; postgres, for one, accepts connections
 * seconds later, so the first test or migration races it.
 *
 * Waiting means a command, before the first critical command (in an
 * earlier step, or earlier in the same script), that probes the service:
 *   - a probe of its kind: `pg_isready`, `redis-cli ping` /
 *     `valkey-cli ping`, `mysqladmin ping`, `rabbitmq-diagnostics`;
 *   - `ciguard wait`, `nc -z`, `curl`/`wget`, a `/dev/tcp/HOST/PORT`
 *     redirect, `wait-for-it`, `dockerize -wait`, `wait-on` (its
 *     `tcp:PORT` is on localhost), or any program or script named like
 *     wait-for / wait_for;
 *   - any command inside a `while`/`until`/`for` loop whose body sleeps
 *     (`until psql ...; do sleep 1; done`).
 * A probe that names a target (a URL, `$DATABASE_URL`, host and port,
 * `-h`/`-p`, `${{ job.services.ID... }}`) waits for the services it
 * reaches; one that names none waits for every service (a kind probe:
 * every service of its kind). `sleep N` alone is not waiting
 * (ci-sleep-as-readiness). GitLab waits for services itself, so only
 * GitHub jobs are checked.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rules/critical.h"
#include "rules/readiness.h"
#include "rules/service_vars.h"
#include "core/banned.h"

struct probe_walk {
	const struct cg_model *m;
	const struct cg_script_group *g;
	size_t svc;		      /* the service waited for */
	size_t scope;		      /* the env the script runs with */
	const struct cg_sh_cmd *stop; /* the first critical command */
	bool waited, stopped;
};

static bool in_list(const char *w, const char *const *list)
{
	for (size_t i = 0; list[i]; i++)
		if (!strcmp(w, list[i]))
			return true;
	return false;
}

/* The kind a program probes, or OTHER. */
static enum cg_service_kind kind_probe(const struct cg_sh_cmd *c, size_t i)
{
	const char *p = cg_path_base(c->words[i].text);
	bool ping = false;

	for (size_t k = i + 1; k < c->nwords; k++)
		if (!strcasecmp(c->words[k].text, "ping"))
			ping = true;
	if (!strcmp(p, "pg_isready"))
		return CG_SERVICE_POSTGRES;
	if ((!strcmp(p, "redis-cli") || !strcmp(p, "valkey-cli") ||
	     !strcmp(p, "keydb-cli")) &&
	    ping)
		return CG_SERVICE_REDIS;
	if (!strcmp(p, "mysqladmin") && ping)
		return CG_SERVICE_MYSQL;
	if (!strcmp(p, "rabbitmq-diagnostics") || !strcmp(p, "rabbitmqctl"))
		return CG_SERVICE_RABBITMQ;
	return CG_SERVICE_OTHER;
}

static bool waits_by_name(const char *p)
{
	return strstr(p, "wait-for") || strstr(p, "wait_for") ||
	       strstr(p, "waitfor") || strstr(p, "wait-on") ||
	       strstr(p, "wait_on") || strstr(p, "wait-until") ||
	       strstr(p, "wait_until");
}

/* A generic probe: waits, checks a port, or fetches a URL. */
static bool generic_probe(const struct cg_sh_cmd *c, size_t i, bool retry)
{
	static const char *const not_probe[] = {
	    "sleep", "echo", "printf", "true", ":",	"break",  "continue",
	    "exit",  "[",    "test",   "let",  "false", "return", NULL};
	const char *p = cg_path_base(c->words[i].text);

	if (!strcmp(p, "ciguard"))
		return i + 1 < c->nwords &&
		       !strcmp(c->words[i + 1].text, "wait");
	if (waits_by_name(p))
		return true;
	if (!strcmp(p, "dockerize")) {
		for (size_t k = i + 1; k < c->nwords; k++)
			if (!strcmp(c->words[k].text, "-wait"))
				return true;
		return false;
	}
	if (!strcmp(p, "nc") || !strcmp(p, "ncat") || !strcmp(p, "netcat")) {
		for (size_t k = i + 1; k < c->nwords; k++)
			if (c->words[k].text[0] == '-' &&
			    strchr(c->words[k].text, 'z'))
				return true;
		return retry;
	}
	if (!strcmp(p, "curl") || !strcmp(p, "wget") || !strcmp(p, "http") ||
	    !strcmp(p, "httping") || !strcmp(p, "wait-on"))
		return true;
	for (size_t k = i; k < c->nwords; k++)
		if (strstr(c->words[k].text, "/dev/tcp/"))
			return true;
	for (size_t k = 0; k < c->nredirs; k++)
		if (strstr(c->redirs[k].target.text, "/dev/tcp/"))
			return true;
	return retry && !in_list(p, not_probe);
}

/* The program after wrappers (cg_cmd_unwrap), into `docker exec
 * CONTAINER` and the like. */
static size_t program_index(const struct cg_sh_cmd *c)
{
	return cg_sh_cmd_unwrap(c, 0, CG_UNWRAP_CONTAINER);
}

/* What a probe names: targets that reach the service, or others. */
struct targets {
	bool named; /* some target could be read */
	bool hits;  /* one reaches the service */
};

static void target(struct probe_walk *w, struct targets *t, const char *host,
		   unsigned port, size_t port_service)
{
	if (!host && !port && port_service == CG_NO_INDEX)
		return;
	t->named = true;
	if (cg_svc_reach(w->m, w->g, w->svc, host, port, port_service) ==
	    CG_SVC_REACHES)
		t->hits = true;
}

/* A word of the probe: a URL, host:port, $VAR, /dev/tcp/H/P. */
static void word_target(struct probe_walk *w, struct targets *t,
			const char *text)
{
	const struct cg_service_fact *s = &w->m->facts.services[w->svc];
	const char *dev = strstr(text, "/dev/tcp/");
	struct cg_svc_endpoint ep;

	if (strstr(text, "job.services.")) {
		char *id = cg_xasprintf("job.services.%s.", s->name);

		t->named = true;
		if (strstr(text, id))
			t->hits = true;
		free(id);
		return;
	}
	if (dev) {
		char *hp = cg_xstrdup(dev + 9), *slash = strchr(hp, '/');

		if (slash) {
			*slash = ':';
			if (cg_svc_endpoint_read(w->m, w->g, w->scope, hp, true,
						 &ep)) {
				target(w, t, ep.host, ep.port, ep.port_service);
				cg_svc_endpoint_release(&ep);
			}
		}
		free(hp);
		return;
	}
	if (!strchr(text, ':') && !strchr(text, '$'))
		return; /* a plain word: an option, a path, a name */
	/* wait-on's `tcp:PORT` / `tcp:HOST:PORT` (without `//`) */
	if (cg_starts_with(text, "tcp:") && text[4] != '/') {
		char *hp = strchr(text + 4, ':')
			       ? cg_xstrdup(text + 4)
			       : cg_xasprintf("localhost:%s", text + 4);

		if (cg_svc_endpoint_read(w->m, w->g, w->scope, hp, true, &ep)) {
			target(w, t, ep.host, ep.port, ep.port_service);
			cg_svc_endpoint_release(&ep);
		}
		free(hp);
		return;
	}
	if (cg_svc_endpoint_read(w->m, w->g, w->scope, text, true, &ep)) {
		if (ep.scheme[0] || ep.port_written)
			target(w, t, ep.host, ep.port, ep.port_service);
		cg_svc_endpoint_release(&ep);
	}
}

static unsigned port_word(const char *s)
{
	char *end;
	unsigned long v;

	if (!*s || strspn(s, "0123456789") != strlen(s))
		return 0;
	v = strtoul(s, &end, 10);
	return v >= 1 && v <= 65535 ? (unsigned)v : 0;
}

static void probe_targets(struct probe_walk *w, const struct cg_sh_cmd *c,
			  size_t i, struct targets *t)
{
	const char *p = cg_path_base(c->words[i].text);
	bool netcat = !strcmp(p, "nc") || !strcmp(p, "ncat") ||
		      !strcmp(p, "netcat") || !strcmp(p, "telnet");
	const char *host = NULL;
	unsigned port = 0;

	for (size_t k = i + 1; k < c->nwords; k++) {
		const char *a = c->words[k].text;

		if ((!strcmp(a, "-h") || !strcmp(a, "--host")) &&
		    k + 1 < c->nwords && strcmp(p, "curl")) {
			host = c->words[++k].text;
			continue;
		}
		if ((!strcmp(a, "-p") || !strcmp(a, "-P") ||
		     !strcmp(a, "--port")) &&
		    k + 1 < c->nwords && strcmp(p, "curl")) {
			port = port_word(c->words[++k].text);
			continue;
		}
		if (cg_starts_with(a, "--host="))
			host = a + 7;
		else if (cg_starts_with(a, "--port="))
			port = port_word(a + 7);
		else if (netcat && a[0] != '-' && port_word(a) && host)
			port = port_word(a);
		else if (netcat && a[0] != '-' && !host)
			host = a;
		else
			word_target(w, t, a);
	}
	for (size_t k = 0; k < c->nredirs; k++)
		word_target(w, t, c->redirs[k].target.text);
	if (host && strchr(host, '$')) {
		struct cg_svc_endpoint ep;

		if (cg_svc_endpoint_read(w->m, w->g, w->scope, host, true,
					 &ep)) {
			target(w, t, ep.host, port, CG_NO_INDEX);
			cg_svc_endpoint_release(&ep);
		}
	} else if (host || port) {
		target(w, t, host, port, CG_NO_INDEX);
	}
}

static bool visit(void *ud, const struct cg_script *s,
		  const struct cg_sh_cmd *c, const struct cg_svc_at *at)
{
	struct probe_walk *w = ud;
	const struct cg_service_fact *svc = &w->m->facts.services[w->svc];
	size_t i = program_index(c);
	enum cg_service_kind k;
	struct targets t = {false, false};

	if (i < c->nwords && !at->swallowed) {
		k = kind_probe(c, i);
		/* or what the readiness rules take for a check: a command
		 * named for it (`python manage.py wait_for_db`, `make
		 * wait-db`), a docker probe, a polling loop */
		if (k != CG_SERVICE_OTHER || generic_probe(c, i, at->retry) ||
		    cg_ready_classify(s, c, NULL) == CG_READY_CHECK) {
			probe_targets(w, c, i, &t);
			if (t.hits || (!t.named && (k == CG_SERVICE_OTHER ||
						    k == svc->kind))) {
				w->waited = true;
				return false;
			}
		}
	}
	if (c == w->stop) {
		w->stopped = true;
		return false;
	}
	return true;
}

/* The first critical command of each item of a job and its name, found
 * when first asked, once for all the job's services. */
struct item_critical {
	bool known;
	const struct cg_sh_cmd *cmd;
	char *name;
};

static const struct item_critical *critical_at(const struct cg_model *m,
					       const struct cg_script_group *g,
					       size_t i,
					       struct item_critical *items)
{
	struct item_critical *it = &items[i];
	struct cg_buf name = CG_BUF_INIT;

	if (it->known)
		return it;
	it->known = true;
	it->cmd =
	    cg_critical_in_script(g->items[i].script, m->config, &name, NULL);
	if (it->cmd)
		it->name = cg_buf_detach(&name, NULL);
	cg_buf_release(&name);
	return it;
}

/* Does some command of `g` before its first critical command wait for
 * service `svc`? The first critical command's name goes to `crit`. */
static bool waited_for(const struct cg_model *m,
		       const struct cg_script_group *g, size_t svc,
		       struct item_critical *items, struct cg_buf *crit)
{
	struct probe_walk w = {m, g, svc, CG_NO_SCOPE, NULL, false, false};

	for (size_t i = 0; i < g->nitems; i++) {
		const struct cg_script *s = g->items[i].script;
		const struct item_critical *it;

		if (!s)
			continue;
		it = critical_at(m, g, i, items);
		w.scope = g->items[i].scope;
		w.stop = it->cmd;
		cg_svc_walk(s, visit, &w);
		if (w.waited)
			return true;
		if (w.stop) {
			/* the first critical command came */
			cg_buf_addstr(crit, it->name);
			return false;
		}
	}
	return false;
}

/* What `--health-cmd` to suggest for a service of kind `k`. */
static const char *health_cmd(enum cg_service_kind k)
{
	switch (k) {
	case CG_SERVICE_POSTGRES:
		return "pg_isready";
	case CG_SERVICE_REDIS:
		return "redis-cli ping";
	case CG_SERVICE_MYSQL:
		return "mysqladmin ping";
	case CG_SERVICE_RABBITMQ:
		return "rabbitmq-diagnostics -q ping";
	default:
		return "...";
	}
}

static void report(struct cg_rule_ctx *ctx, const struct cg_script_group *g,
		   const struct cg_service_fact *s, const char *crit)
{
	struct cg_buf hint = CG_BUF_INIT, subject = CG_BUF_INIT,
		      msg = CG_BUF_INIT;

	/* built from pieces: a finding per service of every job can be
	 * many, and these need no formatting */
	cg_buf_addstr(&hint, "add `options: --health-cmd \"");
	cg_buf_addstr(&hint, health_cmd(s->kind));
	cg_buf_addstr(&hint, "\" --health-interval 5s --health-retries 10` "
			     "(the runner then waits for it), or wait for "
			     "it in a step before the tests (`ciguard "
			     "wait`, `pg_isready`, a retry loop)");
	cg_buf_addstr(&subject, s->name);
	cg_buf_addch(&subject, ' ');
	cg_buf_addstr(&subject, s->image ? s->image : "");
	cg_buf_addstr(&msg, "service '");
	cg_buf_addstr(&msg, s->name);
	if (s->image) {
		cg_buf_addstr(&msg, "' (");
		cg_buf_addstr(&msg, s->image);
		cg_buf_addch(&msg, ')');
	} else {
		cg_buf_addch(&msg, '\'');
	}
	cg_buf_addstr(&msg, " of job '");
	cg_buf_addstr(&msg, g->name);
	cg_buf_addstr(&msg, "' has no `--health-cmd` and nothing waits for it");
	if (*crit) {
		cg_buf_addstr(&msg, " before `");
		cg_buf_addstr(&msg, crit);
		cg_buf_addch(&msg, '`');
	}
	cg_buf_addstr(&msg, ": the steps race its start-up");
	cg_report(ctx, s->src, &s->pos, subject.buf, hint.buf, "%s", msg.buf);
	cg_buf_release(&hint);
	cg_buf_release(&subject);
	cg_buf_release(&msg);
}

static void check(struct cg_rule_ctx *ctx, const struct cg_model *m)
{
	struct cg_buf crit = CG_BUF_INIT;

	for (size_t gi = 0; gi < m->facts.ngroups; gi++) {
		const struct cg_script_group *g = &m->facts.groups[gi];
		struct item_critical *items = NULL;

		if (g->kind != CG_GROUP_GITHUB_JOB)
			continue;
		for (size_t k = 0; k < g->nservices; k++) {
			const struct cg_service_fact *s =
			    &m->facts.services[g->services[k]];

			if (s->healthcheck)
				continue;
			if (!items)
				items =
				    cg_xcalloc(g->nitems + 1, sizeof(*items));
			cg_buf_reset(&crit);
			if (!waited_for(m, g, g->services[k], items, &crit))
				report(ctx, g, s, crit.buf);
		}
		for (size_t i = 0; items && i < g->nitems; i++)
			free(items[i].name);
		free(items);
	}
	cg_buf_release(&crit);
}

const struct cg_rule cg_rule_service_no_healthcheck = {
    .id = "service-no-healthcheck",
    .weight = 2,
    .layer = CG_LAYER_QUICK,
    .severity = CG_SEV_WARNING,
    .summary = "a GitHub service container that nothing waits for",
    .explain =
	"GitHub starts a job's steps once its service containers run, not "
	"once they are ready, unless a container has a health check: with "
	"`--health-cmd` in `options:` the runner waits until it is healthy. "
	"Without one, the first test or migration races the service's "
	"start-up (postgres takes seconds to accept connections), and fails "
	"now and then.\n"
	"\n"
	"A step that waits for the service before the first critical "
	"command does as well: a probe of its kind (`pg_isready`, `redis-cli "
	"ping`, `mysqladmin ping`), `ciguard wait`, `nc -z`, `curl`/`wget`, "
	"a `/dev/tcp/HOST/PORT` check, `wait-for-it`, `dockerize -wait`, "
	"`wait-on`, a script named like wait-for, or a `while`/`until` loop "
	"that sleeps between tries. A probe that names a target (a URL, "
	"`$DATABASE_URL`, `-h`/`-p`, host and port) waits for the service it "
	"reaches; one that names none waits for all of them. A bare `sleep "
	"N` is not waiting (see ci-sleep-as-readiness). An image's own "
	"HEALTHCHECK also works, but ciguard cannot see inside the image. "
	"GitLab waits for its services' ports itself, so this is GitHub "
	"only.\n"
	"\n"
	"Bad:\n"
	"\n"
	"    services:\n"
	"      postgres:\n"
	"        image: postgres:16\n"
	"        ports: ['5432:5432']\n"
	"\n"
	"Good:\n"
	"\n"
	"    services:\n"
	"      postgres:\n"
	"        image: postgres:16\n"
	"        ports: ['5432:5432']\n"
	"        options: >-\n"
	"          --health-cmd pg_isready --health-interval 5s\n"
	"          --health-retries 10\n",
    .hint = "give the service a --health-cmd, or wait for it before the "
	    "tests",
    .check = check,
};
