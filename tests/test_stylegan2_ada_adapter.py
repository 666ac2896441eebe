"""The StyleGAN2-ADA integration without an upstream checkout (runs in CI).

Small stand-ins reproduce upstream's *interfaces* only: ``mapping(z, c, skip_w_avg_update=...)`` with a
``w_avg`` buffer, ``synthesis(ws, noise_mode=..., force_fp32=...)`` with ``b{res}`` blocks holding
``conv0``/``conv1``/``torgb`` weights, a D with ``b{res}.fromrgb/conv0/conv1``, and for the loss a fake
``training.loss.StyleGAN2Loss`` and ``torch_utils`` put into ``sys.modules``. The real networks and
train.py are exercised in tests/test_stylegan2_ada_upstream.py (opt-in).
"""
from __future__ import annotations

import importlib
import json
import sys
import types
from contextlib import contextmanager

import click
import pytest
import torch
from click.testing import CliRunner
from torch import nn

from hjgan_plugin import attach, joint_penalty
from hjgan_plugin.cli import main as cli_main
from hjgan_plugin.errors import NondeterministicGeneratorError
from hjgan_plugin.exchange import resolve_pairs
from hjgan_plugin.exchange.pairing import adjoint
from hjgan_stylegan2_ada import adapter as sg_adapter
from hjgan_stylegan2_ada import optim as sg_optim
from hjgan_stylegan2_ada import options as sg_options
from hjgan_stylegan2_ada import patching

Z, W, NUM_WS, C = 4, 6, 4, 5


class Mapping(nn.Module):
    def __init__(self, c_dim: int = 0):
        super().__init__()
        self.z_dim, self.c_dim, self.w_dim, self.num_ws = Z, c_dim, W, NUM_WS
        self.fc = nn.Linear(Z + c_dim, W)
        self.register_buffer("w_avg", torch.zeros(W))
        self.calls: list[bool] = []

    def forward(self, z, c, truncation_psi=1, truncation_cutoff=None, skip_w_avg_update=False):
        self.calls.append(skip_w_avg_update)
        w = torch.tanh(self.fc(torch.cat([z, c], dim=1)))
        if not skip_w_avg_update:
            self.w_avg.copy_(w.detach().mean(0).lerp(self.w_avg, 0.995))
        return w.unsqueeze(1).repeat(1, self.num_ws, 1)


class Layer(nn.Module):
    def __init__(self, out_ch: int, in_ch: int, k: int):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_ch, in_ch, k, k))
        self.bias = nn.Parameter(torch.zeros(out_ch))
        self.noise_strength = nn.Parameter(torch.tensor(0.1))


class Block(nn.Module):
    def __init__(self, res: int, in_ch: int, out_ch: int):
        super().__init__()
        self.res = res
        if res > 4:
            self.conv0 = Layer(out_ch, in_ch, 3)
        self.conv1 = Layer(out_ch, out_ch, 3)
        self.torgb = Layer(3, out_ch, 1)
        self.proj = nn.Linear(W, 3 * res * res)

    def forward(self, x, ws, noise_mode="random", force_fp32=False):
        img = torch.tanh(self.proj(ws[:, 0] + ws[:, -1] ** 2)).view(-1, 3, self.res, self.res)
        img = img * (1 + self.conv1.weight.mean())
        if noise_mode == "random":
            img = img + self.conv1.noise_strength * torch.randn_like(img)
        return img, img


class Synthesis(nn.Module):
    def __init__(self, channels: int = C):
        super().__init__()
        self.block_resolutions = [4, 8]
        self.num_ws = NUM_WS
        self.b4 = Block(4, channels, channels)
        self.b8 = Block(8, channels, channels)
        self.fp32_calls: list[bool] = []

    def forward(self, ws, noise_mode="random", force_fp32=False):
        self.fp32_calls.append(force_fp32)
        x, _ = self.b4(None, ws, noise_mode)
        x, img = self.b8(x, ws, noise_mode)
        return img


class Generator(nn.Module):
    def __init__(self, c_dim: int = 0):
        super().__init__()
        self.mapping, self.synthesis = Mapping(c_dim), Synthesis()
        self.z_dim, self.c_dim, self.w_dim = Z, c_dim, W


