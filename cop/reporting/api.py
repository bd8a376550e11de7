"""Reporting endpoints: measures, targets, quarterly reports (get, create, update, submit,
review) and the program and coalition summaries. The same predicates as the pages: another
coalition's report is a 404; a member sees the program totals, never other coalitions' rows."""

from __future__ import annotations

from flask import abort
from flask.views import MethodView
from flask_login import current_user, login_required
from flask_smorest import Blueprint

from cop.api import exempt_from_form_csrf
from cop.core.errors import Conflict, PermissionDenied, api_error
from cop.reporting import dashboards, queries, services
from cop.reporting.dashboards import Progress, number
from cop.reporting.models import QuarterlyReport
from cop.reporting.periods import GrantPeriod, Quarter, parse_quarter
from cop.reporting.permissions import (
    can_manage_measures,
    can_use_reporting,
    coalition_scope,
    get_coalition_or_404,
    get_measure_or_404,
    get_report_or_404,
)
from cop.reporting.schemas import (
    CoalitionSummarySchema,
    MeasureCreateSchema,
    MeasureSchema,
    MeasureUpdateSchema,
    ProgramSummarySchema,
    ReportCreateSchema,
    ReportQuerySchema,
    ReportSchema,
    ReportUpdateSchema,
    ReviewSchema,
    SummaryQuerySchema,
    TargetQuerySchema,
    TargetSchema,
    TargetsResultSchema,
    TargetsUpdateSchema,
)

blp = Blueprint(
    "reporting_api",
    __name__,
    url_prefix="/api/v1",
    description="Grant reporting: measures, targets, quarterly reports, summaries",
)
exempt_from_form_csrf(blp)


@blp.errorhandler(services.Invalid)
def _invalid(exc: services.Invalid):
    """Every refused field at once: {"error": {"code": "invalid", "details": {field: [..]}}}."""
    return api_error(422, exc.message, "invalid", {k: [v] for k, v in exc.errors.items()})


def _require_reporting() -> None:
    if not can_use_reporting(current_user):
        abort(404)


def _as_of(text: str) -> Quarter:
    period = GrantPeriod.current()
    chosen = parse_quarter(text)
    if chosen is None:
        return period.default_as_of()
    if not period.contains(chosen) or not period.started(chosen):
        abort(
            422, description=f"{chosen.label} is not a quarter of the grant period that has begun."
        )
    return chosen


def _out(report: QuarterlyReport) -> QuarterlyReport:
    """The report with its due date and page address, for the schema."""
    quarter = Quarter(report.year, report.quarter)
    report.due_on = GrantPeriod.current().due_on(quarter)
    report.url = services.report_url(report.coalition, quarter)
    return report


def _narrative(data: dict) -> dict:
    return {k: data[k] for k in services.NARRATIVE_FIELDS if k in data}


# ---------------------------------------------------------------- measures


@blp.route("/reporting/measures")
class Measures(MethodView):
    @login_required
    @blp.response(200, MeasureSchema(many=True))
    def get(self):
        """Every measure, retired ones included (`active` false), in display order."""
        _require_reporting()
        return queries.measures(active_only=False)

    @login_required
    @blp.arguments(MeasureCreateSchema)
    @blp.response(201, MeasureSchema)
    def post(self, data):
        """Add a measure (admins)."""
        _require_reporting()
        return services.create_measure(current_user, data)


@blp.route("/reporting/measures/<slug>")
class MeasureItem(MethodView):
    @login_required
    @blp.response(200, MeasureSchema)
    def get(self, slug: str):
        """One measure with its definition."""
        return get_measure_or_404(current_user, slug)

    @login_required
    @blp.arguments(MeasureUpdateSchema)
    @blp.response(200, MeasureSchema)
    def patch(self, data, slug: str):
        """Rename, redefine, reorder or retire a measure (admins). The kind of a measure with
        figures or targets cannot change."""
        measure = get_measure_or_404(current_user, slug)
        if not can_manage_measures(current_user):
            raise PermissionDenied("Only admins configure measures.")
        return services.update_measure(current_user, measure, data)


# ---------------------------------------------------------------- targets


@blp.route("/reporting/targets")
class Targets(MethodView):
    @login_required
    @blp.arguments(TargetQuerySchema, location="query")
    @blp.response(200, TargetSchema(many=True))
    def get(self, args):
        """Targets of the coalitions you may see (members: theirs; coaches: theirs)."""
        _require_reporting()
        scope = coalition_scope(current_user)
        if args["coalition"]:
            scope = frozenset({get_coalition_or_404(current_user, args["coalition"]).id})
        return queries.targets_list(scope)

    @login_required
    @blp.arguments(TargetsUpdateSchema)
    @blp.response(200, TargetsResultSchema)
    def put(self, data):
        """Set targets (admins): all items saved, or none. A null value removes a target."""
        _require_reporting()
        return {"changed": services.set_many_targets(current_user, data["targets"])}


# ---------------------------------------------------------------- reports


