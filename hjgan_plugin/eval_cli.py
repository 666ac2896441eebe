"""``hjgan eval``: score samples saved to files with the project's metrics (issue 5).

Inputs are ``.npy`` arrays or ``.pt`` tensors (``torch.save``). Every command prints one JSON object
(``--json``) or a short table, so results drop into logs and spreadsheets.

    hjgan eval modes   SAMPLES --mixture ring|grid [--strict 20]    mode coverage, HQ fraction, reverse KL
    hjgan eval ndb     TRAIN GENERATED [--k 100]                     NDB and JSD (K-means bins)
    hjgan eval digits  IMAGES [--real REAL] [--classifier FILE]      Stacked-Digits modes, FD-digits
    hjgan eval factors LATENTS FACTORS                               MIG and DCI
    hjgan eval quality FAKE [--real REAL] --inception-weights FILE   FID, KID, IS (FID Inception-v3)
    hjgan eval ppl --generator SPEC --latent-dim N --vgg-weights F   PPL (LPIPS/VGG16); --digits: PPL-digits
    hjgan eval vp DIFF DIMS | FIRST SECOND DIMS                      VP on saved variation pairs
    hjgan eval compare A B [--key is_splits]                         Welch t-test and Mann-Whitney U p-values

Long loops (Inception passes, KID subsets, PPL batches, VP runs, classifier training) draw a progress
bar on stderr; ``--no-progress`` turns it off. Weights files are the user's (``--inception-weights``
or ``HJGAN_INCEPTION_WEIGHTS``, ``--vgg-weights`` or ``HJGAN_VGG16_WEIGHTS``): nothing downloads.
"""
from __future__ import annotations

import json
import math
import warnings
from pathlib import Path
from typing import Any

import click
import numpy as np
import torch


def load_raw(path: str | Path) -> torch.Tensor:
    """A ``.npy`` or ``.pt`` file as a tensor of its own dtype; a clear error for a missing or unknown file."""
    path = Path(path)
    if not path.is_file():
        raise click.BadParameter(f"no such file: {path}")
    if path.suffix == ".npy":
        return torch.from_numpy(np.load(path))
    if path.suffix in (".pt", ".pth"):
        value = torch.load(path, weights_only=True, map_location="cpu")
        if not isinstance(value, torch.Tensor):
            raise click.BadParameter(f"{path} holds a {type(value).__name__}, expected one tensor")
        return value
    raise click.BadParameter(f"{path}: expected a .npy or .pt file")


def load_array(path: str | Path) -> torch.Tensor:
    """A ``.npy`` or ``.pt`` file as a float tensor; a clear error for a missing or unknown file."""
    return load_raw(path).float()


def load_images(path: str | Path) -> torch.Tensor:
    """Images from a file: uint8 arrays stay uint8 (0-255), anything else becomes float32."""
    x = load_raw(path)
    return x if x.dtype == torch.uint8 else x.float()


def _plain(value: Any) -> Any:
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, float) and math.isinf(value):
        return "inf"
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _emit(result: dict[str, Any], as_json: bool) -> None:
    result = _plain(result)
    if as_json:
        click.echo(json.dumps(result, indent=2))
        return
    for key, value in result.items():
        if isinstance(value, float):
            value = f"{value:.4g}"
        elif isinstance(value, list) and len(value) > 8:
            continue  # per-bin / per-mode detail only in --json
        click.echo(f"{key:>24s}  {value}")


def _guard(fn, *args, **kwargs) -> Any:
    """Run a metric; its input errors become click usage errors (message, exit status 2)."""
    try:
        return fn(*args, **kwargs)
    except (ValueError, TypeError) as exc:
        raise click.UsageError(str(exc)) from None


json_option = click.option("--json", "as_json", is_flag=True, help="print a JSON object")
progress_option = click.option("--no-progress", "no_progress", is_flag=True,
                               help="no progress bar on stderr")


@click.group("eval")
def eval_group() -> None:
    """Score generated samples saved as .npy/.pt files (metrics of issue 5)."""


@eval_group.command("modes")
@click.argument("samples", type=click.Path())
@click.option("--mixture", type=click.Choice(["ring", "grid"]), required=True,
              help="the 2D mixture the generator was trained on (PacGAN/VEEGAN protocol)")
@click.option("--strict", "strict", type=int, default=20, show_default=True,
              help="samples a mode needs for the strict count")
