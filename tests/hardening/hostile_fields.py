"""Every user-writable text field of cop, one entry each: how to submit a value through the
real service (or the HTTP form) and which page shows it. The hostile-input tests
(tests/hardening/test_hostile_input.py, tests/browser/test_hostile_pages.py) walk FIELDS.

A new feature adds its fields here, in one place: write a `submit(ctx, text) -> Shown` that
saves `text` into the field (raising the service's ServiceError, or `Refused` for an HTTP
4xx, when the input is refused) and returns the page (URL and the role that views it) that
shows it, then append a `HostileField` to FIELDS. `markdown=True` for fields rendered as
markdown (their raw text is not expected back verbatim); `capacity` for pages that show only
the latest N values (the test checks the page every N accepted values).
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any


@dataclass(frozen=True)
class Shown:
    """Where an accepted value shows: a page `url` opened by `role`, or the `html` of the
    response that accepted it."""

    url: str | None = None
    role: str = "admin"
    html: str | None = None


class Refused(Exception):
    """An HTTP submission answered 4xx: carries the status and the message shown."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


@dataclass(frozen=True)
class HostileField:
    name: str  # feature.object.field
    submit: Callable[[Ctx, str], Shown]
    markdown: bool = False
    capacity: int | None = None
    batch: bool = False  # submit takes every payload at once, joined by "\n" (CSV rows)


@dataclass
class Ctx:
    """What submit functions share: the `world` users, a cache for their set-up objects and
    logged-in test clients."""

    app: Any
    world: dict
    cache: dict = field(default_factory=dict)
    clients: dict = field(default_factory=dict)

    def once(self, key: str, make: Callable[[], Any]) -> Any:
        if key not in self.cache:
            self.cache[key] = make()
        return self.cache[key]

    def client(self, role: str):
        if role not in self.clients:
            from tests.conftest import login

            client = self.app.test_client()
            client.environ_base["REMOTE_ADDR"] = f"127.9.0.{len(self.clients) + 1}"
            login(client, self.world[role])
            self.clients[role] = client
        return self.clients[role]


def _n() -> str:
    return uuid.uuid4().hex[:10]


# ---------------------------------------------------------------- forums


def _general():
    from cop.forums import services
    from tests.forums.helpers import category

    services.ensure_default_categories()
    return category("general")


def forum_title(ctx: Ctx, text: str) -> Shown:
    from cop.forums import services

    thread = services.create_thread(
        ctx.world["member"], ctx.once("general", _general), title=text, body="Hostile title test"
    )
    return Shown(f"/forums/t/{thread.id}", "other_member")


def _hostile_thread(ctx: Ctx):
    from cop.forums import services

    return ctx.once(
        "thread",
        lambda: services.create_thread(
            ctx.world["member"],
            ctx.once("general", _general),
            title="Hostile replies",
            body="Replies follow.",
        ),
    )


def forum_post(ctx: Ctx, text: str) -> Shown:
    from cop.forums import services

    post = services.reply(ctx.world["other_member"], _hostile_thread(ctx), body=text)
    return Shown(f"/forums/p/{post.id}", "member")


def forum_category(ctx: Ctx, text: str) -> Shown:
    from cop.forums import services

    category = services.create_category(
        ctx.world["admin"], name=text, section="topic", description=text[:500], slug=f"h-{_n()}"
    )
    return Shown(f"/forums/c/{category.slug}", "member")


def notification_excerpt(ctx: Ctx, text: str) -> Shown:
    """A reply in a thread the member started: the member's notification quotes it."""
    from cop.forums import services

    services.reply(ctx.world["other_member"], _hostile_thread(ctx), body=text)
    return Shown("/notifications", "member")


# ---------------------------------------------------------------- chat


def chat_message(ctx: Ctx, text: str) -> Shown:
    from flask import current_app

    from cop.chat import services

    def room() -> int:
        services.ensure_default_rooms()
        from cop.chat.models import ChatRoom
        from cop.extensions import db

        key = services.coalition_room_key(ctx.world["alpha"].id)
        return db.session.execute(db.select(ChatRoom.id).where(ChatRoom.key == key)).scalar_one()

    room_id = ctx.once("room", room)
    current_app.config["CHAT_SEND_RATE"] = ""  # flooding is another test's business
    services.send_message(ctx.world["member"], room_id, text, uuid.uuid4().hex)
    return Shown(f"/chat/rooms/{room_id}", "lead")


