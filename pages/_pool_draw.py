"""The Pooling page's drawing: maps and grids of numbers from its lesson's views, only rendered."""

from __future__ import annotations

from cnnviz.lessons import pooling as lesson
from pages._ui import show_image

__all__ = ["NO_BAR", "show_grid", "show_map", "show_row"]

NO_BAR = {"displayModeBar": False}


def show_map(where, view: lesson.MapView | lesson.MapNote, key: str) -> None:
    """One map as its ``kind`` says: heatmap (title above), picture (title below) or sentence."""
    if view.kind == "note":
        where.caption(view.text)
    elif view.kind == "picture":
        show_image(where, view.png, caption=view.title, width="stretch")
    else:
        where.markdown(f"**{view.title}**")  # above: a Plotly title would collide with the ticks
        where.plotly_chart(view.figure, key=key, config=NO_BAR)


def show_grid(where, grid: lesson.NumberGrid, key: str) -> None:
    """A grid of numbers with its title above (a Plotly title would collide with the ticks)."""
    where.markdown(f"**{grid.title}**")
    where.plotly_chart(grid.figure, key=key, config=NO_BAR)


def show_row(where, name: str, row: tuple) -> None:
    """One stage of the shift comparison: original, shifted and difference, side by side."""
    for column, item, part in zip(where.columns(3), row, "osd"):
        show_map(column, item, f"pool_{part}_{name}")
