"""Email over real SMTP (aiosmtpd on loopback): queued with the notification, sent by the
job runner exactly once, retried with backoff, never lost, never inside a request."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from cop.core.models import utcnow
from cop.extensions import db
from cop.notifications import jobs, services
from cop.notifications.kinds import Delivery
from cop.notifications.mail import queue_email
from cop.notifications.models import Notification, OutboundEmail
from tests.conftest import BACKEND
from tests.notifications.helpers import THREAD_URL, mention

ROOT = Path(__file__).resolve().parents[2]


def _emails(status=None):
    query = sa.select(OutboundEmail).order_by(OutboundEmail.id)
    if status:
        query = query.where(OutboundEmail.status == status)
    return list(db.session.execute(query).scalars())


def test_a_mention_gives_one_email_and_one_entry(app, world, smtp_server, fresh, client_for):
    member, coach = world["member"], world["coach"]
    mention(member, coach, excerpt="Could you share the ratio you use?\nThanks!")
    assert smtp_server.messages == []  # nothing is sent inside the caller's transaction

    assert jobs.run_once(app)["sent"] == 1
    assert jobs.run_once(app)["sent"] == 0

    [msg] = smtp_server.to(member.email)
    assert len(smtp_server.messages) == 1
    assert msg["Subject"] == f"{coach.name} mentioned you in “Apprenticeship ratios”"
    text, html = smtp_server.text(msg), smtp_server.html(msg)
    assert "Could you share the ratio you use?" in text and "> Thanks!" in text
    assert "Could you share the ratio you use?" in html
    fresh()
    [entry] = db.session.execute(sa.select(Notification)).scalars().all()
    assert entry.user_id == member.id and entry.actor_id == coach.id
    open_url = f"http://127.0.0.1:5000/notifications/{entry.id}/open"
    assert open_url in text and open_url in html

    # Every notification email has a working one-click unsubscribe link and the headers.
    unsubscribe = msg["List-Unsubscribe"].strip("<>")
    assert unsubscribe.startswith("http://127.0.0.1:5000/notifications/unsubscribe/")
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe in text and unsubscribe in html.replace("&amp;", "&")

    # The in-app side: one entry in the list, linked to the thing.
    page = client_for(member).get("/notifications").get_data(as_text=True)
    assert page.count(f"/notifications/{entry.id}/open") == 1


def test_unsubscribe_link_from_the_email_works(app, world, smtp_server, fresh):
    member, coach = world["member"], world["coach"]
    mention(member, coach)
    jobs.run_once(app)
    [msg] = smtp_server.messages
    path = msg["List-Unsubscribe"].strip("<>").removeprefix("http://127.0.0.1:5000")
    # RFC 8058: the mail app POSTs, without cookies or a CSRF token.
    response = app.test_client().post(path, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    fresh()
    assert services.delivery_for(member, "mention") == Delivery.IN_APP

    mention(member, coach, text="Another mention")
    jobs.run_once(app)
    assert len(smtp_server.messages) == 1  # no more email for mentions
    assert db.session.execute(sa.select(sa.func.count()).select_from(Notification)).scalar() == 2


def test_a_muted_thread_produces_nothing(app, world, smtp_server, fresh):
    member, coach = world["member"], world["coach"]
    services.set_subscription(member, "thread", 7, services.MUTE)
    assert mention(member, coach) is None
    jobs.run_once(app)
    fresh()
    assert smtp_server.messages == []
    assert db.session.execute(sa.select(Notification)).first() is None
    assert _emails() == []


def test_a_muted_category_produces_nothing(app, world, smtp_server):
    member, coach = world["member"], world["coach"]
    services.set_subscription(member, "category", 2, services.MUTE)
    assert mention(member, coach) is None
    jobs.run_once(app)
    assert smtp_server.messages == []


def test_kind_off_produces_nothing_in_app_only_no_email(app, world, smtp_server, fresh):
    member, lead, coach = world["member"], world["lead"], world["coach"]
    services.update_preferences(member, member, deliveries={"mention": "off"})
    services.update_preferences(lead, lead, deliveries={"mention": "in_app"})
    assert mention(member, coach) is None
    assert mention(lead, coach) is not None
    jobs.run_once(app)
    fresh()
    assert smtp_server.messages == []
    assert [n.user_id for n in db.session.execute(sa.select(Notification)).scalars()] == [lead.id]


def test_in_app_default_kinds_send_no_email(app, world, smtp_server):
    mention(world["member"], world["coach"], kind="followed_post", text="New post")
    jobs.run_once(app)
    assert smtp_server.messages == []


def test_html_in_a_name_and_a_subject_is_escaped(app, world, smtp_server, db):
    coach = world["coach"]
    coach.name = '<img src=x onerror="alert(1)">Eve'
    db.session.commit()
    mention(
        world["member"],
        coach,
        text=f"{coach.name} mentioned you in “<script>alert(2)</script>”",
        excerpt="<b>bold?</b>",
    )
    jobs.run_once(app)
    [msg] = smtp_server.messages
    html, text = smtp_server.html(msg), smtp_server.text(msg)
    assert "<script>" not in html and "<img" not in html and "<b>bold" not in html
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;Eve" in html
    assert "&lt;b&gt;bold?&lt;/b&gt;" in html
    # Plain text is never interpreted: it shows exactly what was written.
    assert "<script>alert(2)</script>" in text and "From <img src=x" in text
    assert msg["Subject"].endswith("“<script>alert(2)</script>”")


def test_a_recipient_without_an_address_does_not_break_the_caller(app, world, smtp_server, db):
    member = world["member"]
    member.email = ""  # e.g. an account imported without one
    assert mention(member, world["coach"]) is not None
    assert _emails() == []
    jobs.run_once(app)
    assert smtp_server.messages == []


def test_notify_in_a_request_with_a_broken_smtp_server(app, world, mail_config, closed_port, fresh):
    """Sending never happens in the request: a down SMTP server cannot break it."""
    mail_config(MAIL_SERVER="127.0.0.1", MAIL_PORT=closed_port)
    with app.test_request_context("/forums/threads/7/reply", method="POST"):
        assert mention(world["member"], world["coach"]) is not None
    fresh()
    [email] = _emails()
    assert email.status == "pending" and email.attempts == 0


def test_test_email_request_with_a_broken_smtp_server(
    app, world, mail_config, closed_port, client_for, fresh
):
    mail_config(MAIL_SERVER="127.0.0.1", MAIL_PORT=closed_port)
    client = client_for(world["member"])
    response = client.post(
        "/notifications/preferences/test-email", data={"csrf_token": _csrf(client)}
    )
    assert response.status_code in (302, 303)
    fresh()
    [email] = _emails()
    assert email.status == "pending" and email.to_address == world["member"].email


def _csrf(client):
    from tests.conftest import csrf_token

    return csrf_token(client, "/notifications/preferences")


def test_failed_sends_are_retried_with_backoff_then_marked_failed(
    app, world, mail_config, closed_port, smtp_server, fresh, caplog
):
    mail_config(MAIL_PORT=closed_port, MAIL_MAX_ATTEMPTS=3, MAIL_RETRY_BASE_SECONDS=60)
    mention(world["member"], world["coach"])
    now = utcnow()

    assert jobs.run_once(app, now)["retry"] == 1
    fresh()
    [email] = _emails()
    assert (email.status, email.attempts) == ("pending", 1)
    assert email.next_attempt_at == now + timedelta(seconds=60)
    assert "ConnectionRefusedError" in email.last_error

    assert jobs.run_once(app, now + timedelta(seconds=59))["retry"] == 0  # not due yet
    assert jobs.run_once(app, now + timedelta(seconds=60))["retry"] == 1
    fresh()
    assert _emails()[0].next_attempt_at == now + timedelta(seconds=180)  # 60 + 2 * 60

    with caplog.at_level("ERROR", logger="cop.mail"):
        assert jobs.run_once(app, now + timedelta(seconds=180))["failed"] == 1
    fresh()
    [email] = _emails()
    assert (email.status, email.attempts) == ("failed", 3)
    assert "FAILED for good" in caplog.text
    assert jobs.run_once(app, now + timedelta(days=1)) == {
        "reminders": 0,
        "periodic": 0,
        "digests": 0,
        "sent": 0,
        "retry": 0,
        "failed": 0,
    }

    # Never lost: the admin sees it and queues it again once the server is back.
    mail_config(MAIL_PORT=smtp_server.port)
    admin = app.test_client()
    from tests.conftest import login, post_form

    login(admin, world["admin"])
    page = admin.get("/notifications/outbox").get_data(as_text=True)
    assert world["member"].email in page and "ConnectionRefusedError" in page
    assert (
        post_form(
            admin, "/notifications/outbox/retry", token_from="/notifications/outbox"
        ).status_code
        == 303
    )
    assert jobs.run_once(app)["sent"] == 1
    assert len(smtp_server.to(world["member"].email)) == 1


def test_outbox_page_is_for_admins_only(app, world, client_for):
    assert client_for(world["coach"]).get("/notifications/outbox").status_code == 404
    assert client_for(world["admin"]).get("/notifications/outbox").status_code == 200


def test_a_crashed_runner_claim_runs_out_and_another_sends(app, world, smtp_server, fresh):
    mention(world["member"], world["coach"])
    now = utcnow()
    from cop.notifications.mail import claim

    with app.app_context():
        ticket, claimed = claim(now, "dead-runner")  # claimed, then the process died
    assert len(claimed) == 1
    assert jobs.run_once(app, now + timedelta(seconds=60))["sent"] == 0
    assert jobs.run_once(app, now + timedelta(seconds=301))["sent"] == 1
    assert len(smtp_server.messages) == 1


def test_a_slow_runner_that_lost_its_claim_does_not_send_again(app, world, smtp_server):
    """A batch outlived its claim (a hanging SMTP server): another runner took the email
    over and sent it; the slow runner, reaching it at last, skips it."""
    from cop.notifications.mail import claim, deliver

    mention(world["member"], world["coach"])
    now = utcnow()
    with app.app_context():
        ticket, [email] = claim(now, "slow-runner")
    assert jobs.run_once(app, now + timedelta(seconds=301))["sent"] == 1
    with app.app_context():
        assert deliver(email, ticket, now + timedelta(seconds=302)) == "skipped"
    assert len(smtp_server.messages) == 1


def test_sent_emails_are_purged_after_the_retention_period(
    app, world, smtp_server, fresh, mail_config
):
    mail_config(MAIL_KEEP_SENT_DAYS=30)
    mention(world["member"], world["coach"])
    now = utcnow()
    jobs.run_once(app, now)
    jobs.run_once(app, now + timedelta(days=29))
    fresh()
    assert len(_emails("sent")) == 1
    jobs.run_once(app, now + timedelta(days=31))
    fresh()
    assert _emails() == []


def _many_emails(world, n):
    for i in range(n):
        queue_email(f"person{i}@test.example.org", f"Message {i}", f"Body {i}", f"<p>{i}</p>")
    db.session.commit()


def _race(app, runners=2, now=None):
    barrier = threading.Barrier(runners)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(jobs.run_once(app, now, worker=threading.current_thread().name))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=run, name=f"runner-{i}") for i in range(runners)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    return results


def test_two_job_runners_at_once_send_each_email_once(app, world, smtp_server, fresh):
    _many_emails(world, 120)  # more than one claim batch each
    results = _race(app, runners=2)
    assert sum(r["sent"] for r in results) == 120
    subjects = sorted(m["Subject"] for m in smtp_server.messages)
    assert subjects == sorted(f"Message {i}" for i in range(120))  # each exactly once
    fresh()
    assert {e.status for e in _emails()} == {"sent"}


def test_four_job_runners_race_for_one_email(app, world, smtp_server):
    mention(world["member"], world["coach"])
    results = _race(app, runners=4)
    assert sum(r["sent"] for r in results) == 1
    assert len(smtp_server.messages) == 1


def test_no_mail_server_writes_the_email_to_the_log(app, world, caplog, fresh):
    assert app.config["MAIL_SERVER"] is None
    mention(world["member"], world["coach"])
    with caplog.at_level("INFO", logger="cop.mail"):
        assert jobs.run_once(app)["sent"] == 1
    assert "mentioned you in" in caplog.text and world["member"].email in caplog.text
    fresh()
    assert _emails()[0].status == "sent"


def test_queue_email_is_the_path_for_foundation_mail(app, smtp_server):
    """Password reset and invitations: queue in the service's transaction, sent by a job."""
    email = queue_email(
        "new.person@test.example.org",
        "Your invitation to cop",
        "Accept: http://127.0.0.1:5000/invitations/accept/x",
    )
    db.session.commit()
    assert email.kind is None and email.status == "pending"
    jobs.run_once(app)
    [msg] = smtp_server.to("new.person@test.example.org")
    assert "invitations/accept" in smtp_server.text(msg)
    assert msg["List-Unsubscribe"] is None  # transactional: nothing to unsubscribe from


