import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from qurb.areas.models import Area
from qurb.insights.selectors import district_picture, last_days, patrol_windows, trends
from qurb.reports.rollup import rebuild


class Command(BaseCommand):
    help = (
        "Insights: 'rebuild' recomputes the daily counts from the reports (after a change of "
        "QURB_HOTSPOT_RESOLUTION or a bulk load); 'show CODE' prints a district's hotspots, "
        "alerts and patrol windows as JSON."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["rebuild", "show"])
        parser.add_argument("code", nargs="?", help="district code (for show)")
        parser.add_argument("--days", type=int, default=90)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "rebuild":
            cells, hours = rebuild()
            self.stdout.write(f"daily counts rebuilt: {cells:,} hexagon rows, {hours:,} hour rows")
            return
        district = Area.objects.filter(code=options["code"] or "").first()
        if district is None:
            raise CommandError("give the code of a district, e.g. qurb insights show 032310101")
        picture = district_picture(district, last_days(options["days"]))
        out = {
            "district": district.code,
            "since": picture.period.since.isoformat(),
            "until": picture.period.until.isoformat(),
            "reports": picture.total,
            "hotspots": [
                {"cell": h.h3, "reports": h.count, "z": round(h.z, 2), "q": h.q}
                for h in picture.hotspots
            ],
            "hours_of_week": picture.hours.tolist(),
            "alerts": [
                {
                    "category": a.category,
                    "area": a.area.code,
                    "recent": a.recent,
                    "baseline": a.baseline,
                    "ratio": round(a.ratio, 2),
                    "q": a.q,
                }
                for a in trends(district).alerts
            ],
            "patrol_windows": [
                {
                    "rank": w.rank,
                    "place": w.label,
                    "starts_at": w.starts_at.isoformat(),
                    "ends_at": w.ends_at.isoformat(),
                    "reports": w.reports,
                    "expected": round(w.expected, 2),
                    "q": w.q,
                }
                for w in patrol_windows(district)
            ],
        }
        self.stdout.write(json.dumps(out, ensure_ascii=False, indent=2))
