"""``hjgan game``: the Eagle-Dove game's payoff matrix, equilibrium and weights alpha, beta."""
from __future__ import annotations

import json
from typing import Any

import click

from ..game import EagleDove
from ..options import DEFAULT_GAME, parse_game


def _game_from_options(v: float | None, c: float | None, split: float | None, game: str | None) -> EagleDove:
    if game is not None:
        if any(x is not None for x in (v, c, split)):
            raise click.UsageError("give either --game v,c,s or --v/--c/--split, not both")
        try:
            values = parse_game(game)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--game") from None
    else:
        values = tuple(d if x is None else x for x, d in zip((v, c, split), DEFAULT_GAME))
    try:
        return EagleDove(*values)
    except ValueError as exc:  # the game's own message names the bad parameter
        raise click.UsageError(str(exc)) from None


def game_summary(game: EagleDove) -> dict[str, Any]:
    """The game as plain JSON types: parameters, payoff matrix, equilibrium, alpha and beta."""
    p, q = game.equilibrium()
    alpha, beta = game.coefficients()
    matrix = game.payoff_matrix()
    return {
        "v": game.v,
        "c": game.c,
        "split": game.split,
        "strategies": ["Eagle", "Dove"],
        # payoffs[row][column] = [payoff to G (row player), payoff to D (column player)]
        "payoffs": matrix.tolist(),
        "equilibrium": {
            "kind": "mixed" if game.c > game.v else "pure",
            "p_G_eagle": p,
            "q_D_eagle": q,
        },
        "alpha": alpha,
        "beta": beta,
    }


@click.command()
@click.option("--v", "v", type=float, default=None, help="value v > 0 (default 1)")
@click.option("--c", "c", type=float, default=None, help="cost c > 0 (default 2)")
@click.option("--split", "split", type=float, default=None, help="split s in (0, 1) (default 0.5; the paper's k)")
@click.option("--game", "game", type=str, default=None, metavar="V,C,S",
              help="the three parameters at once, as --hj-game takes them (e.g. 1,2,0.5)")
@click.option("--json", "as_json", is_flag=True, help="print a JSON object instead of text")
def game(v: float | None, c: float | None, split: float | None, game: str | None, as_json: bool) -> None:
    """Eagle-Dove game (docs/design.md §3): payoff matrix, equilibrium and the Eq. 15 weights alpha, beta."""
    g = _game_from_options(v, c, split, game)
    if as_json:
        click.echo(json.dumps(game_summary(g), indent=2))
    else:
        click.echo(g.describe())
