"""Smoke mode: every benchmark at tiny sizes, every phase still run and its figures printed.

``--smoke`` on the command line, or ``QURB_BENCH_SMOKE=1`` in the environment, turns it on
(``make bench-smoke`` runs them all this way, and CI with it): a benchmark that no longer runs
fails there. Smoke sizes only change the defaults; options given explicitly still win. The
figures at these sizes say nothing about the targets: a smoke run fails on a crash or a wrong
answer, never on a missed target.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

ENV = "QURB_BENCH_SMOKE"


def smoke_requested(argv: Sequence[str] | None = None) -> bool:
    args = sys.argv[1:] if argv is None else argv
    return "--smoke" in args or os.environ.get(ENV, "").strip().lower() in {"1", "true", "yes"}


def add_smoke(
    parser: argparse.ArgumentParser, argv: Sequence[str] | None = None, **sizes: Any
) -> None:
    """Add ``--smoke`` to ``parser``; when smoke is asked for, ``sizes`` become the defaults."""
    smoke = smoke_requested(argv)
    parser.add_argument(
        "--smoke",
        action="store_true",
        default=smoke,
        help=f"tiny sizes, a few seconds (also {ENV}=1): checks that every phase still runs",
    )
    if smoke:
        parser.set_defaults(**sizes)
        print(f"smoke mode: {', '.join(f'{k}={v}' for k, v in sizes.items())}", flush=True)
