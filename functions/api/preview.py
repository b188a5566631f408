"""The preview's replay: the detector's backtest core (``common.detection.backtest.preview``)
run over recently stored hourly buckets with a given config. Bound here so the route only
sees "config, symbols, range in; alert documents out"."""

from typing import Any

from common.detection.backtest import preview
from common.detection_config import DetectionConfig
from common.metrics import bucket_from_doc
from common.settings import Settings
from functions.api.services import Backtest
from functions.api.store import Store


def make_backtest(settings: Settings, store: Store) -> Backtest | None:
    del settings

    def backtest(config: DetectionConfig, symbols: list[str], start_utc: int, end_utc: int) -> list[dict[str, Any]]:
        buckets = {
            symbol: {str(doc["hour"]): bucket_from_doc(doc) for doc in store.hours(symbol, start_utc, end_utc)}
            for symbol in symbols
        }
        alerts = preview(buckets, config, None, float(end_utc + 3599), store.spent_budgets(start_utc, end_utc))
        return [alert.to_doc() for alert in alerts]

    return backtest
