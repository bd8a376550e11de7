"""The job runner: due scheduled notifications (reminders), digests, and the email outbox.

`run_once(app, now)` does one pass (tests inject `now`). `run_forever(app)` loops: it is
started inside `cop serve` (a background task, JOBS_EMBEDDED=1, the default) and by
`flask --app wsgi cop worker` for a multi-process deployment. Any number of runners may
run at once: every step claims its work in the database, so each reminder, digest and
email happens exactly once.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.exc import IntegrityError

from cop.accounts.models import User
from cop.core.models import utcnow
from cop.extensions import db
from cop.notifications.models import JobLease, ScheduledNotification

log = logging.getLogger("cop.jobs")

# Set after a commit that queued email, so the in-process runner sends it now rather than
# at its next tick (gevent patches threading: this works in `cop serve` too).
_wake = threading.Event()


def wake() -> None:
    _wake.set()


def release_scheduled(now: datetime, limit: int = 200) -> int:
    """Turn due scheduled notifications into notifications, each exactly once."""
    from cop.notifications.services import notify

    ids = list(
        db.session.execute(
            sa.select(ScheduledNotification.id)
            .where(ScheduledNotification.status == "pending", ScheduledNotification.due_at <= now)
            .order_by(ScheduledNotification.due_at, ScheduledNotification.id)
            .limit(limit)
        ).scalars()
    )
    db.session.rollback()
    released = 0
    for row_id in ids:
        # The claim and the notification commit together: one runner wins, once.
        claimed = db.session.execute(
            sa.update(ScheduledNotification)
            .where(ScheduledNotification.id == row_id, ScheduledNotification.status == "pending")
            .values(status="done", processed_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed != 1:
            db.session.rollback()
            continue
        row = db.session.get(ScheduledNotification, row_id)
        try:
            if row.expires_at is not None and row.expires_at < now:
                row.status = "expired"
            else:
                recipient = db.session.get(User, row.user_id)
                actor = db.session.get(User, row.actor_id) if row.actor_id else None
                created = notify(
                    recipient,
                    row.kind,
                    actor=actor,
                    subject_type=row.subject_type,
                    subject_id=row.subject_id,
                    url=row.url,
                    text=row.text,
                    excerpt=row.excerpt,
                    context=[tuple(c) for c in row.context or []],
                )
                released += created is not None
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception(
                "scheduled notification %s (%s) could not be sent; cancelled",
                row_id,
                row.key if row else "?",
            )
            db.session.execute(
                sa.update(ScheduledNotification)
                .where(ScheduledNotification.id == row_id)
                .values(status="cancelled", processed_at=now)
            )
            db.session.commit()
    return released


PERIODIC = "cop_periodic_jobs"


def register_periodic_job(app: Flask, name: str, job: Callable[[datetime], object]) -> None:
    """Have the job runner call `job(now)` every JOBS_PERIODIC_SECONDS, never by two runners
    at once. The job commits its own work and must be idempotent (mark what it handled:
    a crash may leave a job half done, and the next run does the rest). An int it returns
    counts as notifications created."""
    app.extensions.setdefault(PERIODIC, {})[name] = job


def _take_lease(name: str, holder: str, now: datetime) -> bool:
    cfg = current_app.config
    lease = timedelta(seconds=cfg.get("JOBS_LEASE_SECONDS", 600))
    interval = timedelta(seconds=cfg.get("JOBS_PERIODIC_SECONDS", 60))
    if db.session.get(JobLease, name) is None:
        try:
            db.session.add(JobLease(name=name))
            db.session.commit()
        except IntegrityError:
            db.session.rollback()  # another runner created it first: fine
    taken = db.session.execute(
        sa.update(JobLease)
        .where(
            JobLease.name == name,
            sa.or_(JobLease.lease_until.is_(None), JobLease.lease_until < now),
            sa.or_(JobLease.last_run_at.is_(None), JobLease.last_run_at <= now - interval),
        )
        .values(holder=holder, lease_until=now + lease)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return taken == 1


def _end_lease(name: str, holder: str, now: datetime, error: str | None) -> None:
    db.session.execute(
        sa.update(JobLease)
        .where(JobLease.name == name, JobLease.holder == holder)
        .values(lease_until=None, last_run_at=now, last_error=error)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def run_periodic(app: Flask, now: datetime, worker: str | None = None) -> int:
    """Run the registered periodic jobs whose turn it is. Returns notifications created."""
    from cop.notifications.mail import worker_name

    created = 0
    for name, job in list(app.extensions.get(PERIODIC, {}).items()):
        holder = f"{worker or worker_name()}:{uuid.uuid4().hex[:8]}"[:64]
        if not _take_lease(name, holder, now):
            continue
        error = None
        try:
            result = job(now)
            created += result if isinstance(result, int) else 0
        except Exception as exc:
            db.session.rollback()
            error = f"{type(exc).__name__}: {exc}"[:1000]
            log.exception("periodic job %s failed; it runs again at its next turn", name)
        _end_lease(name, holder, now, error)
    return created


def _steps(now: datetime | None, worker: str | None):
    from cop.notifications.digests import queue_due_digests
    from cop.notifications.mail import purge_sent, send_due

    def clock() -> datetime:
        return now or utcnow()

    yield "reminders", lambda: {"reminders": release_scheduled(clock())}
    yield "periodic", lambda: {"periodic": run_periodic(current_app, clock(), worker)}
    yield "digests", lambda: {"digests": queue_due_digests(clock())}
    yield "outbox", lambda: send_due(now, worker)

    def purge() -> dict:
        purge_sent(clock())
        return {}

    yield "purge", purge


def run_once(
    app: Flask, now: datetime | None = None, *, worker: str | None = None
) -> dict[str, int]:
    """One pass of every job, in a fresh app context (its own database session)."""
    result = {"reminders": 0, "periodic": 0, "digests": 0, "sent": 0, "retry": 0, "failed": 0}
    with app.app_context():
        for name, step in _steps(now, worker):
            # One step failing (a database hiccup) does not stop the others.
            try:
                result.update(step() or {})
            except Exception:
                db.session.rollback()
                log.exception("job step %s failed; the next run tries again", name)
    return result


def run_forever(
    app: Flask, *, interval: float | None = None, stop: threading.Event | None = None
) -> None:
    """Run the jobs every `interval` seconds (sooner when mail was queued) until `stop`."""
    interval = interval or app.config.get("JOBS_INTERVAL_SECONDS", 15)
    stop = stop or threading.Event()
    log.info("job runner started (every %ss)", interval)
    while not stop.is_set():
        _wake.clear()
        try:
            result = run_once(app)
            if any(result.values()):
                log.info("job runner: %s", result)
        except Exception:  # noqa: BLE001 - the loop must survive anything
            log.exception("job runner pass failed")
        _wake.wait(interval)
    log.info("job runner stopped")


def embedded(app: Flask) -> None:
    """The background task `cop serve` starts: the runner, unless JOBS_EMBEDDED is off."""
    if app.config.get("JOBS_EMBEDDED", True):
        run_forever(app)
