import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from qurb.areas.selectors import area_properties, areas_at


class Command(BaseCommand):
    help = "Print, as JSON, the areas containing a point (outermost first)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("lat", type=float)
        parser.add_argument("lon", type=float)

    def handle(self, *args: Any, **options: Any) -> None:
        lat, lon = options["lat"], options["lon"]
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise CommandError("Latitude must be within -90..90 and longitude within -180..180.")
        found = areas_at(lat=lat, lon=lon)
        payload = [
            {
                k: v
                for k, v in area_properties(a).items()
                if k in {"code", "type", "names", "name", "id", "demo"}
            }
            for a in found
        ]
        self.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2))
