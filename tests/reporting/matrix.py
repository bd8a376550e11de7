"""The reporting routes x roles table, for tests/reporting/test_permissions.py and for the
global route matrix (tests/test_permission_matrix.py skips the endpoints of ENDPOINTS).

- `CASES = {"METHOD /path": {role: expected status}}`, one row per request;
- `ENDPOINTS = {"METHOD /path": endpoint}`, the Flask endpoint each row exercises;
- `BODIES`: the JSON bodies of API rows (placeholders filled in).

Paths carry placeholders that `resolve(key, ids(world))` fills in:
  {alpha}      the slug of world["alpha"] (coach, lead, member belong to it)
  {last}       the last quarter that ended (e.g. 2026Q3); {prev} the one before;
  {current}    the quarter under way
  {report}     a draft report of alpha for {last}, with a progress narrative
  {submitted}  a submitted report of alpha for {prev}
  {measure}    a measure's slug; {measure_id} its id
  {comparison} a published comparison; {session} a coaching session of alpha

Statuses: 200/201 allowed; 303 done and redirected; 302 strangers sent to log in; 400 let
through the permission checks to validation (an HTML POST carries only a CSRF token); 401 the
API asks for a token; 403 the user sees the thing but may not do this; 404 the user may not
know it exists.
"""

from __future__ import annotations

from tests.route_walker import ROLES  # noqa: F401 - each feature table names its roles
from tests.route_walker import row as _row

# Pages. USE: everyone in the program (coaches and coalition members); SEE: alpha's reporting.
USE = _row(200, 200, 200, 200, 200, 200, 404, 404, 302, 302)
SEE = _row(200, 200, 404, 200, 200, 404, 404, 404, 302, 302)
STAFF = _row(200, 200, 200, 403, 403, 403, 404, 404, 302, 302)
ADMIN = _row(200, 404, 404, 404, 404, 404, 404, 404, 302, 302)
ADMIN_POST = _row(400, 404, 404, 404, 404, 404, 404, 404, 302, 302)
# Members import their own coalition's figures; coaches do not import.
IMPORT = _row(200, 403, 403, 200, 200, 200, 404, 404, 302, 302)
IMPORT_TARGETS = _row(200, 403, 403, 403, 403, 403, 404, 404, 302, 302)
# API: bearer tokens; a switched-off account cannot get one (401 like the anonymous).
API_USE = _row(200, 200, 200, 200, 200, 200, 404, 404, 401, 401)
API_SEE = _row(200, 200, 404, 200, 200, 404, 404, 404, 401, 401)
API_ADMIN = _row(200, 403, 403, 403, 403, 403, 404, 404, 401, 401)

