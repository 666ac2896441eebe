"""The patched scripts' checkpoints: ``--hj-save PATH`` and ``--hj-resume PATH``, with or without ``--hj``.

Upstream's scripts save no weights, so fine-tuning a finished run (a plain one, with ``--hj --hj-warmup N``)
needs a file to start from. A checkpoint is a plain dict of state dicts written by ``torch.save``: the
script's networks and optimizers under their names in the script (``generator``, ``discriminator``,
``encoder`` for aae, ``optimizer_G``, ``optimizer_D``, ``optimizer_info`` for infogan), plus ``model``,
``generator_steps`` and ``args`` (the script's options that shape its networks). It loads with
``torch.load(path, weights_only=True)`` and no plugin installed; the networks take their entries with
``load_state_dict``. A resumed optimizer takes its moments from the file and its options (``--lr``, ``--b1``,
``--b2``) from the run that resumes. The plugin's own state (the lazy schedule, the game, the exchange) is not in it: a
resumed run starts the plugin afresh, so ``--hj-warmup`` ramps from the resumed step on.

``--hj-save`` writes when the script's process ends normally (not after an error), and every
``--hj-save-every N`` generator steps if N > 0, each time to a temporary file then renamed, so a reader never
sees half a file.
"""
from __future__ import annotations

import argparse
import atexit
import os
import sys
from pathlib import Path
from typing import Any

import torch
from torch import nn

FORMAT = 1
#: The options that shape a script's networks: a checkpoint resumes only where they agree.
SHAPE_ARGS = ("latent_dim", "img_size", "channels", "n_classes", "code_dim")


def add_options(parser: argparse.ArgumentParser) -> None:
    """``--hj-save``, ``--hj-save-every`` and ``--hj-resume``, in a group of their own."""
    group = parser.add_argument_group("checkpoints (hjgan_pytorch_gan; they work with or without --hj)")
    group.add_argument("--hj-save", dest="hj_save", metavar="PATH", default=None,
                       help="write the networks and optimizers to PATH when training ends (a dict of state dicts "
                            "that torch.load reads without the plugin)")
    group.add_argument("--hj-save-every", dest="hj_save_every", metavar="N", type=_count, default=0,
                       help="with --hj-save: also write every N generator steps (default 0: only at the end)")
    group.add_argument("--hj-resume", dest="hj_resume", metavar="PATH", default=None,
                       help="start from a checkpoint --hj-save wrote (same script and network options); "
                            "to fine-tune a plain run: --hj-resume PATH --hj --hj-warmup N")


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} must be >= 0 (0: only at the end)")
    return value


def _file_to_save(path: str | os.PathLike) -> Path:
    """``path`` as a Path; a folder is refused (``--hj-save`` names the file)."""
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"--hj-save {path}: is a folder; give a file name, e.g. {path / 'checkpoint.pt'}")
    return path


def _shape_args(opt: argparse.Namespace) -> dict[str, Any]:
    return {k: getattr(opt, k) for k in SHAPE_ARGS if isinstance(getattr(opt, k, None), (int, float, str))}


def checkpoint(parts: dict[str, nn.Module | torch.optim.Optimizer], model: str, opt: argparse.Namespace,
               generator_steps: int) -> dict[str, Any]:
    """The dict ``--hj-save`` writes: each part's state dict under its name, and what it was trained as."""
    return {"format": FORMAT, "model": model, "generator_steps": generator_steps, "args": _shape_args(opt),
            **{name: part.state_dict() for name, part in parts.items()}}


