from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "qurb.audit"
    label = "audit"
