"""Notification kinds of the library."""

from __future__ import annotations

from cop.notifications.kinds import Delivery, register_kind

PROMOTED = register_kind(
    "library_promoted",
    "Your post is added to the resource library",
    Delivery.IN_APP,
    "Resource library",
)
