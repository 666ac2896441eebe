"""Weight exchange (docs/design.md §4): pairing, adjoints, update rules, schedule, safety and checkpoints."""
from __future__ import annotations

import copy
import math
import io
import warnings

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from hjgan_plugin.errors import NonFiniteExchangeWarning, NonFinitePenaltyWarning, NonFiniteWarning
from hjgan_plugin.exchange import (
    BUILTIN_RULES,
    ParamPair,
    WeightExchange,
    adjoint,
    adjoint_inverse,
    blend,
    blend_norm,
    get_rule,
    mirror_pairs,
    random_control,
    random_fixed,
    make_rule,
    resolve_pairs,
)


# ----------------------------------------------------------------------------------------------- models
def mlp_g() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(2, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 2))


def mlp_d() -> nn.Module:
    torch.manual_seed(1)
    return nn.Sequential(nn.Linear(2, 128), nn.LeakyReLU(0.2), nn.Linear(128, 128), nn.LeakyReLU(0.2),
                         nn.Linear(128, 1))


def dcgan_g() -> nn.Module:
    torch.manual_seed(2)
    return nn.Sequential(
        nn.ConvTranspose2d(8, 16, 4, 1, 0, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
        nn.ConvTranspose2d(16, 8, 4, 2, 1, bias=False), nn.BatchNorm2d(8), nn.ReLU(),
        nn.ConvTranspose2d(8, 3, 4, 2, 1, bias=False), nn.Tanh())


def dcgan_d() -> nn.Module:
    torch.manual_seed(3)
    return nn.Sequential(
        nn.Conv2d(3, 8, 4, 2, 1, bias=False), nn.LeakyReLU(0.2),
        nn.Conv2d(8, 16, 4, 2, 1, bias=False), nn.BatchNorm2d(16), nn.LeakyReLU(0.2),
        nn.Conv2d(16, 1, 4, 1, 0, bias=False))


def clone_params(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.named_parameters()}


# ---------------------------------------------------------------------------------------------- pairing
def test_mirror_pairs_mlp():
    G, D = mlp_g(), mlp_d()
    assert mirror_pairs(G, D) == [ParamPair("4.weight", "0.weight", "transpose"),
                                  ParamPair("2.weight", "2.weight", "transpose")]
    report = resolve_pairs(G, D, "mirror")
    assert report.n_pairs == 2
    assert report.n_params_paired == 2 * 128 + 128 * 128
    assert report.n_params_D == sum(p.numel() for p in D.parameters()) == 2 * 128 + 128 + 128 * 128 + 128 + 128 + 1
    # position 2: G's first layer (128, 2) -> transpose (2, 128) vs D's last (1, 128)
    assert len(report.skipped) == 1
    g_name, d_name, reason = report.skipped[0]
    assert (g_name, d_name) == ("0.weight", "4.weight")
    assert "shape mismatch" in reason and "(2, 128)" in reason and "(1, 128)" in reason
    text = str(report)
    assert "2 pair(s)" in text and "4.weight" in text and "skipped" in text


def test_mirror_pairs_dcgan_identity_and_wrappers():
    G, D = dcgan_g(), dcgan_d()
    expected = [ParamPair("6.weight", "0.weight", "identity"), ParamPair("3.weight", "2.weight", "identity")]
    assert mirror_pairs(G, D) == expected
    # names are those of the bare modules behind DataParallel (DDP unwraps the same way)
    assert mirror_pairs(nn.DataParallel(G), nn.DataParallel(D)) == expected
    report = resolve_pairs(G, D)
    assert report.n_params_paired == 8 * 3 * 16 + 16 * 8 * 16
    assert [s[:2] for s in report.skipped] == [("0.weight", "5.weight")]


def test_mirror_pairs_conv_conv_is_conv_adjoint():
    G = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 6, 3, padding=1))
    D = nn.Sequential(nn.Conv2d(6, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 3, 3, padding=1), nn.Flatten())
    assert mirror_pairs(G, D) == [ParamPair("2.weight", "0.weight", "conv_adjoint"),
                                  ParamPair("0.weight", "2.weight", "conv_adjoint")]


