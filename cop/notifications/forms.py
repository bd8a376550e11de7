"""The settings form: one select per registered kind, plus the digest time."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.validators import InputRequired

try:  # WTForms 3.3 deprecates (value, label) tuples in favour of SelectChoice
    from wtforms import SelectChoice
except ImportError:  # pragma: no cover - older WTForms
    SelectChoice = None

from cop.notifications.kinds import DELIVERY_LABELS, KINDS, Delivery

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def choices(pairs) -> list:
    if SelectChoice is None:  # pragma: no cover
        return list(pairs)
    return [SelectChoice(value, label) for value, label in pairs]


DELIVERY_CHOICES = choices((d.value, DELIVERY_LABELS[d]) for d in Delivery)


def hour_label(hour: int) -> str:
    suffix = "AM" if hour < 12 else "PM"
    return f"{(hour % 12) or 12}:00 {suffix}"


def field_name(kind_key: str) -> str:
    return f"kind__{kind_key}"


class _BaseForm(FlaskForm):
    digest_hour = SelectField(
        "Send my digests at",
        coerce=int,
        choices=choices((h, hour_label(h)) for h in range(24)),
        validators=[InputRequired()],
    )
    weekly_day = SelectField(
        "Send my weekly digest on",
        coerce=int,
        choices=choices(enumerate(WEEKDAYS)),
        validators=[InputRequired()],
    )


def preferences_form(
    deliveries: dict[str, Delivery], digest_hour: int, weekly_day: int
) -> FlaskForm:
    """A form with the kinds registered now (features add kinds at start-up)."""

    class PreferencesForm(_BaseForm):
        pass

    for key, kind in KINDS.items():
        setattr(
            PreferencesForm,
            field_name(key),
            SelectField(kind.label, choices=DELIVERY_CHOICES, validators=[InputRequired()]),
        )
    data = {field_name(k): d.value for k, d in deliveries.items()}
    return PreferencesForm(data={**data, "digest_hour": digest_hour, "weekly_day": weekly_day})


def chosen_deliveries(form: FlaskForm) -> dict[str, str]:
    return {key: form[field_name(key)].data for key in KINDS if field_name(key) in form}
