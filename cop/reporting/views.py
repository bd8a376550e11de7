"""Reporting pages: dashboards (program, coalition, measure, coach), quarterly reports (view,
edit, submit, review, packet), targets, CSV imports and exports, measures, comparisons, and
the measures a coaching session aims at."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge

from cop.accounts.forms import choices
from cop.coalitions.permissions import is_lead, memberships_of
from cop.core.csvsafe import csv_response
from cop.core.errors import Conflict, ServiceError
from cop.core.forms import error_list
from cop.extensions import db
from cop.reporting import dashboards, exports, imports, queries, services
from cop.reporting.charts import column_chart
from cop.reporting.dashboards import fmt_value
from cop.reporting.forms import (
    ButtonForm,
    ComparisonForm,
    ImportForm,
    MeasureForm,
    ReviewForm,
    SessionMeasuresForm,
    TargetImportForm,
    figure_field,
    report_form,
    targets_form,
)
from cop.reporting.models import KIND_LABELS, Measure
from cop.reporting.periods import GrantPeriod, Quarter, parse_quarter, today
from cop.reporting.permissions import (
    can_draft_report,
    can_edit_report,
    can_import_figures,
    can_import_targets,
    can_manage_measures,
    can_manage_targets,
    can_publish_comparisons,
    can_review_report,
    can_reviewer_of,
    can_submit_report,
    can_tag_session_measures,
    can_use_reporting,
    can_view_coach_dashboard,
    can_view_coaching_summary,
    can_view_review_queue,
    get_coalition_or_404,
    get_comparison_or_404,
    get_measure_or_404,
    staff_scope,
)

bp = Blueprint("reporting", __name__, url_prefix="/reporting")


# ---------------------------------------------------------------- helpers


def _require(allowed: bool, visible: bool = True, message: str = "") -> None:
    """404 for who may not know the page; 403 with a reason for who sees it but may not act."""
    if allowed:
        return
    if visible and message:
        abort(403, description=message)
    abort(404)


def _as_of(period: GrantPeriod) -> Quarter:
    chosen = parse_quarter(request.args.get("quarter"))
    if chosen is not None and period.contains(chosen) and period.started(chosen):
        return chosen
    return period.default_as_of()


def _quarter_in_path(period: GrantPeriod, text: str) -> Quarter:
    quarter = parse_quarter(text)
    if quarter is None or not period.contains(quarter) or not period.started(quarter):
        abort(404)
    return quarter


def _choices(period: GrantPeriod) -> list[Quarter]:
    return list(reversed(period.reportable()))


def _csv(table) -> object:
    if table is None:
        abort(404)
    return csv_response(*table)


def _field_errors(form, errors: dict[str, str], measures: list[Measure]) -> None:
    """A service's per-field refusals next to the form's fields."""
    names = {f"figures.{m.slug}": figure_field(m) for m in measures}
    for key, message in errors.items():
        field = getattr(form, names.get(key, key), None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, message]
        else:
            form.form_errors.append(message)


def chart_points(points, fmt):
    return [
        (f"Q{p.quarter.number} {p.quarter.year}", p.quarter.label, p.value, p.target)
        for p in points
    ], fmt


# ---------------------------------------------------------------- dashboards


@bp.get("/")
@login_required
def index():
    _require(can_use_reporting(current_user))
    period = GrantPeriod.current()
    as_of = _as_of(period)
    board = dashboards.program(
        current_user,
        as_of,
        sort=request.args.get("sort", ""),
        direction=request.args.get("dir", "asc"),
    )
    charts = {
        m.id: column_chart(
            f"trend-{m.slug}",
            f"{m.name}: program total per quarter"
            if m.kind == "count"
            else f"{m.name}: coalitions' average per quarter",
            "Columns are the program's figures, dashed marks the targets; the table “Program "
            "figures per quarter” gives the same numbers.",
            *chart_points(board.trends[m.id], lambda v, m=m: fmt_value(m, v)),
        )
        for m in board.measures
    }
    return render_template(
        "reporting/program.html",
        board=board,
        charts=charts,
        quarter_choices=_choices(period),
        comparisons=queries.comparisons()[:5],
        mine=[] if board.staff else queries.coalitions(frozenset(memberships_of(current_user))),
    )


@bp.get("/measures/<slug>")
@login_required
def measure(slug: str):
    m = get_measure_or_404(current_user, slug)
    period = GrantPeriod.current()
    board = dashboards.measure_board(current_user, m, _as_of(period))
    chart = column_chart(
        f"trend-{m.slug}",
        f"{m.name} per quarter, program-wide",
        "Columns are the program's figures, dashed marks the targets; the "
        "table below gives the same numbers.",
        *chart_points(board.trend, lambda v: fmt_value(m, v)),
    )
    return render_template(
        "reporting/measure.html", board=board, chart=chart, quarter_choices=_choices(period)
    )


@bp.get("/coalitions/<slug>")
@login_required
def coalition(slug: str):
    c = get_coalition_or_404(current_user, slug)
    period = GrantPeriod.current()
    board = dashboards.coalition_board(
        current_user, c, _as_of(period), measure_slug=request.args.get("measure", "")
    )
    charts = {}
    if board.chosen is not None:
        m = board.chosen
        charts["trend"] = column_chart(
            "chart-trend",
            f"{m.name}, {c.name}, per quarter",
            "Columns are the coalition's figures, dashed marks the quarter targets; the table "
            "beside the chart gives the same numbers.",
            *chart_points(board.trend, lambda v: fmt_value(m, v)),
        )
    if board.coaching:
        from cop.coaching.analysis import fmt_hours

        charts["coaching"] = column_chart(
            "chart-coaching",
            f"Hours of coaching per quarter, {c.name}",
            "Columns are hours of coaching; the table beside the chart gives the same numbers "
            "with the sessions by topic.",
            [
                (f"Q{cq.quarter.number} {cq.quarter.year}", cq.quarter.label, cq.hours, None)
                for cq in board.coaching
            ],
            lambda v: fmt_hours(v or 0),
            value_label="Hours of coaching",
        )
    return render_template(
        "reporting/coalition.html",
        board=board,
        coalition=c,
        charts=charts,
        quarter_choices=_choices(period),
        chat_dm=_chat_dm_available(),
        fmt_hours=_fmt_hours,
    )


def _fmt_hours(value: float) -> str:
    from cop.coaching.analysis import fmt_hours

    return fmt_hours(value)


def _chat_dm_available() -> bool:
    """A direct-message link to a peer's lead, when the chat feature is installed."""
    return "chat.direct" in current_app.view_functions


