"""`flask --app wsgi cop seed-chat`: the chat rooms and a few demo messages."""

from __future__ import annotations

import click


@click.command("seed-chat")
def seed_chat_command() -> None:
    """Create the default chat rooms and demo messages (idempotent)."""
    from cop.chat.seed import seed_demo_chat

    result = seed_demo_chat()
    click.echo(f"Chat: {result['rooms']} rooms created, {result['messages']} messages added.")


def register_cli() -> None:
    from cop.cli import cop_group

    if "seed-chat" not in cop_group.commands:
        cop_group.add_command(seed_chat_command)
