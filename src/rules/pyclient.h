/*
 * Shared by the rules about Python code: what a client expression in a
 * call (`self.redis` of `self.redis.zcard(k)`) visibly is, from the
 * python loader's facts of its file: an assignment of a constructor to
 * it (in the file, the def or the defs around it; `self.x = ...`
 * anywhere in the file), a `with ... as` of one, or the annotation of a
 * parameter of the enclosing defs. Names go through the file's imports.
 */
#ifndef CG_PYCLIENT_H
#define CG_PYCLIENT_H

#include "rules/rule.h"

enum cg_pyc_kind {
	CG_PYC_UNKNOWN,
	CG_PYC_REDIS_SYNC,  /* redis.Redis, StrictRedis, from_url, cluster */
	CG_PYC_REDIS_ASYNC, /* redis.asyncio.*, aioredis, coredis */
	/* a Redis client by its name only (`self.redis`, `redis_client`):
	 * sync or async cannot be told */
	CG_PYC_REDIS_NAMED,
	CG_PYC_PIPELINE, /* X.pipeline(...) of a Redis client X */
	CG_PYC_PSYCOPG2, /* a psycopg2 connection or one of its cursors */
	CG_PYC_REQUESTS_SESSION, /* requests.Session() */
	CG_PYC_POPEN,		 /* subprocess.Popen(...) */
};

struct cg_pyc_client {
	enum cg_pyc_kind kind;
	/* PIPELINE: the client expression it comes from, as written where
	 * it was made ("r"), NULL when not known (an annotated parameter);
	 * and whether it is a MULTI/EXEC one (redis-py's default) */
	const char *parent;
	bool transaction;
	/* PIPELINE: its client is a sync one (REDIS_SYNC) */
	bool sync_parent;
};

/* What `expr`, written in def `func` (CG_PY_NONE: module level) of `f`,
 * is. `parent` points into the file's facts or is NULL. */
void cg_pyc_client_of(const struct cg_py_file *f, uint32_t func,
		      const char *expr, struct cg_pyc_client *out);

/* The first positional argument of call `c`, else its keyword `kw1` or
 * `kw2` (either may be NULL), or NULL. */
const struct cg_py_arg *cg_pyc_arg(const struct cg_py_module *code,
				   const struct cg_py_call *c, const char *kw1,
				   const char *kw2);
/* Keyword argument `name` of call `c`, or NULL. */
const struct cg_py_arg *cg_pyc_kwarg(const struct cg_py_module *code,
				     const struct cg_py_call *c,
				     const char *name);

#endif
