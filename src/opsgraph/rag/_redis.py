"""What the Redis cache and the Redis history share: the connection, the error, and key-safe names.

Imports `redis` and `redisvl` (the `[redis]` extra): import it only when Redis is configured.
"""

from __future__ import annotations

import re
from typing import Any

from redis.exceptions import RedisError
from redisvl.redis.connection import RedisConnectionFactory

from opsgraph.errors import OpsGraphError


class RedisBackendError(OpsGraphError):
    """Redis could not be reached or refused a command (the URL is in the message)."""

    code = "cache_unavailable"
    status = 503


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:48] or "x"


def connect(url: str) -> Any:
    """RedisVL's own factory: RESP2 replies (what its parsers expect), a `RedisCluster` client for
    `?cluster=true` or comma-separated hosts, Sentinel for `redis+sentinel://`."""
    try:
        client = RedisConnectionFactory.get_redis_connection(redis_url=url)
        client.ping()
    except (RedisError, ValueError) as exc:
        raise RedisBackendError(f"cannot reach Redis at {url}: {exc}") from exc
    return client