@json_option
def modes(samples: str, mixture: str, strict: int, as_json: bool) -> None:
    """Mode coverage (loose: >= 1 HQ sample; strict: >= --strict), HQ fraction and reverse KL."""
    from .datasets import grid_mixture, ring_mixture
    from .metrics import mode_coverage

    x = load_array(samples)
    mix = ring_mixture() if mixture == "ring" else grid_mixture()
    loose = _guard(mode_coverage, x, mix, min_count=1)
    strict_result = _guard(mode_coverage, x, mix, min_count=strict)
    result = {"mixture": mixture, "n": loose["n"], "n_nan": loose["n_nan"], "modes_loose": loose["modes"],
              f"modes_strict_{strict}": strict_result["modes"], "modes_total": len(mix.centers),
              "hq_fraction": loose["hq_fraction"], "reverse_kl": loose["reverse_kl"]}
    _emit(result, as_json)


@eval_group.command("ndb")
@click.argument("train", type=click.Path())
@click.argument("generated", type=click.Path())
@click.option("--k", type=int, default=100, show_default=True, help="number of K-means bins")
@click.option("--alpha", type=float, default=0.05, show_default=True, help="significance level per bin")
@click.option("--seed", type=int, default=0, show_default=True)
@json_option
def ndb(train: str, generated: str, k: int, alpha: float, seed: int, as_json: bool) -> None:
    """NDB (statistically different bins) and JSD between bin histograms (Richardson & Weiss 2018)."""
    from .metrics import ndb_jsd

    a, b = load_array(train), load_array(generated)
    _emit(_guard(ndb_jsd, a.reshape(a.shape[0], -1), b.reshape(b.shape[0], -1), k=k, alpha=alpha, seed=seed),
          as_json)


@eval_group.command("digits")
@click.argument("images", type=click.Path())
@click.option("--real", type=click.Path(), default=None, help="real stacked images for FD-digits")
@click.option("--classifier", type=click.Path(), default=None,
              help="a saved DigitClassifier state (default: train one, ~3 s, seed 0)")
@click.option("--save-classifier", type=click.Path(), default=None, help="save the trained classifier here")
@click.option("--confidence", type=float, default=0.9, show_default=True,
              help="also report 'confident': the fraction of images whose 3 digits all reach this softmax "
                   "probability (a quality gate; 0 turns it off)")
@progress_option
@json_option
def digits(images: str, real: str | None, classifier: str | None, save_classifier: str | None,
           confidence: float, no_progress: bool, as_json: bool) -> None:
    """Stacked-Digits modes and reverse KL over 1000 modes; FD-digits against --real (not FID)."""
    from .metrics import fd_digits, stacked_mode_stats

    x = load_array(images)
    clf = _digit_classifier(classifier, not no_progress)
    if save_classifier is not None:
        clf.save(save_classifier)
    result = dict(_guard(stacked_mode_stats, x, clf, confidence=confidence or None))
    result["classifier_test_accuracy"] = clf.accuracy("test")
    if real is not None:
        result["fd_digits"] = _guard(fd_digits, load_array(real), x, clf)
    _emit(result, as_json)


def _digit_classifier(path: str | None, progress: bool) -> Any:
    """A saved DigitClassifier, or a freshly trained one (seed 0)."""
    from .metrics import DigitClassifier

    if path is not None:
        if not Path(path).is_file():
            raise click.BadParameter(f"no such classifier file: {path} "
                                     "(create one with --save-classifier)", param_hint="--classifier")
        return DigitClassifier.load(path)
    click.echo("training the digit classifier (seed 0, ~3 s; --save-classifier keeps it)", err=True)
    return DigitClassifier().fit(progress=progress)


@eval_group.command("factors")
@click.argument("latents", type=click.Path())
@click.argument("factors", type=click.Path())
@click.option("--bins", type=int, default=20, show_default=True, help="MIG discretisation bins")
@click.option("--regressor", type=click.Choice(["gbt", "lasso"]), default="gbt", show_default=True,
              help="DCI importance regressor")
@json_option
def factors(latents: str, factors: str, bins: int, regressor: str, as_json: bool) -> None:
    """MIG and DCI of latent codes against ground-truth factors (rows are samples)."""
    from .metrics import dci, mig

    z, c = load_array(latents), load_array(factors)
    result = {"mig": _guard(mig, z.numpy(), c.numpy(), bins=bins)}
    scores = _guard(dci, z.numpy(), c.numpy(), regressor=regressor)
    result.update({f"dci_{key}": value for key, value in scores.items()})
    _emit(result, as_json)


