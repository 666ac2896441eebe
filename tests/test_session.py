"""attach(): the session in a hand-written loop — schedule, weights, NaN guard, exchange hooks, resume."""
from __future__ import annotations

import subprocess
import sys

import pytest
import torch
from torch import nn

from hjgan_plugin import (HJConfig, NondeterministicGeneratorError, NonFinitePenaltyWarning, attach,
                          hessian_penalty, jacobian_penalty, joint_penalty)
from hjgan_plugin.passes import forget_probes
from hjgan_plugin.schedule import lazy_gain, probe_due, subbatch_size, warmup_ramp


def nets(seed=0):
    torch.manual_seed(seed)
    G = nn.Sequential(nn.Linear(3, 16), nn.Tanh(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 6))
    D = nn.Sequential(nn.Linear(6, 16), nn.LeakyReLU(0.2), nn.Linear(16, 16), nn.LeakyReLU(0.2), nn.Linear(16, 1))
    return G, D


def train(session, G, D, opt_g, opt_d, steps, seed=1, batch=8):
    gen = torch.Generator().manual_seed(seed)
    penalties = []
    for _ in range(steps):
        z = torch.randn(batch, 3, generator=gen)
        fake = G(z)
        pen = session.generator_penalty(z, G_z=fake) if session is not None else torch.zeros(())
        penalties.append(float(pen.detach()))
        loss_g = nn.functional.softplus(-D(fake)).mean() + pen
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        real = torch.randn(batch, 6, generator=gen)
        loss_d = nn.functional.softplus(D(G(z).detach())).mean() + nn.functional.softplus(-D(real)).mean()
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
    return penalties


def setup(seed=0, **fields):
    G, D = nets(seed)
    opt_g, opt_d = torch.optim.Adam(G.parameters(), 1e-3), torch.optim.Adam(D.parameters(), 1e-3)
    session = attach(G, D, optimizer_G=opt_g, optimizer_D=opt_d, **fields)
    return session, G, D, opt_g, opt_d


def test_penalty_value_is_eq15_with_game_coefficients_and_base_scales():
    session, G, D, *_ = setup(lambda_h=0.1, lambda_j=1e-3, game=(1, 3, 0.25))
    alpha, beta = session.alpha, session.beta
    z = torch.randn(8, 3)
    torch.manual_seed(5)
    value = session.generator_penalty(z)
    torch.manual_seed(5)
    expected = joint_penalty(G, z, alpha * 0.1, beta * 1e-3)
    torch.testing.assert_close(value, expected.total)
    assert session.last["hj_hessian"] == pytest.approx(float(expected.hessian.detach()))
    assert session.last["hj_jacobian"] == pytest.approx(float(expected.jacobian.detach()))
    assert (session.last["hj_alpha"], session.last["hj_beta"]) == (alpha, beta) != (0.5, 0.5)


@pytest.mark.parametrize("penalty,fn,weight", [("hessian", hessian_penalty, "h"), ("jacobian", jacobian_penalty, "j")])
def test_single_term_penalties_use_given_alpha_beta(penalty, fn, weight):
    session, G, *_ = setup(penalty=penalty, alpha=0.2, beta=0.3, lambda_h=2.0, lambda_j=5.0)
    z = torch.randn(8, 3)
    torch.manual_seed(5)
    value = session.generator_penalty(z)
    torch.manual_seed(5)
    scale = 0.2 * 2.0 if weight == "h" else 0.3 * 5.0
    torch.testing.assert_close(value, scale * fn(G, z))


def test_penalty_none_contributes_nothing():
    session, *_ = setup(penalty="none")
    assert float(session.generator_penalty(torch.randn(4, 3))) == 0.0


def test_steps_are_counted_from_optimizer_hooks_and_detach_removes_them():
    session, G, D, opt_g, opt_d = setup()
    train(session, G, D, opt_g, opt_d, 3)
    assert session.steps == {"G": 3, "D": 3}
    session.detach()
    train(session, G, D, opt_g, opt_d, 1)
    assert session.steps == {"G": 3, "D": 3}


