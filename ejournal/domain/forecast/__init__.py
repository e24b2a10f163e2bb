"""Forecasts of a student's marks: «что нужно» (`need`), the period-mark model (`features`,
`model`), its backtest against the period marks actually set (`backtest`), the journal as
cases (`history`), a school's CSV archive (`archive`) and the services (`service`).
"""

from ejournal.domain.forecast.archive import *  # noqa: F403 - the package's public face
from ejournal.domain.forecast.backtest import *  # noqa: F403
from ejournal.domain.forecast.features import *  # noqa: F403
from ejournal.domain.forecast.model import *  # noqa: F403
from ejournal.domain.forecast.need import *  # noqa: F403
from ejournal.domain.forecast.service import *  # noqa: F403
