"""Every commitments route for every role of the world fixture (tests/commitments/matrix.py)."""

from __future__ import annotations

from tests import route_walker as walker
from tests.commitments import matrix


def test_the_matrix_covers_every_commitments_route(app):
    walker.check_coverage(app, matrix, ("/commitments", "/api/v1/commitments"))


def test_the_matrix_names_the_right_endpoints(app, world):
    walker.check_endpoints(app, world, matrix)
    assert set(matrix.ROWS) == set(matrix.ENDPOINTS.values())


def test_every_commitments_route_for_every_role(app, world):
    walker.walk(app, matrix, world=world)
