"""``hjgan eval`` on image quality and latent spaces: FID/KID/IS, PPL, VP, and significance tests.

    hjgan eval quality FAKE [--real REAL] --inception-weights FILE   FID, KID, IS (FID Inception-v3)
    hjgan eval ppl --generator G --latent-dim N --vgg-weights F      PPL (LPIPS/VGG16); --digits: PPL-digits
    hjgan eval vp DIFF DIMS | FIRST SECOND DIMS                      VP on saved variation pairs
    hjgan eval compare A B [--key is_splits]                         Welch t-test and Mann-Whitney U p-values

Weights files are the user's (``--inception-weights`` or ``HJGAN_INCEPTION_WEIGHTS``, ``--vgg-weights``
or ``HJGAN_VGG16_WEIGHTS``): nothing downloads.
"""
from __future__ import annotations

from typing import Any

import click

from .loaders import (_emit, _guard, json_option, load_array, load_digit_classifier, load_generator, load_images,
                      load_raw, load_scores, progress_option)


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
        return _guard(fn, *args, **kwargs)
    except FileNotFoundError as exc:
        raise click.BadParameter(str(exc), param_hint=option) from None


@click.command("quality")
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
    from ..metrics import quality_scores

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


@click.command("ppl")
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
    from ..metrics import DigitsFeatureDistance, load_lpips_vgg16, perceptual_path_length

    if space == "w" and mapping_spec is None:
        raise click.UsageError("--space w needs --mapping (z -> w); --generator is then the synthesis network")
    G = load_generator(generator_spec, "--generator")
    mapping = load_generator(mapping_spec, "--mapping") if mapping_spec else None
    if use_digits:
        rng = _parse_range(value_range, "--range") or (0.0, 1.0)
        distance = DigitsFeatureDistance(load_digit_classifier(classifier, not no_progress), rng)
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


@click.command("vp")
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
    from ..metrics import vp_from_differences

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


@click.command("compare")
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
    from ..metrics import compare_scores

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


COMMANDS = (quality, ppl, vp, compare)
