"""Forecasts of a student's marks: «что нужно» (`need`) today; the period-mark model
and its backtest come next.
"""

from ejournal.domain.forecast.need import *  # noqa: F403 - the package's public face
