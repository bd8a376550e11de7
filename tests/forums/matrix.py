"""The forum routes x roles table, walked by tests/forums/test_route_matrix.py; the global
route matrix (tests/test_permission_matrix.py) counts the endpoints named in ENDPOINTS as
covered here.

- `CASES = {"METHOD /path": {role: expected_status}}`: every case;
- `ENDPOINTS = {"METHOD /path": endpoint}`: the Flask endpoint each case exercises;
- `BODIES`: the JSON sent with API writes (placeholders filled in);
- `ROWS = {endpoint: {role: status}}`: the first case of each endpoint.

Placeholders, filled by `ids(world)` (content made through the services, fresh per test):
  {public}        a question in "general" by world["member"]; {public_post} its opening post
  {reply}         a reply in it by world["other_member"] (flagged by world["expert"])
  {hidden}        a reply in it by world["expert"], hidden by an admin
  {private}       a thread in alpha's private category by world["member"];
  {private_post}  its opening post
  {alpha}         the slug of alpha's private category

Statuses: 200/201/204 allowed, 303 done and redirected, 302 a redirect (to the login page for
the anonymous and switched-off accounts; to the post for readers), 400 let through the
permission checks to validation (HTML POSTs carry only a CSRF token), 401 the API wants a
token, 403 may see it but not do this, 404 may not know it exists.
"""

from __future__ import annotations

ROLES = (
    "admin",
    "coach",
    "other_coach",
    "lead",
    "member",
    "other_member",
    "expert",
    "guest",
    "deactivated",
    "anonymous",
)


def _row(
    admin, coach, other_coach, lead, member, other_member, expert, *, guest=404, html=True
) -> dict[str, int]:
    stranger = 302 if html else 401
    return dict(
        zip(
            ROLES,
            (
                admin,
                coach,
                other_coach,
                lead,
                member,
                other_member,
                expert,
                guest,
                stranger,
                stranger,
            ),
            strict=True,
        )
    )


def everyone(status, *, html=True, **overrides) -> dict[str, int]:
    """Every signed-in role but guests."""
    row = _row(*(status,) * 7, html=html)
    row.update(overrides)
    return row


def alpha(status, *, html=True, lead=None, member=None) -> dict[str, int]:
    """Alpha's private category: its members, its coach, admins."""
    return _row(status, status, 404, lead or status, member or status, 404, 404, html=html)


def staff(status) -> dict[str, int]:
    return _row(status, status, status, 404, 404, 404, 404)


def moderators(
    status, *, html=True, author: str | None = None, others: int = 403
) -> dict[str, int]:
    """Community-wide content: admins and coaches moderate; the author may too."""
    row = _row(status, status, status, others, others, others, others, html=html)
    if author:
        row[author] = status
    return row


def moderators_of_alpha(status) -> dict[str, int]:
    return _row(status, status, 404, 403, 403, 404, 404)


def admins(status) -> dict[str, int]:
    return _row(status, 404, 404, 404, 404, 404, 404)


API = "/api/v1/forums"

