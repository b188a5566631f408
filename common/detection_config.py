"""Detection thresholds and weights: configuration, not code.

Stored in Firestore at ``config/detection`` (versioned, edited by admins through the API)
and read by the detector on every event, so a change takes effect without a redeploy.
The defaults are the design's: volume 3x baseline, author diversity > 0.6, average post
length > 100 characters, pump risk < 0.5.
"""

from pydantic import BaseModel, ConfigDict, Field


class DetectionConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    volume_ratio_min: float = Field(
        default=3.0, gt=1.0, description="1h/6h volume over baseline that counts as a spike"
    )
    surprise_min: float = Field(
        default=3.0, gt=0.0, description="minimum -log10 tail probability of the observed count under the baseline"
    )
    min_mentions_1h: int = Field(default=5, ge=1, description="fewer mentions than this in the window never alert")
    author_diversity_min: float = Field(default=0.6, ge=0.0, le=1.0, description="distinct authors / mentions")
    avg_length_min: float = Field(default=100.0, ge=0.0, description="average characters per mentioning text")
    min_subreddits: int = Field(default=1, ge=1, description="distinct subreddits in the window")
    pump_risk_max: float = Field(default=0.5, ge=0.0, le=1.0, description="alerts only below this pump risk")
    new_account_days: float = Field(default=30.0, gt=0.0, description="accounts younger than this are 'new'")
    cooldown_hours: float = Field(default=12.0, ge=0.0, description="quiet time after a resolved episode")
    escalation_step: float = Field(default=1.5, gt=1.0, description="score growth that escalates an open alert")
    shrinkage_prior_hours: float = Field(
        default=48.0, ge=0.0, description="pseudo-hours of the global rate mixed into a ticker's own baseline"
    )
    pump_weights: dict[str, float] = Field(
        default_factory=lambda: {
            "low_author_diversity": 0.3,
            "new_accounts": 0.25,
            "copy_paste": 0.25,
            "emoji_spam": 0.1,
            "cashtag_stuffing": 0.1,
        },
        description="weights of the pump-risk components (normalised to sum 1)",
    )


DEFAULT_CONFIG = DetectionConfig()
