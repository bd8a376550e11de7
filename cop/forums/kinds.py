"""Notification kinds the forums add to the shared ones (mention, reply, followed_post)."""

from __future__ import annotations

from cop.notifications.kinds import Delivery, register_kind

ANSWER_ACCEPTED = register_kind(
    "answer_accepted", "Your reply is accepted as the answer", Delivery.IN_APP, "Conversations"
)