@blp.route("/reporting/reports")
class Reports(MethodView):
    @login_required
    @blp.arguments(ReportQuerySchema, location="query")
    @blp.response(200, ReportSchema(many=True))
    def get(self, args):
        """Reports you may see, newest quarter first (at most 500)."""
        _require_reporting()
        scope = coalition_scope(current_user)
        if args["coalition"]:
            scope = frozenset({get_coalition_or_404(current_user, args["coalition"]).id})
        found = queries.reports(
            scope,
            quarter=parse_quarter(args["quarter"]),
            status=args["status"] or None,
            with_figures=True,
            limit=500,
        )
        return [_out(r) for r in found]

    @login_required
    @blp.arguments(ReportCreateSchema)
    @blp.response(201, ReportSchema)
    @blp.alt_response(409, description="The coalition has a report for the quarter already")
    def post(self, data):
        """Start a coalition's report for a quarter, with figures and narrative (members of
        the coalition, admins)."""
        coalition = get_coalition_or_404(current_user, data["coalition"])
        quarter = parse_quarter(data["quarter"])
        if services.find_report(coalition, quarter) is not None:
            raise Conflict(
                f"{coalition.slug} has a {quarter.label} report already: PATCH it.",
                code="report_exists",
            )
        report = services.save_report(
            current_user,
            coalition,
            quarter,
            figures=data.get("figures") or {},
            narrative=_narrative(data),
        )
        return _out(report)


@blp.route("/reporting/reports/<int:report_id>")
class ReportItem(MethodView):
    @login_required
    @blp.response(200, ReportSchema)
    def get(self, report_id: int):
        """One report."""
        return _out(get_report_or_404(current_user, report_id))

    @login_required
    @blp.arguments(ReportUpdateSchema)
    @blp.response(200, ReportSchema)
    @blp.alt_response(409, description="Submitted or accepted: the coalition cannot change it")
    def patch(self, data, report_id: int):
        """Change figures and narrative (members while a draft or returned; admins always,
        audit-logged)."""
        report = get_report_or_404(current_user, report_id)
        report = services.save_report(
            current_user,
            report.coalition,
            Quarter(report.year, report.quarter),
            figures=data.get("figures") or {},
            narrative=_narrative(data),
        )
        return _out(report)


@blp.route("/reporting/reports/<int:report_id>/submit")
class ReportSubmit(MethodView):
    @login_required
    @blp.response(200, ReportSchema)
    def post(self, report_id: int):
        """Submit the report (the coalition's leads); its coaches are told."""
        return _out(
            services.submit_report(current_user, get_report_or_404(current_user, report_id))
        )


@blp.route("/reporting/reports/<int:report_id>/review")
class ReportReview(MethodView):
    @login_required
    @blp.arguments(ReviewSchema)
    @blp.response(200, ReportSchema)
    def post(self, data, report_id: int):
        """Accept a submitted report, or return it with comments (its coaches, admins); the
        leads are told, with the comments."""
        report = get_report_or_404(current_user, report_id)
        return _out(
            services.review_report(
                current_user, report, decision=data["decision"], comments=data["comments"]
            )
        )


# ---------------------------------------------------------------- summaries


def _progress(p: Progress) -> dict:
    return {
        "measure": p.measure.slug,
        "value_to_date": number(p.actual),
        "target_to_date": number(p.target),
        "percent_of_target": number(p.pct, "0.1"),
        "status": p.status,
        "grant_target": number(p.grant_target),
        "latest_quarter": p.latest.key if p.latest else None,
    }


@blp.route("/reporting/summary")
class ProgramSummary(MethodView):
    @login_required
    @blp.arguments(SummaryQuerySchema, location="query")
    @blp.response(200, ProgramSummarySchema)
    def get(self, args):
        """Program-wide progress as of a quarter, each measure's trend, and (coaches, admins)
        each coalition's progress."""
        _require_reporting()
        board = dashboards.program(current_user, _as_of(args["quarter"]))
        payload = {
            "as_of": board.as_of.key,
            "grant_start": board.period.first.key,
            "grant_end": board.period.last.key,
            "coalitions": board.coalition_count,
            "totals": [_progress(p) for p in board.totals],
            "trend": [
                {
                    "measure": m.slug,
                    "points": [
                        {
                            "quarter": pt.quarter.key,
                            "value": number(pt.value),
                            "target": number(pt.target),
                            "coalitions_reporting": pt.reporting,
                        }
                        for pt in board.trends[m.id]
                    ],
                }
                for m in board.measures
            ],
        }
        if board.staff:
            payload["coalition_rows"] = [
                {
                    "coalition": r.coalition.slug,
                    "name": r.coalition.name,
                    "report_status": r.report.state if r.report else "missing",
                    "progress": [_progress(r.cells[m.id]) for m in board.measures],
                }
                for r in board.rows
            ]
        return payload


@blp.route("/reporting/summary/coalitions/<slug>")
class CoalitionSummary(MethodView):
    @login_required
    @blp.arguments(SummaryQuerySchema, location="query")
    @blp.response(200, CoalitionSummarySchema)
    def get(self, args, slug: str):
        """A coalition's progress as of a quarter, quarter by quarter figures against target,
        and its reports (submitted, missing)."""
        coalition = get_coalition_or_404(current_user, slug)
        board = dashboards.coalition_board(current_user, coalition, _as_of(args["quarter"]))
        return {
            "coalition": coalition.slug,
            "name": coalition.name,
            "as_of": board.as_of.key,
            "progress": [_progress(p) for p in board.progress],
            "quarters": [
                {
                    "quarter": q.key,
                    "figures": {m.slug: number(board.cells[(m.id, q)][0]) for m in board.measures},
                    "targets": {m.slug: number(board.cells[(m.id, q)][1]) for m in board.measures},
                }
                for q in board.quarters
            ],
            "reports": [
                {
                    "quarter": r.quarter.key,
                    "status": r.state,
                    "due_on": r.due_on,
                    "overdue": r.overdue,
                }
                for r in board.reports
            ],
        }