def test_mirror_skips_type_mismatch_and_unpaired():
    G = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Unflatten(1, (6, 1)), nn.Conv1d(6, 6, 1))
    D = nn.Sequential(nn.Linear(6, 6), nn.Linear(6, 4), nn.Linear(4, 1))
    report = resolve_pairs(G, D)
    assert report.pairs == [ParamPair("0.weight", "1.weight", "transpose")]
    reasons = [s[2] for s in report.skipped]
    assert "no adjoint rule for G Conv1d -> D Linear" in reasons[0]
    assert report.skipped[1] == (None, "2.weight", reasons[1]) and "no counterpart" in reasons[1]


def _inner(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return (a.double() * b.double()).sum()


def test_conv_adjoint_definition_numerically():
    torch.manual_seed(4)
    a, b = 3, 5
    W = torch.randn(b, a, 3, 3, dtype=torch.float64)  # G: Conv2d(a -> b)
    x = torch.randn(2, a, 7, 6, dtype=torch.float64)
    y = torch.randn(2, b, 7, 6, dtype=torch.float64)
    # conv_transpose2d with the same weight is the adjoint operator of conv2d
    lhs = _inner(F.conv2d(x, W, padding=1), y)
    rhs = _inner(x, F.conv_transpose2d(y, W, padding=1))
    torch.testing.assert_close(lhs, rhs)
    # ... and equals a plain Conv2d(b -> a) with weight adjoint(W) (padding k-1-p = 1)
    W_adj = adjoint(W, "conv_adjoint")
    assert W_adj.shape == (a, b, 3, 3)
    torch.testing.assert_close(F.conv_transpose2d(y, W, padding=1), F.conv2d(y, W_adj, padding=1))
    torch.testing.assert_close(_inner(F.conv2d(x, W, padding=1), y), _inner(x, F.conv2d(y, W_adj, padding=1)))
    # a wrong adjoint (no flip) fails the same check, so the check has teeth
    assert not torch.allclose(F.conv_transpose2d(y, W, padding=1), F.conv2d(y, W.transpose(0, 1), padding=1))
    # 1-D analogue
    W1 = torch.randn(b, a, 3, dtype=torch.float64)
    y1 = torch.randn(2, b, 9, dtype=torch.float64)
    torch.testing.assert_close(F.conv_transpose1d(y1, W1, padding=1), F.conv1d(y1, adjoint(W1, "conv_adjoint"), padding=1))


def test_identity_adjoint_numerically():
    torch.manual_seed(5)
    a, b = 4, 3
    W = torch.randn(a, b, 4, 4, dtype=torch.float64)  # G: ConvTranspose2d(a -> b); D: Conv2d(b -> a), same W
    x = torch.randn(2, a, 5, 5, dtype=torch.float64)
    gx = F.conv_transpose2d(x, W, stride=2, padding=1)
    y = torch.randn_like(gx)
    torch.testing.assert_close(_inner(gx, y), _inner(x, F.conv2d(y, adjoint(W, "identity"), stride=2, padding=1)))
    Wl = torch.randn(3, 5, dtype=torch.float64)  # Linear(5 -> 3)
    xl, yl = torch.randn(5, dtype=torch.float64), torch.randn(3, dtype=torch.float64)
    torch.testing.assert_close(_inner(Wl @ xl, yl), _inner(xl, adjoint(Wl, "transpose") @ yl))


@pytest.mark.parametrize("kind,shape", [("transpose", (3, 5)), ("identity", (2, 3, 4, 4)),
                                        ("conv_adjoint", (2, 3, 3, 3)), ("conv_adjoint", (2, 3, 5))])
def test_adjoint_inverse_roundtrip(kind, shape):
    t = torch.randn(shape)
    torch.testing.assert_close(adjoint_inverse(adjoint(t, kind), kind), t)
    torch.testing.assert_close(torch.linalg.vector_norm(adjoint(t, kind)), torch.linalg.vector_norm(t))
    with pytest.raises(ValueError, match="valid kinds"):
        adjoint(t, "mirror")


def test_pairs_nothing_error_names_the_fix():
    G = nn.Sequential(nn.Linear(2, 3))
    D = nn.Sequential(nn.Linear(5, 1))
    with pytest.raises(ValueError) as info:
        WeightExchange(G, D, every=1)
    msg = str(info.value)
    assert "pass explicit pairs=[('g.layer.weight','d.layer.weight')]".replace("','", "', '") in msg
    assert "G layers" in msg and "0.weight Linear(3, 2)" in msg and "D layers" in msg and "(1, 5)" in msg
    with pytest.raises(ValueError, match="returned no pairs"):
        resolve_pairs(G, D, lambda g, d: [])


def test_explicit_pairs_validation_and_inference():
    G, D = mlp_g(), mlp_d()
    with pytest.raises(ValueError, match=r"generator has no parameter '4\.wieght'.*close matches: \['4\.weight'"):
        resolve_pairs(G, D, [("4.wieght", "0.weight")])
    with pytest.raises(ValueError, match=r"discriminator has no parameter 'O\.weight'.*'0\.weight'"):
        resolve_pairs(G, D, [("4.weight", "O.weight")])
    with pytest.raises(ValueError, match=r"\(128, 2\).*\(1, 128\)|\(1, 128\).*\(128, 2\)"):
        resolve_pairs(G, D, [("0.weight", "4.weight")])
    with pytest.raises(ValueError, match=r"transpose of G shape \(2, 128\) is \(128, 2\), but D shape is \(128,\)"):
        resolve_pairs(G, D, [("4.weight", "0.bias", "transpose")])
    with pytest.raises(ValueError, match="more than one pair"):
        resolve_pairs(G, D, [("4.weight", "0.weight"), ("4.weight", "0.weight")])
    with pytest.raises(ValueError, match="unknown adjoint kind"):
        resolve_pairs(G, D, [("4.weight", "0.weight", "flip")])
    with pytest.raises(ValueError, match="unknown pairing 'stylegan'"):
        resolve_pairs(G, D, "stylegan")
    # square Linear weights: the layer types say transpose (shape alone would say identity)
    report = resolve_pairs(G, D, [("2.weight", "2.weight"), ("4.weight", "0.weight")])
    assert [p.adjoint for p in report.pairs] == ["transpose", "transpose"]
    # bias vectors have no layer rule: equal shapes -> identity; a callable may return ParamPairs
    report = resolve_pairs(G, D, lambda g, d: [ParamPair("2.weight", "2.weight", "identity"), ("2.bias", "0.bias")])
    assert [p.adjoint for p in report.pairs] == ["identity", "identity"]
    assert report.n_params_paired == 128 * 128 + 128


# ------------------------------------------------------------------------------------------------ rules
def test_blend_hand_numbers_and_no_inplace():
    d = torch.tensor([1.0, -2.0, 4.0])
    g = torch.tensor([3.0, 0.0, -4.0])
    d0, g0 = d.clone(), g.clone()
    # alpha=1, beta=3, strength=0.5: 0.5*d + 0.5*(d + 3g)/4 = 0.625 d + 0.375 g
    out = blend(d, g, alpha=1.0, beta=3.0, strength=0.5, noise=None)
    torch.testing.assert_close(out, torch.tensor([1.75, -1.25, 1.0]))
    torch.testing.assert_close(blend(d, g, alpha=0.0, beta=1.0, strength=1.0), g)
    assert torch.equal(d, d0) and torch.equal(g, g0)
    for bad in (dict(alpha=0.0, beta=0.0, strength=0.5), dict(alpha=-1.0, beta=2.0, strength=0.5)):
        with pytest.raises(ValueError, match="alpha \\+ beta > 0"):
            blend(d, g, **bad)
    for eta in (0.0, 1.5):
        with pytest.raises(ValueError, match=r"eta.*\(0, 1\]"):
            blend(d, g, alpha=0.5, beta=0.5, strength=eta)


def test_blend_norm_keeps_norm_and_g_direction():
    torch.manual_seed(6)
    d, g = torch.randn(7, 5), 10 * torch.randn(7, 5)
    out = blend_norm(d, g, alpha=0.5, beta=0.5, strength=0.7)
    torch.testing.assert_close(torch.linalg.vector_norm(out), torch.linalg.vector_norm(d))
    plain = blend(d, g, alpha=0.5, beta=0.5, strength=0.7)
    torch.testing.assert_close(F.cosine_similarity(out.flatten(), plain.flatten(), dim=0), torch.tensor(1.0))
    assert not torch.allclose(out, plain)


def test_random_rules_need_noise_and_use_its_direction():
    d, g = torch.zeros(4), torch.tensor([0.0, 3.0, 0.0, 4.0])
    noise = torch.tensor([1.0, 1.0, 1.0, 1.0])
    for rule in (random_control, random_fixed):
        out = rule(d, g, alpha=0.0, beta=1.0, strength=1.0, noise=noise)
        torch.testing.assert_close(out, torch.full((4,), 2.5))  # direction of noise, norm of g (5)
        with pytest.raises(ValueError, match="needs a noise tensor"):
            rule(d, g, alpha=0.0, beta=1.0, strength=1.0, noise=None)


def test_registry():
    assert set(BUILTIN_RULES) == {"blend", "blend-norm", "random-control", "random-fixed"}
    with pytest.raises(TypeError):
        BUILTIN_RULES["mine"] = blend  # read-only: plugins add rules per plugin manager
    assert get_rule("random-fixed").noise == "fixed" and get_rule("random-control").noise == "fresh"
    with pytest.raises(ValueError, match=r"valid names: \['blend', 'blend-norm'"):
        get_rule("blnd")

    def halfway(target, source, *, alpha, beta, strength, noise=None):
        return 0.5 * (target + source)

    rule = make_rule("test-halfway", halfway)
    assert make_rule("test-halfway", rule) is rule  # the same rule again: unchanged
    with pytest.raises(ValueError, match="noise must be one of"):
        make_rule("test-halfway", halfway, noise="sometimes")
    G, D = mlp_g(), mlp_d()
    g4, d0 = G[4].weight.detach().clone(), D[0].weight.detach().clone()
    with pytest.raises(ValueError, match="valid names"):
        WeightExchange(G, D, every=1, variant="test-halfway")  # not in the built-ins
    ex = WeightExchange(G, D, every=1, variant="test-halfway", rules={**BUILTIN_RULES, "test-halfway": rule})
    assert ex.after_step("D", 1)
    torch.testing.assert_close(D[0].weight, 0.5 * (d0 + g4.t()))


# ------------------------------------------------------------------------------------------ the class
def test_schedule_and_g_to_d_update():
    G, D = mlp_g(), mlp_d()
    ex = WeightExchange(G, D, every=3, strength=0.5, alpha=1.0, beta=3.0)
    g_before = clone_params(G)
    applied = []
    for step in range(1, 8):
        d_before = clone_params(D)
        applied.append(ex.after_step("D", step))
        assert not ex.after_step("G", step)  # g_to_d never writes G
        if step in (3, 6):
            torch.testing.assert_close(D[0].weight, 0.625 * d_before["0.weight"] + 0.375 * G[4].weight.t())
            torch.testing.assert_close(D[2].weight, 0.625 * d_before["2.weight"] + 0.375 * G[2].weight.t())
        for name in ("0.bias", "4.weight", "4.bias") if step in (3, 6) else d_before:
            assert torch.equal(D.get_parameter(name), d_before[name])
    assert applied == [False, False, True, False, False, True, False]
    assert ex.count == 2
    for name, value in g_before.items():
        assert torch.equal(G.get_parameter(name), value)
    off = WeightExchange(G, D, every=0)
    assert not any(off.after_step("D", s) for s in range(1, 5)) and off.count == 0
    with pytest.raises(ValueError, match="role"):
        ex.after_step("generator", 3)


def test_direction_both_updates_g():
    G, D = mlp_g(), mlp_d()
    ex = WeightExchange(G, D, every=2, strength=0.2, direction="both", alpha=0.25, beta=0.75)
    g4, d0 = G[4].weight.detach().clone(), D[0].weight.detach().clone()
    assert not ex.after_step("G", 1)
    assert torch.equal(G[4].weight, g4)
    assert ex.after_step("G", 2)
    expected = 0.8 * g4 + 0.2 * (0.25 * g4 + 0.75 * d0.t())
    torch.testing.assert_close(G[4].weight, expected)
    assert torch.equal(D[0].weight, d0)  # the G step writes only G
    assert ex.count == 1


def test_random_control_norm_of_g_and_fresh_each_time():
    G, D = mlp_g(), mlp_d()
    ex = WeightExchange(G, D, every=1, variant="random-control", alpha=0.0, beta=1.0, strength=1.0, seed=3)
    g_adj = G[4].weight.detach().t()
    ex.after_step("D", 1)
    first = D[0].weight.detach().clone()
    torch.testing.assert_close(torch.linalg.vector_norm(first), torch.linalg.vector_norm(g_adj))
    assert abs(F.cosine_similarity(first.flatten(), g_adj.flatten(), dim=0)) < 0.3
    ex.after_step("D", 2)
    second = D[0].weight.detach()
    torch.testing.assert_close(torch.linalg.vector_norm(second), torch.linalg.vector_norm(g_adj))
    assert abs(F.cosine_similarity(first.flatten(), second.flatten(), dim=0)) < 0.3


def test_random_fixed_direction_fixed_norm_follows_g():
    G, D = mlp_g(), mlp_d()
    ex = WeightExchange(G, D, every=1, variant="random-fixed", alpha=0.0, beta=1.0, strength=1.0, seed=3)
    ex.after_step("D", 1)
    first = D[0].weight.detach().clone()
    torch.testing.assert_close(torch.linalg.vector_norm(first), torch.linalg.vector_norm(G[4].weight))
    with torch.no_grad():
        G[4].weight.mul_(3.0).add_(0.1 * torch.randn_like(G[4].weight))
    ex.after_step("D", 2)
    second = D[0].weight.detach()
    torch.testing.assert_close(F.cosine_similarity(first.flatten(), second.flatten(), dim=0), torch.tensor(1.0))
    torch.testing.assert_close(torch.linalg.vector_norm(second), torch.linalg.vector_norm(G[4].weight))
    assert abs(F.cosine_similarity(second.flatten(), G[4].weight.t().flatten(), dim=0)) < 0.3


def test_nonfinite_writes_nothing():
    G, D = mlp_g(), mlp_d()
    ex = WeightExchange(G, D, every=1, strength=0.5)
    with torch.no_grad():
        G[2].weight[0, 0] = float("nan")  # only the second pair is bad; the first must not be written either
    d_before = clone_params(D)
    with pytest.warns(NonFiniteExchangeWarning, match="skipped.*not finite") as caught:
        assert ex.after_step("D", 1) is False
    assert all(issubclass(w.category, NonFiniteWarning) for w in caught)
    assert not any(issubclass(w.category, NonFinitePenaltyWarning) for w in caught)  # an exchange, not a penalty
    for name, value in d_before.items():
        assert torch.equal(D.get_parameter(name), value)
    assert ex.skipped_nonfinite == 1 and ex.count == 0
    with torch.no_grad():
        G[2].weight[0, 0] = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ex.after_step("D", 2)
    assert ex.count == 1 and ex.skipped_nonfinite == 1


@pytest.mark.parametrize("value,written", [(float("inf"), False), (float("-inf"), False), (1e30, True)])
def test_finite_check_is_exact(value, written):
    # the check reads one float64 norm per tensor: inf is caught, and a huge finite weight (whose float32
    # norm would overflow to inf) is not mistaken for a non-finite one
    G, D = mlp_g(), mlp_d()
    ex = WeightExchange(G, D, every=1, strength=0.5)
    with torch.no_grad():
        G[2].weight[0, 0] = value
    with warnings.catch_warnings():
        warnings.simplefilter("ignore" if not written else "error")
        assert ex.after_step("D", 1) is written
    assert torch.linalg.vector_norm(G[2].weight).isinf()  # float32 norm overflows in both cases
    assert ex.skipped_nonfinite == (0 if written else 1)
    assert math.isfinite(ex.stats()["exchange/mean_cosine"]) == written


def test_stats():
    G, D = dcgan_g(), dcgan_d()
    ex = WeightExchange(G, D, every=1, alpha=0.0, beta=1.0, strength=1.0)
    s = ex.stats()
    assert s["exchange/count"] == 0.0 and s["exchange/mean_cosine"] != s["exchange/mean_cosine"]  # NaN
    ex.after_step("D", 1)
    s = ex.stats()
    assert s["exchange/count"] == 1.0
    assert s["exchange/mean_cosine"] == pytest.approx(1.0, abs=1e-5)
    assert s["exchange/d_norm_ratio"] == pytest.approx(1.0, abs=1e-5)
    assert 0 < s["exchange/fraction_paired"] < 1


def _plain(obj) -> bool:
    if isinstance(obj, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return all(_plain(v) for v in obj)
    return obj is None or isinstance(obj, (bool, int, float, str, torch.Tensor))


@pytest.mark.parametrize("variant", ["random-control", "random-fixed"])
@pytest.mark.parametrize("direction", ["g_to_d", "both"])
def test_state_dict_roundtrip_resumes_identically(variant, direction):
    G, D = mlp_g(), mlp_d()
    kwargs = dict(every=1, variant=variant, strength=0.3, direction=direction)
    ex = WeightExchange(G, D, seed=11, **kwargs)
    for step in (1, 2):
        ex.after_step("D", step)
        ex.after_step("G", step)
    buffer = io.BytesIO()
    torch.save({"exchange": ex.state_dict(), "G": G.state_dict(), "D": D.state_dict()}, buffer)
    G2, D2 = copy.deepcopy(G), copy.deepcopy(D)
    for step in (3, 4):
        ex.after_step("D", step)
        ex.after_step("G", step)

    buffer.seek(0)
    ckpt = torch.load(buffer, weights_only=True)
    assert _plain(ckpt["exchange"])
    G3, D3 = mlp_g(), mlp_d()
    G3.load_state_dict(ckpt["G"])
    D3.load_state_dict(ckpt["D"])
    resumed = WeightExchange(G3, D3, seed=999, **kwargs)  # a different seed: the state must win
    resumed.load_state_dict(ckpt["exchange"])
    assert resumed.count == (4 if direction == "both" else 2)
    for step in (3, 4):
        resumed.after_step("D", step)
        resumed.after_step("G", step)
    for name, value in D.named_parameters():
        assert torch.equal(D3.get_parameter(name), value), name
    for name, value in G.named_parameters():
        assert torch.equal(G3.get_parameter(name), value), name
    # without the state the continuation differs (the check above has teeth)
    fresh = WeightExchange(G2, D2, seed=999, **kwargs)
    for step in (3, 4):
        fresh.after_step("D", step)
    assert not torch.equal(D2[0].weight, D[0].weight)


def test_state_dict_rejects_foreign_pairing():
    G, D = mlp_g(), mlp_d()
    ex = WeightExchange(G, D, every=1, variant="random-fixed")
    ex.after_step("D", 1)
    state = ex.state_dict()
    other = WeightExchange(G, D, every=1, variant="random-fixed", pairing=[("2.weight", "2.weight")])
    with pytest.raises(ValueError, match="does not contain"):
        other.load_state_dict(state)


def test_constructor_validation():
    G, D = mlp_g(), mlp_d()
    with pytest.raises(ValueError, match="valid names"):
        WeightExchange(G, D, every=1, variant="nope")
    with pytest.raises(ValueError, match="direction"):
        WeightExchange(G, D, every=1, direction="d_to_g")
    with pytest.raises(ValueError, match="every"):
        WeightExchange(G, D, every=-1)
    with pytest.raises(ValueError, match=r"\(0, 1\]"):
        WeightExchange(G, D, every=1, strength=0.0)
    with pytest.raises(ValueError, match="more than one pair"):
        WeightExchange(G, D, every=1, direction="both", pairing=[("0.bias", "0.bias"), ("0.bias", "2.bias")])


def test_from_config_uses_game_coefficients():
    from hjgan_plugin.config import HJConfig

    G, D = mlp_g(), mlp_d()
    cfg = HJConfig(exchange_every=5, exchange_strength=0.1, exchange_variant="blend-norm", game=(1.0, 4.0, 0.5),
                   seed=7)
    ex = WeightExchange.from_config(G, D, cfg)
    assert (ex.every, ex.strength, ex.variant, ex.seed) == (5, 0.1, "blend-norm", 7)
    assert ex.alpha == pytest.approx(0.25) and ex.beta == pytest.approx(0.25)
    assert WeightExchange.from_config(G, D, cfg.replace(alpha=0.9)).alpha == 0.9


def test_spectral_norm_discriminator_pairs_its_raw_weight():
    from torch.nn.utils import parametrizations, spectral_norm

    G = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 2))
    D = nn.Sequential(spectral_norm(nn.Linear(2, 8)), nn.ReLU(), parametrizations.spectral_norm(nn.Linear(8, 8)),
                      nn.ReLU(), parametrizations.weight_norm(nn.Linear(8, 1)))
    report = resolve_pairs(G, D)
    assert report.pairs == [ParamPair("4.weight", "0.weight_orig", "transpose"),
                            ParamPair("2.weight", "2.parametrizations.weight.original", "transpose")]
    assert "no single weight parameter" in report.skipped[0][2]
    ex = WeightExchange(G, D, every=1, alpha=0.0, beta=1.0, strength=1.0)
    ex.after_step("D", 1)
    torch.testing.assert_close(D[2].parametrizations.weight.original, G[2].weight.t())
    torch.testing.assert_close(D[0].weight_orig, G[4].weight.t())
