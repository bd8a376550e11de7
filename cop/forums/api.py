"""Forum endpoints under /api/v1/forums: categories, threads, posts, reactions, accepted
answers, search, and mention candidates. Same permissions and services as the pages."""

from __future__ import annotations

from flask import abort, url_for
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint

from cop.api import exempt_from_form_csrf
from cop.core.pagination import decode_cursor, encode_cursor
from cop.extensions import login_manager
from cop.forums import queries, services
from cop.forums import search as forum_search
from cop.forums.links import post_path
from cop.forums.models import REACTION_KEYS, Post, Thread
from cop.forums.permissions import (
    can_use_forums,
    get_visible_category_or_404,
    get_visible_post_or_404,
    get_visible_thread_or_404,
    visible_categories,
)
from cop.forums.schemas import (
    ForumAcceptSchema,
    ForumCategorySchema,
    ForumEditPostSchema,
    ForumMentionQuerySchema,
    ForumMentionSchema,
    ForumNewThreadSchema,
    ForumPostSchema,
    ForumPostsQuerySchema,
    ForumReactionListSchema,
    ForumReplySchema,
    ForumSearchPageSchema,
    ForumSearchQuerySchema,
    ForumThreadDetailSchema,
    ForumThreadListSchema,
    ForumThreadQuerySchema,
)

blp = Blueprint("forums_api", __name__, url_prefix="/api/v1/forums", description="Forums")
exempt_from_form_csrf(blp)


@blp.before_request
def _forum_users_only():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not can_use_forums(current_user):
        abort(404)
    return None


def _person(user) -> dict | None:
    if user is None:
        return None
    return {"id": user.id, "name": user.name, "organization": user.organization, "role": user.role}


def _thread_summary(
    thread: Thread,
    *,
    tags: list[str],
    author_name: str | None = None,
    last_poster_name: str | None = None,
    last_read: int | None = None,
    is_new: bool = False,
) -> dict:
    author = (
        {"id": thread.author_id, "name": author_name}
        if author_name is not None
        else _person(thread.author)
        if thread.author_id
        else None
    )
    return {
        "id": thread.id,
        "title": thread.title,
        "kind": thread.kind,
        "category": thread.category.slug,
        "author": author,
        "tags": tags,
        "pinned": thread.pinned,
        "locked": thread.locked,
        "reply_count": thread.reply_count,
        "last_post_number": thread.last_post_number,
        "created_at": thread.created_at,
        "last_post_at": thread.last_post_at,
        "last_poster_name": last_poster_name,
        "accepted_post_id": thread.accepted_post_id,
        "unread": max(thread.last_post_number - last_read, 0) if last_read is not None else 0,
        "is_new": is_new,
        "url": url_for("forums.thread", thread_id=thread.id),
    }


def _post(post: Post, reactions=None, *, accepted_id: int | None = None) -> dict:
    visible = post.is_visible
    return {
        "id": post.id,
        "thread_id": post.thread_id,
        "number": post.number,
        "author": _person(post.author),
        "body": post.body if visible else None,
        "body_html": post.body_html if visible else None,
        "created_at": post.created_at,
        "edited_at": post.edited_at,
        "version": post.version,
        "deleted": post.deleted_at is not None,
        "hidden": post.hidden_at is not None,
        "hidden_reason": post.hidden_reason,
        "is_accepted": post.id == accepted_id,
        "reactions": [
            {"kind": r.key, "label": r.label, "count": r.count, "mine": r.mine}
            for r in (reactions or [])
        ],
        "url": post_path(post.id),
    }


def _thread_detail(thread_id: int, cursor: str | None = None) -> dict:
    values = decode_cursor(cursor)
    after = values[0] if values and isinstance(values[0], int) else 0
    page = queries.thread_page(current_user, thread_id, after=after)
    thread = page.thread
    data = _thread_summary(thread, tags=page.tags, last_read=page.last_read)
    accepted_id = thread.accepted_post_id
    data.update(
        category_name=page.category.name,
        posts=[_post(p, page.reactions.get(p.id), accepted_id=accepted_id) for p in page.posts],
        accepted_post=_post(page.accepted, accepted_id=accepted_id) if page.accepted else None,
        next_cursor=encode_cursor([page.next_after]) if page.next_after else None,
    )
    if page.last_number_shown > (page.last_read or 0):
        services.mark_read(current_user, thread, page.last_number_shown)
    return data


@blp.route("/categories")
class Categories(MethodView):
    @blp.response(200, ForumCategorySchema(many=True))
    def get(self):
        """The categories you may read, in display order."""
        return visible_categories(current_user)


@blp.route("/threads")
class Threads(MethodView):
    @blp.arguments(ForumThreadQuerySchema, location="query")
    @blp.response(200, ForumThreadListSchema)
    def get(self, args):
        """Threads by last activity; filter by category, tag, author and kind."""
        if args["category"]:
            ids = [get_visible_category_or_404(current_user, args["category"]).id]
        else:
            ids = [c.id for c in visible_categories(current_user)]
        page = queries.thread_list(
            current_user,
            ids,
            cursor=args["cursor"],
            tag=services.normalise_tag(args["tag"]),
            author_id=args["author"],
            kind=args["kind"],
            limit=args["limit"],
            pinned_first=bool(args["category"]),
        )
        items = [
            _thread_summary(
                r.thread,
                tags=r.tags,
                author_name=r.author_name,
                last_poster_name=r.last_poster_name,
                last_read=r.last_read,
                is_new=r.is_new,
            )
            for r in page.items
        ]
        return {"items": items, "next_cursor": page.next_cursor}

    @blp.arguments(ForumNewThreadSchema)
    @blp.response(201, ForumThreadDetailSchema)
    @blp.alt_response(400, description="Invalid title, body or tags")
    @blp.alt_response(404, description="No such category (or not yours to see)")
    @blp.alt_response(429, description="Posting too quickly (FORUM_POST_RATE per user)")
    def post(self, data):
        """Start a thread (a discussion or a question)."""
        category = get_visible_category_or_404(current_user, data["category"])
        services.check_post_rate(current_user)
        thread = services.create_thread(
            current_user,
            category,
            title=data["title"],
            body=data["body"],
            kind=data["kind"],
            tags=data["tags"],
        )
        return _thread_detail(thread.id)