@bp.get("/coach")
@login_required
def coach():
    _require(
        can_view_coach_dashboard(current_user),
        can_use_reporting(current_user),
        "The coach dashboard is for coaches and program staff.",
    )
    period = GrantPeriod.current()
    chosen = None
    if current_user.is_admin and request.args.get("coach", "").isdigit():
        chosen = next((u for u in queries.coaches() if u.id == int(request.args["coach"])), None)
    board = dashboards.coach_board(current_user, _as_of(period), coach=chosen)
    return render_template(
        "reporting/coach.html",
        board=board,
        quarter_choices=_choices(period),
        coaches=queries.coaches() if current_user.is_admin else [],
    )


@bp.get("/reports")
@login_required
def reports():
    _require(
        can_view_review_queue(current_user),
        can_use_reporting(current_user),
        "The list of reports is for coaches and program staff; your coalition's reports "
        "are on its reporting page.",
    )
    period = GrantPeriod.current()
    quarter = _as_of(period)
    status = request.args.get("status", "")
    rows = _report_rows(period, quarter, status)
    return render_template(
        "reporting/reports.html",
        rows=rows,
        quarter=quarter,
        status=status,
        quarter_choices=_choices(period),
        statuses=dashboards.STATUSES,
    )


def _report_rows(period: GrantPeriod, quarter: Quarter, status: str):
    scope = staff_scope(current_user)
    found = {r.coalition_id: r for r in queries.reports(scope, quarter=quarter)}
    day = today()
    rows = [
        (c, dashboards.report_row(period, quarter, found.get(c.id), day))
        for c in queries.coalitions(scope)
    ]
    if status in dashboards.STATUSES:
        rows = [(c, r) for c, r in rows if r.state == status]
    return rows


