"""`flask --app wsgi cop worker` and `flask --app wsgi cop outbox`."""

from __future__ import annotations

import signal
import threading

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("worker")
@click.option("--once", is_flag=True, help="Run every job once and exit (cron, tests).")
@click.option(
    "--interval",
    type=click.IntRange(min=1),
    default=None,
    help="Seconds between runs (default: JOBS_INTERVAL_SECONDS).",
)
@with_appcontext
def worker(once: bool, interval: int | None) -> None:
    """Send due reminders, digests and queued email; safe to run in several processes."""
    from cop.notifications.jobs import run_forever, run_once, wake

    app = current_app._get_current_object()
    if once:
        result = run_once(app)
        click.echo("cop worker: " + ", ".join(f"{k} {v}" for k, v in result.items()))
        return
    stop = threading.Event()

    def _stop(signum, frame):
        stop.set()
        wake()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    click.echo("cop worker running; stop with Ctrl+C or SIGTERM.")
    run_forever(app, interval=interval, stop=stop)


@click.command("outbox")
@click.option("--retry-failed", is_flag=True, help="Queue the failed emails again.")
@with_appcontext
def outbox(retry_failed: bool) -> None:
    """Show the email outbox: counts, and the emails that failed with their error."""
    from cop.notifications import mail, queries

    if retry_failed:
        click.echo(f"{mail.retry_failed()} failed email(s) queued again.")
    counts = mail.outbox_counts()
    click.echo(", ".join(f"{k} {v}" for k, v in counts.items()))
    for email in queries.outbox_rows("failed"):
        click.echo(
            f"  failed #{email.id} to {email.to_address} after {email.attempts} "
            f"attempt(s): {email.last_error}"
        )
