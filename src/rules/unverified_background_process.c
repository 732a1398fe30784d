/*
 * unverified-background-process: a CI job starts a process in the
 * background (`&`, nohup, setsid, `docker run -d`, `docker compose up -d`
 * without --wait: the model's background process rows) and runs a
 * critical command later, in the same script or a later step, with
 * nothing in between that checks the process is up (readiness.h says what
 * checks). A process that crashed at start, or is still starting, then
 * shows up as a test failure far from its cause, or not at all.
 *
 * One finding per start, at its command. Only a critical command makes a
 * finding: a process nothing critical runs after is not reported. Any
 * check between the start and the critical command counts for every
 * process started before it (ciguard does not match probes to processes).
 * A `wait` counts too: the background jobs have ended after it.
 */
#include <stdlib.h>
#include <string.h>

#include "rules/critical.h"
#include "rules/readiness.h"
#include "core/banned.h"

struct pending {
	const struct cg_process_fact *p;
	bool slept; /* a `sleep` ran after it */
};

struct state {
	struct cg_rule_ctx *ctx;
	const struct cg_model *m;
	const struct cg_script_group *g;
	const struct cg_process_fact **rows;
	size_t nrows;
	bool *reported; /* per row */
	struct pending *pending;
	size_t npending;
	struct cg_buf name;
};

static size_t row_index(const struct state *st, const struct cg_process_fact *p)
{
	for (size_t i = 0; i < st->nrows; i++)
		if (st->rows[i] == p)
			return i;
	return st->nrows;
}

static void report(struct state *st, const struct cg_ready_event *ev)
{
	struct cg_pos at = cg_script_pos(ev->s, ev->cmd->start, ev->cmd->end);
	const struct cg_script_item *it = &st->g->items[ev->item];
	char *where;

	if (it->name)
		where = cg_xasprintf("in step \"%s\", line %u", it->name,
				     (unsigned)at.line);
	else
		where = cg_xasprintf("on line %u", (unsigned)at.line);
	for (size_t i = 0; i < st->npending; i++) {
		const struct cg_process_fact *p = st->pending[i].p;

		cg_report(st->ctx, p->src, &p->pos, p->command, NULL,
			  "`%s` is started in the background and nothing "
			  "checks that it is up before `%s` runs (%s)%s: if "
			  "it crashed or is still starting, that shows up "
			  "as a failure of `%s`, far from its cause",
			  p->command, st->name.buf, where,
			  st->pending[i].slept ? "; a `sleep` only waits, "
						 "it checks nothing"
					       : "",
			  st->name.buf);
		st->reported[row_index(st, p)] = true;
	}
	st->npending = 0;
	free(where);
}

static bool visit(void *data, const struct cg_ready_event *ev)
{
	struct state *st = data;
	const struct cg_process_fact *p;

	/* what a shell in the background runs: its start was the shell */
	if (ev->inner)
		return true;

	p = cg_ready_start(st->m, ev, st->rows, st->nrows);
	if (p) {
		size_t i = row_index(st, p);
		bool seen = st->reported[i];

		for (size_t k = 0; k < st->npending; k++)
			seen |= st->pending[k].p == p;
		if (!seen) {
			st->pending =
			    cg_xrealloc(st->pending, (st->npending + 1) *
							 sizeof(*st->pending));
			st->pending[st->npending].p = p;
			st->pending[st->npending++].slept = false;
		}
		return true;
	}
	if (!st->npending)
		return true;
	if (ev->kind == CG_READY_SLEEP)
		for (size_t k = 0; k < st->npending; k++)
			st->pending[k].slept = true;
	if ((ev->kind == CG_READY_CHECK || ev->kind == CG_READY_JOIN) &&
	    !ev->background) {
		st->npending = 0; /* checked, or ended */
		return true;
	}
	if (ev->cmd && ev->cmd->kind == CG_SH_SIMPLE &&
	    cg_critical_command(ev->cmd, st->m->config, &st->name))
		report(st, ev);
	return true;
}

static void check(struct cg_rule_ctx *ctx, const struct cg_model *m)
{
	const struct cg_facts *f = &m->facts;
	struct state st = {0};

	st.ctx = ctx;
	st.m = m;
	st.rows = cg_xcalloc(f->nprocesses + 1, sizeof(*st.rows));
	st.reported = cg_xcalloc(f->nprocesses + 1, sizeof(*st.reported));
	cg_buf_init(&st.name, 32);
	for (size_t g = 0; g < f->ngroups; g++) {
		st.nrows = cg_ready_group_starts(m, g, st.rows);
		if (!st.nrows)
			continue;
		memset(st.reported, 0, st.nrows * sizeof(*st.reported));
		st.g = &f->groups[g];
		st.npending = 0;
		cg_ready_walk_memo(ctx, g, visit, &st);
	}
	cg_buf_release(&st.name);
	free(st.pending);
	free(st.reported);
	free(st.rows);
}

const struct cg_rule cg_rule_unverified_background_process = {
    .id = "unverified-background-process",
    .layer = CG_LAYER_QUICK,
    .severity = CG_SEV_ERROR,
    .summary = "a process started in the background and used unchecked",
    .explain =
	"A CI step that starts a server or worker in the background (`&`, "
	"`nohup`, `setsid`, `docker run -d`, `docker compose up -d` without "
	"`--wait`) gets control back at once, whether the process came up, "
	"is still starting, or has already crashed. When the next critical "
	"command of the job (a test run, a migration; in the same script or "
	"a later step) starts with nothing in between that checks the "
	"process, its failure shows up as failing tests, far from the "
	"cause. A check is a command that fails or keeps polling until the "
	"process is up: `ciguard wait`, `curl`/`wget` of a local URL, `nc "
	"-z`, `pg_isready`, `redis-cli ping`, `pgrep`, `ps ... | grep`, `kill "
	"-0 $!`, an `until ...; do sleep 1; done` loop (also under `timeout "
	"N bash -c`), `docker compose up --wait`, or a `wait-for-it`/"
	"`dockerize -wait`/`wait-on` style script. A bare `sleep N` checks "
	"nothing (see ci-sleep-as-readiness), and neither does a check "
	"whose failure is thrown away (`curl -f .../health || true`, "
	"`|| echo ...`). A process that no critical "
	"command follows is not reported, and a critical command run in "
	"the background is masked-failure's business, not this rule's.\n"
	"\n"
	"Bad:\n"
	"\n"
	"    - run: |\n"
	"        python -m app.worker > worker.log 2>&1 &\n"
	"    - run: pytest\n"
	"\n"
	"Good:\n"
	"\n"
	"    - run: |\n"
	"        python -m app.worker > worker.log 2>&1 &\n"
	"        ciguard wait --timeout 60s proc:app.worker "
	"log:worker.log:started\n"
	"    - run: pytest\n",
    .hint = "check that it is up before using it: `ciguard wait URL`, "
	    "`timeout 60 bash -c 'until curl -fsS URL; do sleep 1; done'`, "
	    "`pg_isready`/`redis-cli ping`, or `docker compose up --wait`",
    .check = check,
};
