"""Bad input is reported as data (where, row, reason), never as a traceback."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: the file (or source), the row, and why."""

    source: str
    reason: str
    row: int | None = None  # the line in a CSV file (header is line 1), else 1-based row
    row_label: str = "line"

    def __str__(self) -> str:
        where = f"{self.source}:{self.row_label} {self.row}" if self.row else self.source
        return f"{where}: {self.reason}"


class MarketDataError(ValueError):
    """Raised with every problem found, so the user fixes them all in one go."""

    def __init__(self, problems: list[Problem] | str):
        if isinstance(problems, str):
            problems = [Problem(source="input", reason=problems)]
        self.problems = list(problems)
        self.hidden = 0  # problems counted but not kept (a huge file's are capped)
        super().__init__(self.summary())

    def summary(self, limit: int = 50) -> str:
        lines = [str(p) for p in self.problems[:limit]]
        more = max(len(self.problems) - limit, 0) + self.hidden
        if more:
            lines.append(f"... and {more:,} more problems")
        return "\n".join(lines)
