"""``mmrecipe ops``: every registered op with its kind, parameters and defaults."""

from __future__ import annotations

import click


@click.command("ops")
@click.argument("name", required=False)
def command(name: str | None) -> None:
    """List ops (or show one) with their parameters and defaults."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from mmrecipe.registry import all_ops, get_op, op_params

    console = Console()
    if name:
        get_op(name)  # an unknown name: one line with a "did you mean"
    for op_name, cls in all_ops().items():
        if name and op_name != name:
            continue
        doc = " ".join((cls.__doc__ or "").strip().split("\n\n")[0].split())
        # docstrings are text, not markup: "[x1, y1, x2, y2]" must print as written
        console.print(f"[bold]{op_name}[/] ({cls.kind.value}) {escape(doc)}", highlight=False)
        table = Table(box=None, show_header=False, pad_edge=False)
        table.add_column(no_wrap=True)
        table.add_column(overflow="fold", max_width=28)
        table.add_column(overflow="fold", max_width=16)
        table.add_column(overflow="fold", ratio=1)  # the whole description, wrapped, never cut
        for p in op_params(cls):
            default = "required" if p.required else repr(p.default)
            table.add_row(f"  {p.name}", escape(p.annotation), escape(default), escape(p.doc))
        console.print(table)
