"""Markdown for the generated result pages: table lines, and rewriting a page while keeping parts of it."""
from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

HAND_WRITTEN = "<!-- hand-written below: kept when the script rewrites this file -->"
"""Everything after this line in a generated page is kept when the script writes the page again."""


def row(cells: Iterable[object]) -> str:
    """``| a | b | c |``"""
    return "| " + " | ".join(str(c) for c in cells) + " |"


def table(header: Sequence[object], rows: Iterable[Sequence[object]] = ()) -> list[str]:
    """A header row, its ``|---|`` rule and one line per row."""
    return [row(header), "|" + "---|" * len(header)] + [row(r) for r in rows]


def previous_line(path: Path, prefix: str) -> str | None:
    """The first line of the existing page ``path`` (not its first line) that starts with ``prefix``, or
    None: a value the page recorded that a redraw cannot measure again (a wall time)."""
    path = Path(path)
    if not path.exists() or "\n" + prefix not in path.read_text():
        return None
    return prefix + path.read_text().split("\n" + prefix, 1)[1].split("\n", 1)[0]


def write_page(path: Path, text: str, keep_hand_written: bool = False) -> None:
    """Write ``text`` and a newline to ``path``; with ``keep_hand_written``, the part of the old page after
    :data:`HAND_WRITTEN` follows it (said on stderr, since it may now disagree with the new numbers)."""
    path = Path(path)
    kept = ""
    if keep_hand_written and path.exists() and HAND_WRITTEN in path.read_text():
        kept = path.read_text().split(HAND_WRITTEN, 1)[1]
        print(f"kept the hand-written part of {path}: check it against the new numbers", file=sys.stderr)
    path.write_text(text + "\n" + (HAND_WRITTEN + kept if kept else ""))
