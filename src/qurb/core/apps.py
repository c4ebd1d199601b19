from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "qurb.core"
    label = "core"
