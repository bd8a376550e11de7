"""API fuzzing: schemathesis walks /api/v1/openapi.json against the app in-process (WSGI).

For every operation of the OpenAPI document (new features are picked up on their own) and
for a bearer token of every role, schemathesis sends generated requests, valid and
invalid, and checks: no 5xx, the status code, content type and body match the document,
and invalid input is refused with a 4xx. The database holds the demo program
(`seed_demo`), and generated path ids are mapped onto ids that exist, so most operations
reach real objects rather than answering 404.

Bounded and reproducible: a fixed seed, deterministic generation, few examples per
operation. Run it alone with `.venv/bin/python -m pytest tests/hardening/test_api_fuzz.py -n 0`.
"""

from __future__ import annotations

import contextlib
import contextvars

import pytest
import schemathesis
import sqlalchemy as sa
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from cop.seed import DEMO_DOMAIN

# The demo logins that stand for each role (cop/seed.py).
ROLES = {
    "admin": "admin",
    "coach": "coach",
    "lead": "lead",
    "member": "member",
    "other_member": "member2",
    "expert": "expert",
    "guest": "guest",
}
INVALID_INPUT_ROLES = ("admin", "member")
# Requests per operation, role and mode: the whole run stays near a minute per backend.
MAX_EXAMPLES = {GenerationMode.POSITIVE: 2, GenerationMode.NEGATIVE: 3}
SEED = 20261123

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,  # invalid input must get a 4xx
]


def _config() -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "generation": {
                "deterministic": True,
                "database": "none",
                # the token is ours to send (below), not a parameter to fuzz
                "with-security-parameters": False,
            },
        }
    )


@pytest.fixture
def api_schema(app):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=_config())


class Identities:
    """Ids and slugs that exist, to map generated path parameters onto; a token per role."""

    def __init__(self, db):
        from cop.accounts import services
        from cop.accounts.models import User

        self.db = db
        self.ids: dict[str, list[int]] = {}  # table -> a few ids
        self.slugs: list[str] = []
        for table in db.metadata.sorted_tables:
            key = [c for c in table.primary_key.columns if isinstance(c.type, sa.Integer)]
            if len(key) == 1:
                self.ids[table.name] = (
                    db.session.execute(sa.select(key[0]).order_by(key[0]).limit(40)).scalars().all()
                )
            if "slug" in table.c:
                self.slugs += (
                    db.session.execute(sa.select(table.c.slug).order_by(table.c.slug).limit(40))
                    .scalars()
                    .all()
                )
        self.slugs = sorted(set(self.slugs))
        self.all_ids = sorted({i for ids in self.ids.values() for i in ids})
        self.user_ids = {
            role: db.session.execute(
                sa.select(User.id).where(User.email == f"{local}@{DEMO_DOMAIN}")
            ).scalar_one()
            for role, local in ROLES.items()
        }
        self._user = User
        self._services = services
        self.raw: dict[str, str] = {}

    def token(self, role: str) -> str:
        """The role's token; a new one when a fuzzed DELETE /tokens/... revoked it."""
        from cop.accounts.auth import user_for_api_token

        raw = self.raw.get(role)
        if raw is None or user_for_api_token(raw) is None:
            user = self.db.session.get(self._user, self.user_ids[role])
            _, raw = self._services.create_api_token(user, name="fuzz")
            self.raw[role] = raw
        self.db.session.remove()
        return raw

    def ids_for(self, parameter: str) -> list[int]:
        """Ids of the tables a path parameter names (`thread_id`: forum_threads), else all."""
        stem = parameter.removesuffix("_id")
        ids = [
            i
            for table, table_ids in self.ids.items()
            if any(part.removesuffix("s") == stem for part in table.split("_"))
            for i in table_ids
        ]
        return sorted(set(ids)) or self.all_ids

    def map_path(self, case) -> None:
        """Point valid generated ids and slugs at rows that exist (invalid ones stay)."""
        for name, value in list((case.path_parameters or {}).items()):
            if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                ids = self.ids_for(name)
                case.path_parameters[name] = ids[value % len(ids)]
            elif name == "slug" and isinstance(value, str) and value.isalnum():
                case.path_parameters[name] = self.slugs[len(value) % len(self.slugs)]


@pytest.fixture
def identities(app, db):
    from cop.seed import seed_demo

    seed_demo()
    return Identities(db)


def _can_be_invalid(operation) -> bool:
    """Whether schemathesis can make an invalid request: a body, or a constrained parameter
    (a string in the path can only be made empty, which no URL can carry)."""
    if "requestBody" in operation.definition.raw:
        return True
    for parameter in operation.iter_parameters():
        schema = parameter.definition.get("schema", {})
        where = parameter.location.value
        if where == "header" or (where == "path" and schema.get("type") == "string"):
            continue
        constrained = set(schema) & {
            "enum",
            "maxLength",
            "minLength",
            "pattern",
            "format",
            "minimum",
            "maximum",
        }
        if schema.get("type") != "string" or constrained or parameter.is_required:
            return True
    return False


def _fuzz(operation, mode: GenerationMode, role: str, identities: Identities) -> None:
    """A few generated requests to one operation; raises on the first failed check."""

    @seed(SEED)
    @settings(
        max_examples=MAX_EXAMPLES[mode],
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        identities.map_path(case)
        headers = {"Authorization": f"Bearer {identities.token(role)}"}
        # A fresh context per request, as in production (see IsolatedClient in conftest):
        # else the request reuses the test's app context and its `g`, user included.
        contextvars.Context().run(case.call_and_validate, headers=headers, checks=CHECKS)

    with contextlib.suppress(Unsatisfiable):  # nothing in this operation can be made invalid
        run()


def test_every_operation_as_every_role(api_schema, identities):
    """Valid requests as every role; invalid ones (validation comes before permissions, so
    two roles suffice) as an admin, who gets past every check, and as a member."""
    failures = []
    operations = 0
    for result in api_schema.get_all_operations():
        operation = result.ok()  # an invalid operation definition fails here
        operations += 1
        runs = [(GenerationMode.POSITIVE, role) for role in ROLES]
        if _can_be_invalid(operation):
            runs += [(GenerationMode.NEGATIVE, role) for role in INVALID_INPUT_ROLES]
        for mode, role in runs:
            try:
                _fuzz(operation, mode, role, identities)
            except (Exception, BaseExceptionGroup) as exc:  # report them all, not the first
                failures.append(f"{operation.label} as {role} [{mode.value}]: {str(exc)[:1500]}")
    assert operations > 0
    assert not failures, f"{len(failures)} failure(s):\n\n" + "\n\n".join(failures)


def test_a_number_too_large_for_the_database_is_refused_not_a_500(client, world):
    """What the fuzzer first found: ids beyond 64 bits (SQLite raises OverflowError)."""
    from cop.accounts.services import create_api_token

    _, raw = create_api_token(world["admin"], name="big")
    headers = {"Authorization": f"Bearer {raw}"}
    huge = 10**30
    for response in (
        client.get(f"/api/v1/events/{huge}", headers=headers),
        client.patch(f"/api/v1/events/{huge}", json={"host_id": huge}, headers=headers),
        client.post("/api/v1/dms", json={"user_ids": [huge]}, headers=headers),
    ):
        assert response.status_code in (404, 422), response.get_data(as_text=True)[:300]
        assert response.is_json
