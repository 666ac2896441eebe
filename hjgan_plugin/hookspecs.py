"""Hook specifications of the ``hjgan`` pluggy project (docs/design.md §6).

A plugin is a module or object with functions marked ``@hookimpl`` whose names match the specs
below. It is found through the ``hjgan`` entry-point group (``[project.entry-points.hjgan]`` in its
``pyproject.toml``), the group the built-in plugins and the host integrations are loaded from too.
An implementation may take any subset of a spec's arguments: pluggy passes only the ones it names.

The hooks come in three groups, as pytest's do:

- **initialization** (called while the plugin manager or the command line is built):
  :func:`hjgan_addoption` (*historic*: a plugin registered later still gets the call),
  :func:`hjgan_register_adapters`, :func:`hjgan_exchange_rules`, :func:`hjgan_patch_hosts`,
  :func:`hjgan_cli_commands`, :func:`hjgan_generator_loaders`;
- **training** (called from a session, with a :class:`~hjgan_plugin.context.PluginContext`):
  :func:`hjgan_configure` (once, when the session is attached), :func:`hjgan_generator_loss_terms`,
  :func:`hjgan_after_optimizer_step`;
- **reporting**: :func:`hjgan_report`.

No hook is ``firstresult``: every plugin's answer is used (terms are summed, adapters, rules, options
and commands collected, names that two plugins give are an error).

The built-in penalty and weight exchange are not plugins: the session runs them itself, and these hooks
are how other code adds to them.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import pluggy

if TYPE_CHECKING:  # pragma: no cover
    import click
    from torch import Tensor

    from .adapters import Adapter
    from .context import PluginContext
    from .options import OptionParser

PROJECT = "hjgan"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# -------------------------------------------------------------------------------- initialization hooks
@hookspec(historic=True)
def hjgan_addoption(parser: "OptionParser") -> None:
    """Declare this plugin's options.

    ``group = parser.getgroup("name", "description")``, then ``group.addoption("weight", type=float,
    default=1.0, help="...")`` declares the config field ``name_weight``: the flag
    ``--hj-name-weight`` (argparse, click, StyleGAN2-ADA's ``train.py``), ``attach(name_weight=...)``,
    a key of ``HJConfig.to_dict()`` (so ``training_options.json`` and the session state record it), and
    ``context.getoption("name_weight")`` in the training hooks.

    Historic: called once per plugin manager for every plugin, including plugins registered after the
    manager was built. A name that a built-in option or another plugin already uses is an error.
    """


@hookspec
def hjgan_register_adapters() -> "list[Adapter]":
    """Return the adapters this plugin provides.

    Called when a session picks its adapter and by ``hjgan plugins``. An adapter translates one
    trainer's conventions (how to call G on z, which activations to regularize, how G and D pair for
    the exchange, where scalars go); see :class:`hjgan_plugin.adapters.Adapter`. Names must be unique
    across plugins.

    :return: a list of :class:`~hjgan_plugin.adapters.Adapter` (may be empty).
    """


@hookspec
def hjgan_exchange_rules() -> "dict[str, Callable]":
    """Return weight-exchange rules, ``{name: rule}``, selectable by ``--hj-exchange-variant``.

    A rule is a function with the signature of :func:`hjgan_plugin.exchange.rules.blend` (or an
    :class:`~hjgan_plugin.exchange.rules.ExchangeRule`, which also says which noise it needs). Rules are
    looked up in the plugin manager of the session, so one manager's rules never reach another's.
    """


@hookspec
def hjgan_patch_hosts() -> "dict[str, Callable]":
    """Return ``{host: patch}`` for ``hjgan patch HOST DIR``.

    ``patch(repo, *, cpu, reverse, check_only) -> list[str]`` applies (or removes) the host's patches to a
    checkout, version-checked and all or nothing, and returns one message per patch; it raises
    :class:`hjgan_plugin.patching.PatchError` with nothing changed when it cannot.
    """


@hookspec
def hjgan_cli_commands() -> "list[click.Command]":
    """Return click commands (or groups) to add to the ``hjgan`` command line, e.g. a host's launcher."""


