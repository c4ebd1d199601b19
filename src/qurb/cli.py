"""The `qurb` command: friendly names over Django's management commands."""

from __future__ import annotations

import os
import sys

ALIASES = {
    "load-areas": "load_areas",
    "triage-train": "triage_train",
    "triage-eval": "triage_eval",
    "triage-labels": "triage_labels",
    "generate-reports": "generate_reports",
}
USAGE = """usage: qurb COMMAND [ARGS]

  demo [--no-serve] [--port N]   prepare the demo database (Fès, Meknès) and serve it
                                 with the background worker (and Kannel, whose
                                 fakesmsc plays the phones, when it is installed)
  serve [--port N] [--worker]    serve the site (--worker: and run background tasks)
  worker [--batch]               run background tasks
  locate LAT LON                 areas containing a point, as JSON
  load-areas FILE [--commit]     load boundaries (GeoJSON/TopoJSON); dry run by default
  triage "TEXT" | --jsonl        suggested category, flags and confidence (JSON)
  triage-eval | triage-train [--extra FILE]
                                 evaluate on the held-out split | rebuild the model
  triage-labels                  staff confirmations and corrections, as JSON lines
  generate-reports --count N     synthetic reports in bulk (scale tests)
  insights rebuild | show CODE   recompute the daily counts | a district's hotspots,
                                 alerts and patrol windows as JSON
  sms --from NUMBER "TEXT"       text Qurb as a phone would (the SMS channel) and print
                                 its answers (through the demo's Kannel while it runs)
  messages digest daily|weekly   send the digests of neighbourhood messages (cron)
  apikey create NAME | list | revoke PREFIX
                                 partner keys for the JSON API and Open311
  any Django management command (migrate, createsuperuser, check, …)
"""


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help", "help"}:
        print(USAGE)
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qurb.config.settings")
    from django.core.management import execute_from_command_line

    command = ALIASES.get(args[0], args[0])
    execute_from_command_line(["qurb", command, *args[1:]])


if __name__ == "__main__":
    main()
