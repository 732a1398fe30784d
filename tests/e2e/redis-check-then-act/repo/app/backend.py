"""A client handed in, or made here: Redis either way."""
import redis


class Backend:
    def __init__(self, client=None, url="redis://localhost") -> None:
        self.client = client or redis.Redis.from_url(url)

    def claim(self, job: str) -> bool:
        state = self.client.hget("jobs", job)
        if state == b"queued":
            self.client.hset("jobs", job, "running")
            return True
        return False
