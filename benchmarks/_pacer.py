"""Open-loop page load for the mixed benchmark: GET the given paths round-robin at a fixed
rate (requests are started on schedule whether or not earlier ones finished) for a bounded
time, on loopback only; prints one JSON line with counts and latency percentiles.

    .venv/bin/python benchmarks/_pacer.py spec.json
    spec: {"base": "http://127.0.0.1:PORT", "paths": [...], "rate": 50, "cookie": "...",
           "seconds": 20}
"""

from gevent import monkey

monkey.patch_all()

import http.client  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import urllib.parse  # noqa: E402
from pathlib import Path  # noqa: E402

import gevent  # noqa: E402
import gevent.queue  # noqa: E402

MAX_CONNECTIONS = 64


def main() -> None:
    spec = json.loads(Path(sys.argv[1]).read_text())
    base = urllib.parse.urlsplit(spec["base"])
    if base.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("loopback targets only")
    rate, seconds = float(spec["rate"]), min(float(spec["seconds"]), 600.0)
    paths, headers = spec["paths"], {"Cookie": spec.get("cookie", "")}
    idle: gevent.queue.Queue = gevent.queue.Queue()
    opened = [0]
    latencies: list[float] = []
    errors = [0]

    def connection():
        try:
            return idle.get_nowait()
        except gevent.queue.Empty:
            opened[0] += 1
            return http.client.HTTPConnection(base.hostname, base.port, timeout=30)

    def one(path: str, scheduled: float) -> None:
        conn = connection()
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                errors[0] += 1
            latencies.append((time.monotonic() - scheduled) * 1000)
            idle.put(conn)
        except Exception:  # noqa: BLE001 - counted, the connection dropped
            errors[0] += 1
            conn.close()

    start = time.monotonic()
    count = int(rate * seconds)
    running = []
    for n in range(count):
        at = start + n / rate
        gevent.sleep(max(0.0, at - time.monotonic()))
        if opened[0] - idle.qsize() >= MAX_CONNECTIONS:
            errors[0] += 1  # the server is too far behind: counted as a miss
            continue
        running.append(gevent.spawn(one, paths[n % len(paths)], at))
    gevent.joinall(running, timeout=60)
    elapsed = time.monotonic() - start
    ordered = sorted(latencies)

    def pct(p):
        return (
            ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]
            if ordered
            else float("nan")
        )

    print(
        json.dumps(
            {
                "done": len(latencies),
                "errors": errors[0],
                "rate": len(latencies) / elapsed,
                "p50": pct(50),
                "p99": pct(99),
            }
        )
    )


if __name__ == "__main__":
    main()