CASES: dict[str, dict[str, int]] = {
    "GET /forums/": everyone(200),
    "GET /forums/latest": everyone(200),
    "GET /forums/search?q=apprenticeship": everyone(200),
    "GET /forums/c/general": everyone(200),
    "GET /forums/c/{alpha}": alpha(200),
    "GET /forums/c/staff-room": staff(200),
    "POST /forums/c/general/subscription": everyone(303),
    "POST /forums/c/{alpha}/subscription": alpha(303),
    "GET /forums/t/{public}": everyone(200),
    "GET /forums/t/{private}": alpha(200),
    "GET /forums/t/{public}/2": everyone(302),
    "GET /forums/p/{reply}": everyone(302),
    "GET /forums/p/{private_post}": alpha(302),
    "GET /forums/p/{reply}/revisions": everyone(200),
    "GET /forums/new": everyone(200),
    "POST /forums/new": everyone(400),
    "GET /forums/t/{public}/reply": everyone(200),
    "POST /forums/t/{public}/reply": everyone(400),
    "POST /forums/t/{private}/reply": alpha(400),
    "POST /forums/t/{public}/subscription": everyone(303),
    "GET /forums/p/{public_post}/edit": moderators(200, author="member"),
    "POST /forums/p/{public_post}/edit": moderators(400, author="member"),
    "GET /forums/p/{private_post}/edit": alpha(200, lead=403),
    "GET /forums/p/{reply}/delete": moderators(200, author="other_member"),
    "POST /forums/p/{reply}/delete": moderators(303, author="other_member"),
    "POST /forums/p/{reply}/react": everyone(400, other_member=403),
    "POST /forums/p/{reply}/accept": moderators(303, author="member"),
    "GET /forums/p/{reply}/flag": everyone(200, other_member=403),
    "POST /forums/p/{reply}/flag": everyone(400, other_member=403),
    "POST /forums/t/{public}/pin": moderators(303),
    "POST /forums/t/{private}/pin": moderators_of_alpha(303),
    "POST /forums/t/{public}/lock": moderators(303),
    "GET /forums/t/{public}/move": moderators(200),
    "POST /forums/t/{public}/move": moderators(400),
    "GET /forums/t/{public}/merge": moderators(200),
    "POST /forums/t/{public}/merge": moderators(400),
    "GET /forums/p/{reply}/hide": moderators(200),
    "POST /forums/p/{reply}/hide": moderators(400),
    "POST /forums/p/{hidden}/unhide": moderators(303),
    "POST /forums/p/{reply}/dismiss-flags": moderators(303),
    "GET /forums/moderation": staff(200),
    "GET /forums/admin/categories": admins(200),
    "POST /forums/admin/categories": admins(400),
    "GET /forums/admin/categories/general/edit": admins(200),
    "POST /forums/admin/categories/general/edit": admins(400),
    "POST /forums/admin/categories/general/move": admins(303),
    "POST /forums/admin/categories/general/archive": admins(303),
    # API, bearer tokens: the switched-off and the anonymous have none that works (401).
    f"GET {API}/categories": everyone(200, html=False),
    f"GET {API}/threads": everyone(200, html=False),
    f"GET {API}/threads?category={{alpha}}": alpha(200, html=False),
    f"POST {API}/threads": everyone(201, html=False),
    f"GET {API}/threads/{{private}}": alpha(200, html=False),
    f"POST {API}/threads/{{public}}/posts": everyone(201, html=False),
    f"POST {API}/threads/{{private}}/posts": alpha(201, html=False),
    f"GET {API}/posts/{{reply}}": everyone(200, html=False),
    f"PATCH {API}/posts/{{reply}}": moderators(200, html=False, author="other_member"),
    f"DELETE {API}/posts/{{reply}}": moderators(204, html=False, author="other_member"),
    f"PUT {API}/posts/{{reply}}/reactions/helpful": everyone(200, html=False, other_member=403),
    f"DELETE {API}/posts/{{reply}}/reactions/helpful": everyone(200, html=False, other_member=403),
    f"PUT {API}/threads/{{public}}/accepted-answer": moderators(200, html=False, author="member"),
    f"DELETE {API}/threads/{{public}}/accepted-answer": moderators(
        200, html=False, author="member"
    ),
    f"GET {API}/search?q=apprenticeship": everyone(200, html=False),
    f"GET {API}/mentions?q=Person": everyone(200, html=False),
}

