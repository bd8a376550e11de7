"""Read side: the public list of accepted commitments, their totals, the review queue."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from cop.accounts.models import User
from cop.coalitions.models import STATES
from cop.commitments.models import (
    NUMBERS,
    PROGRESS,
    Commitment,
    CommitmentSector,
    CommitmentState,
    Status,
    sector_label,
)
from cop.commitments.services import ORG_TYPES, SECTORS
from cop.core.pagination import Page, decode_cursor, encode_cursor
from cop.extensions import db

PAGE_SIZE = 25


@dataclass
class Filters:
    sector: str = ""
    state: str = ""
    org_type: str = ""

    @classmethod
    def parse(cls, args) -> Filters:
        """Unknown values are ignored (a stale bookmark shows everything, not an error)."""
        sector = args.get("sector") or ""
        state = (args.get("state") or "").upper()
        org_type = args.get("org_type") or ""
        return cls(
            sector if sector in SECTORS else "",
            state if state in STATES else "",
            org_type if org_type in ORG_TYPES else "",
        )

    @property
    def active(self) -> bool:
        return bool(self.sector or self.state or self.org_type)

    def as_args(self) -> dict[str, str]:
        return {k: v for k, v in vars(self).items() if v}


def _accepted(filters: Filters):
    conditions = [Commitment.status == Status.ACCEPTED]
    if filters.sector:
        conditions.append(
            sa.exists().where(
                CommitmentSector.commitment_id == Commitment.id,
                CommitmentSector.sector == filters.sector,
            )
        )
    if filters.state:
        conditions.append(
            sa.exists().where(
                CommitmentState.commitment_id == Commitment.id,
                CommitmentState.state == filters.state,
            )
        )
    if filters.org_type:
        conditions.append(Commitment.org_type == filters.org_type)
    return conditions


def accepted_page(filters: Filters, after: str | None = None, size: int = PAGE_SIZE) -> Page:
    """Accepted commitments by organization name (keyset pages)."""
    stmt = sa.select(Commitment).where(*_accepted(filters))
    cursor = decode_cursor(after)
    if cursor and len(cursor) == 2 and isinstance(cursor[0], str) and isinstance(cursor[1], int):
        stmt = stmt.where(sa.tuple_(Commitment.org_name, Commitment.id) > tuple(cursor))
    rows = list(
        db.session.execute(
            stmt.order_by(Commitment.org_name, Commitment.id).limit(size + 1)
        ).scalars()
    )
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        next_cursor = encode_cursor([rows[-1].org_name, rows[-1].id])
    return Page(rows, next_cursor)


def _sums():
    columns = [sa.func.count(sa.distinct(Commitment.id)).label("count")]
    for key in NUMBERS:
        progress = PROGRESS[key]
        columns.append(sa.func.coalesce(sa.func.sum(getattr(Commitment, key)), 0).label(key))
        columns.append(
            sa.func.coalesce(sa.func.sum(getattr(Commitment, progress)), 0).label(progress)
        )
    return columns


@dataclass
class Totals:
    label: str
    count: int
    figures: dict[str, int]

    def pledged(self, key: str) -> int:
        return self.figures[key]

    def so_far(self, key: str) -> int:
        return self.figures[PROGRESS[key]]

    def percent(self, key: str) -> int | None:
        pledged = self.figures[key]
        return None if not pledged else round(100 * self.figures[PROGRESS[key]] / pledged)


def _totals(label: str, row) -> Totals:
    figures = {k: int(row._mapping[k] or 0) for k in (*NUMBERS, *PROGRESS.values())}
    return Totals(label, int(row._mapping["count"] or 0), figures)


def totals(filters: Filters | None = None) -> Totals:
    """Sums over the accepted commitments matching the filters, each counted once."""
    row = db.session.execute(sa.select(*_sums()).where(*_accepted(filters or Filters()))).one()
    return _totals("All accepted commitments", row)


def by_sector() -> list[Totals]:
    """One row per sector; a commitment in several sectors counts in each."""
    rows = db.session.execute(
        sa.select(CommitmentSector.sector, *_sums())
        .join(Commitment, Commitment.id == CommitmentSector.commitment_id)
        .where(Commitment.status == Status.ACCEPTED)
        .group_by(CommitmentSector.sector)
    ).all()
    found = {r.sector: r for r in rows}
    return [_totals(sector_label(s), found[s]) for s in SECTORS if s in found]


def by_state() -> list[Totals]:
    """One row per state with commitments; a commitment in several states counts in each."""
    rows = db.session.execute(
        sa.select(CommitmentState.state, *_sums())
        .join(Commitment, Commitment.id == CommitmentState.commitment_id)
        .where(Commitment.status == Status.ACCEPTED)
        .group_by(CommitmentState.state)
    ).all()
    return sorted((_totals(STATES.get(r.state, r.state), r) for r in rows), key=lambda t: t.label)


REVIEW_STATUSES = [
    Status.SUBMITTED,
    Status.CHANGES_REQUESTED,
    Status.UNCONFIRMED,
    Status.ACCEPTED,
    Status.DECLINED,
]


def review_list(status: str) -> list[Commitment]:
    """Commitments in one state for the review queue, oldest first (at most 200)."""
    return list(
        db.session.execute(
            sa.select(Commitment)
            .where(Commitment.status == status)
            .order_by(
                sa.func.coalesce(Commitment.submitted_at, Commitment.created_at), Commitment.id
            )
            .limit(200)
        ).scalars()
    )


def status_counts() -> dict[str, int]:
    rows = db.session.execute(
        sa.select(Commitment.status, sa.func.count()).group_by(Commitment.status)
    ).all()
    counts = {s.value: 0 for s in REVIEW_STATUSES}
    counts.update({status: n for status, n in rows})
    return counts


def submitted_by(user: User) -> list[Commitment]:
    if not getattr(user, "is_authenticated", False):
        return []
    return list(
        db.session.execute(
            sa.select(Commitment)
            .where(Commitment.submitted_by_id == user.id)
            .order_by(Commitment.created_at.desc())
            .limit(50)
        ).scalars()
    )