def test_lazy_interval_applies_gain_on_every_nth_step_only():
    session, G, D, opt_g, opt_d = setup(interval=3, lambda_h=0.1, lambda_j=1e-3)
    penalties = train(session, G, D, opt_g, opt_d, 7)
    assert [p != 0 for p in penalties] == [True, False, False, True, False, False, True]
    # on a penalty step the value is interval × the plain penalty
    z = torch.randn(8, 3)
    torch.manual_seed(9)
    session.steps["G"] = 9
    lazy = session.generator_penalty(z)
    torch.manual_seed(9)
    plain = joint_penalty(G, z, 0.5 * 0.1, 0.5 * 1e-3).total
    torch.testing.assert_close(lazy, 3 * plain)


@pytest.mark.parametrize("mode,gain", [("interval", 4.0), ("sqrt", 2.0), ("one", 1.0)])
def test_lazy_gain_modes_scale_the_penalty_steps(mode, gain):
    assert [lazy_gain(t, 4, mode) for t in range(5)] == [gain, 0.0, 0.0, 0.0, gain]
    session, G, *_ = setup(interval=4, lazy_gain=mode, lambda_h=0.1, lambda_j=1e-3)
    z = torch.randn(8, 3)
    torch.manual_seed(9)
    lazy = session.generator_penalty(z)
    torch.manual_seed(9)
    plain = joint_penalty(G, z, 0.5 * 0.1, 0.5 * 1e-3).total
    torch.testing.assert_close(lazy, gain * plain)
    assert session.context.lazy_gain == gain


def test_lazy_gain_refusals():
    with pytest.raises(ValueError, match="lazy gain must be 'interval', 'sqrt' or 'one', got 'half'"):
        lazy_gain(0, 2, "half")
    with pytest.raises(ValueError, match=r"--hj-lazy-gain \(lazy_gain\) must be one of 'interval', 'sqrt', 'one', got 'half'"):
        setup(interval=2, lazy_gain="half")


def test_warmup_ramps_weights_linearly():
    assert [warmup_ramp(t, 4) for t in range(6)] == [0.25, 0.5, 0.75, 1.0, 1.0, 1.0]
    assert warmup_ramp(0, 0) == 1.0
    session, G, D, opt_g, opt_d = setup(warmup=4, lambda_h=1.0, lambda_j=1.0)
    weights = []
    for _ in range(5):
        weights.append(session.weights)
        train(session, G, D, opt_g, opt_d, 1)
    assert [w[0] for w in weights] == pytest.approx([0.125, 0.25, 0.375, 0.5, 0.5])


def test_subbatch_uses_the_first_fraction_of_the_batch():
    assert subbatch_size(8, 0.25) == 2 and subbatch_size(3, 0.01) == 1
    session, G, *_ = setup(subbatch=0.25)
    z = torch.randn(8, 3)
    torch.manual_seed(3)
    value = session.generator_penalty(z, G_z=G(z))
    torch.manual_seed(3)
    torch.testing.assert_close(value, joint_penalty(G, z[:2], 0.05, 0.5e-4).total)


def test_named_layers_through_the_session():
    session, G, *_ = setup(layers=("1", "3"))  # the two Tanh activations
    z = torch.randn(8, 3)
    torch.manual_seed(3)
    value = session.generator_penalty(z)
    torch.manual_seed(3)
    expected = joint_penalty(lambda x: [G[1](G[0](x)), G[3](G[2](G[1](G[0](x))))], z, 0.05, 0.5e-4).total
    torch.testing.assert_close(value, expected)


def test_nonfinite_penalty_is_skipped_with_a_warning_and_never_reaches_weights():
    session, G, D, opt_g, opt_d = setup(lambda_h=1.0)
    with torch.no_grad():
        G[4].weight[0, 0] = float("inf")  # every output row 0 becomes ±inf/NaN in the differences
    G_before = [p.clone() for p in G.parameters()]
    with pytest.warns(NonFinitePenaltyWarning, match="not finite at generator step 0"):
        value = session.generator_penalty(torch.randn(4, 3))
    assert float(value) == 0.0 and session.skipped_nonfinite == 1
    assert session.last["hj_skipped_nonfinite"] == 1.0
    assert all(torch.equal(a, b) for a, b in zip(G_before, G.parameters()))