# ---------------------------------------------------------------------------------------------- quality
def _parse_range(text: str | None, option: str) -> tuple[float, float] | None:
    """``"lo,hi"`` as a pair of floats (``None`` stays ``None``)."""
    if text is None:
        return None
    try:
        lo, hi = (float(v) for v in text.split(","))
    except ValueError:
        raise click.BadParameter(f"expected LOW,HIGH such as 0,1 or -1,1, got {text!r}", param_hint=option) from None
    if not hi > lo:
        raise click.BadParameter(f"HIGH must exceed LOW, got {text!r}", param_hint=option)
    return lo, hi


def _weights_guard(fn, option: str, *args, **kwargs) -> Any:
    """Run a metric that loads a weights file: a missing file is a usage error on ``option`` naming the file
    to supply; input errors (and a file of the wrong kind) are usage errors too."""
    try:
        return fn(*args, **kwargs)
    except FileNotFoundError as exc:
        raise click.BadParameter(str(exc), param_hint=option) from None
    except (ValueError, TypeError) as exc:
        raise click.UsageError(str(exc)) from None


@eval_group.command("quality")
@click.argument("fake", type=click.Path())
@click.option("--real", type=click.Path(), default=None, help="real images (needed for FID and KID)")
@click.option("--metrics", "metric_list", default=None,
              help="comma-separated subset of fid,kid,is [default: fid,kid,is with --real, else is]")
@click.option("--inception-weights", type=click.Path(), default=None,
              help="pt_inception-2015-12-05-6726825d.pth (default: $HJGAN_INCEPTION_WEIGHTS)")
@click.option("--range", "value_range", default="0,1", show_default=True,
              help="value range of float images (uint8 files are 0-255)")
@click.option("--real-range", default=None, help="value range of the real images [default: --range]")
@click.option("--fid-dims", type=click.Choice(["2048", "768", "192", "64"]), default="2048", show_default=True,
              help="Inception layer for FID (2048 is the standard FID)")
@click.option("--kid-subsets", type=int, default=100, show_default=True)
@click.option("--kid-subset-size", type=int, default=1000, show_default=True)
@click.option("--is-splits", type=int, default=10, show_default=True)
@click.option("--seed", type=int, default=2020, show_default=True, help="KID subsets and IS shuffle")
@click.option("--batch-size", type=int, default=50, show_default=True)
@click.option("--fid-min-samples", type=int, default=None,
              help="accept fewer images than dims+1 for FID (rank-deficient covariance, biased) [default: dims+1]")
@progress_option
@json_option
def quality(fake: str, real: str | None, metric_list: str | None, inception_weights: str | None,
            value_range: str, real_range: str | None, fid_dims: str, kid_subsets: int, kid_subset_size: int,
            is_splits: int, seed: int, batch_size: int, fid_min_samples: int | None, no_progress: bool,
            as_json: bool) -> None:
    """FID and KID against --real, and IS, on the FID Inception-v3 with your weights file.

    IS reports the per-split scores (is_splits, in --json) that `hjgan eval compare` tests.
    """
    from .metrics import quality_scores

    wanted = tuple(m.strip() for m in metric_list.split(",")) if metric_list else (
        ("fid", "kid", "is") if real is not None else ("is",))
    x = load_images(fake)
    r = load_images(real) if real is not None else None
    # the images are checked first, then the weights file is loaded (quality_scores does both)
    out = _weights_guard(
        quality_scores, "--inception-weights", x, r, weights=inception_weights, metrics=wanted,
        value_range=_parse_range(value_range, "--range"), real_value_range=_parse_range(real_range, "--real-range"),
        fid_feature=fid_dims, fid_min_samples=fid_min_samples, kid_subsets=kid_subsets,
        kid_subset_size=kid_subset_size, is_splits=is_splits, seed=seed, batch_size=batch_size,
        progress=not no_progress)
    _emit(out, as_json)