# ---------------------------------------------------------------- a quarterly report


def _report_context(slug: str, quarter_text: str):
    c = get_coalition_or_404(current_user, slug)
    period = GrantPeriod.current()
    quarter = _quarter_in_path(period, quarter_text)
    return c, period, quarter, queries.report_for(c, quarter)


def _render_report(c, period, quarter, report, review_form=None, status=200):
    measures = queries.measures(active_only=False)
    board = dashboards.coalition_board(current_user, c, quarter, with_peers=False)
    progress = {p.measure.id: p for p in board.progress}
    figures = {f.measure_id: f.value for f in (report.figures if report else [])}
    shown = [m for m in measures if m.active or m.id in figures]
    row = dashboards.report_row(period, quarter, report, today())
    return render_template(
        "reporting/report.html",
        coalition=c,
        quarter=quarter,
        report=report,
        row=row,
        measures=shown,
        figures=figures,
        progress=progress,
        cells=board.cells,
        review_form=review_form or ReviewForm(formdata=None),
        button=ButtonForm(),
        review_errors=error_list(review_form) if review_form else [],
    ), status


@bp.get("/coalitions/<slug>/reports/<quarter>")
@login_required
def report(slug: str, quarter: str):
    return _render_report(*_report_context(slug, quarter))


@bp.route("/coalitions/<slug>/reports/<quarter>/edit", methods=["GET", "POST"])
@login_required
def edit_report(slug: str, quarter: str):
    c, period, q, report = _report_context(slug, quarter)
    _require(
        can_draft_report(current_user, c),
        True,
        "Coaches review reports; the coalition's members write them.",
    )
    if not can_edit_report(current_user, c, report):
        raise Conflict(services.locked_message(report), code="report_locked")
    measures = [
        m
        for m in queries.measures(active_only=False)
        if m.active or (report and any(f.measure_id == m.id for f in report.figures))
    ]
    if request.method == "GET" and report is not None:
        data = {figure_field(f.measure): str(services.plain(f.value)) for f in report.figures}
        data.update({k: getattr(report, k) for k in services.NARRATIVE_FIELDS})
        form = report_form(measures, data=data, formdata=None)
    else:
        form = report_form(measures)
    if form.validate_on_submit():
        figures = {m.slug: getattr(form, figure_field(m)).data for m in measures if m.active}
        narrative = {k: getattr(form, k).data or "" for k in services.NARRATIVE_FIELDS}
        try:
            report = services.save_report(current_user, c, q, figures=figures, narrative=narrative)
        except services.Invalid as exc:
            db.session.rollback()
            _field_errors(form, exc.errors, measures)
        else:
            if request.form.get("then") == "submit" and can_submit_report(current_user, report):
                return _submit(c, q, report)
            flash(f"The {q.label} report is saved.", "success")
            return redirect(url_for("reporting.report", slug=c.slug, quarter=q.key), code=303)
    return render_template(
        "reporting/report_form.html",
        coalition=c,
        quarter=q,
        report=report,
        form=form,
        measures=measures,
        error_list=error_list(form),
        due_on=period.due_on(q),
        can_submit=(
            is_lead(current_user, c) if report is None else can_submit_report(current_user, report)
        ),
    ), (400 if request.method == "POST" else 200)


def _submit(c, q: Quarter, report):
    try:
        services.submit_report(current_user, report)
    except services.Invalid as exc:
        db.session.rollback()
        flash(f"The report is saved but not submitted: {exc.message}", "error")
    else:
        flash(
            f"The {q.label} report is submitted. Your coach is told; you will hear when it "
            "is reviewed.",
            "success",
        )
    return redirect(url_for("reporting.report", slug=c.slug, quarter=q.key), code=303)


