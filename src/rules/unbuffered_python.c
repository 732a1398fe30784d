/*
 * unbuffered-python: a long-running Python process whose stdout is block
 * buffered. Long-running means a process row that runs Python and is
 * started in the background by a CI script (not a critical command such as
 * `python -m pytest &`), or is the command of a compose service or a
 * Kubernetes container that is not one-shot. A worker command in the
 * foreground of a CI script is not one: the shell waits for it, so it ends
 * before the job goes on (`gunicorn --check-config`), or the job hangs.
 *
 * Unbuffered means `python -u` (the model's `unbuffered`, which also reads
 * `env PYTHONUNBUFFERED=1 python`), or PYTHONUNBUFFERED turned on, as
 * CPython 3.7+ reads it (cg_python_unbuffered_value: `0` is off, `false`
 * is on), by the nearest of:
 *   - an assignment in front of the command (`PYTHONUNBUFFERED=1 python`,
 *     `env PYTHONUNBUFFERED=0 python`), or an export of a `sh -c` string
 *     before it (`sh -c "export PYTHONUNBUFFERED=1; exec python app.py"`);
 *   - in a CI script, the last `export PYTHONUNBUFFERED=...` (or `unset`)
 *     before the command in the same shell (a shell started in the
 *     background, `sh -c "..." &`, starts from the outer one's);
 *   - the enclosing envs (cg_env_lookup_item: step, what a GitHub step
 *     before it wrote to $GITHUB_ENV, job, workflow; compose
 *     `environment:`/`env_file:`; k8s `env:`/`envFrom:` ConfigMaps), as
 *     the runner ranks them.
 * A value ciguard cannot read (a secret, an expression, `$X`, a compose
 * pass-through without a value) may turn it on: no finding. Under
 * `python -E` or `-I` CPython reads none of them: only -u counts. What an image
 * sets is not seen, so the hint says so.
 */
#include <stdlib.h>
#include <string.h>

#include "rules/critical.h"
#include "rules/readiness.h"
#include "core/banned.h"

#define VAR "PYTHONUNBUFFERED"

/* What is known of the variable at some point. */
enum setting {
	NOT_SET, /* nothing says */
	ON,
	OFF,	 /* set to a value that is off, or unset */
	UNKNOWN, /* set to something we cannot read */
};

struct known {
	enum setting v;
	const char *value; /* OFF: as written (NULL: unset) */
	const struct cg_src *src;
	uint32_t line;
};

/* `PYTHONUNBUFFERED=value` as a word: the setting it makes. */
static enum setting word_setting(const struct cg_sh_word *w, const char **value)
{
	const char *v = w->text + strlen(VAR) + 1;

	*value = v;
	if (w->expands)
		return UNKNOWN;
	return cg_python_unbuffered_value(v) ? ON : OFF;
}

static bool names_var(const struct cg_sh_word *w)
{
	return cg_starts_with(w->text, VAR "=");
}

/* Per CI process row: the script's setting at its command. */
struct script_state {
	const struct cg_model *m;
	const struct cg_script_group *g;
	const struct cg_process_fact **rows;
	struct known *at; /* per row */
	bool *seen;	  /* per row: the walk met its command */
	bool *detached;	  /* ... and it runs on (cg_ready_detached) */
	size_t nrows;
	size_t item;
	struct known cur; /* export/unset in this item's shell */
	/* the same in the script of a shell run in the background (inner
	 * events), which starts from the outer shell's */
	const struct cg_script *inner_s;
	struct known inner_cur;
};

static void set_known(struct known *k, enum setting v, const char *value,
		      const struct cg_script *s, const struct cg_sh_cmd *c)
{
	k->v = v;
	k->value = value;
	k->src = cg_script_src(s, c->start);
	k->line = cg_script_pos(s, c->start, c->end).line;
}

