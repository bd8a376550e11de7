"""The multi-process topology on this machine: nginx -> 2 gunicorn (gevent) -> PostgreSQL,
Redis, plus one job worker. Loopback addresses only. docs/deployment.md.

    .venv/bin/python deploy/cluster.py start     # `make cluster`: prints the URL
    .venv/bin/python deploy/cluster.py status
    .venv/bin/python deploy/cluster.py stop      # `make cluster-stop` (--drop-db: drop it too)
    .venv/bin/python deploy/cluster.py render --listen 80 --backend 10.0.0.5:8001 ...

`start` creates the PostgreSQL database if it is missing (default cop_cluster, on
127.0.0.1:5432 as postgres, trust auth), runs the migrations and loads the demo data into an
empty database, then starts in the background: two `gunicorn -c deploy/gunicorn.conf.py
wsgi:app` processes (app-a, app-b), one `flask --app wsgi cop worker`, and Debian's nginx
(installed with apt-get when missing) as a non-daemon process with its own prefix, pid, logs
and temp files under the state folder (default instance/cluster), never /etc/nginx. Redis at
127.0.0.1:6379 carries Socket.IO broadcasts and rate-limit counters; if none answers there,
a redis-server of the cluster's own is started. Process ids go to <state>/state.json,
logs to <state>/logs/; `stop` ends exactly those processes.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "deploy" / "nginx.conf.template"
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
DEFAULT_PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"
INSTANCES = ("app-a", "app-b", "app-c", "app-d", "app-e", "app-f", "app-g", "app-h")


# `flask db upgrade` then `flask cop seed-if-empty`, in one interpreter (one app start less).
PREPARE = """
import sqlalchemy as sa
from flask_migrate import upgrade
from cop import create_app
from cop.accounts.models import User
from cop.extensions import db
app = create_app()
with app.app_context():
    upgrade()
    if db.session.execute(sa.select(sa.func.count()).select_from(User)).scalar_one() == 0:
        from cop.seed import seed_demo
        seed_demo()
        print("migrations applied; demo data loaded (password demo-password-2026)")
    else:
        print("migrations applied; the database already has users: no demo data loaded")
