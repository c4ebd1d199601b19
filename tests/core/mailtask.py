"""A task for tests/core/test_demo_processes.py: the worker it runs in e-mails one link."""

from django.conf import settings
from django.core.mail import send_mail
from django.tasks import task

from qurb.core.links import absolute

SUBJECT = "تذكير: اجتماع الحي"  # "Reminder: neighbourhood meeting"
# Long enough that the message travels in base64, as real notices do.
BODY = "نلتقي يوم السبت في دار الشباب لمناقشة أولويات الحي. " * 8


@task()
def mail_a_link(path: str) -> None:
    send_mail(
        SUBJECT, f"{BODY}\n{absolute(path)}\n", settings.DEFAULT_FROM_EMAIL, ["a@example.org"]
    )
