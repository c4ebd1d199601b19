"""Rate-limit values (plain data, importable from settings)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Limit:
    count: int
    window_seconds: int
