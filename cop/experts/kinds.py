"""Notification kinds of the expert directory. `expert_request` (a request or a change of its
state) is one of the shared kinds in cop.notifications.kinds; the follow-up question is ours."""

from cop.notifications.kinds import EXPERT_REQUEST, Delivery, register_kind

EXPERT_FOLLOWUP = register_kind(
    "expert_followup",
    "After an expert connection: did it help? (one question)",
    Delivery.EMAIL,
    "Experts",
)

__all__ = ["EXPERT_FOLLOWUP", "EXPERT_REQUEST"]
