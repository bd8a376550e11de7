"""Faults mid-chat, with real processes on loopback: two `cop serve` processes on a private
PostgreSQL cluster and a private redis-server (never the machine's shared ones), and
python-socketio clients that follow docs/chat-protocol.md (join and catch up by seq on every
connect, fetch a gap when a live seq skips ahead, re-send unacknowledged messages with the
same client_id).

While two senders send, at once: one client drops for 30 seconds; one app process is
killed (its clients reconnect to the other; it is started again); Redis is restarted;
PostgreSQL is restarted. Afterwards every acknowledged message is stored once and shown
exactly once, in seq order with no gap, by every member; retried sends are stored once.

PostgreSQL-only by construction, so it runs once per `make test`: in the PostgreSQL pass
(COP_TEST_DB=postgresql), skipped in the SQLite one.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from glob import glob
from pathlib import Path

import pytest

from tests.chat import servers
from tests.chat.servers import ThrowawayRedis, free_port, http_json
from tests.conftest import BACKEND

pytestmark = [
    pytest.mark.xdist_group("chat-servers"),
    pytest.mark.skipif(
        BACKEND != "postgresql", reason="runs once, in the PostgreSQL pass (COP_TEST_DB=postgresql)"
    ),
]
NS = "/chat"
ACK_TIMEOUT = 3.0
RETRYABLE = {"unavailable", "server_error", "rate_limited"}


# ---------------------------------------------------------------- a private PostgreSQL


class PrivatePostgres:
    """initdb + pg_ctl on a free loopback port, trust auth, in a temp dir (as `postgres`
    when we are root: initdb refuses to run as root)."""

    def __init__(self):
        found = sorted(glob("/usr/lib/postgresql/*/bin/initdb"))
        self.bin = Path(found[-1]).parent if found else None
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="cop-faults-pg-"))
        self.data = self.dir / "data"

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, timeout: float = 60) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        assert done.returncode == 0, f"{args[0]} failed: {done.stdout}\n{done.stderr}"

    def init(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
            "-E",
            "UTF8",
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir} "
            "-c fsync=off -c synchronous_commit=on -c full_page_writes=off"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.dir / "log"),
            "-o",
            options,
            "-w",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        with contextlib.suppress(AssertionError, subprocess.TimeoutExpired):
            self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop", timeout=30)

    def remove(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


# ---------------------------------------------------------------- protocol-following clients


@dataclass
class Outgoing:
    client_id: str
    body: str
    attempts: int = 0


@dataclass
class Member:
    """One member of the room: a socket to whichever server is up, a view of the room by
    id (live messages and HTTP catch-up, de-duplicated), and an outbox when it sends."""

    name: str
    token: str
    room: int
    pool: list  # the servers that are up, shared and updated by the test
    home: int = 0
    view: dict = field(default_factory=dict)  # message id -> message
    live: int = 0
    live_duplicates: int = 0
    out_of_order: int = 0
    fetched: int = 0
    attempts: int = 0
    connections: int = 0
    sio: object = None
    server: object = None
    paused: bool = False
    lock: threading.RLock = field(default_factory=threading.RLock)
    # sending
    outbox: list = field(default_factory=list)
    acked: dict = field(default_factory=dict)  # client_id -> stored message
    sent: int = 0
    retries: int = 0
    retried_ids: set = field(default_factory=set)
    stored_before_ack: int = 0  # re-sends answered "duplicate": the first try was stored
    errors: list = field(default_factory=list)
    removed_at: float | None = None

    # -- receiving -----------------------------------------------------------------------
    def contiguous(self) -> int:
        with self.lock:
            seqs = {m["seq"] for m in self.view.values()}
        n = 0
        while n + 1 in seqs:
            n += 1
        return n

    def on_message(self, data) -> None:
        if data.get("room_id") != self.room:
            return
        with self.lock:
            self.live += 1
            if data["id"] in self.view:
                self.live_duplicates += 1
            highest = max((m["seq"] for m in self.view.values()), default=0)
            if data["seq"] < highest:
                self.out_of_order += 1
            self.view[data["id"]] = data
            gap = data["seq"] > self.contiguous() + 1
        if gap:
            threading.Thread(target=self.catch_up, daemon=True).start()

    def on_room_removed(self, data) -> None:
        if data.get("room_id") == self.room and self.removed_at is None:
            self.removed_at = time.monotonic()

    def catch_up(self) -> None:
        """GET /api/v1/rooms/<id>/messages?after_seq=N until has_more is false."""
        server = self.server
        if server is None:
            return
        after = self.contiguous()
        try:
            while True:
                _, page = http_json(
                    server,
                    f"/api/v1/rooms/{self.room}/messages?after_seq={after}&limit=500",
                    self.token,
                )
                with self.lock:
                    for m in page["messages"]:
                        self.view[m["id"]] = m
                    self.fetched += len(page["messages"])
                if not page["has_more"] or not page["messages"]:
                    return
                after = page["messages"][-1]["seq"]
        except Exception:  # noqa: BLE001 - the server or the database is away: next time
            return

    # -- the connection ------------------------------------------------------------------
    def connected(self) -> bool:
        return self.sio is not None and self.sio.connected and NS in self.sio.namespaces

    def connect_once(self) -> bool:
        import socketio

        pool = list(self.pool)
        if not pool:
            return False
        # Home first; after a failure, the next server that is up.
        server = pool[(self.home + self.attempts) % len(pool)]
        sio = socketio.Client(reconnection=False)
        sio.on("message", self.on_message, namespace=NS)
        sio.on("room_removed", self.on_room_removed, namespace=NS)
        try:
            sio.connect(
                server.url,
                namespaces=[NS],
                transports=["websocket"],
                auth={"token": self.token},
                wait_timeout=5,
            )
            ack = sio.call("join", {"room_id": self.room}, namespace=NS, timeout=ACK_TIMEOUT)
            assert ack["ok"], ack
        except Exception:  # noqa: BLE001 - that server is down or busy: another try later
            self.attempts += 1
            with contextlib.suppress(Exception):
                sio.disconnect()
            return False
        self.sio, self.server = sio, server
        self.connections += 1
        self.catch_up()
        return True

    def drop(self) -> None:
        """The laptop sleeps: the socket goes away, nothing is received."""
        self.paused = True
        sio, self.sio = self.sio, None
        if sio is not None:
            with contextlib.suppress(Exception):
                sio.disconnect()

    def supervise(self, stop: threading.Event) -> None:
        """Reconnect whenever the socket is gone (unless dropped on purpose)."""
        while not stop.is_set():
            if not self.paused and not self.connected():
                if self.sio is not None:
                    with contextlib.suppress(Exception):
                        self.sio.disconnect()
                    self.sio = None
                    self.attempts += 1
                if not self.connect_once():
                    time.sleep(0.2)
                    continue
            time.sleep(0.05)

    # -- sending -------------------------------------------------------------------------
    def send_loop(self, stop_new: threading.Event, stop: threading.Event, interval: float) -> None:
        n = 0
        while not stop.is_set():
            if not self.outbox:
                if stop_new.is_set():
                    return
                n += 1
                self.outbox.append(Outgoing(uuid.uuid4().hex, f"{self.name} {n}"))
                self.sent += 1
            item = self.outbox[0]
            sio = self.sio
            if sio is None or not self.connected():
                time.sleep(0.05)
                continue
            if item.attempts:
                self.retries += 1
                self.retried_ids.add(item.client_id)
            item.attempts += 1
            try:
                ack = sio.call(
                    "send",
                    {"room_id": self.room, "body": item.body, "client_id": item.client_id},
                    namespace=NS,
                    timeout=ACK_TIMEOUT,
                )
            except Exception:  # noqa: BLE001 - no ack: unknown whether stored; re-send
                time.sleep(0.1)
                continue
            if ack.get("ok"):
                self.acked[item.client_id] = ack["message"]
                self.stored_before_ack += bool(ack.get("duplicate"))
                self.outbox.pop(0)
                time.sleep(interval)
            elif ack["error"]["code"] in RETRYABLE:
                time.sleep(0.2)
            else:
                self.errors.append(ack)
                self.outbox.pop(0)

    def close(self) -> None:
        sio, self.sio = self.sio, None
        if sio is not None:
            ws = getattr(sio.eio, "ws", None)
            with contextlib.suppress(Exception):
                if ws is not None:
                    ws.close(timeout=0.1)
            with contextlib.suppress(Exception):
                sio.disconnect()


# ---------------------------------------------------------------- the test


def _sql(pg: PrivatePostgres, statement: str, *params) -> None:
    import psycopg

    with psycopg.connect(pg.url.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(statement, params)


def _stored(server, users: dict, room: int, client_id: str) -> bool:
    _, page = http_json(
        server, f"/api/v1/rooms/{room}/messages?before_seq=1000000&limit=50", users["bob"]["token"]
    )
    return any(m["client_id"] == client_id for m in page["messages"])


def _send_one(member: Member, body: str) -> dict:
    ack = member.sio.call(
        "send",
        {"room_id": member.room, "body": body, "client_id": uuid.uuid4().hex},
        namespace=NS,
        timeout=ACK_TIMEOUT,
    )
    assert ack["ok"], ack
    return ack["message"]


def _later(delay: float, action, log: list, label: str) -> threading.Thread:
    def run():
        time.sleep(delay)
        started = time.monotonic()
        action()
        log.append(f"{label} ({time.monotonic() - started:.1f} s)")

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_faults_mid_chat_lose_no_acknowledged_message(tmp_path_factory):
    servers.need(ThrowawayRedis.available(), "redis-server is not installed")
    servers.need(bool(glob("/usr/lib/postgresql/*/bin/initdb")), "PostgreSQL binaries missing")
    began = time.monotonic()
    folder = tmp_path_factory.mktemp("chat-faults")
    redis_server = ThrowawayRedis(folder)
    pg = PrivatePostgres()
    pool: list = []
    started: list = []
    members: list[Member] = []
    stop, stop_new = threading.Event(), threading.Event()
    try:
        phases: dict[str, float] = {}
        pg.init()
        pg.start()
        redis_server.start()
        phases["initdb+start"] = time.monotonic() - began
        env = servers.base_env(folder, pg.url, redis_server.url, servers.new_channel())
        env["CHAT_SEND_RATE"] = "100000 per minute"
        data = servers.setup_database(env)
        phases["schema"] = time.monotonic() - began
        started += [servers.spawn_server(env, folder / f"server-{i}.log") for i in range(2)]
        for server in started:
            servers.wait_until_up(server)
        phases["servers up"] = time.monotonic() - began
        pool += started
        a, b = started
        users, room = data["users"], data["room"]
        # alice and bob send; carol only reads (and is the one whose laptop sleeps 30 s);
        # alice and carol start on the process that will be killed.
        alice = Member("alice", users["alice"]["token"], room, pool, home=0)
        bob = Member("bob", users["bob"]["token"], room, pool, home=1)
        carol = Member("carol", users["carol"]["token"], room, pool, home=0)
        members += [alice, bob, carol]
        for m in members:
            assert m.connect_once(), f"{m.name} could not connect"
        threads = [threading.Thread(target=m.supervise, args=(stop,), daemon=True) for m in members]
        senders = [
            threading.Thread(target=m.send_loop, args=(stop_new, stop, 0.1), daemon=True)
            for m in (alice, bob)
        ]
        for thread in threads + senders:
            thread.start()
        setup_s = time.monotonic() - began
        faults: list[str] = []

        def drop_carol():
            carol.drop()

        def carol_returns():
            carol.paused = False

        lost = Outgoing(uuid.uuid4().hex, "stored, but its ack dies with process A", 1)

        def kill_a():
            # One send whose ack is lost for sure: A stores it, then dies before alice
            # hears back; alice re-sends it (same client_id) through B.
            alice.sio.emit(
                "send",
                {"room_id": room, "body": lost.body, "client_id": lost.client_id},
                namespace=NS,
            )
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and not _stored(b, users, room, lost.client_id):
                time.sleep(0.05)
            a.process.kill()
            a.process.wait(10)
            pool.remove(a)
            alice.outbox.append(lost)
            alice.sent += 1

        def restart_a():
            again = servers.wait_until_up(servers.spawn_server(env, folder / "server-0b.log"))
            pool.append(again)
            started.append(again)

        t0 = time.monotonic()
        schedule = [
            _later(1, drop_carol, faults, "carol dropped"),
            _later(4, kill_a, faults, "app process A killed"),
            _later(7, restart_a, faults, "app process A started again"),
            _later(13, redis_server.stop, faults, "Redis stopped"),
            _later(16, redis_server.start, faults, "Redis started"),
            _later(20, lambda: pg.stop("fast"), faults, "PostgreSQL stopped"),
            _later(23, pg.start, faults, "PostgreSQL started"),
            _later(31, carol_returns, faults, "carol back after 30 s"),
        ]
        for thread in schedule:
            thread.join(60)
        time.sleep(max(0.0, 31 - (time.monotonic() - t0)))
        stop_new.set()
        for thread in senders:  # their outboxes empty: every message acknowledged at last
            thread.join(20)
        # One more message after recovery: a member who missed a broadcast sees the gap.
        last = Outgoing(uuid.uuid4().hex, "after recovery")
        bob.outbox.append(last)
        bob.sent += 1
        bob_last = threading.Thread(target=bob.send_loop, args=(stop_new, stop, 0), daemon=True)
        bob_last.start()
        bob_last.join(15)
        assert last.client_id in bob.acked, "the last message was never acknowledged"
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not all(
            m.contiguous() >= bob.acked[last.client_id]["seq"] for m in members
        ):
            time.sleep(0.1)
        stop.set()

        stored = []
        after = 0
        while True:
            _, page = http_json(
                pool[-1],
                f"/api/v1/rooms/{room}/messages?after_seq={after}&limit=500",
                users["alice"]["token"],
            )
            stored += page["messages"]
            if not page["has_more"]:
                break
            after = page["messages"][-1]["seq"]

        acked = {**alice.acked, **bob.acked}
        by_client_id: dict[str, int] = {}
        for m in stored:
            by_client_id[m["client_id"]] = by_client_id.get(m["client_id"], 0) + 1
        retried = alice.retried_ids | bob.retried_ids
        report = [
            f"faults: {'; '.join(faults)}",
            f"set-up {setup_s:.1f} s ({', '.join(f'{k} at {v:.1f}' for k, v in phases.items())})"
            f", whole test {time.monotonic() - began:.1f} s",
            f"sent {alice.sent + bob.sent} (alice {alice.sent}, bob {bob.sent}), "
            f"acked {len(acked)}, re-sends {alice.retries + bob.retries} of "
            f"{len(retried)} messages ({alice.stored_before_ack + bob.stored_before_ack} "
            f"had been stored before their ack was lost), stored {len(stored)}",
        ]
        for m in members:
            report.append(
                f"{m.name}: delivered {len(m.view)} (live {m.live}, live duplicates "
                f"dropped {m.live_duplicates}, out of order live {m.out_of_order}, "
                f"fetched by seq {m.fetched}), connections {m.connections}"
            )
        print("\n" + "\n".join(report))

        assert not alice.errors and not bob.errors, alice.errors + bob.errors
        assert len(acked) == alice.sent + bob.sent, "some sends were never acknowledged"
        assert lost.client_id in retried, "the send whose ack was lost was not retried"
        assert alice.stored_before_ack >= 1, "the re-send of a stored message was not a duplicate"
        assert all(count == 1 for count in by_client_id.values()), "a client_id stored twice"
        assert set(acked) == set(by_client_id), "acknowledged and stored differ"
        assert [m["seq"] for m in stored] == list(range(1, len(stored) + 1))
        assert {c: m["id"] for c, m in acked.items()} == {m["client_id"]: m["id"] for m in stored}
        for m in members:
            view = sorted(m.view.values(), key=lambda x: x["seq"])
            assert [x["id"] for x in view] == [x["id"] for x in stored], (
                f"{m.name} does not show every stored message once in order"
            )
        assert carol.connections >= 2 and alice.connections >= 2

        # Losing access to the room (carol leaves the coalition) takes her socket out of it
        # within a second: every process's watchdog re-checks its sockets' rooms.
        _sql(pg, "DELETE FROM memberships WHERE user_id = %s", users["carol"]["id"])
        removed = time.monotonic()  # committed: from now on she has no access
        deadline = removed + 5
        while carol.removed_at is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert carol.removed_at is not None, "carol was never taken out of the room"
        print(f"carol taken out of the room {carol.removed_at - removed:.2f} s after losing access")
        assert carol.removed_at - removed < 1.0
        after = _send_one(bob, "members only")
        time.sleep(0.5)
        assert after["id"] not in carol.view, "a message reached someone who lost access"
        assert time.monotonic() - began < 120
    finally:
        stop.set()
        stop_new.set()
        closers = [threading.Thread(target=m.close) for m in members]
        for thread in closers:
            thread.start()
        for thread in closers:
            thread.join(10)
        for server in started:
            server.stop()
        redis_server.stop()
        pg.remove()
