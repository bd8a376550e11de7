"""`flask --app wsgi cop ...` commands of the coaching feature."""

from __future__ import annotations

import click


@click.command("seed-coaching")
def seed_coaching_command() -> None:
    """Demo coaching logs for the demo coalitions (idempotent; run after seed-demo)."""
    from cop.coaching.seed import seed_demo_coaching

    result = seed_demo_coaching()
    click.echo(
        f"Coaching demo: {result['sessions']} sessions and {result['action_items']} "
        "action items created."
    )


@click.command("coaching-reminders")
def coaching_reminders_command() -> None:
    """Notify owners of open action items due soon (what the job runner calls)."""
    from cop.coaching.services import due_action_item_reminders

    click.echo(f"{due_action_item_reminders()} action item reminder(s) sent.")


COMMANDS = [seed_coaching_command, coaching_reminders_command]
