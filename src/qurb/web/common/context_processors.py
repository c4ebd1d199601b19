from typing import Any

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, Any]:
    """What every page shows: the emergency number, the map tiles and the data attribution."""
    return {
        "EMERGENCY_NUMBER": settings.EMERGENCY_NUMBER,
        "MAP_TILE_URL": settings.MAP_TILE_URL,
        "MAP_TILE_ATTRIBUTION": settings.MAP_TILE_ATTRIBUTION,
        # The map needs Leaflet (from npm); without it the pages still work from the list.
        "LEAFLET": settings.LEAFLET_DIST.is_dir(),
    }
