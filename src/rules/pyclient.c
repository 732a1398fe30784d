/*
 * What a Python client expression visibly is (pyclient.h). A binding is
 * looked for where Python would find the name: the def itself, the defs
 * around it, the module; `self.x` anywhere in the file (an attribute set
 * in __init__ is read in every method). The nearest scope wins; within
 * one scope the last binding. Depth is bounded: a pipeline's client is
 * resolved once more, never further.
 */
#include <stdlib.h>
#include <string.h>

#include "rules/pyclient.h"
#include "core/banned.h"

#define NONE CG_PY_NONE

static const char *const redis_sync[] = {
    "redis.Redis",
    "redis.StrictRedis",
    "redis.Redis.from_url",
    "redis.StrictRedis.from_url",
    "redis.from_url",
    "redis.client.Redis",
    "redis.client.StrictRedis",
    "redis.RedisCluster",
    "redis.cluster.RedisCluster",
    "redis.RedisCluster.from_url",
    "redis.cluster.RedisCluster.from_url",
    "rediscluster.RedisCluster",
    "django_redis.get_redis_connection",
    "fakeredis.FakeRedis",
    "fakeredis.FakeStrictRedis",
    NULL,
};

static const char *const redis_async[] = {
    "redis.asyncio.Redis",
    "redis.asyncio.StrictRedis",
    "redis.asyncio.from_url",
    "redis.asyncio.Redis.from_url",
    "redis.asyncio.client.Redis",
    "redis.asyncio.RedisCluster",
    "redis.asyncio.cluster.RedisCluster",
    "redis.asyncio.RedisCluster.from_url",
    "aioredis.from_url",
    "aioredis.Redis",
    "aioredis.Redis.from_url",
    "aioredis.create_redis_pool",
    "aioredis.create_redis",
    "coredis.Redis",
    "fakeredis.aioredis.FakeRedis",
    "fakeredis.FakeAsyncRedis",
    NULL,
};

static const char *const psycopg2_ctors[] = {
    "psycopg2.connect",
    "psycopg2.extensions.connection",
    "psycopg2.pool.SimpleConnectionPool",
    "psycopg2.pool.ThreadedConnectionPool",
    NULL,
};

const struct cg_py_arg *cg_pyc_kwarg(const struct cg_py_module *code,
				     const struct cg_py_call *c,
				     const char *name)
{
	for (uint32_t i = 0; i < c->nargs; i++) {
		const struct cg_py_arg *a = &code->args[c->first_arg + i];

		if (a->keyword && !strcmp(a->keyword, name))
			return a;
	}
	return NULL;
}

const struct cg_py_arg *cg_pyc_arg(const struct cg_py_module *code,
				   const struct cg_py_call *c, const char *kw1,
				   const char *kw2)
{
	const struct cg_py_arg *a = NULL;

	for (uint32_t i = 0; i < c->nargs; i++) {
		const struct cg_py_arg *x = &code->args[c->first_arg + i];

		if (!x->keyword && !x->star)
			return x;
	}
	if (kw1)
		a = cg_pyc_kwarg(code, c, kw1);
	if (!a && kw2)
		a = cg_pyc_kwarg(code, c, kw2);
	return a;
}

/* How near scope `scope` is to `func`: 0 itself, 1.. the defs around
 * it, a large number for the module; -1 when it does not enclose it. */
static int distance(const struct cg_py_module *code, uint32_t func,
		    uint32_t scope)
{
	int d = 0;

	for (uint32_t f = func; f != NONE && d < 1000; d++) {
		if (f == scope)
			return d;
		f = f < code->ndefs ? code->defs[f].parent : NONE;
	}
	return scope == NONE ? 1000 : -1;
}

static void classify_call(const struct cg_py_file *f, uint32_t func,
			  const struct cg_py_call *c, unsigned depth,
			  struct cg_pyc_client *out);

static void resolve(const struct cg_py_file *f, uint32_t func, const char *expr,
		    unsigned depth, struct cg_pyc_client *out);

/* An annotation naming a client class (`redis.Redis`, `Optional[Redis]`,
 * "aioredis.Redis", `Pipeline`). */
