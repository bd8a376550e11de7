"""The notification kinds of grant reporting (registered when the feature loads)."""

from __future__ import annotations

from cop.notifications.kinds import Delivery, register_kind

REPORT_DUE = register_kind(
    "report_due", "A quarterly report is due soon or overdue", Delivery.EMAIL, "Reporting"
)
REPORT_SUBMITTED = register_kind(
    "report_submitted",
    "A coalition you coach submitted its quarterly report",
    Delivery.IN_APP,
    "Reporting",
)
REPORT_REVIEWED = register_kind(
    "report_reviewed",
    "Your coalition's quarterly report was accepted or returned",
    Delivery.EMAIL,
    "Reporting",
)
