"""The staff insights dashboard, its patrol-window exports, and the public figures."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import formats
from django.utils.functional import lazy
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from qurb.accounts.selectors import descendants_of
from qurb.areas.models import Area
from qurb.areas.selectors import active_geometries, area_public, areas_within, outer_rings
from qurb.communication import selectors as communication
from qurb.communication.policy import may_article
from qurb.core import charts
from qurb.core.bidi import isolate
from qurb.insights import exports, hexes, opendata
from qurb.insights.selectors import (
    PatrolWindow,
    Period,
    Picture,
    SchoolStat,
    TrendAlert,
    active_districts,
    area_hours,
    district_picture,
    groups_for,
    hexagon_names,
    last_days,
    patrol_windows,
    public_counts,
    school_stats,
    synthetic_share,
    today,
    trends,
)
from qurb.insights.yearly import yearly_report
from qurb.reports.models import Category
from qurb.web.templatetags.qurb_text import significant

PERIODS = (30, 90, 180, 365, 730)
HEAT_LEFT = 64  # room for the weekday names, in any language
WEEKDAYS = (
    gettext_lazy("Mon"),
    gettext_lazy("Tue"),
    gettext_lazy("Wed"),
    gettext_lazy("Thu"),
    gettext_lazy("Fri"),
    gettext_lazy("Sat"),
    gettext_lazy("Sun"),
)


def _period_name(days: int) -> str:
    return _("last %(days)d days") % {"days": days}


# Translated when the menu is shown, in the page's language (formatting a lazy string here
# would translate it once, at import, in whatever language was active then).
_period_label = lazy(_period_name, str)


class InsightsForm(forms.Form):
    area = forms.ChoiceField(label=gettext_lazy("District or prefecture"))
    category = forms.ChoiceField(
        label=gettext_lazy("Category"),
        required=False,
        choices=[("", gettext_lazy("All categories")), *Category.choices],
    )
    days = forms.TypedChoiceField(
        label=gettext_lazy("Period"),
        coerce=int,
        required=False,
        choices=[(d, _period_label(d)) for d in PERIODS],
    )

    def __init__(self, *args: Any, groups: list[tuple[Area, list[Area]]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        choices: list[Any] = []
        for parent, districts in groups:
            options = [(f"d{d.pk}", d.name) for d in districts]
            if len(districts) > 1 and parent.pk not in {d.pk for d in districts}:
                options.insert(
                    0,
                    (
                        f"p{parent.pk}",
                        _("%(name)s — all districts") % {"name": isolate(parent.name)},
                    ),
                )
            choices.append((parent.name, options))
        cast("forms.ChoiceField", self.fields["area"]).choices = choices


def _selection(request: HttpRequest) -> tuple[InsightsForm, list[Area], str, int, str]:
    """The chosen districts (one, or a prefecture's), category and period."""
    groups = groups_for(request.user)
    if not groups:
        raise Http404
    first = groups[0][1][0]
    data = {"area": f"d{first.pk}", "category": "", "days": 90} | request.GET.dict()
    form = InsightsForm(data, groups=groups)
    if not form.is_valid():
        data = {"area": f"d{first.pk}", "category": "", "days": 90}
        form = InsightsForm(data, groups=groups)
        form.is_valid()
    choice = form.cleaned_data["area"]
    by_id = {d.pk: d for _, ds in groups for d in ds}
    if choice.startswith("p"):
        parent_id = int(choice[1:])
        chosen = [d for d in by_id.values() if d.parent_id == parent_id]
        title = next(p.name for p, _ in groups if p.pk == parent_id)
    else:
        chosen = [by_id[int(choice[1:])]]
        title = chosen[0].name
    return form, chosen, form.cleaned_data["category"] or "", form.cleaned_data["days"] or 90, title


def _windows(
    districts: list[Area],
    pictures: dict[int, Picture] | None = None,
    schools: dict[int, list[SchoolStat]] | None = None,
) -> list[PatrolWindow]:
    """The districts' patrol windows, ranked together; ``pictures`` and ``schools`` (by
    district) are reused when they cover the lookback period."""
    found = [
        w
        for d in districts
        for w in patrol_windows(
            d,
            limit=50,
            picture=(pictures or {}).get(d.pk),
            schools=(schools or {}).get(d.pk),
        )
    ]
    found.sort(key=lambda w: (-w.excess, w.q, w.starts_at, w.key))
    for rank, w in enumerate(found[:20], start=1):
        w.rank = rank
    return found[:20]


@dataclass
class Dashboard:
    pictures: list[Picture]
    hours: np.ndarray
    alerts: list[TrendAlert]
    series: dict[str, list[int]]
    schools: list[SchoolStat]
    windows: list[PatrolWindow]


def _dashboard(districts: list[Area], period: Period, category: str) -> Dashboard:
    pictures = [district_picture(d, period, category) for d in districts]
    hours = sum((p.hours for p in pictures), np.zeros(168, dtype=np.int64))
    alerts: list[TrendAlert] = []
    series: dict[str, list[int]] = {}
    for d in districts:
        t = trends(d)
        alerts += t.alerts
        for key, values in t.series.items():
            known = series.get(key)
            series[key] = (
                [a + b for a, b in zip(known, values, strict=True)] if known else list(values)
            )
    alerts.sort(key=lambda a: (a.q, -a.recent))
    by_district = {d.pk: school_stats(d, period, category) for d in districts}
    schools = [s for found in by_district.values() for s in found]
    schools.sort(key=lambda s: (s.q, -s.in_windows))
    windows = _windows(districts, {p.district_id: p for p in pictures}, by_district)
    return Dashboard(pictures, hours, alerts, series, schools, windows)


def _outlines(districts: list[Area]) -> list[list[list[float]]]:
    return outer_rings(districts)


@login_required
@require_safe
def dashboard(request: HttpRequest) -> HttpResponse:
    form, districts, category, days, title = _selection(request)
    period = last_days(days)
    board = _dashboard(districts, period, category)
    # Hours of the week for one neighbourhood of the chosen districts, when asked.
    hoods = areas_within(districts)
    hood = next((h for h in hoods if str(h.pk) == request.GET.get("hood", "")), None)
    hours = area_hours(hood, period, category) if hood is not None else board.hours
    shown = [h for p in board.pictures for h in p.hexes if h.count]
    top = max((h.count for h in shown), default=1)
    hot = sorted((h for p in board.pictures for h in p.hotspots), key=lambda h: (-h.count, h.q))
    by_district = {d.pk: d for d in districts}
    names: dict[int, str] = {}
    for p in board.pictures:
        shown_here = [h.cell for h in hot[:15] if h in p.hotspots]
        names |= hexagon_names(by_district[p.district_id], shown_here)
    rings = [
        (
            hexes.outline(h.cell),
            {
                "count": h.count,
                "hot": h.hot,
                "opacity": round(0.15 + 0.8 * h.count / top, 3),
                "title": _("%(place)s: %(count)s reports · z %(z)s · q %(q)s")
                % {
                    "place": isolate(names.get(h.cell, h.h3)),
                    "count": formats.number_format(h.count, force_grouping=True),
                    "z": formats.number_format(h.z, 1),
                    "q": significant(h.q),
                },
            },
        )
        for h in shown
    ]
    labels = {c.value: str(c.label) for c in Category}
    outlines = _outlines(districts)
    geo = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "properties": props,
            }
            for ring, props in rings
        ]
        + [
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "properties": {"outline": True},
            }
            for ring in outlines
        ],
    }
    query = request.GET.urlencode()
    return render(
        request,
        "insights/dashboard.html",
        {
            "form": form,
            "title": title,
            "period": period,
            "category": category,
            "total": sum(p.total for p in board.pictures),
            "hotspots": [(h, hexes.centre(h.cell), names.get(h.cell, "")) for h in hot[:15]],
            "hot_count": len(hot),
            "map": charts.hex_map(rings, outlines),
            "geo": geo,
            "heat": charts.heatmap(hours, left=HEAT_LEFT),
            "hoods": hoods,
            "hood": hood,
            "label_x": HEAT_LEFT - 4,
            "weekdays": [(i * 22 + 15, str(d)) for i, d in enumerate(WEEKDAYS)],
            "trend": charts.lines(board.series, labels),
            "alerts": board.alerts,
            "schools": board.schools,
            "windows": board.windows,
            "weekday_names": [str(d) for d in WEEKDAYS],
            "query": query,
            "synthetic": synthetic_share(),
        },
    )