class DBlock(nn.Module):
    def __init__(self, channels: int, fromrgb: bool):
        super().__init__()
        if fromrgb:
            self.fromrgb = Layer(channels, 3, 1)
        self.conv0 = Layer(channels, channels, 3)
        self.conv1 = Layer(channels, channels, 3)


class Discriminator(nn.Module):
    def __init__(self, channels: int = C):
        super().__init__()
        self.b8 = DBlock(channels, fromrgb=True)
        self.b4 = nn.Module()
        self.b4.conv = Layer(channels, channels + 1, 3)


def fresh(seed: int = 0):
    torch.manual_seed(seed)
    return Generator(), Discriminator()


# ------------------------------------------------------------------------------------------ adapter
def test_adapter_is_registered_and_picked_for_stylegan2_generators():
    G, D = fresh()
    assert attach(G).adapter.name == "stylegan2-ada"
    assert attach(nn.Linear(2, 2)).adapter.name == "generic"
    assert sg_adapter.is_stylegan2(nn.parallel.DataParallel(G))


def test_z_space_penalty_is_the_estimator_on_const_noise_fp32_images_and_leaves_w_avg():
    G, _ = fresh()
    z = torch.randn(3, Z)
    session = attach(G, penalty="joint", lambda_h=1.0, lambda_j=1.0, alpha=1.0, beta=1.0)
    w_avg = G.mapping.w_avg.clone()
    torch.manual_seed(5)
    got = session.generator_penalty(z, None)
    assert torch.equal(G.mapping.w_avg, w_avg) and all(G.mapping.calls)  # skip_w_avg_update=True
    assert all(G.synthesis.fp32_calls)

    def images(z):
        ws = G.mapping(z, torch.zeros(z.shape[0], 0), skip_w_avg_update=True)
        return G.synthesis(ws, noise_mode="const", force_fp32=True)

    torch.manual_seed(5)
    want = joint_penalty(images, z, 1.0, 1.0, k=2, epsilon=0.1).total
    assert got.item() > 0
    torch.testing.assert_close(got, want)


def test_w_space_perturbs_one_w_per_sample_and_trains_synthesis_only():
    G, _ = fresh()
    z = torch.randn(3, Z)
    w = sg_adapter.w_latents(G, z)
    assert w.shape == (3, W) and not w.requires_grad
    session = attach(G, penalty="joint", lambda_h=1.0, lambda_j=1.0)
    torch.manual_seed(2)
    got = session.generator_penalty(w, None, space="w")
    got.backward()
    assert G.mapping.fc.weight.grad is None and G.synthesis.b8.proj.weight.grad is not None

    def images(w):
        return G.synthesis(w.unsqueeze(1).repeat(1, NUM_WS, 1), noise_mode="const", force_fp32=True)

    torch.manual_seed(2)
    torch.testing.assert_close(got.detach(), joint_penalty(images, w, 0.5, 0.5 * 1.0, k=2, epsilon=0.1).total)
    with pytest.raises(ValueError, match=r"one w per sample, shape \[N, 6\]"):
        session.generator_penalty(torch.randn(3, NUM_WS, W), None, space="w")


def test_labels_reach_the_mapping():
    torch.manual_seed(0)
    G = Generator(c_dim=2)
    c = torch.eye(2)[[0, 1, 1]]
    out = sg_adapter.call_generator(G, torch.randn(3, Z), c)
    assert out.shape == (3, 3, 8, 8)
    with pytest.raises(ValueError, match="--hj-space must be one of"):
        sg_adapter.call_generator(G, torch.randn(3, Z), c, space="s")
    with pytest.raises(ValueError, match="noise_mode must be one of"):
        sg_adapter.call_generator(G, torch.randn(3, Z), c, noise_mode="fixed")
    with pytest.raises(TypeError, match="needs a StyleGAN2-ADA Generator"):
        sg_adapter.call_generator(nn.Linear(4, 4), torch.randn(3, Z))


def test_random_noise_left_on_is_the_core_determinism_error():
    G, _ = fresh()
    session = attach(G)
    with pytest.raises(NondeterministicGeneratorError, match="noise_mode='const'"):
        session.generator_penalty(torch.randn(3, Z), None, noise_mode="random")


