"""Who may see and do what in grant reporting. Used by views, API, exports, notifications and
templates: one rule, written once.

- admins: everything (measures, targets, imports, reviews, comparisons, corrections of
  submitted figures, which the audit log keeps);
- coaches: the program-wide totals and the figures, reports and dashboards of the coalitions
  assigned to them; they review those coalitions' reports;
- a coalition's members: its figures and reports, and the program-wide totals; they draft
  the report (figures and narrative) while it is a draft or returned; its leads submit it;
- nobody else (other coalitions' members, experts, guests): a 404 for any coalition's
  reporting, so slugs and ids reveal nothing. Other coalitions' figures reach members only
  through a comparison an admin published.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort

from cop.accounts.models import User
from cop.coalitions.models import Coalition, is_valid_slug
from cop.coalitions.permissions import (
    can_view_coalition_private,
    coached_scope,
    is_assigned_coach,
    is_lead,
    is_member,
    is_staff,
    is_staff_or_member,
    memberships_of,
    private_coalition_scope,
)
from cop.coalitions.permissions import is_active_user as _active
from cop.extensions import db
from cop.reporting.models import Comparison, Measure, QuarterlyReport, ReportStatus

# Admins and coaches.
is_reporting_staff = is_staff
# The "Reporting" entry and the program-wide totals: staff and coalition members.
can_use_reporting = is_staff_or_member
# A coalition's figures, reports and dashboard: admins, its coaches, its members.
can_view_coalition_reporting = can_view_coalition_private
# The coalitions whose figures the user sees; None means all of them (admins).
coalition_scope = private_coalition_scope
# The coalitions whose rows the user sees in cross-coalition tables; None: all.
staff_scope = coached_scope


def can_view_coalition_table(user: User | None) -> bool:
    """The table of coalitions on the program dashboard (each sees their scope's rows)."""
    return is_reporting_staff(user)


def can_view_coach_dashboard(user: User | None) -> bool:
    return is_reporting_staff(user)


def can_view_review_queue(user: User | None) -> bool:
    return is_reporting_staff(user)


def can_see_peer_figures(user: User | None) -> bool:
    """Peer suggestions: staff see the peers' percentages; members see names only."""
    return is_reporting_staff(user)


# ---------------------------------------------------------------- reports


def can_draft_report(user: User | None, coalition: Coalition) -> bool:
    """Write figures and narrative for the coalition (the report's state is checked apart):
    its members and leads, and admins (who may also correct submitted reports)."""
    return _active(user) and (user.is_admin or is_member(user, coalition))


def can_edit_report(
    user: User | None, coalition: Coalition, report: QuarterlyReport | None
) -> bool:
    """Draft (or, for admins, correct) this report now."""
    if not can_draft_report(user, coalition):
        return False
    return user.is_admin or report is None or report.is_editable


def can_submit_report(user: User | None, report: QuarterlyReport | None) -> bool:
    """Hand the report in: the coalition's leads, while it is a draft or returned."""
    return report is not None and report.is_editable and is_lead(user, report.coalition)


def can_review_report(user: User | None, report: QuarterlyReport | None) -> bool:
    """Accept or return a submitted report: admins and the coalition's coaches."""
    if report is None or report.status != ReportStatus.SUBMITTED:
        return False
    return _active(user) and (user.is_admin or is_assigned_coach(user, report.coalition))


def can_reviewer_of(user: User | None, coalition: Coalition) -> bool:
    """Reviews this coalition's reports, whatever their state (the review form's audience)."""
    return _active(user) and (user.is_admin or is_assigned_coach(user, coalition))


# ---------------------------------------------------------------- administration


def can_manage_measures(user: User | None) -> bool:
    return _active(user) and user.is_admin


def can_manage_targets(user: User | None) -> bool:
    return _active(user) and user.is_admin


def can_import_figures(user: User | None) -> bool:
    """Admins for any coalition; members for their own coalition's open reports."""
    return _active(user) and (user.is_admin or bool(memberships_of(user)))


def can_import_targets(user: User | None) -> bool:
    return _active(user) and user.is_admin


def can_publish_comparisons(user: User | None) -> bool:
    return _active(user) and user.is_admin


def can_view_comparison(user: User | None, comparison: Comparison) -> bool:
    if not can_use_reporting(user):
        return False
    return comparison.is_published or user.is_admin


# ---------------------------------------------------------------- coaching to outcomes


def can_tag_session_measures(user: User | None, session) -> bool:
    """Tag a coaching session with the measures it aims at: who may edit the session."""
    from cop.coaching.permissions import can_edit_session

    return can_edit_session(user, session)


def can_view_coaching_summary(user: User | None, coalition: Coalition) -> bool:
    """Coaching hours and topics next to the figures: who may see the coaching log."""
    from cop.coaching.permissions import can_view_session_log

    return can_view_session_log(user, coalition)


# ---------------------------------------------------------------- loaders that 404


def get_coalition_or_404(user: User | None, slug: str) -> Coalition:
    if not is_valid_slug(slug):
        abort(404)
    coalition = db.session.execute(
        sa.select(Coalition).where(Coalition.slug == slug)
    ).scalar_one_or_none()
    if coalition is None or not can_view_coalition_reporting(user, coalition):
        abort(404)
    return coalition


def get_report_or_404(user: User | None, report_id: int) -> QuarterlyReport:
    report = db.session.get(QuarterlyReport, report_id)
    if report is None or not can_view_coalition_reporting(user, report.coalition):
        abort(404)
    return report


def get_measure_or_404(user: User | None, slug: str) -> Measure:
    if not can_use_reporting(user) or not slug or len(slug) > 60 or "\x00" in slug:
        abort(404)
    measure = db.session.execute(
        sa.select(Measure).where(Measure.slug == slug)
    ).scalar_one_or_none()
    if measure is None:
        abort(404)
    return measure


def get_comparison_or_404(user: User | None, comparison_id: int) -> Comparison:
    comparison = db.session.get(Comparison, comparison_id)
    if comparison is None or not can_view_comparison(user, comparison):
        abort(404)
    return comparison


TEMPLATE_PREDICATES = {
    "can_use_reporting": can_use_reporting,
    "can_view_coalition_reporting": can_view_coalition_reporting,
    "can_view_coalition_table": can_view_coalition_table,
    "can_view_coach_dashboard": can_view_coach_dashboard,
    "can_view_review_queue": can_view_review_queue,
    "can_see_peer_figures": can_see_peer_figures,
    "can_draft_report": can_draft_report,
    "can_edit_report": can_edit_report,
    "can_submit_report": can_submit_report,
    "can_review_report": can_review_report,
    "can_manage_measures": can_manage_measures,
    "can_manage_targets": can_manage_targets,
    "can_import_figures": can_import_figures,
    "can_import_targets": can_import_targets,
    "can_publish_comparisons": can_publish_comparisons,
    "can_tag_session_measures": can_tag_session_measures,
    "can_view_coaching_summary": can_view_coaching_summary,
    "is_reporting_staff": is_reporting_staff,
}
