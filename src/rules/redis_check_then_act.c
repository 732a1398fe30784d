/*
 * redis-check-then-act (full layer, error): within one function, a Redis
 * read of a key followed by a write of the same key through the same
 * client, in two separate commands: between them another client can
 * change the key, so the write acts on a stale answer (the seed's ZCARD
 * then ZADD let more runs through than allowed).
 *
 * From the python loader's facts: a call whose method is a read (zcard,
 * get, exists, ...) and a later call in the same def (or both at module
 * level) whose method is a write (zadd, set, incr, ...), the key (the
 * first argument, or `name=`/`key=`) the same expression as written, the
 * client the same expression, and the client visibly Redis (pyclient.h:
 * built by redis.Redis/StrictRedis/from_url, redis.asyncio, aioredis,
 * annotated as one, or named `*redis*`). "Later" is as Python runs it: a
 * read inside the write's arguments (`r.set(k, int(r.get(k)) + 1)`) runs
 * first. A write through a pipeline of that client (`pipe =
 * r.pipeline()`, MULTI/EXEC or not) counts: the transaction makes the
 * writes atomic with each other, not with the read before it.
 *
 * Not a race: reads through a pipeline (they are queued; their answers
 * come with execute(), too late to decide on), a key WATCHed earlier in
 * the function (the WATCH ... MULTI ... EXECUTE pattern: EXEC fails when
 * the key changed), writes that are conditional themselves (set(...,
 * nx=True|xx=True), setnx), both calls inside one `with` of a lock
 * (`with r.lock("name"):`), and Lua scripts (register_script, eval,
 * evalsha: the commands inside the script text are no calls). One
 * finding per read, at the first write after it.
 */
#include <stdlib.h>
#include <string.h>

#include "rules/pyclient.h"
#include "core/banned.h"

#define NONE CG_PY_NONE
#define MAX_BACK 4096 /* calls looked back at from a write */

static const char *const reads[] = {
    "exists",	     "get",	  "getbit",    "hexists",
    "hget",	     "hgetall",	  "hkeys",     "hlen",
    "hmget",	     "hvals",	  "lindex",    "llen",
    "lrange",	     "mget",	  "pfcount",   "pttl",
    "scard",	     "sismember", "smembers",  "smismember",
    "strlen",	     "ttl",	  "type",      "xlen",
    "zcard",	     "zcount",	  "zlexcount", "zrange",
    "zrangebyscore", "zrank",	  "zrevrange", "zrevrangebyscore",
    "zrevrank",	     "zscore",	  "zmscore",   NULL,
};

static const char *const writes[] = {
    "append",
    "decr",
    "decrby",
    "delete",
    "expire",
    "expireat",
    "getdel",
    "getset",
    "hdel",
    "hincrby",
    "hincrbyfloat",
    "hmset",
    "hset",
    "incr",
    "incrby",
    "incrbyfloat",
    "linsert",
    "lpop",
    "lpush",
    "lrem",
    "lset",
    "ltrim",
    "mset",
    "persist",
    "pexpire",
    "pexpireat",
    "psetex",
    "rename",
    "rpop",
    "rpush",
    "sadd",
    "set",
    "setex",
    "setrange",
    "smove",
    "spop",
    "srem",
    "unlink",
    "xadd",
    "zadd",
    "zincrby",
    "zpopmax",
    "zpopmin",
    "zrem",
    "zremrangebyrank",
    "zremrangebyscore",
    NULL,
};

static bool redis_client(enum cg_pyc_kind k)
{
	return k == CG_PYC_REDIS_SYNC || k == CG_PYC_REDIS_ASYNC ||
	       k == CG_PYC_REDIS_NAMED;
}

/* The key a call names, as written; NULL when none or too long. */
static const char *key_of(const struct cg_py_module *code,
			  const struct cg_py_call *c)
{
	const struct cg_py_arg *a = cg_pyc_arg(code, c, "name", "key");

	return a && !a->cut && *a->text ? a->text : NULL;
}

/* A write that only happens when the key is (or is not) there. */
static bool conditional_write(const struct cg_py_module *code,
			      const struct cg_py_call *c)
{
	static const char *const flags[] = {"nx", "xx", NULL};

	for (size_t i = 0; flags[i]; i++) {
		const struct cg_py_arg *a = cg_pyc_kwarg(code, c, flags[i]);

		if (a && strcmp(a->text, "False") && strcmp(a->text, "None"))
			return true;
	}
	return false;
}

/* Call `read` runs before `write`: it ends first, after it or inside its
 * arguments. */
static bool runs_before(const struct cg_py_call *read,
			const struct cg_py_call *write)
{
	return read->end < write->end && read->start >= write->start
		   ? true
		   : read->end <= write->start;
}

/* Is `write`'s client (its receiver, or a pipeline of it) the client
 * `client` that the read went through? */
