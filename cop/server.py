"""The single-process server behind `flask --app wsgi cop serve`.

gevent patches the standard library first, then the app is built and served by
gevent's WSGI server, WebSocket included (simple-websocket).
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import contextlib  # noqa: E402
import gc  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import socket  # noqa: E402


def tcp_nodelay_for_gevent() -> None:
    """Set TCP_NODELAY on every accepted socket: otherwise an ack written right after a
    broadcast to the same socket waits for the client's delayed ACK (~40 ms, Nagle)."""
    from gevent import pywsgi

    original = pywsgi.WSGIHandler.__init__

    def init(self, sock, *args, **kwargs):
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        original(self, sock, *args, **kwargs)

    pywsgi.WSGIHandler.__init__ = init


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="cop serve")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    args = parser.parse_args(argv)
    os.environ.setdefault("SOCKETIO_ASYNC_MODE", "gevent")
    tcp_nodelay_for_gevent()

    from cop import create_app
    from cop.extensions import socketio

    app = create_app()
    # The app's modules, models and templates live as long as the process: keep them out
    # of the garbage collector's full passes, which would otherwise walk them all and
    # pause every connection's greenlet while they do.
    gc.collect()
    gc.freeze()
    for task in app.extensions.get("cop_background_tasks", []):
        socketio.start_background_task(task, app)
    logging.getLogger("cop").info(
        "cop serving on http://%s:%s (%s)", args.host, args.port, socketio.async_mode
    )
    print(f" * cop serving on http://{args.host}:{args.port}", flush=True)
    socketio.run(app, host=args.host, port=args.port, log_output=True)


if __name__ == "__main__":
    main()