@bp.post("/coalitions/<slug>/reports/<quarter>/submit")
@login_required
def submit_report(slug: str, quarter: str):
    c, _, q, report = _report_context(slug, quarter)
    if report is None:
        abort(404)
    if not report.is_editable:
        raise Conflict(services.locked_message(report), code="report_locked")
    _require(
        can_submit_report(current_user, report),
        True,
        "Only the coalition's leads submit its report.",
    )
    ButtonForm().validate_on_submit() or abort(400)
    return _submit(c, q, report)


@bp.post("/coalitions/<slug>/reports/<quarter>/review")
@login_required
def review_report(slug: str, quarter: str):
    c, period, q, report = _report_context(slug, quarter)
    if report is None:
        abort(404)
    _require(
        can_reviewer_of(current_user, c),
        True,
        "Only the coalition's coaches and program staff review its reports.",
    )
    if not can_review_report(current_user, report):
        raise Conflict(
            f"Only a submitted report can be reviewed; this one is "
            f"“{report.status_label.lower()}”.",
            code="not_submitted",
        )
    form = ReviewForm()
    if form.validate_on_submit():
        try:
            services.review_report(
                current_user, report, decision=form.decision.data, comments=form.comments.data or ""
            )
        except services.Invalid as exc:
            db.session.rollback()
            _field_errors(form, exc.errors, [])
        else:
            verb = "accepted" if form.decision.data == "accept" else "returned to the coalition"
            flash(f"The report is {verb}; its leads are told.", "success")
            return redirect(url_for("reporting.report", slug=c.slug, quarter=q.key), code=303)
    return _render_report(c, period, q, report, review_form=form, status=400)


@bp.get("/coalitions/<slug>/reports/<quarter>/packet")
@login_required
def packet(slug: str, quarter: str):
    c, period, q, report = _report_context(slug, quarter)
    board = dashboards.coalition_board(current_user, c, q, with_peers=False)
    coaching = None
    items = []
    if can_view_coaching_summary(current_user, c):
        coaching = next((cq for cq in board.coaching or [] if cq.quarter == q), None)
        items = queries.open_action_items(c)
    figures = {f.measure_id: f.value for f in (report.figures if report else [])}
    return render_template(
        "reporting/packet.html",
        coalition=c,
        quarter=q,
        report=report,
        board=board,
        figures=figures,
        coaching=coaching,
        items=items,
        can_see_coaching=can_view_coaching_summary(current_user, c),
        events=_events_attended(c, q),
        fmt_hours=_fmt_hours,
        event_page="events.detail" in current_app.view_functions,
        row=dashboards.report_row(period, q, report, today()),
        coaches=queries.coaches_by_coalition(frozenset({c.id})).get(c.id, []),
    )


def _events_attended(coalition, quarter: Quarter):
    """The events of the quarter the coalition's people attended that the viewer may see
    (cop.events' own rule), or None without the events feature ("not available")."""
    start, end = quarter.bounds()
    found = queries.events_attended(coalition.id, start, end)
    if found is None:
        return None
    from cop.events.permissions import can_view_event

    return [row for row in found if can_view_event(current_user, row.event)]


# ---------------------------------------------------------------- targets


@bp.route("/coalitions/<slug>/targets", methods=["GET", "POST"])
@login_required
def targets(slug: str):
    c = get_coalition_or_404(current_user, slug)
    _require(can_manage_targets(current_user), True, "Only program staff set targets.")
    period = GrantPeriod.current()
    measures = queries.measures()
    periods = list(range(0, period.years + 1))
    current = queries.targets(frozenset({c.id}))
    if request.method == "GET":
        data = {
            f"target_{m.id}_{p}": str(services.plain(current[(c.id, m.id)][p]))
            for m in measures
            for p in periods
            if p in current.get((c.id, m.id), {})
        }
        form = targets_form(measures, periods, data=data)
    else:
        form = targets_form(measures, periods)
    if form.validate_on_submit():
        values = {
            (m, p): getattr(form, f"target_{m.id}_{p}").data for m in measures for p in periods
        }
        try:
            changed = services.set_targets(current_user, c, values)
        except services.Invalid as exc:
            db.session.rollback()
            _field_errors(form, exc.errors, [])
        else:
            flash(f"Targets saved ({changed} changed).", "success")
            return redirect(url_for("reporting.coalition", slug=c.slug), code=303)
    return render_template(
        "reporting/targets.html",
        coalition=c,
        form=form,
        measures=measures,
        periods=periods,
        period=period,
        error_list=error_list(form),
    ), (400 if request.method == "POST" else 200)


