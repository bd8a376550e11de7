"""Chat broadcast latency and memory: cop's /chat against a bare python-socketio server.

    .venv/bin/python benchmarks/chat_broadcast.py                 # 500 clients, bare and cop
    .venv/bin/python benchmarks/chat_broadcast.py --clients 2000
    .venv/bin/python benchmarks/chat_broadcast.py --targets bare,cop,cop-redis,cop-redis2

Each target is a real server process in the same async mode (gevent by default; cop's
`cop serve` is gevent only, the bare server can also run `--async-mode threading`):

- bare:      python-socketio alone; `send` re-emits the payload to the room (no database).
- cop:       `flask --app wsgi cop serve` on a fresh SQLite database; `send` is cop's whole
             path (auth and access re-check, rate limit, insert with seq, commit, emit).
- cop-redis: the same with REDIS_URL (python-socketio's Redis manager, as in production).
- cop-redis2: two such processes on one database; the senders and half the clients on
             the first, the other half on the second (their messages cross Redis).

cop runs with JOBS_EMBEDDED=0 (no background job runner in the measured process); the
servers are pinned to the first half of the cores, the client processes to the other
half; each target runs `--repeat` times (at least 3, interleaved), median and spread.

N clients (WebSocket, a minimal Engine.IO 4 / Socket.IO 5 client on gevent, spread over
client processes) join one room; S of them send R messages a second for D seconds. The
latency of a delivery is the time from just before the sender's emit to the receipt by
each client (CLOCK_MONOTONIC is shared by the processes of one machine), so it includes
the server's whole send path and its fan-out. Memory per idle connection is the server's
RSS growth from before the clients connected to when all of them sat idle in the room,
divided by N. Only loopback addresses are used; every loop is bounded in time.
BENCH_DEBUG=1 prints the slowest messages (sender, number) of each client process.

The numbers move a lot with other load on the machine: note the load average the table
prints, and compare targets measured in the same run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NS = "/chat"


# --- the bare server -------------------------------------------------------------------


def tcp_nodelay_for_gevent() -> None:
    """Set TCP_NODELAY on every accepted socket of gevent's WSGI server. Without it, an ack
    written right after a broadcast to the same socket waits for the client's delayed ACK
    (Nagle), about 40 ms on Linux."""
    from gevent import pywsgi

    original = pywsgi.WSGIHandler.__init__

    def init(self, sock, *args, **kwargs):
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        original(self, sock, *args, **kwargs)

    pywsgi.WSGIHandler.__init__ = init


def serve_bare(port: int, async_mode: str, nodelay: bool) -> None:
    if async_mode == "gevent":
        from gevent import monkey

        monkey.patch_all()
        if nodelay:
            tcp_nodelay_for_gevent()
    import socketio

    sio = socketio.Server(async_mode=async_mode, cors_allowed_origins="*")
    seq = {"n": 0}

    class Chat(socketio.Namespace):
        def on_connect(self, sid, environ, auth=None):
            return True

        def on_join(self, sid, data):
            self.enter_room(sid, f"room:{data['room_id']}")
            return {"ok": True, "last_seq": seq["n"]}

        def on_send(self, sid, data):
            seq["n"] += 1
            message = {
                "id": seq["n"],
                "room_id": data["room_id"],
                "seq": seq["n"],
                "client_id": data["client_id"],
                "author": {"id": 1, "name": "Bench"},
                "body": data["body"],
                "body_html": f"<p>{data['body']}</p>",
                "created_at": "2026-01-01T00:00:00Z",
                "edited_at": None,
                "deleted": False,
                "edit_seq": None,
            }
            self.emit("message", message, to=f"room:{data['room_id']}")
            return {"ok": True, "message": message}

    sio.register_namespace(Chat(NS))
    app = socketio.WSGIApp(sio)
    if async_mode == "gevent":
        from gevent import pywsgi

        pywsgi.WSGIServer(("127.0.0.1", port), app, log=None).serve_forever()
    else:
        from werkzeug.serving import run_simple

        run_simple("127.0.0.1", port, app, threaded=True)


# --- a minimal Socket.IO client on a raw WebSocket (gevent) ------------------------------


class RawClient:
    """Engine.IO 4 over WebSocket, Socket.IO 5 on one namespace. Frames from the client are
    masked with a zero key (allowed by RFC 6455), so payloads need no XOR."""

    def __init__(self, port: int):
        import gevent.socket

        self.sock = gevent.socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        key = "dGhlIHNhbXBsZSBub25jZQ=="
        self.sock.sendall(
            (
                "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
                f"Host: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        self.reader = self.sock.makefile("rb", buffering=65536)
        status = self.reader.readline()
        if b"101" not in status:
            raise ConnectionError(status)
        while self.reader.readline() not in (b"\r\n", b""):
            pass
        self.acks: dict[int, object] = {}
        self.next_ack = 1

    def send_text(self, text: str) -> None:
        data = text.encode()
        n = len(data)
        if n < 126:
            header = bytes([0x81, 0x80 | n])
        elif n < 65536:
            header = bytes([0x81, 0x80 | 126]) + n.to_bytes(2, "big")
        else:
            header = bytes([0x81, 0x80 | 127]) + n.to_bytes(8, "big")
        self.sock.sendall(header + b"\0\0\0\0" + data)

    def recv_text(self) -> str | None:
        read = self.reader.read
        head = read(2)
        if len(head) < 2:
            return None
        opcode, n = head[0] & 0x0F, head[1] & 0x7F
        if n == 126:
            n = int.from_bytes(read(2), "big")
        elif n == 127:
            n = int.from_bytes(read(8), "big")
        payload = read(n)
        if opcode == 0x8:
            return None
        return payload.decode()

    def connect_namespace(self, auth: dict | None) -> None:
        opened = self.recv_text()
        assert opened and opened[0] == "0", opened
        self.send_text(f"40{NS}," + json.dumps(auth or {}))
        while True:
            text = self.recv_text()
            if text is None:
                raise ConnectionError("closed during connect")
            if text == "2":
                self.send_text("3")
            elif text.startswith(f"40{NS}"):
                return
            elif text.startswith(f"44{NS}"):
                raise ConnectionError(text)

    def call(self, event: str, data) -> object:
        """Emit with an ack and wait for it (only before the receive loop runs)."""
        ack_id = self.next_ack
        self.next_ack += 1
        self.send_text(f"42{NS},{ack_id}" + json.dumps([event, data]))
        prefix = f"43{NS},{ack_id}"
        while True:
            text = self.recv_text()
            if text is None:
                raise ConnectionError("closed")
            if text == "2":
                self.send_text("3")
            elif text.startswith(prefix):
                return json.loads(text[len(prefix) :])[0]

    def emit(self, event: str, data) -> None:
        self.send_text(f"42{NS}," + json.dumps([event, data]))

    def call_async(self, event: str, data, timeout: float = 30.0):
        """Emit with an ack once `receive` runs in its own greenlet; wait for the ack."""
        import gevent.event

        ack_id = self.next_ack
        self.next_ack += 1
        waiter = self.acks[ack_id] = gevent.event.AsyncResult()
        self.send_text(f"42{NS},{ack_id}" + json.dumps([event, data]))
        return waiter.get(timeout=timeout)


def client_worker(args) -> None:
    """One client process: connect and join, report ready, send/receive, write results."""
    from gevent import monkey

    monkey.patch_all()
    import gevent
    import gevent.pool

    spec = json.loads(Path(args.worker_spec).read_text())
    port, room, tokens = spec["port"], spec["room"], spec["tokens"]
    senders, rate, duration = spec["senders"], spec["rate"], spec["duration"]
    latencies: list[float] = []
    clients: list[RawClient] = []
    failures = 0

    def open_client(token):
        nonlocal failures
        for _attempt in range(5):
            try:
                c = RawClient(port)
                c.connect_namespace({"token": token} if token else None)
                ack = c.call("join", {"room_id": room})
                assert ack["ok"], ack
                return c
            except Exception:  # noqa: BLE001 - retry a refused connect (accept backlog)
                gevent.sleep(0.2)
        failures += 1
        return None

    measuring = [False]
    seen: dict = {}

    def receive(c: RawClient) -> None:
        """Answer pings, resolve acks, time the bench messages (once measuring)."""
        marker = '"body":"bench '
        ack_prefix = f"43{NS},"
        while True:
            try:
                text = c.recv_text()
            except OSError:
                return
            if text is None:
                return
            if text == "2":
                c.send_text("3")
                continue
            if text.startswith(ack_prefix):
                digits = text[len(ack_prefix) : text.index("[")]
                waiter = c.acks.pop(int(digits), None)
                if waiter is not None:
                    waiter.set(json.loads(text[len(ack_prefix) + len(digits) :])[0])
                continue
            i = text.find(marker)
            if i >= 0 and measuring[0]:
                now = time.monotonic_ns()
                fields = text[i + len(marker) : text.index('"', i + len(marker))].split()
                latencies.append((now - int(fields[-1])) / 1e6)
                if os.environ.get("BENCH_DEBUG"):
                    key = (int(fields[0]), int(fields[1]))
                    seen[key] = max(seen.get(key, 0), latencies[-1])

    readers = []

    def open_and_listen(token):
        c = open_client(token)
        if c is not None:
            # Listen at once: a client that does not answer pings is dropped by the server.
            readers.append(gevent.spawn(receive, c))
        return c

    pool = gevent.pool.Pool(50)
    for c in pool.imap_unordered(open_and_listen, tokens):
        if c is not None:
            clients.append(c)
    # Warm up the send path (first queries, caches) before anything is measured.
    for k in range(min(senders, len(clients))):
        for _ in range(3):
            clients[k].call_async(
                "send", {"room_id": room, "client_id": secrets.token_hex(8), "body": "warm-up"}
            )
    print(json.dumps({"ready": len(clients), "failures": failures}), flush=True)
    sys.stdin.readline()  # "go"
    measuring[0] = True
    start = time.monotonic()

    sent = [0]

    def send_loop(k: int, c: RawClient) -> None:
        interval = 1.0 / rate
        count = int(rate * duration)
        next_at = start + (k / max(1, senders)) * interval
        for n in range(1, count + 1):
            gevent.sleep(max(0.0, next_at - time.monotonic()))
            c.emit(
                "send",
                {
                    "room_id": room,
                    "client_id": secrets.token_hex(8),
                    "body": f"bench {k} {n} {time.monotonic_ns()}",
                },
            )
            sent[0] += 1
            next_at += interval

    sending = [gevent.spawn(send_loop, k, clients[k]) for k in range(min(senders, len(clients)))]
    gevent.joinall(sending)
    gevent.sleep(max(0.0, start + duration - time.monotonic()) + spec["grace"])
    gevent.killall(readers, block=False)
    if os.environ.get("BENCH_DEBUG"):
        slow = sorted(seen.items(), key=lambda kv: -kv[1])[:8]
        print("slowest messages (sender, n): max ms", slow, file=sys.stderr)
    Path(args.worker_out).write_text(json.dumps({"latencies": latencies, "sent": sent[0]}))
    print(json.dumps({"done": True}), flush=True)


# --- the orchestrator -------------------------------------------------------------------

# --- the orchestrator -------------------------------------------------------------------

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as common  # noqa: E402

COP_SETUP = r"""
import json, secrets, sys
from datetime import timedelta
from cop import create_app
from cop.extensions import db
n = int(sys.argv[1])
tag = secrets.token_hex(4)
app = create_app()
with app.app_context():
    db.create_all()
    from cop.accounts.models import ApiToken, User
    from cop.chat import services
    from cop.chat.models import ChatRoom
    from cop.core.models import utcnow
    from cop.core.security import hash_token
    users = [User(email=f"bench{i}.{tag}@bench.example.org", name=f"Bench User {i}",
                  role="member") for i in range(n)]
    db.session.add_all(users)
    db.session.flush()
    tokens = []
    for u in users:
        raw = "bench_" + secrets.token_urlsafe(24)
        tokens.append(raw)
        db.session.add(ApiToken(user_id=u.id, name="bench", token_hash=hash_token(raw),
                                prefix=raw[:12], expires_at=utcnow() + timedelta(days=1)))
    db.session.commit()
    services.ensure_default_rooms()
    lounge = db.session.execute(db.select(ChatRoom).where(ChatRoom.key == "lounge")).scalar_one()
    print(json.dumps({"room": lounge.id, "tokens": tokens}))
