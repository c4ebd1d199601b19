from django.apps import AppConfig


class LanguageConfig(AppConfig):
    name = "qurb.language"
    verbose_name = "Language: reading reports in Arabic, Darija and French"
