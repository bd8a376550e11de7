"""gunicorn settings for cop behind nginx (docs/deployment.md).

    gunicorn -c deploy/gunicorn.conf.py --bind 127.0.0.1:8001 wsgi:app

One process = one gevent worker (`-k gevent -w 1`, as Flask-SocketIO's deployment guide
says): a Socket.IO connection lives in one process, so scale by starting more gunicorn
processes on other ports behind nginx's `ip_hash` (sticky sessions), all sharing Redis.
WebSocket comes from simple-websocket, which python-engineio uses under gunicorn's gevent
worker (`gunicorn.socket` in the environ); gevent-websocket is not needed.

gevent's monkey patching: gunicorn's gevent worker calls `monkey.patch_all()` in the
worker process before it imports `wsgi:app`, so cop.server's own patching (used only by
`cop serve`) is neither imported nor needed here. This file is read by the master before
any fork: it must not import cop, gevent's hub or anything that opens a connection.

Every value can be changed through the environment (GUNICORN_*) or on the command line.
"""

from __future__ import annotations

import contextlib
import gc
import os
import socket

# --- the async worker: one per process ---------------------------------------------------
worker_class = "gevent"
workers = 1  # Socket.IO sessions are per process: more workers here would break them
# Simultaneous connections (WebSockets included) one process accepts.
worker_connections = int(os.environ.get("GUNICORN_WORKER_CONNECTIONS", "5000"))

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8001")
backlog = int(os.environ.get("GUNICORN_BACKLOG", "2048"))
# The gevent worker keeps its heartbeat from a greenlet: a request that blocks the hub this
# long (a bug) gets the worker restarted. WebSockets are not affected by this timeout.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "20"))
# Longer than nginx's upstream keepalive_timeout (60 s), so nginx closes idle ones first.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "75"))
# No max_requests: a periodic restart would drop every WebSocket of the process.

# Only this proxy may set X-Forwarded-Proto for gunicorn itself; the app's own handling of
# X-Forwarded-* is werkzeug's ProxyFix, switched on with PROXY_FIX=1.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")

# nginx writes the access log; gunicorn's would cost every request a log line.
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
errorlog = os.environ.get("GUNICORN_ERRORLOG", "-")
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
proc_name = os.environ.get("COP_INSTANCE_NAME") or "cop"
# gunicorn >= 24 opens a control socket at one fixed path per user, which several
# processes on one machine would fight over; off unless given a path of its own.
if os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
else:
    control_socket_disable = True

# Flask-SocketIO must run in gevent mode in this process (Config's default is threading),
# and must not think it runs under `flask run`.
raw_env = ["SOCKETIO_ASYNC_MODE=gevent"]
os.environ.pop("FLASK_RUN_FROM_CLI", None)


def _nodelay(handle):
    """Wrap the worker's per-connection handler: TCP_NODELAY on every accepted socket.

    Linux copies it from gunicorn's listening socket already; set it explicitly anyway,
    because an ack written right after a broadcast would otherwise wait for the peer's
    delayed ACK (~40 ms, Nagle)."""

    def handle_with_nodelay(listener, client, addr):
        with contextlib.suppress(OSError):  # a Unix socket has no TCP options
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return handle(listener, client, addr)

    return handle_with_nodelay


def post_worker_init(worker):
    """In the worker, after monkey patching and loading wsgi:app, before serving.

    Starts what `cop serve` starts in its process: each feature's background task (the chat
    access watchdog; the job runner only if JOBS_EMBEDDED is on: in this topology it is off
    and `flask --app wsgi cop worker` runs the jobs)."""
    worker.handle = _nodelay(worker.handle)
    app = worker.wsgi
    tasks = getattr(app, "extensions", {}).get("cop_background_tasks")
    if tasks is None:  # not cop's app (wsgi:app): nothing to start
        return
    from cop.extensions import socketio

    gc.collect()
    gc.freeze()  # as cop serve does: the loaded app stays out of full GC passes
    for task in tasks:
        socketio.start_background_task(task, app)
    worker.log.info(
        "cop instance %s ready (async mode %s)",
        app.config.get("INSTANCE_NAME") or "-",
        socketio.async_mode,
    )
