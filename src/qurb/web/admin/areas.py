from django.contrib import admin

from qurb.areas.models import Area, AreaType, Generation, Place
from qurb.web.admin.core import ReadOnlyAdminMixin


@admin.register(AreaType)
class AreaTypeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[AreaType]):
    list_display = ("code", "level", "name_ar", "name_fr", "name_en")


@admin.register(Area)
class AreaAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[Area]):
    """Areas change only through `qurb load-areas` (validated and audited)."""

    list_display = ("code", "name_ar", "name_fr", "type", "parent", "is_demo")
    list_filter = ("type", "is_demo")
    search_fields = ("code", "name_ar", "name_fr", "name_en")
    readonly_fields = ("type", "code", "parent", "is_demo", "source")


@admin.register(Generation)
class GenerationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[Generation]):
    list_display = ("id", "description", "created_at", "active", "activated_at")
    readonly_fields = ("description", "created_at", "active", "activated_at")


@admin.register(Place)
class PlaceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[Place]):
    list_display = ("code", "kind", "name_ar", "name_fr", "area", "is_demo")
    list_filter = ("kind", "is_demo")
    search_fields = ("code", "name_ar", "name_fr")
