"""The dataset folder's names and build settings: one place for every module to read.

Folder (format dlip-candles-2):

    dataset.json      meta: settings, cuts, bucket edges, sources, partitions, content hash
    tokenizer.json    bin edges and centres (fitted on training bars only)
    vocabulary.json   every token in words
    card.json/.md     the dataset card
    bars/part-NNNNNN.parquet   one file per symbol, in table order (listed in dataset.json)

Format dlip-candles-1 (one bars.parquet) is still read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dlip.market.features import FEATURES, FeatureSettings
from dlip.market.splits import SplitSettings

FORMAT = "dlip-candles-2"
READABLE_FORMATS = ("dlip-candles-1", FORMAT)
TABLE_FILE = "bars.parquet"  # format 1
PARTITIONS_DIR = "bars"
META_FILE = "dataset.json"
TOKENIZER_FILE = "tokenizer.json"
VOCABULARY_FILE = "vocabulary.json"
CARD_MD = "card.md"
CARD_JSON = "card.json"

HORIZON = 5
# Intraday datasets (bars closer than a day on the union calendar, by the median gap):
# a bar more than SESSION_GAP_MINUTES after the one before opens a session.
SESSION_GAP_MINUTES = 30
RETURN_QUANTILES = (0.2, 0.4, 0.6, 0.8)
RANGE_QUANTILES = (1 / 3, 2 / 3)

# The table's columns, in order (every engine writes exactly these).
COLUMNS = ("symbol", "timestamp", "position", "open", "high", "low", "close", "volume",
           "scale", *FEATURES, "gap_masked", "valid", "token", "split", "target_in_split",
           "next_direction", "next_return_bucket", "next_range_bucket", "next_return",
           "fwd_return_5")
INTRADAY_COLUMNS = (*COLUMNS, "session_open")


def partition_file(index: int) -> str:
    return f"{PARTITIONS_DIR}/part-{index:06d}.parquet"


@dataclass(frozen=True)
class BuildSettings:
    features: FeatureSettings = field(default_factory=FeatureSettings)
    splits: SplitSettings = field(default_factory=SplitSettings)

    def to_dict(self) -> dict:
        return {"features": self.features.to_dict(), "splits": self.splits.to_dict(),
                "horizon": HORIZON}


DEFAULT_SETTINGS = BuildSettings()