ENDPOINTS: dict[str, str] = {
    "GET /forums/": "forums.index",
    "GET /forums/latest": "forums.latest",
    "GET /forums/search?q=apprenticeship": "forums.search",
    "GET /forums/c/general": "forums.category",
    "GET /forums/c/{alpha}": "forums.category",
    "GET /forums/c/staff-room": "forums.category",
    "POST /forums/c/general/subscription": "forums.category_subscription",
    "POST /forums/c/{alpha}/subscription": "forums.category_subscription",
    "GET /forums/t/{public}": "forums.thread",
    "GET /forums/t/{private}": "forums.thread",
    "GET /forums/t/{public}/2": "forums.jump",
    "GET /forums/p/{reply}": "forums.post_link",
    "GET /forums/p/{private_post}": "forums.post_link",
    "GET /forums/p/{reply}/revisions": "forums.revisions",
    "GET /forums/new": "forums.new_thread",
    "POST /forums/new": "forums.new_thread",
    "GET /forums/t/{public}/reply": "forums.reply",
    "POST /forums/t/{public}/reply": "forums.reply",
    "POST /forums/t/{private}/reply": "forums.reply",
    "POST /forums/t/{public}/subscription": "forums.thread_subscription",
    "GET /forums/p/{public_post}/edit": "forums.edit_post",
    "POST /forums/p/{public_post}/edit": "forums.edit_post",
    "GET /forums/p/{private_post}/edit": "forums.edit_post",
    "GET /forums/p/{reply}/delete": "forums.delete_post",
    "POST /forums/p/{reply}/delete": "forums.delete_post",
    "POST /forums/p/{reply}/react": "forums.react",
    "POST /forums/p/{reply}/accept": "forums.accept",
    "GET /forums/p/{reply}/flag": "forums.flag",
    "POST /forums/p/{reply}/flag": "forums.flag",
    "POST /forums/t/{public}/pin": "forums.pin",
    "POST /forums/t/{private}/pin": "forums.pin",
    "POST /forums/t/{public}/lock": "forums.lock",
    "GET /forums/t/{public}/move": "forums.move",
    "POST /forums/t/{public}/move": "forums.move",
    "GET /forums/t/{public}/merge": "forums.merge",
    "POST /forums/t/{public}/merge": "forums.merge",
    "GET /forums/p/{reply}/hide": "forums.hide",
    "POST /forums/p/{reply}/hide": "forums.hide",
    "POST /forums/p/{hidden}/unhide": "forums.unhide",
    "POST /forums/p/{reply}/dismiss-flags": "forums.dismiss_flags",
    "GET /forums/moderation": "forums.moderation",
    "GET /forums/admin/categories": "forums.admin_categories",
    "POST /forums/admin/categories": "forums.admin_categories",
    "GET /forums/admin/categories/general/edit": "forums.edit_category",
    "POST /forums/admin/categories/general/edit": "forums.edit_category",
    "POST /forums/admin/categories/general/move": "forums.order_category",
    "POST /forums/admin/categories/general/archive": "forums.archive_category",
    f"GET {API}/categories": "forums_api.Categories",
    f"GET {API}/threads": "forums_api.Threads",
    f"GET {API}/threads?category={{alpha}}": "forums_api.Threads",
    f"POST {API}/threads": "forums_api.Threads",
    f"GET {API}/threads/{{private}}": "forums_api.ThreadItem",
    f"POST {API}/threads/{{public}}/posts": "forums_api.ThreadPosts",
    f"POST {API}/threads/{{private}}/posts": "forums_api.ThreadPosts",
    f"GET {API}/posts/{{reply}}": "forums_api.PostItem",
    f"PATCH {API}/posts/{{reply}}": "forums_api.PostItem",
    f"DELETE {API}/posts/{{reply}}": "forums_api.PostItem",
    f"PUT {API}/posts/{{reply}}/reactions/helpful": "forums_api.PostReaction",
    f"DELETE {API}/posts/{{reply}}/reactions/helpful": "forums_api.PostReaction",
    f"PUT {API}/threads/{{public}}/accepted-answer": "forums_api.AcceptedAnswer",
    f"DELETE {API}/threads/{{public}}/accepted-answer": "forums_api.AcceptedAnswer",
    f"GET {API}/search?q=apprenticeship": "forums_api.Search",
    f"GET {API}/mentions?q=Person": "forums_api.Mentions",
}

BODIES: dict[str, dict] = {
    f"POST {API}/threads": {
        "category": "general",
        "title": "A thread from the matrix",
        "body": "Hello",
    },
    f"POST {API}/threads/{{public}}/posts": {"body": "A reply"},
    f"POST {API}/threads/{{private}}/posts": {"body": "A reply"},
    f"PATCH {API}/posts/{{reply}}": {"body": "Edited"},
    f"PUT {API}/threads/{{public}}/accepted-answer": {"post_id": "{reply}"},
}


def ids(world) -> dict[str, object]:
    """Make the content the placeholders name, through the services; return their values."""
    from cop.forums import services
    from tests.forums.helpers import category, post_number

    services.ensure_default_categories()
    public = services.create_thread(
        world["member"],
        category("general"),
        kind="question",
        title="Apprenticeship sponsors",
        body="Who sponsors yours?",
    )
    reply = services.reply(world["other_member"], public, body="Our utility does.")
    hidden = services.reply(world["expert"], public, body="Off topic")
    services.hide_post(world["admin"], hidden, reason="Off topic")
    services.flag_post(world["expert"], reply, reason="off_topic")
    private = services.create_thread(
        world["member"],
        category("coalition-alpha"),
        title="Our quarterly numbers",
        body="Draft figures",
    )
    return {
        "public": public.id,
        "public_post": post_number(public, 1).id,
        "reply": reply.id,
        "hidden": hidden.id,
        "private": private.id,
        "private_post": post_number(private, 1).id,
        "alpha": "coalition-alpha",
    }


def resolve(key: str, values: dict[str, object]) -> tuple[str, str]:
    method, path = key.split(" ", 1)
    return method, path.format(**values)


def body(key: str, values: dict[str, object]) -> dict:
    def fill(value):
        if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
            return values[value[1:-1]]
        return value

    return {k: fill(v) for k, v in BODIES.get(key, {}).items()}


ROWS: dict[str, dict[str, int]] = {}
for _key, _endpoint in ENDPOINTS.items():
    ROWS.setdefault(_endpoint, CASES[_key])
