"""The notification kind of this feature (registered at import)."""

from cop.notifications.kinds import Delivery, register_kind

COMMITMENT_REVIEW = register_kind(
    "commitment_review", "A partner commitment waits for review", Delivery.IN_APP, "Commitments"
)
