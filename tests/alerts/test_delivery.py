"""Who an alert reaches, and the worker that reaches them: Web Push to a real endpoint on
loopback (decrypted as a browser would), e-mail with double opt-in, retries, and never twice."""

from __future__ import annotations

import base64
import itertools
import json
import math
from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from qurb.accounts.models import User
from qurb.alerts.delivery import deliver, enqueue_area, fan_out
from qurb.alerts.geo import EARTH_KM, KM_PER_DEGREE
from qurb.alerts.models import Delivery, DeliveryState, Subscription
from qurb.alerts.push import application_server_key
from qurb.alerts.services import case_close, subscription_create
from qurb.areas.models import Area
from tests.alerts.conftest import SEEN, open_case, publish
from tests.alerts.pushserver import Device, PushServer

pytestmark = pytest.mark.django_db


def _point(km_north: float, km_east: float) -> tuple[float, float]:
    lat = SEEN[0] + km_north / KM_PER_DEGREE
    lon = SEEN[1] + km_east / (KM_PER_DEGREE * math.cos(math.radians(SEEN[0])))
    return lat, lon


def _push(server: PushServer, device: Device, **area: Any) -> Subscription:
    info = device.subscription(server.base)
    return subscription_create(
        channel="push",
        endpoint=info["endpoint"],
        p256dh=info["keys"]["p256dh"],
        auth=info["keys"]["auth"],
        language=area.pop("language", "fr"),
        **area,
    )


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The great-circle distance, computed here independently of the SQL under test."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_KM * math.asin(math.sqrt(a))


def _queue(case: Any) -> Any:
    """The fan-out a worker runs after the publication: every copy queued."""
    for message in case.messages.filter(fanned_out_at__isnull=True):
        fan_out(message.pk, lambda *_chunk: None)
    return case