@hookspec
def hjgan_generator_loaders() -> "dict[str, Callable]":
    """Return ``{name: load}`` for ``hjgan discover --adapter NAME --checkpoint FILE``.

    ``load(checkpoint, *, space="z", **options) -> LoadedGenerator`` reads one of the host's checkpoint
    files and returns the frozen generator as a function of its latent (``space``: the host's latent
    spaces, e.g. StyleGAN's ``z`` or ``w``), with the latent size and how to draw latents
    (:class:`hjgan_plugin.discovery.loading.LoadedGenerator`). A file of the wrong format or
    architecture raises ``ValueError`` naming what was expected.
    """


# -------------------------------------------------------------------------------------- training hooks
@hookspec
def hjgan_configure(context: "PluginContext") -> None:
    """Called once when a session is attached (``attach()``, a host's ``--hj`` flag), after the options
    are parsed and before the weight exchange pairs G's and D's parameters.

    A plugin checks here that it can work with this session's G, D and adapter, and raises
    ``ValueError`` naming what is missing (an option it cannot honour fails at attach time, not at the
    first step). It may also prepare the models in place, e.g. wrap D's layers; the parameters it adds
    must be ones the caller's optimizer already holds, or the plugin says so. Like ``pytest_configure``.
    """


@hookspec
def hjgan_unconfigure(context: "PluginContext") -> None:
    """Called when attaching fails after ``hjgan_configure`` began (a later plugin or the weight exchange
    refused the session): a plugin undoes what its ``hjgan_configure`` did to G or D, so that a refused
    ``attach`` leaves the models as they were. Called for every plugin, also one whose configure did not
    run or changed nothing: do nothing then. Like ``pytest_unconfigure``.
    """


@hookspec
def hjgan_generator_loss_terms(context: "PluginContext", z: "Tensor", G_args: tuple, G_kwargs: dict,
                               G_z: Any, real: Any) -> "dict[str, Tensor] | None":
    """Return extra generator-loss terms for this step, already weighted.

    Called by :meth:`Session.generator_penalty` on every generator step, after the built-in penalty and
    before the step's ``backward``. ``z`` is the latent batch G is evaluated on, ``G_args``/``G_kwargs``
    its extra inputs, ``G_z`` the adversarial pass's output if the caller passed it (else ``None``), ``real``
    the step's real batch if the caller passed it (``generator_penalty(z, real=x)``; terms that train
    against an unrolled D need it).
    ``context.call_generator(z, *G_args, **G_kwargs)`` runs G the way the adapter calls it. Every term is
    added to what ``generator_penalty`` returns and recorded under its name; a term that is not finite
    is left out of this step (:class:`~hjgan_plugin.NonFinitePenaltyWarning`) and reads NaN.

    :return: ``{name: scalar tensor}``, or ``None`` when the plugin adds nothing this step.
    """


@hookspec
def hjgan_after_optimizer_step(context: "PluginContext", role: str, step: int) -> None:
    """Called right after an optimizer step of the generator (``role="G"``) or discriminator (``"D"``).

    ``step`` is the number of steps of that optimizer so far (1 after the first). It runs from the
    optimizer's step post-hook, after the built-in weight exchange, so training loops need no edits.
    """


# ------------------------------------------------------------------------------------- reporting hooks
@hookspec
def hjgan_report(context: "PluginContext", scalars: "dict[str, float]", step: int) -> None:
    """Called with the scalars of every step that did something: a penalty step (``hj_hessian``,
    ``hj_jacobian``, ``hj_penalty``, plugin terms), an exchange (``exchange/*``), or both.

    ``step`` is the number of generator steps taken. A term skipped as non-finite reads NaN. The
    session's adapter has already sent the same scalars to its trainer's logger.
    """
