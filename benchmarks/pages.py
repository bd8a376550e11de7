"""Page speed: cop's pages on `cop serve` against a bare Flask "hello world" on the same
server stack, as the data grows (1,000 and 1,000,000 posts by default).

    .venv/bin/python benchmarks/pages.py                        # 1k and 1M posts, SQLite + PG
    .venv/bin/python benchmarks/pages.py --sizes 1000,100000 --backends sqlite --seconds 3

For each backend and size, a generated database (`cop generate`: 20,000 threads at 1M
posts, 2,000 users, 5,000 events, a 5,000-reply thread; cached under COP_BENCH_DATA,
default /tmp/cop-bench-data) is served by `flask --app wsgi cop serve` pinned to the
server core(s), with JOBS_EMBEDDED=0; the load generators run on the other core(s).
Signed in as member@demo.example.org, each page is measured twice, `--repeat` times:

- latency: one keep-alive connection, `--requests` requests in a row (p50 per repetition);
- throughput: wrk with `--connections` connections for `--seconds` (requests per second).

Pages: a thread page of 50 posts, the latest threads, the coalition directory, the events
list, the expert search (if the experts feature is installed), and the first and the last
page of the 5,000-reply thread. The hello-world server is measured in the same run. Goals
(issue 10): at least 35% of hello world's requests per second; p50 at most 1.2x from 1k to
1M posts; the long thread's last page at most 1.2x its first.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c  # noqa: E402

MEMBER = "member@demo.example.org"


def page_urls(url: str, base: str, cookie: str) -> dict[str, str]:
    long_id, last = c.query(
        url,
        "SELECT id, last_post_number FROM forum_threads ORDER BY last_post_number DESC, id LIMIT 1",
    )[0]
    normal = c.query(
        url,
        "SELECT t.id FROM forum_threads t JOIN forum_categories c ON "
        "c.id = t.category_id WHERE c.kind = 'community' AND "
        "t.last_post_number >= 50 AND t.id <> :id ORDER BY t.id LIMIT 1",
        {"id": long_id},
    )
    pages = {
        "thread (50 posts)": f"/forums/t/{normal[0][0] if normal else long_id}",
        "latest threads": "/forums/latest",
        "coalition directory": "/coalitions/",
        "events list": "/events/",
    }
    try:  # another feature: measured only if this build has it
        request = urllib.request.Request(
            base + "/experts/?q=apprenticeship", headers={"Cookie": cookie}
        )
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
            if response.status == 200:
                pages["expert search"] = "/experts/?q=apprenticeship"
    except urllib.error.HTTPError:
        print("note: no expert search in this build (skipped)", file=sys.stderr)
    pages[f"long thread, first page ({last - 1:,} replies)"] = f"/forums/t/{long_id}"
    pages["long thread, last page"] = f"/forums/t/{long_id}?after={max(0, last - 50)}"
    return pages


def measure(base: str, path: str, cookie: str | None, args, load_cpus) -> dict:
    p50s, rps, errors = [], [], 0
    for _ in range(args.repeat):
        p50s.append(c.percentile(c.sequential_latencies(base, path, cookie, args.requests), 50))
        result = c.wrk(
            base + path,
            connections=args.connections,
            seconds=args.seconds,
            cookie=cookie,
            cpus=load_cpus,
        )
        rps.append(result["rps"])
        errors += result["errors"] + result["non2xx"]
    return {"p50": p50s, "rps": rps, "errors": errors}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1000,1000000", help="posts, comma-separated")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0, help="wrk duration per run")
    parser.add_argument("--requests", type=int, default=100, help="sequential requests per run")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--json", help="also write the raw results here")
    args = parser.parse_args()
    args.repeat = max(3, args.repeat)
    server_cpus, load_cpus = c.cores()
    os.sched_setaffinity(0, load_cpus)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if "postgresql" in backends and not c.pg_reachable():
        print(f"note: PostgreSQL not reachable at {c.PG_ADMIN_URL}: skipped", file=sys.stderr)
        backends.remove("postgresql")
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    title = c.header("pages: cop serve vs bare Flask hello world (gevent pywsgi)")
    work = Path(tempfile.mkdtemp(prefix="cop-bench-pages-"))
    with c.quiet_note(), c.hello_server(work / "hello.log", server_cpus) as hello:
        baseline = measure(hello.base, "/", None, args, load_cpus)
    rows = []
    for backend in backends:
        for posts in sizes:
            url = c.dataset(backend, posts)
            env = c.app_env(url, work / f"instance-{backend}-{posts}")
            with c.cop_server(env, work / f"cop-{backend}-{posts}.log", server_cpus) as server:
                cookie = c.login_cookie(server.base, MEMBER)
                for name, path in page_urls(url, server.base, cookie).items():
                    print(f"  {backend} {posts:,} {name}", file=sys.stderr, flush=True)
                    rows.append(
                        {
                            "backend": backend,
                            "posts": posts,
                            "page": name,
                            "path": path,
                            **measure(server.base, path, cookie, args, load_cpus),
                        }
                    )
    hello_rps = c.med(baseline["rps"])
    lines = [
        title,
        "",
        f"{args.repeat} repetitions: p50 of {args.requests} sequential requests on one "
        f"connection; wrk -c{args.connections} for {args.seconds:.0f}s. Server on cores "
        f"{sorted(server_cpus)}, load generators on {sorted(load_cpus)}. "
        "Median (min-max).",
        "",
        "| backend | posts | page | p50 ms | requests/s | % of hello world | errors |",
        "|---|---:|---|---:|---:|---:|---:|",
        f"| - | - | bare hello world | {c.spread(baseline['p50'], 2)} | "
        f"{c.spread(baseline['rps'], 0)} | 100% | {baseline['errors']} |",
    ]
    for r in rows:
        lines.append(
            f"| {r['backend']} | {r['posts']:,} | {r['page']} | {c.spread(r['p50'], 1)}"
            f" | {c.spread(r['rps'], 0)} | {100 * c.med(r['rps']) / hello_rps:.0f}% | "
            f"{r['errors']} |"
        )
    lines += [
        "",
        "Flatness (p50 at the largest size / p50 at the smallest; goal <= 1.2) and "
        "the long thread's last page / first page (goal <= 1.2):",
        "",
    ]
    for backend in backends:
        if len(sizes) > 1:
            small, big = min(sizes), max(sizes)
            for r in rows:
                if r["backend"] == backend and r["posts"] == big:
                    other = next(
                        (
                            o
                            for o in rows
                            if o["backend"] == backend
                            and o["posts"] == small
                            and o["page"].split(" (")[0] == r["page"].split(" (")[0]
                        ),
                        None,
                    )
                    if other is None:
                        continue
                    lines.append(
                        f"- {backend} {r['page'].split(' (')[0]}: "
                        f"{c.med(r['p50']) / c.med(other['p50']):.2f}x"
                    )
        for posts in sizes:
            mine = [r for r in rows if r["backend"] == backend and r["posts"] == posts]
            first = next(r for r in mine if r["page"].startswith("long thread, first"))
            last = next(r for r in mine if r["page"] == "long thread, last page")
            lines.append(
                f"- {backend} {posts:,} posts: long thread last/first page p50 "
                f"{c.med(last['p50']) / c.med(first['p50']):.2f}x"
            )
    text = "\n".join(lines)
    print(text)
    data = {"hello": baseline, "rows": rows}
    saved = c.write_results("pages", text, data)
    print(f"\n(saved in {saved})", file=sys.stderr)
    if args.json:
        Path(args.json).write_text(json.dumps(data, indent=2))


if __name__ == "__main__":
    main()
