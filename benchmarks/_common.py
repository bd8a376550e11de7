"""Shared pieces of the benchmark scripts: data sets, servers, pinning, load, statistics.

Everything here targets loopback only and stops by itself (bounded counts and durations).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("COP_BENCH_DATA", "/tmp/cop-bench-data"))
PG_ADMIN_URL = os.environ.get(
    "COP_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - the documented demo credential
LOOPBACK = "127.0.0.1"
PYTHON = sys.executable


# ---------------------------------------------------------------- machine and pinning


def cores() -> tuple[set[int], set[int]]:
    """(server cores, load-generator cores): disjoint when the machine has two or more."""
    available = sorted(os.sched_getaffinity(0))
    if len(available) < 2:
        return set(available), set(available)
    half = max(1, len(available) // 2)
    return set(available[:half]), set(available[half:])


def pin(pid: int, cpus: set[int]) -> None:
    """Pin a process and its threads (best effort)."""
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            os.sched_setaffinity(int(task), cpus)


def machine() -> str:
    cpu = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}"


def load_average() -> float:
    return os.getloadavg()[0]


def stamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


def header(title: str) -> str:
    return (
        f"{title}\nmachine: {machine()}; date: {stamp()}; load average at start: "
        f"{load_average():.2f}"
    )


# ---------------------------------------------------------------- statistics


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def med(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def spread(values: list[float], digits: int = 1) -> str:
    """`median (min-max)`."""
    values = [v for v in values if v == v]  # without NaN
    if not values:
        return "-"
    return f"{med(values):.{digits}f} ({min(values):.{digits}f}-{max(values):.{digits}f})"


# ---------------------------------------------------------------- data sets


def pg_reachable() -> bool:
    import sqlalchemy as sa

    try:
        engine = sa.create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:  # noqa: BLE001 - any failure means "not available"
        return False


def _pg_url(name: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def _pg_exists(name: str) -> bool:
    import sqlalchemy as sa

    engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        found = (
            conn.execute(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
            ).first()
            is not None
        )
    engine.dispose()
    return found


def _pg_create(name: str) -> None:
    import sqlalchemy as sa

    if not re.fullmatch(r"[a-z0-9_]+", name):
        raise ValueError(name)
    engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()


def app_env(database_url: str, instance: Path, **extra: str) -> dict[str, str]:
    """Environment for `flask --app wsgi ...` on a benchmark database: production-like
    settings (rate limits on, chat sends limited generously), no background job
    runner (JOBS_EMBEDDED=0), loopback only."""
    env = dict(os.environ)
    for key in ("TEST_DATABASE_URL", "FLASK_RUN_FROM_CLI", "REDIS_URL", "COP_TEST_DB"):
        env.pop(key, None)
    instance.mkdir(parents=True, exist_ok=True)
    env.update(
        COP_ENV="production",
        SESSION_COOKIE_SECURE="0",
        COP_INSTANCE_PATH=str(instance),
        DATABASE_URL=database_url,
        SECRET_KEY="benchmark-secret-key",
        JOBS_EMBEDDED="0",
        CHAT_SEND_RATE="1000000 per minute",
        SOCKETIO_CHANNEL=f"cop-bench-{uuid.uuid4().hex[:8]}",
        RATELIMIT_KEY_PREFIX=f"cop-bench-{uuid.uuid4().hex[:8]}",
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


def dataset(
    backend: str,
    posts: int,
    *,
    threads: int | None = None,
    users: int = 2000,
    events: int = 5000,
    rebuild: bool = False,
) -> str:
    """A generated database (cached under COP_BENCH_DATA / a PostgreSQL database of its
    own, reused while its marker says it is complete); returns its URL."""
    threads = threads if threads is not None else max(20, min(20_000, posts // 50))
    name = f"cop_bench_{posts}_{threads}_{users}_{events}"
    DATA.mkdir(parents=True, exist_ok=True)
    marker = DATA / f"{backend}-{name}.done"
    if backend == "sqlite":
        path = DATA / f"{name}.db"
        url = f"sqlite:///{path}"
        if marker.exists() and path.exists() and not rebuild:
            return url
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        url = _pg_url(name)
        if marker.exists() and _pg_exists(name) and not rebuild:
            return url
        _pg_create(name)
    marker.unlink(missing_ok=True)
    env = app_env(url, DATA / f"instance-{backend}-{name}")
    flask = [PYTHON, "-m", "flask", "--app", "wsgi"]
    began = time.monotonic()
    subprocess.run(
        [*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True, timeout=600
    )
    subprocess.run(
        [
            *flask,
            "cop",
            "generate",
            "--posts",
            str(posts),
            "--threads",
            str(threads),
            "--users",
            str(users),
            "--events",
            str(events),
            "--long-thread",
            str(min(5000, posts // 2)),
        ],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=3600,
    )
    print(
        f"  generated {backend} {posts:,} posts in {time.monotonic() - began:.0f}s",
        file=sys.stderr,
        flush=True,
    )
    marker.write_text(stamp())
    return url


def query(url: str, sql: str, params: dict | None = None) -> list:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(sa.text(sql), params or {}))
    finally:
        engine.dispose()


# ---------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


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


class Server:
    """A server process on loopback, pinned to the server cores; stopped on exit."""

    def __init__(
        self,
        command: list[str],
        env: dict | None,
        health: str,
        log: Path,
        cpus: set[int] | None = None,
    ):
        self.port = free_port()
        self.command = [part.replace("{port}", str(self.port)) for part in command]
        self.env, self.health, self.log_path, self.cpus = env, health, log, cpus
        self.process: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def __enter__(self) -> Server:
        self.log = open(self.log_path, "w")  # noqa: SIM115 - closed in __exit__
        self.process = subprocess.Popen(
            self.command, cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT
        )
        wait_http(self.base + self.health, self.process)
        if self.cpus:
            pin(self.process.pid, self.cpus)
        return self

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log.close()

    def rss_kib(self) -> int:
        return rss_kib(self.process.pid)

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.process.pid)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cop_server(env: dict, log: Path, cpus: set[int] | None = None) -> Server:
    """`flask --app wsgi cop serve`: gevent's WSGI server, TCP_NODELAY, as shipped."""
    return Server(
        [PYTHON, "-m", "flask", "--app", "wsgi", "cop", "serve", "--port", "{port}"],
        env,
        "/healthz",
        log,
        cpus,
    )


