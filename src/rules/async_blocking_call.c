/*
 * async-blocking-call (full layer, warning): inside an `async def`, a
 * call that blocks the thread, and with it the event loop: every other
 * request and task of the process waits until it returns.
 *
 * From the python loader's facts: a call whose innermost def (classes are
 * looked through: a class body runs where it stands) is an `async def`;
 * a nested sync def or lambda runs elsewhere (a thread pool, a callback)
 * and is not looked into. Blocking, by the name the file's imports give
 * the callee (`from time import sleep`, `import time as t` alike; a name
 * no import binds, a parameter called `requests`, is not the module):
 * time.sleep, the requests API (and a requests.Session's methods),
 * urllib.request.urlopen/urlretrieve, subprocess.run/call/check_call/
 * check_output and a Popen's wait/communicate, socket.create_connection,
 * psycopg2.connect; and the methods of a client that is visibly sync
 * (pyclient.h): a redis.Redis/StrictRedis/from_url client or its
 * pipeline's execute, a psycopg2 connection or cursor, built (or
 * annotated) in the module or the function. A function passed, not
 * called, to run_in_executor or asyncio.to_thread is no call; an awaited
 * call returns an awaitable, so it is not a sync one.
 */
#include <string.h>

#include "rules/pyclient.h"
#include "core/banned.h"

#define NONE CG_PY_NONE

/* What is blocking, and what to use instead. */
struct blocking {
	const char *name; /* a canonical callee, or a prefix ending in '.' */
	const char *instead;
};

static const char http_instead[] =
    "use an async HTTP client (httpx.AsyncClient, aiohttp), or run it in "
    "a thread: `await asyncio.to_thread(requests.get, url)`";

static const struct blocking callees[] = {
    {"time.sleep", "use `await asyncio.sleep(...)`"},
    {"requests.get", http_instead},
    {"requests.post", http_instead},
    {"requests.put", http_instead},
    {"requests.patch", http_instead},
    {"requests.delete", http_instead},
    {"requests.head", http_instead},
    {"requests.options", http_instead},
    {"requests.request", http_instead},
    {"requests.api.get", http_instead},
    {"requests.api.post", http_instead},
    {"requests.api.request", http_instead},
    {"urllib.request.urlopen", http_instead},
    {"urllib.request.urlretrieve", http_instead},
    {"subprocess.run", "use `await asyncio.create_subprocess_exec(...)`"},
    {"subprocess.call", "use `await asyncio.create_subprocess_exec(...)`"},
    {"subprocess.check_call",
     "use `await asyncio.create_subprocess_exec(...)`"},
    {"subprocess.check_output",
     "use `await asyncio.create_subprocess_exec(...)` and "
     "`await proc.communicate()`"},
    {"socket.create_connection", "use `await asyncio.open_connection(...)`"},
    {"psycopg2.connect",
     "use an async driver (asyncpg, psycopg 3's AsyncConnection), or `await "
     "asyncio.to_thread(...)`"},
};

static const char redis_instead[] =
    "use redis.asyncio (`redis.asyncio.Redis`, `await r.get(...)`), or run "
    "it in a thread with `await asyncio.to_thread(...)`";
static const char pg_instead[] =
    "use an async driver (asyncpg, psycopg 3's AsyncConnection), or run the "
    "query in a thread with `await asyncio.to_thread(...)`";

/* Methods of a sync Redis client that make no request. */
static const char *const redis_local[] = {
    "pipeline",	   "register_script",	    "lock",   "pubsub",	   "monitor",
    "get_encoder", "get_connection_kwargs", "client", "__enter__", "__exit__",
    NULL,
};

static const char *const psycopg2_io[] = {
    "execute", "executemany", "fetchone", "fetchmany",	 "fetchall",
    "commit",  "rollback",    "callproc", "copy_expert", "copy_from",
    "copy_to", "getconn",     NULL,
};

static const char *const session_io[] = {
    "get",  "post",    "put",	  "patch", "delete",
    "head", "options", "request", "send",  NULL,
};

/* The async def the call runs in directly, or NONE. */
static uint32_t async_home(const struct cg_py_module *code, uint32_t func)
{
	for (unsigned guard = 0;
	     func != NONE && func < code->ndefs && guard < 100000; guard++) {
		const struct cg_py_def *d = &code->defs[func];

		if (d->kind == CG_PY_DEF_ASYNC)
			return func;
		if (d->kind != CG_PY_DEF_CLASS)
			return NONE; /* a sync def or a lambda */
		func = d->parent;
	}
	return NONE;
}

