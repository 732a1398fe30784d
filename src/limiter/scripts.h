/*
 * The limiter's Lua scripts, one per operation. KEYS[1] is the holders
 * zset (token -> deadline in Redis ms), KEYS[2] the fences hash (token ->
 * fencing number), KEYS[3] the fence counter. "now" is Redis TIME; a
 * holder is live while its deadline > now. keep() extends a key's expiry
 * to at least ttl and never shortens it (PTTL -1 / -2 count as shorter).
 * hold() does that for the holders zset and the fences hash together:
 * they always have the same members (so both exist or neither does) and
 * the same expiry, and when the holders' is below ttl both get ttl plus
 * up to a minute of slack, so most calls need only the PTTL.
 *
 * Each redis.call costs the server's one thread about a microsecond, so
 * the paths taken when nobody waits make as few as they can: expired
 * holders are swept only when they might be in the way (all slots look
 * taken, or waiters are queued, whose turn depends on the free count);
 * until then they count as taken, which can only refuse, never
 * over-admit.
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
	"end\n"                                                                \
	"local function hold(h, f, ttl)\n"                                     \
	"  if redis.call('PTTL', h) < ttl then\n"                              \
	"    local until_ms = ttl + math.min(ttl, 60000)\n"                    \
	"    redis.call('PEXPIRE', h, until_ms)\n"                             \
	"    redis.call('PEXPIRE', f, until_ms)\n"                             \
	"  end\n"                                                              \
	"end\n"

/*
 * The wait queue: KEYS[4] zset token -> ticket (FIFO order), KEYS[5] zset
 * token -> lease deadline (a waiter that stops retrying is dropped after
 * it), KEYS[6] the ticket counter; ARGV wake prefix + token is a waiter's
 * wake-up list, which its BLPOP watches. wake(free) pushes onto the lists
 * of the first `free` waiters, so they retry now instead of at their next
 * lease renewal.
 */
#define CG_LUA_QUEUE                                                           \
	"local function prune_waiters(q, lease)\n"                             \
	"  local gone = redis.call('ZRANGEBYSCORE', lease, '-inf', now, "      \
	"'LIMIT', 0, 1000)\n"                                                  \
	"  if #gone > 0 then\n"                                                \
	"    redis.call('ZREM', q, unpack(gone))\n"                            \
	"    redis.call('ZREM', lease, unpack(gone))\n"                        \
	"  end\n"                                                              \
	"end\n"                                                                \
	"local function wake(q, prefix, n)\n"                                  \
	"  if n <= 0 then return end\n"                                        \
	"  for _, w in ipairs(redis.call('ZRANGE', q, 0, n - 1)) do\n"         \
	"    redis.call('LPUSH', prefix .. w, 1)\n"                            \
	"    redis.call('LTRIM', prefix .. w, 0, 0)\n"                         \
	"    redis.call('PEXPIRE', prefix .. w, 60000)\n"                      \
	"  end\n"                                                              \
	"end\n"

/*
 * ARGV: token, max, ttl_ms, lease_ms, wake prefix -> {1, fence} acquired,
 * {0, position} full (position 1 = head of the queue; 0 when lease_ms is
 * 0, which means "do not queue"). A free slot goes to a newcomer only when
 * no waiter is ahead of it for that slot. Without a queue key nobody
 * waits, and the queue work is skipped.
 */
static const char script_acquire[] = CG_LUA_PRELUDE CG_LUA_QUEUE
    "local ttl = tonumber(ARGV[3])\n"
    "local max = tonumber(ARGV[2])\n"
    "local lease = tonumber(ARGV[4])\n"
    "local card = redis.call('ZCARD', KEYS[1])\n"
    "local s = card > 0 and redis.call('ZSCORE', KEYS[1], ARGV[1])\n"
    "local fence\n"
    "if s and tonumber(s) > now then\n"
    "  fence = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or 0)\n"
    "else\n"
    "  local queued = redis.call('EXISTS', KEYS[4]) == 1\n"
    "  if card >= max or queued then\n"
    "    local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, "
    "'LIMIT', 0, 1000)\n"
    "    while #dead > 0 do\n"
    "      redis.call('ZREM', KEYS[1], unpack(dead))\n"
    "      redis.call('HDEL', KEYS[2], unpack(dead))\n"
    "      dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, "
    "'LIMIT', 0, 1000)\n"
    "    end\n"
    "    card = redis.call('ZCARD', KEYS[1])\n"
    "  end\n"
    "  if queued then prune_waiters(KEYS[4], KEYS[5]) end\n"
    "  local free = max - card\n"
    "  local rank = 0\n"
    "  if queued then\n"
    "    rank = redis.call('ZRANK', KEYS[4], ARGV[1])\n"
    "    if not rank then rank = redis.call('ZCARD', KEYS[4]) end\n"
    "  end\n"
    "  if rank >= free then\n"
    "    if queued then wake(KEYS[4], ARGV[5], free) end\n"
    "    if lease <= 0 then return {0, 0} end\n"
    "    if not redis.call('ZSCORE', KEYS[4], ARGV[1]) then\n"
    "      redis.call('ZADD', KEYS[4], redis.call('INCR', KEYS[6]), "
    "ARGV[1])\n"
    "    end\n"
    "    redis.call('ZADD', KEYS[5], now + lease, ARGV[1])\n"
    "    keep(KEYS[4], lease)\n"
    "    keep(KEYS[5], lease)\n"
    "    keep(KEYS[6], lease)\n"
    "    return {0, redis.call('ZRANK', KEYS[4], ARGV[1]) + 1}\n"
    "  end\n"
    "  if queued then\n"
    "    redis.call('ZREM', KEYS[4], ARGV[1])\n"
    "    redis.call('ZREM', KEYS[5], ARGV[1])\n"
    "    redis.call('DEL', ARGV[5] .. ARGV[1])\n"
    "    wake(KEYS[4], ARGV[5], free - 1)\n"
    "  end\n"
    "  fence = redis.call('INCR', KEYS[3])\n"
    "  redis.call('HSET', KEYS[2], ARGV[1], fence)\n"
    "end\n"
    "redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])\n"
    "hold(KEYS[1], KEYS[2], ttl)\n"
    "return {1, fence}\n";

