"""The PyTorch-GAN scripts' checkpoints (``--hj-save``, ``--hj-resume``; ``hjgan_pytorch_gan.loading``) on the
stand-in networks: what a file holds, that it loads without the plugin, that a resume continues exactly, and
every refusal (which loads nothing)."""
from __future__ import annotations

import copy
import subprocess
import sys

import pytest
import torch

from hjgan_pytorch_gan import hj, loading
from test_pytorch_gan_adapter import LATENT, adam, networks, options

pytestmark = pytest.mark.usefixtures("one_thread")


def _train(G, D, opt_G, opt_D, session, steps, seed):
    """A gan.py-shaped loop on random 'real' images: D step, then G step with the session's penalty."""
    gen = torch.Generator().manual_seed(seed)
    bce = torch.nn.BCELoss()
    for _ in range(steps):
        real = torch.rand(8, 1, 8, 8, generator=gen) * 2 - 1
        z = torch.randn(8, LATENT, generator=gen)
        fake = G(z)
        opt_D.zero_grad()
        (bce(D(real), torch.ones(8, 1)) + bce(D(fake.detach()), torch.zeros(8, 1))).backward()
        opt_D.step()
        opt_G.zero_grad()
        (bce(D(fake), torch.ones(8, 1)) + session.generator_penalty(z, G_z=fake, real=real)).backward()
        opt_G.step()


def _script(*argv, seed=0):
    torch.manual_seed(seed)
    G, D, _ = networks("gan")
    opt_G, opt_D = adam(G), adam(D)
    opt = options(*argv)
    session = hj.attach(opt, G, D, opt_G, opt_D, model="gan", log_every=0)
    return G, D, opt_G, opt_D, session


def _saver_of(opt_G):
    return next(h.__self__ for h in opt_G._optimizer_step_post_hooks.values()
                if isinstance(getattr(h, "__self__", None), loading.Saver))


def test_a_checkpoint_is_plain_state_dicts_that_load_without_the_plugin(tmp_path):
    path = tmp_path / "run" / "gan.pt"
    G, D, opt_G, opt_D, session = _script("--hj-save", str(path), "--hj-save-every", "3")
    saver = _saver_of(opt_G)
    try:
        _train(G, D, opt_G, opt_D, session, 7, seed=1)
        assert path.is_file() and saver.steps == 7  # written at step 6
        saver.at_exit()  # what the process's end does
    finally:
        saver.close()
    code = ("import torch, sys; s = torch.load(sys.argv[1], weights_only=True); "
            "print(sorted(s), s['model'], s['generator_steps'], s['args'])")
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True).stdout
    assert out.strip() == ("['args', 'discriminator', 'format', 'generator', 'generator_steps', 'model', "
                           f"'optimizer_D', 'optimizer_G'] gan 7 {{'latent_dim': {LATENT}}}")
    state = torch.load(path, weights_only=True)
    fresh, _, _ = networks("gan")
    fresh.load_state_dict(state["generator"])
    assert all(torch.equal(a, b) for a, b in zip(fresh.state_dict().values(), G.state_dict().values()))
    assert not list(tmp_path.glob("run/.*.tmp"))


def _saved_run(path, steps):
    """A plain run of ``steps`` G steps with ``--hj-save path``, written as at the process's end."""
    G, D, opt_G, opt_D, session = _script("--hj-save", str(path))
    saver = _saver_of(opt_G)
    _train(G, D, opt_G, opt_D, session, steps, seed=1)
    saver.at_exit()
    saver.close()
    return G, D, opt_G, opt_D, session


def test_resume_continues_exactly_where_the_saved_run_stopped(tmp_path):
    path = tmp_path / "gan.pt"
    G, D, opt_G, opt_D, session = _saved_run(path, 4)
    _train(G, D, opt_G, opt_D, session, 3, seed=2)  # the uninterrupted run's next three steps
    G2, D2, opt_G2, opt_D2, session2 = _script("--hj-resume", str(path), seed=5)  # other initial weights
    _train(G2, D2, opt_G2, opt_D2, session2, 3, seed=2)
    for a, b in zip([*G.parameters(), *D.parameters()], [*G2.parameters(), *D2.parameters()]):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_a_resumed_optimizer_keeps_its_moments_and_takes_this_run_s_learning_rate(tmp_path):
    path = tmp_path / "gan.pt"
    _, _, opt_G, _, _ = _saved_run(path, 3)
    torch.manual_seed(0)
    G, D, _ = networks("gan")
    opt_G2 = torch.optim.Adam(G.parameters(), lr=5e-5, betas=(0.9, 0.99))
    hj.attach(options("--hj-resume", str(path)), G, D, opt_G2, adam(D), model="gan")
    assert opt_G2.param_groups[0]["lr"] == 5e-5 and opt_G2.param_groups[0]["betas"] == (0.9, 0.99)
    saved, resumed = opt_G.state_dict()["state"], opt_G2.state_dict()["state"]
    assert saved.keys() == resumed.keys() and all(torch.equal(saved[k]["exp_avg"], resumed[k]["exp_avg"]) for k in saved)


