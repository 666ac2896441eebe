"""What ``--hj`` runs at on each PyTorch-GAN script, and what it warns about: the scripts' measured defaults
(``hjgan_pytorch_gan.adapters.DEFAULTS``), where they are shown, and the trade-off warning."""
from __future__ import annotations

import argparse

import pytest
from click.testing import CliRunner

from hjgan_plugin.cli import main as cli_main
from hjgan_pytorch_gan import hj
from hjgan_pytorch_gan.adapters import registered
from test_pytorch_gan_adapter import adam, networks, options

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.mark.parametrize("model, measured", [("acgan", "IS-fashion 1.85 -> 1.00 (collapsed)"),
                                             ("dcgan", "cost 1.6-4.2x a plain iteration")])
def test_hj_at_its_defaults_warns_with_what_was_measured_on_the_script(model, measured):
    from hjgan_plugin.errors import TradeOffWarning

    G, D, extra = networks(model)
    with pytest.warns(TradeOffWarning, match=f"--hj on pytorch-gan[a-z-]* at its default weights: measured") as got:
        hj.attach(options("--hj"), G, D, adam(G), adam(D), model=model, **extra)
    assert measured in str(got[0].message) and "no setting has been shown to raise disentanglement" in str(got[0].message)


@pytest.mark.parametrize("argv", [("--hj", "--hj-lambda-h", "0.01"), ("--hj", "--hj-penalty", "none"),
                                  ("--hj", "--hj-layers", "conv_blocks.4")])
def test_a_tuned_or_penalty_free_setting_is_not_warned_about(argv):
    import warnings

    from hjgan_plugin.errors import TradeOffWarning

    G, D, extra = networks("dcgan")
    with warnings.catch_warnings():
        warnings.simplefilter("error", TradeOffWarning)
        hj.attach(options(*argv), G, D, adam(G), adam(D), model="dcgan", **extra)


def test_gan_runs_at_its_measured_defaults_and_a_given_flag_wins():
    from hjgan_pytorch_gan.adapters import DEFAULTS

    G, D, _ = networks("gan")
    with pytest.warns(Warning, match="at its default weights: measured on gan .* they raise MIG 0.03 -> 0.10"):
        config = hj.attach(options("--hj"), G, D, adam(G), adam(D), model="gan").session.config
    assert dict(DEFAULTS["gan"]) == {"layers": ("model.4", "model.7", "model.10", "output"), "lambda_h": 1e-4,
                                     "lambda_j": 1e-7, "interval": 4}
    assert (config.layers, config.lambda_h, config.lambda_j, config.interval) == (
        ("model.4", "model.7", "model.10", "output"), 1e-4, 1e-7, 4)
    # a flag given on the command line is taken as given, even at the built-in default's value
    config = hj.attach(options("--hj", "--hj-layers", "output", "--hj-lambda-h", "0.1"), G, D, adam(G), adam(D),
                       model="gan").session.config
    assert (config.layers, config.lambda_h, config.lambda_j, config.interval) == (("output",), 0.1, 1e-7, 4)
    config = hj.attach(options("--hj"), G, D, adam(G), adam(D), model="gan", interval=1).session.config
    assert config.interval == 1  # attach()'s own overrides win too
    # dcgan has no measured defaults: the built-in ones
    G, D, extra = networks("dcgan")
    with pytest.warns(Warning):
        config = hj.attach(options("--hj"), G, D, adam(G), adam(D), model="dcgan", **extra).session.config
    assert (config.layers, config.lambda_h) == (("output",), 0.1)


def test_the_scripts_defaults_are_shown_by_help_and_hjgan_plugins():
    parser = argparse.ArgumentParser()
    hj.add_options(parser)
    text = parser.format_help()
    assert "these scripts run --hj at their measured defaults unless the flag is given" in text
    assert "gan: --hj-layers=model.4,model.7,model.10,output --hj-lambda-h=0.0001 --hj-lambda-j=1e-07 " \
           "--hj-interval=4" in text
    plain = next(a for a in registered() if a.name == "pytorch-gan")
    assert not plain.defaults  # a loop of one's own that picks the adapter by name is not the gan script
    assert "gan's script runs at --hj-layers=model.4,model.7,model.10,output" in plain.description
    done = CliRunner().invoke(cli_main, ["plugins"])
    assert "gan's script runs at --hj-layers=model.4" in done.output
