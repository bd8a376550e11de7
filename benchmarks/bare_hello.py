"""The bare baseline of the page benchmarks: a Flask "hello world" served exactly as
`flask --app wsgi cop serve` serves cop (gevent monkey-patching, gevent's WSGI server with
its default access log, TCP_NODELAY on accepted sockets). Loopback only.

    .venv/bin/python benchmarks/bare_hello.py --port 8001
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask import Flask  # noqa: E402
from gevent import pywsgi  # noqa: E402

from cop.server import tcp_nodelay_for_gevent  # noqa: E402

app = Flask("hello")


@app.get("/")
def hello():
    return "Hello, world"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    tcp_nodelay_for_gevent()
    print(f" * hello world on http://127.0.0.1:{args.port}", flush=True)
    pywsgi.WSGIServer(("127.0.0.1", args.port), app, log="default").serve_forever()


if __name__ == "__main__":
    main()
