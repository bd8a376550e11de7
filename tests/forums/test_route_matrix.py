"""Every forum route for every role of the world fixture (tests/forums/matrix.py)."""

from __future__ import annotations

import re

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


def test_every_forum_route_for_every_role(app, world):
    # Readers are redirected to the post (302 elsewhere than the login page).
    walker.walk(app, matrix, world=world, other_redirects=True)
