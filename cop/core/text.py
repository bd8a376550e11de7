"""Checks shared by every service that stores user text."""

from __future__ import annotations

from cop.core.errors import ServiceError


def refuse_nul(value: str, label: str, field: str | None = None) -> str:
    """NUL cannot be stored (PostgreSQL refuses it in text columns): a 400, not a 500."""
    if "\x00" in value:
        raise ServiceError(
            f"{label} contains a NUL character, which cannot be stored.", field=field
        )
    return value
