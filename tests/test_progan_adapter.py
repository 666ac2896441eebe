"""The ProGAN (pro-gan-pth 3.4) integration without pro-gan-pth (runs in CI).

Small stand-ins reproduce pro-gan-pth's *interfaces* only: a generator called ``gen(z, depth, alpha)``
with ``layers`` (a 4x4 block holding a transposed conv ``conv_1`` and ``conv_2``, then up-sampling blocks
with ``conv_1``/``conv_2``) and ``rgb_converters``; a discriminator with ``layers`` (down-sampling blocks,
then a final block whose ``conv_1`` sees one extra minibatch-std channel) and ``from_rgb`` (1x1 convs in
``Sequential``s, highest resolution first). The real package runs in tests/test_progan_upstream.py.
"""
from __future__ import annotations

import click
import pytest
import torch
from click.testing import CliRunner
from torch import nn
from torch.nn import functional as F

from hjgan_plugin import attach
from hjgan_plugin.cli import main as cli_main
from hjgan_plugin.exchange import resolve_pairs
from hjgan_plugin.exchange.pairing import adjoint
from hjgan_progan import ADAPTER, call_generator, compat, depth_pairing, pair_parameters
from hjgan_progan.adapter import candidate_pairs, is_progan_generator

pytestmark = pytest.mark.usefixtures("one_thread")
LATENT, IMG = 6, 1


def feats(stage: int) -> int:
    return max(2, 8 >> stage)  # 4, 2, 2, ... feature maps per stage (few, unlike upstream's 512)


class StandInG(nn.Module):
    def __init__(self, depth: int = 4):
        super().__init__()
        self.depth, self.latent_size = depth, LATENT
        first = nn.Module()
        first.conv_1 = nn.ConvTranspose2d(LATENT, feats(1), 4)
        first.conv_2 = nn.Conv2d(feats(1), feats(1), 3, padding=1)
        blocks = [first]
        for stage in range(1, depth - 1):
            block = nn.Module()
            block.conv_1 = nn.Conv2d(feats(stage), feats(stage + 1), 3, padding=1)
            block.conv_2 = nn.Conv2d(feats(stage + 1), feats(stage + 1), 3, padding=1)
            blocks.append(block)
        self.layers = nn.ModuleList(blocks)
        self.rgb_converters = nn.ModuleList(nn.Conv2d(feats(s), IMG, 1) for s in range(1, depth))
        self.calls: list[tuple[int, int, float]] = []

    def _block(self, i: int, x: torch.Tensor) -> torch.Tensor:
        block = self.layers[i]
        if i == 0:
            x = block.conv_1(x[:, :, None, None])
        else:
            x = block.conv_1(F.interpolate(x, scale_factor=2))
        return torch.tanh(block.conv_2(torch.tanh(x)))

    def forward(self, z: torch.Tensor, depth: int | None = None, alpha: float = 1.0) -> torch.Tensor:
        depth = self.depth if depth is None else depth
        self.calls.append((z.shape[0], depth, alpha))
        y = z
        for i in range(depth - 2):
            y = self._block(i, y)
        straight = self.rgb_converters[depth - 2](self._block(depth - 2, y))
        if depth == 2:
            return straight
        residual = F.interpolate(self.rgb_converters[depth - 3](y), scale_factor=2)
        return alpha * straight + (1 - alpha) * residual


class StandInD(nn.Module):
    def __init__(self, depth: int = 4):
        super().__init__()
        self.depth = depth
        blocks = []
        for stage in range(depth - 2, 0, -1):  # highest resolution first
            block = nn.Module()
            block.conv_1 = nn.Conv2d(feats(stage + 1), feats(stage + 1), 3, padding=1)
            block.conv_2 = nn.Conv2d(feats(stage + 1), feats(stage), 3, padding=1)
            blocks.append(block)
        final = nn.Module()
        final.conv_1 = nn.Conv2d(feats(1) + 1, feats(1), 3, padding=1)
        final.conv_2 = nn.Conv2d(feats(1), LATENT, 4)
        final.conv_3 = nn.Conv2d(LATENT, 1, 1)
        self.layers = nn.ModuleList([*blocks, final])
        self.from_rgb = nn.ModuleList(nn.Sequential(nn.Conv2d(IMG, feats(s), 1), nn.LeakyReLU(0.2))
                                      for s in range(depth - 1, 0, -1))


def _names(pairs) -> list[tuple[str, str, str]]:
    return [(p.g_name, p.d_name, p.adjoint) for p in pairs]