def test_named_synthesis_layers_are_captured_through_the_adapter_call():
    G, _ = fresh()
    session = attach(G, layers=("synthesis.b4",), lambda_h=1.0, lambda_j=1.0)
    z = torch.randn(3, Z)
    torch.manual_seed(1)
    got = session.generator_penalty(z, None)

    def b4_outputs(z):
        ws = G.mapping(z, torch.zeros(z.shape[0], 0), skip_w_avg_update=True)
        x, img = G.synthesis.b4(None, ws, "const")
        return [x, img]

    torch.manual_seed(1)
    torch.testing.assert_close(got, joint_penalty(b4_outputs, z, 0.5, 0.5, k=2, epsilon=0.1).total)


def test_networks_view_names_like_upstream_generator_and_calls_through_wrappers():
    G, _ = fresh()
    wrapped = nn.parallel.DataParallel(G.synthesis)
    view = sg_adapter.StyleGAN2Networks(G.mapping, wrapped)
    assert {n for n, _ in view.named_parameters()} == {n for n, _ in G.named_parameters()}
    assert view._hj_call[1] is wrapped and view.num_ws == NUM_WS
    z = torch.randn(2, Z)
    torch.testing.assert_close(view(z), sg_adapter.call_generator(G, z))


# ------------------------------------------------------------------------------------------ pairing
def test_pairing_is_the_image_path_mirror():
    G, D = fresh()
    pairs = sg_adapter.pair_parameters(G, D)
    assert [(p.g_name, p.d_name, p.adjoint) for p in pairs] == [
        ("synthesis.b8.torgb.weight", "b8.fromrgb.weight", "conv_adjoint"),
        ("synthesis.b8.conv1.weight", "b8.conv0.weight", "conv_adjoint"),
        ("synthesis.b8.conv0.weight", "b8.conv1.weight", "conv_adjoint"),
    ]
    report = resolve_pairs(G, D, sg_adapter.pair_parameters)
    assert report.n_params_paired == 3 * C + 2 * C * C * 9


def test_pairing_leaves_out_shape_mismatches_and_rejects_non_stylegan():
    torch.manual_seed(0)
    G, D = Generator(), Discriminator(channels=C + 1)
    assert sg_adapter.pair_parameters(G, D) == []
    with pytest.raises(ValueError, match="no synthesis.block_resolutions"):
        sg_adapter.pair_parameters(nn.Linear(2, 2), D)


def test_exchange_uses_the_adapter_pairing_after_d_steps():
    G, D = fresh()
    session = attach(G, D, penalty="none", exchange_every=1, exchange_strength=1.0, exchange_pairing="adapter",
                     alpha=0.0, beta=1.0, manual_steps=True)
    session.step("D")
    want = adjoint(G.synthesis.b8.conv1.weight.detach(), "conv_adjoint")
    torch.testing.assert_close(D.b8.conv0.weight.detach(), want)
    assert session.last["exchange/count"] == 1.0


# ------------------------------------------------------------------------------------------ reporting
@contextmanager
def fake_upstream(monkeypatch, reported: list | None = None):
    """``torch_utils.{training_stats,misc}`` and ``training.loss.StyleGAN2Loss`` stand-ins."""
    stats = types.ModuleType("torch_utils.training_stats")
    stats.report = lambda name, value: reported.append((name, float(value))) if reported is not None else None
    misc = types.ModuleType("torch_utils.misc")

    @contextmanager
    def ddp_sync(module, sync):
        misc.sync_calls.append((module, sync))
        yield

    misc.ddp_sync, misc.sync_calls = ddp_sync, []
    torch_utils = types.ModuleType("torch_utils")
    torch_utils.training_stats, torch_utils.misc = stats, misc

    class StyleGAN2Loss:
        def __init__(self, device, G_mapping, G_synthesis, D, **kwargs):
            self.device, self.G_mapping, self.G_synthesis, self.D, self.kwargs = device, G_mapping, G_synthesis, D, kwargs
            self.calls = []

        def accumulate_gradients(self, phase, real_img, real_c, gen_z, gen_c, sync, gain):
            grads = [p.grad is not None for p in self.G_synthesis.parameters()]
            self.calls.append((phase, sync, gain, any(grads)))

    loss_mod = types.ModuleType("training.loss")
    loss_mod.StyleGAN2Loss = StyleGAN2Loss
    training = types.ModuleType("training")
    training.loss = loss_mod
    for name, module in {"torch_utils": torch_utils, "torch_utils.training_stats": stats,
                         "torch_utils.misc": misc, "training": training, "training.loss": loss_mod}.items():
        monkeypatch.setitem(sys.modules, name, module)
    monkeypatch.delitem(sys.modules, "hjgan_stylegan2_ada.loss", raising=False)
    yield misc


