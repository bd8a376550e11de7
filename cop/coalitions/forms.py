from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField

try:  # WTForms 3.3 deprecates (value, label) tuples in favour of SelectChoice
    from wtforms import SelectChoice
except ImportError:  # WTForms 3.2
    SelectChoice = None


class AssignCoachForm(FlaskForm):
    coach_id = SelectField("Coach", coerce=int, choices=[])

    def offer(self, coaches) -> AssignCoachForm:
        """Offer these coaches (and only them) in the list."""
        pairs = [(c.id, c.name) for c in coaches]
        self.coach_id.choices = (
            pairs
            if SelectChoice is None
            else [SelectChoice(value, label) for value, label in pairs]
        )
        return self


class PostButtonForm(FlaskForm):
    """A CSRF-protected POST button."""
