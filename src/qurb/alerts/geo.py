"""Which subscribers an alert reaches: its circle meets their circle, or their district."""

from __future__ import annotations

import math

from django.conf import settings
from shapely.geometry import Polygon, shape

from qurb.areas.models import Boundary

EARTH_KM = 6371.0088
KM_PER_DEGREE = math.pi * EARTH_KM / 180


def circle(lat: float, lon: float, radius_km: float, steps: int = 72) -> Polygon:
    """The circle as a polygon (lon, lat), drawn with great-circle destinations."""
    phi, lam, delta = math.radians(lat), math.radians(lon), radius_km / EARTH_KM
    points = []
    for i in range(steps):
        theta = 2 * math.pi * i / steps
        phi2 = math.asin(
            math.sin(phi) * math.cos(delta) + math.cos(phi) * math.sin(delta) * math.cos(theta)
        )
        lam2 = lam + math.atan2(
            math.sin(theta) * math.sin(delta) * math.cos(phi),
            math.cos(delta) - math.sin(phi) * math.sin(phi2),
        )
        points.append((math.degrees(lam2), math.degrees(phi2)))
    return Polygon(points)


def districts_meeting(lat: float, lon: float, radius_km: float) -> list[int]:
    """The districts (of the active boundaries) whose outline meets the alert's circle."""
    disc = circle(lat, lon, radius_km)
    rows = Boundary.objects.filter(
        generation__active=True, area__type__code=settings.REPORT_AREA_TYPE
    ).values_list("area_id", "geometry")
    return sorted({area_id for area_id, geometry in rows if shape(geometry).intersects(disc)})


def bounding_box(lat: float, lon: float, reach_km: float) -> tuple[float, float, float, float]:
    """Latitude and longitude bounds that contain every point within ``reach_km``."""
    dlat = reach_km / KM_PER_DEGREE
    cos = max(math.cos(math.radians(min(abs(lat) + dlat, 89.9))), 1e-6)
    dlon = min(reach_km / (KM_PER_DEGREE * cos), 180.0)
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon


def areas_meeting(lat: float, lon: float, radius_km: float) -> list[int]:
    """Every area (of any type: prefecture, district, neighbourhood) of the active boundaries
    whose outline meets the alert's circle: who neighbourhood subscriptions reach. The bounding
    boxes cut the candidates in SQL first."""
    disc = circle(lat, lon, radius_km)
    south, north, west, east = bounding_box(lat, lon, radius_km)
    rows = Boundary.objects.filter(
        generation__active=True,
        max_lat__gte=south,
        min_lat__lte=north,
        max_lon__gte=west,
        min_lon__lte=east,
    ).values_list("area_id", "geometry")
    return sorted({area_id for area_id, geometry in rows if shape(geometry).intersects(disc)})