def test_scalars_go_to_training_stats_under_loss_names(monkeypatch):
    reported: list = []
    with fake_upstream(monkeypatch, reported):
        sg_adapter.report_training_stats({"hj_hessian": 2.0, "hj_jacobian": 3.0, "hj_penalty": 1.0,
                                          "hj_alpha": 0.5, "exchange/count": 4.0, "exchange/mean_cosine": float("nan")}, 1)
    assert reported == [("Loss/G/hj_hessian", 2.0), ("Loss/G/hj_jacobian", 3.0), ("Loss/G/hj_penalty", 1.0),
                        ("Loss/hj/alpha", 0.5), ("Loss/hj/exchange/count", 4.0)]


# ------------------------------------------------------------------------------------------ loss + optimizers
def build_loss(monkeypatch, reported, **hj):
    loss_module = importlib.import_module("hjgan_stylegan2_ada.loss")
    G, D = fresh()
    loss = loss_module.HJStyleGAN2Loss("cpu", G.mapping, G.synthesis, D, hj=hj, r1_gamma=1.0)
    opt_G = sg_optim.step_hooked(G.parameters(), hj_role="G", lr=0.0, betas=[0.0, 0.99])
    opt_D = sg_optim.step_hooked(D.parameters(), hj_role="D", hj_class_name="torch.optim.Adam", lr=0.0)
    return loss, G, D, opt_G, opt_D


def phase(loss, name, opt, sync=True):
    z = torch.randn(4, Z)
    loss.accumulate_gradients(phase=name, real_img=None, real_c=None, gen_z=z, gen_c=torch.zeros(4, 0),
                              sync=sync, gain=1)
    opt.step()
    opt.zero_grad(set_to_none=True)


def test_loss_runs_penalty_before_upstream_pass_without_ddp_sync(monkeypatch):
    reported: list = []
    with fake_upstream(monkeypatch, reported) as misc:
        loss, G, D, opt_G, opt_D = build_loss(monkeypatch, reported, lambda_h=1.0, lambda_j=1.0)
        assert loss.kwargs == {"r1_gamma": 1.0} and type(opt_G) is torch.optim.Adam
        phase(loss, "Gmain", opt_G, sync=True)
        # the penalty's gradients exist when upstream's pass (last, synced) runs; its own pass was unsynced
        assert loss.calls == [("Gmain", True, 1, True)]
        assert misc.sync_calls == [(G.mapping, False), (G.synthesis, False)]
        assert any(name == "Loss/G/hj_hessian" for name, _ in reported)
        phase(loss, "Greg", opt_G)
        phase(loss, "Dmain", opt_D)
        phase(loss, "Dreg", opt_D)
        assert loss.calls[1:] == [("Greg", True, 1, False), ("Dmain", True, 1, False), ("Dreg", True, 1, False)]
        assert loss.session.steps == {"G": 1, "D": 1}  # lazy-regularization phases are not steps
        assert loss.session.penalty_calls == 1


def test_loss_lazy_interval_and_exchange_counts(monkeypatch):
    reported: list = []
    with fake_upstream(monkeypatch, reported):
        loss, G, D, opt_G, opt_D = build_loss(monkeypatch, reported, penalty="joint", interval=2,
                                              exchange_every=2, exchange_strength=0.5, exchange_pairing="adapter")
        for _ in range(4):
            phase(loss, "Gmain", opt_G)
            phase(loss, "Dmain", opt_D)
        assert loss.session.penalty_calls == 2  # G steps 0 and 2 of 4
        assert loss.session.exchange.count == 2  # after D steps 2 and 4
        assert ("Loss/hj/exchange/count", 1.0) in reported  # reported on G rounds without a penalty