@login_required
@require_safe
def patrol_export(request: HttpRequest, fmt: str) -> HttpResponse:
    _, districts, _, _, _title = _selection(request)
    windows = _windows(districts)
    name = f"qurb-patrol-windows-{districts[0].code if len(districts) == 1 else 'prefecture'}"
    if fmt == "csv":
        response = HttpResponse(exports.patrol_csv(windows), content_type="text/csv; charset=utf-8")
    elif fmt == "geojson":
        response = HttpResponse(
            json.dumps(exports.patrol_geojson(windows), ensure_ascii=False),
            content_type="application/geo+json",
        )
    elif fmt == "ics":
        response = HttpResponse(
            exports.patrol_icalendar(districts[0], windows),
            content_type="text/calendar; charset=utf-8",
        )
    else:
        raise Http404
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    response["Cache-Control"] = "private, no-store"
    return response


# --- public figures ----------------------------------------------------------------------------


def _public_area_ids(request: HttpRequest) -> tuple[Area | None, list[int] | None]:
    raw = request.GET.get("district", "")
    if not raw:
        return None, None
    district = next((d for d in active_districts() if str(d.pk) == raw), None)
    if district is None:
        raise Http404
    return district, sorted(descendants_of({district.pk}))


@require_safe
def figures(request: HttpRequest) -> HttpResponse:
    district, area_ids = _public_area_ids(request)
    counts = public_counts(area_ids) if district is not None else []
    months = sorted({c.month for c in counts})
    table: dict[Area, dict[str, dict[Any, int | None]]] = {}
    for c in counts:
        table.setdefault(c.area, {}).setdefault(c.category, {})[c.month] = c.count
    labels = {c.value: str(c.label) for c in Category}
    blocks = []
    for area, cats in sorted(table.items(), key=lambda kv: kv[0].name):
        rows = []
        for category in Category.values:
            if category not in cats:
                continue
            values = [cats[category].get(m, 0) for m in months]
            rows.append(
                {
                    "label": labels[category],
                    "cells": values,
                    "chart": charts.bars(values, width=120, height=28),
                }
            )
        blocks.append({"area": area, "rows": rows})
    return render(
        request,
        "insights/figures.html",
        {
            "districts": active_districts(),
            "district": district,
            "months": months,
            "blocks": blocks,
            "least": settings.PUBLIC_MIN_COUNT,
            "synthetic": synthetic_share(),
        },
    )


