"""``hjgan eval`` on sample sets: mode coverage, NDB/JSD, Stacked-Digits modes, MIG/DCI.

    hjgan eval modes   SAMPLES --mixture ring|grid [--strict 20]    mode coverage, HQ fraction, reverse KL
    hjgan eval ndb     TRAIN GENERATED [--k 100]                     NDB and JSD (K-means bins)
    hjgan eval digits  IMAGES [--real REAL] [--classifier FILE]      Stacked-Digits modes, FD-digits
    hjgan eval fashion IMAGES [--real REAL] [--classifier FILE]      IS-fashion, FD-fashion
    hjgan eval factors LATENTS FACTORS                               MIG and DCI
"""
from __future__ import annotations

import click

from .loaders import (_emit, _guard, json_option, load_array, load_digit_classifier, load_fashion_classifier,
                      progress_option)


@click.command("modes")
@click.argument("samples", type=click.Path())
@click.option("--mixture", type=click.Choice(["ring", "grid"]), required=True,
              help="the 2D mixture the generator was trained on (PacGAN/VEEGAN protocol)")
@click.option("--strict", "strict", type=int, default=20, show_default=True,
              help="samples a mode needs for the strict count")
@json_option
def modes(samples: str, mixture: str, strict: int, as_json: bool) -> None:
    """Mode coverage (loose: >= 1 HQ sample; strict: >= --strict), HQ fraction and reverse KL."""
    from ..datasets import grid_mixture, ring_mixture
    from ..metrics import mode_coverage

    x = load_array(samples)
    mix = ring_mixture() if mixture == "ring" else grid_mixture()
    loose = _guard(mode_coverage, x, mix, min_count=1)
    strict_result = _guard(mode_coverage, x, mix, min_count=strict)
    result = {"mixture": mixture, "n": loose["n"], "n_nan": loose["n_nan"], "modes_loose": loose["modes"],
              f"modes_strict_{strict}": strict_result["modes"], "modes_total": len(mix.centers),
              "hq_fraction": loose["hq_fraction"], "reverse_kl": loose["reverse_kl"]}
    _emit(result, as_json)


@click.command("ndb")
@click.argument("train", type=click.Path())
@click.argument("generated", type=click.Path())
@click.option("--k", type=int, default=100, show_default=True, help="number of K-means bins")
@click.option("--alpha", type=float, default=0.05, show_default=True, help="significance level per bin")
@click.option("--seed", type=int, default=0, show_default=True)
@json_option
def ndb(train: str, generated: str, k: int, alpha: float, seed: int, as_json: bool) -> None:
    """NDB (statistically different bins) and JSD between bin histograms (Richardson & Weiss 2018)."""
    from ..metrics import ndb_jsd

    a, b = load_array(train), load_array(generated)
    _emit(_guard(ndb_jsd, a.reshape(a.shape[0], -1), b.reshape(b.shape[0], -1), k=k, alpha=alpha, seed=seed),
          as_json)


@click.command("digits")
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
    from ..metrics import fd_digits, stacked_mode_stats

    x = load_array(images)
    clf = load_digit_classifier(classifier, not no_progress)
    if save_classifier is not None:
        clf.save(save_classifier)
    result = dict(_guard(stacked_mode_stats, x, clf, confidence=confidence or None))
    result["classifier_test_accuracy"] = clf.accuracy("test")
    if real is not None:
        result["fd_digits"] = _guard(fd_digits, load_array(real), x, clf)
    _emit(result, as_json)


@click.command("fashion")
@click.argument("images", type=click.Path())
@click.option("--real", type=click.Path(), default=None,
              help="real images for FD-fashion (resized as the generated ones were)")
@click.option("--classifier", type=click.Path(), default=None,
              help="a saved FashionClassifier (default: train one, seed 0, at the images' size)")
@click.option("--save-classifier", type=click.Path(), default=None, help="save the trained classifier here")
@click.option("--fashion", "folder", type=click.Path(), default=None,
              help="folder of the Fashion-MNIST IDX files to train on [default: Debian's dataset-fashion-mnist]")
@progress_option
@json_option
def fashion(images: str, real: str | None, classifier: str | None, save_classifier: str | None,
            folder: str | None, no_progress: bool, as_json: bool) -> None:
    """IS-fashion and FD-fashion of grey images (n, 1, H, W) in [0, 1] on the project's Fashion-MNIST
    classifier (not IS or FID; IS-fashion runs from 1 to 10)."""
    from ..metrics.fashion import fd_fashion, is_fashion

    x = load_array(images)
    clf = load_fashion_classifier(classifier, folder, int(x.shape[-1]), not no_progress)
    if save_classifier is not None:
        clf.save(save_classifier)
    result = dict(_guard(is_fashion, x, clf))
    result["classifier_size"] = clf.size
    result["classifier_test_accuracy"] = clf.accuracy("test")
    if real is not None:
        result["fd_fashion"] = _guard(fd_fashion, load_array(real), x, clf)
    _emit(result, as_json)


@click.command("factors")
@click.argument("latents", type=click.Path())
@click.argument("factors", type=click.Path())
@click.option("--bins", type=int, default=20, show_default=True, help="MIG discretisation bins")
@click.option("--regressor", type=click.Choice(["gbt", "lasso"]), default="gbt", show_default=True,
              help="DCI importance regressor")
@json_option
def factors(latents: str, factors: str, bins: int, regressor: str, as_json: bool) -> None:
    """MIG and DCI of latent codes against ground-truth factors (rows are samples)."""
    from ..metrics import dci, mig

    z, c = load_array(latents), load_array(factors)
    result = {"mig": _guard(mig, z.numpy(), c.numpy(), bins=bins)}
    scores = _guard(dci, z.numpy(), c.numpy(), regressor=regressor)
    result.update({f"dci_{key}": value for key, value in scores.items()})
    _emit(result, as_json)


COMMANDS = (modes, ndb, digits, fashion, factors)
