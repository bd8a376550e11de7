from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField


class AssignCoachForm(FlaskForm):
    coach_id = SelectField("Coach", coerce=int, choices=[])


class PostButtonForm(FlaskForm):
    """A CSRF-protected POST button."""
