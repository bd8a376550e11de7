"""Per-user rate limits inside use cases (flood control), on Flask-Limiter's storage: Redis
when REDIS_URL is set, so the limit holds across server processes."""

from __future__ import annotations

from flask import current_app
from limits import parse as parse_limit
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from cop.extensions import limiter

_fallback = MovingWindowRateLimiter(MemoryStorage())


def hit(bucket: str, key: object, rate: str | None) -> bool:
    """Count one hit of `key` (a user id) in `bucket`; False once `rate` ("10 per minute")
    is exceeded. No rate: always allowed. Shared storage down: limited per process."""
    if not rate:
        return True
    item = parse_limit(rate)
    keys = (current_app.config.get("RATELIMIT_KEY_PREFIX", "cop"), bucket, str(key))
    try:
        return MovingWindowRateLimiter(limiter.storage).hit(item, *keys)
    except Exception:  # noqa: BLE001 - Redis away: never let flood control fail a post
        return _fallback.hit(item, *keys)
