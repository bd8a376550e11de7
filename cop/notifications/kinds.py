"""The registry of notification kinds. Features register their own kinds at import time,
so a new feature adds kinds without touching this module."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Delivery(StrEnum):
    OFF = "off"
    IN_APP = "in_app"
    EMAIL = "email"  # in-app + email immediately
    DAILY = "daily"  # in-app + daily digest
    WEEKLY = "weekly"  # in-app + weekly digest


DELIVERY_LABELS: dict[Delivery, str] = {
    Delivery.OFF: "Off",
    Delivery.IN_APP: "In cop only",
    Delivery.EMAIL: "In cop and by email right away",
    Delivery.DAILY: "In cop and in a daily email digest",
    Delivery.WEEKLY: "In cop and in a weekly email digest",
}
DIGESTS = (Delivery.DAILY, Delivery.WEEKLY)


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    default: Delivery = Delivery.IN_APP
    group: str = "General"


KINDS: dict[str, Kind] = {}


def register_kind(
    key: str, label: str, default: Delivery = Delivery.IN_APP, group: str = "General"
) -> Kind:
    kind = Kind(key, label, default, group)
    existing = KINDS.get(key)
    if existing is not None and existing != kind:
        raise ValueError(f"notification kind {key!r} registered twice, differently")
    KINDS[key] = kind
    return kind


def get_kind(key: str) -> Kind:
    try:
        return KINDS[key]
    except KeyError:
        raise KeyError(f"unknown notification kind {key!r}; register it first") from None


def kinds_by_group() -> list[tuple[str, list[Kind]]]:
    """Registered kinds in registration order, grouped (groups in order of first kind)."""
    groups: dict[str, list[Kind]] = {}
    for kind in KINDS.values():
        groups.setdefault(kind.group, []).append(kind)
    return list(groups.items())


# The kinds every feature shares. Features may register more.
MENTION = register_kind("mention", "Someone mentions you", Delivery.EMAIL, "Conversations")
REPLY = register_kind("reply", "A reply to your thread", Delivery.EMAIL, "Conversations")
FOLLOWED_POST = register_kind(
    "followed_post",
    "A new post in a thread or category you follow",
    Delivery.IN_APP,
    "Conversations",
)
DIRECT_MESSAGE = register_kind("direct_message", "A direct message", Delivery.EMAIL, "Chat")
EVENT_REMINDER = register_kind(
    "event_reminder", "An event you registered for starts soon", Delivery.EMAIL, "Events"
)
EVENT_CHANGED = register_kind(
    "event_changed",
    "An event you registered for changed or was cancelled",
    Delivery.IN_APP,
    "Events",
)
WAITLIST_PROMOTED = register_kind(
    "waitlist_promoted", "You moved off an event's waitlist", Delivery.IN_APP, "Events"
)
EXPERT_REQUEST = register_kind(
    "expert_request", "An expert connection request or its answer", Delivery.EMAIL, "Experts"
)
ACTION_ITEM = register_kind(
    "action_item", "A coaching action item assigned to you or due soon", Delivery.IN_APP, "Coaching"
)
