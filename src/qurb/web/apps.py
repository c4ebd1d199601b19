from django.apps import AppConfig


class WebConfig(AppConfig):
    """The web edge: pages, forms, URL confs, the JSON API, Open311, templates, static files,
    request guards and the admin, on top of the domain apps."""

    name = "qurb.web"
    label = "web"
