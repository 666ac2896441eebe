"""Built-in plugin: the four weight-exchange rules (``blend``, ``blend-norm`` and the two random controls)."""
from __future__ import annotations

from typing import Mapping

from ..exchange.rules import BUILTIN_RULES, ExchangeRule
from ..hookspecs import hookimpl


@hookimpl
def hjgan_exchange_rules() -> Mapping[str, ExchangeRule]:
    return BUILTIN_RULES
