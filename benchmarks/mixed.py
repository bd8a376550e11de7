"""Mixed load: chat p99 while pages are served at 70% of their capacity, against the same
chat measurement with no page load, on one `cop serve` process (goal: at most 2x).

    .venv/bin/python benchmarks/mixed.py                       # 1M posts (SQLite), 500 clients
    .venv/bin/python benchmarks/mixed.py --posts 20000 --clients 200 --duration 10

1. The data set (`cop generate`, cached under COP_BENCH_DATA) is served by `cop serve`
   pinned to the server core(s); wrk measures the capacity (requests/s) of each page in
   the mix; the mix's capacity is their harmonic mean.
2. chat_broadcast.py's measurement (N clients in the lounge, S senders) runs `--repeat`
   times alone, then `--repeat` times while benchmarks/_pacer.py requests the pages
   round-robin at 70% of that capacity (open loop), from the load-generator core(s).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c  # noqa: E402
import chat_broadcast  # noqa: E402

PATHS = "/forums/latest,/coalitions/,/events/,{thread}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--backend", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--senders", type=int, default=5)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0, help="wrk time per page")
    parser.add_argument("--share", type=float, default=0.7, help="of the page capacity")
    args = parser.parse_args()
    server_cpus, load_cpus = c.cores()
    os.sched_setaffinity(0, load_cpus)
    url = c.dataset(args.backend, args.posts)
    thread = c.query(
        url,
        "SELECT t.id FROM forum_threads t JOIN forum_categories c ON "
        "c.id = t.category_id WHERE c.kind = 'community' AND "
        "t.last_post_number >= 50 ORDER BY t.id DESC LIMIT 1",
    )
    paths = PATHS.format(thread=f"/forums/t/{thread[0][0]}" if thread else "/forums/")
    work = Path(tempfile.mkdtemp(prefix="cop-bench-mixed-"))
    capacity = {}
    with (
        c.quiet_note(),
        c.cop_server(c.app_env(url, work / "instance"), work / "cap.log", server_cpus) as server,
    ):
        cookie = c.login_cookie(server.base, "member@demo.example.org")
        for path in paths.split(","):
            runs = [
                c.wrk(
                    server.base + path,
                    connections=8,
                    seconds=args.seconds,
                    cookie=cookie,
                    cpus=load_cpus,
                )["rps"]
                for _ in range(3)
            ]
            capacity[path] = c.med(runs)
    mix = len(capacity) / sum(1 / v for v in capacity.values())
    rate = args.share * mix
    common = [
        "--targets",
        "cop",
        "--clients",
        str(args.clients),
        "--senders",
        str(args.senders),
        "--duration",
        str(args.duration),
        "--repeat",
        str(args.repeat),
        "--database-url",
        url,
        "--page-paths",
        paths,
    ]
    alone_args = chat_broadcast.parser().parse_args(common)
    loaded_args = chat_broadcast.parser().parse_args([*common, "--page-load", f"{rate:.1f}"])
    for a in (alone_args, loaded_args):
        a.repeat = max(3, a.repeat)
    alone = chat_broadcast.run_all(alone_args)[0]
    loaded = chat_broadcast.run_all(loaded_args)[0]
    alone["target"], loaded["target"] = "cop, chat alone", f"cop, pages at {rate:.0f}/s"
    lines = [
        c.header(
            f"mixed: chat p99 with pages at {args.share:.0%} of capacity "
            f"({args.backend}, {args.posts:,} posts)"
        ),
        "",
        "Page capacity (wrk -c8, median of 3): "
        + ", ".join(f"{p} {v:.0f}/s" for p, v in capacity.items())
        + f"; mix {mix:.0f}/s.",
        "",
        chat_broadcast.table([alone, loaded], alone_args),
        "",
        f"chat p99 under page load / alone: "
        f"{c.med(loaded['p99']) / c.med(alone['p99']):.2f}x (goal <= 2x)",
    ]
    text = "\n".join(lines)
    print(text)
    print(
        f"\n(saved in {c.write_results('mixed', text, [capacity, alone, loaded])})", file=sys.stderr
    )


if __name__ == "__main__":
    main()
