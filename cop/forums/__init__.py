"""Forums: categories, threads and replies, mentions, reactions, accepted answers,
unread tracking, moderation and full-text search (issue #4)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from cop import add_nav_item
    from cop.cli import cop_group
    from cop.extensions import api
    from cop.forums import (  # noqa: F401 - tables, DDL, kinds
        hooks,
        kinds,
        models,
        moderation_views,  # noqa: F401 - routes on the same blueprint
        search,
    )
    from cop.forums.api import blp as forums_api
    from cop.forums.cli import forums_group
    from cop.forums.markdown import handle_for
    from cop.forums.models import FLAG_REASONS, REACTIONS
    from cop.forums.permissions import TEMPLATE_PREDICATES, can_use_forums
    from cop.forums.queries import describe_categories, describe_threads
    from cop.forums.views import bp
    from cop.notifications.targets import register_target

    app.register_blueprint(bp)
    api.register_blueprint(forums_api)
    add_nav_item(app, "forums.index", "Forums", can_use_forums)
    cop_group.add_command(forums_group)
    register_target("thread", describe_threads, "Forum thread")
    register_target("category", describe_categories, "Forum category")
    app.jinja_env.globals.update(TEMPLATE_PREDICATES)
    app.jinja_env.globals.update(
        forum_handle=handle_for, FORUM_REACTIONS=REACTIONS, FLAG_REASONS=FLAG_REASONS
    )