static bool same_client(const struct cg_py_file *f, const struct cg_py_call *w,
			const struct cg_pyc_client *wc, const char *client)
{
	size_t n = strlen(client);

	if (!strcmp(w->receiver, client))
		return true;
	if (wc->kind != CG_PYC_PIPELINE)
		return false;
	if (wc->parent && !strcmp(wc->parent, client))
		return true;
	(void)f;
	/* `r.pipeline().zadd(...)` */
	return !strncmp(w->receiver, client, n) &&
	       !strncmp(w->receiver + n, ".pipeline(", 10);
}

/* A WATCH of `key` before call index `before`, in def `func`, on
 * `client` or a pipeline of it. */
static bool watched(const struct cg_py_file *f, uint32_t func, size_t before,
		    const char *client, const char *key)
{
	const struct cg_py_module *code = &f->code;

	for (size_t i = 0; i < before; i++) {
		const struct cg_py_call *c = &code->calls[i];
		struct cg_pyc_client cc;

		if (c->func != func || !c->method || !c->receiver ||
		    strcmp(c->method, "watch"))
			continue;
		for (uint32_t k = 0; k < c->nargs; k++) {
			const struct cg_py_arg *a =
			    &code->args[c->first_arg + k];

			if (a->cut || strcmp(a->text, key))
				continue;
			if (!strcmp(c->receiver, client))
				return true;
			cg_pyc_client_of(f, c->func, c->receiver, &cc);
			if (same_client(f, c, &cc, client))
				return true;
		}
	}
	return false;
}

static const char *atomic_hint(const char *read, const char *write)
{
	if (!strcmp(write, "set") || !strcmp(write, "setex") ||
	    !strcmp(write, "psetex") || !strcmp(write, "getset")) {
		if (!strcmp(read, "get"))
			return "INCR/INCRBY when the value is a counter (it "
			       "returns the new value to check), SET with NX "
			       "(`set(key, value, nx=True)`) when only the "
			       "first writer may win, or a Lua script "
			       "(`register_script`) that reads and writes in "
			       "one step";
		return "SET with NX (`set(key, value, nx=True)`): it writes "
		       "only when the key is not there, in one command";
	}
	if (!strncmp(write, "incr", 4) || !strncmp(write, "decr", 4) ||
	    !strcmp(write, "hincrby"))
		return "INCR/INCRBY alone, checking the value it returns "
		       "(undo with DECR when over the limit), or a Lua script "
		       "(`register_script`) that reads and writes in one step";
	return "a Lua script (`register_script`, EVAL) that runs the read "
	       "and the write in one step (e.g. ZCARD then ZADD inside the "
	       "script)";
}

/* Both calls run inside one `with` block whose context is a lock
 * (`with r.lock("name"):`, `with redis_lock.Lock(...)`): what the lock
 * holds is decided by whoever holds it. */
static bool under_lock(const struct cg_py_module *code,
		       const struct cg_py_call *a, const struct cg_py_call *b)
{
	for (size_t i = 0; i < code->nwiths; i++) {
		const struct cg_py_with *w = &code->withs[i];
		const struct cg_py_call *c;

		if (w->call == NONE)
			continue;
		c = &code->calls[w->call];
		if (!c->method ||
		    (strcmp(c->method, "lock") && strcmp(c->method, "Lock") &&
		     strcmp(c->method, "RedLock") &&
		     strcmp(c->method, "Redlock")))
			continue;
		if (a->first_tok >= w->body_first &&
		    a->first_tok < w->body_end &&
		    b->first_tok >= w->body_first && b->first_tok < w->body_end)
			return true;
	}
	return false;
}

static void report(struct cg_rule_ctx *ctx, const struct cg_py_file *f,
		   const struct cg_py_call *rd, const struct cg_py_call *wr,
		   const char *key)
{
	struct cg_buf hint = CG_BUF_INIT, subject = CG_BUF_INIT;

	cg_buf_addf(&hint,
		    "make the read and the write one atomic step: %s; or "
		    "WATCH `%s`, read, and write in a MULTI/EXEC pipeline",
		    atomic_hint(rd->method, wr->method), key);
	cg_buf_addf(&subject, "%s(%s) after %s(%s)", wr->callee, key,
		    rd->callee, key);
	cg_report(ctx, f->src, &wr->pos, subject.buf, hint.buf,
		  "`%s(%s%s)` writes `%s` after `%s(%s%s)` on line %u read it, "
		  "in a separate command: another client can change it in "
		  "between (check-then-act race)",
		  wr->callee, key, wr->nargs > 1 ? ", ..." : "", key,
		  rd->callee, key, rd->nargs > 1 ? ", ..." : "", rd->pos.line);
	cg_buf_release(&hint);
	cg_buf_release(&subject);
}