# ---------------------------------------------------------------- events


def _event(ctx: Ctx, **values) -> Shown:
    from cop.events import services
    from tests.events.conftest import event_values

    event = services.create_event(ctx.world["coach"], event_values(**values))
    return Shown(f"/events/{event.id}", "member")


def event_title(ctx: Ctx, text: str) -> Shown:
    return _event(ctx, title=text)


def event_description(ctx: Ctx, text: str) -> Shown:
    return _event(ctx, description=text)


def event_location(ctx: Ctx, text: str) -> Shown:
    return _event(ctx, location=text)


# ---------------------------------------------------------------- coaching


def _session(ctx: Ctx, item: str = "Call the employer", **values) -> Shown:
    from cop.coaching import services
    from cop.core.models import utcnow

    ctx.once("topics", services.ensure_default_topics)
    world = ctx.world
    base = {
        "started_at": utcnow() - timedelta(days=1),
        "duration_minutes": 45,
        "modality": "phone",
        "initiated_by": "coalition",
        "coach_ids": [world["coach"].id],
        "attendee_ids": [],
        "other_attendees": "",
        "topics": ["apprenticeship"],
        "need": "",
        "summary": "Outreach",
        "outcome": "",
        "next_session_on": None,
        "private_notes": "notes",
    }
    base.update(values)
    session = services.log_session(
        world["coach"],
        world["alpha"],
        base,
        items=[services.NewActionItem(item, world["lead"].id, None)],
    )
    return Shown(f"/coaching/sessions/{session.id}", "coach")


def coaching_summary(ctx: Ctx, text: str) -> Shown:
    return _session(ctx, summary=text)


def coaching_notes(ctx: Ctx, text: str) -> Shown:
    return _session(ctx, private_notes=text)


def coaching_item(ctx: Ctx, text: str) -> Shown:
    return _session(ctx, item=text)


def coaching_topic(ctx: Ctx, text: str) -> Shown:
    from cop.coaching import services

    ctx.once("topics", services.ensure_default_topics)
    services.add_topic(ctx.world["admin"], text)
    return Shown("/coaching/topics", "admin")


# ---------------------------------------------------------------- reporting


def _coalition_with_report(ctx: Ctx, status: str = "draft"):
    from cop.reporting import services
    from tests import factories
    from tests.reporting.conftest import make_report, quarters

    ctx.once("measures", services.ensure_default_measures)
    last = ctx.once("quarters", quarters)["last"]
    coalition = factories.make_coalition(f"h-{_n()}")
    factories.assign_coach(ctx.world["coach"], coalition)
    report = (
        make_report(coalition, last, {}, status=status, actor=ctx.world["admin"])
        if status != "none"
        else None
    )
    return coalition, last, report


def report_narrative(ctx: Ctx, text: str) -> Shown:
    from cop.reporting import services

    coalition, quarter, _ = _coalition_with_report(ctx, "none")
    services.save_report(
        ctx.world["admin"],
        coalition,
        quarter,
        narrative={"progress": text, "challenges": text, "ta_wanted": text},
    )
    return Shown(f"/reporting/coalitions/{coalition.slug}/reports/{quarter.key}", "coach")


def report_comments(ctx: Ctx, text: str) -> Shown:
    from cop.reporting import services

    coalition, quarter, report = _coalition_with_report(ctx, "submitted")
    services.review_report(ctx.world["admin"], report, decision="return", comments=text)
    return Shown(f"/reporting/coalitions/{coalition.slug}/reports/{quarter.key}", "coach")


def report_csv(ctx: Ctx, text: str) -> Shown:
    """Many payloads at once (one a line): each one a row's coalition cell and value cells,
    uploaded through the import form; the page that refuses it lists the cells."""
    from cop.reporting import services
    from tests.reporting.conftest import quarters

    ctx.once("measures", services.ensure_default_measures)
    last = ctx.once("quarters", quarters)["last"]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["coalition", "quarter", "new-participants-served", "participants-served"])
    for line in text.split("\n"):
        writer.writerow([line, last.key, line, "12"])
        writer.writerow([ctx.world["alpha"].slug, last.key, line, line])
    client = ctx.client("admin")
    from tests.conftest import csrf_token

    response = client.post(
        "/reporting/import",
        content_type="multipart/form-data",
        data={
            "csrf_token": csrf_token(client, "/reporting/import"),
            "quarter": "",
            "file": (io.BytesIO(out.getvalue().encode("utf-8", "surrogatepass")), "hostile.csv"),
        },
    )
    html = response.get_data(as_text=True)
    if 400 <= response.status_code < 500:
        raise Refused(response.status_code, html)
    assert response.status_code < 400, response.status_code
    return Shown(html=html)


