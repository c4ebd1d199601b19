from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client, TransactionTestCase, override_settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from qurb.accounts.models import User
from qurb.areas.models import Area
from qurb.areas.selectors import forget_point_index
from qurb.demo.services import demo_load


@pytest.fixture(scope="session")
def django_db_setup(
    django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Every test starts from the Fès–Meknès demo: real boundaries, accounts for each role.

    The demo's files (a photo, an association's statutes) go to ``<basetemp>/demo-media``,
    never into the working tree."""
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)  # WhiteNoise expects it
    media = tmp_path_factory.mktemp("demo-media", numbered=False)
    settings.QURB_DEMO_MEDIA = str(media)
    with django_db_blocker.unblock():
        _demo_with_an_empty_queue()


def _demo_with_an_empty_queue() -> None:
    """The demo (its files in the session's demo media), without the e-mails and deliveries
    its loading queued: each test starts with an empty task queue."""
    from django_tasks_db.models import DBTaskResult

    with override_settings(MEDIA_ROOT=getattr(settings, "QURB_DEMO_MEDIA", settings.MEDIA_ROOT)):
        demo_load()
    DBTaskResult.objects.all().delete()


@pytest.fixture(scope="session")
def no_flush() -> Iterator[None]:
    """Django flushes every table after a transactional test: the audit triggers refuse it,
    and the rest of the suite reads the demo. ``committed`` restores the rows instead."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(TransactionTestCase, "_fixture_teardown", lambda self: None)
        yield


@pytest.fixture
def committed(no_flush: None) -> Iterator[None]:
    """For ``django_db(transaction=True)`` tests: the test commits for real, then every table
    is put back as it was (tests/committed.py)."""
    from tests.committed import committed_then_restored

    yield from committed_then_restored()


@pytest.fixture
def task_queue(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Background tasks go to the database queue, and `qurb worker --batch` runs them here.

    The worker closes "old" connections between tasks; inside a test's transaction that would
    close the test's own connection (on PostgreSQL), so it is kept open.
    """
    monkeypatch.setattr(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    )
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    from qurb.communication import pagecache

    forget_point_index()
    cache.clear()
    pagecache._local.clear()
    yield
    forget_point_index()


@pytest.fixture
def area() -> Any:
    def get(code: str) -> Area:
        return Area.objects.get(code=code)

    return get


def signed_in(username: str, *, verified: bool = True) -> Client:
    """A client signed in as a demo account, past the second factor when ``verified``."""
    client = Client()
    user = User.objects.get(username=username)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if verified and device is not None:
        session = client.session
        session["otp_device_id"] = device.persistent_id
        session.save()
    return client


@pytest.fixture(autouse=True)
def _private_media(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Uploaded photos go to a temporary directory, never into the working tree."""
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")


@pytest.fixture(autouse=True)
def _forget_api_keys() -> None:
    from qurb.reports.apikeys import _KEYS

    _KEYS.clear()
