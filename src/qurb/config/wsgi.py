import os

from django.core.wsgi import get_wsgi_application

# A web process: settings give its database statements a time limit.
os.environ.setdefault("QURB_PROCESS", "web")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qurb.config.settings")
application = get_wsgi_application()