"""


def prepare(target: str, args, workdir: Path) -> dict:
    """Once per target: the database (fresh SQLite, or --database-url) and its tokens."""
    if target == "bare":
        return {"room": 1, "tokens": [None] * args.clients}
    instance = workdir / target
    url = args.database_url or f"sqlite:///{instance / 'cop.db'}"
    env = common.app_env(url, instance)
    if target.startswith("cop-redis"):
        env["REDIS_URL"] = args.redis_url
    done = subprocess.run(
        [sys.executable, "-c", COP_SETUP, str(args.clients)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    data = json.loads(done.stdout.strip().splitlines()[-1])
    data["env"] = env
    return data


def start_servers(target: str, args, data: dict, workdir: Path, rep: int) -> list:
    server_cpus, _ = common.cores()
    if target == "bare":
        command = [
            sys.executable,
            __file__,
            "--serve-bare",
            "--port",
            "{port}",
            "--async-mode",
            args.async_mode,
        ]
        if args.tcp_nodelay:
            command.append("--tcp-nodelay")
        servers = [
            common.Server(
                command,
                None,
                "/socket.io/?EIO=4&transport=polling",
                workdir / f"bare-{rep}.log",
                server_cpus,
            )
        ]
    else:
        if args.async_mode != "gevent":
            raise SystemExit("cop serve runs gevent only; use --targets bare for threading")
        count = 2 if target == "cop-redis2" else 1
        servers = [
            common.cop_server(data["env"], workdir / f"{target}-{rep}-{i}.log", server_cpus)
            for i in range(count)
        ]
    for server in servers:
        server.__enter__()
    return servers


def run_once(target: str, args, data: dict, workdir: Path, rep: int) -> dict:
    _, load_cpus = common.cores()
    servers = start_servers(target, args, data, workdir, rep)
    try:
        time.sleep(1.0)
        base = sum(s.rss_kib() for s in servers)
        per_worker = [data["tokens"][i :: args.client_procs] for i in range(args.client_procs)]
        workers = []
        for i, tokens in enumerate(per_worker):
            spec = workdir / f"worker-{i}.json"
            spec.write_text(
                json.dumps(
                    {
                        # Senders are on the first server; with two servers, half the receivers
                        # are on the other one (through Redis).
                        "port": servers[i % len(servers)].port,
                        "room": data["room"],
                        "tokens": tokens,
                        "senders": args.senders if i == 0 else 0,
                        "rate": args.rate,
                        "duration": args.duration,
                        "grace": args.grace,
                    }
                )
            )
            workers.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        __file__,
                        "--client-worker",
                        "--worker-spec",
                        str(spec),
                        "--worker-out",
                        str(workdir / f"worker-{i}.out"),
                    ],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                )
            )
            common.pin(workers[-1].pid, load_cpus)
        ready = 0
        for w in workers:
            line = json.loads(w.stdout.readline())
            ready += line["ready"]
        time.sleep(3.0)  # let presence batches and the watchdog settle: idle connections
        idle = sum(s.rss_kib() for s in servers)
        pages = None
        if args.page_load:
            pages = start_page_load(args, servers[0], load_cpus, workdir)
        cpu_before = sum(s.cpu_seconds() for s in servers)
        started = time.monotonic()
        for w in workers:
            w.stdin.write("go\n")
            w.stdin.flush()
        profilers = profile_servers(servers, target, rep, args.duration)
        latencies: list[float] = []
        sent = 0
        for i, w in enumerate(workers):
            w.stdout.readline()
            w.wait(timeout=args.duration + args.grace + 120)
            out = json.loads((workdir / f"worker-{i}.out").read_text())
            latencies += out["latencies"]
            sent += out["sent"]
        # Server CPU per second of the send phase (1.0 = one core busy all the time).
        busy = (sum(s.cpu_seconds() for s in servers) - cpu_before) / (time.monotonic() - started)
        for p in profilers:
            p.wait(timeout=60)
        page_result = finish_page_load(pages) if pages else None
        peak = sum(s.rss_kib() for s in servers)
        return {
            "target": target,
            "clients": ready,
            "messages_sent": sent,
            "deliveries": len(latencies),
            "expected": sent * ready,
            "p50": percentile(latencies, 50),
            "p90": percentile(latencies, 90),
            "p99": percentile(latencies, 99),
            "max": max(latencies, default=float("nan")),
            "rss_base_mib": base / 1024,
            "rss_idle_mib": idle / 1024,
            "rss_peak_mib": peak / 1024,
            "kib_per_conn": (idle - base) / max(1, ready),
            "server_cpu": busy,
            "pages": page_result,
        }
    finally:
        for server in servers:
            server.__exit__(None, None, None)


def profile_servers(servers, target: str, rep: int, duration: float) -> list:
    """BENCH_PROFILE=DIR: sample each server with py-spy (`pip install py-spy`) during the
    send phase, as collapsed stacks in DIR/<target>-<rep>-<i>.txt (flame graph input)."""
    out = os.environ.get("BENCH_PROFILE")
    if not out:
        return []
    Path(out).mkdir(parents=True, exist_ok=True)
    spy = Path(sys.executable).with_name("py-spy")
    return [
        subprocess.Popen(
            [
                str(spy),
                "record",
                "--pid",
                str(s.process.pid),
                "--duration",
                str(max(1, int(duration) - 2)),
                "--rate",
                "200",
                "--format",
                "raw",
                "--output",
                f"{out}/{target}-{rep}-{i}.txt",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for i, s in enumerate(servers)
    ]


def start_page_load(args, server, load_cpus, workdir: Path) -> subprocess.Popen:
    """Pages at a fixed rate on the first server while the chat is measured (mixed)."""
    cookie = common.login_cookie(server.base, args.page_user)
    spec = workdir / "pacer.json"
    spec.write_text(
        json.dumps(
            {
                "base": server.base,
                "paths": args.page_paths.split(","),
                "rate": args.page_load,
                "cookie": cookie,
                "seconds": args.duration + args.grace,
            }
        )
    )
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__).parent / "_pacer.py"), str(spec)],
        stdout=subprocess.PIPE,
        text=True,
    )
    common.pin(process.pid, load_cpus)
    return process


def finish_page_load(process: subprocess.Popen) -> dict:
    out, _ = process.communicate(timeout=600)
    return json.loads(out.strip().splitlines()[-1])


def percentile(values: list[float], p: float) -> float:
    return common.percentile(values, p)


def summarise(runs: list[dict]) -> dict:
    keys = ("p50", "p90", "p99", "max", "rss_idle_mib", "kib_per_conn", "server_cpu")
    out = {k: [r[k] for r in runs] for k in keys}
    out.update(
        target=runs[0]["target"],
        clients=min(r["clients"] for r in runs),
        deliveries=sum(r["deliveries"] for r in runs),
        expected=sum(r["expected"] for r in runs),
        pages=[r["pages"] for r in runs if r["pages"]],
    )
    return out


def table(results: list[dict], args) -> str:
    lines = [
        common.header(f"chat fan-out: {args.clients} clients in one room"),
        f"{args.senders} senders x {args.rate} msg/s for {args.duration} s, async mode "
        f"{args.async_mode}, TCP_NODELAY on the bare server "
        f"{'on' if args.tcp_nodelay else 'off'} (cop serve: always), {args.repeat} "
        f"repetitions, median (min-max); load average before {args.load_before:.2f}"
        + (f"; pages at {args.page_load:.0f}/s during the measurement" if args.page_load else ""),
        "(server CPU: core-seconds per second of sending, 1.00 = one core always busy)",
        "",
        "| server | clients | delivered / expected | p50 ms | p99 ms | max ms "
        "| RSS idle MiB | KiB per idle conn | server CPU while sending |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['target']} | {r['clients']} | {r['deliveries']} / {r['expected']} | "
            f"{common.spread(r['p50'])} | {common.spread(r['p99'])} | "
            f"{common.spread(r['max'], 0)} | {common.spread(r['rss_idle_mib'], 0)} | "
            f"{common.spread(r['kib_per_conn'], 0)} | {common.spread(r['server_cpu'], 2)} |"
        )
    bare = next((r for r in results if r["target"] == "bare"), None)
    one = next((r for r in results if r["target"] == "cop"), None)
    two = next((r for r in results if r["target"] == "cop-redis2"), None)
    if one and two:
        lines.append(f"\nRedis round trip (PING, median of 200): {redis_rtt_ms(args):.2f} ms")
        lines.append(
            f"\ncop-redis2 (two processes through Redis) minus cop (one, no Redis): "
            f"p50 {common.med(two['p50']) - common.med(one['p50']):+.1f} ms, p99 "
            f"{common.med(two['p99']) - common.med(one['p99']):+.1f} ms (goal: the Redis "
            "round trip + 5 ms)"
        )
    for r in results:
        if bare and r is not bare and common.med(bare["p99"]) > 0:
            lines.append(
                f"\n{r['target']}: p99 {common.med(r['p99']) / common.med(bare['p99']):.2f}x"
                " the bare server's"
            )
        for pages in r["pages"]:
            lines.append(
                f"\n{r['target']} pages during the run: {pages['done']} done at "
                f"{pages['rate']:.0f}/s, errors {pages['errors']}, p50 "
                f"{pages['p50']:.1f} ms, p99 {pages['p99']:.1f} ms"
            )
    return "\n".join(lines)


def redis_rtt_ms(args) -> float:
    import redis

    client = redis.Redis.from_url(args.redis_url)
    times = []
    for _ in range(200):
        began = time.perf_counter()
        client.ping()
        times.append((time.perf_counter() - began) * 1000)
    client.close()
    return common.med(times)


def run_all(args) -> list[dict]:
    args.load_before = common.load_average()
    workdir = Path(tempfile.mkdtemp(prefix="chat-bench-"))
    targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    data = {t: prepare(t, args, workdir) for t in targets}
    runs: dict[str, list[dict]] = {t: [] for t in targets}
    for rep in range(args.repeat):  # interleaved, so drift hits every target alike
        for target in targets:
            print(f"running {target} ({rep + 1}/{args.repeat})...", file=sys.stderr, flush=True)
            runs[target].append(run_once(target, args, data[target], workdir, rep))
    return [summarise(runs[t]) for t in targets]


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--clients", type=int, default=500)
    p.add_argument("--senders", type=int, default=5)
    p.add_argument("--rate", type=float, default=1.0, help="messages/s per sender")
    p.add_argument("--duration", type=float, default=20.0, help="seconds of sending")
    p.add_argument("--grace", type=float, default=3.0, help="seconds to drain after")
    p.add_argument("--repeat", type=int, default=3, help="repetitions (at least 3)")
    p.add_argument(
        "--targets",
        default="bare,cop",
        help="bare, cop, cop-redis (one process with Redis), cop-redis2 (two)",
    )
    p.add_argument("--async-mode", default="gevent", choices=["gevent", "threading"])
    p.add_argument("--client-procs", type=int, default=2)
    p.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    p.add_argument(
        "--tcp-nodelay",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="bare server: TCP_NODELAY on accepted sockets, as cop serve does",
    )
    p.add_argument("--database-url", help="run cop on this database (default: a fresh one)")
    p.add_argument(
        "--page-load",
        type=float,
        default=0.0,
        help="pages per second on the first cop server during the measurement",
    )
    p.add_argument("--page-paths", default="/forums/latest,/coalitions/,/events/")
    p.add_argument("--page-user", default="member@demo.example.org")
    p.add_argument("--json", help="also write the results here")
    p.add_argument("--serve-bare", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, help=argparse.SUPPRESS)
    p.add_argument("--client-worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--worker-spec", help=argparse.SUPPRESS)
    p.add_argument("--worker-out", help=argparse.SUPPRESS)
    return p


def main() -> None:
    args = parser().parse_args()
    if args.serve_bare:
        return serve_bare(args.port, args.async_mode, args.tcp_nodelay)
    if args.client_worker:
        return client_worker(args)
    args.repeat = max(3, args.repeat)
    os.sched_setaffinity(0, common.cores()[1])
    results = run_all(args)
    text = table(results, args)
    print(text)
    print(f"\n(saved in {common.write_results('chat', text, results)})", file=sys.stderr)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
