"""Chat broadcast latency and memory: cop's /chat against a bare python-socketio server.

    .venv/bin/python benchmarks/chat_broadcast.py                 # 500 clients, both servers
    .venv/bin/python benchmarks/chat_broadcast.py --clients 2000
    .venv/bin/python benchmarks/chat_broadcast.py --targets bare,cop,cop-redis --async-mode gevent

Each target is a real server process in the same async mode (gevent by default; cop's
`cop serve` is gevent only, the bare server can also run `--async-mode threading`):

- bare:      python-socketio alone; `send` re-emits the payload to the room (no database).
- cop:       `flask --app wsgi cop serve` on a fresh SQLite database; `send` is cop's whole
             path (auth and access re-check, rate limit, insert with seq, commit, emit).
- cop-redis: the same with REDIS_URL (python-socketio's Redis manager, as in production).

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
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
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
            message = {"id": seq["n"], "room_id": data["room_id"], "seq": seq["n"],
                       "client_id": data["client_id"], "author": {"id": 1, "name": "Bench"},
                       "body": data["body"], "body_html": f"<p>{data['body']}</p>",
                       "created_at": "2026-01-01T00:00:00Z", "edited_at": None,
                       "deleted": False, "edit_seq": None}
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
        self.sock.sendall((
            "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
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
                return json.loads(text[len(prefix):])[0]

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
                digits = text[len(ack_prefix):text.index("[")]
                waiter = c.acks.pop(int(digits), None)
                if waiter is not None:
                    waiter.set(json.loads(text[len(ack_prefix) + len(digits):])[0])
                continue
            i = text.find(marker)
            if i >= 0 and measuring[0]:
                now = time.monotonic_ns()
                fields = text[i + len(marker):text.index('"', i + len(marker))].split()
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
            clients[k].call_async("send", {"room_id": room, "client_id": secrets.token_hex(8),
                                           "body": "warm-up"})
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
            c.emit("send", {"room_id": room, "client_id": secrets.token_hex(8),
                            "body": f"bench {k} {n} {time.monotonic_ns()}"})
            sent[0] += 1
            next_at += interval

    sending = [gevent.spawn(send_loop, k, clients[k]) for k in range(min(senders,
                                                                          len(clients)))]
    gevent.joinall(sending)
    gevent.sleep(max(0.0, start + duration - time.monotonic()) + spec["grace"])
    gevent.killall(readers, block=False)
    if os.environ.get("BENCH_DEBUG"):
        slow = sorted(seen.items(), key=lambda kv: -kv[1])[:8]
        print("slowest messages (sender, n): max ms", slow, file=sys.stderr)
    Path(args.worker_out).write_text(json.dumps({"latencies": latencies, "sent": sent[0]}))
    print(json.dumps({"done": True}), flush=True)


# --- the orchestrator -------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def wait_http(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited ({process.returncode})")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - loopback only
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"no answer from {url}")


COP_SETUP = r"""
import json, secrets, sys
from datetime import timedelta
from cop import create_app
from cop.extensions import db
n = int(sys.argv[1])
app = create_app()
with app.app_context():
    db.create_all()
    from cop.accounts.models import ApiToken, User
    from cop.chat import services
    from cop.chat.models import ChatRoom
    from cop.core.models import utcnow
    from cop.core.security import hash_token
    users = [User(email=f"bench{i}@bench.example.org", name=f"Bench User {i}", role="member")
             for i in range(n)]
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


def start_target(target: str, args, workdir: Path) -> tuple[subprocess.Popen, int, dict]:
    port = free_port()
    log = open(workdir / f"{target}.log", "w")  # noqa: SIM115 - closed by the caller
    if target == "bare":
        command = [sys.executable, __file__, "--serve-bare", "--port", str(port),
                   "--async-mode", args.async_mode]
        if args.tcp_nodelay:
            command.append("--tcp-nodelay")
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        wait_http(f"http://127.0.0.1:{port}/socket.io/?EIO=4&transport=polling", process)
        return process, port, {"room": 1, "tokens": [None] * args.clients, "log": log}
    if args.async_mode != "gevent":
        raise SystemExit("cop serve runs gevent only; use --targets bare for threading")
    instance = workdir / target
    instance.mkdir()
    env = dict(os.environ)
    for key in ("TEST_DATABASE_URL", "FLASK_RUN_FROM_CLI", "REDIS_URL"):
        env.pop(key, None)
    env.update(COP_ENV="development", COP_INSTANCE_PATH=str(instance),
               DATABASE_URL=f"sqlite:///{instance / 'cop.db'}", SECRET_KEY="bench",
               SOCKETIO_CHANNEL=f"cop-bench-{secrets.token_hex(4)}",
               RATELIMIT_KEY_PREFIX=f"cop-bench-{secrets.token_hex(4)}",
               CHAT_SEND_RATE="1000000 per minute", PYTHONPATH=str(ROOT))
    if target == "cop-redis":
        env["REDIS_URL"] = args.redis_url
    done = subprocess.run([sys.executable, "-c", COP_SETUP, str(args.clients)], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=600, check=True)
    data = json.loads(done.stdout.strip().splitlines()[-1])
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "cop", "serve", "--port", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    wait_http(f"http://127.0.0.1:{port}/healthz", process)
    data["log"] = log
    return process, port, data


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = min(len(values) - 1, max(0, round(p / 100 * (len(values) - 1))))
    return values[k]