CASES: dict[str, dict[str, int]] = {
    # ------------------------------------------------------------ dashboards
    "GET /reporting/": USE,
    "GET /reporting/?quarter={prev}&sort={measure}&dir=desc": USE,
    "GET /reporting/measures/{measure}": USE,
    "GET /reporting/measures/no-such-measure": _row(
        404, 404, 404, 404, 404, 404, 404, 404, 302, 302
    ),
    "GET /reporting/coalitions/{alpha}": SEE,
    "GET /reporting/coalitions/{alpha}?measure={measure}&quarter={prev}": SEE,
    "GET /reporting/coalitions/no-such-coalition": _row(
        404, 404, 404, 404, 404, 404, 404, 404, 302, 302
    ),
    "GET /reporting/coach": STAFF,
    "GET /reporting/reports": STAFF,
    # ------------------------------------------------------------ a quarterly report
    "GET /reporting/coalitions/{alpha}/reports/{last}": SEE,
    "GET /reporting/coalitions/{alpha}/reports/2019Q1": _row(
        404, 404, 404, 404, 404, 404, 404, 404, 302, 302
    ),
    "GET /reporting/coalitions/{alpha}/reports/{last}/edit": _row(
        200, 403, 404, 200, 200, 404, 404, 404, 302, 302
    ),
    # A submitted report: admins may correct it; the coalition may not change it (409).
    "GET /reporting/coalitions/{alpha}/reports/{prev}/edit": _row(
        200, 403, 404, 409, 409, 404, 404, 404, 302, 302
    ),
    "POST /reporting/coalitions/{alpha}/reports/{last}/edit": _row(
        303, 403, 404, 303, 303, 404, 404, 404, 302, 302
    ),
    "POST /reporting/coalitions/{alpha}/reports/{last}/submit": _row(
        403, 403, 404, 303, 403, 404, 404, 404, 302, 302
    ),
    "POST /reporting/coalitions/{alpha}/reports/{prev}/review": _row(
        400, 400, 404, 403, 403, 404, 404, 404, 302, 302
    ),
    "GET /reporting/coalitions/{alpha}/reports/{last}/packet": SEE,
    # ------------------------------------------------------------ targets, imports
    "GET /reporting/coalitions/{alpha}/targets": _row(
        200, 403, 404, 403, 403, 404, 404, 404, 302, 302
    ),
    "POST /reporting/coalitions/{alpha}/targets": _row(
        303, 403, 404, 403, 403, 404, 404, 404, 302, 302
    ),
    "GET /reporting/import": IMPORT,
    "POST /reporting/import": _row(400, 403, 403, 400, 400, 400, 404, 404, 302, 302),
    "GET /reporting/import/template.csv": IMPORT,
    "GET /reporting/import/targets": IMPORT_TARGETS,
    "POST /reporting/import/targets": _row(400, 403, 403, 403, 403, 403, 404, 404, 302, 302),
    "GET /reporting/import/targets/template.csv": IMPORT_TARGETS,
    # ------------------------------------------------------------ measures (admins)
    "GET /reporting/admin/measures": ADMIN,
    "POST /reporting/admin/measures": ADMIN_POST,
    "GET /reporting/admin/measures/{measure_id}": ADMIN,
    "POST /reporting/admin/measures/{measure_id}": ADMIN_POST,
    # ------------------------------------------------------------ comparisons
    "GET /reporting/comparisons": USE,
    "POST /reporting/comparisons": _row(400, 403, 403, 403, 403, 403, 404, 404, 302, 302),
    "GET /reporting/comparisons/{comparison}": USE,
    "GET /reporting/comparisons/{comparison}.csv": USE,
    "POST /reporting/comparisons/{comparison}/withdraw": _row(
        303, 403, 403, 403, 403, 403, 404, 404, 302, 302
    ),
    # ------------------------------------------------------------ coaching to outcomes
    "POST /reporting/sessions/{session}/measures": _row(
        303, 303, 404, 403, 403, 404, 404, 404, 302, 302
    ),
    # ------------------------------------------------------------ CSV of every table
    "GET /reporting/export/program.csv?table=totals": USE,
    "GET /reporting/export/program.csv?table=coalitions": _row(
        200, 200, 200, 404, 404, 404, 404, 404, 302, 302
    ),
    "GET /reporting/export/coalitions/{alpha}.csv?table=quarters": SEE,
    "GET /reporting/export/measures/{measure}.csv": USE,
    "GET /reporting/export/coach.csv": STAFF,
    "GET /reporting/export/reports.csv": STAFF,
    # ------------------------------------------------------------ the API
    "GET /api/v1/reporting/measures": API_USE,
    "POST /api/v1/reporting/measures": _row(201, 403, 403, 403, 403, 403, 404, 404, 401, 401),
    "GET /api/v1/reporting/measures/{measure}": API_USE,
    "PATCH /api/v1/reporting/measures/{measure}": API_ADMIN,
    "GET /api/v1/reporting/targets": API_USE,
    "GET /api/v1/reporting/targets?coalition={alpha}": API_SEE,
    "PUT /api/v1/reporting/targets": API_ADMIN,
    "GET /api/v1/reporting/reports": API_USE,
    "POST /api/v1/reporting/reports": _row(201, 403, 404, 201, 201, 404, 404, 404, 401, 401),
    "GET /api/v1/reporting/reports/{report_id}": API_SEE,
    "PATCH /api/v1/reporting/reports/{report_id}": _row(
        200, 403, 404, 200, 200, 404, 404, 404, 401, 401
    ),
    "POST /api/v1/reporting/reports/{report_id}/submit": _row(
        403, 403, 404, 200, 403, 404, 404, 404, 401, 401
    ),
    "POST /api/v1/reporting/reports/{submitted_id}/review": _row(
        200, 200, 404, 403, 403, 404, 404, 404, 401, 401
    ),
    "GET /api/v1/reporting/summary": API_USE,
    "GET /api/v1/reporting/summary/coalitions/{alpha}": API_SEE,
}