# ---------------------------------------------------------------- accounts, coalitions


def _profile(ctx: Ctx, **values) -> Shown:
    from cop.accounts import services
    from tests import factories

    user = factories.make_user("member", coalition=ctx.world["alpha"])
    fields = {
        "name": user.name,
        "organization": "",
        "title": "",
        "bio": "",
        "timezone": "America/Chicago",
    }
    fields.update(values)
    services.update_profile(user, user, **fields)
    return Shown(f"/people/{user.id}", "other_member")


def account_name(ctx: Ctx, text: str) -> Shown:
    return _profile(ctx, name=text)


def account_organization(ctx: Ctx, text: str) -> Shown:
    return _profile(ctx, organization=text)


def account_title(ctx: Ctx, text: str) -> Shown:
    return _profile(ctx, title=text)


def account_bio(ctx: Ctx, text: str) -> Shown:
    return _profile(ctx, bio=text)


def coalition_name(ctx: Ctx, text: str) -> Shown:
    """Names are set by admins through the service (CLI, seed); not editable in the UI."""
    from tests import factories

    coalition = factories.make_coalition(
        f"h-{_n()}", name=text, lead_organization=text, description=text
    )
    return Shown(f"/coalitions/{coalition.slug}", "member")


# ---------------------------------------------------------------- experts


def _outside_profile(ctx: Ctx, **values):
    """A new profile maintained by the coach (an expert's own profile is one a person)."""
    from tests.experts.helpers import outside_profile

    return outside_profile(ctx.world, **values)


def _expert(ctx: Ctx, **values) -> Shown:
    profile = _outside_profile(ctx, **values)
    return Shown(f"/experts/{profile.id}", "member")


def expert_name(ctx: Ctx, text: str) -> Shown:
    return _expert(ctx, name=text)


def expert_organization(ctx: Ctx, text: str) -> Shown:
    return _expert(ctx, organization=text)


def expert_title(ctx: Ctx, text: str) -> Shown:
    return _expert(ctx, title=text)


def expert_bio(ctx: Ctx, text: str) -> Shown:
    return _expert(ctx, bio=text)


def _expert_request(ctx: Ctx, need: str):
    """The member asks the coach's outside expert (requests left pending do not count
    against the expert's monthly capacity)."""
    from cop.experts import services

    profile = ctx.once("outside_expert", lambda: _outside_profile(ctx, monthly_capacity=20))
    return services.create_request(
        ctx.world["member"], profile, {"coalition_id": ctx.world["alpha"].id, "need": need}
    )


def expert_need(ctx: Ctx, text: str) -> Shown:
    req = _expert_request(ctx, text)
    return Shown(f"/experts/requests/{req.id}", "coach")


def expert_decline_note(ctx: Ctx, text: str) -> Shown:
    from cop.experts import services

    req = _expert_request(ctx, "Hostile decline note test")
    services.change_state(ctx.world["coach"], req, "declined", note=text)
    return Shown(f"/experts/requests/{req.id}", "member")


# ---------------------------------------------------------------- library


def _resource(ctx: Ctx, **values):
    from cop.library import services

    fields = {"title": "Hostile library test", "summary": "A template.", "type": "template"}
    fields.update(values)
    return services.share_resource(ctx.world["member"], services.ResourceValues(**fields))


def library_title(ctx: Ctx, text: str) -> Shown:
    resource = _resource(ctx, title=text)
    return Shown(f"/library/resources/{resource.id}", "other_member")


def library_summary(ctx: Ctx, text: str) -> Shown:
    resource = _resource(ctx, summary=text)
    return Shown(f"/library/resources/{resource.id}", "other_member")


def library_comment(ctx: Ctx, text: str) -> Shown:
    from cop.library import services

    resource = ctx.once("library_resource", lambda: _resource(ctx, title="Hostile comments"))
    services.add_comment(ctx.world["other_member"], resource, text)
    return Shown(f"/library/resources/{resource.id}", "member")


