"""Forum pages: index, latest, categories, threads, posting, editing, reactions, search.

Every route is for signed-in forum users (not guests: 404). Load through a loader that
404s on what the user may not see, check the action, call the service, redirect.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from cop.accounts.forms import choices
from cop.coalitions.models import Coalition
from cop.core.errors import ServiceError
from cop.extensions import db, login_manager
from cop.forums import queries, services
from cop.forums import search as forum_search
from cop.forums.forms import (
    ButtonForm,
    EditPostForm,
    FlagForm,
    ReactForm,
    ReplyForm,
    ThreadForm,
)
from cop.forums.links import post_in_thread_path, post_path
from cop.forums.markdown import quote_block
from cop.forums.models import CategoryKind
from cop.forums.permissions import (
    can_delete_post,
    can_edit_post,
    can_flag_post,
    can_post_in,
    can_use_forums,
    can_view_history,
    get_visible_category_or_404,
    get_visible_post_or_404,
    get_visible_thread_or_404,
    visible_categories,
)

bp = Blueprint("forums", __name__, url_prefix="/forums")


@bp.before_request
def _forum_users_only():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not can_use_forums(current_user):
        abort(404)
    return None


def form_error(form, exc: ServiceError) -> None:
    """A refused use case: its message on the field it is about, else as a flash."""
    if exc.status not in (400, 409, 422, 429):
        raise exc
    form.status = exc.status
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors = [*field.errors, exc.message]
    else:
        form.form_errors.append(exc.message)
        flash(exc.message, "error")


def _status(form) -> int:
    if getattr(form, "status", None) == 429:
        return 429
    return 400 if form.errors else 200


def category_label(category) -> str:
    if category.kind == CategoryKind.COALITION:
        return f"{category.name} (private to the coalition)"
    if category.kind == CategoryKind.STAFF:
        return f"{category.name} (coaches and admins only)"
    return category.name


# ---------------------------------------------------------------- reading


@bp.get("/")
def index():
    return render_template("forums/index.html", sections=queries.category_index(current_user))


@bp.get("/latest")
def latest():
    tag = services.normalise_tag(request.args.get("tag", ""))
    page = queries.latest(current_user, cursor=request.args.get("cursor"), tag=tag)
    return render_template("forums/latest.html", page=page, tag=tag)


@bp.get("/c/<slug>")
def category(slug: str):
    category = get_visible_category_or_404(current_user, slug)
    tag = services.normalise_tag(request.args.get("tag", ""))
    page = queries.thread_list(
        current_user, [category.id], cursor=request.args.get("cursor"), pinned_first=True, tag=tag
    )
    level = services.notifications.subscription_level(current_user, "category", category.id)
    return render_template(
        "forums/category.html",
        category=category,
        page=page,
        tag=tag,
        subscription=level,
        button=ButtonForm(),
    )


@bp.get("/t/<int:thread_id>")
def thread(thread_id: int):
    page = queries.thread_page(
        current_user, thread_id, after=request.args.get("after", 0, type=int)
    )
    if page.thread.merged_into_id:
        return redirect(url_for("forums.thread", thread_id=page.thread.merged_into_id), 301)
    html = render_template(
        "forums/thread.html",
        page=page,
        form=ReplyForm(),
        button=ButtonForm(),
        react_form=ReactForm(),
    )
    # After rendering: the commit expires what the template reads.
    if page.last_number_shown > (page.last_read or 0):
        services.mark_read(current_user, page.thread, page.last_number_shown)
    return html


@bp.get("/t/<int:thread_id>/<int:number>")
def jump(thread_id: int, number: int):
    thread = get_visible_thread_or_404(current_user, thread_id)
    number = max(1, min(number, thread.last_post_number))
    return redirect(post_in_thread_path(thread.merged_into_id or thread.id, number))


@bp.get("/p/<int:post_id>")
def post_link(post_id: int):
    post = get_visible_post_or_404(current_user, post_id)
    return redirect(post_in_thread_path(post.thread_id, post.number))


@bp.get("/p/<int:post_id>/revisions")
def revisions(post_id: int):
    post = get_visible_post_or_404(current_user, post_id)
    if not can_view_history(current_user, post):
        abort(404)
    return render_template(
        "forums/revisions.html", post=post, thread=post.thread, versions=queries.versions(post)
    )


# ---------------------------------------------------------------- writing


@bp.route("/new", methods=["GET", "POST"])
def new_thread():
    categories = [c for c in visible_categories(current_user) if can_post_in(current_user, c)]
    form = ThreadForm(category=request.args.get("category"))
    form.category.choices = choices([(c.slug, category_label(c)) for c in categories])
    if form.validate_on_submit():
        category = next(c for c in categories if c.slug == form.category.data)
        try:
            services.check_post_rate(current_user)
            thread = services.create_thread(
                current_user,
                category,
                title=form.title.data,
                body=form.body.data,
                kind=form.kind.data,
                tags=form.tags.data,
            )
        except ServiceError as exc:
            form_error(form, exc)
        else:
            flash("Your thread is posted.", "success")
            return redirect(url_for("forums.thread", thread_id=thread.id), code=303)
    return render_template("forums/new_thread.html", form=form), _status(form)


@bp.route("/t/<int:thread_id>/reply", methods=["GET", "POST"])
def reply(thread_id: int):
    thread = get_visible_thread_or_404(current_user, thread_id)
    form = ReplyForm()
    quoted = request.args.get("quote", type=int)
    if request.method == "GET" and quoted:
        form.body.data = _quote(thread, quoted)
    if form.validate_on_submit():
        try:
            services.check_post_rate(current_user)
            post = services.reply(current_user, thread, body=form.body.data)
        except ServiceError as exc:
            form_error(form, exc)
        else:
            flash("Your reply is posted.", "success")
            return redirect(post_in_thread_path(thread.id, post.number), code=303)
    services.check_can_reply(current_user, thread)  # a locked thread: a 403 page saying so
    return render_template("forums/reply.html", thread=thread, form=form), _status(form)


def _quote(thread, post_id: int) -> str:
    post = get_visible_post_or_404(current_user, post_id)
    if post.thread_id != thread.id or not post.is_visible:
        return ""
    author = post.author
    return quote_block(
        author.name if author else None, post.author_id, post_path(post.id), post.body
    )


@bp.route("/p/<int:post_id>/edit", methods=["GET", "POST"])
def edit_post(post_id: int):
    post = get_visible_post_or_404(current_user, post_id)
    if not can_edit_post(current_user, post):
        abort(403)
    thread, opening = post.thread, post.number == 1
    current = {"body": post.body, "title": thread.title, "tags": ", ".join(thread.tags)}
    form = EditPostForm(data=current if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            services.edit_post(
                current_user,
                post,
                body=form.body.data,
                title=form.title.data if opening else None,
                tags=form.tags.data if opening else None,
            )
        except ServiceError as exc:
            form_error(form, exc)
        else:
            flash("Your changes are saved.", "success")
            return redirect(post_in_thread_path(thread.id, post.number), code=303)
    return render_template(
        "forums/edit_post.html", form=form, post=post, thread=thread, opening=opening
    ), _status(form)


@bp.route("/p/<int:post_id>/delete", methods=["GET", "POST"])
def delete_post(post_id: int):
    post = get_visible_post_or_404(current_user, post_id)
    if not can_delete_post(current_user, post):
        abort(403)
    form = ButtonForm()
    if form.validate_on_submit():
        thread = post.thread
        services.delete_post(current_user, post)
        flash("The thread is deleted." if post.number == 1 else "The post is deleted.", "info")
        if post.number == 1:
            return redirect(url_for("forums.category", slug=thread.category.slug), code=303)
        return redirect(post_in_thread_path(thread.id, post.number), code=303)
    return render_template("forums/delete_post.html", post=post, thread=post.thread, form=form)


@bp.post("/p/<int:post_id>/react")
def react(post_id: int):
    post = get_visible_post_or_404(current_user, post_id)
    form = ReactForm()
    form.validate_on_submit() or abort(400)
    kind, on = form.parsed()
    services.react(current_user, post, kind, on=on)
    return redirect(post_in_thread_path(post.thread_id, post.number), code=303)


@bp.post("/p/<int:post_id>/accept")
def accept(post_id: int):
    post = get_visible_post_or_404(current_user, post_id)
    ButtonForm().validate_on_submit() or abort(400)
    accepting = request.form.get("value") != "off"
    services.accept_answer(current_user, post.thread, post if accepting else None)
    flash(
        "This reply is now the accepted answer."
        if accepting
        else "The thread has no accepted answer now.",
        "success",
    )
    return redirect(post_in_thread_path(post.thread_id, post.number), code=303)


@bp.post("/t/<int:thread_id>/subscription")
def thread_subscription(thread_id: int):
    thread = get_visible_thread_or_404(current_user, thread_id)
    form = ButtonForm()
    form.validate_on_submit() or abort(400)
    services.set_subscription(current_user, thread, form.value.data or None)
    flash(_subscription_message(form.value.data, "thread"), "success")
    return redirect(url_for("forums.thread", thread_id=thread.id), code=303)


@bp.post("/c/<slug>/subscription")
def category_subscription(slug: str):
    category = get_visible_category_or_404(current_user, slug)
    form = ButtonForm()
    form.validate_on_submit() or abort(400)
    services.set_subscription(current_user, category, form.value.data or None)
    flash(_subscription_message(form.value.data, "category"), "success")
    return redirect(url_for("forums.category", slug=category.slug), code=303)


def _subscription_message(level: str | None, what: str) -> str:
    return {
        "follow": f"You follow this {what}: you are notified of every new post.",
        "mute": f"This {what} is muted: no notifications from it.",
    }.get(level or "", f"You get the usual notifications for this {what}.")


@bp.route("/p/<int:post_id>/flag", methods=["GET", "POST"])
def flag(post_id: int):
    post = get_visible_post_or_404(current_user, post_id)
    if not can_flag_post(current_user, post):
        abort(403)
    form = FlagForm()
    if form.validate_on_submit():
        try:
            services.flag_post(
                current_user, post, reason=form.reason.data, details=form.details.data
            )
        except ServiceError as exc:
            form_error(form, exc)
        else:
            flash("Thank you: a moderator will look at this post.", "success")
            return redirect(post_in_thread_path(post.thread_id, post.number), code=303)
    return render_template("forums/flag.html", form=form, post=post, thread=post.thread), _status(
        form
    )


# ---------------------------------------------------------------- search


@bp.get("/search")
def search():
    args = request.args
    filters = forum_search.SearchFilters(
        category=args.get("category", "")[:100],
        coalition=args.get("coalition", "")[:100],
        author=args.get("author", "")[:100],
        tag=args.get("tag", "")[:40],
        date_from=_date(args.get("from")),
        date_to=_date(args.get("to")),
        sort="newest" if args.get("sort") == "newest" else "relevance",
    )
    query = args.get("q", "")[: forum_search.MAX_QUERY]
    categories = visible_categories(current_user)
    page = forum_search.search(
        current_user,
        query,
        filters,
        cursor=args.get("cursor"),
        category_ids=[c.id for c in categories],
    )
    coalitions = db.session.execute(
        db.select(Coalition.slug, Coalition.name).order_by(Coalition.name)
    ).all()
    return render_template(
        "forums/search.html",
        q=query,
        filters=filters,
        page=page,
        categories=categories,
        coalitions=coalitions,
    )


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None
