"""Rebuild Qurb's labelled triage corpus (``src/qurb/language/data/corpus/*.jsonl``).

``python scripts/build_triage_corpus.py`` runs ``qurb.language.corpus_builder`` from this
checkout (standard library only: no virtual environment or Django needed). The builder lives
in the language app; the hand-written fragments are in
``src/qurb/language/data/fragments/<form>.toml``.
"""

from __future__ import annotations

import sys
from pathlib import Path

# This checkout's sources first, even when another Qurb is installed.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from qurb.language.corpus_builder import main

if __name__ == "__main__":
    main()