def save(path: str | os.PathLike, state: dict[str, Any]) -> None:
    """``torch.save`` to a temporary file beside ``path``, then renamed onto it."""
    path = _file_to_save(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        torch.save(state, tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def resume(path: str | os.PathLike, parts: dict[str, nn.Module | torch.optim.Optimizer], model: str,
           opt: argparse.Namespace) -> dict[str, Any]:
    """Load ``path`` (written by ``--hj-save``) into ``parts``; every check runs before anything is loaded.
    Returns the checkpoint."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise ValueError(f"--hj-resume {path}: no such file") from None
    except Exception as exc:  # noqa: BLE001 - any unreadable file gets the same message
        raise ValueError(f"--hj-resume {path}: not a checkpoint written by --hj-save "
                         f"({type(exc).__name__}: {exc})") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT or "model" not in state:
        raise ValueError(f"--hj-resume {path}: not a checkpoint written by --hj-save (no format {FORMAT} dict)")
    if state["model"] != model:
        raise ValueError(f"--hj-resume {path}: written by {state['model']}.py, not {model}.py")
    ours = _shape_args(opt)
    differ = {k: (v, ours[k]) for k, v in state.get("args", {}).items() if k in ours and ours[k] != v}
    if differ:
        raise ValueError(f"--hj-resume {path}: trained with other network options: "
                         + ", ".join(f"--{k} {was} (now {now})" for k, (was, now) in differ.items()))
    missing = [name for name in parts if name not in state]
    if missing:
        raise ValueError(f"--hj-resume {path}: has no {', '.join(missing)}")
    for name, part in parts.items():  # shapes first, so a refused checkpoint loads nothing
        if isinstance(part, nn.Module):
            theirs, want = state[name], part.state_dict()
            bad = sorted(set(theirs) ^ set(want)) + [k for k in want if k in theirs and theirs[k].shape != want[k].shape]
            if bad:
                raise ValueError(f"--hj-resume {path}: {name} does not match this script's network "
                                 f"(keys or shapes differ: {', '.join(bad[:5])}{' ...' if len(bad) > 5 else ''})")
    for name, part in parts.items():
        if isinstance(part, torch.optim.Optimizer):  # the moments resume; this run's --lr, --b1, --b2 stay in force
            options = [{k: v for k, v in group.items() if k != "params"} for group in part.param_groups]
            part.load_state_dict(state[name])
            for group, kept in zip(part.param_groups, options):
                group.update(kept)
        else:
            part.load_state_dict(state[name])
    return state


class Saver:
    """Counts the generator optimizer's steps and writes the checkpoint every ``every`` steps (0: never)
    and when the process ends normally."""

    def __init__(self, path: str, parts: dict[str, nn.Module | torch.optim.Optimizer], model: str,
                 opt: argparse.Namespace, optimizer_G: torch.optim.Optimizer, every: int = 0, start: int = 0):
        self.path, self.parts, self.model, self.opt, self.every = path, parts, model, opt, every
        self.steps = start
        self.handle = optimizer_G.register_step_post_hook(self._stepped)
        atexit.register(self.at_exit)

    def _stepped(self, *_: Any) -> None:
        self.steps += 1
        if self.every and self.steps % self.every == 0:
            self.write()

    def write(self) -> None:
        save(self.path, checkpoint(self.parts, self.model, self.opt, self.steps))

    def at_exit(self) -> None:
        if getattr(sys, "last_value", None) is not None:  # the script ended with an uncaught error
            print(f"[hj] not saving {self.path}: the script ended with an error", file=sys.stderr, flush=True)
            return
        self.write()
        print(f"[hj] saved {self.path} ({self.steps} generator steps)", flush=True)

    def close(self) -> None:
        """Stop counting and writing (tests; a script never needs it)."""
        self.handle.remove()
        atexit.unregister(self.at_exit)


def attach(opt: argparse.Namespace, parts: dict[str, nn.Module | torch.optim.Optimizer], model: str,
           optimizer_G: torch.optim.Optimizer) -> Saver | None:
    """What ``--hj-resume`` and ``--hj-save`` ask of one script (nothing without them): load, then start the
    saver, which counts on from the resumed step."""
    save_to = getattr(opt, "hj_save", None)
    if save_to:  # refused before anything is loaded
        _file_to_save(save_to)
    start = 0
    if getattr(opt, "hj_resume", None):
        state = resume(opt.hj_resume, parts, model, opt)
        start = int(state.get("generator_steps", 0))
        print(f"[hj] resumed {model} from {opt.hj_resume} ({start} generator steps)", flush=True)
    return Saver(save_to, parts, model, opt, optimizer_G, getattr(opt, "hj_save_every", 0), start) if save_to else None


__all__ = ["FORMAT", "Saver", "add_options", "attach", "checkpoint", "resume", "save"]