def test_loss_rejects_bad_hj_options(monkeypatch):
    with fake_upstream(monkeypatch):
        with pytest.raises(TypeError, match="unknown hjgan option"):
            build_loss(monkeypatch, None, lambda_x=1.0)
        with pytest.raises(ValueError, match=r"--hj-k \(k\) must be an integer >= 2, got 1"):
            build_loss(monkeypatch, None, k=1)


def test_step_hooked_optimizer_needs_the_loss_and_a_role(monkeypatch):
    monkeypatch.setattr(sg_optim, "_active", [])
    with pytest.raises(RuntimeError, match="no hjgan StyleGAN2 loss was built in this process"):
        sg_optim.step_hooked([nn.Parameter(torch.zeros(1))], hj_role="G")

    class Listener:
        roles: list = []

        def after_optimizer_step(self, role):
            self.roles.append(role)

    sg_optim.register_loss(Listener())
    with pytest.raises(ValueError, match="hj_role must be one of"):
        sg_optim.step_hooked([nn.Parameter(torch.zeros(1))], hj_role="E")
    with pytest.raises(ValueError, match="not an importable optimizer class"):
        sg_optim.step_hooked([nn.Parameter(torch.zeros(1))], hj_role="D", hj_class_name="torch.optim.Adamm")
    opt = sg_optim.step_hooked([nn.Parameter(torch.zeros(1))], hj_role="D", lr=0.1)
    opt.step()
    assert Listener.roles == ["D"]


# ------------------------------------------------------------------------------------------ options
def upstream_args():
    return {"loss_kwargs": {"class_name": "training.loss.StyleGAN2Loss", "r1_gamma": 10},
            "G_opt_kwargs": {"class_name": "torch.optim.Adam", "lr": 0.002, "betas": [0, 0.99], "eps": 1e-8},
            "D_opt_kwargs": {"class_name": "torch.optim.Adam", "lr": 0.002, "betas": [0, 0.99], "eps": 1e-8}}


def parse(*argv):
    """Run the options through a click command like train.py's; return its kwargs."""
    seen = {}

    @click.command()
    @click.option("--outdir")
    @sg_options.click_options()
    def cmd(**kwargs):
        seen.update(kwargs)

    result = CliRunner().invoke(cmd, list(argv), catch_exceptions=False)
    return seen, result


def test_hj_off_leaves_upstream_args_untouched():
    kwargs, _ = parse("--outdir", "x")
    config = sg_options.pop(kwargs)
    assert kwargs == {"outdir": "x"} and not config.enabled
    args = upstream_args()
    assert sg_options.apply(config, args, "00000-run") == "00000-run" and args == upstream_args()


def test_hj_on_swaps_classes_and_records_options():
    kwargs, _ = parse("--outdir", "x", "--hj=1", "--hj-lambda-h", "0.5", "--hj-space", "w", "--hj-interval", "4")
    config = sg_options.pop(kwargs)
    args = upstream_args()
    assert sg_options.apply(config, args, "00000-run") == "00000-run-hj"
    assert args["loss_kwargs"]["class_name"] == sg_options.LOSS_CLASS
    hj = json.loads(json.dumps(args))["loss_kwargs"]["hj"]  # what training_options.json holds
    assert hj["lambda_h"] == 0.5 and hj["space"] == "w" and hj["interval"] == 4
    assert hj["exchange_pairing"] == "adapter" and "enabled" not in hj
    for key, role in (("G_opt_kwargs", "G"), ("D_opt_kwargs", "D")):
        assert args[key]["class_name"] == sg_options.OPTIMIZER_FACTORY
        assert args[key]["hj_class_name"] == "torch.optim.Adam" and args[key]["hj_role"] == role
    assert sg_options.option_names()[0] == "hj" and "hj_exchange_every" in sg_options.option_names()


