"""`flask --app wsgi cop ...` commands of the reporting feature."""

from __future__ import annotations

import click


@click.command("seed-reporting")
def seed_reporting_command() -> None:
    """Demo measures, targets, figures and reports (idempotent; run after seed-demo)."""
    from cop.reporting.seed import seed_demo_reporting

    result = seed_demo_reporting()
    click.echo(
        "Reporting demo: "
        + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in result.items())
        + "."
    )


@click.command("reporting-reminders")
def reporting_reminders_command() -> None:
    """Remind leads and coaches of reports due soon or overdue (what the job runner calls)."""
    from cop.reporting.services import due_report_reminders

    click.echo(f"{due_report_reminders()} report reminder notification(s) made.")


COMMANDS = [seed_reporting_command, reporting_reminders_command]