def run_target(target: str, args) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix=f"chat-bench-{target}-"))
    process, port, data = start_target(target, args, workdir)
    try:
        time.sleep(1.0)
        base = rss_kib(process.pid)
        per_worker = [data["tokens"][i::args.client_procs] for i in range(args.client_procs)]
        workers = []
        for i, tokens in enumerate(per_worker):
            spec = workdir / f"worker-{i}.json"
            spec.write_text(json.dumps({
                "port": port, "room": data["room"], "tokens": tokens,
                "senders": args.senders if i == 0 else 0, "rate": args.rate,
                "duration": args.duration, "grace": args.grace}))
            workers.append(subprocess.Popen(
                [sys.executable, __file__, "--client-worker", "--worker-spec", str(spec),
                 "--worker-out", str(workdir / f"worker-{i}.out")],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True))
        ready = 0
        for w in workers:
            line = json.loads(w.stdout.readline())
            ready += line["ready"]
        time.sleep(3.0)  # let presence batches and the watchdog settle: idle connections
        idle = rss_kib(process.pid)
        for w in workers:
            w.stdin.write("go\n")
            w.stdin.flush()
        latencies: list[float] = []
        sent = 0
        for i, w in enumerate(workers):
            w.stdout.readline()
            w.wait(timeout=args.duration + args.grace + 120)
            out = json.loads((workdir / f"worker-{i}.out").read_text())
            latencies += out["latencies"]
            sent += out["sent"]
        peak = rss_kib(process.pid)
        return {
            "target": target, "clients": ready, "messages_sent": sent,
            "deliveries": len(latencies), "expected": sent * ready,
            "p50": percentile(latencies, 50), "p90": percentile(latencies, 90),
            "p99": percentile(latencies, 99), "max": max(latencies, default=float("nan")),
            "mean": statistics.fmean(latencies) if latencies else float("nan"),
            "rss_base_mib": base / 1024, "rss_idle_mib": idle / 1024,
            "rss_peak_mib": peak / 1024,
            "kib_per_conn": (idle - base) / max(1, ready),
        }
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        data["log"].close()


def table(results: list[dict], args) -> str:
    lines = [
        f"{args.clients} clients in one room, {args.senders} senders x {args.rate} msg/s for "
        f"{args.duration} s, async mode {args.async_mode}, {os.cpu_count()} cores, "
        f"TCP_NODELAY {'on' if args.tcp_nodelay else 'off'}, load average before "
        f"{args.load_before:.2f}",
        "",
        "| server | clients | delivered / expected | p50 ms | p90 ms | p99 ms | max ms "
        "| RSS idle MiB | KiB per idle conn |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['target']} | {r['clients']} | {r['deliveries']} / {r['expected']} | "
            f"{r['p50']:.1f} | {r['p90']:.1f} | {r['p99']:.1f} | {r['max']:.1f} | "
            f"{r['rss_idle_mib']:.0f} | {r['kib_per_conn']:.0f} |")
    bare = next((r for r in results if r["target"] == "bare"), None)
    if bare:
        for r in results:
            if r is not bare and bare["p99"] > 0:
                lines.append(f"\n{r['target']}: p99 is {r['p99'] / bare['p99']:.2f}x the bare "
                             "server's")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--senders", type=int, default=5)
    parser.add_argument("--rate", type=float, default=1.0, help="messages/s per sender")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of sending")
    parser.add_argument("--grace", type=float, default=3.0, help="seconds to drain after")
    parser.add_argument("--targets", default="bare,cop,cop-redis")
    parser.add_argument("--async-mode", default="gevent", choices=["gevent", "threading"])
    parser.add_argument("--client-procs", type=int, default=2)
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL",
                                                              "redis://127.0.0.1:6379/0"))
    parser.add_argument("--tcp-nodelay", action="store_true",
                        help="bare server: TCP_NODELAY on accepted sockets (compare with a "
                             "cop serve that sets it too: COP_TCP_NODELAY)")
    parser.add_argument("--json", help="also write the results here")
    parser.add_argument("--serve-bare", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--client-worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--worker-spec", help=argparse.SUPPRESS)
    parser.add_argument("--worker-out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        return serve_bare(args.port, args.async_mode, args.tcp_nodelay)
    if args.client_worker:
        return client_worker(args)
    args.load_before = os.getloadavg()[0]
    results = []
    for target in args.targets.split(","):
        print(f"running {target}...", file=sys.stderr, flush=True)
        results.append(run_target(target.strip(), args))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    print(table(results, args))


if __name__ == "__main__":
    main()
