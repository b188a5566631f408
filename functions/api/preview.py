"""The preview's replay: the detector's backtest core run over recently stored hourly
buckets with a given config. Bound here so the route stays independent of how the core
is shaped."""

from common.settings import Settings
from functions.api.services import Backtest
from functions.api.store import Store


def make_backtest(settings: Settings, store: Store) -> Backtest | None:
    """None while the detector's backtest core has not landed: the route answers 503."""
    del settings, store
    return None
