"""Account use cases. Each takes the acting user, checks, changes, commits once."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from cop.accounts import auth
from cop.accounts.models import (
    BIO_MAX,
    EMAIL_MAX,
    NAME_MAX,
    TEXT_MAX,
    ApiToken,
    Invitation,
    Role,
    User,
)
from cop.accounts.passwords import hash_password, password_problem, verify_password
from cop.accounts.permissions import can_invite_as, can_manage_users
from cop.coalitions import services as coalition_services
from cop.coalitions.models import Coalition
from cop.core import audit
from cop.core.errors import Conflict, NotFound, PermissionDenied, ServiceError
from cop.core.hashing import short_hash
from cop.core.markdown import render_markdown
from cop.core.models import utcnow
from cop.core.security import hash_token, new_token
from cop.core.text import refuse_nul
from cop.core.timezones import is_valid_timezone
from cop.extensions import db

# ---------------------------------------------------------------- checks


def normalise_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ServiceError(f"That email address is not valid: {exc}", field="email") from None


def check_text(value: str, field: str, limit: int, *, required: bool = False) -> str:
    value = refuse_nul((value or "").strip(), field.capitalize(), field)
    if required and not value:
        raise ServiceError(f"{field.capitalize()} is required.", field=field)
    if len(value) > limit:
        raise ServiceError(
            f"{field.capitalize()} is too long (at most {limit} characters).", field=field
        )
    return value


def check_password(password: str, email: str | None) -> None:
    problem = password_problem(password or "", email)
    if problem:
        raise ServiceError(problem, field="password")


def check_role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise ServiceError(f"Unknown role {role!r}.", field="role") from None


def email_taken(email: str) -> bool:
    return (
        db.session.execute(
            sa.select(sa.func.count()).select_from(User).where(User.email == email)
        ).scalar_one()
        > 0
    )


def get_user_by_email(email: str) -> User | None:
    try:
        email = normalise_email(email)
    except ServiceError:
        return None
    return db.session.execute(sa.select(User).where(User.email == email)).scalar_one_or_none()


# ---------------------------------------------------------------- sign-in


def authenticate(email: str, password: str) -> User | None:
    """The user if email and password match an active account; otherwise None."""
    user = get_user_by_email(email or "")
    ok = verify_password(user.password_hash if user else None, password or "")
    if not ok or user is None or not user.active:
        return None
    return user


# ---------------------------------------------------------------- users


def create_user(
    actor: User | None,
    *,
    email: str,
    name: str,
    role: str,
    password: str | None = None,
    coalition: Coalition | None = None,
    as_lead: bool = False,
    organization: str = "",
    title: str = "",
    timezone: str | None = None,
    commit: bool = True,
) -> User:
    """Create an account (CLI, seed, invitation). `actor` None means the system."""
    if actor is not None and not can_manage_users(actor):
        raise PermissionDenied("Only admins create accounts.")
    email = normalise_email(email)
    if len(email) > EMAIL_MAX:
        raise ServiceError("That email address is too long.", field="email")
    role_enum = check_role(role)
    name = check_text(name, "name", NAME_MAX, required=True)
    if email_taken(email):
        raise Conflict(f"An account with {email} already exists.", field="email")
    if password is not None:
        check_password(password, email)
    if role_enum == Role.MEMBER and coalition is None and actor is not None:
        raise ServiceError("A coalition member needs a coalition.", field="coalition")
    if timezone is not None and not is_valid_timezone(timezone):
        raise ServiceError("Unknown time zone.", field="timezone")
    user = User(
        email=email,
        name=name,
        role=role_enum.value,
        organization=check_text(organization, "organization", TEXT_MAX),
        title=check_text(title, "title", TEXT_MAX),
        password_hash=hash_password(password) if password else None,
    )
    if timezone:
        user.timezone = timezone
    db.session.add(user)
    db.session.flush()
    if coalition is not None:
        coalition_services.add_member(None, coalition, user, as_lead=as_lead, commit=False)
    audit.record(
        actor,
        "user.create",
        user,
        role=role_enum.value,
        coalition=coalition.slug if coalition else None,
        lead=as_lead or None,
    )
    if commit:
        db.session.commit()
    return user


def update_profile(
    actor: User, user: User, *, name: str, organization: str, title: str, bio: str, timezone: str
) -> User:
    if actor.id != user.id and not can_manage_users(actor):
        raise PermissionDenied("You can only edit your own profile.")
    if not is_valid_timezone(timezone):
        raise ServiceError("Choose a time zone from the list.", field="timezone")
    user.name = check_text(name, "name", NAME_MAX, required=True)
    user.organization = check_text(organization, "organization", TEXT_MAX)
    user.title = check_text(title, "title", TEXT_MAX)
    user.bio = check_text(bio, "bio", BIO_MAX)
    user.bio_html = render_markdown(user.bio)
    user.timezone = timezone
    db.session.commit()
    return user


def change_password(actor: User, *, current: str, new: str) -> None:
    if not verify_password(actor.password_hash, current or ""):
        raise ServiceError("Your current password is not correct.", field="current_password")
    check_password(new, actor.email)
    actor.password_hash = hash_password(new)
    # Other devices are signed out; this one stays.
    auth.end_all_sessions(actor, keep_session_id=actor.current_session_id)
    audit.record(actor, "user.password_change", actor)
    db.session.commit()


def admin_update_user(actor: User, user: User, *, role: str, active: bool) -> User:
    if not can_manage_users(actor):
        raise PermissionDenied("Only admins manage users.")
    role_enum = check_role(role)
    if user.id == actor.id and (role_enum != Role.ADMIN or not active):
        raise ServiceError("You cannot remove your own admin role or deactivate yourself.")
    changes = {}
    if user.role != role_enum.value:
        changes["role"] = [user.role, role_enum.value]
        user.role = role_enum.value
    if user.active != active:
        changes["active"] = [user.active, active]
        user.active = active
        if not active:
            _revoke_everything(user)
        db.session.flush()
        coalition_services.recount_members(user)
    if changes:
        action = "user.role_change" if "role" in changes else "user.update"
        if "active" in changes:
            action = "user.deactivate" if not active else "user.reactivate"
        audit.record(actor, action, user, **{k: v for k, v in changes.items()})
        db.session.commit()
    return user


def _revoke_everything(user: User) -> None:
    auth.end_all_sessions(user)
    db.session.execute(
        sa.update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


# ---------------------------------------------------------------- invitations


def invite(
    actor: User | None,
    *,
    email: str,
    role: str,
    coalition: Coalition | None = None,
    as_lead: bool = False,
) -> tuple[Invitation, str]:
    """Create an invitation and return it with its one-time token (only the hash is kept)."""
    email = normalise_email(email)
    role_enum = check_role(role)
    if actor is not None and not can_invite_as(actor, role_enum, coalition):
        raise PermissionDenied("You may not send that invitation.")
    if role_enum == Role.MEMBER and coalition is None:
        raise ServiceError("Choose the coalition this member belongs to.", field="coalition")
    if role_enum != Role.MEMBER and coalition is not None:
        coalition, as_lead = None, False
    if as_lead and actor is not None and not actor.is_admin:
        raise PermissionDenied("Only admins invite coalition leads.")
    if email_taken(email):
        raise Conflict(f"{email} already has an account.", field="email")
    now = utcnow()
    # A newer invitation replaces any pending one for the same address.
    db.session.execute(
        sa.update(Invitation)
        .where(
            Invitation.email == email,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    token = new_token()
    invitation = Invitation(
        email=email,
        role=role_enum.value,
        coalition_id=coalition.id if coalition else None,
        as_lead=bool(as_lead),
        token_hash=hash_token(token),
        invited_by_id=actor.id if actor else None,
        expires_at=now + timedelta(hours=current_app.config["INVITATION_TTL_HOURS"]),
    )
    db.session.add(invitation)
    db.session.flush()
    audit.record(
        actor,
        "invitation.create",
        invitation,
        email=email,
        role=role_enum.value,
        coalition=coalition.slug if coalition else None,
    )
    db.session.commit()
    return invitation, token


def invitation_url(token: str) -> str:
    return current_app.config["BASE_URL"].rstrip("/") + url_for(
        "accounts.accept_invitation", token=token
    )


def _queue_email(to: str, subject: str, text: str) -> None:
    """Transactional mail goes through the notifications outbox: the job runner sends it,
    never the user's request (and a bouncing server never breaks the request)."""
    from cop.notifications.mail import queue_email

    queue_email(to, subject, text)


