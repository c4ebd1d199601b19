"""Triage speed and quality on the held-out split.

Speed: reports triaged per second on one core (the process is pinned to one CPU when the
platform allows), in batches and one at a time, over the held-out texts repeated.
Quality: macro-F1 over the categories per writing form (target >= 0.85 in every form) and
recall of the `weapon` and `in_progress` flags (target >= 0.9).

    python bench/triage.py [--seconds 5] [--batch 512] [--smoke]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import django

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # `bench.smoke`
from bench.smoke import add_smoke

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qurb.config.settings")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--batch", type=int, default=512)
    add_smoke(parser, seconds=0.3)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    django.setup()
    from qurb.language.training import corpus, evaluate
    from qurb.language.triage import TriageModel, triage_batch, triage_model

    started = time.perf_counter()
    TriageModel.load()
    load_seconds = time.perf_counter() - started
    model = triage_model()
    examples = corpus("test")
    texts = [e.text for e in examples]
    triage_batch(texts[:100], model)  # warm-up

    def rate(batch: int) -> tuple[float, int]:
        done, begin = 0, time.process_time()
        wall = time.perf_counter()
        while time.perf_counter() - wall < args.seconds:
            for i in range(0, len(texts), batch):
                triage_batch(texts[i : i + batch], model)
            done += len(texts)
        return done / (time.process_time() - begin), done

    batch_rate, batch_n = rate(args.batch)
    single_rate, single_n = rate(1)
    report = evaluate(examples)
    print(f"model load: {load_seconds * 1000:.0f} ms")
    print(f"held-out texts: {len(texts)}; CPU time on one core")
    print(f"  batch of {args.batch}: {batch_rate:,.0f} reports/s ({batch_n} triaged)")
    print(f"  one at a time:  {single_rate:,.0f} reports/s ({single_n} triaged)")
    print(f"  speed target (>= 2,000/s in batch): {'PASS' if batch_rate >= 2000 else 'FAIL'}")
    print("quality on the held-out split")
    ok = True
    for form, data in report["forms"].items():
        passed = data["macro_f1"] >= 0.85
        ok &= passed
        print(f"  {form:<12} macro-F1 {data['macro_f1']:.3f}  {'PASS' if passed else 'FAIL'}")
    for flag in ("weapon", "in_progress"):
        recall = report["flags"][flag].recall
        ok &= recall >= 0.9
        print(f"  {flag:<12} recall {recall:.3f}  {'PASS' if recall >= 0.9 else 'FAIL'}")
    print(f"quality targets: {'PASS' if ok else 'FAIL'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
