/*
 * ci-sleep-as-readiness: a fixed `sleep N` is the only thing a CI job does
 * between starting a process or service and using it.
 *
 * Precisely, walking the job's commands in order (readiness.h): a start
 * (a background process row: `&`, nohup, setsid, `docker run -d`,
 * `docker compose up -d` without --wait; not a critical command run in the
 * background), then only NEUTRAL commands (echo, cd, export, ls, `docker
 * ps`...), further starts and sleeps, with at least one `sleep`; then the
 * first other command, the use: a foreground command that is not a check,
 * or a critical command even in the background. The finding is at the
 * first such `sleep`. A check anywhere in that stretch (even after the
 * sleep: "sleep 2, then poll") or a `wait` means there is no finding; so
 * does anything else before the first sleep (then the sleep is not the
 * only thing in between), and the end of the job (nothing uses it).
 */
#include <stdlib.h>
#include <string.h>

#include "rules/critical.h"
#include "rules/readiness.h"
#include "core/banned.h"

enum phase {
	IDLE,
	STARTED, /* a start, then only neutral commands */
	SLEPT,	 /* ... and a sleep */
};

struct state {
	struct cg_rule_ctx *ctx;
	const struct cg_model *m;
	const struct cg_process_fact **rows;
	size_t nrows;
	enum phase phase;
	const struct cg_process_fact *start;
	const struct cg_script *sleep_s;
	const struct cg_sh_cmd *sleep_cmd;
	const struct cg_sh_cmd **done; /* sleeps reported */
	size_t ndone;
	struct cg_buf name;
};