def test_worker_command_once_in_process(app, world, smtp_server):
    mention(world["member"], world["coach"])
    result = app.test_cli_runner().invoke(args=["cop", "worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "sent 1" in result.output
    assert len(smtp_server.messages) == 1


def test_flask_cop_worker_once_sends_pending_mail(app, world, smtp_server, database_url, tmp_path):
    """The real command, in its own process, on the same database."""
    mention(world["member"], world["coach"])
    env = {
        k: v for k, v in os.environ.items() if k not in ("TEST_DATABASE_URL", "FLASK_RUN_FROM_CLI")
    }
    env.update(
        COP_ENV="development",
        DATABASE_URL=database_url,
        COP_INSTANCE_PATH=str(tmp_path),
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(smtp_server.port),
        SECRET_KEY="worker-test-key",
    )
    env.pop("REDIS_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "cop", "worker", "--once"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "sent 1" in done.stdout
    [msg] = smtp_server.to(world["member"].email)
    assert THREAD_URL not in msg["Subject"]


def test_outbox_command_lists_failed_emails(app, world, mail_config, closed_port):
    mail_config(MAIL_SERVER="127.0.0.1", MAIL_PORT=closed_port, MAIL_MAX_ATTEMPTS=1)
    mention(world["member"], world["coach"])
    jobs.run_once(app)
    result = app.test_cli_runner().invoke(args=["cop", "outbox"])
    assert "failed 1" in result.output and "ConnectionRefusedError" in result.output
    result = app.test_cli_runner().invoke(args=["cop", "outbox", "--retry-failed"])
    assert "1 failed email(s) queued again" in result.output


@pytest.mark.skipif(BACKEND != "postgresql", reason="PostgreSQL-only: SKIP LOCKED claims")
def test_postgres_runners_skip_locked_rows(app, world, smtp_server):
    _many_emails(world, 60)
    results = _race(app, runners=3)
    assert sum(r["sent"] for r in results) == 60
    assert len(smtp_server.messages) == 60


@pytest.mark.parametrize("name", ["Coach", "José Núñez-Ortega", "A" * 40, "Ō" * 60])
def test_non_ascii_subjects_arrive_intact(app, world, smtp_server, db, name):
    coach = world["coach"]
    coach.name = name
    db.session.commit()
    text = f"{name} mentioned you in “Apprenticeship ratios — Q3 plan”"
    mention(world["member"], coach, text=text)
    jobs.run_once(app)
    [msg] = smtp_server.messages
    assert msg["Subject"] == text