"""


class ClusterError(RuntimeError):
    pass


# --- small helpers -----------------------------------------------------------------------


def log(message: str) -> None:
    print(f"cluster: {message}", flush=True)


def require_loopback(url: str, what: str) -> None:
    host = urllib.parse.urlsplit(url).hostname or ""
    if host not in LOOPBACK:
        raise ClusterError(f"{what} must be on a loopback address, not {host!r}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_in_use(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def pick_port(port: int) -> int:
    if port == 0:
        return free_port()
    if port_in_use(port):
        raise ClusterError(
            f"port 127.0.0.1:{port} is already in use (pick another one, or 0 for a free one)"
        )
    return port


def http_ok(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback
            return response.status == 200
    except (OSError, urllib.error.URLError):
        return False


def alive(pid: int | None, marker: str = "") -> bool:
    """The process exists and its command line still contains `marker` (no pid reuse)."""
    if not pid:
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return False
    return marker in cmdline


def tail(path: Path, chars: int = 2500) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return ""


def redis_ping(url: str) -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except Exception:  # noqa: BLE001 - any failure means "not there"
        return False


def pg_url(admin_url: str, database: str) -> str:
    return admin_url.rsplit("/", 1)[0] + "/" + database


def ensure_database(admin_url: str, name: str) -> bool:
    """Create the database if missing; True when it was created now."""
    import psycopg
    from psycopg import sql

    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
            ).fetchone()
            if exists:
                return False
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            return True
    except psycopg.OperationalError as exc:
        raise ClusterError(
            f"PostgreSQL is not reachable at {admin_url} ({exc}). Start it, e.g. "
            "pg_ctlcluster --skip-systemctl-redirect <version> main start"
        ) from None


def drop_database(admin_url: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def nginx_binary() -> str:
    found = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if found:
        return found
    if os.geteuid() != 0:
        raise ClusterError("nginx is not installed: apt-get install -y nginx (as root)")
    log("installing Debian's nginx (apt-get install -y nginx)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive", "RUNLEVEL": "1"}
    command = ["apt-get", "install", "-y", "--no-install-recommends", "nginx"]
    if subprocess.run(command, env=env, capture_output=True).returncode != 0:  # noqa: S603
        subprocess.run(["apt-get", "update"], env=env, capture_output=True, check=False)  # noqa: S607
        subprocess.run(command, env=env, capture_output=True, check=True)  # noqa: S603
    found = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(found).exists():
        raise ClusterError("apt-get did not install nginx")
    return found


# --- nginx configuration -----------------------------------------------------------------


def render_nginx(
    *,
    listen: str,
    backends: list[str],
    static_root: Path,
    pid_file: Path,
    error_log: Path,
    access_log: str,
    temp_dir: Path,
    server_name: str = "_",
    worker_processes: str = "auto",
    user: str | None = None,
) -> str:
    servers = "\n".join(f"        server {b} max_fails=3 fail_timeout=10s;" for b in backends)
    values = {
        "USER_DIRECTIVE": f"user {user};" if user else "",
        "WORKER_PROCESSES": worker_processes,
        "PID_FILE": str(pid_file),
        "ERROR_LOG": str(error_log),
        "ACCESS_LOG": access_log,
        "TEMP_DIR": str(temp_dir),
        "UPSTREAM_SERVERS": servers,
        "LISTEN": listen,
        "SERVER_NAME": server_name,
        "STATIC_ROOT": str(static_root),
    }
    text = TEMPLATE.read_text()
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    if "{{" in text:
        raise ClusterError("nginx.conf.template has a placeholder render_nginx does not know")
    return text


def nginx_user() -> str | None:
    """As root, nginx's workers switch user: www-data (Debian's) if it exists."""
    if os.geteuid() != 0:
        return None
    import grp
    import pwd

    for user in ("www-data", "nobody"):
        with contextlib.suppress(KeyError):
            pw = pwd.getpwnam(user)
            return f"{user} {grp.getgrgid(pw.pw_gid).gr_name}"
    return None


# --- processes ---------------------------------------------------------------------------


def spawn(command: list[str], *, env: dict, log_path: Path) -> int:
    with open(log_path, "ab") as out:
        process = subprocess.Popen(  # noqa: S603 - fixed commands built here
            command,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return process.pid


def signal_group(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signum)


def stop_all(procs: list[dict], timeout: float = 15.0) -> None:
    """SIGTERM the process groups the cluster started (a gunicorn master and its worker,
    nginx's master and workers) all at once, then SIGKILL what is left after `timeout`."""
    procs = [p for p in procs if alive(p["pid"], p["marker"])]
    for proc in procs:
        signal_group(proc["pid"], signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while procs and time.monotonic() < deadline:
        for proc in procs:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(proc["pid"], os.WNOHANG)
        procs = [p for p in procs if alive(p["pid"], p["marker"])]
        time.sleep(0.05)
    for proc in procs:
        signal_group(proc["pid"], signal.SIGKILL)


def app_env(args, state: Path, database_url: str, redis_url: str) -> dict:
    env = dict(os.environ)
    for key in (
        "FLASK_RUN_FROM_CLI",
        "TEST_DATABASE_URL",
        "SOCKETIO_ASYNC_MODE",
        "COP_INSTANCE_NAME",
        "GUNICORN_BIND",
    ):
        env.pop(key, None)
    key_file = state / "secret_key"
    if not key_file.exists():
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(48))
    env.update(
        COP_ENV="production",
        SECRET_KEY=key_file.read_text().strip(),
        # Plain HTTP on loopback: browsers would not send a Secure cookie back. Behind
        # HTTPS in production, leave SESSION_COOKIE_SECURE unset (on).
        SESSION_COOKIE_SECURE="0",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        SOCKETIO_CHANNEL=args.channel,
        RATELIMIT_KEY_PREFIX=args.channel,
        PROXY_FIX="1",
        JOBS_EMBEDDED="0",
        COP_INSTANCE_PATH=str(state / "instance"),
        BASE_URL=f"http://127.0.0.1:{args.port}",
        PYTHONPATH=str(ROOT),
    )
    env.update(dict(item.split("=", 1) for item in args.env))
    return env


def flask_command(*rest: str) -> list[str]:
    return [sys.executable, "-m", "flask", "--app", "wsgi", *rest]


def read_state(state: Path) -> dict:
    with contextlib.suppress(FileNotFoundError, json.JSONDecodeError):
        return json.loads((state / "state.json").read_text())
    return {}


def write_state(state: Path, data: dict) -> None:
    tmp = state / "state.json.tmp"
    tmp.write_text(json.dumps(data, indent=2))
    tmp.replace(state / "state.json")


def running(data: dict) -> list[dict]:
    return [p for p in data.get("processes", []) if alive(p["pid"], p["marker"])]


def raise_open_files_limit() -> None:
    """Each WebSocket is a file descriptor in an app process (two in nginx): let the
    processes started here have as many as the hard limit allows (up to 65536)."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 65536 if hard == resource.RLIM_INFINITY else min(hard, 65536)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def start(args) -> int:
    state = Path(args.state_dir).resolve()
    raise_open_files_limit()
    (state / "logs").mkdir(parents=True, exist_ok=True)
    (state / "instance").mkdir(exist_ok=True)
    previous = read_state(state)
    if running(previous):
        log(f"already running: {previous['url']} (stop it with `make cluster-stop`)")
        return 0

    require_loopback(args.pg_admin_url, "PostgreSQL")
    require_loopback(args.redis_url, "Redis")
    nginx = nginx_binary()
    args.port = pick_port(args.port)
    ports = [pick_port(p) for p in args.backend_ports]
    if len(set(ports + [args.port])) != len(ports) + 1:
        raise ClusterError("the nginx and backend ports must differ")
    if len(ports) > len(INSTANCES):
        raise ClusterError(f"at most {len(INSTANCES)} backends")
    database_url = pg_url(args.pg_admin_url, args.database)
    data: dict = {
        "url": f"http://127.0.0.1:{args.port}",
        "port": args.port,
        "database": args.database,
        "database_url": database_url,
        "pg_admin_url": args.pg_admin_url,
        "redis_url": args.redis_url,
        "channel": args.channel,
        "state_dir": str(state),
        "processes": [],
        "backends": {},
    }

    write_state(state, data)  # from now on `stop --drop-db` knows the database

    def track(name: str, pid: int, marker: str, log_path: Path) -> None:
        data["processes"].append({"name": name, "pid": pid, "marker": marker, "log": str(log_path)})
        write_state(state, data)

    try:
        if not redis_ping(args.redis_url):
            parsed = urllib.parse.urlsplit(args.redis_url)
            if not shutil.which("redis-server"):
                raise ClusterError(
                    f"Redis is not reachable at {args.redis_url} and redis-server is not installed"
                )
            log(f"starting a redis-server of the cluster's own on port {parsed.port or 6379}")
            logfile = state / "logs" / "redis.log"
            pid = spawn(
                [
                    "redis-server",
                    "--bind",
                    "127.0.0.1",
                    "--port",
                    str(parsed.port or 6379),
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(state),
                ],
                env=dict(os.environ),
                log_path=logfile,
            )
            track("redis", pid, "redis-server", logfile)
            wait_for(lambda: redis_ping(args.redis_url), 10, "redis-server", logfile)

        created = ensure_database(args.pg_admin_url, args.database)
        log(f"PostgreSQL database {args.database} " + ("created" if created else "exists"))
        env = app_env(args, state, database_url, args.redis_url)
        done = subprocess.run(  # noqa: S603 - our own interpreter and script
            [sys.executable, "-c", PREPARE],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if done.returncode != 0:
            raise ClusterError(f"migrations or seeding failed:\n{done.stderr[-3000:]}")
        log(done.stdout.strip().splitlines()[-1])

        backends = []
        for name, port in zip(INSTANCES, ports, strict=False):
            logfile = state / "logs" / f"{name}.log"
            bind = f"127.0.0.1:{port}"
            pid = spawn(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "-c",
                    str(GUNICORN_CONF),
                    "--bind",
                    bind,
                    "--name",
                    f"cop-{name}",
                    "wsgi:app",
                ],
                env={**env, "COP_INSTANCE_NAME": name},
                log_path=logfile,
            )
            track(name, pid, "gunicorn", logfile)
            data["backends"][name] = f"http://{bind}"
            backends.append((name, bind, logfile))
        logfile = state / "logs" / "worker.log"
        pid = spawn(
            flask_command("cop", "worker"),
            env={**env, "COP_INSTANCE_NAME": "worker"},
            log_path=logfile,
        )
        track("worker", pid, "worker", logfile)

        prefix = state / "nginx"
        (prefix / "temp").mkdir(parents=True, exist_ok=True)
        conf = prefix / "nginx.conf"
        conf.write_text(
            render_nginx(
                listen=f"127.0.0.1:{args.port}",
                backends=[b for _, b, _ in backends],
                static_root=ROOT / "static",
                pid_file=prefix / "nginx.pid",
                error_log=state / "logs" / "nginx-error.log",
                access_log=str(state / "logs" / "nginx-access.log"),
                temp_dir=prefix / "temp",
                worker_processes="1",
                user=nginx_user(),
            )
        )
        nginx_cmd = [
            nginx,
            "-p",
            str(prefix),
            "-c",
            str(conf),
            "-e",
            str(state / "logs" / "nginx-error.log"),
        ]
        checked = subprocess.run(  # noqa: S603 - nginx with our own arguments
            [*nginx_cmd, "-t", "-q"],
            capture_output=True,
            text=True,
        )
        if checked.returncode != 0:
            raise ClusterError(f"nginx -t refused the configuration:\n{checked.stderr}")
        logfile = state / "logs" / "nginx.log"
        pid = spawn([*nginx_cmd, "-g", "daemon off;"], env=dict(os.environ), log_path=logfile)
        track("nginx", pid, "nginx", logfile)

        for name, bind, logfile in backends:
            wait_for(lambda b=bind: http_ok(f"http://{b}/healthz"), args.timeout, name, logfile)
        wait_for(
            lambda: http_ok(data["url"] + "/healthz"),
            15,
            "nginx",
            state / "logs" / "nginx-error.log",
        )
        worker = next(p for p in data["processes"] if p["name"] == "worker")
        if not alive(worker["pid"], worker["marker"]):
            raise ClusterError(f"the job worker exited:\n{tail(Path(worker['log']))}")
    except BaseException:
        log("start failed: stopping what was started")
        stop_processes(data)
        raise
    backends_text = ", ".join(f"{n} {b}" for n, b in data["backends"].items())
    log(f"up: nginx -> {backends_text}; worker; PostgreSQL {args.database}; Redis {args.redis_url}")
    log(f"logs in {state / 'logs'}; stop with `make cluster-stop`")
    print(data["url"], flush=True)
    return 0


def wait_for(check, timeout: float, what: str, logfile: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise ClusterError(f"{what} did not come up within {timeout:.0f} s; its log:\n{tail(logfile)}")


def stop_processes(data: dict) -> list[str]:
    """nginx first (no new requests), then the apps and the worker together, Redis last."""
    procs = [p for p in data.get("processes", []) if alive(p["pid"], p["marker"])]
    for stage in (["nginx"], None, ["redis"]):
        stop_all(
            [
                p
                for p in procs
                if (p["name"] in stage if stage else p["name"] not in ("nginx", "redis"))
            ]
        )
    return [p["name"] for p in procs]


def stop(args) -> int:
    state = Path(args.state_dir).resolve()
    data = read_state(state)
    if not data:
        log(f"nothing to stop (no {state / 'state.json'})")
        return 0
    stopped = stop_processes(data)
    log("stopped " + (", ".join(stopped) if stopped else "nothing (already down)"))
    if args.drop_db:
        drop_database(data["pg_admin_url"], data["database"])
        log(f"dropped PostgreSQL database {data['database']}")
    (state / "state.json").unlink(missing_ok=True)
    return 0


def status(args) -> int:
    data = read_state(Path(args.state_dir).resolve())
    if not data:
        log("not running")
        return 1
    up = {p["name"] for p in running(data)}
    for proc in data["processes"]:
        print(
            f"  {proc['name']:<8} pid {proc['pid']:<8} "
            f"{'running' if proc['name'] in up else 'DOWN'}  log {proc['log']}"
        )
    print(f"  url {data['url']}  database {data['database']}  redis {data['redis_url']}")
    return 0 if len(up) == len(data["processes"]) else 1


def render(args) -> int:
    print(
        render_nginx(
            listen=args.listen,
            backends=args.backend,
            static_root=Path(args.static_root),
            pid_file=Path(args.pid_file),
            error_log=Path(args.error_log),
            access_log=args.access_log,
            temp_dir=Path(args.temp_dir),
            server_name=args.server_name,
            worker_processes="auto",
            user=args.user,
        ),
        end="",
    )
    return 0


def _assignment(text: str) -> str:
    if "=" not in text or not text.split("=", 1)[0]:
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME=VALUE")
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="deploy/cluster.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    default_state = os.environ.get("COP_CLUSTER_DIR", str(ROOT / "instance" / "cluster"))
    for name in ("start", "stop", "status"):
        p = sub.add_parser(name)
        p.add_argument(
            "--state-dir",
            default=default_state,
            help="pid, log, nginx and instance files (default: %(default)s)",
        )
    p_start = sub.choices["start"]
    p_start.add_argument("--database", default=os.environ.get("COP_CLUSTER_DB", "cop_cluster"))
    p_start.add_argument(
        "--pg-admin-url", default=os.environ.get("COP_CLUSTER_PG_ADMIN_URL", DEFAULT_PG_ADMIN)
    )
    p_start.add_argument(
        "--redis-url", default=os.environ.get("COP_CLUSTER_REDIS_URL", DEFAULT_REDIS)
    )
    p_start.add_argument(
        "--channel",
        default="cop-cluster",
        help="Socket.IO channel and rate-limit key prefix in Redis",
    )
    p_start.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("COP_CLUSTER_PORT", "8080")),
        help="nginx's port on 127.0.0.1 (0: any free port)",
    )
    p_start.add_argument(
        "--backend-ports",
        type=lambda s: [int(x) for x in s.split(",")],
        default=[8001, 8002],
        help="comma-separated gunicorn ports, one process each (0: free)",
    )
    p_start.add_argument(
        "--timeout", type=float, default=60.0, help="seconds to wait for each backend's /healthz"
    )
    p_start.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        type=_assignment,
        help="extra environment for the app processes (repeatable)",
    )
    sub.choices["stop"].add_argument(
        "--drop-db", action="store_true", help="also drop the cluster's PostgreSQL database"
    )
    p_render = sub.add_parser("render", help="print nginx.conf for given backends")
    p_render.add_argument("--listen", default="80")
    p_render.add_argument("--server-name", default="_")
    p_render.add_argument(
        "--backend",
        action="append",
        required=True,
        help="host:port of one cop process (repeatable)",
    )
    p_render.add_argument("--static-root", default=str(ROOT / "static"))
    p_render.add_argument("--pid-file", default="/run/nginx.pid")
    p_render.add_argument("--error-log", default="/var/log/nginx/error.log")
    p_render.add_argument("--access-log", default="/var/log/nginx/access.log")
    p_render.add_argument("--temp-dir", default="/var/lib/nginx")
    p_render.add_argument("--user", default="www-data")
    args = parser.parse_args(argv)
    try:
        return {"start": start, "stop": stop, "status": status, "render": render}[args.command](
            args
        )
    except ClusterError as exc:
        print(f"cluster: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
