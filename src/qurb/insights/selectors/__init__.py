"""Reads for the insights: hotspots, hours of the week, schools, trends and patrol windows.

Hotspots, hours and the district trends read the daily counts kept beside the reports
(``reports.CellDay`` and ``reports.HourDay``); places finer than a district (a hexagon's
hours, a school's surroundings, a neighbourhood's trend) read the reports themselves through
the ``(district, seen_on)`` index. The statistics are in ``insights.stats``.

One module per analysis; every public name is re-exported here, so that callers import from
``qurb.insights.selectors``:

- ``scope``: the districts a user may read;
- ``periods``: periods of days, and the filter over the daily counts;
- ``hours``: the hour-of-week profile of districts and neighbourhoods;
- ``hotspots``: Gi* hotspots, and a district's picture (hotspots and hours);
- ``schools``: reports near schools, in and out of their entry and exit windows;
- ``emerging``: emerging problems (the trends);
- ``patrols``: patrol windows for the coming week;
- ``figures``: the public counts, small ones withheld.
"""

from qurb.insights.selectors.emerging import TrendAlert, Trends, trends
from qurb.insights.selectors.figures import PublicCount, public_counts, synthetic_share
from qurb.insights.selectors.hotspots import (
    HexStat,
    Picture,
    StudyArea,
    district_picture,
    hex_counts,
    hotspot_analysis,
    study_area,
)
from qurb.insights.selectors.hours import area_hours, hour_counts
from qurb.insights.selectors.patrols import (
    WEEKDAY_NAMES,
    PatrolWindow,
    hexagon_name,
    hexagon_names,
    patrol_windows,
)
from qurb.insights.selectors.periods import HOURS_IN_WEEK, Period, last_days, today
from qurb.insights.selectors.schools import (
    SCHOOL_CELL_RESOLUTION,
    SchoolStat,
    school_stats,
    school_windows,
    schools_in,
    window_hours,
)
from qurb.insights.selectors.scope import active_districts, districts_for, groups_for

__all__ = [
    "HOURS_IN_WEEK",
    "SCHOOL_CELL_RESOLUTION",
    "WEEKDAY_NAMES",
    "HexStat",
    "PatrolWindow",
    "Period",
    "Picture",
    "PublicCount",
    "SchoolStat",
    "StudyArea",
    "TrendAlert",
    "Trends",
    "active_districts",
    "area_hours",
    "district_picture",
    "districts_for",
    "groups_for",
    "hex_counts",
    "hexagon_name",
    "hexagon_names",
    "hotspot_analysis",
    "hour_counts",
    "last_days",
    "patrol_windows",
    "public_counts",
    "school_stats",
    "school_windows",
    "schools_in",
    "study_area",
    "synthetic_share",
    "today",
    "trends",
    "window_hours",
]