/* Why call `c` blocks (what to use instead), or NULL. */
static const char *blocks(const struct cg_py_file *f,
			  const struct cg_py_call *c, struct cg_buf *canon)
{
	struct cg_pyc_client client;

	cg_buf_reset(canon);
	/* a module function only through an import of it: a local `time`
	 * or `requests` is something else */
	if (c->dotted && cg_py_canonical(f, c->func, c->callee, canon)) {
		for (size_t i = 0; i < sizeof(callees) / sizeof(callees[0]);
		     i++)
			if (!strcmp(canon->buf, callees[i].name))
				return callees[i].instead;
	}
	if (!c->receiver || !c->method)
		return NULL;
	if (!strncmp(c->receiver, "subprocess.Popen(", 17) &&
	    (!strcmp(c->method, "wait") || !strcmp(c->method, "communicate")))
		return "use `await asyncio.create_subprocess_exec(...)` and "
		       "`await "
		       "proc.wait()`";
	cg_pyc_client_of(f, c->func, c->receiver, &client);
	switch (client.kind) {
	case CG_PYC_REDIS_SYNC:
		return cg_str_in(c->method, redis_local) ? NULL : redis_instead;
	case CG_PYC_PIPELINE:
		return client.sync_parent && (!strcmp(c->method, "execute") ||
					      !strcmp(c->method, "watch"))
			   ? redis_instead
			   : NULL;
	case CG_PYC_PSYCOPG2:
		return cg_str_in(c->method, psycopg2_io) ? pg_instead : NULL;
	case CG_PYC_REQUESTS_SESSION:
		return cg_str_in(c->method, session_io) ? http_instead : NULL;
	case CG_PYC_POPEN:
		return !strcmp(c->method, "wait") ||
			       !strcmp(c->method, "communicate")
			   ? "use `await asyncio.create_subprocess_exec(...)` "
			     "and "
			     "`await proc.wait()`"
			   : NULL;
	default:
		return NULL;
	}
}

/* The imports name the callee otherwise (`sleep` is time.sleep). */
static bool named(const struct cg_py_call *c, const struct cg_buf *canon)
{
	return c->dotted && canon->len && strcmp(canon->buf, c->callee);
}

static void check_file(struct cg_rule_ctx *ctx, const struct cg_py_file *f)
{
	const struct cg_py_module *code = &f->code;
	struct cg_buf canon = CG_BUF_INIT, hint = CG_BUF_INIT,
		      subject = CG_BUF_INIT;

	for (size_t i = 0; i < code->ncalls; i++) {
		const struct cg_py_call *c = &code->calls[i];
		uint32_t home;
		const char *instead;

		if (c->awaited || c->func == NONE ||
		    (home = async_home(code, c->func)) == NONE ||
		    !(instead = blocks(f, c, &canon)))
			continue;
		cg_buf_reset(&hint);
		cg_buf_reset(&subject);
		cg_buf_addf(&hint, "%s", instead);
		cg_buf_addf(&subject, "%s in %s", c->callee,
			    code->defs[home].name);
		/* canon holds the callee through the imports, when dotted */
		cg_report(
		    ctx, f->src, &c->pos, subject.buf, hint.buf,
		    "`%s(...)`%s%s%s blocks the event loop inside `async "
		    "def %s`: every other task of the process waits until "
		    "it returns",
		    c->callee, named(c, &canon) ? " (" : "",
		    named(c, &canon) ? canon.buf : "",
		    named(c, &canon) ? ")" : "", code->defs[home].name);
	}
	cg_buf_release(&canon);
	cg_buf_release(&hint);
	cg_buf_release(&subject);
}

static void code(struct cg_rule_ctx *ctx, const struct cg_model *m, size_t file)
{
	check_file(ctx, &m->facts.python.files[file]);
}

const struct cg_rule cg_rule_async_blocking_call = {
    .id = "async-blocking-call",
    .layer = CG_LAYER_FULL,
    .severity = CG_SEV_WARNING,
    .summary = "Python: a blocking call (time.sleep, requests, sync redis "
	       "or psycopg2...) inside an async def",
    .explain =
	"An async service runs all its requests on one thread, the event "
	"loop; it switches between them only at `await`. A call that blocks "
	"the thread (time.sleep, requests, urllib, subprocess.run, "
	"socket.create_connection, a sync redis or psycopg2 client) stops "
	"every other request until it returns: under load, health checks "
	"time out and the orchestrator restarts a service that was only "
	"waiting. Use the async form (asyncio.sleep, httpx.AsyncClient or "
	"aiohttp, asyncio.create_subprocess_exec, redis.asyncio, asyncpg), "
	"or hand the blocking function to a thread: `await "
	"asyncio.to_thread(fn, arg)` or `loop.run_in_executor(None, fn, "
	"arg)` (a function passed, not called, is fine; so is a call inside "
	"a nested sync def or lambda). Names are read through the file's "
	"imports (`from time import sleep`, `import requests as rq`); a "
	"redis or psycopg2 client counts when the module or the function "
	"visibly builds a sync one (redis.Redis, StrictRedis, from_url, "
	"psycopg2.connect) or annotates it so.\n"
	"\n"
	"Bad:\n"
	"\n"
	"    @app.get(\"/payments/{charge_id}\")\n"
	"    async def payment_status(charge_id: str) -> dict:\n"
	"        resp = requests.get(f\"{API}/v1/charges/{charge_id}\", "
	"timeout=5)\n"
	"        time.sleep(0.2)\n"
	"        return resp.json()\n"
	"\n"
	"Good:\n"
	"\n"
	"    @app.get(\"/payments/{charge_id}\")\n"
	"    async def payment_status(charge_id: str) -> dict:\n"
	"        async with httpx.AsyncClient(timeout=5) as client:\n"
	"            resp = await "
	"client.get(f\"{API}/v1/charges/{charge_id}\")\n"
	"        await asyncio.sleep(0.2)\n"
	"        return resp.json()\n",
    .hint = "use the async form of the call, or run it in a thread with "
	    "`await asyncio.to_thread(...)`",
    .code = code,
};