# ---------------------------------------------------------------------------------------------- ppl
def load_generator(spec: str, option: str) -> Any:
    """``FILE.py:FACTORY`` or ``MODULE:FACTORY`` (``FACTORY()`` returns the callable) or a TorchScript file."""
    import importlib
    import importlib.util

    if ":" not in spec:
        path = Path(spec)
        if not path.is_file():
            raise click.BadParameter(f"no such file: {spec} (expected FILE.py:FACTORY, MODULE:FACTORY or a "
                                     f"TorchScript file)", param_hint=option)
        try:
            with warnings.catch_warnings():  # torch 2.13 deprecates TorchScript, which is what this loads
                warnings.simplefilter("ignore", DeprecationWarning)
                return torch.jit.load(str(path), map_location="cpu").eval()
        except (RuntimeError, ValueError):
            raise click.BadParameter(f"{spec} is not a TorchScript file (torch.jit.save); or name a factory as "
                                     f"FILE.py:FACTORY / MODULE:FACTORY", param_hint=option) from None
    where, name = spec.rsplit(":", 1)
    try:
        if where.endswith(".py"):
            if not Path(where).is_file():
                raise click.BadParameter(f"no such file: {where}", param_hint=option)
            mod_spec = importlib.util.spec_from_file_location(f"_hjgan_user_{Path(where).stem}", where)
            module = importlib.util.module_from_spec(mod_spec)
            mod_spec.loader.exec_module(module)
        else:
            module = importlib.import_module(where)
    except ImportError as exc:
        raise click.BadParameter(f"cannot import {where}: {exc}", param_hint=option) from None
    factory = getattr(module, name, None)
    if not callable(factory):
        raise click.BadParameter(f"{where} has no callable {name!r} (a factory returning the network)",
                                 param_hint=option)
    net = factory()
    if not callable(net):
        raise click.BadParameter(f"{spec}() returned a {type(net).__name__}, not a callable network",
                                 param_hint=option)
    return net.eval() if isinstance(net, torch.nn.Module) else net


@eval_group.command("ppl")
@click.option("--generator", "generator_spec", required=True,
              help="FILE.py:FACTORY or MODULE:FACTORY (FACTORY() returns G), or a TorchScript file; G maps a "
                   "batch of latents (z, or w with --mapping) to images (n, C, H, W)")
@click.option("--mapping", "mapping_spec", default=None, help="the same for the mapping z -> w (--space w)")
@click.option("--latent-dim", type=int, required=True, help="dimension of z")
@click.option("--space", type=click.Choice(["z", "w"]), default="z", show_default=True,
              help="slerp in z or lerp in w")
@click.option("--sampling", type=click.Choice(["full", "end"]), default="full", show_default=True)
@click.option("--samples", type=int, default=50000, show_default=True)
@click.option("--epsilon", type=float, default=1e-4, show_default=True)
@click.option("--crop/--no-crop", default=None,
              help="StyleGAN's centre crop [default: on with --vgg-weights, off with --digits]")
@click.option("--range", "value_range", default=None,
              help="value range of G's output [default: -1,1 with --vgg-weights, 0,1 with --digits]")
@click.option("--vgg-weights", type=click.Path(), default=None,
              help="StyleGAN2-ADA's vgg16.pt (LPIPS; default: $HJGAN_VGG16_WEIGHTS)")
@click.option("--digits", "use_digits", is_flag=True,
              help="PPL-digits: the project's digit-classifier features instead of LPIPS (not PPL)")