def test_determinism_is_reprobed_on_log_spaced_calls():
    assert [c for c in range(1200) if probe_due(c)] == [0, 1, 10, 100, 1000]

    class LateNoise(nn.Module):  # noise strength starts at 0, as StyleGAN2's does
        def __init__(self):
            super().__init__()
            self.net = nn.Linear(3, 4)
            self.strength = 0.0

        def forward(self, z):
            out = self.net(z)
            return out + self.strength * torch.randn_like(out)

    forget_probes()
    G = LateNoise()
    session = attach(G)
    for _ in range(5):
        session.generator_penalty(torch.randn(4, 3))
        session.steps["G"] += 1
    G.strength = 0.5
    with pytest.raises(NondeterministicGeneratorError):
        for _ in range(6):
            session.generator_penalty(torch.randn(4, 3))
            session.steps["G"] += 1
    assert session.penalty_calls == 10  # caught at the 11th call (index 10)


def test_given_alpha_beta_override_the_game_and_invalid_game_is_refused():
    session, *_ = setup(alpha=0.9)
    assert (session.alpha, session.beta) == (0.9, 0.5)
    with pytest.raises(ValueError, match="split must lie"):
        setup(game=(1, 2, 1.0))
    with pytest.raises(TypeError, match="'enabled' is the command line's switch"):
        setup(enabled=True)
    with pytest.raises(TypeError, match="unknown hjgan option"):
        setup(lamda=0.1)


def test_exchange_runs_from_the_discriminator_step_hook():
    session, G, D, opt_g, opt_d = setup(exchange_every=2, exchange_strength=0.5)
    assert session.exchange.report.n_pairs >= 1
    train(session, G, D, opt_g, opt_d, 5)
    assert session.exchange.count == 2
    assert session.last["exchange/count"] == 2.0


def test_exchange_needs_optimizer_d_or_manual_steps():
    G, D = nets()
    with pytest.raises(ValueError, match="needs the discriminator's optimizer"):
        attach(G, D, optimizer_G=torch.optim.SGD(G.parameters(), 0.1), exchange_every=1)
    with pytest.raises(ValueError, match="needs the discriminator"):
        attach(G, None, exchange_every=1)


def test_exchange_pairing_that_pairs_nothing_is_refused():
    G = nn.Sequential(nn.Linear(3, 5))
    D = nn.Sequential(nn.Linear(7, 1))
    with pytest.raises(ValueError, match="pairs nothing|no pair|found no"):
        attach(G, D, optimizer_D=torch.optim.SGD(D.parameters(), 0.1), exchange_every=1)


