/*
 * The limiter's Lua scripts, one per operation. KEYS[1] is the holders
 * zset (token -> deadline in Redis ms), KEYS[2] the fences hash (token ->
 * fencing number), KEYS[3] the fence counter. "now" is Redis TIME; a
 * holder is live while its deadline > now. keep() extends a key's expiry
 * to at least ttl and never shortens it (PTTL -1 / -2 count as shorter).
 */
#ifndef CG_LIMITER_SCRIPTS_H
#define CG_LIMITER_SCRIPTS_H

#define CG_LUA_PRELUDE                                                         \
	"local t = redis.call('TIME')\n"                                       \
	"local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / "     \
	"1000)\n"                                                              \
	"local function keep(k, ttl)\n"                                        \
	"  if redis.call('PTTL', k) < ttl then redis.call('PEXPIRE', k, ttl) " \
	"end\n"                                                                \
	"end\n"

/* ARGV: token, max, ttl_ms -> {1, fence} acquired, {0, 0} full */
static const char script_acquire[] = CG_LUA_PRELUDE
    "local ttl = tonumber(ARGV[3])\n"
    "local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, "
    "'LIMIT', 0, 1000)\n"
    "while #dead > 0 do\n"
    "  redis.call('ZREM', KEYS[1], unpack(dead))\n"
    "  redis.call('HDEL', KEYS[2], unpack(dead))\n"
    "  dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, "
    "'LIMIT', 0, 1000)\n"
    "end\n"
    "local fence\n"
    "if redis.call('ZSCORE', KEYS[1], ARGV[1]) then\n"
    "  fence = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or 0)\n"
    "elseif redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then\n"
    "  fence = redis.call('INCR', KEYS[3])\n"
    "  redis.call('HSET', KEYS[2], ARGV[1], fence)\n"
    "else\n"
    "  return {0, 0}\n"
    "end\n"
    "redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])\n"
    "keep(KEYS[1], ttl)\n"
    "keep(KEYS[2], ttl)\n"
    "return {1, fence}\n";

/* ARGV: token -> 1 released, 0 not held */
static const char script_release[] =
    CG_LUA_PRELUDE "local s = redis.call('ZSCORE', KEYS[1], ARGV[1])\n"
		   "redis.call('ZREM', KEYS[1], ARGV[1])\n"
		   "redis.call('HDEL', KEYS[2], ARGV[1])\n"
		   "if s and tonumber(s) > now then return 1 end\n"
		   "return 0\n";

/* ARGV: token, ttl_ms -> 1 refreshed, 0 lost (removed if present) */
static const char script_refresh[] =
    CG_LUA_PRELUDE "local ttl = tonumber(ARGV[2])\n"
		   "local s = redis.call('ZSCORE', KEYS[1], ARGV[1])\n"
		   "if s and tonumber(s) > now then\n"
		   "  redis.call('ZADD', KEYS[1], 'XX', now + ttl, ARGV[1])\n"
		   "  keep(KEYS[1], ttl)\n"
		   "  keep(KEYS[2], ttl)\n"
		   "  return 1\n"
		   "end\n"
		   "redis.call('ZREM', KEYS[1], ARGV[1])\n"
		   "redis.call('HDEL', KEYS[2], ARGV[1])\n"
		   "return 0\n";

/* read-only -> live holders */
static const char script_count[] =
    "local t = redis.call('TIME')\n"
    "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / "
    "1000)\n"
    "return redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf')\n";

/* read-only -> {token, remaining_ms, fence, ...} of live holders */
static const char script_holders[] =
    "local t = redis.call('TIME')\n"
    "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / "
    "1000)\n"
    "local z = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf', "
    "'WITHSCORES')\n"
    "local out = {}\n"
    "for i = 1, #z, 2 do\n"
    "  out[#out + 1] = z[i]\n"
    "  out[#out + 1] = tonumber(z[i + 1]) - now\n"
    "  out[#out + 1] = tonumber(redis.call('HGET', KEYS[2], z[i]) or 0)\n"
    "end\n"
    "return out\n";

#endif
