"""Load and soak: chat clients and page requests against a running cop, for a bounded time.

    make cluster && make soak                                  # 10 minutes against nginx
    .venv/bin/python benchmarks/soak.py --duration 120         # 2 minutes
    .venv/bin/python benchmarks/soak.py --url http://127.0.0.1:5000 --duration 60  # cop serve

What it holds (defaults, issue 10 item 5): 200 python-socketio clients on /chat, each in its
user's coalition room (or the lounge) and in the lounge, sending 50 messages a second in
total (open loop: a message is due every 1/50 s whatever the server does), plus 50 page GETs a
second as logged-in users, spread over the main pages and a few thread pages. The clients
log in as the demo accounts (`cop seed-demo`: password demo-password-2026), several clients
per account, so the per-user chat rate limit is not hit at these rates.

nginx's ip_hash keys on the first three bytes of an IPv4 address, so every 127.0.0.x client
would land on one backend. Like real users from many networks, each account here connects
from a source address of its own among 127.0.1.1, 127.0.2.1, ... (--sources; all loopback),
which spreads them over the backends; the report counts pages per backend (X-Cop-Instance).

It reports: errors (refused acks, timeouts, connection failures, disconnects), HTTP 5xx,
messages delivered versus expected (every client in a room should receive each message sent
to it, its sender included), latency percentiles (page GET, send-to-ack, send-to-delivery),
and the resident memory (RSS) of the server processes sampled over time, with its growth
after the warm-up. Exit status 1 if any error, 5xx or lost delivery was seen.

Only loopback targets are accepted, and everything stops by itself: after --duration
seconds (at most 4 hours) plus a drain of a few seconds. Server processes for the RSS
samples: --pid (repeatable), else those of `make cluster` (its state.json) when the URL is
the cluster's, else the process listening on the URL's port. Children are included
(gunicorn's worker under its master).
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import contextlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import socket  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import urllib.parse  # noqa: E402
import uuid  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402

import gevent  # noqa: E402
import gevent.pool  # noqa: E402
import requests  # noqa: E402
from requests.adapters import HTTPAdapter  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
MAX_DURATION = 4 * 3600
PAGES = ["/", "/coalitions/", "/forums/", "/forums/latest", "/events/", "/experts/", "/chat/"]
PASSWORD = os.environ.get("SOAK_PASSWORD", "demo-password-2026")


def demo_emails() -> list[str]:
    """The demo accounts cop.seed creates that can chat (everyone but the guest)."""
    sys.path.insert(0, str(ROOT))
    from cop.seed import COACHES, COALITIONS, EXPERTS

    emails = ["admin@demo.example.org", "admin2@demo.example.org"]
    emails += [email for email, _, _ in COACHES] + [email for email, _, _ in EXPERTS]
    for i, coalition in enumerate(COALITIONS):
        slug = coalition[0]
        emails.append("lead@demo.example.org" if i == 0 else f"lead.{slug}@demo.example.org")
        emails.append(
            "member@demo.example.org"
            if i == 0
            else "member2@demo.example.org"
            if i == 1
            else f"member.{slug}@demo.example.org"
        )
    return emails


def percentiles(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    ordered = sorted(values)

    def pick(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1)

    return {
        "n": len(ordered),
        "p50_ms": pick(0.50),
        "p90_ms": pick(0.90),
        "p99_ms": pick(0.99),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


# --- server processes and their memory ---------------------------------------------------


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == pid:
                found.append(int(entry.name))
    return found


def listening_pid(port: int) -> int | None:
    """The process with a listening TCP socket on `port` (via /proc/net/tcp*)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                parts = line.split()
                if parts[3] == "0A" and int(parts[1].rsplit(":", 1)[1], 16) == port:
                    inodes.add(parts[9])
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            for fd in (entry / "fd").iterdir():
                with contextlib.suppress(OSError):
                    link = os.readlink(fd)
                    if link.startswith("socket:[") and link[8:-1] in inodes:
                        return int(entry.name)
    return None


def server_processes(args, url: str) -> dict[str, int]:
    """name -> pid of the processes to sample (children included)."""
    roots: dict[str, int] = {}
    if args.pid:
        roots = {f"pid{p}": p for p in args.pid}
    else:
        state_file = Path(args.cluster_state)
        with contextlib.suppress(OSError, ValueError, KeyError):
            state = json.loads(state_file.read_text())
            if state["url"].rstrip("/") == url.rstrip("/"):
                roots = {p["name"]: p["pid"] for p in state["processes"] if p["name"] != "redis"}
        if not roots:
            port = urllib.parse.urlsplit(url).port or 80
            pid = listening_pid(port)
            if pid:
                roots = {"server": pid}
    found = {}
    for name, pid in roots.items():
        found[name] = pid
        for i, child in enumerate(children_of(pid)):
            found[f"{name}.{i + 1}"] = child
    return found


