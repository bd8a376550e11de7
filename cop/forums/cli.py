"""`flask --app wsgi cop forums ...`: set up categories, rebuild the search index."""

from __future__ import annotations

import click
from flask.cli import AppGroup

forums_group = AppGroup("forums", help="Forums: categories and the search index.")


@forums_group.command("setup")
def setup() -> None:
    """Create the default categories and one per coalition (idempotent)."""
    from cop.forums.services import ensure_default_categories

    created = ensure_default_categories()
    click.echo(f"Forum categories: {created} created.")


@forums_group.command("reindex")
def reindex() -> None:
    """Rebuild the full-text index from the posts (SQLite FTS5 or PostgreSQL tsvector)."""
    from cop.extensions import db
    from cop.forums.search import reindex as rebuild

    with db.engine.begin() as connection:
        rebuild(connection)
    click.echo("The forum search index is rebuilt.")


@forums_group.command("seed-demo")
def seed_demo() -> None:
    """Demo threads, replies, reactions and an accepted answer (idempotent)."""
    from cop.forums.seed import seed_demo_forums

    result = seed_demo_forums()
    click.echo(f"Demo forums: {result['threads']} threads ({result['created']} created now).")
