"""Pump risk, 0..1: how much a burst of talk looks manufactured rather than grown.

Each component maps one window share to 0..1 (0 = nothing suspicious, 1 = as bad as the
config says it gets) and the config's weights combine them. Copy-paste far past its full
share is decisive alone: a weighted sum would let aged accounts pasting one post hide it.
Every number lands in the alert, so a user can see *why* a ticker was flagged.
"""

from dataclasses import dataclass

from common.detection_config import DetectionConfig
from common.windows import WindowStats


@dataclass(frozen=True)
class PumpRisk:
    risk: float
    components: dict[str, float]


def _ramp(value: float, full: float) -> float:
    return max(0.0, min(1.0, value / full))


def low_diversity(author_diversity: float, *, low: float, healthy: float) -> float:
    """1 at or below ``low`` distinct authors per mention, 0 at ``healthy`` and above."""
    if author_diversity <= low:
        return 1.0
    if author_diversity >= healthy or healthy <= low:
        return 0.0
    return (healthy - author_diversity) / (healthy - low)


def components(stats: WindowStats, config: DetectionConfig) -> dict[str, float]:
    return {
        "low_author_diversity": low_diversity(
            stats.author_diversity, low=config.pump_diversity_low, healthy=config.author_diversity_min
        ),
        "new_accounts": _ramp(stats.new_account_share, config.pump_new_account_share_full),
        "copy_paste": _ramp(stats.duplicate_share, config.pump_copy_paste_share_full),
        "emoji_spam": _ramp(stats.emoji_share, config.pump_emoji_share_full),
        "cashtag_stuffing": _ramp(stats.cashtag_stuffed_share, config.pump_cashtag_share_full),
    }


def pump_risk(stats: WindowStats, config: DetectionConfig) -> PumpRisk:
    parts = components(stats, config)
    weights = config.pump_weights
    total = sum(weights.values())
    risk = sum(weights.get(name, 0.0) * value for name, value in parts.items()) / total if total else 0.0
    risk = round(min(1.0, max(0.0, risk)), 6)
    if stats.duplicate_share >= config.pump_copy_paste_decisive:
        # after the rounding: the bar itself, not six decimals of it, is what the rules compare
        risk = max(risk, config.pump_risk_max)
    return PumpRisk(risk, {k: round(v, 6) for k, v in parts.items()})
