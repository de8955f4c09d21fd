"""``mmrecipe validate``: check a recipe (schema, op parameters, contracts) without running."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("validate")
@click.argument("recipe", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE")
def command(recipe: Path, overrides: tuple[str, ...]) -> None:
    """Validate RECIPE: every op exists, its parameters type-check, reads follow writes."""
    from mmrecipe.recipe import load_recipe

    spec = load_recipe(recipe, list(overrides))
    names = [s.name if s.enabled else f"({s.name}: off)" for s in spec.ops]
    click.echo(f"ok: {spec.name}: {len(spec.active_steps())} step(s): " + " -> ".join(names))
