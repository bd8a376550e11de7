"""The header bell, the notification center and the settings page, through HTTP."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from cop.core.models import utcnow
from cop.extensions import db
from cop.notifications import services
from cop.notifications.kinds import Delivery
from cop.notifications.models import Notification
from cop.notifications.targets import TARGETS, register_target
from tests.conftest import csrf_token
from tests.notifications.helpers import mention

BADGE = re.compile(r"data-cop-bell-count>(\d+)<")


def _badge(html: str) -> int:
    match = BADGE.search(html)
    assert match, "no bell on the page"
    return int(match.group(1))


def _notify_many(user, actor, n, **kw):
    return [mention(user, actor, text=f"Mention number {i}", **kw) for i in range(n)]


def test_the_bell_shows_the_unread_count_on_every_page(app, world, client_for):
    member = world["member"]
    client = client_for(member)
    html = client.get("/").get_data(as_text=True)
    assert _badge(html) == 0 and "data-cop-bell-badge hidden" in html
    _notify_many(member, world["coach"], 3)
    for path in ("/", "/coalitions/", "/profile", "/notifications/preferences"):
        html = client.get(path).get_data(as_text=True)
        assert _badge(html) == 3, path
        assert '>3</span><span class="usa-sr-only"> unread</span>' in html
        # Small screens: the Menu button carries the same count.
        assert re.search(
            r'class="usa-menu-btn">Menu<span [^>]*data-cop-menu-badge>'
            r"<span data-cop-menu-count>3</span>",
            html,
        ), path
    assert 'src="/static/js/notifications.js"' in html
    assert "socket.io.min.js" in html


def test_no_bell_for_anonymous_visitors(client):
    html = client.get("/login").get_data(as_text=True)
    assert "data-cop-bell" not in html and "notifications.js" not in html
    assert "data-cop-menu-badge" not in html


def test_the_bell_costs_one_count_query(app, world, client_for, count_queries):
    client = client_for(world["member"])
    _notify_many(world["member"], world["coach"], 5)
    client.get("/")  # warm up
    with count_queries() as q:
        assert client.get("/").status_code == 200
    bell = [s for s in q.statements if "notifications" in s]
    assert len(bell) == 1 and "count(" in bell[0].lower()


def test_list_page_query_count_does_not_grow(app, world, client_for, count_queries):
    member, coach, lead = world["member"], world["coach"], world["lead"]
    client = client_for(member)
    mention(member, coach)
    client.get("/notifications")
    with count_queries() as few:
        client.get("/notifications")
    for i in range(30):
        mention(member, lead if i % 2 else coach, text=f"Mention {i}")
    with count_queries() as many:
        html = client.get("/notifications").get_data(as_text=True)
    assert html.count('/open"') == 31
    assert many.count == few.count <= 6, many.statements


def test_list_is_grouped_by_day_newest_first(app, world, client_for):
    member, coach = world["member"], world["coach"]
    old = mention(member, coach, text="From three days ago")
    old.created_at = utcnow() - timedelta(days=3)
    yesterday = mention(member, coach, text="From yesterday")
    yesterday.created_at = utcnow() - timedelta(days=1)
    db.session.commit()
    mention(member, coach, text="From today")
    html = client_for(member).get("/notifications").get_data(as_text=True)
    headings = re.findall(r'<h2 id="day-\d+"[^>]*>([^<]+)</h2>', html)
    assert headings[:2] == ["Today", "Yesterday"] and len(headings) == 3
    assert (
        html.index("From today") < html.index("From yesterday") < html.index("From three days ago")
    )


def test_open_marks_read_and_goes_to_the_thing(app, world, client_for, fresh):
    member = world["member"]
    n = mention(member, world["coach"])
    client = client_for(member)
    response = client.get(f"/notifications/{n.id}/open")
    assert response.status_code == 303
    assert response.headers["Location"] == "/forums/threads/7#post-42"
    fresh()
    assert db.session.get(Notification, n.id).read_at is not None
    assert _badge(client.get("/").get_data(as_text=True)) == 0


def test_open_never_redirects_off_site(app, world, client_for):
    member = world["member"]
    n = services.notify(
        member,
        "mention",
        actor=world["coach"],
        subject_type="post",
        subject_id=1,
        url="https://evil.example.com/x",
        text="Hi",
    )
    db.session.commit()
    response = client_for(member).get(f"/notifications/{n.id}/open")
    assert response.headers["Location"] == "/notifications"


def test_others_notifications_are_not_found(app, world, client_for, fresh):
    n = mention(world["member"], world["coach"])
    other = client_for(world["lead"])
    assert other.get(f"/notifications/{n.id}/open").status_code == 404
    other.post(f"/notifications/{n.id}/read", data={"csrf_token": csrf_token(other, "/")})
    fresh()
    assert db.session.get(Notification, n.id).read_at is None


def test_mark_one_and_mark_all_read(app, world, client_for, fresh):
    member = world["member"]
    first, second, third = _notify_many(member, world["coach"], 3)
    client = client_for(member)
    token = csrf_token(client, "/notifications")
    response = client.post(
        f"/notifications/{first.id}/read",
        data={"csrf_token": token, "next": f"/notifications#n-{first.id}"},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"/notifications#n-{first.id}"
    assert _badge(client.get("/notifications").get_data(as_text=True)) == 2
    response = client.post(
        "/notifications/read-all", data={"csrf_token": token, "next": "https://evil.example.com"}
    )
    assert response.headers["Location"] == "/notifications"
    html = client.get("/notifications").get_data(as_text=True)
    assert _badge(html) == 0 and "All notifications are marked as read." in html
    fresh()
    assert (
        db.session.execute(
            sa.select(sa.func.count())
            .select_from(Notification)
            .where(Notification.read_at.is_(None))
        ).scalar()
        == 0
    )


def test_mark_all_needs_csrf(app, world, client_for):
    mention(world["member"], world["coach"])
    assert client_for(world["member"]).post("/notifications/read-all").status_code == 400


def test_unread_filter_and_pages(app, world, client_for):
    member = world["member"]
    items = _notify_many(member, world["coach"], 3)
    services.mark_read(member, [items[0].id])
    client = client_for(member)
    html = client.get("/notifications?show=unread").get_data(as_text=True)
    assert "Mention number 0" not in html and "Mention number 2" in html
    from cop.notifications import queries

    page = queries.notifications_page(member, limit=2)
    assert [n.text for n in page.items] == ["Mention number 2", "Mention number 1"]
    rest = queries.notifications_page(member, limit=2, cursor=page.next_cursor)
    assert [n.text for n in rest.items] == ["Mention number 0"] and rest.next_cursor is None


def test_login_required(client):
    for path in ("/notifications", "/notifications/preferences", "/notifications/1/open"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_preferences_page_saves_per_kind_and_digest_time(app, world, client_for, fresh):
    member = world["member"]
    client = client_for(member)
    html = client.get("/notifications/preferences").get_data(as_text=True)
    # Every registered kind has a labelled select.
    for key in (
        "mention",
        "reply",
        "followed_post",
        "direct_message",
        "event_reminder",
        "event_changed",
        "waitlist_promoted",
        "expert_request",
        "action_item",
    ):
        assert f'<label for="kind__{key}"' in html and f'id="kind__{key}"' in html
    data = {
        "csrf_token": csrf_token(client, "/notifications/preferences"),
        "digest_hour": "6",
        "weekly_day": "4",
    }
    data.update({f"kind__{k}": v.value for k, v in services.preferences_of(member).items()})
    data.update(
        {"kind__mention": "daily", "kind__direct_message": "off", "kind__followed_post": "weekly"}
    )
    response = client.post("/notifications/preferences", data=data)
    assert response.status_code == 303
    fresh()
    prefs = services.preferences_of(member)
    assert prefs["mention"] == Delivery.DAILY and prefs["direct_message"] == Delivery.OFF
    assert prefs["followed_post"] == Delivery.WEEKLY and prefs["reply"] == Delivery.EMAIL
    settings = services.digest_settings(member)
    assert (settings.digest_hour, settings.weekly_day) == (6, 4)
    html = client.get("/notifications/preferences").get_data(as_text=True)
    assert "Your notification settings are saved." in html
    assert re.search(r'<option selected value="daily">|<option value="daily" selected>', html)


def test_preferences_page_rejects_unknown_values(app, world, client_for, fresh):
    client = client_for(world["member"])
    data = {
        "csrf_token": csrf_token(client, "/notifications/preferences"),
        "digest_hour": "99",
        "weekly_day": "0",
        "kind__mention": "carrier-pigeon",
    }
    response = client.post("/notifications/preferences", data=data)
    assert response.status_code == 400
    assert 'role="alert"' in response.get_data(as_text=True)
    fresh()
    assert services.delivery_for(world["member"], "mention") == Delivery.EMAIL


@pytest.fixture
def thread_targets():
    saved = dict(TARGETS)
    register_target(
        "thread", lambda ids: {i: (f"Thread number {i}", f"/forums/threads/{i}") for i in ids}
    )
    yield
    TARGETS.clear()
    TARGETS.update(saved)


def test_follows_and_mutes_are_listed_and_removable(app, world, client_for, thread_targets, fresh):
    member = world["member"]
    services.set_subscription(member, "thread", 7, services.FOLLOW)
    services.set_subscription(member, "chat_room", 3, services.MUTE)
    client = client_for(member)
    html = client.get("/notifications/preferences").get_data(as_text=True)
    assert '<a href="/forums/threads/7">Thread: Thread number 7</a>' in html
    assert "Chat room #3" in html and "Unmute" in html and "Stop following" in html
    thread_row = html[html.index("Thread number 7") :]
    sub_id = int(re.search(r"/notifications/subscriptions/(\d+)/delete", thread_row).group(1))
    other = client_for(world["lead"])
    assert (
        other.post(
            f"/notifications/subscriptions/{sub_id}/delete",
            data={"csrf_token": csrf_token(other, "/")},
        ).status_code
        == 404
    )
    response = client.post(
        f"/notifications/subscriptions/{sub_id}/delete",
        data={"csrf_token": csrf_token(client, "/")},
    )
    assert response.status_code == 303
    fresh()
    assert services.subscription_level(member, "thread", 7) is None
    assert services.subscription_level(member, "chat_room", 3) == services.MUTE
