from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "qurb.insights"
    verbose_name = "Insights"