static bool script_visit(void *data, const struct cg_ready_event *ev)
{
	struct script_state *st = data;
	const struct cg_sh_cmd *c = ev->cmd;
	struct known *cur = &st->cur;

	if (ev->item != st->item) {
		st->item = ev->item;
		st->cur.v = NOT_SET;
	}
	if (ev->inner) {
		if (ev->s != st->inner_s) {
			st->inner_s = ev->s;
			st->inner_cur = st->cur;
		}
		cur = &st->inner_cur;
	} else {
		st->inner_s = NULL;
	}
	if (!c || c->kind != CG_SH_SIMPLE)
		return true;
	for (size_t i = 0; i < st->nrows; i++)
		if (st->rows[i]->cmd == c && !st->seen[i]) {
			st->seen[i] = true;
			/* in a shell run in the background, it runs on too */
			st->detached[i] =
			    ev->inner || cg_ready_detached(c, ev->background);
			st->at[i] = *cur;
		}
	if (!c->nwords || ev->background)
		return true;
	for (size_t i = 1; i < c->nwords; i++) {
		enum cg_var_effect e = cg_sh_var_effect(c, i);

		if (e == CG_VAR_EXPORT && names_var(&c->words[i])) {
			const char *value;
			enum setting v = word_setting(&c->words[i], &value);

			set_known(cur, v, value, ev->s, c);
		} else if (e == CG_VAR_UNSET && !strcmp(c->words[i].text, VAR))
			set_known(cur, OFF, NULL, ev->s, c);
	}
	return true;
}

/* The enclosing envs' setting for process p: a CI row's step sees what
 * an earlier step wrote to $GITHUB_ENV too (cg_env_lookup_item). */
static struct known env_setting(const struct cg_model *m,
				const struct cg_process_fact *p)
{
	const struct cg_facts *f = &m->facts;
	const struct cg_env_fact *e =
	    p->origin == CG_PROCESS_CI && p->group < f->ngroups
		? cg_env_lookup_item(m, &f->groups[p->group], p->item, VAR)
		: cg_env_lookup(m, p->scope, VAR);
	struct known k = {NOT_SET, NULL, NULL, 0};

	if (!e)
		return k;
	k.src = e->src;
	k.line = e->pos.line;
	k.value = e->value;
	if (e->value_kind != CG_VALUE_LITERAL || !e->value)
		k.v = UNKNOWN;
	else
		k.v = cg_python_unbuffered_value(e->value) ? ON : OFF;
	return k;
}

/* Is the program of p `python` itself, so that `-u` applies? */
static bool runs_interpreter(const struct cg_process_fact *p)
{
	for (size_t i = 0; i < p->argc; i++) {
		const char *b = cg_path_base(p->argv[i]);

		/* `PYTHONPATH=/opt/python3 gunicorn`: no interpreter */
		if (cg_word_is_assignment(p->argv[i]))
			continue;
		if (!strncmp(b, "python", 6) || !strncmp(b, "pypy", 4))
			return true;
	}
	return false;
}

static void report(struct cg_rule_ctx *ctx, const struct cg_model *m,
		   const struct cg_process_fact *p, const struct known *off)
{
	const struct cg_scope *sc =
	    p->scope < m->facts.nscopes ? &m->facts.scopes[p->scope] : NULL;
	char *why, *setting;
	const char *hint;

	if (p->origin == CG_PROCESS_COMPOSE)
		why = cg_xasprintf("the command of compose service `%s`",
				   sc ? sc->name : "?");
	else if (p->origin == CG_PROCESS_K8S)
		why = cg_xasprintf("the command of Kubernetes container `%s`",
				   sc ? sc->name : "?");
	else
		why = cg_xstrdup("started in the background");
	if (p->ignores_env)
		setting = cg_xstrdup(
		    "its `-E`/`-I` has CPython ignore PYTHONUNBUFFERED");
	else if (off && off->value && !*off->value)
		setting = cg_xasprintf(
		    "PYTHONUNBUFFERED is empty or unset (%s:%u), which CPython "
		    "reads as off",
		    off->src ? off->src->path : "?", (unsigned)off->line);
	else if (off && off->value)
		setting = cg_xasprintf(
		    "PYTHONUNBUFFERED is `%s` (%s:%u), which CPython reads as "
		    "off",
		    off->value, off->src ? off->src->path : "?",
		    (unsigned)off->line);
	else if (off)
		setting = cg_xasprintf("PYTHONUNBUFFERED is unset (%s:%u)",
				       off->src ? off->src->path : "?",
				       (unsigned)off->line);
	else
		setting =
		    cg_xstrdup("PYTHONUNBUFFERED is not set in any env it runs "
			       "with");
	/* where else it can be turned on: a Dockerfile only for a compose
	 * service (one built from it) */
	if (p->ignores_env)
		hint = "run it as `python -u ...`: under -E or -I no "
		       "PYTHON* variable reaches it";
	else if (p->origin == CG_PROCESS_COMPOSE)
		hint =
		    runs_interpreter(p)
			? "run it as `python -u ...`, or set "
			  "PYTHONUNBUFFERED=1 in its `environment:` or in an "
			  "ENV of the Dockerfile it is built from; an image "
			  "pulled from a registry that sets it does not "
			  "count: ciguard cannot see inside it"
			: "set PYTHONUNBUFFERED=1 in its `environment:` or "
			  "in an ENV of the Dockerfile it is built from; an "
			  "image pulled from a registry that sets it does "
			  "not count: ciguard cannot see inside it";
	else
		hint =
		    runs_interpreter(p)
			? "run it as `python -u ...`, or set "
			  "PYTHONUNBUFFERED=1 in its env; an image that sets "
			  "it does not count: ciguard cannot see inside the "
			  "image"
			: "set PYTHONUNBUFFERED=1 in its env (step, job, k8s "
			  "`env:`); an image that sets it does not count: "
			  "ciguard cannot see inside the image";
	cg_report(ctx, p->src, &p->pos, p->command, hint,
		  "`%s` is a long-running Python process (%s)%s, and %s: its "
		  "stdout is block-buffered when it is not a terminal, so log "
		  "lines show up late and are lost when it is killed",
		  p->command, why, runs_interpreter(p) ? " without `-u`" : "",
		  setting);
	free(why);
	free(setting);
}