ENDPOINTS: dict[str, str] = {
    "GET /reporting/": "reporting.index",
    "GET /reporting/?quarter={prev}&sort={measure}&dir=desc": "reporting.index",
    "GET /reporting/measures/{measure}": "reporting.measure",
    "GET /reporting/measures/no-such-measure": "reporting.measure",
    "GET /reporting/coalitions/{alpha}": "reporting.coalition",
    "GET /reporting/coalitions/{alpha}?measure={measure}&quarter={prev}": "reporting.coalition",
    "GET /reporting/coalitions/no-such-coalition": "reporting.coalition",
    "GET /reporting/coach": "reporting.coach",
    "GET /reporting/reports": "reporting.reports",
    "GET /reporting/coalitions/{alpha}/reports/{last}": "reporting.report",
    "GET /reporting/coalitions/{alpha}/reports/2019Q1": "reporting.report",
    "GET /reporting/coalitions/{alpha}/reports/{last}/edit": "reporting.edit_report",
    "GET /reporting/coalitions/{alpha}/reports/{prev}/edit": "reporting.edit_report",
    "POST /reporting/coalitions/{alpha}/reports/{last}/edit": "reporting.edit_report",
    "POST /reporting/coalitions/{alpha}/reports/{last}/submit": "reporting.submit_report",
    "POST /reporting/coalitions/{alpha}/reports/{prev}/review": "reporting.review_report",
    "GET /reporting/coalitions/{alpha}/reports/{last}/packet": "reporting.packet",
    "GET /reporting/coalitions/{alpha}/targets": "reporting.targets",
    "POST /reporting/coalitions/{alpha}/targets": "reporting.targets",
    "GET /reporting/import": "reporting.import_figures",
    "POST /reporting/import": "reporting.import_figures",
    "GET /reporting/import/template.csv": "reporting.import_template",
    "GET /reporting/import/targets": "reporting.import_targets",
    "POST /reporting/import/targets": "reporting.import_targets",
    "GET /reporting/import/targets/template.csv": "reporting.import_targets_template",
    "GET /reporting/admin/measures": "reporting.measures",
    "POST /reporting/admin/measures": "reporting.measures",
    "GET /reporting/admin/measures/{measure_id}": "reporting.edit_measure",
    "POST /reporting/admin/measures/{measure_id}": "reporting.edit_measure",
    "GET /reporting/comparisons": "reporting.comparisons",
    "POST /reporting/comparisons": "reporting.comparisons",
    "GET /reporting/comparisons/{comparison}": "reporting.comparison",
    "GET /reporting/comparisons/{comparison}.csv": "reporting.comparison_csv",
    "POST /reporting/comparisons/{comparison}/withdraw": "reporting.withdraw_comparison",
    "POST /reporting/sessions/{session}/measures": "reporting.tag_session",
    "GET /reporting/export/program.csv?table=totals": "reporting.export_program",
    "GET /reporting/export/program.csv?table=coalitions": "reporting.export_program",
    "GET /reporting/export/coalitions/{alpha}.csv?table=quarters": "reporting.export_coalition",
    "GET /reporting/export/measures/{measure}.csv": "reporting.export_measure",
    "GET /reporting/export/coach.csv": "reporting.export_coach",
    "GET /reporting/export/reports.csv": "reporting.export_reports",
    "GET /api/v1/reporting/measures": "reporting_api.Measures",
    "POST /api/v1/reporting/measures": "reporting_api.Measures",
    "GET /api/v1/reporting/measures/{measure}": "reporting_api.MeasureItem",
    "PATCH /api/v1/reporting/measures/{measure}": "reporting_api.MeasureItem",
    "GET /api/v1/reporting/targets": "reporting_api.Targets",
    "GET /api/v1/reporting/targets?coalition={alpha}": "reporting_api.Targets",
    "PUT /api/v1/reporting/targets": "reporting_api.Targets",
    "GET /api/v1/reporting/reports": "reporting_api.Reports",
    "POST /api/v1/reporting/reports": "reporting_api.Reports",
    "GET /api/v1/reporting/reports/{report_id}": "reporting_api.ReportItem",
    "PATCH /api/v1/reporting/reports/{report_id}": "reporting_api.ReportItem",
    "POST /api/v1/reporting/reports/{report_id}/submit": "reporting_api.ReportSubmit",
    "POST /api/v1/reporting/reports/{submitted_id}/review": "reporting_api.ReportReview",
    "GET /api/v1/reporting/summary": "reporting_api.ProgramSummary",
    "GET /api/v1/reporting/summary/coalitions/{alpha}": "reporting_api.CoalitionSummary",
}

