"""Events forms: validation of the shape only; the services check the rules and save."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from cop.accounts.forms import choices
from cop.coalitions.models import SECTOR_LABELS
from cop.events.models import (
    AUDIENCE_LABELS,
    DESCRIPTION_MAX,
    EVENT_TYPE_LABELS,
    LOCATION_MAX,
    MAX_CAPACITY,
    MAX_JOIN_OPENS_MINUTES,
    REASON_MAX,
    RESOURCE_LABELS,
    RESOURCE_TITLE_MAX,
    RULE_MAX,
    TITLE_MAX,
    URL_MAX,
)
from cop.events.recurrence import PRESETS

SCOPE_CHOICES = [
    ("one", "This session only"),
    ("series", "This and every later session of the series"),
]


class EventForm(FlaskForm):
    title = StringField(
        "Title", validators=[InputRequired("Give the event a title."), Length(max=TITLE_MAX)]
    )
    type = RadioField(
        "Type of event",
        choices=choices((t.value, label) for t, label in EVENT_TYPE_LABELS.items()),
        validators=[InputRequired("Choose the type of event.")],
    )
    description = TextAreaField(
        "Description",
        validators=[Optional(), Length(max=DESCRIPTION_MAX)],
        description="Markdown is supported.",
    )
    starts_on = DateField("Date", validators=[InputRequired("Give the date.")])
    start_time = TimeField("Start time", validators=[InputRequired("Give the start time.")])
    end_time = TimeField("End time", validators=[InputRequired("Give the end time.")])
    ends_on = DateField("End date, if not the same day", validators=[Optional()])
    timezone = SelectField(
        "Time zone of these times",
        choices=[],
        validate_choice=False,
        validators=[InputRequired("Choose the time zone.")],
    )
    location = StringField(
        "Location",
        validators=[Optional(), Length(max=LOCATION_MAX)],
        description="“Online”, or an address for an in-person event.",
    )
    join_url = StringField(
        "Video-call link",
        validators=[Optional(), Length(max=URL_MAX)],
        description="Shown only to registrants, and only once the live page opens.",
    )
    join_opens_minutes = IntegerField(
        "The live page and the link open this many minutes before the start",
        default=15,
        validators=[
            InputRequired("Give a number of minutes (0 for at the start)."),
            NumberRange(0, MAX_JOIN_OPENS_MINUTES),
        ],
    )
    host_id = SelectField("Host", choices=[], validate_choice=False, validators=[Optional()])
    speaker_ids = SelectMultipleField(
        "Speakers with a cop account", choices=[], coerce=int, validate_choice=False
    )
    other_speakers = TextAreaField(
        "Other speakers",
        validators=[Optional(), Length(max=3000)],
        description="One per line: name, organization.",
    )
    audience = RadioField(
        "Who may see and register",
        choices=choices((a.value, label) for a, label in AUDIENCE_LABELS.items()),
        default="everyone",
        validators=[InputRequired("Choose the audience.")],
    )
    coalition_ids = SelectMultipleField("Coalitions", choices=[], coerce=int, validate_choice=False)
    sectors = SelectMultipleField(
        "Sectors",
        choices=choices((s.value, label) for s, label in SECTOR_LABELS.items()),
        validate_choice=False,
    )
    capacity = IntegerField(
        "Capacity (seats)",
        validators=[Optional(), NumberRange(1, MAX_CAPACITY)],
        description="Leave empty for no limit. When it is full, people join a waitlist.",
    )
    deadline_on = DateField("Registration deadline: date", validators=[Optional()])
    deadline_time = TimeField("Registration deadline: time", validators=[Optional()])
    requires_approval = BooleanField("I approve each registration")
    repeat = SelectField(
        "Repeats",
        choices=choices(
            [("", "Does not repeat"), *PRESETS.items(), ("custom", "Custom rule (RFC 5545 RRULE)")]
        ),
        default="",
        validate_choice=False,
    )
    repeat_count = IntegerField("Number of sessions", validators=[Optional(), NumberRange(1, 260)])
    repeat_until = DateField("Or repeat until", validators=[Optional()])
    rrule = StringField(
        "Custom rule",
        validators=[Optional(), Length(max=RULE_MAX)],
        description="For example FREQ=WEEKLY;BYDAY=TU,TH;COUNT=12.",
    )
    scope = RadioField(
        "Apply the changes to",
        choices=choices(SCOPE_CHOICES),
        default="one",
        validators=[Optional()],
    )


class CancelForm(FlaskForm):
    reason = TextAreaField(
        "Reason (sent to registrants)", validators=[Optional(), Length(max=REASON_MAX)]
    )
    scope = RadioField(
        "Cancel",
        choices=choices([("one", "This session only"), ("series", "Every session still to come")]),
        default="one",
        validators=[Optional()],
    )


class ActionForm(FlaskForm):
    """A button that posts (register, cancel, close the chat...): the CSRF token only."""


class InviteForm(FlaskForm):
    email = EmailField(
        "Email address of the person to invite",
        validators=[InputRequired("Give an email address."), Length(max=254)],
    )


class ResourceForm(FlaskForm):
    kind = SelectField(
        "Kind",
        choices=choices((k.value, label) for k, label in RESOURCE_LABELS.items()),
        validators=[InputRequired("Choose the kind.")],
    )
    title = StringField(
        "Title", validators=[InputRequired("Give a title."), Length(max=RESOURCE_TITLE_MAX)]
    )
    url = StringField("Link", validators=[InputRequired("Give the link."), Length(max=URL_MAX)])


class RegistrationActionForm(FlaskForm):
    action = SelectField(
        "Action",
        choices=choices(
            [
                ("approve", "Approve"),
                ("decline", "Decline"),
                ("attended", "Attended"),
                ("absent", "Did not attend"),
                ("recorded", "As recorded"),
            ]
        ),
        validators=[InputRequired()],
    )


class TranscriptForumForm(FlaskForm):
    category_id = SelectField(
        "Forum category", choices=[], coerce=int, validators=[InputRequired("Choose a category.")]
    )


class FeedForm(FlaskForm):
    action = SelectField(
        "Action",
        choices=choices([("reset", "Reset"), ("revoke", "Revoke")]),
        validators=[InputRequired()],
    )
