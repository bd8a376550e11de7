"""Forum forms: validation only (the services check again and save)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from cop.accounts.forms import choices
from cop.forums.models import (
    BODY_MAX,
    FLAG_REASONS,
    REASON_MAX,
    TITLE_MAX,
    TITLE_MIN,
    Section,
    ThreadKind,
)

BODY_HINT = (
    "Markdown works: **bold**, *italic*, lists, > quotes, [links](https://…). "
    "Type @ and a name to mention someone."
)
KIND_CHOICES = [
    (ThreadKind.DISCUSSION.value, "A discussion"),
    (ThreadKind.QUESTION.value, "A question (an answer can be accepted)"),
]


def _body(label: str = "Your post"):
    return TextAreaField(
        label,
        description=BODY_HINT,
        validators=[
            DataRequired(message="Write something before posting."),
            Length(
                max=BODY_MAX,
                message=f"The post is too long (at most {BODY_MAX:,} characters). "
                "Split it in two, or link to a document.",
            ),
        ],
    )


class ThreadForm(FlaskForm):
    category = SelectField("Category", validators=[DataRequired()])
    title = StringField(
        "Title",
        validators=[
            DataRequired(message="Give the thread a title."),
            Length(min=TITLE_MIN, max=TITLE_MAX),
        ],
    )
    kind = RadioField("This is", choices=choices(KIND_CHOICES), default=ThreadKind.DISCUSSION.value)
    body = _body()
    tags = StringField(
        "Tags (optional)",
        description="Up to 5, separated by commas: women-in-trades, pre-apprenticeship",
        validators=[Length(max=200)],
    )


class ReplyForm(FlaskForm):
    body = _body("Your reply")


class EditPostForm(FlaskForm):
    title = StringField("Title", validators=[Optional(), Length(min=TITLE_MIN, max=TITLE_MAX)])
    tags = StringField(
        "Tags (optional)", description="Up to 5, separated by commas.", validators=[Length(max=200)]
    )
    body = _body()


class FlagForm(FlaskForm):
    reason = RadioField(
        "Why should a moderator look at this post?",
        choices=choices(FLAG_REASONS),
        validators=[InputRequired(message="Choose a reason.")],
    )
    details = TextAreaField(
        "Details", description="Required for “Something else”.", validators=[Length(max=REASON_MAX)]
    )


class HideForm(FlaskForm):
    reason = TextAreaField(
        "Why hide this post?",
        description="Kept in the audit log and shown in place of the post.",
        validators=[DataRequired(message="Say why."), Length(max=REASON_MAX)],
    )


class MoveForm(FlaskForm):
    category = SelectField("Move to", validators=[DataRequired()])


class MergeForm(FlaskForm):
    target = IntegerField(
        "Number of the thread to merge into",
        description="The number in its address: /forums/t/NUMBER",
        validators=[InputRequired(message="Give the thread's number."), NumberRange(min=1)],
    )


class CategoryForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    description = TextAreaField("Description", validators=[Length(max=2000)])
    section = SelectField(
        "Listed under",
        choices=choices(
            [
                (Section.SECTOR.value, "Sectors"),
                (Section.TOPIC.value, "Topics"),
                (Section.STAFF.value, "Staff (coaches and admins only)"),
            ]
        ),
    )


class ButtonForm(FlaskForm):
    """A CSRF-protected POST button; `value` carries its choice (a level, a reaction)."""

    value = HiddenField()


class ReactForm(FlaskForm):
    """The pressed button sends `reaction=<kind>:<on|off>`."""

    reaction = HiddenField()

    def parsed(self) -> tuple[str, bool]:
        kind, _, state = (self.reaction.data or "").partition(":")
        return kind, state == "on"