def cpu_seconds(pid: int) -> float | None:
    with contextlib.suppress(OSError, IndexError, ValueError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return None


def rss_kb(pid: int) -> int | None:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return None


# --- the load ----------------------------------------------------------------------------


@dataclass
class Stats:
    page_latency: list = field(default_factory=list)
    ack_latency: list = field(default_factory=list)
    delivery_latency: list = field(default_factory=list)
    status: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)
    sent_ok: int = 0
    expected: int = 0
    delivered: int = 0
    # per message token: clients in its room when the ack came / deliveries received
    members_of: dict = field(default_factory=dict)
    received: dict = field(default_factory=dict)
    skipped_backlog: int = 0
    disconnects: int = 0
    served_by: dict = field(default_factory=dict)

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1


class SourceAddressAdapter(HTTPAdapter):
    """requests from one local source address (a loopback address of the client's own)."""

    def __init__(self, source: str, **kwargs):
        self.source = source
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.source, 0)
        super().init_poolmanager(*args, **kwargs)


def new_session(source: str | None) -> requests.Session:
    session = requests.Session()
    if source:
        session.mount("http://", SourceAddressAdapter(source, pool_maxsize=20))
    return session


class ChatClient:
    def __init__(
        self,
        index: int,
        url: str,
        session: requests.Session,
        stats: Stats,
        transports: list[str],
        run_id: str,
        source: str | None,
    ):
        import socketio

        self.index, self.stats, self.run_id = index, stats, run_id
        self.rooms: list[int] = []
        options: dict = {"http_session": session}
        if source:
            # The WebSocket from the same source address: a socket made here for
            # websocket-client (which has no source-address option of its own).
            parsed = urllib.parse.urlsplit(url)
            sock = socket.create_connection(
                (parsed.hostname, parsed.port or 80), timeout=20, source_address=(source, 0)
            )
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            options["websocket_extra_options"] = {"socket": sock}
        self.sio = socketio.Client(reconnection=False, **options)
        self.sio.on("message", self.on_message, namespace="/chat")
        self.sio.on("disconnect", self.on_disconnect, namespace="/chat")
        self.closing = False
        cookie = "; ".join(f"{c.name}={c.value}" for c in session.cookies)
        self.sio.connect(
            url,
            headers={"Cookie": cookie},
            namespaces=["/chat"],
            transports=transports,
            wait_timeout=20,
        )

    def on_message(self, data) -> None:
        body = data.get("body") or ""
        parts = body.split(" ")
        if len(parts) >= 4 and parts[0] == "soak" and parts[1] == self.run_id:
            with contextlib.suppress(ValueError):
                self.stats.delivery_latency.append(time.monotonic() - float(parts[2]))
                self.stats.delivered += 1
                self.stats.received[parts[3]] = self.stats.received.get(parts[3], 0) + 1

    def on_disconnect(self, *args) -> None:
        if not self.closing:
            self.stats.disconnects += 1
            self.stats.error("chat disconnected")

    def join(self, room_id: int) -> bool:
        ack = self.sio.call("join", {"room_id": room_id}, namespace="/chat", timeout=20)
        if ack and ack.get("ok"):
            self.rooms.append(room_id)
            return True
        self.stats.error(f"join refused: {(ack or {}).get('error', {}).get('code')}")
        return False

    def send(self, room_id: int, members: int) -> None:
        start = time.monotonic()
        token = uuid.uuid4().hex
        body = f"soak {self.run_id} {start:.6f} {token} client {self.index}"
        try:
            ack = self.sio.call(
                "send",
                {"room_id": room_id, "body": body, "client_id": token},
                namespace="/chat",
                timeout=10,
            )
        except Exception as exc:  # noqa: BLE001 - counted, the soak goes on
            self.stats.error(f"send failed: {type(exc).__name__}")
            return
        if ack and ack.get("ok"):
            self.stats.ack_latency.append(time.monotonic() - start)
            self.stats.sent_ok += 1
            self.stats.expected += members
            self.stats.members_of[token] = members
        else:
            self.stats.error(f"send refused: {(ack or {}).get('error', {}).get('code')}")

    def close(self) -> None:
        self.closing = True
        ws = getattr(self.sio.eio, "ws", None)
        with contextlib.suppress(Exception):
            if ws is not None:
                ws.close(timeout=0.1)
        with contextlib.suppress(Exception):
            self.sio.disconnect()


