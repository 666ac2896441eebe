"""``hjgan data``: put data sets the user already has where host trainers look for them (nothing downloads).

    hjgan data mnist DIR [--from SRC] [--subset N] [--force] [--link] [--as MNIST|FashionMNIST]

writes torchvision's ``DIR/MNIST/raw/`` from four IDX files (:mod:`hjgan_plugin.datasets.torchvision_mnist`),
so ``torchvision.datasets.MNIST(DIR, download=True)``, as the PyTorch-GAN scripts call it, finds the
files and does not download.

    hjgan data dsprites|shaded|shaded-grey DIR [--format mnist|folder|stylegan2-zip] [--size S] [--n N]

renders a known-factor set (:mod:`hjgan_plugin.datasets.known_factors`) in a host's own input format,
with its factors beside the images (:mod:`hjgan_plugin.datasets.host_formats`).
"""
from __future__ import annotations

from pathlib import Path

import click

from ..datasets.known_factors import FACTOR_SETS, factor_set
from ..datasets.idx import DEBIAN_FASHION_MNIST, MNIST_FILES, IDXError
from ..datasets.torchvision_mnist import LAYOUTS, legacy_cache, write_mnist_layout
from .errors import InputError

_NAMES = ", ".join(name for name, _ in MNIST_FILES.values())


_INSTALL = (f"Install Debian's package with `apt-get install dataset-fashion-mnist` (Debian/Ubuntu; files in "
            f"{DEBIAN_FASHION_MNIST})")


@click.group("data")
def data() -> None:
    """Lay out data sets you already have the way host trainers expect them; nothing is downloaded."""


@data.command("mnist")
@click.argument("root", metavar="DIR", type=click.Path(file_okay=False, path_type=Path))
@click.option("--from", "source", type=click.Path(path_type=Path), default=None,
              help=f"folder with the four IDX files, plain or .gz [default: {DEBIAN_FASHION_MNIST}, "
                   "from Debian's dataset-fashion-mnist package]")
@click.option("--subset", type=click.IntRange(min=1), default=None,
              help="keep only the first N training images and labels (short test runs); the test set stays whole")
@click.option("--force", is_flag=True, help="replace files in DIR that differ from the ones to write")
@click.option("--link", is_flag=True, help="symlink uncompressed source files instead of copying them")
@click.option("--as", "layout", type=click.Choice(LAYOUTS), default="MNIST", show_default=True,
              help="the torchvision class to serve: files go to DIR/<class>/raw/")
def mnist(root: Path, source: Path | None, subset: int | None, force: bool, link: bool, layout: str) -> None:
    """Write torchvision's MNIST layout, DIR/MNIST/raw/, from IDX files already on this machine.

    Afterwards torchvision.datasets.MNIST(DIR, download=True) loads them without downloading. For the
    PyTorch-GAN scripts, which read "../../data/mnist" from implementations/<model>/, DIR is the
    checkout's data/mnist.
    """
    default = source is None
    source = DEBIAN_FASHION_MNIST if source is None else source
    if not source.is_dir():
        what = ("Debian's dataset-fashion-mnist package is not installed" if default
                else "not a folder" if source.exists() else "no such folder")
        raise click.BadParameter(f"{source}: {what}. {_INSTALL}, or give --from a folder holding the four IDX "
                                 f"files ({_NAMES}; each may end in .gz)", param_hint="--from")
    try:
        written = write_mnist_layout(root, source, subset=subset, force=force, link=link, layout=layout)
    except FileNotFoundError as exc:
        raise click.BadParameter(f"{exc}. {_INSTALL}, or give --from a folder holding them",
                                 param_hint="--from") from None
    except IDXError as exc:
        raise click.BadParameter(str(exc), param_hint="--from") from None
    except ValueError as exc:  # --subset larger than the training set
        raise click.BadParameter(str(exc), param_hint="--subset") from None
    except FileExistsError as exc:
        raise InputError(f"{exc}; --force replaces them") from None
    for item in written:
        click.echo(f"{item.path}  {'x'.join(map(str, item.shape))}  {item.action} from {item.source}")
    if written[0].source.resolve().is_relative_to(DEBIAN_FASHION_MNIST.resolve()):
        click.echo("note: these are Fashion-MNIST images (Debian's package), in the layout of torchvision's "
                   f"{layout}")
    cache = legacy_cache(root, layout)
    if cache is not None:
        click.echo(f"warning: {cache} holds training.pt and test.pt, which torchvision loads instead of raw/; "
                   "remove that folder to use these files", err=True)
    click.echo(f"torchvision.datasets.{layout}({str(root)!r}, download=True) now loads these without downloading")


def _known_factor_command(name: str) -> click.Command:
    from ..datasets.host_formats import FORMATS

    fs = factor_set(name)

    @click.argument("root", metavar="DIR", type=click.Path(file_okay=False, path_type=Path))
    @click.option("--format", "fmt", type=click.Choice(FORMATS), default="mnist" if fs.channels == 1 else "folder",
                  show_default=True, help="mnist: torchvision's MNIST layout (PyTorch-GAN); folder: PNGs in "
                                          "DIR/images (ProGAN); stylegan2-zip: DIR/dataset.zip (StyleGAN2-ADA)")
    @click.option("--size", type=click.IntRange(min=4), default=32, show_default=True,
                  help="image height and width in pixels (a power of two for folder and stylegan2-zip)")
    @click.option("--n", "n", type=click.IntRange(min=1), default=10000, show_default=True,
                  help="training images (mnist adds a sixth as many test images)")
    @click.option("--seed", type=int, default=0, show_default=True, help="seed of the factor draws")
    @click.option("--force", is_flag=True, help="replace DIR if it is not empty")
    def command(root: Path, fmt: str, size: int, n: int, seed: int, force: bool) -> None:
        from ..datasets.host_formats import write_known_factor_set

        try:
            written = write_known_factor_set(root, fs, fmt, size, n, seed=seed, force=force)
        except ValueError as exc:
            raise click.UsageError(str(exc)) from None
        except FileExistsError as exc:
            raise InputError(f"{exc}; --force replaces it") from None
        click.echo(f"wrote {n} {size}x{size} {name} images ({', '.join(fs.factor_names)}) as {fmt} to {root}")
        click.echo(f"factors: {root / 'factors.npy'}; description: {root / 'known_factors.json'}")
        click.echo(f"for {written.meta['host']}: {written.data_path}  {written.flags}")

    command.__doc__ = (f"Render the known-factor set '{name}' ({fs.description}) in a host's input format, with "
                       "its factors beside the images. Nothing is downloaded.")
    return data.command(name)(command)


for _name in FACTOR_SETS:
    _known_factor_command(_name)
