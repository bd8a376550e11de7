"""Plain functions that make test data through the real services."""

from __future__ import annotations

import itertools

from cop.accounts import services as account_services
from cop.accounts.models import User
from cop.coalitions import services as coalition_services
from cop.coalitions.models import Coalition

PASSWORD = "correct horse battery staple"  # noqa: S105

_seq = itertools.count(1)


def make_coalition(slug: str | None = None, **overrides) -> Coalition:
    n = next(_seq)
    values = {
        "slug": slug or f"coalition-{n}",
        "name": f"Test Coalition {n} (demo)",
        "lead_organization": f"Test College {n}",
        "track": "development",
        "states": ["OH"],
        "sectors": ["broadband"],
    }
    values.update(overrides)
    return coalition_services.create_coalition(None, **values)


def make_user(
    role: str = "member",
    *,
    email: str | None = None,
    name: str | None = None,
    coalition: Coalition | None = None,
    lead: bool = False,
    password: str = PASSWORD,
    active: bool = True,
    **extra,
) -> User:
    n = next(_seq)
    user = account_services.create_user(
        None,
        email=email or f"{role}{n}@test.example.org",
        name=name or f"{role.capitalize()} Person {n}",
        role=role,
        password=password,
        coalition=coalition,
        as_lead=lead,
        **extra,
    )
    if not active:
        from cop.extensions import db

        user.active = False
        db.session.flush()
        coalition_services.recount_members(user)
        db.session.commit()
    return user


def assign_coach(coach: User, coalition: Coalition) -> None:
    coalition_services.assign_coach(None, coalition, coach)