def _unpad(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def test_the_alert_reaches_exactly_the_subscribers_whose_area_meets_it(
    push_server: PushServer,
) -> None:
    rng = np.random.default_rng(5)
    expected = set()
    for i in range(300):
        north, east = rng.uniform(-60, 60, 2)
        radius = float(rng.uniform(1, 30))
        lat, lon = _point(north, east)
        sub = Subscription.objects.create(
            channel="push",
            endpoint=f"{push_server.base}/r{i}",
            p256dh="x",
            auth="y",
            lat=lat,
            lon=lon,
            radius_km=radius,
            confirmed_at=timezone.now(),
        )
        if haversine_km(SEEN[0], SEEN[1], lat, lon) <= 20 + radius:
            expected.add(sub.pk)
    medina = Area.objects.get(code="032310107")
    meknes = Area.objects.filter(type__code="district").exclude(parent__code="03.231").first()
    assert meknes is not None
    by_district = Subscription.objects.create(
        channel="push",
        endpoint=f"{push_server.base}/d1",
        p256dh="x",
        auth="y",
        district=medina,
        confirmed_at=timezone.now(),
    )
    Subscription.objects.create(
        channel="push",
        endpoint=f"{push_server.base}/d2",
        p256dh="x",
        auth="y",
        district=meknes,
        confirmed_at=timezone.now(),
    )
    near = _point(1, 1)
    Subscription.objects.create(  # never confirmed: nothing
        channel="email", email="x@example.org", lat=near[0], lon=near[1], radius_km=5
    )
    Subscription.objects.create(  # left: nothing
        channel="email",
        email="y@example.org",
        lat=near[0],
        lon=near[1],
        radius_km=5,
        confirmed_at=timezone.now(),
        active=False,
    )
    case = publish(open_case(radius_km=20))
    message = case.messages.get()
    assert not Delivery.objects.exists()  # the fan-out task queues them, after the commit
    chunks: list[tuple[int, int, int]] = []
    done = fan_out(message.pk, lambda *chunk: chunks.append(chunk), size=40)
    queued = set(
        Delivery.objects.filter(message__case=case).values_list("subscription_id", flat=True)
    )
    assert queued == expected | {by_district.pk}
    assert 0 < len(expected) < 300
    assert done.queued == len(queued)
    # Chunks of at most 40, in order, disjoint, covering every queued copy, dispatched as
    # soon as each is queued.
    assert len(chunks) == done.chunks == -(-len(queued) // 40)
    assert all(mid == message.pk for mid, _first, _last in chunks)
    assert all(a[2] < b[1] for a, b in itertools.pairwise(chunks))
    for _mid, first, last in chunks:
        assert 0 < len({q for q in queued if first <= q <= last}) <= 40
    message.refresh_from_db()
    assert message.fanned_out_at is not None
    # Run again (a worker died during the fan-out): nothing is queued twice; the same chunks
    # are dispatched again, which sends nothing twice.
    again: list[tuple[int, int, int]] = []
    assert fan_out(message.pk, lambda *chunk: again.append(chunk), size=40).queued == 0
    assert again == chunks
    assert enqueue_area(message, case) == 0


def test_push_is_encrypted_signed_delivered_once_retried_and_ended(
    push_server: PushServer, django_capture_on_commit_callbacks: Any
) -> None:
    devices = [Device(f"/push/{n}") for n in range(4)]
    near = _point(0.3, -0.2)
    for device in devices[:3]:
        _push(push_server, device, lat=near[0], lon=near[1], radius_km=10)
    _push(push_server, devices[3], district=Area.objects.get(code="032310107"), language="ar")
    push_server.statuses["/push/1"] = [503]  # busy once: retried later
    push_server.statuses["/push/2"] = [410]  # unsubscribed at the push service
    case = publish(open_case())
    stats = deliver()
    assert (stats.sent, stats.retried, stats.gone) == (2, 1, 1)
    first = push_server.to("/push/0")
    assert len(first) == 1
    received = first[0]
    payload = json.loads(devices[0].decrypt(received.body))
    # The name and the age isolated (FSI … PDI), each in its own direction.
    assert payload["title"] == "Enfant disparu : \u2068Adam\u2069, \u20687\u2069 ans"
    assert payload["url"].endswith(f"/alerts/{case.public_id}/")
    arabic = json.loads(devices[3].decrypt(push_server.to("/push/3")[0].body))
    assert arabic["lang"] == "ar"
    assert arabic["title"] == "طفل مختفٍ: \u2068Adam\u2069، \u20687\u2069 سنوات"
    headers = {k.lower(): v for k, v in received.headers.items()}
    assert headers["content-encoding"] == "aes128gcm"
    assert headers["topic"] == f"alert-{case.public_id}"
    assert int(headers["ttl"]) > 0
    # VAPID (RFC 8292): a JWT for this push service, signed with the server's key.
    scheme, _, params = headers["authorization"].partition(" ")
    fields = dict(p.split("=", 1) for p in params.split(","))
    assert scheme == "vapid"
    assert fields["k"] == application_server_key()
    head, body, signature = fields["t"].split(".")
    claims = json.loads(_unpad(body))
    assert claims["aud"] == push_server.base
    assert claims["exp"] > timezone.now().timestamp()
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _unpad(fields["k"]))
    raw = _unpad(signature)
    der = encode_dss_signature(int.from_bytes(raw[:32]), int.from_bytes(raw[32:]))
    public.verify(der, f"{head}.{body}".encode(), ec.ECDSA(hashes.SHA256()))
    # Gone: the subscription is switched off. Retry: pending, later.
    assert not Subscription.objects.get(endpoint=f"{push_server.base}/push/2").active
    waiting = Delivery.objects.get(subscription__endpoint=f"{push_server.base}/push/1")
    assert waiting.state == DeliveryState.PENDING
    assert waiting.next_attempt_at > timezone.now()
    assert deliver().sent == 0  # not due yet; nothing is sent twice
    Delivery.objects.filter(pk=waiting.pk).update(next_attempt_at=timezone.now())
    assert deliver().sent == 1
    assert len(push_server.to("/push/1")) == 1
    assert len(push_server.to("/push/0")) == 1
    # The end reaches those who had the alert, and only them.
    case_close(actor=User.objects.get(username="officer.medina"), case=case, reason="found")
    assert deliver().sent == 3
    ended = json.loads(devices[0].decrypt(push_server.to("/push/0")[1].body))
    assert ended["type"] == "Cancel"
    assert "Adam" not in ended["title"]
    assert push_server.to("/push/2") == []


def test_a_worker_that_died_while_sending_resumes_without_doubling(
    push_server: PushServer,
) -> None:
    device = Device("/push/x")
    near = _point(0, 0)
    _push(push_server, device, lat=near[0], lon=near[1], radius_km=5)
    _queue(publish(open_case()))
    Delivery.objects.update(
        state=DeliveryState.SENDING, lease_until=timezone.now() - timedelta(seconds=1), attempts=1
    )
    mailed = Subscription.objects.create(
        channel="email",
        email="z@example.org",
        lat=near[0],
        lon=near[1],
        radius_km=5,
        confirmed_at=timezone.now(),
    )
    message = Delivery.objects.first().message  # type: ignore[union-attr]
    Delivery.objects.create(
        message=message,
        subscription=mailed,
        state=DeliveryState.SENDING,
        lease_until=timezone.now() - timedelta(seconds=1),
        next_attempt_at=timezone.now(),
    )
    stats = deliver()
    # The push copy is sent again (its Topic lets the push service replace an undelivered
    # duplicate); the e-mail is not, since it may already have left.
    assert stats.sent == 1
    assert Delivery.objects.get(subscription=mailed).state == DeliveryState.FAILED
    assert mail.outbox == []


def test_email_double_opt_in_alert_and_one_click_unsubscribe(
    task_queue: None, django_capture_on_commit_callbacks: Any
) -> None:
    from django.core.management import call_command

    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    medina = Area.objects.get(code="032310107")
    bad = client.post(reverse("alerts:subscribe"), {"email": "nope", "district": str(medina.pk)})
    assert bad.status_code == 400
    nowhere = client.post(
        reverse("alerts:subscribe"),
        {"email": "a@example.org", "lat": "0", "lon": "0", "radius_km": "10"},
    )
    assert "outside every area" in nowhere.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            reverse("alerts:subscribe"), {"email": "amal@example.org", "district": str(medina.pk)}
        )
    assert done.status_code == 302
    call_command("worker", batch=True)
    assert len(mail.outbox) == 1
    link = next(w for w in str(mail.outbox[0].body).split() if "/confirm/" in w)
    path = "/" + link.split("/", 3)[3]
    subscription = Subscription.objects.get(email="amal@example.org")
    assert client.get(path).status_code == 200
    assert (
        Subscription.objects.get(pk=subscription.pk).confirmed_at is None
    )  # a GET confirms nothing
    client.post(path)
    subscription.refresh_from_db()
    assert subscription.confirmed_at is not None
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        case = publish(open_case())
    call_command("worker", batch=True)
    assert [m.to for m in mail.outbox] == [["amal@example.org"]]
    alert_mail = mail.outbox[0]
    assert "Adam" in str(alert_mail.subject)
    unsubscribe = alert_mail.extra_headers["List-Unsubscribe"].strip("<>")
    assert alert_mail.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # One click, as a mail client does it: a POST without a form token.
    strict = Client(enforce_csrf_checks=True)
    assert (
        strict.post(
            "/" + unsubscribe.split("/", 3)[3], {"List-Unsubscribe": "One-Click"}
        ).status_code
        == 200
    )
    subscription.refresh_from_db()
    assert not subscription.active
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        case_close(actor=User.objects.get(username="officer.medina"), case=case, reason="found")
    call_command("worker", batch=True)
    assert mail.outbox == []  # left before the end notice


