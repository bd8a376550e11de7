from __future__ import annotations

import hashlib


def short_hash(value: str) -> str:
    """A short, non-reversible fingerprint (e.g. of a password hash inside a signed token)."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:16]
