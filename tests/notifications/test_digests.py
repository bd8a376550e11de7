"""Daily and weekly digests: in the recipient's time zone at their hour, once per period,
only when there is something new, over real SMTP."""

from __future__ import annotations

import threading

import sqlalchemy as sa

from cop.extensions import db
from cop.notifications import jobs, services
from cop.notifications.digests import due_periods
from cop.notifications.kinds import Delivery
from cop.notifications.models import DigestRun, Notification
from tests.notifications.conftest import at
from tests.notifications.helpers import mention

CHI = "America/Chicago"
LA = "America/Los_Angeles"


def _at_time(notification, when):
    notification.created_at = when
    db.session.commit()
    return notification


def _set_up_daily(user, token_for, app, *, hour=7, tz=CHI):
    user.timezone = tz
    db.session.commit()
    response = app.test_client().put(
        "/api/v1/me/preferences",
        headers={"Authorization": f"Bearer {token_for(user)}"},
        json={"kinds": {"followed_post": "daily", "mention": "daily"}, "digest_hour": hour},
    )
    assert response.status_code == 200, response.get_json()


def _post(user, actor, text, when, kind="followed_post"):
    return _at_time(mention(user, actor, text=text, kind=kind), when)


def test_daily_digest_arrives_once_in_the_users_morning(app, world, smtp_server, token_for, fresh):
    member, coach, lead = world["member"], world["coach"], world["lead"]
    _set_up_daily(member, token_for, app)
    _post(member, coach, "New post in “Employer engagement”", at("2026-03-02 10:00", CHI))
    _post(member, lead, "New post in “Supportive services”", at("2026-03-02 16:00", CHI))
    _post(
        member,
        coach,
        "Dana mentioned you in “Wraparound”",
        at("2026-03-02 18:00", CHI),
        kind="mention",
    )
    # Not in the digest: an in-app-only kind, and something already read.
    _post(member, coach, "An event changed", at("2026-03-02 11:00", CHI), kind="event_changed")
    read = _post(member, coach, "Already seen", at("2026-03-02 12:00", CHI))
    services.mark_read(member, [read.id])

    # 06:55 in Chicago is 12:55 UTC: past 7 in UTC, but not yet the user's morning.
    assert jobs.run_once(app, at("2026-03-03 06:55", CHI))["digests"] == 0
    assert smtp_server.messages == []

    assert jobs.run_once(app, at("2026-03-03 07:05", CHI))["digests"] == 1
    [msg] = smtp_server.to(member.email)
    assert msg["Subject"] == "Your cop digest for Tuesday, March 3: 3 new items"
    text, html = smtp_server.text(msg), smtp_server.html(msg)
    for item in ("Employer engagement", "Supportive services", "Wraparound"):
        assert item in text and item in html
    assert "An event changed" not in text and "Already seen" not in text
    assert "A new post in a thread or category you follow" in text  # grouped by kind
    assert "10:00 AM CST" in text  # times in the recipient's zone
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # Not again the same day, whatever the hour.
    for later in ("2026-03-03 07:30", "2026-03-03 23:59"):
        assert jobs.run_once(app, at(later, CHI))["digests"] == 0
    assert len(smtp_server.messages) == 1

    # Next morning, nothing new: nothing sent (the day is recorded as empty).
    assert jobs.run_once(app, at("2026-03-04 07:05", CHI))["digests"] == 0
    assert len(smtp_server.messages) == 1
    fresh()
    runs = db.session.execute(sa.select(DigestRun).order_by(DigestRun.id)).scalars().all()
    assert [(r.period_key, r.item_count, r.email_id is not None) for r in runs] == [
        ("2026-03-03", 3, True),
        ("2026-03-04", 0, False),
    ]

    # The day after: only what is new since the last digest.
    _post(member, lead, "New post in “Apprenticeship”", at("2026-03-04 12:00", CHI))
    assert jobs.run_once(app, at("2026-03-05 07:10", CHI))["digests"] == 1
    latest = smtp_server.messages[-1]
    assert "1 new item" in latest["Subject"]
    assert "Apprenticeship" in smtp_server.text(latest)
    assert "Employer engagement" not in smtp_server.text(latest)


def test_digest_kinds_send_no_immediate_email(app, world, smtp_server, token_for):
    from cop.notifications.models import OutboundEmail

    member = world["member"]
    _set_up_daily(member, token_for, app)
    assert mention(member, world["coach"]) is not None  # in the daily digest now
    assert db.session.execute(sa.select(OutboundEmail)).first() is None


