"""Outgoing mail over real SMTP; with no MAIL_SERVER, messages go to the log."""

from __future__ import annotations

import logging
import smtplib
import ssl
from email import policy
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app

log = logging.getLogger("cop.mail")

# Python 3.11's header folding at 78 columns can drop the space between two RFC 2047
# encoded words ("“Apprenticeship ratios”" arrives as "“Apprenticeshipratios”"). Headers
# up to RFC 5322's 998 characters are not folded at all, so subjects arrive intact.
POLICY = policy.default.clone(max_line_length=998)


def build_message(
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    headers: dict[str, str] | None = None,
    attachments: list[dict] | None = None,
) -> EmailMessage:
    """`attachments`: [{"filename", "content_type" (text/...), "content" (text), "params"}],
    e.g. an event's .ics as text/calendar."""
    cfg = current_app.config
    msg = EmailMessage(policy=POLICY)
    msg["From"] = cfg["MAIL_DEFAULT_SENDER"]
    msg["To"] = to
    # Header injection guard: a subject is one line.
    msg["Subject"] = " ".join(subject.splitlines())[:200]
    msg["Message-ID"] = make_msgid(domain="cop.example.org")
    for key, value in (headers or {}).items():
        msg[key] = value
    msg.set_content(text)
    if html:
        msg.add_alternative(html, subtype="html")
    for item in attachments or ():
        maintype, _, subtype = item["content_type"].partition("/")
        if maintype != "text" or not subtype:
            raise ValueError(f"only text attachments are supported, not {item['content_type']}")
        msg.add_attachment(
            item["content"],
            subtype=subtype,
            filename=item["filename"],
            params=dict(item.get("params") or {}),
        )
    return msg


def send_message(msg: EmailMessage) -> None:
    """Send one message; raises smtplib/OSError on failure so callers can retry."""
    cfg = current_app.config
    if not cfg.get("MAIL_SERVER"):
        log.info("mail (no MAIL_SERVER set, not sent)\n%s", msg.as_string())
        return
    host, port = cfg["MAIL_SERVER"], cfg["MAIL_PORT"]
    if cfg.get("MAIL_USE_SSL"):
        smtp = smtplib.SMTP_SSL(host, port, timeout=15, context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(host, port, timeout=15)
    with smtp:
        if cfg.get("MAIL_USE_TLS"):
            smtp.starttls(context=ssl.create_default_context())
        if cfg.get("MAIL_USERNAME"):
            smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"] or "")
        smtp.send_message(msg)


def send_email(to: str, subject: str, text: str, html: str | None = None) -> bool:
    """Send now; a failure is logged and reported as False, never raised into a request."""
    try:
        send_message(build_message(to, subject, text, html))
        return True
    except (smtplib.SMTPException, OSError):
        log.exception("sending mail to %s failed", to)
        return False
