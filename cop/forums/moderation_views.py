"""Moderation (pin, lock, move, merge, hide, the flag queue) and category administration.

Same blueprint as views.py; moderators are admins and coaches (see permissions.py).
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from cop.accounts.forms import choices
from cop.core.errors import ServiceError
from cop.extensions import db
from cop.forums import queries, services
from cop.forums.forms import ButtonForm, CategoryForm, HideForm, MergeForm, MoveForm
from cop.forums.links import post_in_thread_path
from cop.forums.models import Category
from cop.forums.permissions import (
    can_manage_categories,
    can_moderate,
    can_moderate_anything,
    get_visible_category_or_404,
    get_visible_post_or_404,
    get_visible_thread_or_404,
    visible_categories,
)
from cop.forums.views import bp, category_label, form_error


def _moderated_thread_or_404(thread_id: int):
    thread = get_visible_thread_or_404(current_user, thread_id)
    if not can_moderate(current_user, thread.category):
        abort(403)
    return thread


def _moderated_post_or_404(post_id: int):
    post = get_visible_post_or_404(current_user, post_id)
    if not can_moderate(current_user, post.thread.category):
        abort(403)
    return post


def _on() -> bool:
    form = ButtonForm()
    form.validate_on_submit() or abort(400)
    return form.value.data == "on"


@bp.post("/t/<int:thread_id>/pin")
def pin(thread_id: int):
    thread = _moderated_thread_or_404(thread_id)
    pinned = _on()
    services.set_pinned(current_user, thread, pinned)
    flash(
        "The thread is pinned to the top of its category."
        if pinned
        else "The thread is no longer pinned.",
        "success",
    )
    return redirect(url_for("forums.thread", thread_id=thread_id), code=303)


@bp.post("/t/<int:thread_id>/lock")
def lock(thread_id: int):
    thread = _moderated_thread_or_404(thread_id)
    locked = _on()
    services.set_locked(current_user, thread, locked)
    flash(
        "The thread is locked: no more replies."
        if locked
        else "The thread is open for replies again.",
        "success",
    )
    return redirect(url_for("forums.thread", thread_id=thread_id), code=303)


@bp.route("/t/<int:thread_id>/move", methods=["GET", "POST"])
def move(thread_id: int):
    thread = _moderated_thread_or_404(thread_id)
    targets = [
        c
        for c in visible_categories(current_user)
        if can_moderate(current_user, c) and not c.is_archived and c.id != thread.category_id
    ]
    form = MoveForm()
    form.category.choices = choices([(c.slug, category_label(c)) for c in targets])
    if form.validate_on_submit():
        target = next(c for c in targets if c.slug == form.category.data)
        services.move_thread(current_user, thread, target)
        flash(f"The thread is moved to {target.name}.", "success")
        return redirect(url_for("forums.thread", thread_id=thread_id), code=303)
    return render_template("forums/move.html", thread=thread, form=form), (
        400 if form.errors else 200
    )


@bp.route("/t/<int:thread_id>/merge", methods=["GET", "POST"])
def merge(thread_id: int):
    thread = _moderated_thread_or_404(thread_id)
    form = MergeForm()
    if form.validate_on_submit():
        target = get_visible_thread_or_404(current_user, form.target.data)
        try:
            services.merge_threads(current_user, thread, target)
        except ServiceError as exc:
            form_error(form, exc)
        else:
            flash(f"The posts are merged into “{target.title}”.", "success")
            return redirect(url_for("forums.thread", thread_id=target.id), code=303)
    return render_template("forums/merge.html", thread=thread, form=form), (
        400 if form.errors else 200
    )


@bp.route("/p/<int:post_id>/hide", methods=["GET", "POST"])
def hide(post_id: int):
    post = _moderated_post_or_404(post_id)
    form = HideForm()
    if form.validate_on_submit():
        try:
            services.hide_post(current_user, post, reason=form.reason.data)
        except ServiceError as exc:
            form_error(form, exc)
        else:
            flash("The post is hidden; the audit log keeps who hid it and why.", "success")
            back = (
                url_for("forums.moderation")
                if request.args.get("next") == "queue"
                else post_in_thread_path(post.thread_id, post.number)
            )
            return redirect(back, code=303)
    return render_template("forums/hide.html", post=post, thread=post.thread, form=form), (
        400 if form.errors else 200
    )


@bp.post("/p/<int:post_id>/unhide")
def unhide(post_id: int):
    post = _moderated_post_or_404(post_id)
    ButtonForm().validate_on_submit() or abort(400)
    services.unhide_post(current_user, post)
    flash("The post is visible again.", "success")
    return redirect(post_in_thread_path(post.thread_id, post.number), code=303)


@bp.post("/p/<int:post_id>/dismiss-flags")
def dismiss_flags(post_id: int):
    post = _moderated_post_or_404(post_id)
    ButtonForm().validate_on_submit() or abort(400)
    services.dismiss_flags(current_user, post)
    flash("The flags are dismissed.", "success")
    return redirect(url_for("forums.moderation"), code=303)


@bp.get("/moderation")
def moderation():
    if not can_moderate_anything(current_user):
        abort(404)
    return render_template(
        "forums/moderation.html", queue=queries.moderation_queue(current_user), button=ButtonForm()
    )


# ---------------------------------------------------------------- categories (admins)


def _admin_only() -> None:
    if not can_manage_categories(current_user):
        abort(404)


@bp.route("/admin/categories", methods=["GET", "POST"])
def admin_categories():
    _admin_only()
    form = CategoryForm()
    if form.validate_on_submit():
        try:
            category = services.create_category(
                current_user,
                name=form.name.data,
                description=form.description.data,
                section=form.section.data,
            )
        except ServiceError as exc:
            form_error(form, exc)
        else:
            flash(f"The category {category.name} is created.", "success")
            return redirect(url_for("forums.admin_categories"), code=303)
    categories = (
        db.session.execute(db.select(Category).order_by(Category.position, Category.name))
        .scalars()
        .all()
    )
    return render_template(
        "forums/admin_categories.html", form=form, categories=categories, button=ButtonForm()
    ), (400 if form.errors else 200)


@bp.route("/admin/categories/<slug>/edit", methods=["GET", "POST"])
def edit_category(slug: str):
    _admin_only()
    category = get_visible_category_or_404(current_user, slug)
    form = CategoryForm(obj=category if request.method == "GET" else None)
    del form.section
    if form.validate_on_submit():
        try:
            services.update_category(
                current_user, category, name=form.name.data, description=form.description.data
            )
        except ServiceError as exc:
            form_error(form, exc)
        else:
            flash("The category is saved.", "success")
            return redirect(url_for("forums.admin_categories"), code=303)
    return render_template("forums/category_form.html", form=form, category=category), (
        400 if form.errors else 200
    )


@bp.post("/admin/categories/<slug>/move")
def order_category(slug: str):
    _admin_only()
    category = get_visible_category_or_404(current_user, slug)
    form = ButtonForm()
    form.validate_on_submit() or abort(400)
    services.move_category(current_user, category, -1 if form.value.data == "up" else 1)
    return redirect(url_for("forums.admin_categories") + f"#cat-{category.slug}", code=303)


@bp.post("/admin/categories/<slug>/archive")
def archive_category(slug: str):
    _admin_only()
    category = get_visible_category_or_404(current_user, slug)
    archived = _on()
    services.set_category_archived(current_user, category, archived)
    flash(
        f"{category.name} is archived: readable, closed to new posts."
        if archived
        else f"{category.name} is open again.",
        "success",
    )
    return redirect(url_for("forums.admin_categories"), code=303)