def login(url: str, email: str, source: str | None) -> requests.Session | None:
    session = new_session(source)
    page = session.get(url + "/login", timeout=30)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
    if not match:
        return None
    done = session.post(
        url + "/login",
        timeout=30,
        data={"email": email, "password": PASSWORD, "csrf_token": match.group(1)},
    )
    if done.status_code != 200 or done.url.rstrip("/") != url.rstrip("/"):
        return None
    return session


def home_room(session: requests.Session, url: str) -> tuple[int | None, int | None]:
    rooms = session.get(url + "/api/v1/rooms", timeout=30).json()
    lounge = next((r["id"] for r in rooms if r["kind"] == "lounge"), None)
    home = next((r["id"] for r in rooms if r["kind"] == "coalition"), lounge)
    return home, lounge


def open_loop(rate: float, until: float, pool: gevent.pool.Pool, stats: Stats, action) -> None:
    """Start `action()` every 1/rate s until `until`; never more than the pool holds."""
    if rate <= 0:
        return
    interval = 1.0 / rate
    due = time.monotonic()
    while due < until:
        delay = due - time.monotonic()
        if delay > 0:
            gevent.sleep(delay)
        if pool.full():
            stats.skipped_backlog += 1
        else:
            pool.spawn(action)
        due += interval