BODIES: dict[str, dict] = {
    "POST /api/v1/reporting/measures": {
        "slug": "matrix-measure",
        "name": "Matrix measure",
        "kind": "count",
    },
    "PATCH /api/v1/reporting/measures/{measure}": {"definition": "Changed by the matrix."},
    "PUT /api/v1/reporting/targets": {
        "targets": [{"coalition": "{alpha}", "measure": "{measure}", "period": 0, "value": 120}]
    },
    "POST /api/v1/reporting/reports": {
        "coalition": "{alpha}",
        "quarter": "{current}",
        "figures": {"{measure}": 7},
    },
    "PATCH /api/v1/reporting/reports/{report_id}": {"progress": "Edited through the API."},
    "POST /api/v1/reporting/reports/{submitted_id}/review": {"decision": "accept"},
}


def body(key: str, values: dict[str, object]) -> dict:
    """The JSON body of a row with its placeholders filled in, in keys and values."""

    def fill(value):
        if isinstance(value, str) and "{" in value:
            return value.format(**values)
        if isinstance(value, list):
            return [fill(v) for v in value]
        if isinstance(value, dict):
            return {fill(k): fill(v) for k, v in value.items()}
        return value

    return fill(BODIES.get(key, {}))


def ids(world) -> dict[str, object]:
    """Create what the placeholders name; return their values."""
    from datetime import timedelta

    from cop.coaching import services as coaching
    from cop.core.models import utcnow
    from cop.extensions import db
    from cop.reporting import services
    from cop.reporting.models import Measure
    from tests.reporting.conftest import make_report, quarters

    services.ensure_default_measures()
    qs = quarters()
    alpha = world["alpha"]
    draft = make_report(alpha, qs["last"], {"new-participants-served": 12})
    submitted = make_report(
        alpha, qs["prev"], {"new-participants-served": 9}, status="submitted", actor=world["lead"]
    )
    m = db.session.execute(
        db.select(Measure).where(Measure.slug == "new-participants-served")
    ).scalar_one()
    comparison = services.publish_comparison(world["admin"], qs["last"], title="Matrix")
    coaching.ensure_default_topics()
    session = coaching.log_session(
        world["coach"],
        alpha,
        {
            "started_at": utcnow() - timedelta(days=1),
            "duration_minutes": 45,
            "modality": "phone",
            "initiated_by": "coalition",
            "coach_ids": [world["coach"].id],
            "attendee_ids": [],
            "other_attendees": "",
            "topics": ["apprenticeship"],
            "need": "",
            "summary": "Outreach",
            "outcome": "",
            "next_session_on": None,
            "private_notes": "",
        },
    )
    return {
        "alpha": alpha.slug,
        "last": qs["last"].key,
        "prev": qs["prev"].key,
        "current": qs["current"].key,
        "report_id": draft.id,
        "submitted_id": submitted.id,
        "measure": m.slug,
        "measure_id": m.id,
        "comparison": comparison.id,
        "session": session.id,
    }


def resolve(key: str, values: dict[str, object]) -> tuple[str, str]:
    method, path = key.split(" ", 1)
    return method, path.format(**values)
