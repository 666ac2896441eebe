"""``--hj-*`` options on upstream's ``train.py`` (patched or through the launcher) -> its training kwargs.

``train.py`` builds ``args`` in ``setup_training_loop_kwargs`` and dumps them to
``training_options.json``; :func:`apply` edits that ``args`` (only with ``--hj=1``):

- ``loss_kwargs.class_name`` -> :class:`~.loss.HJStyleGAN2Loss`, with the config under ``loss_kwargs.hj``
  (so the options are recorded in ``training_options.json``);
- ``G_opt_kwargs``/``D_opt_kwargs.class_name`` -> :func:`~.optim.step_hooked`, the original class kept
  as ``hj_class_name``;
- the run directory's description gets ``-hj``.

With ``--hj=0`` (the default) nothing is touched: upstream's behaviour and options are unchanged.
"""
from __future__ import annotations

from typing import Any, Callable

import click

from hjgan_plugin.config import HJConfig

LOSS_CLASS = "hjgan_stylegan2_ada.loss.HJStyleGAN2Loss"
OPTIMIZER_FACTORY = "hjgan_stylegan2_ada.optim.step_hooked"
UPSTREAM_LOSS = "training.loss.StyleGAN2Loss"


def click_options() -> Callable[[Callable], Callable]:
    """The ``--hj=0|1`` switch and every ``--hj-*`` option (docs/design.md §7), in train.py's click style."""
    return HJConfig.click_options(switch="int")


def click_params() -> list[click.Parameter]:
    """The options of :func:`click_options` as click parameters, in help order (``--hj`` first)."""
    return click_options()(lambda **_: None).__click_params__[::-1]  # decorators collect in reverse


def option_names() -> list[str]:
    """The kwargs names :func:`click_options` adds (``hj``, ``hj_penalty``, ...)."""
    return [param.name for param in click_params()]


def pop(config_kwargs: dict[str, Any]) -> HJConfig:
    """Remove the hj options from train.py's kwargs and return them as a config.

    The exchange pairs StyleGAN2's layers with the adapter's pairing unless
    ``--hj-exchange-pairing`` says otherwise (the generic mirror walk finds no torch.nn layers there).
    """
    pairing_given = config_kwargs.get("hj_exchange_pairing") is not None
    try:
        config = HJConfig.from_click(config_kwargs, pop=True)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    return config if pairing_given else config.replace(exchange_pairing="adapter")


def apply(config: HJConfig, args: dict, run_desc: str) -> str:
    """Swap the loss and optimizer classes in train.py's ``args``; return the run description."""
    if not config.enabled:
        return run_desc
    try:
        config.coefficients()
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    loss_kwargs = args["loss_kwargs"]
    if loss_kwargs.get("class_name") != UPSTREAM_LOSS:
        raise click.UsageError(f"--hj=1 extends {UPSTREAM_LOSS}, but this run's loss is "
                               f"{loss_kwargs.get('class_name')!r}")
    hj = config.to_dict()
    hj.pop("enabled")
    loss_kwargs["class_name"] = LOSS_CLASS
    loss_kwargs["hj"] = hj
    for key, role in (("G_opt_kwargs", "G"), ("D_opt_kwargs", "D")):
        opt_kwargs = args[key]
        opt_kwargs["hj_class_name"] = opt_kwargs["class_name"]
        opt_kwargs["class_name"] = OPTIMIZER_FACTORY
        opt_kwargs["hj_role"] = role
    return run_desc + "-hj"
