"""Reporting API schemas (OpenAPI document)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from cop.coalitions.schemas import PersonSchema
from cop.reporting.models import (
    COMMENTS_MAX,
    DEFINITION_MAX,
    NAME_MAX,
    NARRATIVE_MAX,
    SLUG_MAX,
    MeasureKind,
    ReportStatus,
)
from cop.reporting.services import plain

KINDS = [k.value for k in MeasureKind]
STATUSES = [s.value for s in ReportStatus]
QUARTER = validate.Regexp(r"^\d{4}-?Q[1-4]$", error="A quarter such as 2026Q1.")
QUARTER_DOC = {"description": "a calendar quarter, e.g. 2026Q1"}
FIGURES_DOC = {
    "description": "measure slug -> number (a count, a percentage 0-100, or US "
    "dollars); null removes the figure",
    "example": {"new-participants-served": 42, "employment-rate-q2": 71.5},
}


class MeasureSchema(Schema):
    slug = fields.String()
    name = fields.String()
    definition = fields.String()
    kind = fields.String(metadata={"enum": KINDS})
    cumulative = fields.Boolean(
        metadata={
            "description": "true: each quarter's figure is the running total since the grant "
            "began; false: counts are the quarter's own and add up"
        }
    )
    position = fields.Integer()
    active = fields.Boolean(metadata={"description": "false: retired, takes no new figures"})


class MeasureCreateSchema(Schema):
    slug = fields.String(required=True, validate=validate.Length(min=1, max=SLUG_MAX))
    name = fields.String(required=True, validate=validate.Length(min=1, max=NAME_MAX))
    definition = fields.String(load_default="", validate=validate.Length(max=DEFINITION_MAX))
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    cumulative = fields.Boolean(load_default=False)
    position = fields.Integer()
    active = fields.Boolean(load_default=True)


class MeasureUpdateSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=NAME_MAX))
    definition = fields.String(validate=validate.Length(max=DEFINITION_MAX))
    kind = fields.String(validate=validate.OneOf(KINDS))
    cumulative = fields.Boolean()
    position = fields.Integer()
    active = fields.Boolean()


class TargetSchema(Schema):
    coalition = fields.Function(lambda t: t.coalition.slug)
    measure = fields.Function(lambda t: t.measure.slug)
    period = fields.Integer(metadata={"description": "0: the whole grant; n: grant year n"})
    value = fields.Function(lambda t: plain(t.value))


class TargetQuerySchema(Schema):
    coalition = fields.String(load_default="", validate=validate.Length(max=80))


class TargetItemSchema(Schema):
    coalition = fields.String(required=True, validate=validate.Length(max=80))
    measure = fields.String(required=True, validate=validate.Length(max=SLUG_MAX))
    period = fields.Integer(required=True, validate=validate.Range(min=0, max=20))
    value = fields.Raw(
        required=True,
        allow_none=True,
        metadata={"description": "a number; null removes the target"},
    )


class TargetsUpdateSchema(Schema):
    targets = fields.List(
        fields.Nested(TargetItemSchema), required=True, validate=validate.Length(max=5000)
    )


class TargetsResultSchema(Schema):
    changed = fields.Integer()


class ReportSchema(Schema):
    id = fields.Integer()
    coalition = fields.Function(lambda r: r.coalition.slug)
    coalition_name = fields.Function(lambda r: r.coalition.name)
    quarter = fields.String(attribute="quarter_key", metadata=QUARTER_DOC)
    status = fields.String(metadata={"enum": STATUSES})
    due_on = fields.Date()
    figures = fields.Function(
        lambda r: {f.measure.slug: plain(f.value) for f in r.figures}, metadata=FIGURES_DOC
    )
    progress = fields.String(metadata={"description": "markdown"})
    progress_html = fields.String()
    challenges = fields.String(metadata={"description": "markdown"})
    challenges_html = fields.String()
    ta_wanted = fields.String(metadata={"description": "technical assistance wanted, markdown"})
    ta_wanted_html = fields.String()
    submitted_at = fields.DateTime(allow_none=True)
    submitted_by = fields.Nested(PersonSchema, allow_none=True)
    reviewed_at = fields.DateTime(allow_none=True)
    reviewed_by = fields.Nested(PersonSchema, allow_none=True)
    review_comments = fields.String()
    review_comments_html = fields.String()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    url = fields.String()


class ReportQuerySchema(Schema):
    coalition = fields.String(load_default="", validate=validate.Length(max=80))
    quarter = fields.String(
        load_default="",
        validate=validate.Regexp(r"^(|\d{4}-?Q[1-4])$", error="A quarter such as 2026Q1."),
    )
    status = fields.String(load_default="", validate=validate.OneOf(["", *STATUSES]))


class ReportUpdateSchema(Schema):
    figures = fields.Dict(
        keys=fields.String(validate=validate.Length(max=SLUG_MAX)),
        values=fields.Raw(allow_none=True),
        metadata=FIGURES_DOC,
    )
    progress = fields.String(validate=validate.Length(max=NARRATIVE_MAX))
    challenges = fields.String(validate=validate.Length(max=NARRATIVE_MAX))
    ta_wanted = fields.String(validate=validate.Length(max=NARRATIVE_MAX))


class ReportCreateSchema(ReportUpdateSchema):
    coalition = fields.String(required=True, validate=validate.Length(max=80))
    quarter = fields.String(required=True, validate=QUARTER, metadata=QUARTER_DOC)


class ReviewSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(["accept", "return"]))
    comments = fields.String(
        load_default="",
        validate=validate.Length(max=COMMENTS_MAX),
        metadata={"description": "required to return; markdown"},
    )


class SummaryQuerySchema(Schema):
    quarter = fields.String(
        load_default="",
        validate=validate.Regexp(r"^(|\d{4}-?Q[1-4])$", error="A quarter such as 2026Q1."),
        metadata={"description": "as of this quarter; default: the last one that ended"},
    )


class ProgressSchema(Schema):
    measure = fields.String()
    value_to_date = fields.Float(allow_none=True)
    target_to_date = fields.Float(allow_none=True)
    percent_of_target = fields.Float(allow_none=True)
    status = fields.String(
        metadata={"enum": ["ahead", "on_track", "behind", "no_target", "no_figures"]}
    )
    grant_target = fields.Float(allow_none=True)
    latest_quarter = fields.String(allow_none=True)


class TrendPointSchema(Schema):
    quarter = fields.String()
    value = fields.Float(allow_none=True)
    target = fields.Float(allow_none=True)
    coalitions_reporting = fields.Integer()


class MeasureTrendSchema(Schema):
    measure = fields.String()
    points = fields.List(fields.Nested(TrendPointSchema))


class CoalitionRowSchema(Schema):
    coalition = fields.String()
    name = fields.String()
    report_status = fields.String()
    progress = fields.List(fields.Nested(ProgressSchema))


class ProgramSummarySchema(Schema):
    as_of = fields.String()
    grant_start = fields.String()
    grant_end = fields.String()
    coalitions = fields.Integer(metadata={"description": "coalitions in the program"})
    totals = fields.List(
        fields.Nested(ProgressSchema),
        metadata={"description": "program-wide: counts added up, rates and money averaged"},
    )
    trend = fields.List(fields.Nested(MeasureTrendSchema))
    coalition_rows = fields.List(
        fields.Nested(CoalitionRowSchema),
        metadata={"description": "coaches: their coalitions; admins: all; absent for members"},
    )


class ReportStateSchema(Schema):
    quarter = fields.String()
    status = fields.String(metadata={"enum": [*STATUSES, "missing"]})
    due_on = fields.Date()
    overdue = fields.Boolean()


class QuarterFiguresSchema(Schema):
    quarter = fields.String()
    figures = fields.Dict(keys=fields.String(), values=fields.Float(allow_none=True))
    targets = fields.Dict(keys=fields.String(), values=fields.Float(allow_none=True))


class CoalitionSummarySchema(Schema):
    coalition = fields.String()
    name = fields.String()
    as_of = fields.String()
    progress = fields.List(fields.Nested(ProgressSchema))
    quarters = fields.List(fields.Nested(QuarterFiguresSchema))
    reports = fields.List(fields.Nested(ReportStateSchema))