def send_invitation_email(invitation: Invitation, token: str) -> None:
    """Queue the invitation email (commits)."""
    inviter = invitation.invited_by.name if invitation.invited_by else "The program team"
    link = invitation_url(token)
    text = (
        f"{inviter} invited you to cop, the community of practice of the workforce program.\n\n"
        f"Accept the invitation and choose a password:\n{link}\n\n"
        f"The link works once and expires on {invitation.expires_at:%B %d, %Y at %H:%M} UTC."
    )
    _queue_email(invitation.email, "Your invitation to cop", text)
    db.session.commit()


def find_invitation(token: str) -> Invitation:
    """The pending invitation for a token, or a clear error saying why not."""
    invitation = db.session.execute(
        sa.select(Invitation).where(Invitation.token_hash == hash_token(token or ""))
    ).scalar_one_or_none()
    if invitation is None:
        raise NotFound("This invitation link is not valid. Ask for a new invitation.")
    status = invitation.status(utcnow())
    if status == "accepted":
        raise ServiceError(
            "This invitation was already used. Log in instead.", status=410, code="gone"
        )
    if status == "revoked":
        raise ServiceError(
            "This invitation was withdrawn or replaced by a newer one.", status=410, code="gone"
        )
    if status == "expired":
        raise ServiceError(
            "This invitation has expired. Ask for a new one.", status=410, code="gone"
        )
    return invitation


