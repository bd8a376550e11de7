"""Account forms: validation only, never saving."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

try:  # WTForms 3.3 deprecates (value, label) tuples in favour of SelectChoice
    from wtforms import SelectChoice
except ImportError:  # WTForms 3.2
    SelectChoice = None

from cop.accounts.models import BIO_MAX, EMAIL_MAX, NAME_MAX, ROLE_LABELS, TEXT_MAX
from cop.accounts.passwords import MAX_LENGTH, MIN_LENGTH
from cop.core.timezones import US_TIMEZONES


def choices(pairs) -> list:
    """(value, label) pairs as SelectField choices, in the form this WTForms wants."""
    if SelectChoice is None:
        return [(value, label) for value, label in pairs]
    return [SelectChoice(value, label) for value, label in pairs]


ROLE_CHOICES = [(r.value, label) for r, label in ROLE_LABELS.items()]


class LoginForm(FlaskForm):
    email = EmailField("Email address", validators=[DataRequired(), Length(max=EMAIL_MAX)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=MAX_LENGTH)])
    next = HiddenField()


class ForgotPasswordForm(FlaskForm):
    email = EmailField("Email address", validators=[DataRequired(), Email(), Length(max=EMAIL_MAX)])


def _new_password_fields():
    return (
        PasswordField(
            "New password",
            description=f"At least {MIN_LENGTH} characters.",
            validators=[DataRequired(), Length(min=MIN_LENGTH, max=MAX_LENGTH)],
        ),
        PasswordField(
            "Repeat the new password",
            validators=[DataRequired(), EqualTo("password", message="The passwords differ.")],
        ),
    )


class ResetPasswordForm(FlaskForm):
    password, confirm = _new_password_fields()


class AcceptInvitationForm(FlaskForm):
    name = StringField("Your full name", validators=[DataRequired(), Length(max=NAME_MAX)])
    password, confirm = _new_password_fields()


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired()])
    password, confirm = _new_password_fields()


class ProfileForm(FlaskForm):
    name = StringField("Full name", validators=[DataRequired(), Length(max=NAME_MAX)])
    organization = StringField("Organization", validators=[Optional(), Length(max=TEXT_MAX)])
    title = StringField("Job title", validators=[Optional(), Length(max=TEXT_MAX)])
    timezone = SelectField(
        "Time zone", choices=choices((tz, f"{label} ({tz})") for tz, label in US_TIMEZONES)
    )
    bio = TextAreaField(
        "About you",
        description="Markdown is supported.",
        validators=[Optional(), Length(max=BIO_MAX)],
    )


class InviteForm(FlaskForm):
    email = EmailField("Email address", validators=[DataRequired(), Email(), Length(max=EMAIL_MAX)])
    # The service decides who may give which role (a refusal is a 403), not the choice list.
    role = SelectField("Role", choices=choices(ROLE_CHOICES), validate_choice=False)
    coalition = SelectField("Coalition", choices=[], validate_choice=False)
    as_lead = BooleanField("Coalition lead")


class AdminUserForm(FlaskForm):
    role = SelectField("Role", choices=choices(ROLE_CHOICES))
    active = BooleanField("Account active")


class RevokeForm(FlaskForm):
    """An empty form: a CSRF-protected POST button."""
