"""Chat forms: validation only (the no-JavaScript path; the client uses the socket)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectMultipleField, TextAreaField
from wtforms.validators import DataRequired
from wtforms.widgets import CheckboxInput, ListWidget


class MessageForm(FlaskForm):
    body = TextAreaField("Message", validators=[DataRequired("Write a message first.")])
    client_id = HiddenField()


class DeleteMessageForm(FlaskForm):
    """A CSRF-protected delete button."""


class DirectForm(FlaskForm):
    # Any id may come back: the service checks each person (can_message_user).
    user_ids = SelectMultipleField(
        "People",
        coerce=int,
        choices=[],
        validate_choice=False,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