def run(args) -> int:
    url = args.url.rstrip("/")
    host = urllib.parse.urlsplit(url).hostname or ""
    if host not in LOOPBACK:
        print(
            f"soak: refusing {url}: only loopback targets ({', '.join(sorted(LOOPBACK))})",
            file=sys.stderr,
        )
        return 2
    if not 1 <= args.duration <= MAX_DURATION:
        print(f"soak: --duration must be 1..{MAX_DURATION} seconds", file=sys.stderr)
        return 2
    try:
        health = requests.get(url + "/healthz", timeout=5)
        health.raise_for_status()
    except requests.RequestException as exc:
        print(
            f"soak: {url}/healthz does not answer ({exc}); start `make cluster` first",
            file=sys.stderr,
        )
        return 2
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    with contextlib.suppress(ValueError, OSError):  # a socket or two per client
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))
    stats = Stats()
    run_id = uuid.uuid4().hex[:8]
    rng = random.Random(args.seed)
    load1 = os.getloadavg()[0]
    print(
        f"soak: {url}, {args.clients} chat clients, {args.msg_rate} msg/s, "
        f"{args.page_rate} pages/s, {args.duration:.0f} s; load average {load1:.2f}",
        flush=True,
    )

    # Log in (argon2 per login: a few at a time), then find each user's rooms.
    emails = demo_emails()[: args.users]
    sources = [f"127.0.{i + 1}.1" for i in range(args.sources)] if args.sources else [None]
    login_pool = gevent.pool.Pool(4)
    logged_in = login_pool.imap(
        lambda i: (login(url, emails[i], sources[i % len(sources)]), sources[i % len(sources)]),
        range(len(emails)),
    )
    pairs = [(s, source) for s, source in logged_in if s is not None]
    sessions = [s for s, _ in pairs]
    if not sessions:
        print("soak: no demo account could log in (is the demo data loaded?)", file=sys.stderr)
        return 2
    rooms_of = [home_room(s, url) for s in sessions]
    print(f"soak: {len(sessions)} of {len(emails)} demo accounts logged in", flush=True)

    pages = list(PAGES)
    latest = sessions[0].get(url + "/forums/latest", timeout=30)
    threads = sorted(set(re.findall(r'href="(/forums/t/\d+)"', latest.text)))[:5]
    pages += threads
    checked = []
    for path in pages:
        status = sessions[0].get(url + path, timeout=30).status_code
        if status == 200:
            checked.append(path)
        else:
            print(f"soak: leaving out {path} (HTTP {status})", flush=True)
    pages = checked

    # Connect the chat clients, a few at a time (a burst of 200 handshakes is not the test).
    transports = args.transports.split(",")
    clients: list[ChatClient] = []
    members: dict[int, int] = {}

    def connect(i: int):
        session, source = pairs[i % len(pairs)]
        home, lounge = rooms_of[i % len(sessions)]
        try:
            client = ChatClient(i, url, session, stats, transports, run_id, source)
        except Exception as exc:  # noqa: BLE001
            stats.error(f"connect failed: {type(exc).__name__}")
            return
        for room in {home, lounge} - {None}:
            if client.join(room):
                members[room] = members.get(room, 0) + 1
        clients.append(client)

    connect_pool = gevent.pool.Pool(10)
    for i in range(args.clients):
        connect_pool.spawn(connect, i)
    connect_pool.join(timeout=120)
    lounge_id = next((lounge for _, lounge in rooms_of if lounge), None)
    print(f"soak: {len(clients)} chat clients connected; rooms in use: {len(members)}", flush=True)
    if not clients:
        return 1

    processes = server_processes(args, url)
    samples: list[tuple[float, dict]] = []
    cpu_start = (
        {name: cpu_seconds(pid) for name, pid in processes.items()},
        time.process_time(),
        time.monotonic(),
    )

    def sample_memory(until: float) -> None:
        while True:
            samples.append(
                (time.monotonic(), {name: rss_kb(pid) for name, pid in processes.items()})
            )
            if time.monotonic() >= until:
                return
            gevent.sleep(min(args.sample_every, max(0.0, until - time.monotonic())))

    def page_request() -> None:
        path = rng.choice(pages)
        session = rng.choice(sessions)
        start = time.monotonic()
        try:
            response = session.get(url + path, timeout=30)
        except requests.RequestException as exc:
            stats.error(f"page failed: {type(exc).__name__}")
            return
        stats.page_latency.append(time.monotonic() - start)
        stats.status[response.status_code] = stats.status.get(response.status_code, 0) + 1
        served = response.headers.get("X-Cop-Instance", "-")
        stats.served_by[served] = stats.served_by.get(served, 0) + 1

    def chat_send() -> None:
        client = rng.choice(clients)
        if not client.rooms:
            return
        lounge_share = args.lounge_share if lounge_id in client.rooms else 0.0
        home = next((r for r in client.rooms if r != lounge_id), lounge_id)
        room = lounge_id if rng.random() < lounge_share or home is None else home
        client.send(room, members.get(room, 0))

    started = time.monotonic()
    until = started + args.duration
    page_pool = gevent.pool.Pool(args.max_in_flight)
    send_pool = gevent.pool.Pool(args.max_in_flight)
    loops = [
        gevent.spawn(sample_memory, until),
        gevent.spawn(open_loop, args.page_rate, until, page_pool, stats, page_request),
        gevent.spawn(open_loop, args.msg_rate, until, send_pool, stats, chat_send),
    ]
    last_report = started
    while any(not g.ready() for g in loops[1:]):
        gevent.sleep(1)
        if time.monotonic() - last_report >= args.report_every:
            last_report = time.monotonic()
            rss = samples[-1][1] if samples else {}
            print(
                f"soak: t={last_report - started:5.0f}s pages {len(stats.page_latency)} "
                f"sent {stats.sent_ok} delivered {stats.delivered}/{stats.expected} "
                f"errors {sum(stats.errors.values())} "
                f"rss_mb {' '.join(f'{k}={v / 1024:.0f}' for k, v in rss.items() if v)}",
                flush=True,
            )
    page_pool.join(timeout=30)
    send_pool.join(timeout=30)
    drain_until = time.monotonic() + args.drain
    while stats.delivered < stats.expected and time.monotonic() < drain_until:
        gevent.sleep(0.2)
    gevent.joinall(loops, timeout=args.sample_every + 5)
    elapsed = time.monotonic() - started
    closers = [gevent.spawn(c.close) for c in clients]
    gevent.joinall(closers, timeout=20)

    cpu_end = (
        {name: cpu_seconds(pid) for name, pid in processes.items()},
        time.process_time(),
        time.monotonic(),
    )
    report = summarise(
        args, stats, samples, started, elapsed, load1, len(clients), len(sessions), pages
    )
    wall = cpu_end[2] - cpu_start[2]
    report["cpu_percent"] = {
        name: round((cpu_end[0][name] - cpu_start[0][name]) / wall * 100)
        for name in processes
        if cpu_end[0].get(name) is not None and cpu_start[0].get(name) is not None
    }
    report["cpu_percent"]["soak (this load generator)"] = round(
        (cpu_end[1] - cpu_start[1]) / wall * 100
    )
    report["load_average_at_end"] = os.getloadavg()[0]
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
    series = {name: m.pop("samples_mb") for name, m in report["server_rss"].items()}
    print(json.dumps(report, indent=1))
    print(f"soak: server RSS (MB) every {args.sample_every:g} s:")
    for name, values in series.items():
        print(f"  {name:<10} " + " ".join(f"{v:.0f}" for v in values))
    print(
        "soak: "
        + (
            "OK: no errors, no 5xx, no lost deliveries"
            if report["ok"]
            else "FAILED: see errors, http_5xx, deliveries_missing, skipped_backlog"
        )
    )
    return 0 if report["ok"] else 1


