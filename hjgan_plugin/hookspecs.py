"""Hook specifications of the ``hjgan`` pluggy project (SPEC §6).

A plugin is any module or object with functions marked ``@hookimpl`` whose names match the specs
below; it is found through the ``hjgan`` entry-point group (``[project.entry-points.hjgan]`` in its
``pyproject.toml``), the same group the built-in penalty, exchange and adapters are loaded from.
Every argument is optional in an implementation: pluggy passes only the ones it names.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import pluggy

if TYPE_CHECKING:  # pragma: no cover
    from torch import Tensor

    from .adapters import Adapter
    from .session import Session

PROJECT = "hjgan"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def hjgan_register_adapters() -> "list[Adapter]":
    """Return the adapters this plugin provides.

    Called once when the plugin manager is built. An adapter translates one trainer's conventions
    (how to call G on z, which activations to regularize, how G and D pair for the exchange, where
    scalars go); see :class:`hjgan_plugin.adapters.Adapter`. Names must be unique across plugins.

    :return: a list of :class:`~hjgan_plugin.adapters.Adapter` (may be empty).
    """


@hookspec
def hjgan_generator_loss_terms(session: "Session", z: "Tensor", G_args: tuple, G_kwargs: dict,
                               G_z: Any) -> "dict[str, Tensor] | None":
    """Return extra generator-loss terms for this step, already weighted.

    Called by :meth:`Session.generator_penalty` on every generator step, before the step's
    ``backward``. ``z`` is the latent batch G is evaluated on, ``G_args``/``G_kwargs`` its extra
    inputs, ``G_z`` the adversarial pass's output if the caller passed it (else ``None``). All
    returned terms are summed into the value ``generator_penalty`` returns; a term that is not
    finite is dropped for this step with a :class:`~hjgan_plugin.NonFinitePenaltyWarning`.

    :return: ``{name: scalar tensor}``, or ``None`` when the plugin adds nothing this step.
    """


@hookspec
def hjgan_after_optimizer_step(session: "Session", role: str, step: int) -> None:
    """Called right after an optimizer step of the generator (``role="G"``) or discriminator (``"D"``).

    ``step`` is the number of steps of that optimizer so far (1 after the first). Runs from the
    optimizer's step post-hook, so training loops need no edits. The built-in weight exchange
    (SPEC §4) is an implementation of this hook.
    """


@hookspec
def hjgan_exchange_rules() -> "dict[str, Callable]":
    """Return extra weight-exchange rules, ``{name: rule}``, selectable by ``--hj-exchange-variant``.

    A rule has the signature of :func:`hjgan_plugin.exchange.rules.blend`. Called once when the
    plugin manager is built.
    """


@hookspec
def hjgan_report(session: "Session", scalars: "dict[str, float]", step: int) -> None:
    """Called with the scalars of each penalty step (``hj_hessian``, ``hj_jacobian``, ...).

    The session's adapter reports them to its trainer first; this hook lets other plugins log them too.
    """
