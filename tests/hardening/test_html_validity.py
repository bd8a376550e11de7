"""Every page, for every role that may open it, is valid HTML (issue 11, item 7).

The pages come from the route x role tables (tests/hardening/pages.py), fetched with the test
client (no browser needed), saved to a temporary directory and checked by the Nu HTML
Checker in ONE Java process: `java -jar vnu.jar --errors-only --format json DIR`. The checker
is the npm package `vnu-jar`, pinned in tests/hardening/package.json and package-lock.json
and installed into tests/hardening/node_modules (not committed) by `npm ci --prefix
tests/hardening --ignore-scripts` (.ci/run does it; this test does it when the jar is missing).
Outside CI a missing Java or npm skips with a reason; with CI=true it fails.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import IN_CI
from tests.hardening.pages import html_pages
from tests.route_walker import html_client

HERE = Path(__file__).parent
VNU = HERE / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
JAVA = os.environ.get("COP_JAVA", shutil.which("java") or "/usr/bin/java")


def _unavailable(reason: str):
    if IN_CI:
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)


def vnu_jar() -> Path:
    """The pinned checker, installed from the lock file if it is not there yet."""
    if not Path(JAVA).exists():
        _unavailable(f"no Java at {JAVA} (apt-get install -y default-jre-headless)")
    if not VNU.exists():
        npm = shutil.which("npm")
        if npm is None:
            _unavailable("npm is needed to install vnu-jar (tests/hardening/package.json)")
        subprocess.run(
            [npm, "ci", "--prefix", str(HERE), "--ignore-scripts", "--no-audit", "--no-fund"],
            check=True,
            capture_output=True,
            timeout=300,
        )
    return VNU


def one_per_endpoint(pages):
    """One URL per endpoint and role: the same template, so the same markup."""
    seen, kept = set(), []
    for page in pages:
        if (page.role, page.endpoint) not in seen:
            seen.add((page.role, page.endpoint))
            kept.append(page)
    return kept


def test_every_page_is_valid_html(app, db, world, tmp_path):
    jar = vnu_jar()
    started = time.monotonic()
    if os.environ.get("COP_VNU_PAGES"):  # keep the pages to look at them
        tmp_path = Path(os.environ["COP_VNU_PAGES"])
        tmp_path.mkdir(parents=True, exist_ok=True)
    pages = one_per_endpoint(html_pages(app, world))
    clients: dict[str, object] = {}
    saved: dict[str, str] = {}
    for n, page in enumerate(pages):
        client = clients.get(page.role) or clients.setdefault(
            page.role, html_client(app, world, page.role)
        )
        response = client.get(page.url)
        with response:  # (downloads stream from files: close them)
            if response.status_code != 200 or response.mimetype != "text/html":
                continue  # statuses are the permission tests' business; CSV/ICS: not HTML
            name = f"{n:04d}-{page.role}-{re.sub(r'[^A-Za-z0-9]+', '_', page.endpoint)}.html"
            (tmp_path / name).write_bytes(response.get_data())
            saved[name] = f"{page.role} GET {page.url}"
    assert len(saved) >= 50, f"only {len(saved)} pages collected"
    fetched = time.monotonic()

    result = subprocess.run(
        [JAVA, "-Xss16m", "-jar", str(jar), "--errors-only", "--format", "json", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = result.stderr.strip() or result.stdout.strip()
    assert out.startswith("{"), f"vnu said ({result.returncode}): {out[:2000]}"
    messages = json.loads(out)["messages"]
    errors = [m for m in messages if m.get("type") in {"error", "non-document-error"}]
    # One line per distinct error and endpoint, with one page that shows it.
    distinct: dict[tuple[str, str], str] = {}
    for m in errors:
        name = Path(m.get("url", "")).name
        endpoint = name.split("-", 2)[-1].removesuffix(".html")
        message = re.sub(r"“[^”]*\d[^”]*”", "“…”", m.get("message", ""))
        distinct.setdefault(
            (endpoint, message),
            f"{saved.get(name, name)} line "
            f"{m.get('lastLine')}: {m.get('message')}\n    "
            f"{m.get('extract', '')!r}",
        )
    report = sorted(distinct.values())[:80]
    timing = f"(pages {fetched - started:.0f}s, vnu {time.monotonic() - fetched:.0f}s)"
    assert not errors, f"{len(errors)} HTML errors in {len(saved)} pages {timing}:\n" + "\n".join(
        report
    )
