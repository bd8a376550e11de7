"""Coaching forms: validation of the shape only; the services check the rules and save."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import InputRequired, Length, Optional

from cop.accounts.forms import choices
from cop.coaching.models import (
    DESCRIPTION_MAX,
    INITIATOR_LABELS,
    ITEM_STATUS_LABELS,
    MODALITY_LABELS,
    OTHER_ATTENDEES_MAX,
    TEXT_MAX,
    TOPIC_LABEL_MAX,
)

NEW_ITEM_ROWS = 5


class ActionItemForm(Form):
    """One new action item (a row of the session form; empty rows are ignored)."""

    description = StringField("Action item", validators=[Optional(), Length(max=DESCRIPTION_MAX)])
    owner_id = SelectField("Owner", choices=[], validate_choice=False)
    due_on = DateField("Due date", validators=[Optional()])

    @property
    def is_blank(self) -> bool:
        return (
            not (self.description.data or "").strip()
            and not self.owner_id.data
            and self.due_on.data is None
        )


class SessionForm(FlaskForm):
    held_on = DateField("Date", validators=[InputRequired("Give the date of the session.")])
    start_time = TimeField("Start time", validators=[InputRequired("Give the start time.")])
    duration_minutes = IntegerField(
        "Duration in minutes",
        validators=[InputRequired("Give the duration in minutes.")],
        description="From 1 to 1,440 (24 hours).",
    )
    modality = RadioField(
        "How was it held?",
        choices=choices((m.value, label) for m, label in MODALITY_LABELS.items()),
        validators=[InputRequired("Choose how the session was held.")],
    )
    initiated_by = RadioField(
        "Who asked for it?",
        choices=choices((i.value, label) for i, label in INITIATOR_LABELS.items()),
        validators=[InputRequired("Say who asked for the session.")],
    )
    coach_ids = SelectMultipleField("Coaches", coerce=int, choices=[], validate_choice=False)
    attendee_ids = SelectMultipleField(
        "Who attended from the coalition", coerce=int, choices=[], validate_choice=False
    )
    other_attendees = StringField(
        "Other attendees",
        validators=[Optional(), Length(max=OTHER_ATTENDEES_MAX)],
        description="People without a cop account: names and organizations.",
    )
    topics = SelectMultipleField("Topics", choices=[], validate_choice=False)
    need = TextAreaField(
        "Need presented",
        validators=[Optional(), Length(max=TEXT_MAX)],
        description="What the coalition asked for or struggles with.",
    )
    summary = TextAreaField(
        "What was done",
        validators=[InputRequired("Say what was done."), Length(max=TEXT_MAX)],
        description="Markdown is supported.",
    )
    outcome = TextAreaField(
        "What changed since last time",
        validators=[Optional(), Length(max=TEXT_MAX)],
        description="Results of earlier advice and action items.",
    )
    next_session_on = DateField("Next session date", validators=[Optional()])
    private_notes = TextAreaField(
        "Private coach notes",
        validators=[Optional(), Length(max=TEXT_MAX)],
        description="Only coaches and admins see these; coalition members never do.",
    )
    items = FieldList(
        FormField(ActionItemForm), min_entries=NEW_ITEM_ROWS, max_entries=NEW_ITEM_ROWS
    )
    close_item_ids = SelectMultipleField(
        "Mark these open action items done", coerce=int, choices=[], validate_choice=False
    )


class ActionItemEditForm(FlaskForm):
    description = StringField(
        "Action item",
        validators=[InputRequired("Describe the action item."), Length(max=DESCRIPTION_MAX)],
    )
    owner_id = SelectField("Owner", choices=[], validate_choice=False)
    due_on = DateField("Due date", validators=[Optional()])
    status = SelectField(
        "Status", choices=choices((s.value, label) for s, label in ITEM_STATUS_LABELS.items())
    )


class ItemStatusForm(FlaskForm):
    status = SelectField(
        "Status", choices=choices((s.value, label) for s, label in ITEM_STATUS_LABELS.items())
    )


class DeleteForm(FlaskForm):
    """A CSRF-protected POST button."""


class TopicForm(FlaskForm):
    label = StringField(
        "Topic name",
        validators=[InputRequired("Give the topic a name."), Length(max=TOPIC_LABEL_MAX)],
    )
