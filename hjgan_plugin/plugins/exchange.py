"""Built-in plugin: the weight exchange after optimizer steps (SPEC §4)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..hookspecs import hookimpl

if TYPE_CHECKING:  # pragma: no cover
    from ..session import Session


@hookimpl
def hjgan_after_optimizer_step(session: "Session", role: str, step: int) -> None:
    if session.exchange is not None:
        session.exchange.after_step(role, step)
