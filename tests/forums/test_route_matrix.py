"""Every forum route for every role of the world fixture (tests/forums/matrix.py)."""

from __future__ import annotations

import re

import pytest

from tests import route_walker as walker
from tests.forums import matrix


def _shape(path: str) -> str:
    # Literal segments of the cases stand for route variables too.
    return re.sub(r"/(general|staff-room|2|helpful)(?=/|$)", "/*", walker.shape(path))


def test_the_matrix_covers_every_forum_route(app):
    routes = {
        (method, walker.shape(rule.rule))
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(("/forums", "/api/v1/forums"))
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    covered = {(key.split(" ", 1)[0], _shape(key.split(" ", 1)[1])) for key in matrix.CASES}
    assert {r for r in routes if r not in covered} == set(), "routes missing from the matrix"


def test_the_matrix_names_the_right_endpoints(app, world):
    walker.check_endpoints(app, world, matrix)


@pytest.mark.parametrize(
    ("key", "role", "expected"), walker.cases(matrix), ids=walker.case_ids(matrix)
)
def test_route_by_role(app, world, key, role, expected):
    walker.check_case(app, world, matrix, key, role, expected, other_redirects=True)