static char *cmd_text(const struct cg_script *s, const struct cg_sh_cmd *c)
{
	size_t a = c->words[0].start, b = c->words[c->nwords - 1].end;
	char *t = cg_xstrndup(s->sh.text + a, b - a);

	for (char *p = t; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	return t;
}

/* The first words of c (at most 5, about 40 bytes), for a message. */
static char *short_text(const struct cg_script *s, const struct cg_sh_cmd *c)
{
	size_t n = c->nwords < 5 ? c->nwords : 5, a = c->words[0].start, b;
	char *t;

	while (n > 1 && c->words[n - 1].end - a > 40)
		n--;
	b = c->words[n - 1].end;
	t = cg_xstrndup(s->sh.text + a, b - a > 40 ? 40 : b - a);
	for (char *p = t; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	return t;
}

/* How the message names the command that uses what was started. */
static char *use_text(const struct state *st, const struct cg_ready_event *use)
{
	unsigned line;
	char *t, *out;

	if (!use->cmd)
		return cg_xstrdup("the next step");
	line = cg_script_pos(use->s, use->cmd->start, use->cmd->end).line;
	if (st->name.len)
		return cg_xasprintf("`%s` (line %u)", st->name.buf, line);
	if (use->cmd->kind != CG_SH_SIMPLE || !use->cmd->nwords)
		return cg_xasprintf("the command on line %u", line);
	t = short_text(use->s, use->cmd);
	out = cg_xasprintf("`%s` (line %u)", t, line);
	free(t);
	return out;
}

static void report(struct state *st, const struct cg_ready_event *use)
{
	const struct cg_script *s = st->sleep_s;
	const struct cg_sh_cmd *c = st->sleep_cmd;
	size_t a = c->words[0].start, b = c->words[c->nwords - 1].end;
	struct cg_pos pos = cg_script_pos(s, a, b);
	char *text, *what;

	for (size_t i = 0; i < st->ndone; i++)
		if (st->done[i] == c)
			return;
	st->done = cg_xrealloc(st->done, (st->ndone + 1) * sizeof(*st->done));
	st->done[st->ndone++] = c;
	text = cmd_text(s, c);
	what = use_text(st, use);
	cg_report(st->ctx, cg_script_src(s, a), &pos, text, NULL,
		  "`%s` is all the job does to wait for `%s` (started on line "
		  "%u) to be ready before it goes on with %s: a fixed sleep is "
		  "too short on a slow runner, so the job fails at random, and "
		  "wasted time on a fast one",
		  text, st->start->command, (unsigned)st->start->pos.line,
		  what);
	free(what);
	free(text);
}

static bool visit(void *data, const struct cg_ready_event *ev)
{
	struct state *st = data;
	const struct cg_process_fact *p;
	bool critical = false;

	/* what a shell in the background runs: its start was the shell */
	if (ev->inner)
		return true;

	p = cg_ready_start(st->m, ev, st->rows, st->nrows);
	if (p) {
		if (st->phase == IDLE) {
			st->phase = STARTED;
			st->start = p;
		}
		return true;
	}
	if (st->phase == IDLE)
		return true;
	cg_buf_reset(&st->name);
	if (ev->cmd && ev->cmd->kind == CG_SH_SIMPLE &&
	    ev->kind != CG_READY_CHECK)
		critical =
		    cg_critical_command(ev->cmd, st->m->config, &st->name);
	if (!critical)
		cg_buf_reset(&st->name);
	if (ev->background && !critical)
		return true; /* runs alongside: neither a use nor a check */
	switch (ev->kind) {
	case CG_READY_NEUTRAL:
		break;
	case CG_READY_SLEEP:
		if (st->phase == STARTED && ev->cmd->nwords > 1) {
			st->phase = SLEPT;
			st->sleep_s = ev->s;
			st->sleep_cmd = ev->cmd;
		}
		break;
	case CG_READY_CHECK:
	case CG_READY_JOIN:
		st->phase = IDLE;
		break;
	case CG_READY_USE:
		if (st->phase == SLEPT)
			report(st, ev);
		st->phase = IDLE;
		break;
	}
	return true;
}

static void check(struct cg_rule_ctx *ctx, const struct cg_model *m)
{
	const struct cg_facts *f = &m->facts;
	struct state st = {0};

	st.ctx = ctx;
	st.m = m;
	st.rows = cg_xcalloc(f->nprocesses + 1, sizeof(*st.rows));
	cg_buf_init(&st.name, 32);
	for (size_t g = 0; g < f->ngroups; g++) {
		st.nrows = cg_ready_group_starts(m, g, st.rows);
		if (!st.nrows)
			continue;
		st.phase = IDLE;
		cg_ready_walk_memo(ctx, g, visit, &st);
	}
	cg_buf_release(&st.name);
	free(st.done);
	free(st.rows);
}

const struct cg_rule cg_rule_ci_sleep_as_readiness = {
    .id = "ci-sleep-as-readiness",
    .weight = 2,
    .layer = CG_LAYER_QUICK,
    .severity = CG_SEV_WARNING,
    .summary = "a fixed sleep waits for a started process or service",
    .explain =
	"`sleep 5` after starting a server, a worker or `docker compose up "
	"-d` guesses how long it takes to come up: on a slow or busy runner "
	"it is too short and the job fails at random; on a fast one it is "
	"wasted time. The rule fires at the sleep when, in a CI job's "
	"commands in order, a background start (`&`, `nohup`, `setsid`, "
	"`docker run -d`, `docker compose up -d` without `--wait`) is "
	"followed only by commands that neither use nor check anything "
	"(`echo`, `cd`, `export`, `ls`, `docker ps`, more starts) and a "
	"`sleep N`, and then by a command that uses it: the next command "
	"that is not one of those (in the same script or a later step), or "
	"a critical command. A check after the sleep (a `sleep` followed by "
	"a health check) is fine, and so is a sleep inside a polling loop. "
	"Checks are those of unverified-background-process: `ciguard wait`, "
	"`curl` of a local URL, `nc -z`, `pg_isready`, `redis-cli ping`, "
	"`pgrep`, `until`/`while` loops that sleep, `docker compose up "
	"--wait`, wait-for-it style scripts.\n"
	"\n"
	"Bad:\n"
	"\n"
	"    - run: |\n"
	"        docker compose up -d\n"
	"        sleep 10\n"
	"        pytest\n"
	"\n"
	"Good:\n"
	"\n"
	"    - run: |\n"
	"        docker compose up -d --wait\n"
	"        pytest\n"
	"\n"
	"    - run: |\n"
	"        ./server &\n"
	"        timeout 60 bash -c 'until curl -fsS localhost:8000/health; "
	"do sleep 1; done'\n"
	"        pytest\n",
    .hint = "wait for readiness instead of a fixed time: `ciguard wait URL`, "
	    "`docker compose up -d --wait`, or `timeout 60 bash -c 'until "
	    "curl -fsS URL; do sleep 1; done'`",
    .check = check,
};
