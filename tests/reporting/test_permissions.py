"""Every reporting route for every role of the world fixture (tests/reporting/matrix.py)."""

from __future__ import annotations

import re

from tests import route_walker as walker
from tests.reporting import matrix


def _shape(path: str) -> str:
    # Literal segments (no-such-coalition, 2019Q1) stand for a placeholder of the route.
    return walker.shape(re.sub(r"/(no-such-[a-z]+|2019Q1)(?=/|$|\?)", "/*", path))


def test_the_matrix_covers_every_reporting_route(app):
    walker.check_coverage(app, matrix, ("/reporting", "/api/v1/reporting"), _shape)


def test_the_matrix_names_the_right_endpoints(app, world):
    walker.check_endpoints(app, world, matrix)


def test_the_global_matrix_leaves_reporting_to_this_table(app):
    from tests.test_permission_matrix import feature_matrix_endpoints

    covered = feature_matrix_endpoints()
    reporting = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith(("reporting.", "reporting_api."))
    }
    assert reporting and reporting <= {
        e for e, feature in covered.items() if feature == "reporting"
    }


def _says_why(key, role, response):
    """A refused HTML page says why (it has a heading)."""
    html = not key.split(" ", 1)[1].startswith("/api/")
    if (
        response.status_code in (403, 409)
        and html
        and "<h1>" not in response.get_data(as_text=True)
    ):
        return f"{response.status_code} without a page that says why (no <h1>)"
    return None


def test_every_reporting_route_for_every_role(app, world):
    walker.walk(app, matrix, world=world, check=_says_why)