@click.option("--classifier", type=click.Path(), default=None, help="saved DigitClassifier for --digits")
@click.option("--batch-size", type=int, default=32, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@progress_option
@json_option
def ppl(generator_spec: str, mapping_spec: str | None, latent_dim: int, space: str, sampling: str, samples: int,
        epsilon: float, crop: bool | None, value_range: str | None, vgg_weights: str | None, use_digits: bool,
        classifier: str | None, batch_size: int, seed: int, no_progress: bool, as_json: bool) -> None:
    """Perceptual path length (StyleGAN2-ADA's definition) of a generator you name.

    With --vgg-weights (or HJGAN_VGG16_WEIGHTS): LPIPS on VGG16, the published PPL. With --digits:
    PPL-digits on the project's 8x8-digit classifier, a different scale (not PPL).
    """
    from .metrics import DigitsFeatureDistance, load_lpips_vgg16, perceptual_path_length

    if space == "w" and mapping_spec is None:
        raise click.UsageError("--space w needs --mapping (z -> w); --generator is then the synthesis network")
    G = load_generator(generator_spec, "--generator")
    mapping = load_generator(mapping_spec, "--mapping") if mapping_spec else None
    if use_digits:
        rng = _parse_range(value_range, "--range") or (0.0, 1.0)
        distance = DigitsFeatureDistance(_digit_classifier(classifier, not no_progress), rng)
        crop = bool(crop)
        if crop:
            raise click.UsageError("--digits works on whole 8x8 digits: drop --crop")
        label, key = "PPL-digits: DigitClassifier features (not PPL)", "ppl_digits"
    else:
        rng = _parse_range(value_range, "--range") or (-1.0, 1.0)
        distance = _weights_guard(load_lpips_vgg16, "--vgg-weights", vgg_weights, value_range=rng)
        crop = True if crop is None else crop
        label, key = "LPIPS-VGG16 (vgg16.pt)", "ppl"
    out = _guard(perceptual_path_length, G, latent_dim, distance, space=space, mapping=mapping, sampling=sampling,
                 n_samples=samples, epsilon=epsilon, crop=crop, batch_size=batch_size, seed=seed,
                 progress=not no_progress)
    result = {key: out["ppl"], "distance": label, "space": space, "sampling": sampling, "crop": crop,
              "epsilon": epsilon, "n": out["n"], "n_nan": out["n_nan"], "n_kept": out["n_kept"]}
    _emit(result, as_json)


# ---------------------------------------------------------------------------------------------- vp
@eval_group.command("vp")
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("--latent-dim", type=int, default=None, help="number of latent dimensions [default: max(DIMS)+1]")
@click.option("--train-fraction", type=float, default=0.1, show_default=True)
@click.option("--runs", type=int, default=3, show_default=True)
@click.option("--epochs", type=int, default=30, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@progress_option
@json_option
def vp(files: tuple[str, ...], latent_dim: int | None, train_fraction: float, runs: int, epochs: int, seed: int,
       no_progress: bool, as_json: bool) -> None:
    """Variation Predictability on saved pairs: DIFF DIMS, or FIRST SECOND DIMS.

    DIFF holds G(z') - G(z) (what hjgan_plugin.metrics.variation_pairs returns), FIRST and SECOND hold
    G(z) and G(z'), and DIMS the latent dimension changed in each pair (integers).
    """
    from .metrics import vp_from_differences

    if len(files) not in (2, 3):
        raise click.UsageError(f"expected DIFF DIMS or FIRST SECOND DIMS, got {len(files)} files")
    if len(files) == 2:
        diff = load_array(files[0])
    else:
        first, second = load_array(files[0]), load_array(files[1])
        if first.shape != second.shape:
            raise click.UsageError(f"FIRST and SECOND must have the same shape, got {tuple(first.shape)} and "
                                   f"{tuple(second.shape)}")
        diff = second - first
    dims = load_raw(files[-1])
    _emit(_guard(vp_from_differences, diff, dims, latent_dim=latent_dim, train_fraction=train_fraction, runs=runs,
                 epochs=epochs, seed=seed, progress=not no_progress), as_json)


# ---------------------------------------------------------------------------------------------- compare
def load_scores(path: str | Path, key: str | None) -> list[float]:
    """Scores from a JSON list, a JSON object's list ``key`` (e.g. ``is_splits`` of ``eval quality --json``),
    or a 1-d ``.npy``/``.pt`` array."""
    path = Path(path)
    if path.suffix != ".json":
        return load_array(path).reshape(-1).tolist()
    if not path.is_file():
        raise click.BadParameter(f"no such file: {path}")
    try:
        value = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"{path} is not JSON: {exc}") from None
    if isinstance(value, dict):
        lists = sorted(k for k, v in value.items() if isinstance(v, list))
        if key is None and len(lists) == 1:
            key = lists[0]
        if key is None or key not in value:
            raise click.BadParameter(f"{path} is a JSON object: choose its list of scores with --key "
                                     f"(lists in it: {', '.join(lists) or 'none'})")
        value = value[key]
    if not isinstance(value, list) or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
        raise click.BadParameter(f"{path}: expected a list of numbers")
    return [float(v) for v in value]


@eval_group.command("compare")
@click.argument("a", type=click.Path())
@click.argument("b", type=click.Path())
@click.option("--key", default=None, help="list to read from JSON objects, e.g. is_splits")
@click.option("--test", "which", type=click.Choice(["both", "welch", "mannwhitney"]), default="both",
              show_default=True)
@click.option("--alpha", type=float, default=0.001, show_default=True,
              help="significance level (the paper's Table 1 uses 0.001)")
@json_option
def compare(a: str, b: str, key: str | None, which: str, alpha: float, as_json: bool) -> None:
    """Two-sided two-sample tests on per-split or per-seed scores: Welch's t-test and Mann-Whitney U."""
    from .metrics import compare_scores

    xa, xb = load_scores(a, key), load_scores(b, key)
    tests = ("welch", "mannwhitney") if which == "both" else (which,)
    result: dict[str, Any] = {}
    for test in tests:
        res = _guard(compare_scores, xa, xb, test=test)
        for name in ("n_a", "n_b", "mean_a", "mean_b", "std_a", "std_b"):
            result[name] = res.pop(name)
        res.pop("test")
        result.update({f"{test}_{k}": v for k, v in res.items()})
        result[f"{test}_significant"] = res["p_value"] < alpha
    result["alpha"] = alpha
    _emit(result, as_json)
