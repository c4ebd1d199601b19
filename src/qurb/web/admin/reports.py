from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from qurb.core.text import FIELD_LANGUAGES, field_language
from qurb.reports.models import ApiKey, ResponseTemplate
from qurb.reports.selectors import response_template_stored
from qurb.reports.services import (
    RESPONSE_TEMPLATE_FIELDS,
    api_key_revoke,
    response_template_save,
)
from qurb.web.admin.core import ReadOnlyAdminMixin
from qurb.web.common.actors import acting


class ResponseTemplateForm(forms.ModelForm[ResponseTemplate]):
    """A title and a text, each in at least one of Arabic, French and English."""

    class Meta:
        model = ResponseTemplate
        fields = [
            "status",
            "category",
            "title_ar",
            "title_fr",
            "title_en",
            "text_ar",
            "text_fr",
            "text_en",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        page = field_language(get_language())
        for stem, message in [
            ("title", _("Give a title in at least one language.")),
            ("text", _("Give the text in at least one language.")),
        ]:
            if not any((data.get(f"{stem}_{code}") or "").strip() for code in FIELD_LANGUAGES):
                self.add_error(f"{stem}_{page}", message)
        return data


@admin.register(ResponseTemplate)
class ResponseTemplateAdmin(admin.ModelAdmin[ResponseTemplate]):
    """Templates are written here and saved by ``response_template_save`` (audited, old and
    new values); they are not deleted (staff may have used them: edit one instead)."""

    form = ResponseTemplateForm
    list_display = ["title", "status", "category"]
    list_filter = ["status", "category"]

    def save_model(
        self, request: HttpRequest, obj: ResponseTemplate, form: Any, change: bool
    ) -> None:
        values = {
            f: form.cleaned_data[f] for f in RESPONSE_TEMPLATE_FIELDS if f in form.cleaned_data
        }
        saved = response_template_save(
            template=response_template_stored(obj.pk) if change else None,
            values=values,
            actor=acting(request),
        )
        obj.pk = saved.pk

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ApiKey)
class ApiKeyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[ApiKey]):
    """Partner keys are created with `qurb apikey create NAME` (shown once) and revoked here."""

    list_display = ["name", "prefix", "is_active", "created_at", "revoked_at"]
    actions = ["revoke"]
    exclude = ["key_hash"]

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        for key in queryset.filter(is_active=True):
            api_key_revoke(api_key=key, actor=acting(request))
        self.message_user(request, "Revoked.")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