static void classify_annotation(const struct cg_py_file *f, uint32_t func,
				const char *ann, struct cg_pyc_client *out)
{
	struct cg_buf name = CG_BUF_INIT, canon = CG_BUF_INIT;
	const char *p = ann;

	while (*p) {
		size_t n;

		while (*p && !((*p >= 'a' && *p <= 'z') ||
			       (*p >= 'A' && *p <= 'Z') || *p == '_'))
			p++;
		n = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV"
			      "WXYZ0123456789_.");
		if (!n)
			break;
		cg_buf_reset(&name);
		cg_buf_add(&name, p, n);
		p += n;
		cg_py_canonical(f, func, name.buf, &canon);
		if (strstr(canon.buf, "Pipeline")) {
			out->kind = CG_PYC_PIPELINE;
			out->transaction = true;
		} else if (cg_str_in(canon.buf, redis_async) ||
			   (strstr(canon.buf, "Redis") &&
			    (strstr(canon.buf, "asyncio") ||
			     strstr(canon.buf, "aioredis")))) {
			out->kind = CG_PYC_REDIS_ASYNC;
		} else if (cg_str_in(canon.buf, redis_sync) ||
			   !strcmp(canon.buf, "redis.Redis")) {
			out->kind = CG_PYC_REDIS_SYNC;
		} else if (!strncmp(canon.buf, "psycopg2.", 9)) {
			out->kind = CG_PYC_PSYCOPG2;
		} else {
			continue;
		}
		break;
	}
	cg_buf_release(&name);
	cg_buf_release(&canon);
}

static void classify_call(const struct cg_py_file *f, uint32_t func,
			  const struct cg_py_call *c, unsigned depth,
			  struct cg_pyc_client *out)
{
	const struct cg_py_module *code = &f->code;
	struct cg_buf canon = CG_BUF_INIT;

	if (c->dotted) {
		cg_py_canonical(f, c->func, c->callee, &canon);
		if (cg_str_in(canon.buf, redis_sync))
			out->kind = CG_PYC_REDIS_SYNC;
		else if (cg_str_in(canon.buf, redis_async))
			out->kind = CG_PYC_REDIS_ASYNC;
		else if (cg_str_in(canon.buf, psycopg2_ctors))
			out->kind = CG_PYC_PSYCOPG2;
		else if (!strcmp(canon.buf, "requests.Session") ||
			 !strcmp(canon.buf, "requests.session") ||
			 !strcmp(canon.buf, "requests.sessions.Session"))
			out->kind = CG_PYC_REQUESTS_SESSION;
		else if (!strcmp(canon.buf, "subprocess.Popen"))
			out->kind = CG_PYC_POPEN;
	}
	cg_buf_release(&canon);
	if (out->kind != CG_PYC_UNKNOWN || !c->receiver || !c->method ||
	    depth > 2)
		return;
	if (!strcmp(c->method, "pipeline")) {
		struct cg_pyc_client parent = {0};
		const struct cg_py_arg *t =
		    cg_pyc_kwarg(code, c, "transaction");

		resolve(f, func, c->receiver, depth + 1, &parent);
		if (parent.kind == CG_PYC_REDIS_SYNC ||
		    parent.kind == CG_PYC_REDIS_ASYNC ||
		    parent.kind == CG_PYC_REDIS_NAMED) {
			out->kind = CG_PYC_PIPELINE;
			out->parent = c->receiver;
			out->transaction = !t || strcmp(t->text, "False");
			out->sync_parent = parent.kind == CG_PYC_REDIS_SYNC;
		}
	} else if (!strcmp(c->method, "cursor") ||
		   !strcmp(c->method, "getconn")) {
		struct cg_pyc_client parent = {0};

		resolve(f, func, c->receiver, depth + 1, &parent);
		if (parent.kind == CG_PYC_PSYCOPG2)
			out->kind = CG_PYC_PSYCOPG2;
	}
}