static void check_file(struct cg_rule_ctx *ctx, const struct cg_py_file *f)
{
	const struct cg_py_module *code = &f->code;
	unsigned char *reported = NULL;

	for (size_t w = 0; w < code->ncalls; w++) {
		const struct cg_py_call *wr = &code->calls[w];
		struct cg_pyc_client wc;
		bool wc_known = false;
		const char *key;
		size_t from = w > MAX_BACK ? w - MAX_BACK : 0, last = w + 1;

		if (!wr->method || !wr->receiver ||
		    !cg_str_in(wr->method, writes) ||
		    !(key = key_of(code, wr)) || conditional_write(code, wr))
			continue;
		/* the nearest read of the key before it, in the same def;
		 * reads inside its arguments come right after it in the
		 * table (ordered by their parentheses) */
		while (last < code->ncalls && code->calls[last].start < wr->end)
			last++;
		for (size_t i = last; i-- > from;) {
			const struct cg_py_call *rd = &code->calls[i];
			struct cg_pyc_client rc;
			const char *rkey;

			if (wr->func != NONE &&
			    rd->end <= code->defs[wr->func].start)
				break; /* before the def: no more of its calls
					*/
			if (i == w || rd->func != wr->func || !rd->method ||
			    !rd->receiver || !cg_str_in(rd->method, reads) ||
			    !runs_before(rd, wr) ||
			    !(rkey = key_of(code, rd)) || strcmp(rkey, key))
				continue;
			if (i > w && rd->start >= wr->end)
				continue;
			if (reported && reported[i])
				break;
			cg_pyc_client_of(f, rd->func, rd->receiver, &rc);
			if (!redis_client(rc.kind))
				continue; /* not Redis, or queued in a pipeline
					   */
			if (!wc_known) {
				cg_pyc_client_of(f, wr->func, wr->receiver,
						 &wc);
				wc_known = true;
			}
			if (!same_client(f, wr, &wc, rd->receiver) ||
			    watched(f, wr->func, w, rd->receiver, key) ||
			    under_lock(code, rd, wr))
				continue;
			if (!reported)
				reported = cg_xcalloc(code->ncalls, 1);
			reported[i] = 1;
			report(ctx, f, rd, wr, key);
			break;
		}
	}
	free(reported);
}

static void code(struct cg_rule_ctx *ctx, const struct cg_model *m, size_t file)
{
	check_file(ctx, &m->facts.python.files[file]);
}

const struct cg_rule cg_rule_redis_check_then_act = {
    .id = "redis-check-then-act",
    .layer = CG_LAYER_FULL,
    .severity = CG_SEV_ERROR,
    .summary = "Python: a Redis read and then a write of the same key in "
	       "separate commands (a race)",
    .explain =
	"Redis runs each command atomically, but not two of them: between "
	"a read (ZCARD, GET, EXISTS, HGET, ...) and a write (ZADD, SET, "
	"INCR, HSET, ...) of the same key another client can run its own "
	"read and write. Two workers both see 1 slot free, both take it: "
	"the limit is broken under load and never in a test. A write "
	"through a MULTI/EXEC pipeline (`pipe = r.pipeline()`) is no "
	"better: the pipeline makes its writes atomic with each other, not "
	"with the read made before it. Make the check and the write one "
	"step: a Lua script (`register_script`, EVAL) runs atomically on "
	"the server; `SET key value NX` writes only when the key is not "
	"there; INCR returns the new value to check; or WATCH the key, "
	"read, then write in MULTI/EXEC, which fails when the key changed. "
	"ciguard looks at one function at a time: the same key expression "
	"and the same client expression, a client built by redis.Redis, "
	"StrictRedis, from_url, redis.asyncio or aioredis, annotated as "
	"one, or named like one (`self.redis`).\n"
	"\n"
	"Bad:\n"
	"\n"
	"    def try_acquire(r: redis.Redis, key: str, job: str, limit: "
	"int) -> bool:\n"
	"        if r.zcard(key) < limit:\n"
	"            r.zadd(key, {job: time.time()})\n"
	"            return True\n"
	"        return False\n"
	"\n"
	"Good:\n"
	"\n"
	"    ACQUIRE = \"\"\"\n"
	"    if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then\n"
	"      redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3]) return 1\n"
	"    end\n"
	"    return 0\"\"\"\n"
	"\n"
	"    def try_acquire(r: redis.Redis, key: str, job: str, limit: "
	"int) -> bool:\n"
	"        acquire = r.register_script(ACQUIRE)\n"
	"        return acquire(keys=[key], args=[limit, time.time(), job]) "
	"== 1\n",
    .hint = "make the read and the write one atomic step: a Lua script, "
	    "SET NX, INCR, or WATCH the key and write in MULTI/EXEC",
    .code = code,
};