def hello_server(log: Path, cpus: set[int] | None = None) -> Server:
    """The bare baseline: Flask "hello world" on the same stack as `cop serve`."""
    return Server(
        [PYTHON, str(ROOT / "benchmarks" / "bare_hello.py"), "--port", "{port}"],
        None,
        "/",
        log,
        cpus,
    )


# ---------------------------------------------------------------- clients


def login_cookie(base: str, email: str, password: str = DEMO_PASSWORD) -> str:
    """Sign in through the login form; returns the Cookie header value."""
    import http.cookiejar

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/login", timeout=10).read().decode()  # noqa: S310 - loopback
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    data = {"email": email, "password": password}
    if token:
        data["csrf_token"] = token.group(1)
    opener.open(base + "/login", urllib.parse.urlencode(data).encode(), timeout=30)  # noqa: S310
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    if "session" not in cookie:
        raise RuntimeError(f"login failed for {email}")
    return cookie


def sequential_latencies(
    base: str, path: str, cookie: str | None, count: int, warmup: int = 5, timeout: float = 120
) -> list[float]:
    """One keep-alive connection, `count` requests in a row: milliseconds each."""
    parsed = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
    headers = {"Cookie": cookie} if cookie else {}
    out: list[float] = []
    deadline = time.monotonic() + timeout
    for i in range(warmup + count):
        began = time.perf_counter()
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        elapsed = (time.perf_counter() - began) * 1000
        if response.status != 200:
            raise RuntimeError(f"{path}: HTTP {response.status}")
        if i >= warmup:
            out.append(elapsed)
        if time.monotonic() > deadline:
            break
    conn.close()
    return out


def wrk(
    url: str,
    *,
    connections: int,
    seconds: float,
    cookie: str | None = None,
    cpus: set[int] | None = None,
) -> dict:
    """Requests per second and latency percentiles from wrk (Debian's `wrk`)."""
    if not url.startswith(f"http://{LOOPBACK}:"):
        raise ValueError("loopback targets only")
    exe = shutil.which("wrk")
    if exe is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    command = [
        exe,
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--latency",
        "--timeout",
        "10s",
    ]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    if cpus:
        command = ["taskset", "-c", ",".join(map(str, sorted(cpus))), *command]
    done = subprocess.run(
        [*command, url], capture_output=True, text=True, timeout=seconds + 60, check=True
    )
    return parse_wrk(done.stdout)


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def parse_wrk(text: str) -> dict:
    result: dict = {"errors": 0, "non2xx": 0}
    m = re.search(r"Requests/sec:\s+([\d.]+)", text)
    result["rps"] = float(m.group(1)) if m else 0.0
    for p in ("50", "75", "90", "99"):
        m = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
        result[f"p{p}"] = float(m.group(1)) * _UNITS[m.group(2)] if m else float("nan")
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    if m:
        result["non2xx"] = int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if m:
        result["errors"] = sum(int(x) for x in m.groups())
    return result


def write_results(name: str, text: str, data: object) -> Path:
    """Keep the table and the raw numbers under COP_BENCH_DATA/results."""
    folder = DATA / "results"
    folder.mkdir(parents=True, exist_ok=True)
    base = folder / f"{name}-{datetime.now(UTC):%Y%m%dT%H%M%S}"
    Path(f"{base}.md").write_text(text + "\n")
    Path(f"{base}.json").write_text(json.dumps(data, indent=2, default=str))
    return Path(f"{base}.md")


@contextlib.contextmanager
def quiet_note() -> Iterator[None]:
    load = load_average()
    if load > 1.5:
        print(
            f"note: load average {load:.2f} (> 1.5): numbers will be noisy",
            file=sys.stderr,
            flush=True,
        )
    yield
