"""The preview's replay: the detector's backtest core (``common.detection.backtest.preview``)
run over recently stored hourly buckets with the given configs. Bound here so the route only
sees "config, symbols, range in; alert documents out"."""

from typing import Any

from common.detection.backtest import history_hours, preview
from common.detection_config import DetectionConfig
from common.metrics import bucket_from_doc
from common.settings import Settings
from functions.api.services import Backtest
from functions.api.store import Store


def make_backtest(settings: Settings, store: Store) -> Backtest | None:
    del settings

    def backtest(
        configs: list[DetectionConfig], symbols: list[str], start_utc: int, end_utc: int
    ) -> list[list[dict[str, Any]]]:
        """Each config's alerts live in [start, end], replayed from the history production
        judged those hours with (read once for every config), warmed up as production was."""
        first = start_utc - max(history_hours(c) for c in configs) * 3600
        buckets = {
            symbol: {str(doc["hour"]): bucket_from_doc(doc) for doc in store.hours(symbol, first, end_utc)}
            for symbol in symbols
        }
        budgets, began = store.spent_budgets(first, end_utc), store.collection_began()
        return [
            [
                alert.to_doc()
                for alert in preview(
                    buckets, config, None, float(end_utc + 3599), budgets, since=float(start_utc), began=began
                )
            ]
            for config in configs
        ]

    return backtest
