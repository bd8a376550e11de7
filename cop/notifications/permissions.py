"""Who may see what in notifications: each person their own; admins the email outbox."""

from __future__ import annotations

from cop.accounts.models import User


def can_manage_outbox(user: User | None) -> bool:
    """Program staff who run the platform see and retry the emails that could not be sent."""
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.active
        and user.is_admin
    )


TEMPLATE_PREDICATES = {"can_manage_outbox": can_manage_outbox}
