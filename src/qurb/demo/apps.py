from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "qurb.demo"
    label = "demo"
