"""``keychain show`` for retrieval rows: the needles, where they sit, the asked one highlighted.

Example:
    >>> depth_map([0.0, 0.5], width=10)
    'N····N····'
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text


def depth_map(depths: list[float], width: int = 48) -> str:
    cells = ["·"] * width
    for depth in depths:
        cells[min(width - 1, int(depth * width))] = "N"
    return "".join(cells)


def render_needles(row: dict, console: Console) -> None:
    needles, depths = row["needles"], row["needle_depths"] or []
    asked = [n for n in needles if any(a in n for a in row["answers"]) and n.split(" is: ")[0].split()[-1] in row["question"]]
    title = f"{len(needles)} needles" + (f", requested depth {row['needle_depth']:.0%}" if row["task"] == "niah" else "")
    table = Table(title=title)
    table.add_column("#", justify="right")
    table.add_column("needle", overflow="fold")
    table.add_column("depth", justify="right")
    for number, (needle, depth) in enumerate(zip(needles, depths), start=1):
        table.add_row(str(number), Text(needle, style="bold yellow" if needle in asked else ""), f"{depth:.1%}")
    console.print(table)
    console.print(f"context map: [{depth_map(depths)}]  (N needle)")
    user = next(m["content"] for m in row["prompt"] if m["role"] == "user")
    if asked:
        at = user.find(asked[0])
        snippet = Text("… " + user[max(0, at - 240) : at], style="dim") + Text(asked[0], style="bold yellow")
        console.print(snippet + Text(user[at + len(asked[0]) : at + len(asked[0]) + 200] + " …", style="dim"))
    console.print(Text("… " + user[-300:], style="dim"))
