"""The notification kinds events adds to the shared ones (event_reminder, event_changed,
waitlist_promoted live in cop.notifications.kinds)."""

from __future__ import annotations

from cop.notifications.kinds import Delivery, register_kind

EVENT_REGISTRATION = register_kind(
    "event_registration",
    "A registration to approve, or the host's answer to yours",
    Delivery.IN_APP,
    "Events",
)
EVENT_INVITATION = register_kind(
    "event_invitation", "An invitation to an event", Delivery.EMAIL, "Events"
)