def summarise(args, stats: Stats, samples, started, elapsed, load1, clients, users, pages):
    fivexx = sum(n for code, n in stats.status.items() if code >= 500)
    warm = started + min(60.0, args.duration * 0.2)
    memory = {}
    names = sorted({name for _, values in samples for name in values})
    for name in names:
        series = [
            (t - started, values[name]) for t, values in samples if values.get(name) is not None
        ]
        if not series:
            continue
        after = [v for t, v in series if t + started >= warm] or [series[-1][1]]
        memory[name] = {
            "start_mb": round(series[0][1] / 1024, 1),
            "after_warmup_mb": round(after[0] / 1024, 1),
            "end_mb": round(series[-1][1] / 1024, 1),
            "max_mb": round(max(v for _, v in series) / 1024, 1),
            "growth_after_warmup_mb": round((series[-1][1] - after[0]) / 1024, 1),
            "samples_mb": [round(v / 1024, 1) for _, v in series],
        }
    # Messages acknowledged as stored: each client in the room must have received it.
    lost = sum(max(0, n - stats.received.get(t, 0)) for t, n in stats.members_of.items())
    unacked = sum(n for t, n in stats.received.items() if t not in stats.members_of)
    return {
        "url": args.url,
        "duration_s": round(elapsed, 1),
        "load_average_at_start": load1,
        "chat_clients": clients,
        "users": users,
        "pages": pages,
        "page_rate_target": args.page_rate,
        "msg_rate_target": args.msg_rate,
        "page_requests": len(stats.page_latency),
        "page_rate_achieved": round(len(stats.page_latency) / elapsed, 1),
        "status_codes": {str(k): v for k, v in sorted(stats.status.items())},
        "pages_served_by": dict(sorted(stats.served_by.items())),
        "http_5xx": fivexx,
        "messages_sent": stats.sent_ok,
        "msg_rate_achieved": round(stats.sent_ok / elapsed, 1),
        "deliveries_expected": stats.expected,
        "deliveries_received": stats.delivered,
        "deliveries_missing": lost,
        "deliveries_of_unacknowledged_sends": unacked,
        "skipped_backlog": stats.skipped_backlog,
        "errors": stats.errors,
        "page_latency": percentiles(stats.page_latency),
        "send_ack_latency": percentiles(stats.ack_latency),
        "delivery_latency": percentiles(stats.delivery_latency),
        "server_rss": memory,
        "ok": not stats.errors and fivexx == 0 and lost == 0 and stats.skipped_backlog == 0,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="benchmarks/soak.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--url",
        default=os.environ.get("SOAK_URL", "http://127.0.0.1:8080"),
        help="a loopback URL: nginx of `make cluster` (default) or `cop serve`",
    )
    parser.add_argument("--duration", type=float, default=600.0, help="seconds (max 4 h)")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--msg-rate", type=float, default=50.0, help="messages/s in total")
    parser.add_argument("--page-rate", type=float, default=50.0, help="page GETs/s in total")
    parser.add_argument(
        "--users",
        type=int,
        default=1000,
        help="at most this many demo accounts (default: all that chat)",
    )
    parser.add_argument(
        "--lounge-share",
        type=float,
        default=0.1,
        help="share of messages sent to the lounge (everyone is in it)",
    )
    parser.add_argument(
        "--sources",
        type=int,
        default=8,
        help="loopback source addresses 127.0.N.1 to spread accounts over "
        "(nginx ip_hash); 0: the default address only",
    )
    parser.add_argument(
        "--transports",
        default="websocket",
        help="python-socketio transports, e.g. polling,websocket",
    )
    parser.add_argument(
        "--max-in-flight",
        type=int,
        default=200,
        help="requests (and sends) in flight at most; beyond: counted skipped",
    )
    parser.add_argument("--sample-every", type=float, default=10.0, help="RSS sample period")
    parser.add_argument("--report-every", type=float, default=30.0)
    parser.add_argument(
        "--drain",
        type=float,
        default=10.0,
        help="seconds to wait at the end for deliveries still in flight",
    )
    parser.add_argument(
        "--pid",
        type=int,
        action="append",
        default=[],
        help="a server process to sample (repeatable; children included)",
    )
    parser.add_argument(
        "--cluster-state", default=str(ROOT / "instance" / "cluster" / "state.json")
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", help="also write the report to this file")
    args = parser.parse_args(argv)
    if args.clients < 1 or args.clients > 5000:
        parser.error("--clients must be 1..5000")
    if not 0 <= args.sources <= 250:
        parser.error("--sources must be 0..250")
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