static bool long_running(const struct cg_model *m,
			 const struct cg_process_fact *p)
{
	struct cg_buf name = CG_BUF_INIT;
	bool critical;

	if (!p->python)
		return false;
	if (p->origin != CG_PROCESS_CI)
		return !p->oneshot; /* a Job's, an init container's */
	if (!p->background)
		return false;
	if (!p->cmd)
		return true;
	critical = cg_critical_command(p->cmd, m->config, &name);
	cg_buf_release(&name);
	return !critical;
}

/* The setting in front of the command, if any: an assignment
 * (`PYTHONUNBUFFERED=... cmd`), then what `env PYTHONUNBUFFERED=...` or
 * a `sh -c` string's export gives it (cg_process_env_word), which wins. */
static bool prefix_setting(const struct cg_process_fact *p, struct known *k)
{
	const struct cg_sh_cmd *c = p->cmd;
	const char *v = cg_process_env_word(p, VAR);
	bool found = false;

	for (size_t i = 0; c && i < c->nassigns; i++)
		if (names_var(&c->assigns[i])) {
			k->v = word_setting(&c->assigns[i], &k->value);
			found = true;
		}
	if (v) {
		k->value = v;
		k->v = strpbrk(v, "$`")		       ? UNKNOWN
		       : cg_python_unbuffered_value(v) ? ON
						       : OFF;
		found = true;
	}
	if (found) {
		k->src = p->src;
		k->line = p->pos.line;
	}
	return found;
}

static void judge(struct cg_rule_ctx *ctx, const struct cg_model *m,
		  const struct cg_process_fact *p, const struct known *script)
{
	struct known k, env;

	if (p->ignores_env) {
		report(ctx, m, p, NULL); /* no setting reaches it */
		return;
	}
	if (prefix_setting(p, &k)) {
		if (k.v == OFF)
			report(ctx, m, p, &k);
		return;
	}
	if (script && script->v != NOT_SET) {
		if (script->v == OFF)
			report(ctx, m, p, script);
		return;
	}
	env = env_setting(m, p);
	if (env.v == ON || env.v == UNKNOWN)
		return;
	report(ctx, m, p, env.v == OFF ? &env : NULL);
}

