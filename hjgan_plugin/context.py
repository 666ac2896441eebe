"""``PluginContext``: what a plugin may read and call during training (docs/design.md §6).

The training hooks receive a context, not the session: the session's counters, schedule and exchange
stay its own, and this is the whole surface plugins may rely on.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:  # pragma: no cover
    from torch import nn

    from .adapters import Adapter
    from .config import HJConfig
    from .session import Session


class PluginContext:
    """A read-mostly view of one session, passed to the training and reporting hooks as ``context``.

    Read: :attr:`config` and :meth:`getoption`, :attr:`adapter`, :attr:`generator`,
    :attr:`discriminator`, :attr:`steps`, :attr:`ramp`, :attr:`lazy_gain`.
    Call: :meth:`call_generator` (G as the adapter calls it), :meth:`generator_output` (the step's fakes),
    :meth:`record` (scalars for the logs).
    """

    __slots__ = ("_session",)

    def __init__(self, session: "Session"):
        self._session = session

    @property
    def config(self) -> "HJConfig":
        """The session's options (treat as read-only)."""
        return self._session.config

    def getoption(self, name: str) -> Any:
        """An option's value, a built-in one (``"k"``) or a plugin's (``"msgan_weight"``)."""
        return self._session.config.getoption(name)

    @property
    def adapter(self) -> "Adapter":
        return self._session.adapter

    @property
    def generator(self) -> Callable:
        """G as passed to ``attach``."""
        return self._session.generator

    @property
    def discriminator(self) -> "nn.Module | None":
        return self._session.discriminator

    @property
    def steps(self) -> dict[str, int]:
        """Optimizer steps taken so far, ``{"G": n, "D": m}`` (a copy)."""
        return dict(self._session.steps)

    @property
    def ramp(self) -> float:
        """The warm-up factor of the generator step being taken (docs/design.md §2)."""
        return self._session.ramp()

    @property
    def lazy_gain(self) -> float:
        """The lazy-regularization gain of the generator step being taken (0: a skipped step)."""
        return self._session.lazy_gain()

    def call_generator(self, z: Any, *args: Any, **kwargs: Any) -> Any:
        """Run G on ``z`` (and its other inputs) the way the session's adapter calls it."""
        return self._session.adapter.generator_fn(self._session.generator)(z, *args, **kwargs)

    def generator_output(self, z: Any, G_args: tuple = (), G_kwargs: dict | None = None, G_z: Any = None) -> Any:
        """The step's generated batch: ``G_z`` when the caller passed it, else G run on ``z`` as the adapter
        calls it; of a multi-output G (a list or tuple), the last activation (the image)."""
        fake = G_z if G_z is not None else self.call_generator(z, *G_args, **(G_kwargs or {}))
        return fake[-1] if isinstance(fake, (list, tuple)) else fake

    def record(self, **scalars: Any) -> None:
        """Add scalars (floats or tensors, read lazily) to this step's report and ``session.last``."""
        self._session.record(**scalars)

    def __repr__(self) -> str:
        return f"PluginContext(adapter={self.adapter.name!r}, steps={self.steps})"