@require_safe
def figures_data(request: HttpRequest, fmt: str) -> HttpResponse:
    district, area_ids = _public_area_ids(request)
    key = f"figures:{fmt}:{district.pk if district else 'all'}:{get_language()}"
    body = cache.get(key)
    if body is None:
        counts = public_counts(area_ids)
        if fmt == "csv":
            body = exports.public_csv(counts)
        elif fmt == "geojson":
            geometries = active_geometries({c.area.pk for c in counts})
            body = json.dumps(exports.public_geojson(counts, geometries), ensure_ascii=False)
        else:
            raise Http404
        cache.set(key, body, 600)
    if fmt == "geojson":
        response: HttpResponse = HttpResponse(body, content_type="application/geo+json")
    else:
        response = HttpResponse(body, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="qurb-figures.csv"'
    response["Access-Control-Allow-Origin"] = "*"
    return response


# --- open data and the yearly report -----------------------------------------------------------


@require_safe
def open_data(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "insights/open_data.html",
        {
            "datasets": opendata.DATASETS,
            "licence": settings.OPEN_DATA_LICENCE,
            "licence_url": settings.OPEN_DATA_LICENCE_URL,
            "least": settings.PUBLIC_MIN_COUNT,
        },
    )


@require_safe
def open_data_file(request: HttpRequest, slug: str) -> HttpResponse:
    dataset = next((d for d in opendata.DATASETS if d.slug == slug), None)
    if dataset is None:
        raise Http404
    key = f"open-data:{slug}:{get_language()}"
    body = cache.get(key)
    if body is None:
        body = dataset.build()
        cache.set(key, body, 600)
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="qurb-{slug}.csv"'
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_safe
def yearly(request: HttpRequest, area_id: int, year: int) -> HttpResponse:
    """The yearly report, public; once its year is over the area's communication cell
    publishes it from here (its residents who chose figures are told)."""
    area = area_public(area_id)
    if area is None or not 2000 <= year <= today().year:
        raise Http404
    publication = communication.yearly_publication(area, year)
    may_publish = (
        publication is None
        and year < today().year
        and may_article(request.user, area.pk)
        and communication.is_edition_area(area)
    )
    return render(
        request,
        "insights/yearly.html",
        {
            "report": yearly_report(area, year),
            "publication": publication,
            "may_publish": may_publish,
        },
    )
