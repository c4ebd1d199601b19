"""Geography, after MapIt: typed areas in a hierarchy, boundaries in versioned sets.

An ``Area`` is a stable identity (reports and officers point at it); its boundary lives apart,
in ``Boundary`` rows that belong to a ``Generation``. A generation is a complete snapshot of
every boundary; loads go into a pending generation and become live when it is activated, so
point lookups never see half-loaded boundaries. Names, type and parent live on the ``Area``
row itself and take effect when a load is committed.
"""

from typing import Any

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from qurb.core.models import MultilingualName


class AreaType(MultilingualName):
    """A kind of area (prefecture, district, neighbourhood…): data, not code."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    # 1 is the outermost level; lookups list areas outermost first by this number.
    level = models.PositiveSmallIntegerField(_("level"))

    class Meta:
        ordering = ["level", "code"]
        verbose_name = _("area type")
        verbose_name_plural = _("area types")

    def __str__(self) -> str:
        return self.name


class Generation(models.Model):
    """A versioned set of boundaries. Exactly one generation is active at a time."""

    description = models.CharField(_("description"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    active = models.BooleanField(_("active"), default=False)
    activated_at = models.DateTimeField(_("activated"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("boundary generation")
        verbose_name_plural = _("boundary generations")
        constraints = [
            models.UniqueConstraint(
                fields=["active"], condition=models.Q(active=True), name="one_active_generation"
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.description}"


class Area(MultilingualName):
    type = models.ForeignKey(AreaType, verbose_name=_("type"), on_delete=models.PROTECT)
    # External code (e.g. the HCP code of an arrondissement); unique across the whole force.
    code = models.CharField(_("code"), max_length=40, unique=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # Generated areas (demo neighbourhoods) must say so wherever they are shown.
    is_demo = models.BooleanField(_("demo data"), default=False)
    source = models.CharField(
        _("source and licence"),
        max_length=300,
        blank=True,
        help_text=_("Where the boundary comes from, with its attribution."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["type__level", "code"]
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(parent=models.F("id")), name="area_not_own_parent"
            )
        ]

    def __str__(self) -> str:
        return self.name or self.code

    def get_absolute_url(self) -> str:
        return reverse("neighbourhoods:detail", args=[self.pk])


class Boundary(models.Model):
    """The shape of one area in one generation, as a GeoJSON geometry (lon, lat; WGS 84).

    Geometry is kept as GeoJSON rather than in a spatial database type so that the embedded
    SQLite demo and PostgreSQL behave the same; point lookups use the in-process index in
    ``qurb.areas.spatial``, and the bounding box columns let SQL pre-filter.
    """

    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="boundaries")
    generation = models.ForeignKey(Generation, on_delete=models.CASCADE, related_name="boundaries")
    geometry = models.JSONField()
    min_lon = models.FloatField()
    min_lat = models.FloatField()
    max_lon = models.FloatField()
    max_lat = models.FloatField()

    class Meta:
        verbose_name = _("boundary")
        verbose_name_plural = _("boundaries")
        constraints = [
            models.UniqueConstraint(
                fields=["area", "generation"], name="one_boundary_per_generation"
            ),
            models.CheckConstraint(
                condition=models.Q(min_lon__lte=models.F("max_lon"))
                & models.Q(min_lat__lte=models.F("max_lat")),
                name="boundary_bbox_ordered",
            ),
        ]
        indexes = [models.Index(fields=["generation", "min_lon", "max_lon", "min_lat", "max_lat"])]

    def __str__(self) -> str:
        return f"{self.area} @ {self.generation_id}"


class PlaceKind(models.TextChoices):
    SCHOOL = "school", _("School")
    POLICE_STATION = "police_station", _("Police station")
    OTHER = "other", _("Other place")


class Place(MultilingualName):
    """A point of interest (schools first), kept apart from the area polygons."""

    kind = models.CharField(_("kind"), max_length=20, choices=PlaceKind.choices)
    code = models.CharField(_("code"), max_length=40, unique=True)
    lon = models.FloatField(_("longitude"))
    lat = models.FloatField(_("latitude"))
    area = models.ForeignKey(
        Area,
        verbose_name=_("area"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="places",
        help_text=_("The innermost area containing the place."),
    )
    is_demo = models.BooleanField(_("demo data"), default=False)
    # For schools: entry and exit windows, e.g. {"label": "exit", "days": [0, 1, 2, 3, 4],
    # "start": "16:30", "end": "18:30"} (weekday 0 = Monday, local times). Empty: the
    # force's default windows (SCHOOL_WINDOWS_DEFAULT).
    windows = models.JSONField(
        _("entry and exit windows"),
        default=list,
        blank=True,
        help_text=_("For schools: when pupils arrive and leave. Empty means the usual times."),
    )

    class Meta:
        ordering = ["kind", "code"]
        verbose_name = _("place")
        verbose_name_plural = _("places")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(lat__gte=-90, lat__lte=90, lon__gte=-180, lon__lte=180),
                name="place_coordinates_in_range",
            )
        ]

    def __str__(self) -> str:
        return self.name or self.code

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "kind": self.kind,
            "name": self.name,
            "lat": self.lat,
            "lon": self.lon,
        }