static bool name_says_redis(const char *expr)
{
	const char *last = strrchr(expr, '.');

	last = last ? last + 1 : expr;
	for (; *last; last++)
		if ((last[0] | 0x20) == 'r' && (last[1] | 0x20) == 'e' &&
		    (last[2] | 0x20) == 'd' && (last[3] | 0x20) == 'i' &&
		    (last[4] | 0x20) == 's')
			return true;
	return false;
}

static void resolve(const struct cg_py_file *f, uint32_t func, const char *expr,
		    unsigned depth, struct cg_pyc_client *out)
{
	const struct cg_py_module *code = &f->code;
	bool self_attr =
	    !strncmp(expr, "self.", 5) || !strncmp(expr, "cls.", 4);
	const char *pipe;
	int best = -1;
	uint32_t best_call = NONE;
	const struct cg_py_assign *best_assign = NULL;

	memset(out, 0, sizeof(*out));
	/* `r.pipeline().zadd(...)`: a chain on a pipeline */
	if ((pipe = strstr(expr, ".pipeline(")) && depth < 3) {
		struct cg_pyc_client parent;
		char *p = cg_xstrndup(expr, (size_t)(pipe - expr));

		resolve(f, func, p, depth + 1, &parent);
		free(p);
		if (parent.kind == CG_PYC_REDIS_SYNC ||
		    parent.kind == CG_PYC_REDIS_ASYNC ||
		    parent.kind == CG_PYC_REDIS_NAMED) {
			out->kind = CG_PYC_PIPELINE;
			out->transaction = !strstr(pipe, "transaction=False");
			out->sync_parent = parent.kind == CG_PYC_REDIS_SYNC;
		}
		return;
	}
	for (size_t i = 0; i < code->nassigns; i++) {
		const struct cg_py_assign *a = &code->assigns[i];
		int d;

		if (!a->value || strcmp(a->target, expr))
			continue;
		d = self_attr ? 0 : distance(code, func, a->func);
		if (d < 0 || (best >= 0 && d > best))
			continue;
		best = d;
		best_call = a->call;
		best_assign = a;
	}
	for (size_t i = 0; i < code->nwiths; i++) {
		const struct cg_py_with *w = &code->withs[i];
		int d;

		if (w->call == NONE || !w->as_name || strcmp(w->as_name, expr))
			continue;
		d = distance(code, func, w->func);
		if (d < 0 || (best >= 0 && d > best))
			continue;
		best = d;
		best_call = w->call;
	}
	if (best_call != NONE) {
		classify_call(f, func, &code->calls[best_call], depth, out);
		if (out->kind != CG_PYC_UNKNOWN)
			return;
	} else if (best_assign) {
		/* `client or redis.Redis(...)`: a Redis client, of a flavour
		 * the other operand decides */
		for (size_t i = 0; i < code->ncalls; i++) {
			const struct cg_py_call *c = &code->calls[i];
			struct cg_pyc_client k = {0};

			if (c->start < best_assign->start)
				continue;
			if (c->start >= best_assign->end)
				break;
			classify_call(f, func, c, depth, &k);
			if (k.kind == CG_PYC_REDIS_SYNC ||
			    k.kind == CG_PYC_REDIS_ASYNC) {
				out->kind = CG_PYC_REDIS_NAMED;
				return;
			}
		}
	}
	/* a parameter of the def or one around it */
	for (uint32_t d = func;
	     d != NONE && d < code->ndefs && !strchr(expr, '.');
	     d = code->defs[d].parent) {
		const struct cg_py_def *def = &code->defs[d];

		for (uint32_t k = 0; k < def->nparams; k++) {
			const struct cg_py_param *p =
			    &code->params[def->first_param + k];

			if (strcmp(p->name, expr))
				continue;
			if (p->annotation)
				classify_annotation(f, def->parent,
						    p->annotation, out);
			if (out->kind != CG_PYC_UNKNOWN)
				return;
			break;
		}
	}
	if (name_says_redis(expr))
		out->kind = CG_PYC_REDIS_NAMED;
}

void cg_pyc_client_of(const struct cg_py_file *f, uint32_t func,
		      const char *expr, struct cg_pyc_client *out)
{
	resolve(f, func, expr, 0, out);
}
