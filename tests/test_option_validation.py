"""One validator for every option: each built-in and plugin option refuses a wrong type, NaN, ±inf, an
out-of-range number or an unknown choice with a message naming its field and flag, on every entry point
(``HJConfig``, ``from_dict``, ``attach``, argparse, click); in-range values are accepted as given. A refused
``attach`` or ``load_state_dict`` changes nothing."""
from __future__ import annotations

import argparse
import math
import re

import click
import pytest
import torch
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn

import hjgan_plugin as hj
from hjgan_plugin.config import HJConfig
from hjgan_plugin.options import BUILTIN_OPTIONS, Option, Range, parse_bool, parse_game, parse_layers
from hjgan_plugin.plugin_manager import get_plugin_manager, make_plugin_manager, plugin_options

OPTIONS = [*BUILTIN_OPTIONS, *plugin_options(make_plugin_manager(load_entrypoints=False))]  # what the tests see
NUMBERS = (float, int)
FEW = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _outside(rng: Range, integer: bool) -> st.SearchStrategy:
    """Finite numbers just or far outside ``rng``."""
    low, high, low_open, high_open = rng.bounds
    sides = []
    if math.isfinite(low):
        edge = st.just(int(low) if integer else low) if low_open else st.nothing()
        below = st.integers(max_value=math.ceil(low) - 1) if integer else st.floats(max_value=low, exclude_max=True,
                                                                                   allow_nan=False, allow_infinity=False)
        sides += [edge, below]
    if math.isfinite(high):
        edge = st.just(int(high) if integer else high) if high_open else st.nothing()
        above = st.integers(min_value=math.floor(high) + 1) if integer else st.floats(min_value=high, exclude_min=True,
                                                                                     allow_nan=False, allow_infinity=False)
        sides += [edge, above]
    return st.one_of(sides) if sides else st.nothing()


def bad_values(option: Option) -> st.SearchStrategy:
    """Values ``option`` must refuse."""
    wrong_type = st.sampled_from([object(), [1, 2], {"a": 1}, b"bytes"])
    parse = option.parse
    if parse is float:
        out = [wrong_type, st.sampled_from([math.nan, math.inf, -math.inf, "nan", "inf", "-inf", True]),
               st.text(max_size=5).filter(lambda t: _not_a_float(t))]
    elif parse is int:
        out = [wrong_type, st.floats().filter(lambda x: not (math.isfinite(x) and x.is_integer())), st.just(False),
               st.text(max_size=5).filter(_not_an_int)]
    elif parse is parse_bool:
        out = [wrong_type, st.integers().filter(lambda i: i not in (0, 1)), st.floats(),
               st.text(max_size=5).filter(lambda t: t.strip().lower() not in ("1", "0", "true", "false", "yes", "no", "on", "off"))]
    elif parse is parse_game:
        out = [wrong_type, st.just(5), st.just((1.0, 2.0)), st.sampled_from([(1, 2, math.nan), (math.inf, 2, 0.5)]),
               st.just("1,2")]
    elif parse is parse_layers:
        out = [st.sampled_from([object(), 5, "", " , ", (), ("ok", 3)])]
    else:  # text options
        out = [st.sampled_from([object(), 5, 1.5, None, True])]
    if option.range is not None:
        out.append(_outside(option.range, parse is int))
    if option.choices is not None:
        out.append(st.text(max_size=8).filter(lambda t: t not in option.choices))
    return st.one_of(out)