def test_the_delivery_task_comes_back_for_retries(
    push_server: PushServer,
    task_queue: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from django.core.management import call_command
    from django_tasks_db.models import DBTaskResult

    device = Device("/push/busy")
    near = _point(0, 0)
    _push(push_server, device, lat=near[0], lon=near[1], radius_km=5)
    push_server.statuses["/push/busy"] = [503]
    with django_capture_on_commit_callbacks(execute=True):
        publish(open_case())
    call_command("worker", batch=True)
    assert push_server.to("/push/busy") == []
    waiting = DBTaskResult.objects.filter(
        task_path="qurb.alerts.tasks.deliver_chunk", status="READY"
    )
    assert waiting.count() == 1
    first = waiting.get()
    assert first.run_after is not None
    assert first.run_after > timezone.now()
    # When it is due, the worker sends the copy, once.
    waiting.update(run_after=timezone.now())
    Delivery.objects.update(next_attempt_at=timezone.now())
    call_command("worker", batch=True)
    assert len(push_server.to("/push/busy")) == 1


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://10.0.0.5/push/1",  # an internal address
        "https://169.254.169.254/latest/meta-data",
        "http://fcm.googleapis.com/fcm/send/x",  # a push service, but not over HTTPS
        "https://attacker.example/push",
        "https://fcm.googleapis.com.attacker.example/x",
        "ftp://127.0.0.1/x",
    ],
)
def test_only_known_push_services_are_ever_contacted(endpoint: str) -> None:
    from django.core.exceptions import ValidationError

    near = _point(0, 0)
    with pytest.raises(ValidationError) as error:
        subscription_create(
            channel="push",
            endpoint=endpoint,
            p256dh="x",
            auth="y",
            lat=near[0],
            lon=near[1],
            radius_km=5,
        )
    assert "endpoint" in error.value.message_dict
    ok = subscription_create(
        channel="push",
        endpoint="https://fcm.googleapis.com/fcm/send/abc",
        p256dh="x",
        auth="y",
        lat=near[0],
        lon=near[1],
        radius_km=5,
    )
    assert ok.pk


def test_an_alert_that_ended_is_not_sent_and_in_flight_copies_get_the_end(
    push_server: PushServer,
) -> None:
    waiting, in_flight = Device("/push/waiting"), Device("/push/flight")
    near = _point(0, 0)
    for device in (waiting, in_flight):
        _push(push_server, device, lat=near[0], lon=near[1], radius_km=5)
    case = _queue(publish(open_case()))
    # One copy is on the wire when the child is found; a retry of the other is still queued.
    flying = Delivery.objects.get(subscription__endpoint=f"{push_server.base}/push/flight")
    Delivery.objects.filter(pk=flying.pk).update(
        state=DeliveryState.SENDING, lease_until=timezone.now() + timedelta(minutes=2)
    )
    case_close(actor=User.objects.get(username="officer.medina"), case=case, reason="found")
    stats = deliver()
    assert push_server.to("/push/waiting") == []  # the alert itself never leaves after the end
    ended = push_server.to("/push/flight")
    assert len(ended) == 1
    assert json.loads(in_flight.decrypt(ended[0].body))["type"] == "Cancel"
    assert stats.sent == 1
    # Had the in-flight copy failed and come back for a retry, it would not be sent either.
    Delivery.objects.filter(pk=flying.pk).update(
        state=DeliveryState.PENDING, next_attempt_at=timezone.now()
    )
    assert deliver().sent == 0
    assert Delivery.objects.get(pk=flying.pk).error == "the alert ended first"
