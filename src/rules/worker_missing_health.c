/*
 * worker-missing-health (full layer, warning): a worker that CI, compose
 * or Kubernetes starts runs Python code of the repository with no health
 * endpoint in its module or its package, so nothing can tell a stuck
 * worker from a working one: a Kubernetes probe, a compose healthcheck or
 * `ciguard wait http://...` in CI has nothing to ask.
 *
 * A health endpoint is a route whose path contains `health` (any case):
 *  - a decorator call of a router: `@app.get("/health")`,
 *    `@router.api_route("/healthz")`, `@bp.route("/health")`,
 *    `@routes.get("/health")` (FastAPI, Starlette, Flask, aiohttp);
 *  - a registration call anywhere: add_route, add_get, add_head,
 *    add_api_route, add_url_rule, Starlette's Route/Mount, Django's
 *    path/re_path/url, aiohttp's `web.get(...)`;
 *  - an http.server handler: a string with `health` inside do_GET or
 *    do_HEAD.
 * The path is the first positional argument, or path=/rule=/url=.
 */
#include <stdlib.h>
#include <string.h>

#include "rules/worker.h"
#include "core/banned.h"

static bool has_ci(const char *s, size_t n, const char *word)
{
	size_t w = strlen(word);

	for (size_t i = 0; s && i + w <= n; i++) {
		size_t k = 0;

		while (k < w && (s[i + k] | 0x20) == word[k])
			k++;
		if (k == w)
			return true;
	}
	return false;
}

/* a router's methods: a route only as a decorator (`d.get(...)` is
 * mostly a dict) or through aiohttp's `web` */
static const char *const verbs[] = {
    "get",     "post",	"put",	     "patch",	  "delete", "head",
    "options", "route", "api_route", "websocket", NULL};
/* calls that register a route wherever they are */
static const char *const registrations[] = {
    "add_route",    "add_get", "add_head", "add_api_route",
    "add_url_rule", "Route",   "Mount",	   "path",
    "re_path",	    "url",     NULL};

/* The call's path argument names `health`. */
static bool health_path(const struct cg_py_module *c,
			const struct cg_py_call *call)
{
	bool positional = true;

	for (uint32_t a = call->first_arg;
	     a < call->first_arg + call->nargs && a < c->nargs; a++) {
		const struct cg_py_arg *arg = &c->args[a];

		if (arg->star)
			break;
		if (arg->keyword ? strcmp(arg->keyword, "path") &&
				       strcmp(arg->keyword, "rule") &&
				       strcmp(arg->keyword, "url")
				 : !positional)
			continue;
		if (!arg->keyword)
			positional = false; /* the first one only */
		if (arg->value &&
		    has_ci(arg->value, strlen(arg->value), "health"))
			return true;
	}
	return false;
}

static bool file_has_health(const struct cg_py_file *f)
{
	const struct cg_py_module *c = &f->code;

	for (size_t d = 0; d < c->ndecorators; d++) {
		uint32_t k = c->decorators[d].call;

		if (k < c->ncalls && cg_str_in(c->calls[k].method, verbs) &&
		    health_path(c, &c->calls[k]))
			return true;
	}
	for (size_t k = 0; k < c->ncalls; k++) {
		const struct cg_py_call *call = &c->calls[k];
		const char *name = call->method ? call->method : call->callee;

		if ((cg_str_in(name, registrations) ||
		     (call->receiver && !strcmp(call->receiver, "web") &&
		      cg_str_in(name, verbs))) &&
		    health_path(c, call))
			return true;
	}
	/* http.server: `if self.path == "/health":` in do_GET */
	for (size_t s = 0; s < c->nstrings; s++) {
		const struct cg_py_string *str = &c->strings[s];

		for (uint32_t d = str->func; d < c->ndefs;
		     d = c->defs[d].parent)
			if (!strcmp(c->defs[d].name, "do_GET") ||
			    !strcmp(c->defs[d].name, "do_HEAD")) {
				if (str->body_end <= f->src->len &&
				    has_ci(f->src->text + str->body,
					   str->body_end - str->body, "health"))
					return true;
				break;
			}
	}
	return false;
}

static void judge(void *ud, const struct cg_worker *w)
{
	cg_worker_judge(
	    ud, w,
	    "serves a health route (a path with `health`): a probe, "
	    "a compose healthcheck or a wait in CI cannot tell it is "
	    "stuck");
}

static void code(struct cg_rule_ctx *ctx, const struct cg_model *m, size_t file)
{
	if (file_has_health(&m->facts.python.files[file]))
		cg_rule_mark(ctx, file);
}

static void check(struct cg_rule_ctx *ctx, const struct cg_model *m)
{
	cg_worker_each(m, judge, ctx);
}

const struct cg_rule cg_rule_worker_missing_health = {
    .id = "worker-missing-health",
    .layer = CG_LAYER_FULL,
    .severity = CG_SEV_WARNING,
    .summary = "a worker's Python code has no health endpoint",
    .explain =
	"A worker started by CI, compose or Kubernetes (`python -m "
	"app.worker`, celery, arq, dramatiq, uvicorn ...) that serves no "
	"health route can hang with its process still up: Kubernetes keeps "
	"it in rotation, compose's `depends_on: service_healthy` has "
	"nothing to wait for, and CI can only sleep and hope. ciguard finds "
	"the module the command runs in the repository and looks in it and "
	"the rest of its package for a route whose path contains `health`: "
	"a router decorator (`@app.get(\"/health\")`, `@bp.route`), a "
	"registration (add_route, add_get, add_api_route, add_url_rule, "
	"Route, path), or an http.server do_GET that answers one. A command "
	"whose code is not in the repository is not judged.\n"
	"\n"
	"Bad: the worker only loops over its queue.\n"
	"\n"
	"Good (app/worker/health.py, started on a thread by the worker):\n"
	"\n"
	"    health_app = FastAPI()\n"
	"\n"
	"    @health_app.get(\"/health\")\n"
	"    def health() -> dict:\n"
	"        return {\"status\": \"ok\"}\n",
    .hint = "serve GET /health from the worker (a small server on a "
	    "thread) and probe it from compose, Kubernetes and CI",
    .check = check,
    .code = code,
};
