"""`flask --app wsgi cop ...` commands."""

from __future__ import annotations

import os
import sys

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from cop.core.errors import ServiceError

cop_group = AppGroup("cop", help="cop commands: serve, seed-demo, create-user, invite.")


@cop_group.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Serve the app with Socket.IO in one process (gevent; no Werkzeug dev server)."""
    # The flask command has already imported threading and friends; gevent must patch the
    # standard library before anything else is imported, so start a fresh interpreter.
    env = dict(os.environ)
    env.pop("FLASK_RUN_FROM_CLI", None)  # it makes Flask-SocketIO fall back to threading
    env.setdefault("SOCKETIO_ASYNC_MODE", "gevent")
    args = [sys.executable, "-m", "cop.server", "--host", host, "--port", str(port)]
    sys.stdout.flush()
    os.execve(sys.executable, args, env)  # noqa: S606 - our own interpreter, fixed argv  # nosec B606


@cop_group.command("seed-demo")
def seed_demo_command() -> None:
    """Load the demo program (idempotent) and print the demo logins."""
    from cop.seed import DEMO_PASSWORD, seed_demo

    result = seed_demo()
    click.echo(
        f"Demo data: {result['coalitions']} coalitions, {result['users']} users "
        f"({result['created']} created now)."
    )
    click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for role, email in result["logins"]:
        click.echo(f"  {role:<8} {email}")


@cop_group.command("seed-if-empty")
def seed_if_empty() -> None:
    """Load the demo data only when the database has no users (used by `make run`)."""
    from cop.accounts.models import User
    from cop.extensions import db

    if db.session.execute(sa.select(sa.func.count()).select_from(User)).scalar_one() == 0:
        seed_demo_command.callback()
    else:
        click.echo("The database already has users: demo data not loaded.")


def _refused(exc: ServiceError) -> click.ClickException:
    """A use case's refusal as a one-line CLI error that names the field at fault."""
    return click.ClickException(f"{exc.field}: {exc.message}" if exc.field else exc.message)


@cop_group.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
def backup_command(path: str) -> None:
    """Back up the whole database to PATH (SQLite backup API, or pg_dump on PostgreSQL)."""
    from cop.core import backup

    try:
        written = backup.backup(current_app.config["SQLALCHEMY_DATABASE_URI"], path)
    except ServiceError as exc:
        raise _refused(exc) from None
    click.echo(f"Backup written to {written} ({written.stat().st_size:,} bytes).")


@cop_group.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--force", is_flag=True, help="restore even though other processes have the database open"
)
def restore_command(path: str, force: bool) -> None:
    """Replace the database's content with the backup at PATH (see docs/security.md)."""
    from cop.core import backup
    from cop.extensions import db

    try:
        backup.restore(
            current_app.config["SQLALCHEMY_DATABASE_URI"], path, force=force, engine=db.engine
        )
    except ServiceError as exc:
        raise _refused(exc) from None
    click.echo(f"Restored the database from {path}.")


def _check_membership_options(role: str, coalition_slug: str | None, lead: bool) -> None:
    """--coalition and --lead describe a coalition member; refuse them for other roles."""
    if role == "member" and not coalition_slug:
        raise click.BadParameter("a member needs --coalition SLUG", param_hint="--coalition")
    if role != "member" and (coalition_slug or lead):
        raise click.BadParameter(
            f"--coalition and --lead are for members, not a {role}", param_hint="--coalition"
        )


def _coalition(slug: str | None):
    from cop.coalitions.models import Coalition
    from cop.extensions import db

    if not slug:
        return None
    coalition = db.session.execute(
        sa.select(Coalition).where(Coalition.slug == slug)
    ).scalar_one_or_none()
    if coalition is None:
        raise click.BadParameter(f"no coalition with the slug {slug!r}", param_hint="--coalition")
    return coalition


@cop_group.command("create-user")
@click.argument("email")
@click.option("--name", required=True)
@click.option(
    "--role", required=True, type=click.Choice(["admin", "coach", "member", "expert", "guest"])
)
@click.option("--coalition", "coalition_slug", default=None, help="coalition slug (members)")
@click.option("--lead", is_flag=True, help="make the member a lead of the coalition")
@click.option("--password-stdin", is_flag=True, help="read the password from standard input")
def create_user(email, name, role, coalition_slug, lead, password_stdin) -> None:
    """Create an account. Without --password-stdin, the user sets a password by reset link."""
    from cop.accounts import services

    _check_membership_options(role, coalition_slug, lead)
    coalition = _coalition(coalition_slug)
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    try:
        user = services.create_user(
            None,
            email=email,
            name=name,
            role=role,
            password=password,
            coalition=coalition,
            as_lead=lead,
        )
    except ServiceError as exc:
        raise _refused(exc) from None
    click.echo(f"Created {user.role} {user.email} (id {user.id}).")


@cop_group.command("invite")
@click.argument("email")
@click.option(
    "--role", required=True, type=click.Choice(["admin", "coach", "member", "expert", "guest"])
)
@click.option("--coalition", "coalition_slug", default=None)
@click.option("--lead", is_flag=True)
def invite(email, role, coalition_slug, lead) -> None:
    """Invite someone and print the invitation link."""
    from cop.accounts import services

    _check_membership_options(role, coalition_slug, lead)
    coalition = _coalition(coalition_slug)
    try:
        with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
            invitation, token = services.invite(
                None, email=email, role=role, coalition=coalition, as_lead=lead
            )
            link = services.invitation_url(token)
    except ServiceError as exc:
        raise _refused(exc) from None
    click.echo(
        f"Invitation for {invitation.email} ({invitation.role}), expires "
        f"{invitation.expires_at:%Y-%m-%d %H:%M} UTC:"
    )
    click.echo(link)


@cop_group.command("generate")
@click.option("--posts", default=10_000, show_default=True, type=click.IntRange(0))
@click.option("--threads", default=500, show_default=True, type=click.IntRange(0))
@click.option("--users", default=200, show_default=True, type=click.IntRange(0))
@click.option("--events", default=100, show_default=True, type=click.IntRange(0))
@click.option(
    "--long-thread",
    default=5000,
    show_default=True,
    type=click.IntRange(0),
    help="replies in the first generated thread",
)
@click.option("--seed", default=1, show_default=True, type=int, help="random seed")
def generate_command(posts, threads, users, events, long_thread, seed) -> None:
    """Bulk-load a large data set (benchmarks, trying the app at scale); see cop/generate.py."""
    from cop.generate import generate

    if posts and threads > posts:
        raise click.BadParameter("at least one post per thread", param_hint="--threads")
    if posts and not threads:
        raise click.BadParameter("posts need threads", param_hint="--threads")
    result = generate(
        posts=posts,
        threads=threads,
        users=users,
        events=events,
        seed=seed,
        long_thread=long_thread,
        echo=click.echo,
    )
    click.echo(
        f"Generated {result['users']:,} users, {result['threads']:,} threads, "
        f"{result['posts']:,} posts, {result['events']:,} events in "
        f"{sum(result['seconds'].values()):.0f}s."
    )