def _not_an_int(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return True
    return False


def _not_a_float(text: str) -> bool:
    try:
        return not math.isfinite(float(text))
    except ValueError:
        return True


@pytest.mark.parametrize("option", OPTIONS, ids=[o.field for o in OPTIONS])
@FEW
@given(data=st.data())
def test_every_bad_value_is_refused_by_field_and_flag(option, data):
    value = data.draw(bad_values(option), label=option.field)
    with pytest.raises(ValueError) as refused:
        HJConfig.from_dict({option.field: value})
    assert f"{option.flag} ({option.field})" in str(refused.value)


def _inside(option: Option) -> st.SearchStrategy:
    low, high, low_open, high_open = option.range.bounds
    if option.parse is int:
        return st.integers(min_value=int(low) + low_open if math.isfinite(low) else -10**6,
                           max_value=int(high) - high_open if math.isfinite(high) else 10**6)
    return st.floats(min_value=low if math.isfinite(low) else -1e6, max_value=high if math.isfinite(high) else 1e6,
                     exclude_min=low_open, exclude_max=high_open, allow_nan=False)


RANGED = [o for o in OPTIONS if o.range is not None and o.parse in NUMBERS]


@pytest.mark.parametrize("option", RANGED, ids=[o.field for o in RANGED])
@FEW
@given(data=st.data())
def test_every_in_range_number_is_accepted_as_given(option, data):
    value = data.draw(_inside(option), label=option.field)
    config = HJConfig.from_dict({option.field: value})
    assert config.getoption(option.field) == value
    assert HJConfig.from_dict({option.field: repr(value)}).getoption(option.field) == value  # as flag text


@pytest.mark.parametrize("field,value", [("interval", 1.5), ("epsilon", math.inf), ("lambda_h", math.nan),
                                         ("alpha", math.nan), ("warmup", math.nan), ("topk_nu", 1.5),
                                         ("spectral_norm", 2), ("unbiased", "maybe"), ("game", 5), ("interval", "4.5")])
def test_the_silent_ones_are_refused_on_every_entry_point(field, value):
    option = next(o for o in OPTIONS if o.field == field)
    named = f"{option.flag} ({field})"
    G = nn.Linear(3, 4)
    with pytest.raises(ValueError, match=re.escape(named)):
        hj.attach(G, **{field: value})
    with pytest.raises(ValueError, match=re.escape(named)):
        if option.plugin is None:
            HJConfig(**{field: value})
        else:  # a plugin's option set on a config that holds it
            HJConfig.from_dict({}, plugin_manager=get_plugin_manager()).replace(**{field: value})
    parser = HJConfig.add_argparse_args(argparse.ArgumentParser(prog="train"))
    with pytest.raises(SystemExit) as exited:
        parser.parse_args([option.flag, str(value)])
    assert exited.value.code == 2

    @click.command()
    @HJConfig.click_options(switch="int")
    def train(**kwargs):
        HJConfig.from_click(kwargs)

    result = CliRunner().invoke(train, ["--hj=1", option.flag, str(value)])
    assert result.exit_code == 2 and named in result.output and "Traceback" not in result.output


def test_text_is_parsed_as_its_flag_would_be():
    config = HJConfig.from_dict({"interval": "4", "unbiased": "no", "game": "1,2,0.5", "layers": "a, b"})
    assert (config.interval, config.unbiased, config.game, config.layers) == (4, False, (1.0, 2.0, 0.5), ("a", "b"))


def test_help_shows_each_range():
    subbatch = next(o for o in OPTIONS if o.field == "subbatch")
    assert subbatch.help_text.endswith("(default 1.0; in (0, 1])")
    with pytest.raises(ValueError, match="range 'between 0 and 1'"):
        Range("between 0 and 1")


# ----------------------------------------------------------------------------- a refused call changes nothing
def _nets():
    torch.manual_seed(0)
    G = nn.Sequential(nn.Linear(3, 8), nn.LeakyReLU(0.2), nn.Linear(8, 4))
    D = nn.Sequential(nn.Linear(4, 8), nn.LeakyReLU(0.2), nn.Linear(8, 1))
    return G, D


def _snapshot(module: nn.Module) -> tuple:
    return (list(module.state_dict()), [v.clone() for v in module.state_dict().values()],
            [id(p) for p in module.parameters()], [type(m) for m in module.modules()])


def _same(a: tuple, b: tuple) -> bool:
    return a[0] == b[0] and all(torch.equal(x, y) for x, y in zip(a[1], b[1])) and a[2:] == b[2:]


@pytest.mark.parametrize("extra", [
    {},  # the exchange without D's optimizer: refused before any plugin runs
    {"pairs": [("missing", "missing")], "optimizer_D": True},  # refused by the pairing, after spectral norm ran
    {"topk_nu": 0.5, "optimizer_D": True},  # refused by a plugin (generic adapter: no per-sample loss)
])
def test_a_refused_attach_leaves_G_and_D_bit_identical(extra):
    G, D = _nets()
    before = _snapshot(G), _snapshot(D)
    extra = dict(extra)
    if extra.pop("optimizer_D", False):
        extra["optimizer_D"] = torch.optim.Adam(D.parameters())
    with pytest.raises(ValueError):
        hj.attach(G, D, spectral_norm=True, exchange_every=1, **extra)
    assert _same(_snapshot(G), before[0]) and _same(_snapshot(D), before[1])
    D.load_state_dict(nn.Sequential(nn.Linear(4, 8), nn.LeakyReLU(0.2), nn.Linear(8, 1)).state_dict())  # still plain


@pytest.mark.parametrize("damage", ["steps", "penalty_calls", "exchange", "exchange.count", "negative", "float"])
def test_a_refused_load_state_dict_changes_nothing(damage):
    G, D = _nets()
    session = hj.attach(G, D, optimizer_D=torch.optim.Adam(D.parameters()), exchange_every=1)
    saved = session.state_dict()
    donor = hj.attach(*_nets(), optimizer_D=torch.optim.Adam(D.parameters()), exchange_every=1)
    donor.steps = {"G": 7, "D": 9}
    state = donor.state_dict()
    if damage == "exchange.count":
        del state["exchange"]["count"]
    elif damage == "exchange":
        state["exchange"] = None
    elif damage == "negative":
        state["steps"]["G"] = -1
    elif damage == "float":
        state["penalty_calls"] = 1.5
    else:
        del state[damage]
    with pytest.raises(ValueError, match="state"):
        session.load_state_dict(state)
    after = session.state_dict()
    assert after["steps"] == saved["steps"] and after["penalty_calls"] == saved["penalty_calls"]
    assert after["exchange"]["count"] == saved["exchange"]["count"]
    assert torch.equal(after["exchange"]["generator_state"], saved["exchange"]["generator_state"])
