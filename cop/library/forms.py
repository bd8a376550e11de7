"""Library forms: the shape only; the services check the rules, the files and save."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional

from cop.accounts.forms import choices
from cop.coalitions.models import STATES
from cop.library.models import (
    COMMENT_MAX,
    NOTE_MAX,
    POPULATIONS,
    PROGRAM_AREAS,
    SECTORS,
    SUMMARY_MAX,
    TITLE_MAX,
    TYPE_LABELS,
    URL_MAX,
    VISIBILITY_LABELS,
)

TYPE_CHOICES = [(t.value, label) for t, label in TYPE_LABELS.items()]


class ResourceForm(FlaskForm):
    title = StringField("Title", validators=[InputRequired("Give a title."), Length(max=TITLE_MAX)])
    summary = TextAreaField(
        "Summary",
        validators=[Optional(), Length(max=SUMMARY_MAX)],
        description="What it is and how others can use it. Markdown works.",
    )
    type = SelectField(
        "Type",
        choices=choices([("", "Choose a type"), *TYPE_CHOICES]),
        validators=[InputRequired("Choose the type of resource.")],
    )
    file = FileField(
        "File", description="PDF, Word, Excel, PowerPoint, CSV, text or an image; 25 MB at most."
    )
    external_url = StringField(
        "Or a link",
        validators=[Optional(), Length(max=URL_MAX)],
        description="A web address starting with https://",
    )
    sectors = SelectMultipleField(
        "Sectors", choices=choices(SECTORS.items()), validators=[Optional()]
    )
    states = SelectMultipleField(
        "States",
        choices=choices(STATES.items()),
        validators=[Optional()],
        description="Hold Ctrl (or Command) to choose several.",
    )
    populations = SelectMultipleField(
        "Target populations", choices=choices(POPULATIONS.items()), validators=[Optional()]
    )
    program_area = SelectField(
        "Program area",
        choices=choices([("", "None in particular"), *PROGRAM_AREAS.items()]),
        validators=[Optional()],
    )
    coalition_id = SelectField("Shared by", choices=[], coerce=str, validate_choice=False)
    visibility = RadioField(
        "Who may see it",
        choices=choices((v.value, label) for v, label in VISIBILITY_LABELS.items()),
        validators=[InputRequired("Choose who may see the resource.")],
    )
    collection_id = SelectField("Add to a collection", choices=[], validate_choice=False)

    def set_choices(self, coalitions, visibilities, collections=None) -> None:
        self.coalition_id.choices = choices(
            [("", "Myself"), *[(str(c.id), c.name) for c in coalitions]]
        )
        self.visibility.choices = choices((v, VISIBILITY_LABELS_BY_VALUE[v]) for v in visibilities)
        self.collection_id.choices = choices(
            [("", "No collection"), *[(str(c.id), c.title) for c in collections or []]]
        )

    def add_coalition_choice(self, coalition) -> None:
        """Keep a coalition the user may not pick any more, if the resource has it."""
        if str(coalition.id) not in {
            str(c.value if hasattr(c, "value") else c[0]) for c in self.coalition_id.choices
        }:
            self.coalition_id.choices = [
                *self.coalition_id.choices,
                *choices([(str(coalition.id), coalition.name)]),
            ]


VISIBILITY_LABELS_BY_VALUE = {v.value: label for v, label in VISIBILITY_LABELS.items()}


class VersionForm(FlaskForm):
    file = FileField(
        "New file",
        validators=[InputRequired("Choose the new file.")],
        description="The earlier versions stay available.",
    )
    note = StringField("What changed", validators=[Optional(), Length(max=NOTE_MAX)])


class CommentForm(FlaskForm):
    body = TextAreaField(
        "Your comment",
        validators=[InputRequired("Write a comment."), Length(max=COMMENT_MAX)],
        description="Markdown works.",
    )


class CollectionForm(FlaskForm):
    title = StringField("Title", validators=[InputRequired("Give a title."), Length(max=TITLE_MAX)])
    description = TextAreaField(
        "Description",
        validators=[Optional(), Length(max=SUMMARY_MAX)],
        description="Markdown works.",
    )


class AddToCollectionForm(FlaskForm):
    collection_id = SelectField(
        "Collection",
        choices=[],
        validate_choice=False,
        validators=[InputRequired("Choose a collection.")],
    )
    note = StringField("Note (optional)", validators=[Optional(), Length(max=NOTE_MAX)])


class MoveForm(FlaskForm):
    direction = IntegerField("Direction", validators=[InputRequired()])


class LikeForm(FlaskForm):
    on = RadioField(
        "Like", choices=choices([("1", "Like"), ("0", "Unlike")]), validators=[InputRequired()]
    )
