"""Reporting forms: the shape of the input only; the services check the rules and save."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional

from cop.accounts.forms import choices
from cop.reporting.models import (
    COMMENTS_MAX,
    DEFINITION_MAX,
    KIND_LABELS,
    NAME_MAX,
    NARRATIVE_MAX,
    SLUG_MAX,
    Measure,
)
from cop.reporting.services import NARRATIVE_LABELS

NARRATIVE_HINTS = {
    "progress": "What the coalition achieved this quarter. Markdown is supported.",
    "challenges": "What got in the way, and what you are doing about it.",
    "ta_wanted": "Help you would like from your coach, peers or outside experts.",
}


def figure_field(measure: Measure) -> str:
    return f"figure_{measure.id}"


def report_form(measures: list[Measure], *, formdata=None, data=None) -> FlaskForm:
    """The report form: one text box per measure (the service checks the numbers, so a
    typo comes back with a message that names the measure) and the narrative sections."""

    class ReportForm(FlaskForm):
        pass

    for m in measures:
        unit = {"rate": "percent, 0 to 100", "money": "US dollars"}.get(m.kind, "people")
        setattr(
            ReportForm,
            figure_field(m),
            StringField(
                m.name,
                validators=[Optional(), Length(max=30)],
                description=f"{unit.capitalize()}. {m.definition}",
            ),
        )
    for key, label in NARRATIVE_LABELS.items():
        setattr(
            ReportForm,
            key,
            TextAreaField(
                label,
                validators=[Optional(), Length(max=NARRATIVE_MAX)],
                description=NARRATIVE_HINTS[key],
            ),
        )
    if formdata is None and data is None:
        return ReportForm()
    return ReportForm(formdata=formdata, data=data)


def targets_form(measures: list[Measure], periods: list[int], *, data=None) -> FlaskForm:
    class TargetsForm(FlaskForm):
        pass

    for m in measures:
        for p in periods:
            setattr(
                TargetsForm,
                f"target_{m.id}_{p}",
                StringField(
                    f"{m.name}, {'whole grant' if p == 0 else f'year {p}'}",
                    validators=[Optional(), Length(max=30)],
                ),
            )
    return TargetsForm(data=data) if data is not None else TargetsForm()


class ButtonForm(FlaskForm):
    """A CSRF-protected POST button (submit a report, withdraw a comparison)."""


class ReviewForm(FlaskForm):
    decision = RadioField(
        "Your decision",
        choices=choices(
            [
                ("accept", "Accept the report"),
                ("return", "Return it to the coalition with comments"),
            ]
        ),
        validators=[InputRequired("Choose to accept or to return the report.")],
    )
    comments = TextAreaField(
        "Comments",
        validators=[Optional(), Length(max=COMMENTS_MAX)],
        description="Required when you return the report; the leads get "
        "them by notification. Markdown is supported.",
    )


class ImportForm(FlaskForm):
    file = FileField("CSV file", validators=[FileRequired("Choose a CSV file to upload.")])
    quarter = SelectField(
        "Quarter",
        choices=[],
        validate_choice=False,
        description="Used for rows without a quarter column.",
    )


class TargetImportForm(FlaskForm):
    file = FileField("CSV file", validators=[FileRequired("Choose a CSV file to upload.")])


class MeasureForm(FlaskForm):
    name = StringField(
        "Name", validators=[InputRequired("Give the measure a name."), Length(max=NAME_MAX)]
    )
    slug = StringField(
        "Short name",
        validators=[InputRequired("Give a short name."), Length(max=SLUG_MAX)],
        description="Lowercase letters, digits and dashes; the column name in "
        "CSV files, e.g. entered-employment.",
    )
    definition = TextAreaField("Definition", validators=[Optional(), Length(max=DEFINITION_MAX)])
    kind = RadioField(
        "Kind",
        choices=choices((k.value, label) for k, label in KIND_LABELS.items()),
        validators=[InputRequired("Choose the kind of measure.")],
    )
    cumulative = BooleanField("Running total since the grant began (cumulative counts only)")
    position = IntegerField("Position in lists", validators=[Optional()])
    active = BooleanField(
        "In use (untick to retire: figures are kept, new ones refused)", default=True
    )


class ComparisonForm(FlaskForm):
    quarter = SelectField("As of quarter", choices=[], validate_choice=False)
    title = StringField(
        "Title",
        validators=[Optional(), Length(max=200)],
        description="Leave empty for “Coalitions compared, <quarter>”.",
    )
    note = TextAreaField(
        "Note to the coalitions", validators=[Optional(), Length(max=COMMENTS_MAX)]
    )


class SessionMeasuresForm(FlaskForm):
    measure_ids = SelectMultipleField(
        "Measures this session aims at", coerce=int, choices=[], validate_choice=False
    )
