"""Expert directory forms: validation of the shape only; the services check and save."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from cop.accounts.forms import choices
from cop.coalitions.models import SECTOR_LABELS, STATES
from cop.experts.models import (
    AVAILABILITY_LABELS,
    BIO_MAX,
    CAPACITY_MAX,
    CHANGED_MAX,
    HELP_MODE_LABELS,
    HELPED_LABELS,
    NAME_MAX,
    NEED_MAX,
    NOTE_MAX,
    ORG_MAX,
    TITLE_MAX,
)


class ProfileForm(FlaskForm):
    name = StringField(
        "Name", validators=[InputRequired("Give the expert's name."), Length(max=NAME_MAX)]
    )
    title = StringField("Title", validators=[Optional(), Length(max=TITLE_MAX)])
    organization = StringField("Organization", validators=[Optional(), Length(max=ORG_MAX)])
    bio = TextAreaField(
        "Bio",
        validators=[Optional(), Length(max=BIO_MAX)],
        description="Markdown is supported. Links and lists are kept; HTML is shown as text.",
    )
    topics = SelectMultipleField("Areas of expertise", choices=[], validate_choice=False)
    tags = StringField(
        "Other expertise tags",
        validators=[Optional(), Length(max=600)],
        description="Separated by commas, for example: semiconductors, pre-apprenticeship.",
    )
    sectors = SelectMultipleField(
        "Sectors",
        choices=choices((s.value, label) for s, label in SECTOR_LABELS.items()),
        validate_choice=False,
    )
    states = SelectMultipleField(
        "States or regions served",
        choices=choices(STATES.items()),
        validate_choice=False,
        description="Hold Ctrl (or Cmd) to choose several.",
    )
    languages = StringField(
        "Languages", validators=[Optional(), Length(max=450)], description="Separated by commas."
    )
    help_modes = SelectMultipleField(
        "How they like to help",
        choices=choices((m.value, label) for m, label in HELP_MODE_LABELS.items()),
        validate_choice=False,
    )
    availability = RadioField(
        "Availability",
        choices=choices((a.value, label) for a, label in AVAILABILITY_LABELS.items()),
        validators=[InputRequired("Choose the availability.")],
        default="open",
    )
    monthly_capacity = IntegerField(
        "Monthly capacity",
        default=2,
        validators=[
            InputRequired("Give the number of introductions a month."),
            NumberRange(0, CAPACITY_MAX),
        ],
        description=f"Introductions accepted in a calendar month, 0 to {CAPACITY_MAX}. At "
        "capacity, only coaches can ask.",
    )


class RequestForm(FlaskForm):
    coalition_id = SelectField(
        "For which coalition",
        choices=[],
        coerce=int,
        validate_choice=False,
        validators=[InputRequired("Choose the coalition.")],
    )
    need = TextAreaField(
        "What you need",
        validators=[InputRequired("Describe what you need."), Length(max=NEED_MAX)],
        description="The question or the document, and what a good outcome would be.",
    )
    needed_by = DateField(
        "Needed by",
        validators=[Optional()],
        description="Optional. For example, before a board meeting.",
    )


class StateForm(FlaskForm):
    state = HiddenField("State", validators=[InputRequired()])
    note = TextAreaField("Note", validators=[Optional(), Length(max=NOTE_MAX)])
    meeting_on = DateField("Meeting date", validators=[Optional()])


class FollowUpForm(FlaskForm):
    helped = RadioField(
        "Did the connection help?",
        choices=choices((h.value, label) for h, label in HELPED_LABELS.items()),
        validators=[InputRequired("Say whether it helped.")],
    )
    changed = TextAreaField(
        "What changed?",
        validators=[Optional(), Length(max=CHANGED_MAX)],
        description="Optional: what you did differently afterwards.",
    )
