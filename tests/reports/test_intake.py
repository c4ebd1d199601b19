import io
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from django.utils import translation
from PIL import Image

from qurb.reports.models import Channel, Photo, Report, ReporterContact, Status
from tests.reports.conftest import solved, web_key

pytestmark = pytest.mark.django_db


def form_data(lat: float, lon: float, **extra: Any) -> dict[str, Any]:
    data = {
        "lat": lat,
        "lon": lon,
        "category": "drugs",
        "when": "recurring",
        "recurrence_days": "school_days",
        "recurrence_from": "12:00",
        "recurrence_to": "12:30",
        "description": "kayn chi wa7ed kaybi3 l7chich 9dam l'école",
        "anonymity": "anonymous",
        "altcha": solved(),
        "idempotency_key": "abc123",
    }
    data.update(extra)
    return data


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (34.0, 3.0, 36.0), 3: "W", 4: (5.0, 0.0, 0.0)}  # GPS IFD
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def test_resident_submits_and_follows(medina_point: tuple[float, float]) -> None:
    client = Client()
    assert client.get(reverse("reports:new")).status_code == 200
    photo = io.BytesIO(jpeg_with_gps())
    photo.name = "IMG_0001.jpg"
    response = client.post(reverse("reports:new"), {**form_data(*medina_point), "photos": [photo]})
    assert response.status_code == 302, response.content.decode()[:2000]
    report = Report.objects.get(idempotency_key=web_key(client, "abc123"))
    assert report.channel == Channel.WEB
    assert report.anonymous
    assert report.district.code == "032310107"
    assert report.recurrence_days == "school_days"
    assert not ReporterContact.objects.filter(report=report).exists()
    stored = Photo.objects.get(report=report)
    assert "IMG_0001" not in stored.file
    with default_storage.open(stored.file, "rb") as fh:
        clean = Image.open(io.BytesIO(fh.read()))
        assert clean.format == "JPEG"
        assert not clean.getexif()
        assert "exif" not in clean.info
    page = client.get(response["Location"])
    assert report.tracking_code in page.content.decode()
    track = client.get(reverse("reports:track", args=[report.tracking_code]))
    assert track.status_code == 200
    assert (
        str(Status.RECEIVED.label) in track.content.decode() or "received" in track.content.decode()
    )


def test_retry_with_same_idempotency_key_is_stored_once(medina_point: tuple[float, float]) -> None:
    before = Report.objects.count()
    client = Client()
    assert client.get(reverse("reports:new")).status_code == 200  # the device cookie
    first = client.post(reverse("reports:new"), form_data(*medina_point, idempotency_key="k1"))
    second = client.post(reverse("reports:new"), form_data(*medina_point, idempotency_key="k1"))
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Report.objects.filter(idempotency_key=web_key(client, "k1")).count() == 1
    # Another browser sending the same key gets a report of its own, never this one.
    other = Client()
    assert other.get(reverse("reports:new")).status_code == 200
    third = other.post(reverse("reports:new"), form_data(*medina_point, idempotency_key="k1"))
    assert third.status_code == 302
    assert third["Location"] != first["Location"]
    # A browser without the device cookie: the key is not used at all.
    fourth = Client().post(reverse("reports:new"), form_data(*medina_point, idempotency_key="k1"))
    assert fourth.status_code == 302
    assert fourth["Location"] not in {first["Location"], third["Location"]}
    assert Report.objects.count() == before + 3


def test_outside_every_district_is_refused_and_keeps_text() -> None:
    client = Client()
    with translation.override("en"):
        response = client.post(
            reverse("reports:new"),
            form_data(31.63, -8.0, description="Someone sells drugs near the school gate"),
            HTTP_ACCEPT_LANGUAGE="en",
        )
    body = response.content.decode()
    assert response.status_code == 400
    assert "outside every police district" in body
    assert "Someone sells drugs near the school gate" in body


def test_missing_proof_of_work_is_refused(medina_point: tuple[float, float]) -> None:
    before = Report.objects.count()
    response = Client().post(reverse("reports:new"), form_data(*medina_point, altcha=""))
    assert response.status_code == 400
    assert Report.objects.count() == before


def test_replayed_proof_of_work_is_refused(medina_point: tuple[float, float]) -> None:
    proof = solved()
    client = Client()
    ok = client.post(
        reverse("reports:new"), form_data(*medina_point, altcha=proof, idempotency_key="a")
    )
    again = client.post(
        reverse("reports:new"), form_data(*medina_point, altcha=proof, idempotency_key="b")
    )
    assert ok.status_code == 302
    assert again.status_code == 400


@pytest.mark.parametrize(
    ("payload", "name"),
    [
        (b"<html><script>alert(1)</script></html>", "photo.jpg"),
        (b"GIF89a" + b"\x00" * 40, "anim.png"),
    ],
)
def test_photos_judged_by_content(
    medina_point: tuple[float, float], payload: bytes, name: str
) -> None:
    upload = io.BytesIO(payload)
    upload.name = name
    before = Report.objects.count()
    with translation.override("fr"):
        response = Client().post(
            reverse("reports:new"),
            {**form_data(*medina_point), "photos": [upload]},
            HTTP_ACCEPT_LANGUAGE="fr",
        )
    assert response.status_code == 400
    assert Report.objects.count() == before
    assert "photo" in response.content.decode().lower()


def test_decompression_bomb_is_refused(medina_point: tuple[float, float]) -> None:
    # A tiny PNG that claims 20000 × 20000 pixels once decoded.
    image = Image.new("1", (20000, 20000))
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    assert len(out.getvalue()) < 200_000
    out.seek(0)
    out.name = "bomb.png"
    with translation.override("en"):
        response = Client().post(
            reverse("reports:new"),
            {**form_data(*medina_point), "photos": [out]},
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert response.status_code == 400
    assert "megapixels" in response.content.decode()


def test_happening_now_text_raises_the_flag(make_report: Any) -> None:
    report = make_report(description="Daba kayn wa7ed m3ah mous 9dam l7anout")
    assert report.flag_in_progress
    calm = make_report(description="Chaque soir des jeunes font du bruit devant l'immeuble")
    assert not calm.flag_in_progress