def accept_invitation(token: str, *, name: str, password: str) -> User:
    invitation = find_invitation(token)
    coalition = (
        db.session.get(Coalition, invitation.coalition_id) if invitation.coalition_id else None
    )
    # Every check before the claim, so a refusal leaves the invitation usable.
    check_text(name, "name", NAME_MAX, required=True)
    check_password(password, invitation.email)
    if email_taken(invitation.email):
        raise Conflict(
            f"An account with {invitation.email} already exists. Log in instead.", field="email"
        )
    # Claim the invitation atomically: a second concurrent accept updates no row.
    claimed = db.session.execute(
        sa.update(Invitation)
        .where(
            Invitation.id == invitation.id,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
        .values(accepted_at=utcnow())
    ).rowcount
    if claimed != 1:
        db.session.rollback()
        raise ServiceError(
            "This invitation was already used. Log in instead.", status=410, code="gone"
        )
    try:
        user = create_user(
            None,
            email=invitation.email,
            name=name,
            role=invitation.role,
            password=password,
            coalition=coalition,
            as_lead=invitation.as_lead,
            commit=False,
        )
    except ServiceError:
        db.session.rollback()  # un-claim: nothing half-saved
        raise
    audit.record(user, "invitation.accept", invitation, email=invitation.email)
    db.session.commit()
    return user


def revoke_invitation(actor: User, invitation: Invitation) -> None:
    coalition = invitation.coalition
    if not (
        can_manage_users(actor)
        or (
            coalition
            and can_invite_as(actor, Role.MEMBER, coalition)
            and invitation.invited_by_id == actor.id
        )
    ):
        raise PermissionDenied("You may not withdraw that invitation.")
    if invitation.status(utcnow()) != "pending":
        raise ServiceError("Only a pending invitation can be withdrawn.")
    invitation.revoked_at = utcnow()
    audit.record(actor, "invitation.revoke", invitation, email=invitation.email)
    db.session.commit()


# ---------------------------------------------------------------- password reset


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def password_reset_token(user: User) -> str:
    # Binding the token to the current hash makes it single-use: a new password voids it.
    return _reset_serializer().dumps({"uid": user.id, "ph": short_hash(user.password_hash or "")})


def request_password_reset(email: str) -> None:
    """Mail a reset link if the account exists; say nothing either way (no enumeration)."""
    user = get_user_by_email(email or "")
    if user is None or not user.active:
        return
    link = current_app.config["BASE_URL"].rstrip("/") + url_for(
        "accounts.reset_password", token=password_reset_token(user)
    )
    minutes = current_app.config["PASSWORD_RESET_TTL_SECONDS"] // 60
    text = (
        f"Hello {user.name},\n\nSomeone asked to reset the password of your cop account. "
        f"To choose a new password, open this link within {minutes} minutes:\n{link}\n\n"
        "If it was not you, ignore this message: your password stays as it is."
    )
    _queue_email(user.email, "Reset your cop password", text)
    audit.record(None, "user.password_reset_requested", user)
    db.session.commit()


def user_for_reset_token(token: str) -> User:
    try:
        data = _reset_serializer().loads(
            token, max_age=current_app.config["PASSWORD_RESET_TTL_SECONDS"]
        )
    except SignatureExpired:
        raise ServiceError("This reset link has expired. Ask for a new one.", status=410) from None
    except BadSignature:
        raise NotFound("This reset link is not valid.") from None
    user = db.session.get(User, data.get("uid")) if isinstance(data, dict) else None
    if user is None or not user.active or data.get("ph") != short_hash(user.password_hash or ""):
        raise ServiceError("This reset link was already used or is no longer valid.", status=410)
    return user


def reset_password(token: str, new_password: str) -> User:
    user = user_for_reset_token(token)
    check_password(new_password, user.email)
    user.password_hash = hash_password(new_password)
    auth.end_all_sessions(user)
    audit.record(user, "user.password_reset", user)
    db.session.commit()
    return user


# ---------------------------------------------------------------- API tokens


def create_api_token(user: User, *, name: str = "") -> tuple[ApiToken, str]:
    raw = "cop_" + new_token()
    token = ApiToken(
        user_id=user.id,
        name=check_text(name, "name", 80),
        token_hash=hash_token(raw),
        prefix=raw[:12],
        expires_at=utcnow() + timedelta(days=current_app.config["API_TOKEN_TTL_DAYS"]),
    )
    db.session.add(token)
    db.session.flush()
    audit.record(user, "token.create", token, prefix=token.prefix)
    db.session.commit()
    return token, raw


def revoke_api_token(actor: User, token: ApiToken) -> None:
    if token.user_id != actor.id and not can_manage_users(actor):
        raise NotFound("No such token.")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(actor, "token.revoke", token, prefix=token.prefix)
        db.session.commit()
