"""The email outbox: queue in the caller's transaction, send from a job runner.

Every email cop sends goes this way (notifications, digests, and the foundation's
password-reset and invitation mails via `queue_email`), so that:
- sending never happens inside a user's request (a slow or broken SMTP server cannot
  break it);
- each email is sent exactly once, however many job runners run: a runner claims a row
  with a conditional UPDATE (`status='pending'` or an expired claim), which only one
  transaction can win, on SQLite and PostgreSQL alike;
- a failed send is retried with exponential backoff and, after MAIL_MAX_ATTEMPTS, marked
  `failed` with its error: logged, listed at /notifications/outbox, never dropped.
"""

from __future__ import annotations

import logging
import os
import smtplib
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from cop.core.mail import build_message, send_message
from cop.core.models import utcnow
from cop.extensions import db
from cop.notifications.models import OutboundEmail

log = logging.getLogger("cop.mail")

BATCH = 50


def queue_email(
    to: str | None,
    subject: str,
    text: str,
    html: str | None = None,
    kind: str | None = None,
    *,
    user_id: int | None = None,
    headers: dict[str, str] | None = None,
    not_before: datetime | None = None,
    attachments: list[dict] | None = None,
) -> OutboundEmail | None:
    """Add an email to the outbox; the caller commits (then a job runner sends it).
    With no address, nothing is queued (logged), and the caller's work goes on.
    `not_before`: send no earlier than this (default: now). `attachments`: text files,
    [{"filename", "content_type", "content"}] (see cop.core.mail.build_message)."""
    to = (to or "").strip()
    if not to:
        log.info("no email address: %r not queued", subject[:80])
        return None
    email = OutboundEmail(
        to_address=to[:254],
        subject=" ".join(subject.split())[:300],
        text_body=text,
        html_body=html,
        kind=kind,
        user_id=user_id,
        headers=dict(headers or {}),
        attachments=list(attachments) if attachments else None,
        status="pending",
        attempts=0,
        next_attempt_at=not_before or utcnow(),
    )
    db.session.add(email)
    return email


def worker_name() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}"


def _claimable(now: datetime):
    return sa.or_(
        sa.and_(OutboundEmail.status == "pending", OutboundEmail.next_attempt_at <= now),
        # A runner that died mid-send: its claim runs out and another takes the row over.
        sa.and_(OutboundEmail.status == "sending", OutboundEmail.claimed_until < now),
    )


@dataclass
class Claimed:
    id: int
    to: str
    subject: str
    text: str
    html: str | None
    headers: dict
    attempts: int
    attachments: list | None = None