def _collection(ctx: Ctx, title: str = "Hostile collection", description: str = "") -> Shown:
    from cop.library import services

    collection = services.create_collection(ctx.world["coach"], title, description)
    return Shown(f"/library/collections/{collection.id}", "member")


def collection_title(ctx: Ctx, text: str) -> Shown:
    return _collection(ctx, title=text)


def collection_description(ctx: Ctx, text: str) -> Shown:
    return _collection(ctx, description=text)


def collection_note(ctx: Ctx, text: str) -> Shown:
    """A curator's note on a resource in a collection (a new resource each time)."""
    from cop.library import services

    def make():
        return services.create_collection(ctx.world["coach"], "Hostile notes")

    collection = ctx.once("library_collection", make)
    services.add_to_collection(ctx.world["coach"], collection, _resource(ctx), text)
    return Shown(f"/library/collections/{collection.id}", "member")


# ---------------------------------------------------------------- commitments


def _commitment(ctx: Ctx, **values):
    """Submitted by the signed-in member: queued for review, shown to its submitter."""
    from cop.commitments import services
    from tests.commitments.helpers import make_input

    return services.submit(ctx.world["member"], make_input(**values))


def _commitment_page(ctx: Ctx, **values) -> Shown:
    return Shown(f"/commitments/{_commitment(ctx, **values).id}", "member")


def commitment_org_name(ctx: Ctx, text: str) -> Shown:
    return _commitment_page(ctx, org_name=text)


def commitment_title(ctx: Ctx, text: str) -> Shown:
    return _commitment_page(ctx, title=text)


def commitment_description(ctx: Ctx, text: str) -> Shown:
    return _commitment_page(ctx, description=text)


def commitment_review_message(ctx: Ctx, text: str) -> Shown:
    """The admin asks for changes: the message shows on the contact's edit page."""
    from cop.commitments import services

    commitment = _commitment(ctx)
    services.review(ctx.world["admin"], commitment, "changes", text)
    return Shown(f"/commitments/edit/{services.make_token(commitment, 'edit')}", "member")


FIELDS: list[HostileField] = [
    HostileField("forums.thread.title", forum_title),
    HostileField("forums.post.body", forum_post, markdown=True),
    HostileField("forums.category.name", forum_category),
    HostileField("chat.message.body", chat_message, markdown=True, capacity=40),
    HostileField("events.event.title", event_title),
    HostileField("events.event.description", event_description, markdown=True),
    HostileField("events.event.location", event_location),
    HostileField("coaching.session.summary", coaching_summary, markdown=True),
    HostileField("coaching.session.private_notes", coaching_notes, markdown=True),
    HostileField("coaching.action_item.description", coaching_item),
    HostileField("coaching.topic.label", coaching_topic),
    HostileField("reporting.report.narrative", report_narrative, markdown=True),
    HostileField("reporting.report.review_comments", report_comments, markdown=True),
    HostileField("reporting.import.csv_cells", report_csv, batch=True),
    HostileField("accounts.user.name", account_name),
    HostileField("accounts.user.organization", account_organization),
    HostileField("accounts.user.title", account_title),
    HostileField("accounts.user.bio", account_bio, markdown=True),
    HostileField("coalitions.coalition.name", coalition_name),
    HostileField(
        "notifications.notification.excerpt", notification_excerpt, markdown=True, capacity=15
    ),
    HostileField("experts.profile.name", expert_name),
    HostileField("experts.profile.organization", expert_organization),
    HostileField("experts.profile.title", expert_title),
    HostileField("experts.profile.bio", expert_bio, markdown=True),
    HostileField("experts.request.need", expert_need),
    HostileField("experts.request.decline_note", expert_decline_note),
    HostileField("library.resource.title", library_title),
    HostileField("library.resource.summary", library_summary, markdown=True),
    HostileField("library.comment.body", library_comment, markdown=True),
    HostileField("library.collection.title", collection_title),
    HostileField("library.collection.description", collection_description, markdown=True),
    HostileField("library.collection_item.note", collection_note),
    HostileField("commitments.commitment.org_name", commitment_org_name),
    HostileField("commitments.commitment.title", commitment_title),
    HostileField("commitments.commitment.description", commitment_description, markdown=True),
    HostileField("commitments.commitment.review_message", commitment_review_message),
]