@blp.route("/threads/<int:thread_id>")
class ThreadItem(MethodView):
    @blp.arguments(ForumPostsQuerySchema, location="query")
    @blp.response(200, ForumThreadDetailSchema)
    def get(self, args, thread_id: int):
        """A thread with 50 of its posts; `next_cursor` pages on."""
        return _thread_detail(thread_id, args["cursor"])


@blp.route("/threads/<int:thread_id>/posts")
class ThreadPosts(MethodView):
    @blp.arguments(ForumReplySchema)
    @blp.response(201, ForumPostSchema)
    @blp.alt_response(403, description="The thread is locked, or the category archived")
    @blp.alt_response(429, description="Posting too quickly (FORUM_POST_RATE per user)")
    def post(self, data, thread_id: int):
        """Reply to a thread."""
        thread = get_visible_thread_or_404(current_user, thread_id)
        services.check_post_rate(current_user)
        post = services.reply(current_user, thread, body=data["body"])
        return _post(post)


@blp.route("/posts/<int:post_id>")
class PostItem(MethodView):
    @blp.response(200, ForumPostSchema)
    def get(self, post_id: int):
        """One post."""
        post = get_visible_post_or_404(current_user, post_id)
        reactions = queries.reaction_summaries(current_user, [post.id])[post.id]
        return _post(post, reactions, accepted_id=post.thread.accepted_post_id)

    @blp.arguments(ForumEditPostSchema)
    @blp.response(200, ForumPostSchema)
    @blp.alt_response(403, description="Not your post")
    def patch(self, data, post_id: int):
        """Edit a post (the opening post's title and tags too); the old version is kept."""
        post = get_visible_post_or_404(current_user, post_id)
        services.edit_post(
            current_user, post, body=data["body"], title=data["title"], tags=data["tags"]
        )
        return _post(post)

    @blp.response(204)
    def delete(self, post_id: int):
        """Delete a post (soft); deleting the opening post deletes the thread."""
        post = get_visible_post_or_404(current_user, post_id)
        services.delete_post(current_user, post)


@blp.route("/posts/<int:post_id>/reactions/<kind>")
class PostReaction(MethodView):
    @blp.response(200, ForumReactionListSchema)
    def put(self, post_id: int, kind: str):
        """React to a post: helpful, thanks, insightful or celebrate."""
        return _react(post_id, kind, True)

    @blp.response(200, ForumReactionListSchema)
    def delete(self, post_id: int, kind: str):
        """Take back your reaction."""
        return _react(post_id, kind, False)


def _react(post_id: int, kind: str, on: bool) -> dict:
    if kind not in REACTION_KEYS:
        abort(404)
    post = get_visible_post_or_404(current_user, post_id)
    services.react(current_user, post, kind, on=on)
    return {
        "post_id": post_id,
        "reactions": _post(post, queries.reaction_summaries(current_user, [post_id])[post_id])[
            "reactions"
        ],
    }


@blp.route("/threads/<int:thread_id>/accepted-answer")
class AcceptedAnswer(MethodView):
    @blp.arguments(ForumAcceptSchema)
    @blp.response(200, ForumThreadDetailSchema)
    def put(self, data, thread_id: int):
        """Accept a reply as the answer to a question (the asker or a moderator)."""
        thread = get_visible_thread_or_404(current_user, thread_id)
        post = get_visible_post_or_404(current_user, data["post_id"])
        services.accept_answer(current_user, thread, post)
        return _thread_detail(thread_id)

    @blp.response(200, ForumThreadDetailSchema)
    def delete(self, thread_id: int):
        """Withdraw the accepted answer."""
        thread = get_visible_thread_or_404(current_user, thread_id)
        services.accept_answer(current_user, thread, None)
        return _thread_detail(thread_id)


@blp.route("/search")
class Search(MethodView):
    @blp.arguments(ForumSearchQuerySchema, location="query")
    @blp.response(200, ForumSearchPageSchema)
    def get(self, args):
        """Full-text search over the posts you may read, with highlighted snippets."""
        filters = forum_search.SearchFilters(
            category=args["category"],
            coalition=args["coalition"],
            author=args["author"],
            tag=args["tag"],
            date_from=args["date_from"],
            date_to=args["date_to"],
            sort=args["sort"],
        )
        page = forum_search.search(current_user, args["q"], filters, cursor=args["cursor"])
        items = []
        for result in page.results:
            item = dict(vars(result))
            item["url"] = post_path(result.post_id)
            items.append(item)
        return {"items": items, "next_cursor": page.next_cursor}


@blp.route("/mentions")
class Mentions(MethodView):
    @blp.arguments(ForumMentionQuerySchema, location="query")
    @blp.response(200, ForumMentionSchema(many=True))
    def get(self, args):
        """People to @mention whose name matches `q`; `can_see` says who may read the
        thread or category (only they are notified)."""
        category = None
        if args["thread"]:
            category = get_visible_thread_or_404(current_user, args["thread"]).category
        elif args["category"]:
            category = get_visible_category_or_404(current_user, args["category"])
        return queries.mention_candidates(current_user, args["q"], category=category)