def test_explicit_pairing_is_kept_and_bad_values_are_usage_errors():
    kwargs, _ = parse("--hj=1", "--hj-exchange-pairing", "mirror")
    assert sg_options.pop(kwargs).exchange_pairing == "mirror"
    _, result = parse("--hj=1", "--hj-k", "many")
    assert result.exit_code == 2 and "invalid literal" in result.output
    _, result = parse("--hj=1", "--hj-k", "1")  # refused by the option's range as click parses it
    assert result.exit_code == 2 and "--hj-k (k) must be an integer >= 2, got 1" in result.output
    kwargs, _ = parse("--hj=1")
    args = upstream_args()
    args["loss_kwargs"]["class_name"] = "my.Loss"
    with pytest.raises(click.UsageError, match="extends training.loss.StyleGAN2Loss, but this run's loss is 'my.Loss'"):
        sg_options.apply(sg_options.pop(kwargs), args, "run")


# ------------------------------------------------------------------------------------------ patch / launcher
def test_manifest_names_the_commit_and_hashes():
    info = patching.manifest()
    assert info["commit"].startswith("d72cc7d") and len(info["commit"]) == 40
    assert set(info["files"]) >= {"train.py", "training/loss.py", "training/training_loop.py"}
    for hashes in info["files"].values():
        assert len(hashes["original"]) == 64 and all(len(h) == 64 for h in hashes["patched"])


def test_patch_refuses_a_directory_that_is_not_the_checkout(tmp_path):
    result = CliRunner().invoke(cli_main, ["patch", "stylegan2-ada", str(tmp_path)])
    assert result.exit_code == 2 and "is not a stylegan2-ada-pytorch checkout (no train.py there)" in result.output
    (tmp_path / "train.py").write_text("print('hi')\n")
    result = CliRunner().invoke(cli_main, ["patch", "stylegan2-ada", str(tmp_path), "--cpu"])
    assert result.exit_code == 2
    assert "train.py differs" in result.output and "training/loss.py is missing" in result.output
    assert "Nothing was changed" in result.output
    assert (tmp_path / "train.py").read_text() == "print('hi')\n"


def test_launcher_adds_options_and_wraps_setup(monkeypatch, tmp_path):
    from hjgan_stylegan2_ada import launcher

    seen = {}
    train = types.ModuleType("train")

    def setup_training_loop_kwargs(**kwargs):
        return "00000-desc", upstream_args()

    @click.command()
    @click.pass_context
    @click.option("--outdir", required=True)
    def main(ctx, outdir, **config_kwargs):
        seen["desc"], seen["args"] = train.setup_training_loop_kwargs(**config_kwargs)
        seen["config_kwargs"] = config_kwargs

    train.main, train.setup_training_loop_kwargs = main, setup_training_loop_kwargs
    command = launcher.add_hj_options(train)
    assert launcher.add_hj_options(train) is command  # idempotent
    command.main(args=["--outdir", "x", "--hj=1", "--hj-lambda-h", "0.2"], standalone_mode=False)
    assert seen["desc"] == "00000-desc-hj" and seen["config_kwargs"] == {}
    assert seen["args"]["loss_kwargs"]["hj"]["lambda_h"] == 0.2
    assert train.setup_training_loop_kwargs is setup_training_loop_kwargs  # restored
    result = CliRunner().invoke(cli_main, ["stylegan2-ada", "train", "--repo", str(tmp_path), "--outdir", "x"])
    assert result.exit_code == 2 and "is not a stylegan2-ada-pytorch checkout" in result.output


def test_plugin_options_reach_train_py_training_options_and_the_loss(monkeypatch):
    from hjgan_plugin import plugin_manager
    from hjgan_plugin.hookspecs import hookimpl

    class Scale:
        @hookimpl
        def hjgan_addoption(self, parser):
            parser.getgroup("mine").addoption("scale", type=float, default=2.0, help="a test option")

    pm = plugin_manager.make_plugin_manager(load_entrypoints=False)
    pm.register(Scale(), name="mine")
    monkeypatch.setattr(plugin_manager, "_default", pm)
    kwargs, result = parse("--outdir", "x", "--hj=1", "--hj-mine-scale", "0.5")
    assert result.exit_code == 0, result.output
    args = upstream_args()
    sg_options.apply(sg_options.pop(kwargs), args, "run")
    hj = json.loads(json.dumps(args))["loss_kwargs"]["hj"]  # what training_options.json holds
    assert hj["mine_scale"] == 0.5
    with fake_upstream(monkeypatch, []):
        loss, *_ = build_loss(monkeypatch, [], **hj)
        assert loss.session.context.getoption("mine_scale") == 0.5