def test_the_penalty_passes_call_gen_with_the_depth_and_alpha():
    torch.manual_seed(0)
    G = StandInG()
    z = torch.randn(3, LATENT)
    assert call_generator(G, z, 3, 0.25).shape == (3, IMG, 8, 8)
    assert call_generator(G, z).shape == (3, IMG, 16, 16)  # no depth: the full depth, alpha 1
    assert G.calls == [(3, 3, 0.25), (3, 4, 1.0)]
    session = attach(G, adapter=ADAPTER, penalty="joint", lambda_h=1.0, lambda_j=1.0)
    G.calls.clear()
    fake = G(z, 3, 0.25)
    penalty = session.generator_penalty(z, 3, 0.25, G_z=fake)
    assert penalty.requires_grad and penalty.item() > 0
    assert len(G.calls) > 1 and {call[1:] for call in G.calls} == {(3, 0.25)}
    assert session.last["hj_hessian"] > 0 and session.last["hj_jacobian"] > 0


def test_adapter_matches_progan_generators_and_is_registered(source_tree_plugin_manager):
    from hjgan_plugin.plugin_manager import adapters

    assert is_progan_generator(StandInG()) and is_progan_generator(nn.DataParallel(StandInG()))
    assert not is_progan_generator(nn.Linear(2, 2)) and not is_progan_generator(lambda z: z)
    assert adapters(source_tree_plugin_manager)["progan"] is ADAPTER
    assert attach(StandInG()).adapter is ADAPTER


@pytest.mark.parametrize("depth, expected", [
    (2, [("rgb_converters.0.weight", "from_rgb.2.0.weight", "conv_adjoint"),
         ("layers.0.conv_1.weight", "layers.2.conv_2.weight", "identity")]),
    (3, [("rgb_converters.1.weight", "from_rgb.1.0.weight", "conv_adjoint"),
         ("rgb_converters.0.weight", "from_rgb.2.0.weight", "conv_adjoint"),
         ("layers.1.conv_2.weight", "layers.1.conv_1.weight", "conv_adjoint"),
         ("layers.1.conv_1.weight", "layers.1.conv_2.weight", "conv_adjoint"),
         ("layers.0.conv_1.weight", "layers.2.conv_2.weight", "identity")]),
    (4, [("rgb_converters.2.weight", "from_rgb.0.0.weight", "conv_adjoint"),
         ("rgb_converters.1.weight", "from_rgb.1.0.weight", "conv_adjoint"),
         ("layers.2.conv_2.weight", "layers.0.conv_1.weight", "conv_adjoint"),
         ("layers.2.conv_1.weight", "layers.0.conv_2.weight", "conv_adjoint"),
         ("layers.1.conv_2.weight", "layers.1.conv_1.weight", "conv_adjoint"),
         ("layers.1.conv_1.weight", "layers.1.conv_2.weight", "conv_adjoint"),
         ("layers.0.conv_1.weight", "layers.2.conv_2.weight", "identity")]),
])
def test_pairing_follows_the_depth(depth, expected):
    G, D = StandInG(), StandInD()
    pairs = depth_pairing(depth)(G, D)
    assert _names(pairs) == expected
    report = resolve_pairs(G, D, depth_pairing(depth))  # every pair passes the core's shape validation
    assert report.n_pairs == len(expected) and report.source == f"function progan_depth_{depth}"
    assert _names(pair_parameters(G, D)) == _names(depth_pairing(4)(G, D))  # default: the full depth


def test_paired_convolutions_are_adjoint_operators():
    """<G_conv(x), y> == <x, D_conv(y)> with D's weight set to adj(G's): the pairs mirror the image path."""
    torch.manual_seed(0)
    G, D = StandInG(), StandInD()
    g, d = G.layers[1].conv_1, D.layers[1].conv_2
    d.weight.data.copy_(adjoint(g.weight.data, "conv_adjoint"))
    x, y = torch.randn(1, g.in_channels, 8, 8), torch.randn(1, g.out_channels, 8, 8)
    lhs = (F.conv2d(x, g.weight, padding=1) * y).sum()
    rhs = (x * F.conv2d(y, d.weight, padding=1)).sum()
    assert torch.allclose(lhs, rhs, atol=1e-5)
    t, c = G.layers[0].conv_1, D.layers[2].conv_2  # 1x1 latent -> 4x4 and back
    c.weight.data.copy_(adjoint(t.weight.data, "identity"))
    z, img = torch.randn(1, LATENT, 1, 1), torch.randn(1, feats(1), 4, 4)
    assert torch.allclose((F.conv_transpose2d(z, t.weight) * img).sum(), (z * F.conv2d(img, c.weight)).sum(),
                          atol=1e-5)


