"""Every HTML page for every role that may open it, from the route x role tables.

The tables are tests/test_permission_matrix.py (TABLE: `Case` rows, notifications' rows
merged in) and each tests/<feature>/matrix.py: either `Case` rows in `ROWS` (chat) or
`CASES = {"GET /path": {role: status}}` with `ids(world)` and `resolve(key, values)` (forums,
events, coaching, reporting, experts, library, commitments...). A GET row whose expected
status for a role is 200 is a page that role may open. A new feature's matrix is picked up
here with nothing to add.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass

# Roles that open pages: the signed-in ones and the anonymous visitor. A switched-off
# account sees what the anonymous visitor sees.
PAGE_ROLES = (
    "admin",
    "coach",
    "other_coach",
    "lead",
    "member",
    "other_member",
    "expert",
    "guest",
    "anonymous",
)


@dataclass(frozen=True)
class Page:
    role: str
    endpoint: str
    url: str


def _feature_matrices():
    from cop import FEATURES

    for name in FEATURES:
        if importlib.util.find_spec(f"tests.{name}") is None:
            continue
        if importlib.util.find_spec(f"tests.{name}.matrix") is None:
            continue
        yield name, importlib.import_module(f"tests.{name}.matrix")


def _case_rows(rows: dict, ctx) -> list[Page]:
    pages = []
    for endpoint, cases in rows.items():
        for case in cases:
            if case.method != "GET" or case.wrong_method or case.bearer:
                continue
            for role in PAGE_ROLES:
                if case.expect.get(role) == 200:
                    url = case.url(ctx, role)
                    if not url.startswith("/api/"):
                        pages.append(Page(role, endpoint, url))
    return pages


def html_pages(app, world) -> list[Page]:
    """(role, endpoint, url) of every GET row answering 200 to that role, API rows left out.
    Makes the rows' objects (through the features' `ids(world)`) as it goes."""
    from tests import test_permission_matrix as global_matrix

    ctx = global_matrix.Ctx(world)
    pages = _case_rows(global_matrix.TABLE, ctx)
    for _name, matrix in _feature_matrices():
        cases = getattr(matrix, "CASES", None)
        if cases is not None and hasattr(matrix, "ids"):
            endpoints = matrix.ENDPOINTS
            values = matrix.ids(world)
            for key, row in cases.items():
                if not key.startswith("GET /") or key.startswith("GET /api/"):
                    continue  # (write rows may name objects made per request)
                method, path = matrix.resolve(key, values)
                pages += [
                    Page(role, endpoints[key], path) for role in PAGE_ROLES if row.get(role) == 200
                ]
        elif isinstance(getattr(matrix, "ROWS", None), dict):
            rows = {k: v for k, v in matrix.ROWS.items() if isinstance(v, list)}
            pages += _case_rows(rows, ctx)
    seen: set[tuple[str, str]] = set()
    unique = []
    for page in pages:
        if (page.role, page.url) not in seen:
            seen.add((page.role, page.url))
            unique.append(page)
    return unique


def endpoints_by_role() -> dict[str, set[str]]:
    """Per role, the endpoints of the HTML GET rows that answer it 200. Needs no database:
    only the tables' expectations are read."""
    from tests import test_permission_matrix as global_matrix

    found: dict[str, set[str]] = {role: set() for role in PAGE_ROLES}

    def add_cases(rows: dict) -> None:
        for endpoint, cases in rows.items():
            for case in cases:
                if (
                    case.method == "GET"
                    and not case.wrong_method
                    and not case.bearer
                    and not (isinstance(case.path, str) and case.path.startswith("/api/"))
                ):
                    for role in PAGE_ROLES:
                        if case.expect.get(role) == 200:
                            found[role].add(endpoint)

    add_cases(global_matrix.TABLE)
    for _name, matrix in _feature_matrices():
        cases = getattr(matrix, "CASES", None)
        if cases is not None and hasattr(matrix, "ENDPOINTS"):
            for key, row in cases.items():
                method, path = key.split(" ", 1)
                if method == "GET" and not path.startswith("/api/"):
                    for role in PAGE_ROLES:
                        if row.get(role) == 200:
                            found[role].add(matrix.ENDPOINTS[key])
        elif isinstance(getattr(matrix, "ROWS", None), dict):
            add_cases({k: v for k, v in matrix.ROWS.items() if isinstance(v, list)})
    return found