def test_resume_continues_identically_and_state_loads_without_the_plugin(tmp_path):
    kwargs = dict(interval=2, warmup=3, exchange_every=2, exchange_strength=0.3, exchange_variant="random-control")
    # one run of 6 steps
    s1, G1, D1, og1, od1 = setup(**kwargs)
    train(s1, G1, D1, og1, od1, 3, seed=1)
    torch.manual_seed(42)
    train(s1, G1, D1, og1, od1, 3, seed=2)
    # the same run interrupted after 3 steps, checkpointed, and resumed in a fresh session
    s2, G2, D2, og2, od2 = setup(**kwargs)
    train(s2, G2, D2, og2, od2, 3, seed=1)
    path = tmp_path / "ckpt.pt"
    torch.save({"G": G2.state_dict(), "D": D2.state_dict(), "opt_g": og2.state_dict(), "opt_d": od2.state_dict(),
                "hjgan": s2.state_dict()}, path)
    s3, G3, D3, og3, od3 = setup(seed=7, **kwargs)
    ckpt = torch.load(path, weights_only=True)
    G3.load_state_dict(ckpt["G"]); D3.load_state_dict(ckpt["D"])
    og3.load_state_dict(ckpt["opt_g"]); od3.load_state_dict(ckpt["opt_d"])
    s3.load_state_dict(ckpt["hjgan"])
    assert s3.steps == {"G": 3, "D": 3}
    torch.manual_seed(42)
    train(s3, G3, D3, og3, od3, 3, seed=2)
    for a, b in zip(list(G1.parameters()) + list(D1.parameters()), list(G3.parameters()) + list(D3.parameters())):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    # the checkpoint loads in a process where hjgan_plugin cannot be imported
    code = ("import sys; sys.modules['hjgan_plugin'] = None; import torch; "
            f"c = torch.load({str(path)!r}, weights_only=True); print(c['hjgan']['steps'])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "{'G': 3, 'D': 3}" in out.stdout


def test_load_state_dict_refuses_foreign_state():
    session, *_ = setup()
    with pytest.raises(ValueError, match="not an hjgan_plugin session state"):
        session.load_state_dict({"steps": {}})
    for bad in (None, [1, 2]):
        with pytest.raises(TypeError, match=r"expects the dict session.state_dict\(\) returned, got "):
            session.load_state_dict(bad)


def test_config_object_and_field_overrides():
    config = HJConfig(penalty="hessian", lambda_h=0.5)
    session, *_ = setup(config=config, lambda_h=0.25)
    assert session.config.penalty == "hessian" and session.config.lambda_h == 0.25 and session.config.enabled


def test_fine_tuning_a_plain_state_dict_ramps_the_penalty_from_zero(tmp_path):
    """A G/D pair saved without the plugin (plain state dicts), then fine-tuned through attach() with a
    warm-up: the penalty's weight ramps 1/4, 2/4, 3/4, 1, 1; the fine-tuned G saves and loads without it."""
    G0, D0 = nets(0)
    pretrained = tmp_path / "pretrained.pt"
    torch.save({"G": G0.state_dict(), "D": D0.state_dict()}, pretrained)
    G, D = nets(5)
    ckpt = torch.load(pretrained, weights_only=True)
    G.load_state_dict(ckpt["G"])
    D.load_state_dict(ckpt["D"])
    opt_g, opt_d = torch.optim.Adam(G.parameters(), 1e-3), torch.optim.Adam(D.parameters(), 1e-3)
    session = attach(G, D, optimizer_G=opt_g, optimizer_D=opt_d, warmup=4, lambda_h=0.1, lambda_j=1e-3)
    ramps = []
    for _ in range(5):
        train(session, G, D, opt_g, opt_d, 1)
        ramps.append(session.last["hj_ramp"])
    assert ramps == [0.25, 0.5, 0.75, 1.0, 1.0]
    tuned = tmp_path / "tuned.pt"
    torch.save({"G": G.state_dict(), "hjgan": session.state_dict()}, tuned)
    code = ("import sys; sys.modules['hjgan_plugin'] = None; import torch; "
            f"c = torch.load({str(tuned)!r}, weights_only=True); print(sorted(c['G'])[:1], c['hjgan']['steps'])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "{'G': 5, 'D': 5}" in out.stdout


def test_an_adapter_s_defaults_fill_the_options_attach_is_not_given():
    from hjgan_plugin import HJConfig, hookimpl
    from hjgan_plugin.adapters import Adapter
    from hjgan_plugin.plugin_manager import describe, get_plugin_manager

    host = Adapter(name="host-with-defaults", defaults=(("lambda_h", 1e-3), ("interval", 2)))
    G = torch.nn.Linear(3, 4)
    assert attach(G, adapter=host).config.lambda_h == 1e-3
    config = attach(G, adapter=host, lambda_h=0.5).config
    assert (config.lambda_h, config.interval) == (0.5, 2)
    assert attach(G, adapter=host, config=HJConfig(enabled=True)).config.lambda_h == 0.1  # a config is as given
    assert host.defaults_text() == "--hj-lambda-h=0.001 --hj-interval=2"
    pm = get_plugin_manager()

    class Plugin:
        @hookimpl
        def hjgan_register_adapters(self):
            return [host]

    pm.register(Plugin(), name="host-with-defaults")
    try:
        assert "  host-with-defaults: \n    defaults: --hj-lambda-h=0.001 --hj-interval=2" in describe(pm)
    finally:
        pm.unregister(name="host-with-defaults")
