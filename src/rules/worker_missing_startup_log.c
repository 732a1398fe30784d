/*
 * worker-missing-startup-log (full layer, warning): a worker that CI,
 * compose or Kubernetes starts runs Python code of the repository that
 * never says it has started, so its log cannot confirm it came up, and
 * `ciguard wait log:FILE:started` has no line to wait for.
 *
 * A startup confirmation is, in the module or its package, a logging call
 * (`log.info(...)`, `logging.info`, `logger.warning`, `log.log(level,
 * ...)`, structlog's `log.info("worker_started")`) or a `print(...,
 * flush=True)` (a print without flush may sit in a buffer) with a string
 * argument that contains `start` (any case: started, Starting).
 *
 * Runners that log their own start (celery, rq, arq, dramatiq, huey,
 * gunicorn, uvicorn, hypercorn, daphne, granian, faust) are not judged:
 * their "ready" line is the confirmation.
 */
#include <stdlib.h>
#include <string.h>

#include "rules/worker.h"
#include "core/banned.h"

static const char *const log_methods[] = {
    "debug",	 "info", "warning", "warn",   "error", "critical",
    "exception", "log",	 "msg",	    "notice", NULL};

static bool has_start(const char *s)
{
	for (; s && *s; s++)
		if ((s[0] | 0x20) == 's' && (s[1] | 0x20) == 't' &&
		    (s[2] | 0x20) == 'a' && (s[3] | 0x20) == 'r' &&
		    (s[4] | 0x20) == 't')
			return true;
	return false;
}

static bool is_log_call(const struct cg_py_module *c,
			const struct cg_py_call *call)
{
	if (call->method && call->receiver)
		return cg_str_in(call->method, log_methods);
	if (!call->callee || strcmp(call->callee, "print"))
		return false;
	for (uint32_t a = call->first_arg;
	     a < call->first_arg + call->nargs && a < c->nargs; a++)
		if (c->args[a].keyword &&
		    !strcmp(c->args[a].keyword, "flush") && c->args[a].text &&
		    !strcmp(c->args[a].text, "True"))
			return true;
	return false;
}

static bool file_logs_start(const struct cg_py_file *f)
{
	const struct cg_py_module *c = &f->code;

	for (size_t k = 0; k < c->ncalls; k++) {
		const struct cg_py_call *call = &c->calls[k];

		if (!is_log_call(c, call))
			continue;
		for (uint32_t a = call->first_arg;
		     a < call->first_arg + call->nargs && a < c->nargs; a++)
			if (!c->args[a].keyword && has_start(c->args[a].value))
				return true;
	}
	return false;
}

static void judge(void *ud, const struct cg_worker *w)
{
	if (w->entry.runner_logs_start)
		return;
	cg_worker_judge(ud, w,
			"logs that it started (a logging call, or print(..., "
			"flush=True), with `start` in its message): its log "
			"cannot show it came up");
}

static void code(struct cg_rule_ctx *ctx, const struct cg_model *m, size_t file)
{
	if (file_logs_start(&m->facts.python.files[file]))
		cg_rule_mark(ctx, file);
}

static void check(struct cg_rule_ctx *ctx, const struct cg_model *m)
{
	cg_worker_each(m, judge, ctx);
}

const struct cg_rule cg_rule_worker_missing_startup_log = {
    .id = "worker-missing-startup-log",
    .layer = CG_LAYER_FULL,
    .severity = CG_SEV_WARNING,
    .summary = "a worker's Python code never logs that it started",
    .explain =
	"When a worker started in the background dies at once, or never "
	"gets past its imports, the only witness is its log. A worker that "
	"logs one line once it is ready (\"worker started: queue=...\") "
	"lets CI wait for exactly that (`ciguard wait "
	"log:worker.log:started`) and lets a person reading the log see "
	"the start. ciguard finds the module the command runs in the "
	"repository and looks in it and the rest of its package for a "
	"logging call (logging, a logger, structlog) or a print(..., "
	"flush=True) whose message contains `start`. Runners that announce "
	"their own start (celery, rq, arq, dramatiq, huey, gunicorn, "
	"uvicorn, hypercorn, daphne, granian, faust) are not judged.\n"
	"\n"
	"Bad:\n"
	"\n"
	"    print(f\"worker pool: {n} threads\")  # no flush, no start\n"
	"\n"
	"Good:\n"
	"\n"
	"    log.info(\"worker started: concurrency=%d queue=%s\", n, "
	"QUEUE)\n",
    .hint = "log one line once the worker is ready, e.g. "
	    "`log.info(\"worker started: queue=%s\", QUEUE)`, and wait for it "
	    "in CI with `ciguard wait log:FILE:started`",
    .check = check,
    .code = code,
};
