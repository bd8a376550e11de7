"""The route tables of every feature, found the way tests/test_permission_matrix.py finds
them, for the hardening tests that walk every row (roles, leaks, CSV exports)."""

from __future__ import annotations

import importlib
import importlib.util

import pytest

from tests.test_permission_matrix import Case


def feature_matrices():
    from cop import FEATURES

    for name in FEATURES:
        if importlib.util.find_spec(f"tests.{name}") is None:
            continue
        if importlib.util.find_spec(f"tests.{name}.matrix") is None:
            continue
        module = importlib.import_module(f"tests.{name}.matrix")
        if hasattr(module, "CASES") and hasattr(module, "resolve"):
            yield name, "cases", module
        elif isinstance(getattr(module, "ROWS", None), dict) and all(
            isinstance(c, Case) for cases in module.ROWS.values() for c in cases
        ):
            yield name, "rows", module
        elif hasattr(module, "ROWS") or hasattr(module, "ENDPOINTS"):
            pytest.fail(f"tests/{name}/matrix.py has a shape {__name__} does not know")
        # else: its rows are merged into the global TABLE


def resolve(module, key: str, values: dict, world) -> tuple[str, str]:
    """module.resolve(key, values), making a placeholder the table leaves to its own walker
    (experts: `{fresh}`, a new request from `new_request(world)`) when it is missing."""
    try:
        return module.resolve(key, values)
    except KeyError as exc:
        name = exc.args[0]
        maker = getattr(module, f"new_{name}", None) or (
            getattr(module, "new_request", None) if name == "fresh" else None
        )
        if maker is None:
            raise
        values[name] = maker(world)
        return module.resolve(key, values)