# ---------------------------------------------------------------- imports


@bp.route("/import", methods=["GET", "POST"])
@login_required
def import_figures():
    _require(
        can_import_figures(current_user),
        can_use_reporting(current_user),
        "Importing figures is for program staff and coalition members.",
    )
    period = GrantPeriod.current()
    form = ImportForm()
    form.quarter.choices = choices(
        [("", "From the file's quarter column")] + [(q.key, q.label) for q in _choices(period)]
    )
    if request.method == "GET":
        form.quarter.data = period.default_as_of().key
    errors, total = [], 0
    if form.validate_on_submit():
        try:
            result = imports.import_figures(
                current_user,
                imports.read_upload(form.file.data),
                quarter=parse_quarter(form.quarter.data),
            )
        except imports.ImportRefused as exc:
            errors, total = exc.errors, exc.total
        else:
            quarters = sorted(result.quarters)
            flash(
                f"Imported {result.values} figure{'s' * (result.values != 1)} for "
                f"{len(result.coalitions)} coalition{'s' * (len(result.coalitions) != 1)} "
                f"({', '.join(q.label for q in quarters)}): {result.changed} changed, "
                f"{result.created} new report{'s' * (result.created != 1)}.",
                "success",
            )
            return redirect(
                url_for("reporting.index", quarter=quarters[-1].key if quarters else None), code=303
            )
    status = 422 if errors else (400 if request.method == "POST" else 200)
    return render_template(
        "reporting/import.html",
        form=form,
        errors=errors,
        total=total,
        kind="figures",
        error_list=error_list(form),
        measures=queries.measures(),
        limits=imports._limits(),
    ), status


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(exc):
    """An upload over MAX_CONTENT_LENGTH: said plainly on the import page, nothing read."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    message = (
        f"The file is too large: uploads are limited to {imports.megabytes(limit)}, "
        f"and imports to {imports.megabytes(imports._limits()[0])}. Nothing was "
        "imported."
    )
    if (
        request.endpoint in ("reporting.import_figures", "reporting.import_targets")
        and current_user.is_authenticated
        and can_import_figures(current_user)
    ):
        targets_page = request.endpoint == "reporting.import_targets"
        form = TargetImportForm(formdata=None) if targets_page else ImportForm(formdata=None)
        if not targets_page:
            form.quarter.choices = choices([("", "From the file's quarter column")])
        return render_template(
            "reporting/import.html",
            form=form,
            total=1,
            errors=[imports.RowError(0, "", message)],
            kind="targets" if targets_page else "figures",
            error_list=[],
            measures=queries.measures(),
            limits=imports._limits(),
        ), 413
    return render_template(
        "errors/generic.html", status=413, title="Too large", message=message
    ), 413


@bp.route("/import/targets", methods=["GET", "POST"])
@login_required
def import_targets():
    _require(
        can_import_targets(current_user),
        can_use_reporting(current_user),
        "Only program staff import targets.",
    )
    form = TargetImportForm()
    errors, total = [], 0
    if form.validate_on_submit():
        try:
            result = imports.import_targets(current_user, imports.read_upload(form.file.data))
        except imports.ImportRefused as exc:
            errors, total = exc.errors, exc.total
        else:
            flash(
                f"Imported {result.values} target{'s' * (result.values != 1)} for "
                f"{len(result.coalitions)} coalitions: {result.changed} changed.",
                "success",
            )
            return redirect(url_for("reporting.index"), code=303)
    status = 422 if errors else (400 if request.method == "POST" else 200)
    return render_template(
        "reporting/import.html",
        form=form,
        errors=errors,
        total=total,
        kind="targets",
        error_list=error_list(form),
        measures=queries.measures(),
        limits=imports._limits(),
    ), status


@bp.get("/import/template.csv")
@login_required
def import_template():
    _require(
        can_import_figures(current_user),
        can_use_reporting(current_user),
        "Importing figures is for program staff and coalition members.",
    )
    period = GrantPeriod.current()
    quarter = _as_of(period)
    scope = None if current_user.is_admin else frozenset(memberships_of(current_user))
    header, rows = imports.figures_template(queries.measures(), queries.coalitions(scope), quarter)
    return csv_response(f"figures-template-{quarter.key}.csv", header, rows)


@bp.get("/import/targets/template.csv")
@login_required
def import_targets_template():
    _require(
        can_import_targets(current_user),
        can_use_reporting(current_user),
        "Only program staff import targets.",
    )
    header, rows = imports.targets_template(queries.measures(), queries.coalitions())
    return csv_response("targets-template.csv", header, rows)


# ---------------------------------------------------------------- measures (admins)


@bp.route("/admin/measures", methods=["GET", "POST"])
@login_required
def measures():
    _require(can_manage_measures(current_user))
    form = MeasureForm()
    if request.method == "GET":
        form.active.data = True
    if form.validate_on_submit():
        try:
            m = services.create_measure(current_user, _measure_values(form))
        except services.Invalid as exc:
            db.session.rollback()
            _field_errors(form, exc.errors, [])
        else:
            flash(f"The measure “{m.name}” is added.", "success")
            return redirect(url_for("reporting.measures"), code=303)
    return render_template(
        "reporting/measures.html",
        form=form,
        measures=queries.measures(active_only=False),
        error_list=error_list(form),
        KIND_LABELS=KIND_LABELS,
    ), (400 if request.method == "POST" else 200)


def _measure_values(form: MeasureForm) -> dict:
    values = {
        "name": form.name.data,
        "slug": form.slug.data,
        "definition": form.definition.data,
        "kind": form.kind.data,
        "cumulative": form.cumulative.data,
        "active": form.active.data,
    }
    if form.position.data is not None:
        values["position"] = form.position.data
    return values


@bp.route("/admin/measures/<int:measure_id>", methods=["GET", "POST"])
@login_required
def edit_measure(measure_id: int):
    _require(can_manage_measures(current_user))
    m = db.session.get(Measure, measure_id) or abort(404)
    form = MeasureForm(
        data={
            "name": m.name,
            "slug": m.slug,
            "definition": m.definition,
            "kind": m.kind,
            "cumulative": m.cumulative,
            "position": m.position,
            "active": m.active,
        }
        if request.method == "GET"
        else None
    )
    if form.validate_on_submit():
        try:
            services.update_measure(current_user, m, _measure_values(form))
        except services.Invalid as exc:
            db.session.rollback()
            _field_errors(form, exc.errors, [])
        else:
            flash(f"The measure “{m.name}” is saved.", "success")
            return redirect(url_for("reporting.measures"), code=303)
    return render_template(
        "reporting/measure_form.html", form=form, measure=m, error_list=error_list(form)
    ), (400 if request.method == "POST" else 200)


# ---------------------------------------------------------------- comparisons


@bp.route("/comparisons", methods=["GET", "POST"])
@login_required
def comparisons():
    _require(can_use_reporting(current_user))
    period = GrantPeriod.current()
    form = ComparisonForm()
    form.quarter.choices = choices((q.key, q.label) for q in _choices(period))
    if request.method == "GET":
        form.quarter.data = period.default_as_of().key
    if request.method == "POST":
        _require(
            can_publish_comparisons(current_user), True, "Only program staff publish comparisons."
        )
        if form.validate_on_submit():
            try:
                comparison = services.publish_comparison(
                    current_user,
                    parse_quarter(form.quarter.data),
                    title=form.title.data or "",
                    note=form.note.data or "",
                )
            except services.Invalid as exc:
                db.session.rollback()
                _field_errors(form, exc.errors, [])
            else:
                flash("The comparison is published: every coalition can see it.", "success")
                return redirect(
                    url_for("reporting.comparison", comparison_id=comparison.id), code=303
                )
    return render_template(
        "reporting/comparisons.html",
        form=form,
        comparisons=queries.comparisons(include_withdrawn=current_user.is_admin),
        error_list=error_list(form),
    ), (400 if request.method == "POST" else 200)


@bp.get("/comparisons/<int:comparison_id>")
@login_required
def comparison(comparison_id: int):
    comparison = get_comparison_or_404(current_user, comparison_id)
    return render_template(
        "reporting/comparison.html",
        comparison=comparison,
        snap=comparison.snapshot,
        button=ButtonForm(),
        labels=dashboards.STATUS_LABELS,
        icons=dashboards.STATUS_ICONS,
        fmt_value=fmt_value,
    )


@bp.get("/comparisons/<int:comparison_id>.csv")
@login_required
def comparison_csv(comparison_id: int):
    return _csv(exports.comparison_table(get_comparison_or_404(current_user, comparison_id)))


@bp.post("/comparisons/<int:comparison_id>/withdraw")
@login_required
def withdraw_comparison(comparison_id: int):
    comparison = get_comparison_or_404(current_user, comparison_id)
    _require(
        can_publish_comparisons(current_user), True, "Only program staff withdraw comparisons."
    )
    ButtonForm().validate_on_submit() or abort(400)
    services.withdraw_comparison(current_user, comparison)
    flash("The comparison is withdrawn: only admins see it now.", "info")
    return redirect(url_for("reporting.comparisons"), code=303)


# ---------------------------------------------------------------- coaching to outcomes


@bp.post("/sessions/<int:session_id>/measures")
@login_required
def tag_session(session_id: int):
    from cop.coaching.permissions import get_session_or_404

    session = get_session_or_404(current_user, session_id)
    _require(
        can_tag_session_measures(current_user, session),
        True,
        "Only the coalition's coaches and admins tag its sessions.",
    )
    form = SessionMeasuresForm()
    if not form.validate_on_submit():
        abort(400, description="Choose measures from the list.")
    try:
        tagged = services.tag_session(current_user, session, form.measure_ids.data or [])
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        flash(
            "The session's measures are saved: "
            + (", ".join(m.name for m in tagged) or "none")
            + ".",
            "success",
        )
    return redirect(
        url_for("coaching.session_detail", session_id=session.id, _anchor="session-measures"),
        code=303,
    )


# ---------------------------------------------------------------- CSV of every table


@bp.get("/export/program.csv")
@login_required
def export_program():
    _require(can_use_reporting(current_user))
    board = dashboards.program(current_user, _as_of(GrantPeriod.current()))
    return _csv(exports.program_table(board, request.args.get("table", "totals")))


@bp.get("/export/coalitions/<slug>.csv")
@login_required
def export_coalition(slug: str):
    c = get_coalition_or_404(current_user, slug)
    board = dashboards.coalition_board(
        current_user, c, _as_of(GrantPeriod.current()), measure_slug=request.args.get("measure", "")
    )
    return _csv(exports.coalition_table(board, request.args.get("table", "progress")))


@bp.get("/export/measures/<slug>.csv")
@login_required
def export_measure(slug: str):
    m = get_measure_or_404(current_user, slug)
    board = dashboards.measure_board(current_user, m, _as_of(GrantPeriod.current()))
    return _csv(exports.measure_table(board, request.args.get("table", "trend")))


@bp.get("/export/coach.csv")
@login_required
def export_coach():
    _require(
        can_view_coach_dashboard(current_user),
        can_use_reporting(current_user),
        "The coach dashboard is for coaches and program staff.",
    )
    return _csv(
        exports.coach_table(dashboards.coach_board(current_user, _as_of(GrantPeriod.current())))
    )


@bp.get("/export/reports.csv")
@login_required
def export_reports():
    _require(
        can_view_review_queue(current_user),
        can_use_reporting(current_user),
        "The list of reports is for coaches and program staff.",
    )
    period = GrantPeriod.current()
    quarter = _as_of(period)
    return _csv(
        exports.reports_table(
            quarter.key, _report_rows(period, quarter, request.args.get("status", ""))
        )
    )
