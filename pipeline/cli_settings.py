"""How a command reaches the settings its root command built (shared by every area's CLI)."""

from __future__ import annotations

from pathlib import Path

import click

from pipeline.config import Settings


def settings_of(ctx: click.Context, db_path: str | Path | None = None) -> Settings:
    """The settings built by the root ``smurf`` command (with a command's own ``--db``)."""
    settings = ctx.find_object(Settings)
    if settings is None:
        raise click.UsageError("Run this command through `smurf`, which builds its settings.")
    if db_path is None:
        return settings
    from pipeline.store.location import parse_location

    return settings.replace(db_path=parse_location(db_path))
