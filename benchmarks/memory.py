"""Memory: resident memory per idle Socket.IO connection and for 2,000 idle connections in
one process, cop's /chat next to a bare python-socketio server (gevent), in one run.

    .venv/bin/python benchmarks/memory.py                  # 2,000 idle clients, 3 repetitions
    .venv/bin/python benchmarks/memory.py --clients 500

It is chat_broadcast.py with no senders: N clients connect (WebSocket), join the lounge and
sit idle; the server's RSS is read before they connect and once they are all idle
(after presence and the access watchdog settled). KiB per idle connection = growth / N.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import chat_broadcast  # noqa: E402


def main() -> None:
    argv = sys.argv[1:]
    if "--clients" not in argv:
        argv += ["--clients", "2000"]
    sys.argv = [chat_broadcast.__file__, "--senders", "0", "--duration", "0", "--grace", "0", *argv]
    chat_broadcast.main()


if __name__ == "__main__":
    main()
