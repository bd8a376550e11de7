"""Who may see and do what with commitments: one rule, written once.

- everyone, with or without an account: the public form, the accepted commitments, the totals;
- the contact (through a signed link in an email) or the signed-in user who submitted it: its
  edit form while changes are asked for, and its progress reports once accepted;
- admins: the review queue, every commitment in every state, reviews.
A commitment that is not accepted is a 404 for everyone else, so ids reveal nothing.
"""

from __future__ import annotations

from flask import abort

from cop.accounts.models import User
from cop.commitments.models import Commitment, Status
from cop.extensions import db


def _active(user: User | None) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.active)


def can_review(user: User | None) -> bool:
    return _active(user) and user.is_admin


def is_owner(user: User | None, commitment: Commitment) -> bool:
    return _active(user) and commitment.submitted_by_id == user.id


def can_view_commitment(user: User | None, commitment: Commitment) -> bool:
    return commitment.status == Status.ACCEPTED or can_review(user) or is_owner(user, commitment)


def can_report_progress(user: User | None, commitment: Commitment) -> bool:
    """As a signed-in user: its submitter or an admin, once it is accepted."""
    return commitment.status == Status.ACCEPTED and (is_owner(user, commitment) or can_review(user))


def can_submit_signed_in(user: User | None) -> bool:
    """Signed-in users submit without confirming their email (guests, too: anyone may)."""
    return _active(user)


def get_visible_commitment_or_404(user: User | None, commitment_id: int) -> Commitment:
    commitment = db.session.get(Commitment, commitment_id)
    if commitment is None or not can_view_commitment(user, commitment):
        abort(404)
    return commitment


def get_reviewable_or_404(user: User | None, commitment_id: int) -> Commitment:
    commitment = db.session.get(Commitment, commitment_id)
    if commitment is None or not can_review(user):
        abort(404)
    return commitment


TEMPLATE_PREDICATES = {
    "can_review_commitments": can_review,
    "can_report_commitment_progress": can_report_progress,
}
