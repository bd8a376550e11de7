"""Commitment forms: the shape only. The services check every rule (the API shares them)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    RadioField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Optional
from wtforms.widgets import TextInput

from cop.accounts.forms import choices
from cop.coalitions.models import SECTOR_LABELS, STATES
from cop.commitments.models import NUMBERS, ORG_TYPE_LABELS, PROGRESS
from cop.commitments.services import CommitmentInput, ProgressInput

NUMBER_HINTS = {
    "people_to_train": "A whole number, up to 1,000,000. Leave empty if it does not apply.",
    "people_to_hire": "A whole number, up to 1,000,000. Leave empty if it does not apply.",
    "apprenticeship_slots": "A whole number, up to 1,000,000. Leave empty if it does not apply.",
    "dollars": "In US dollars, a whole number up to 10,000,000,000. Leave empty if it does "
    "not apply.",
}


def _number(label: str, hint: str) -> StringField:
    # A text field with inputmode=numeric (not type=number): "1,000" is accepted and the
    # service gives one clear message for anything else.
    return StringField(
        label,
        description=hint,
        widget=TextInput(),
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )


class CommitmentForm(FlaskForm):
    org_name = StringField("Organization name", render_kw={"autocomplete": "organization"})
    org_type = RadioField(
        "Kind of organization",
        choices=choices((t.value, label) for t, label in ORG_TYPE_LABELS.items()),
        validate_choice=False,
    )
    title = StringField(
        "Your commitment in one line",
        description='For example: "Hire 40 graduates of local solar pre-apprenticeships by 2027".',
    )
    description = TextAreaField(
        "What the organization commits to",
        description="How, with whom, for whom. Markdown is supported.",
    )
    sectors = SelectMultipleField(
        "Sectors",
        choices=choices((s.value, label) for s, label in SECTOR_LABELS.items()),
        validate_choice=False,
    )
    states = SelectMultipleField(
        "States",
        choices=choices(STATES.items()),
        validate_choice=False,
        description="Hold Ctrl (Command on a Mac) to choose several.",
    )
    people_to_train = _number("People to train", NUMBER_HINTS["people_to_train"])
    people_to_hire = _number("People to hire", NUMBER_HINTS["people_to_hire"])
    apprenticeship_slots = _number("Apprenticeship slots", NUMBER_HINTS["apprenticeship_slots"])
    dollars = _number("Dollars", NUMBER_HINTS["dollars"])
    starts_on = DateField("Start date", validators=[Optional()])
    ends_on = DateField("End date", validators=[Optional()])
    contact_name = StringField("Contact name", render_kw={"autocomplete": "name"})
    contact_email = StringField(
        "Contact email",
        description="We send a link to confirm it, then news of the review and progress reminders.",
        render_kw={"autocomplete": "email", "type": "email"},
    )
    contact_phone = StringField("Contact phone (optional)", render_kw={"autocomplete": "tel"})
    # Spam protection: a field people do not see, and the signed time the form was shown.
    website = StringField(
        "Leave this field empty", render_kw={"tabindex": "-1", "autocomplete": "off"}
    )
    started = HiddenField()

    def to_input(self) -> CommitmentInput:
        data = {name: getattr(self, name).data for name in CommitmentInput.__dataclass_fields__}
        for key in ("sectors", "states"):
            data[key] = list(data[key] or [])
        for key in NUMBERS:
            data[key] = (data[key] or "").strip() or None
        return CommitmentInput(**data)

    def fill(self, commitment) -> None:
        for name in CommitmentInput.__dataclass_fields__:
            if name in ("sectors", "states"):
                getattr(self, name).data = getattr(commitment, name)
            elif name in NUMBERS:
                value = getattr(commitment, name)
                getattr(self, name).data = "" if value is None else str(value)
            else:
                getattr(self, name).data = getattr(commitment, name)


class ProgressForm(FlaskForm):
    trained = _number(NUMBERS["people_to_train"][1], "")
    hired = _number(NUMBERS["people_to_hire"][1], "")
    slots_filled = _number(NUMBERS["apprenticeship_slots"][1], "")
    dollars_spent = _number(NUMBERS["dollars"][1], "")
    note = TextAreaField(
        "Note (optional)", description="What happened since the last report; plain text."
    )

    def to_input(self) -> ProgressInput:
        values = {
            column: (getattr(self, column).data or "").strip() or None
            for column in PROGRESS.values()
        }
        return ProgressInput(**values, note=self.note.data or "")


class ReviewForm(FlaskForm):
    decision = RadioField(
        "Decision",
        choices=choices(
            [
                ("accept", "Accept: list it publicly and count it in the totals"),
                ("changes", "Ask for changes: the contact gets your message and a link to edit"),
                ("decline", "Decline: the contact gets your message"),
            ]
        ),
        validate_choice=False,
    )
    message = TextAreaField(
        "Message to the contact", description="Required when you ask for changes. Sent by email."
    )