/*
 * The acquire without waiting, when nothing is in the way: KEYS holders,
 * fences, fence counter, queue; ARGV token, max, ttl_ms -> the fence (>= 1)
 * acquired, 0 full, or -1: waiters are queued or the token is in the set
 * already (a retry), so script_acquire decides. The answer is one integer:
 * Redis turns a Lua table into a reply at about the cost of a command.
 * The token goes in first (ZADD NX, which also says whether it was there)
 * and is taken out again when that makes more than max: one call fewer
 * than looking first. Expired holders are swept only when the set looks
 * full. TIME's strings take part in arithmetic as they are (Lua converts
 * them), without tonumber.
 */
static const char script_acquire_fast[] =
    "local t = redis.call('TIME')\n"
    "local now = t[1] * 1000 + math.floor(t[2] / 1000)\n"
    "if redis.call('EXISTS', KEYS[4]) == 1 then return -1 end\n"
    "local ttl = tonumber(ARGV[3])\n"
    "if redis.call('ZADD', KEYS[1], 'NX', now + ttl, ARGV[1]) == 0 then\n"
    "  return -1\n"
    "end\n"
    "local card = redis.call('ZCARD', KEYS[1])\n"
    "if card > tonumber(ARGV[2]) then\n"
    "  local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, "
    "'LIMIT', 0, 1000)\n"
    "  while #dead > 0 do\n"
    "    redis.call('ZREM', KEYS[1], unpack(dead))\n"
    "    redis.call('HDEL', KEYS[2], unpack(dead))\n"
    "    dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, "
    "'LIMIT', 0, 1000)\n"
    "  end\n"
    "  card = redis.call('ZCARD', KEYS[1])\n"
    "  if card > tonumber(ARGV[2]) then\n"
    "    redis.call('ZREM', KEYS[1], ARGV[1])\n"
    "    return 0\n"
    "  end\n"
    "end\n"
    "local fence = redis.call('INCR', KEYS[3])\n"
    "redis.call('HSET', KEYS[2], ARGV[1], fence)\n"
    /* a set of one was made by this call and has no expiry yet */
    "if card == 1 or redis.call('PTTL', KEYS[1]) < ttl then\n"
    "  local until_ms = ttl + math.min(ttl, 60000)\n"
    "  redis.call('PEXPIRE', KEYS[1], until_ms)\n"
    "  redis.call('PEXPIRE', KEYS[2], until_ms)\n"
    "end\n"
    "return fence\n";

/* ARGV: token, wake prefix -> 1 released, 0 not held; wakes the head
 * waiter (KEYS[3] queue, KEYS[4] leases) */
static const char script_release[] = CG_LUA_PRELUDE CG_LUA_QUEUE
    "local s = redis.call('ZSCORE', KEYS[1], ARGV[1])\n"
    "if not s then return 0 end\n"
    "redis.call('ZREM', KEYS[1], ARGV[1])\n"
    "redis.call('HDEL', KEYS[2], ARGV[1])\n"
    "if redis.call('EXISTS', KEYS[3]) == 1 then\n"
    "  prune_waiters(KEYS[3], KEYS[4])\n"
    "  wake(KEYS[3], ARGV[2], 1)\n"
    "end\n"
    "if tonumber(s) > now then return 1 end\n"
    "return 0\n";

/* KEYS: queue, leases; ARGV: wake prefix -> 0; wakes the head waiter
 * after a release that went without a script (limiter.c, release_plain) */
static const char script_wake[] =
    CG_LUA_PRELUDE CG_LUA_QUEUE "prune_waiters(KEYS[1], KEYS[2])\n"
				"wake(KEYS[1], ARGV[1], 1)\n"
				"return 0\n";

/* KEYS: queue, leases; ARGV: token, wake prefix -> 1 when it was queued;
 * a waiter giving up passes its wake-up on to the new head */
static const char script_dequeue[] = CG_LUA_PRELUDE CG_LUA_QUEUE
    "local was = redis.call('ZREM', KEYS[1], ARGV[1])\n"
    "redis.call('ZREM', KEYS[2], ARGV[1])\n"
    "local woken = redis.call('DEL', ARGV[2] .. ARGV[1])\n"
    "if woken > 0 then wake(KEYS[1], ARGV[2], 1) end\n"
    "return was\n";

/* ARGV: token, ttl_ms -> 1 refreshed, 0 lost (removed if present) */
static const char script_refresh[] =
    CG_LUA_PRELUDE "local ttl = tonumber(ARGV[2])\n"
		   "local s = redis.call('ZSCORE', KEYS[1], ARGV[1])\n"
		   "if s and tonumber(s) > now then\n"
		   "  redis.call('ZADD', KEYS[1], 'XX', now + ttl, ARGV[1])\n"
		   "  hold(KEYS[1], KEYS[2], ttl)\n"
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

/* read-only, KEYS: queue, leases -> waiters with a live lease in
 * queue order */
static const char script_waiters[] =
    "local t = redis.call('TIME')\n"
    "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / "
    "1000)\n"
    "local out = {}\n"
    "for _, w in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do\n"
    "  local d = redis.call('ZSCORE', KEYS[2], w)\n"
    "  if d and tonumber(d) > now then out[#out + 1] = w end\n"
    "end\n"
    "return out\n";

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
