"""Per-tenant cap on jobs in flight, so one busy tenant cannot starve the others.

Each tenant has a sorted set of the job ids that hold a slot, scored by the
Redis server time at which they took it. Expiring dead holders, counting and
adding happen in one Lua script, so two workers can never both see "one slot
left" and both take it.
"""
import redis

# A holder that has not released its slot after this long is presumed dead
# (OOM-killed pod, lost node) and its slot is handed out again.
SLOT_TTL_SECONDS = 300

# KEYS[1] = the tenant's slot set; ARGV = ttl seconds, max holders, job id.
# Uses the server clock (TIME), never the workers' clocks.
ACQUIRE_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local ttl = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - ttl)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('EXPIRE', KEYS[1], ttl)
  return 1
end
return 0
"""


def _key(tenant_id: str) -> str:
    return f"orders:slots:{tenant_id}"


class TenantLimiter:
    def __init__(self, r: redis.Redis, max_active: int) -> None:
        self._r = r
        self._max_active = max_active
        self._acquire = r.register_script(ACQUIRE_LUA)

    def try_acquire(self, tenant_id: str, job_id: str) -> bool:
        """Take one of the tenant's slots; False when all of them are in use."""
        taken = self._acquire(keys=[_key(tenant_id)], args=[SLOT_TTL_SECONDS, self._max_active, job_id])
        return taken == 1

    def release(self, tenant_id: str, job_id: str) -> None:
        self._r.zrem(_key(tenant_id), job_id)