def test_pairing_skips_the_minibatch_std_conv_and_mismatched_shapes():
    G, D = StandInG(), StandInD()
    names = {p.d_name for p in pair_parameters(G, D)}
    assert "layers.3.conv_1.weight" not in names and not any("conv_3" in n for n in names)
    D.from_rgb[0][0] = nn.Conv2d(IMG, 5, 1)  # a D built with other channels: that pair is left out
    assert "from_rgb.0.0.weight" not in {p.d_name for p in pair_parameters(G, D)}
    with pytest.raises(ValueError, match="depth must be in"):
        candidate_pairs(4, 5)
    with pytest.raises(ValueError, match="same depth"):
        pair_parameters(StandInG(4), StandInD(3))


def test_exchange_rebuilt_for_a_new_depth_writes_only_that_depths_blocks():
    torch.manual_seed(0)
    G, D = StandInG(), StandInD()
    session = attach(G, D, adapter=ADAPTER, penalty="none", exchange_every=1, exchange_strength=1.0,
                     exchange_pairing="adapter", manual_steps=True)
    for depth in (2, 3):
        session.exchange.report = resolve_pairs(G, D, depth_pairing(depth))
        before = {n: p.detach().clone() for n, p in D.named_parameters()}
        session.step("D")
        changed = {n for n, p in D.named_parameters() if not torch.equal(p, before[n])}
        assert changed == {d for _, d, _ in _names(depth_pairing(depth)(G, D))}
        assert "layers.0.conv_1.weight" not in changed  # the 16x16 block is not trained yet
    assert session.last["exchange/count"] == 2


@pytest.mark.parametrize("found, message", [
    ("3.3", "needs pro-gan-pth 3.4, found 3.3: pip install --no-deps pro-gan-pth==3.4"),
    ("3.5", "needs pro-gan-pth 3.4, found 3.5"),
    (None, "needs pro-gan-pth 3.4, which is not installed: pip install --no-deps pro-gan-pth==3.4"),
])
def test_other_versions_are_refused_with_the_version_needed(found, message):
    with pytest.raises(compat.UnsupportedVersionError, match=message.replace(".", r"\.")):
        compat.check_version(found)
    assert compat.check_version("3.4") == "3.4"


def test_train_command_refuses_another_installed_version(monkeypatch):
    monkeypatch.setattr(compat, "installed_version", lambda: "3.3")
    with pytest.raises(compat.UnsupportedVersionError, match="found 3.3"):
        compat.apply()  # before anything of pro-gan-pth is imported
    result = CliRunner().invoke(cli_main, ["progan", "train", "data", "out", "--hj"])
    assert result.exit_code == 2 and "needs pro-gan-pth 3.4, found 3.3" in result.output


def _stand_in_script():
    """A module shaped like ``pro_gan_pytorch_scripts.train``: ``parse_arguments()`` builds an argparse
    parser through the module's own ``argparse`` and parses ``sys.argv``."""
    import argparse
    import types

    script = types.ModuleType("stand_in_train")
    script.argparse = argparse

    def parse_arguments():
        parser = script.argparse.ArgumentParser("Train", formatter_class=script.argparse.ArgumentDefaultsHelpFormatter)
        parser.add_argument("train_path")
        parser.add_argument("output_dir")
        parser.add_argument("--depth", type=int, default=10, help="depth")
        return parser.parse_args()

    script.parse_arguments = parse_arguments
    return script


def test_launcher_adds_the_hj_flags_to_upstreams_own_parser(capsys):
    import argparse

    from hjgan_progan import launcher

    script = _stand_in_script()
    args, config = launcher.parse(["data", "out", "--depth", "3", "--hj", "--hj-exchange-every", "2"], script)
    assert script.argparse is argparse  # swapped for one call only
    assert vars(args) == {"train_path": "data", "output_dir": "out", "depth": 3}  # what upstream would parse
    assert config.enabled and config.exchange_every == 2 and config.exchange_pairing == "adapter"
    _, config = launcher.parse(["d", "o", "--hj", "--hj-exchange-pairing", "mirror"], script)
    assert config.exchange_pairing == "mirror"
    _, config = launcher.parse(["d", "o"], script)
    assert not config.enabled
    help_text = launcher.build_parser(script).format_help()
    assert help_text.startswith("usage: hjgan progan train") and "--hj-lambda-h" in help_text
    assert "(default: None)" not in help_text and "(default: 10)" in help_text
    with pytest.raises(SystemExit) as refused:  # argparse's own error: the flag and the range, status 2
        launcher.parse(["d", "o", "--hj", "--hj-k", "1"], script)
    assert refused.value.code == 2 and "--hj-k (k) must be an integer >= 2, got 1" in capsys.readouterr().err