def claim(now: datetime, worker: str, limit: int = BATCH) -> tuple[str, list[Claimed]]:
    """Atomically take up to `limit` due emails for this runner; commits the claim."""
    ticket = f"{worker}:{uuid.uuid4().hex[:8]}"[:64]
    candidates = (
        sa.select(OutboundEmail.id)
        .where(_claimable(now))
        .order_by(OutboundEmail.next_attempt_at, OutboundEmail.id)
        .limit(limit)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        # Other runners skip the rows this one is claiming instead of queueing behind them.
        candidates = candidates.with_for_update(skip_locked=True)
    ids = list(db.session.execute(candidates).scalars())
    if not ids:
        db.session.rollback()
        return ticket, []
    lease = timedelta(seconds=current_app.config.get("MAIL_CLAIM_SECONDS", 300))
    db.session.execute(
        sa.update(OutboundEmail)
        # The condition again: between the select and here another runner may have won.
        .where(OutboundEmail.id.in_(ids), _claimable(now))
        .values(
            status="sending",
            claimed_by=ticket,
            claimed_until=now + lease,
            attempts=OutboundEmail.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    rows = (
        db.session.execute(
            sa.select(OutboundEmail)
            .where(OutboundEmail.claimed_by == ticket, OutboundEmail.status == "sending")
            .order_by(OutboundEmail.id)
        )
        .scalars()
        .all()
    )
    claimed = [
        Claimed(
            r.id,
            r.to_address,
            r.subject,
            r.text_body,
            r.html_body,
            dict(r.headers or {}),
            r.attempts,
            r.attachments,
        )
        for r in rows
    ]
    db.session.rollback()  # no transaction stays open while talking to the SMTP server
    return ticket, claimed


def _permanent(exc: Exception) -> bool:
    """The server refused every recipient for good (5xx): retrying cannot help."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    return False


def backoff(attempts: int) -> timedelta:
    cfg = current_app.config
    base = cfg.get("MAIL_RETRY_BASE_SECONDS", 60)
    return timedelta(
        seconds=min(base * 2 ** max(attempts - 1, 0), cfg.get("MAIL_RETRY_MAX_SECONDS", 6 * 3600))
    )


def _still_mine(email: Claimed, ticket: str, now: datetime) -> bool:
    """Renew the claim just before sending. A batch that took long (a slow SMTP server) may
    have outlived its claim and lost the row to another runner: then this one skips it."""
    lease = timedelta(seconds=current_app.config.get("MAIL_CLAIM_SECONDS", 300))
    renewed = db.session.execute(
        sa.update(OutboundEmail)
        .where(
            OutboundEmail.id == email.id,
            OutboundEmail.claimed_by == ticket,
            OutboundEmail.status == "sending",
        )
        .values(claimed_until=now + lease)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return renewed == 1


def deliver(email: Claimed, ticket: str, now: datetime) -> str:
    """Send one claimed email and record the outcome: sent, pending (retry) or failed."""
    if not _still_mine(email, ticket, now):
        log.info("email %s was taken over by another runner; skipped", email.id)
        return "skipped"
    try:
        send_message(
            build_message(
                email.to,
                email.subject,
                email.text,
                email.html,
                headers=email.headers,
                attachments=email.attachments,
            )
        )
    except (smtplib.SMTPException, OSError, ValueError) as exc:
        return _record_failure(email, ticket, now, exc)
    db.session.execute(
        sa.update(OutboundEmail)
        .where(OutboundEmail.id == email.id, OutboundEmail.claimed_by == ticket)
        .values(status="sent", sent_at=now, claimed_until=None, last_error=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return "sent"


def _record_failure(email: Claimed, ticket: str, now: datetime, exc: Exception) -> str:
    error = f"{type(exc).__name__}: {exc}"[:1000]
    max_attempts = current_app.config.get("MAIL_MAX_ATTEMPTS", 8)
    if _permanent(exc) or email.attempts >= max_attempts:
        log.error(
            "email %s to %s FAILED for good after %s attempt(s): %s",
            email.id,
            email.to,
            email.attempts,
            error,
        )
        values = {"status": "failed", "claimed_until": None, "last_error": error}
        outcome = "failed"
    else:
        delay = backoff(email.attempts)
        log.warning(
            "email %s to %s: attempt %s failed (%s); retry in %ss",
            email.id,
            email.to,
            email.attempts,
            error,
            int(delay.total_seconds()),
        )
        values = {
            "status": "pending",
            "claimed_by": None,
            "claimed_until": None,
            "last_error": error,
            "next_attempt_at": now + delay,
        }
        outcome = "retry"
    db.session.execute(
        sa.update(OutboundEmail)
        .where(OutboundEmail.id == email.id, OutboundEmail.claimed_by == ticket)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return outcome


def send_due(now: datetime | None = None, worker: str | None = None) -> dict[str, int]:
    """Claim and send every due email, batch by batch. Returns counts by outcome."""
    worker = worker or worker_name()
    counts = {"sent": 0, "retry": 0, "failed": 0}
    while True:
        at = now or utcnow()
        ticket, batch = claim(at, worker)
        for email in batch:
            outcome = deliver(email, ticket, now or utcnow())
            if outcome in counts:
                counts[outcome] += 1
        if len(batch) < BATCH:
            return counts


def retry_failed(ids: list[int] | None = None) -> int:
    """Put failed emails back in the queue (after fixing the mail settings). Commits."""
    stmt = sa.update(OutboundEmail).where(OutboundEmail.status == "failed")
    if ids is not None:
        stmt = stmt.where(OutboundEmail.id.in_(ids))
    count = db.session.execute(
        stmt.values(
            status="pending",
            attempts=0,
            next_attempt_at=utcnow(),
            claimed_by=None,
            claimed_until=None,
        ).execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return count


def purge_sent(now: datetime) -> int:
    """Forget sent emails after MAIL_KEEP_SENT_DAYS (their bodies are personal data)."""
    days = current_app.config.get("MAIL_KEEP_SENT_DAYS", 30)
    count = db.session.execute(
        sa.delete(OutboundEmail)
        .where(OutboundEmail.status == "sent", OutboundEmail.sent_at < now - timedelta(days=days))
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return count


def outbox_counts() -> dict[str, int]:
    rows = db.session.execute(
        sa.select(OutboundEmail.status, sa.func.count()).group_by(OutboundEmail.status)
    ).all()
    counts = dict.fromkeys(("pending", "sending", "sent", "failed"), 0)
    counts.update({status: n for status, n in rows})
    return counts
