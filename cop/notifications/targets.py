"""What can be followed or muted, described by the feature that owns it.

The settings page lists a user's follows and mutes ("Thread: Apprenticeship ratios").
Notifications do not know what a thread is, so each feature registers a describer:

    register_target("thread", describe_threads)

where `describe_threads(ids: list[int]) -> dict[int, tuple[str, str | None]]` returns
(label, local url) for the ids it knows, in one query. Unregistered types show as
"Thread #7".
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

log = logging.getLogger("cop.notifications")

Describer = Callable[[list[int]], dict[int, tuple[str, str | None]]]

TARGETS: dict[str, tuple[str, Describer]] = {}


def register_target(target_type: str, describe: Describer, label: str | None = None) -> None:
    """`label`: the type's name in the settings list (default: the type, capitalised)."""
    TARGETS[target_type] = (label or target_type.replace("_", " ").capitalize(), describe)


def describe_targets(
    targets: Iterable[tuple[str, int]],
) -> dict[tuple[str, int], tuple[str, str | None]]:
    by_type: dict[str, list[int]] = {}
    for target_type, target_id in targets:
        by_type.setdefault(target_type, []).append(target_id)
    result: dict[tuple[str, int], tuple[str, str | None]] = {}
    for target_type, ids in by_type.items():
        entry = TARGETS.get(target_type)
        if entry is None:
            continue
        type_label, describe = entry
        try:
            described = describe(ids)
        except Exception:  # noqa: BLE001 - one feature's bug must not break the settings page
            log.exception("describing %s targets failed", target_type)
            continue
        for target_id, (label, url) in described.items():
            result[(target_type, target_id)] = (f"{type_label}: {label}", url)
    return result
