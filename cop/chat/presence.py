"""Who is in a room now, across server processes.

With Redis, each room is a sorted set of "sid:user_id" scored by the time the owning
process last vouched for the socket; a process that dies stops vouching and its entries
age out. Without Redis (or while Redis is down) the process's own view is used.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict

log = logging.getLogger(__name__)

TTL_SECONDS = 60.0


class LocalPresence:
    """The sockets of this process, per room."""

    def __init__(self) -> None:
        self._rooms: dict[int, dict[str, int]] = defaultdict(dict)
        self._lock = threading.Lock()

    def add(self, room_id: int, sid: str, user_id: int) -> None:
        with self._lock:
            self._rooms[room_id][sid] = user_id

    def remove(self, room_id: int, sid: str) -> None:
        with self._lock:
            members = self._rooms.get(room_id)
            if members is not None:
                members.pop(sid, None)
                if not members:
                    del self._rooms[room_id]

    def users(self, room_id: int) -> set[int]:
        with self._lock:
            return set(self._rooms.get(room_id, {}).values())

    def entries(self) -> list[tuple[int, str, int]]:
        with self._lock:
            return [
                (rid, sid, uid)
                for rid, members in self._rooms.items()
                for sid, uid in members.items()
            ]

    def refresh(self) -> None:
        """Nothing to vouch for outside this process."""


class RedisPresence(LocalPresence):
    """LocalPresence mirrored to Redis, falling back to the local view on Redis errors."""

    def __init__(self, url: str, prefix: str) -> None:
        super().__init__()
        import redis

        self._redis = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        self._prefix = prefix
        self._warned = False

    def _key(self, room_id: int) -> str:
        return f"{self._prefix}:chat:presence:{room_id}"

    def _failed(self, exc: Exception) -> None:
        if not self._warned:
            log.warning("chat presence: Redis unavailable (%s); using this process's view", exc)
            self._warned = True

    def add(self, room_id: int, sid: str, user_id: int) -> None:
        super().add(room_id, sid, user_id)
        try:
            pipe = self._redis.pipeline()
            pipe.zadd(self._key(room_id), {f"{sid}:{user_id}": time.time()})
            pipe.expire(self._key(room_id), int(TTL_SECONDS * 2))
            pipe.execute()
            self._warned = False
        except Exception as exc:  # noqa: BLE001
            self._failed(exc)

    def remove(self, room_id: int, sid: str) -> None:
        user_id = None
        with self._lock:
            user_id = self._rooms.get(room_id, {}).get(sid)
        super().remove(room_id, sid)
        if user_id is None:
            return
        try:
            self._redis.zrem(self._key(room_id), f"{sid}:{user_id}")
        except Exception as exc:  # noqa: BLE001
            self._failed(exc)

    def users(self, room_id: int) -> set[int]:
        try:
            key = self._key(room_id)
            pipe = self._redis.pipeline()
            pipe.zremrangebyscore(key, "-inf", time.time() - TTL_SECONDS)
            pipe.zrange(key, 0, -1)
            _, members = pipe.execute()
        except Exception as exc:  # noqa: BLE001
            self._failed(exc)
            return super().users(room_id)
        found = set()
        for member in members:
            try:
                found.add(int(member.rsplit(b":", 1)[1]))
            except (IndexError, ValueError):
                continue
        return found | super().users(room_id)

    def refresh(self) -> None:
        """Vouch again for this process's sockets (the watchdog calls this)."""
        entries = self.entries()
        if not entries:
            return
        now = time.time()
        try:
            pipe = self._redis.pipeline()
            for room_id, sid, user_id in entries:
                pipe.zadd(self._key(room_id), {f"{sid}:{user_id}": now})
                pipe.expire(self._key(room_id), int(TTL_SECONDS * 2))
            pipe.execute()
        except Exception as exc:  # noqa: BLE001
            self._failed(exc)


def make_presence(redis_url: str | None, prefix: str) -> LocalPresence:
    if redis_url:
        try:
            return RedisPresence(redis_url, prefix)
        except Exception as exc:  # noqa: BLE001 - the redis package or URL is unusable
            log.warning("chat presence: %s; using per-process presence", exc)
    return LocalPresence()
