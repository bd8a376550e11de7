"""Every chat route for every role of `world` (tests/chat/matrix.py), walked by the global
matrix's Walker: expected statuses, CSRF and bearer handling, security headers."""

from __future__ import annotations

from werkzeug.exceptions import MethodNotAllowed

from tests.chat.matrix import ROWS
from tests.test_permission_matrix import ROLES, Walker, _rule_methods, outcome, problems


def test_the_rows_cover_every_chat_route(app):
    chat = {e: m for e, m in _rule_methods(app).items() if e.split(".")[0] in ("chat", "chat_api")}
    assert set(chat) == set(ROWS)
    for endpoint, methods in chat.items():
        for method in methods:
            assert any(c.method == method and not c.wrong_method for c in ROWS[endpoint]), (
                endpoint,
                method,
            )


def test_every_chat_route_for_every_role(app, db, world):
    walker = Walker(app, db, world)
    adapter = app.url_map.bind("localhost")
    failures = []
    for endpoint, cases in ROWS.items():
        for case in cases:
            assert set(case.expect) == set(ROLES), endpoint
            for role in ROLES:
                url, response = walker.request(case, role)
                try:
                    matched, _ = adapter.match(url.split("?")[0], method=case.method)
                except MethodNotAllowed:
                    assert case.wrong_method, f"{case.method} {url}"
                    matched = endpoint
                assert matched == endpoint, f"{case.method} {url} is {matched}"
                ok, got = outcome(response, case.expect[role])
                if not ok:
                    failures.append(
                        f"{role:>12} {case.method:6} {url}: expected "
                        f"{case.expect[role]!r}, got {got}"
                    )
                failures += [
                    f"{role:>12} {case.method} {url}: {p}" for p in problems(response, role)
                ]
                response.close()
    assert not failures, "\n".join(failures)