static void check(struct cg_rule_ctx *ctx, const struct cg_model *m)
{
	const struct cg_facts *f = &m->facts;
	struct script_state st = {0};

	st.m = m;
	st.rows = cg_xcalloc(f->nprocesses + 1, sizeof(*st.rows));
	st.at = cg_xcalloc(f->nprocesses + 1, sizeof(*st.at));
	st.seen = cg_xcalloc(f->nprocesses + 1, sizeof(*st.seen));
	st.detached = cg_xcalloc(f->nprocesses + 1, sizeof(*st.detached));
	for (size_t i = 0; i < f->nprocesses; i++) {
		const struct cg_process_fact *p = &f->processes[i];

		if (p->origin != CG_PROCESS_CI || p->group >= f->ngroups) {
			if (long_running(m, p) && !p->unbuffered)
				judge(ctx, m, p, NULL);
		}
	}
	/* CI rows, a group at a time: the script's exports come first */
	for (size_t g = 0; g < f->ngroups; g++) {
		st.nrows = 0;
		for (size_t i = f->groups[g].process_first;
		     i < f->groups[g].process_end; i++) {
			const struct cg_process_fact *p = &f->processes[i];

			if (p->origin == CG_PROCESS_CI && p->group == g &&
			    long_running(m, p) && !p->unbuffered)
				st.rows[st.nrows++] = p;
		}
		if (!st.nrows)
			continue;
		memset(st.at, 0, st.nrows * sizeof(*st.at));
		memset(st.seen, 0, st.nrows * sizeof(*st.seen));
		memset(st.detached, 0, st.nrows * sizeof(*st.detached));
		st.g = &f->groups[g];
		st.item = (size_t)-1;
		st.cur.v = NOT_SET;
		cg_ready_walk_memo(ctx, g, script_visit, &st);
		/* a command never run (a function nobody calls), or one the
		 * shell waits for (`nohup python x` without `&`, `gunicorn
		 * --check-config`), is not a long-running process of the
		 * job: a worker in the foreground would hang it */
		for (size_t i = 0; i < st.nrows; i++)
			if (st.seen[i] && st.detached[i])
				judge(ctx, m, st.rows[i], &st.at[i]);
	}
	free(st.at);
	free(st.seen);
	free(st.detached);
	free(st.rows);
}

const struct cg_rule cg_rule_unbuffered_python = {
    .id = "unbuffered-python",
    .layer = CG_LAYER_QUICK,
    .severity = CG_SEV_ERROR,
    .summary = "a long-running Python process with buffered output",
    .explain =
	"Python block-buffers stdout when it is not a terminal: a worker "
	"started in the background with its output sent to a file, a "
	"compose service or a Kubernetes container. Its log lines then "
	"arrive in bursts of 8 KiB, minutes late, and the last ones are lost "
	"when the process is killed, which is exactly when they are needed. "
	"The rule looks at Python programs (python, gunicorn, uvicorn, "
	"celery, rq, arq, dramatiq, huey...) started in the background by a "
	"CI script, the commands of compose services (for one built from a "
	"Dockerfile without `command:` or `entrypoint:`, the stage's CMD and "
	"ENTRYPOINT, reported at the Dockerfile) and of k8s containers that "
	"are not one-shot (a Job's, an init container's). "
	"A command in the foreground of a CI script is not long-running: "
	"the shell waits for it to end. stderr is line-buffered since Python "
	"3.9, so the default `logging` handler is not delayed; `print` and "
	"handlers on stdout are. `python -u` satisfies it; so does "
	"PYTHONUNBUFFERED "
	"turned on in front of the command, by an `export` earlier in the "
	"same script (a CI step's, or the string of a `sh -c` that a "
	"service or container runs), written to $GITHUB_ENV by an earlier "
	"step, or in any "
	"enclosing env (step, job, workflow; compose `environment:` or "
	"`env_file:`, and the ENV of the Dockerfile stage a compose service "
	"is built from (`build:`, its `dockerfile:` and `target:`, FROM "
	"earlier stages included); k8s `env:` or a ConfigMap it imports). "
	"CPython 3.7+ "
	"reads PYTHONUNBUFFERED as an integer flag: `0` is off, any other "
	"integer is on, and text that is not an integer is on, even "
	"`false`. A value ciguard cannot read (a secret, an expression) "
	"counts as on. `python -E` and `-I` ignore every PYTHON* variable: "
	"then only `-u` counts. An image pulled from a registry that sets "
	"PYTHONUNBUFFERED does not count: ciguard cannot see inside it.\n"
	"\n"
	"Bad:\n"
	"\n"
	"    - run: python -m app.worker > worker.log 2>&1 &\n"
	"\n"
	"Good:\n"
	"\n"
	"    - run: python -u -m app.worker > worker.log 2>&1 &\n"
	"\n"
	"    - run: celery -A app worker > worker.log 2>&1 &\n"
	"      env:\n"
	"        PYTHONUNBUFFERED: \"1\"\n",
    .hint = "run it as `python -u ...`, or set PYTHONUNBUFFERED=1 in its "
	    "env (for a compose service, also an ENV of the Dockerfile it is "
	    "built from); an image pulled from a registry that sets it does "
	    "not count: ciguard cannot see inside it",
    .check = check,
};