def test_fine_tuning_with_the_ramp_starts_the_plugin_at_the_resumed_step(tmp_path, capsys):
    path = tmp_path / "gan.pt"
    G = _saved_run(path, 5)[0]
    assert f"[hj] saved {path} (5 generator steps)" in capsys.readouterr().out
    G2, D2, opt_G2, opt_D2, session2 = _script("--hj-resume", str(path), "--hj", "--hj-warmup", "4",
                                               "--hj-lambda-h", "0.01", "--hj-layers", "output")
    assert "[hj] resumed gan from" in capsys.readouterr().out
    assert torch.equal(next(G2.parameters()), next(G.parameters()))
    _train(G2, D2, opt_G2, opt_D2, session2, 2, seed=3)
    assert session2.session.steps["G"] == 2 and session2.session.ramp() == pytest.approx(3 / 4)  # the 3rd step of 4


@pytest.mark.parametrize("change, message", [
    (lambda s: s.update(model="dcgan"), "written by dcgan.py, not gan.py"),
    (lambda s: s["args"].update(latent_dim=LATENT + 1), f"--latent_dim {LATENT + 1} \\(now {LATENT}\\)"),
    (lambda s: s.pop("optimizer_D"), "has no optimizer_D"),
    (lambda s: s["generator"].pop("model.0.bias"), "generator does not match .* model.0.bias"),
    (lambda s: s["discriminator"].update({"model.0.weight": torch.zeros(3, 3)}), "discriminator does not match"),
    (lambda s: s.update(format=99), "not a checkpoint written by --hj-save"),
])
def test_a_checkpoint_that_does_not_fit_is_refused_by_name_and_loads_nothing(tmp_path, change, message):
    G, D, _ = networks("gan")
    state = loading.checkpoint({"generator": G, "discriminator": D, "optimizer_G": adam(G), "optimizer_D": adam(D)},
                               "gan", options(), 0)
    change(state)
    path = tmp_path / "bad.pt"
    torch.save(state, path)
    G2, D2, _ = networks("gan")
    before = copy.deepcopy([G2.state_dict(), D2.state_dict()])
    with pytest.raises(ValueError, match=message):
        hj.attach(options("--hj-resume", str(path)), G2, D2, adam(G2), adam(D2), model="gan")
    assert all(torch.equal(a, b) for old, new in zip(before, [G2.state_dict(), D2.state_dict()])
               for a, b in zip(old.values(), new.values()))


@pytest.mark.parametrize("argv, message", [
    (("--hj-resume", "{tmp}/missing.pt"), "no such file"),
    (("--hj-resume", "{tmp}/junk.pt"), "not a checkpoint written by --hj-save"),
    (("--hj-save", "{tmp}"), "is a folder; give a file name"),
])
def test_bad_paths_are_refused_by_name(tmp_path, argv, message):
    (tmp_path / "junk.pt").write_bytes(b"not a pickle")
    G, D, _ = networks("gan")
    with pytest.raises(ValueError, match=message):
        hj.attach(options(*(a.format(tmp=tmp_path) for a in argv)), G, D, adam(G), adam(D), model="gan")


@pytest.mark.parametrize("value", ["-1", "2.5", "x"])
def test_save_every_takes_a_whole_number_from_zero(value, capsys):
    with pytest.raises(SystemExit):
        options("--hj-save-every", value)
    assert "--hj-save-every" in capsys.readouterr().err


def test_nothing_is_saved_after_an_error_and_without_the_flags_nothing_is_hooked(tmp_path, monkeypatch):
    G, D, opt_G, opt_D, session = _script()
    assert session is hj.OFF and not opt_G._optimizer_step_post_hooks
    path = tmp_path / "gan.pt"
    G, D, opt_G, opt_D, session = _script("--hj-save", str(path))
    saver = _saver_of(opt_G)
    saver.close()
    monkeypatch.setattr(sys, "last_value", RuntimeError("boom"), raising=False)
    saver.at_exit()
    assert not path.exists()


def test_a_folder_for_hj_save_is_refused_before_hj_resume_loads_anything(tmp_path):
    _saved_run(tmp_path / "gan.pt", 2)
    G, D, _ = networks("gan")
    before = copy.deepcopy(G.state_dict())
    with pytest.raises(ValueError, match="is a folder; give a file name"):
        hj.attach(options("--hj-resume", str(tmp_path / "gan.pt"), "--hj-save", str(tmp_path)), G, D, adam(G), adam(D),
                  model="gan")
    assert all(torch.equal(before[k], v) for k, v in G.state_dict().items())
