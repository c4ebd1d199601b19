from django.contrib import admin

from qurb.engagement.models import Meeting, Priority
from qurb.web.admin.core import ReadOnlyAdminMixin


@admin.register(Meeting)
class MeetingAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[Meeting]):
    list_display = ("title_fr", "area", "starts_at", "is_public", "cancelled")
    autocomplete_fields = ["area"]


@admin.register(Priority)
class PriorityAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[Priority]):
    list_display = ("title_fr", "area", "status", "set_on")
    autocomplete_fields = ["area"]