def test_weekly_digest_on_the_chosen_day_and_hour(app, world, smtp_server, fresh):
    member, coach = world["member"], world["coach"]
    member.timezone = LA
    db.session.commit()
    services.update_preferences(
        member, member, deliveries={"followed_post": "weekly"}, digest_hour=9, weekly_day=4
    )  # Fridays at 9:00
    _post(member, coach, "Monday post", at("2026-03-02 10:00", LA))
    _post(member, coach, "Wednesday post", at("2026-03-04 10:00", LA))

    assert jobs.run_once(app, at("2026-03-05 09:30", LA))["digests"] == 0  # Thursday
    assert jobs.run_once(app, at("2026-03-06 08:59", LA))["digests"] == 0  # Friday, early
    assert jobs.run_once(app, at("2026-03-06 09:01", LA))["digests"] == 1
    [msg] = smtp_server.messages
    assert msg["Subject"].startswith("Your weekly cop digest")
    assert "Monday post" in smtp_server.text(msg) and "Wednesday post" in smtp_server.text(msg)
    assert jobs.run_once(app, at("2026-03-07 09:30", LA))["digests"] == 0  # same ISO week
    assert len(smtp_server.messages) == 1


def test_nothing_new_means_no_digest(app, world, smtp_server, token_for):
    _set_up_daily(world["member"], token_for, app)
    assert jobs.run_once(app, at("2026-03-03 07:05", CHI))["digests"] == 0
    assert smtp_server.messages == []


def test_two_runners_send_a_digest_once(app, world, smtp_server, token_for):
    member = world["member"]
    _set_up_daily(member, token_for, app)
    _post(member, world["coach"], "A post", at("2026-03-02 10:00", CHI))
    now = at("2026-03-03 07:05", CHI)
    barrier = threading.Barrier(3)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(jobs.run_once(app, now))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert sum(r["digests"] for r in results) == 1
    assert sum(r["sent"] for r in results) == 1
    assert len(smtp_server.messages) == 1


def test_digest_unsubscribe_link_stops_the_daily_digest(app, world, smtp_server, token_for, fresh):
    member = world["member"]
    _set_up_daily(member, token_for, app)
    _post(member, world["coach"], "A post", at("2026-03-02 10:00", CHI))
    jobs.run_once(app, at("2026-03-03 07:05", CHI))
    [msg] = smtp_server.messages
    path = msg["List-Unsubscribe"].strip("<>").removeprefix("http://127.0.0.1:5000")
    page = app.test_client().get(path)
    assert "The daily digest" in page.get_data(as_text=True)
    assert app.test_client().post(path).status_code == 200
    fresh()
    prefs = services.preferences_of(member)
    assert prefs["followed_post"] == Delivery.IN_APP and prefs["mention"] == Delivery.IN_APP


def test_html_in_digest_items_is_escaped(app, world, smtp_server, token_for):
    member = world["member"]
    _set_up_daily(member, token_for, app)
    _post(member, world["coach"], "New post in “<script>x()</script>”", at("2026-03-02 10:00", CHI))
    jobs.run_once(app, at("2026-03-03 07:05", CHI))
    [msg] = smtp_server.messages
    assert "<script>" not in smtp_server.html(msg)
    assert "&lt;script&gt;x()&lt;/script&gt;" in smtp_server.html(msg)


def test_due_periods_follow_the_local_clock():
    # 2026-03-08: US daylight saving starts; 8:00 in New York is 12:00 UTC (was 13:00).
    assert due_periods("America/New_York", 8, 6, at("2026-03-08 11:59")) == []
    assert due_periods("America/New_York", 8, 6, at("2026-03-08 12:00")) == [
        (Delivery.DAILY, "2026-03-08"),
        (Delivery.WEEKLY, "2026-W10"),
    ]
    # Honolulu is 10 hours behind UTC: still the day before there.
    assert due_periods("Pacific/Honolulu", 8, 6, at("2026-03-09 03:00")) == [
        (Delivery.DAILY, "2026-03-08"),
        (Delivery.WEEKLY, "2026-W10"),
    ]
    # A weekly digest missed on its day (no runner up) goes out later that ISO week.
    assert due_periods("UTC", 8, 0, at("2026-03-04 07:00")) == [(Delivery.WEEKLY, "2026-W10")]


def test_only_unread_in_app_entries_of_digest_kinds(app, world, token_for, smtp_server):
    member = world["member"]
    _set_up_daily(member, token_for, app)
    n = _post(member, world["coach"], "A post", at("2026-03-02 10:00", CHI))
    services.mark_all_read(member)
    assert db.session.get(Notification, n.id) is not None
    assert jobs.run_once(app, at("2026-03-03 07:05", CHI))["digests"] == 0
