"""Exceptions and warnings raised by hjgan_plugin."""


class NondeterministicGeneratorError(RuntimeError):
    """G's output changed between two identical calls, so finite differences would measure noise."""


class NonFinitePenaltyWarning(RuntimeWarning):
    """A penalty (or an exchange) produced NaN/inf; the step's term was skipped."""


class LowPrecisionWarning(UserWarning):
    """G's activations are float16/bfloat16: second differences lose digits to rounding."""
