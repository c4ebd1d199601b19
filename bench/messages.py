"""One district message to 100,000 subscribers by e-mail, Web Push and SMS, on the
distributed engine, with real receivers.

On PostgreSQL (a database of its own) and RabbitMQ (a queue of its own on the machine's
broker), with ``--subscribers`` confirmed subscriptions to the Fès-Médina district and its
neighbourhoods (split ``--split`` e-mail/Web Push/SMS, interleaved by id; rhythm "at once", no
quiet hours; written in bulk once and reused, not measured), this:

1. starts the receivers, each counting copies per subscriber and refusing a malformed one:
   an SMTP server (aiosmtpd, in its own process) that checks each message's subject,
   ``List-Unsubscribe`` and its one-click POST, and the link to this message (a sample of
   bodies decoded as a mail client would); the push service of ``bench/pushservice.py``
   (VAPID JWT verified, aes128gcm checked, the ``Topic`` of this message, a sample decrypted
   as the browser would); Kannel as ``qurb demo`` and the SMS tests run it
   (``qurb.sms.kannel``: bearerbox, smsbox, and fakesmsc as the phones, under Qurb's
   supervisor), whose phones' log is read as it grows (multipart SMS joined) and each SMS
   must carry the message's link; and the site under gunicorn, which records Kannel's
   delivery reports;
2. starts ``--workers`` ``qurb worker`` processes (Celery), then district chief ``chief.medina``
   writes the message and publishes it through the services (``message_save``,
   ``message_publish``: the fan-out task goes to the broker after the commit);
3. measures, per channel and overall, from the publication to the first and to the last copy
   a receiver accepted, and checks every subscriber got exactly one copy (lost, duplicated),
   the deliveries recorded sent against what the receivers counted, and the SMS delivery
   reports recorded;
4. measures a reference in the same run: the same number of copies, mixed the same way, sent
   straight to the same receivers by as many plain client processes as there are workers
   (smtplib; pywebpush and py-vapid with urllib3; Kannel's sendsms), with no database and no
   broker; and Kannel with fakesmsc alone, SMS only, its delivery reports answered at once.

SMS caps are raised for the run (``QURB_SMS_DAILY_CAP_PER_AREA`` to the number of SMS
subscribers, printed). Output: one line per channel ``CHANNEL copies first_s last_s
copies_per_s`` (copies per second between the first and the last copy), a summary line, and
``lost=… duplicated=…``; the exit status is 1 on any loss, duplicate, malformed copy or
mismatch.

    python bench/messages.py [--subscribers 100000] [--split 40,40,20] [--workers 4]
        [--chunk 300] [--reference 0.1] [--database postgres://…] [--fresh] [--smoke]
"""

from __future__ import annotations

import argparse
import contextlib
import email.message
import email.parser
import email.policy
import http.server
import json
import logging
import multiprocessing
import os
import smtplib
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/qurb_bench_msg"
REDIS_URL = "redis://127.0.0.1:6379/14"
PUSH_PORT = 18767
DATA_DIR = ROOT / "var" / "bench-messages"
KEY_POOL = 200  # browser keys, shared by the push subscribers


def keys_file() -> Path:
    """The browser keys of the push subscriptions in this run's database (one file each)."""
    from django.conf import settings

    return DATA_DIR / f"browser-keys-{settings.DATABASES['default']['NAME']}.json"


HOST = "127.0.0.1"
DISTRICT = "032310107"  # Fès-Médina, chief.medina's district
CHIEF = "chief.medina"
CHANNELS = ("email", "push", "sms")
TOKEN_PREFIX = "benchmsg"  # noqa: S105 - a subscription token, not a password
MAIL_DOMAIN = "bench.qurb.test"
SENDER = "1919"  # the short code SMS come from
TITLES = {
    "ar": "لقاء الحي يوم السبت",
    "fr": "Réunion de quartier samedi",
    "en": "Neighbourhood meeting on Saturday",
}
BODIES = {
    "ar": "لقاء مفتوح مع شرطة الحي يوم السبت على الساعة العاشرة بدار الشباب.",
    "fr": "Rencontre avec la police du quartier samedi à 10 h, maison des jeunes.",
    "en": "Meet the neighbourhood police on Saturday at 10:00 at the youth centre.",
}


def email_of(i: int) -> str:
    return f"r{i}@{MAIL_DOMAIN}"


def number_of(i: int) -> str:
    return f"+2126{i:08d}"


def index_of_number(number: str) -> int | None:
    return int(number[5:]) if number.startswith("+2126") and number[5:].isdigit() else None


def endpoint_of(i: int, port: int) -> str:
    return f"http://{HOST}:{port}/p/{i}"


def plan(n: int, split: list[int]) -> np.ndarray:
    """The channel of each subscriber index (0 e-mail, 1 push, 2 SMS), shuffled so that every
    chunk of the fan-out mixes the three."""
    email_n = round(n * split[0] / sum(split))
    push_n = round(n * split[1] / sum(split))
    channels = np.repeat(np.arange(3), [email_n, push_n, n - email_n - push_n])
    np.random.default_rng(2026).shuffle(channels)
    return channels


# --- the subscribers ------------------------------------------------------------------------


def load_subscribers(n: int, channels: np.ndarray, push_port: int) -> None:
    """``n`` confirmed subscriptions (bulk_create, reused when already there), spread over
    the district and its neighbourhoods; SMS numbers stored as verification stores them."""
    from django.db import connection, transaction
    from django.db.models import Count
    from django.utils import timezone

    from bench import pushservice
    from qurb.areas.models import Area
    from qurb.areas.selectors import descendants_of
    from qurb.messaging.models import ALL_TOPICS, AreaSubscription, SubscriptionArea
    from qurb.sms.models import PhoneNumber
    from qurb.sms.services import number_hash

    ours = AreaSubscription.objects.filter(token__startswith=TOKEN_PREFIX)
    wanted = {CHANNELS[c]: int((channels == c).sum()) for c in range(3)}
    found = dict(ours.values_list("channel").annotate(n=Count("id")))
    sample: Any = ours.filter(channel="push").values("endpoint", "p256dh").first()
    same = found == {k: v for k, v in wanted.items() if v} and keys_file().exists()
    if same and sample:  # made for this push service, with the keys on file
        known = {key.p256dh for key in browser_keys()}
        same = f":{push_port}/" in sample["endpoint"] and sample["p256dh"] in known
    if same:
        print(f"reusing {n:,} subscriptions")
        return
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE messaging_areasubscription, sms_phonenumber CASCADE")
    district = Area.objects.get(code=DISTRICT)
    areas = sorted(descendants_of({district.pk}))
    keys = pushservice.browser_keys(KEY_POOL)
    now = timezone.now()
    rows = []
    for i in range(n):
        channel = CHANNELS[channels[i]]
        key = keys[i % KEY_POOL]
        rows.append(
            AreaSubscription(
                token=f"{TOKEN_PREFIX}{i}",
                channel=channel,
                email=email_of(i) if channel == "email" else "",
                endpoint=endpoint_of(i, push_port) if channel == "push" else "",
                p256dh=key.p256dh if channel == "push" else "",
                auth=key.auth if channel == "push" else "",
                number=number_of(i) if channel == "sms" else "",
                number_hash=number_hash(number_of(i)) if channel == "sms" else "",
                topics=ALL_TOPICS,
                rhythm="now",
                language=("ar", "fr", "en")[i % 3],
                confirmed_at=now,
                active=True,
            )
        )
    with transaction.atomic():
        made = AreaSubscription.objects.bulk_create(rows, batch_size=5000)
        SubscriptionArea.objects.bulk_create(
            [
                SubscriptionArea(subscription_id=s.pk, area_id=areas[i % len(areas)])
                for i, s in enumerate(made)
            ],
            batch_size=10000,
        )
        PhoneNumber.objects.bulk_create(
            [
                PhoneNumber(number=r.number, number_hash=r.number_hash)
                for r in rows
                if r.channel == "sms"
            ],
            batch_size=5000,
        )
    keys_file().parent.mkdir(parents=True, exist_ok=True)
    keys_file().write_text(json.dumps([[k.private, k.p256dh, k.auth] for k in keys]))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE messaging_areasubscription")
        cursor.execute("ANALYZE messaging_subscriptionarea")
        cursor.execute("ANALYZE sms_phonenumber")
    print(
        f"{n:,} subscriptions written over {len(areas)} areas "
        f"in {time.perf_counter() - started:.1f} s"
    )


def browser_keys() -> list[Any]:
    """The browser keys the push subscriptions were made with (the push service decrypts a
    sample with them)."""
    from bench.pushservice import BrowserKey

    return [BrowserKey(int(p), d, a) for p, d, a in json.loads(keys_file().read_text())]


def reset_run() -> None:
    """Only this message goes out: earlier runs' copies and SMS gone (the per-area SMS cap
    counts today's), the demo's live alert ended, its messages marked fanned out and the tasks
    it left in the database queue dropped (the workers' sweep would relay them)."""
    from django.db import connection
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from qurb.alerts.models import AlertCase, CapMessage, CaseStatus
    from qurb.messaging.models import AreaSubscription, DistrictMessage

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE messaging_messagedelivery, sms_outgoingsms CASCADE")
    AlertCase.objects.filter(status=CaseStatus.PUBLISHED).update(status=CaseStatus.ENDED)
    CapMessage.objects.update(fanout_started_at=timezone.now(), fanned_out_at=timezone.now())
    DistrictMessage.objects.filter(fanned_out_at__isnull=True).update(
        fanout_started_at=timezone.now(), fanned_out_at=timezone.now()
    )
    DBTaskResult.objects.all().delete()
    # The demo's own subscribers (if any) are not part of the measure.
    AreaSubscription.objects.exclude(token__startswith=TOKEN_PREFIX).update(active=False)


# --- the SMTP server --------------------------------------------------------------------------


def _mailbox(port: int, tally: Any, ready: Any, needle: Any, check_every: int) -> None:
    """An SMTP server (aiosmtpd) that counts each message per recipient: its subject, its
    one-click leave headers and the link to the message (``needle``: its id) checked in every
    message, the body decoded as a mail client would in every ``check_every``-th."""
    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd: every command
    headers_only = email.parser.BytesHeaderParser(policy=email.policy.compat32)
    full = email.parser.BytesParser(policy=email.policy.default)

    class Mailbox:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
            content = envelope.original_content or envelope.content
            head = headers_only.parsebytes(content)
            indices = []
            for address in envelope.rcpt_tos:
                local, _, domain = address.partition("@")
                digits = local[1:]
                indices.append(int(digits) if domain == MAIL_DOMAIN and digits.isdigit() else -1)
            ok = (
                bool(head["Subject"])
                and " ".join(str(head["List-Unsubscribe"] or "").split()).startswith("<http")
                and head["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
                and all(0 <= i < len(tally.counts) for i in indices)
            )
            link = f"/messages/{needle.value}/"
            if ok and (link.encode() not in content or any(i % check_every == 0 for i in indices)):
                # Read as a mail client would: the body decoded (8bit, quoted-printable, base64).
                body = full.parsebytes(content).get_body(("plain",))
                ok = body is not None and link in body.get_content()
            if not ok:
                tally.refuse()
                return "554 5.6.0 malformed message"
            for i in indices:
                tally.record(i)
            return "250 OK"

    controller = Controller(Mailbox(), hostname=HOST, port=port)
    controller.start()
    ready.set()
    while True:  # until terminated
        time.sleep(3600)


def start_mailbox(port: int, tally: Any, needle: Any, check_every: int) -> multiprocessing.Process:
    ready = multiprocessing.Event()
    process = multiprocessing.Process(
        target=_mailbox, args=(port, tally, ready, needle, check_every), daemon=True
    )
    process.start()
    if not ready.wait(10):
        raise RuntimeError("the SMTP server did not start")
    return process


# --- Kannel and the phones ----------------------------------------------------------------------


def _unquote(data: str) -> bytes:
    return urllib.parse.unquote_to_bytes(data.replace("+", "%20"))


class Phones:
    """What fakesmsc printed, read from the phones' log as it is written: each SMS a phone
    received is counted for its subscriber, and must carry ``needle`` (the message's link).

    fakesmsc prints one ``Got message N: <from to kind data>`` line per SMS, its data
    URL-encoded, except plain text, which it prints as is: each further line of a text with
    line breaks comes as a line of its own (``Got message N+1: <…>``, without the from, to and
    kind), so a plain-text SMS ends at the next SMS or when the log falls silent. A multipart
    SMS (``udh``, its concatenation header) counts once all its parts are in."""

    MARK = "Got message "
    KINDS = frozenset({"text", "udh", "ucs2", "ucs-2", "data"})
    QUIET = 0.05  # seconds without a line: a plain-text SMS being printed is over

    def __init__(self, log: Path, tally: Any) -> None:
        self.tally = tally
        self.needle = "\0"
        self.parts: dict[tuple[str, int], dict[int, bytes]] = {}
        self.text: tuple[str, list[str], float] | None = None  # plain text being printed
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._follow, args=(log,), daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(5)

    def _follow(self, log: Path) -> None:
        """Read the log as it grows (from its end: what was there before is not ours)."""
        with log.open("rb") as f:
            f.seek(0, os.SEEK_END)
            rest = b""
            quiet_since = time.time()
            while not self.stopping.is_set():
                chunk = f.read()
                now = time.time()
                if not chunk:
                    if self.text is not None and now - quiet_since > self.QUIET:
                        self._text_over()
                    time.sleep(0.01)
                    continue
                quiet_since = now
                *lines, rest = (rest + chunk).split(b"\n")
                for raw in lines:
                    self._line(raw.decode("utf-8", "replace").rstrip("\r"), now)

    def _line(self, line: str, at: float) -> None:
        if self.MARK not in line or ": <" not in line or not line.endswith(">"):
            return
        body = line.split(self.MARK, 1)[1].split(": <", 1)[1][:-1]
        fields = body.split(" ", 3)
        head = len(fields) == 4 and fields[0] == SENDER and fields[2] in self.KINDS
        if not head:
            if self.text is not None:
                self.text[1].append(body)
                self.text = (self.text[0], self.text[1], at)
            else:
                self.tally.refuse()
            return
        if self.text is not None:
            self._text_over()
        _sender, number, kind, rest = fields
        if kind == "text":
            self.text = (number, [rest], at)
        elif kind == "udh":
            udh, _, data = rest.partition(" data ")
            header = _unquote(udh)
            if len(header) < 6 or header[1] != 0x00:  # 8-bit concatenation reference
                self.tally.refuse()
                return
            reference, total, sequence = header[3], header[4], header[5]
            got = self.parts.setdefault((number, reference), {})
            got[sequence] = _unquote(data)
            if len(got) == total:
                del self.parts[(number, reference)]
                payload = b"".join(got[k] for k in sorted(got))
                self._sms(number, payload.decode("latin-1"), at, payload)
        elif kind in ("ucs2", "ucs-2"):
            self._sms(number, _unquote(rest).decode("utf-16-be", "replace"), at)
        else:
            self._sms(number, _unquote(rest).decode("utf-8", "replace"), at)

    def _text_over(self) -> None:
        assert self.text is not None  # noqa: S101 - called with a text being printed
        number, lines, at = self.text
        self.text = None
        self._sms(number, "\n".join(lines), at)

    def _sms(self, number: str, text: str, at: float, raw: bytes = b"") -> None:
        """One whole SMS (``raw``: the bytes of a multipart one, GSM or UCS-2)."""
        index = index_of_number(number)
        texts = [text, raw.decode("utf-16-be", "replace")] if raw else [text]
        if index is None or index >= len(self.tally.counts):
            self.tally.refuse()
        elif any(self.needle in t for t in texts):
            self.tally.record(index, at)
        else:
            self.tally.refuse()


def _gateway(setup: Any, log: Path) -> None:
    """Kannel's programs under Qurb's supervisor, as ``qurb demo`` runs them (in a process of
    its own, their terminal output in ``log``); SIGTERM stops them all."""
    from qurb.core.supervisor import Supervisor

    descriptor = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(descriptor, 1)
    os.dup2(descriptor, 2)
    sys.exit(Supervisor(setup.programs()).run())


@dataclass
class Kannel:
    """The local gateway of ``qurb.sms.kannel`` (bearerbox, smsbox and fakesmsc as the
    phones, its configuration written by ``Setup``), calling the site at ``web_url``; what the
    phones receive is read from the phones' log as it grows."""

    directory: Path
    web_url: str
    tally: Any
    process: multiprocessing.Process | None = None
    phones: Phones | None = None
    environment: dict[str, str] = field(default_factory=dict)
    setup: Any = field(init=False)  # qurb.sms.kannel.Setup

    def __post_init__(self) -> None:
        """The configuration (free ports, fresh passwords) and the environment Qurb needs,
        known before Kannel starts."""
        from qurb.sms import kannel

        if not kannel.installed():
            raise SystemExit("Kannel is not installed (apt-get install kannel kannel-extras)")
        self.setup = kannel.Setup.create(self.directory / "kannel", self.web_url)
        self.environment = self.setup.environment()

    def start(self) -> None:
        from qurb.sms import kannel

        setup = self.setup
        setup.write()
        self.process = multiprocessing.Process(
            target=_gateway, args=(setup, self.directory / "kannel.out"), daemon=False
        )
        self.process.start()
        log = kannel.Phones(setup.directory).log
        deadline = time.monotonic() + 60
        while not (setup.phones_connected() and kannel.Phones(setup.directory).running()):
            if time.monotonic() > deadline or not self.process.is_alive():
                output = (self.directory / "kannel.out").read_text(errors="replace")
                raise RuntimeError(f"Kannel did not start:\n{output[-3000:]}")
            time.sleep(0.1)
        self.phones = Phones(log, self.tally)

    @property
    def sendsms_url(self) -> str:
        return self.environment["QURB_KANNEL_SENDSMS_URL"]

    @property
    def username(self) -> str:
        return self.environment["QURB_KANNEL_USERNAME"]

    @property
    def password(self) -> str:
        return self.environment["QURB_KANNEL_PASSWORD"]

    def stop(self) -> None:
        if self.phones is not None:
            self.phones.stop()
        if self.process is not None and self.process.is_alive():
            self.process.terminate()
            self.process.join(30)


# --- the reference: the same copies straight to the receivers ---------------------------------


def _answer_dlr() -> tuple[http.server.ThreadingHTTPServer, str]:
    """Delivery reports of the reference's SMS, answered 200 at once (they name no SMS of
    Qurb's)."""

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer((HOST, 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://{HOST}:{server.server_address[1]}/dlr"


@dataclass(frozen=True)
class Target:
    smtp_port: int
    push_port: int
    sendsms_url: str
    username: str
    password: str
    dlr_url: str
    message_id: int
    site_url: str


def _client(indices: list[int], channels: np.ndarray, target: Target, keys: list[Any]) -> None:
    """Send each index its copy, one at a time, as a plain client: SMTP on one connection,
    Web Push (pywebpush's encryption, one VAPID signature) and sendsms on keep-alive pools."""
    import urllib3
    from py_vapid import Vapid02
    from pywebpush import WebPusher

    http = urllib3.PoolManager(maxsize=2, retries=False)
    smtp: smtplib.SMTP | None = None
    vapid = Vapid02()
    vapid.generate_keys()
    audience = f"http://{HOST}:{target.push_port}"
    claims = {"sub": "mailto:bench@qurb.invalid", "aud": audience, "exp": int(time.time()) + 3600}
    authorization = vapid.sign(claims)["Authorization"]
    link = f"{target.site_url}/messages/{target.message_id}/"
    for i in indices:
        language = ("ar", "fr", "en")[i % 3]
        title, text = f"Information: {TITLES[language]}", BODIES[language]
        channel = CHANNELS[channels[i]]
        if channel == "email":
            if smtp is None:
                smtp = smtplib.SMTP(HOST, target.smtp_port)
            mail = email.message.EmailMessage()
            mail["Subject"], mail["From"], mail["To"] = title, "qurb@localhost", email_of(i)
            leave = f"{target.site_url}/messages/subscriptions/{TOKEN_PREFIX}{i}/unsubscribe/"
            mail["List-Unsubscribe"] = f"<{leave}>"
            mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
            mail.set_content(f"{text}\n\n{link}\n\n{leave}")
            smtp.send_message(mail)
        elif channel == "push":
            key = keys[i % len(keys)]
            payload = json.dumps(
                {"title": title, "body": text, "url": link, "tag": f"message-{target.message_id}"},
                ensure_ascii=False,
            ).encode()
            pusher = WebPusher(
                {
                    "endpoint": endpoint_of(i, target.push_port),
                    "keys": {"p256dh": key.p256dh, "auth": key.auth},
                }
            )
            body = pusher.encode(payload, content_encoding="aes128gcm")["body"]
            answer = http.request(
                "POST",
                endpoint_of(i, target.push_port),
                body=body,
                headers={
                    "Authorization": authorization,
                    "Content-Encoding": "aes128gcm",
                    "Content-Type": "application/octet-stream",
                    "TTL": "3600",
                    "Urgency": "normal",
                    "Topic": f"message-{target.message_id}",
                },
            )
            if answer.status != 201:
                raise RuntimeError(f"push service answered {answer.status}")
        else:
            params = {
                "username": target.username,
                "password": target.password,
                "from": SENDER,
                "to": number_of(i),
                "text": f"{title}\n{text}\n{link}\nSTOP",
                "charset": "UTF-8",
                "coding": "0" if language != "ar" else "2",
                "dlr-mask": "31",
                "dlr-url": f"{target.dlr_url}?id={i}&status=%d",
            }
            answer = http.request("GET", f"{target.sendsms_url}?{urllib.parse.urlencode(params)}")
            if answer.status >= 300:
                raise RuntimeError(f"Kannel answered {answer.status}: {answer.data[:80]!r}")
    if smtp is not None:
        smtp.quit()


def run_clients(
    indices: np.ndarray, processes: int, channels: np.ndarray, target: Target, keys: list[Any]
) -> float:
    """``indices`` shared over ``processes`` client processes; returns when they started."""
    shares = [indices[k::processes].tolist() for k in range(processes)]
    procs = [
        multiprocessing.Process(target=_client, args=(share, channels, target, keys))
        for share in shares
    ]
    started = time.time()
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join()
        if proc.exitcode:
            raise RuntimeError("a reference client failed")
    return started


# --- measuring --------------------------------------------------------------------------------


@dataclass
class Line:
    channel: str
    copies: int  # subscribers who got at least one copy
    first_s: float
    last_s: float
    lost: int
    duplicated: int

    @property
    def rate(self) -> float:
        span = self.last_s - self.first_s
        return self.copies / span if span > 0 else float("nan")

    def __str__(self) -> str:
        return (
            f"{self.channel:<8} {self.copies:>8} {self.first_s:>8.2f} {self.last_s:>8.2f} "
            f"{self.rate:>12,.0f}"
        )


HEADER = f"{'CHANNEL':<8} {'copies':>8} {'first_s':>8} {'last_s':>8} {'copies_per_s':>12}"


def measure(
    tallies: dict[str, Any], channels: np.ndarray, since: float, expected: dict[str, int]
) -> list[Line]:
    lines = []
    for c, name in enumerate(CHANNELS):
        tally = tallies[name]
        received = tally.received()[channels == c] if expected[name] else np.zeros(0, np.int32)
        stray = int(tally.received()[channels != c].sum())
        lines.append(
            Line(
                name,
                int((received > 0).sum()),
                tally.first_at.value - since if tally.first_at.value else float("nan"),
                tally.last_at.value - since if tally.last_at.value else float("nan"),
                int((received == 0).sum()) + stray,
                int(np.clip(received - 1, 0, None).sum()),
            )
        )
    copies = sum(line.copies for line in lines)
    firsts = [line.first_s for line in lines if line.copies]
    lasts = [line.last_s for line in lines if line.copies]
    lines.append(
        Line(
            "all",
            copies,
            min(firsts) if firsts else float("nan"),
            max(lasts) if lasts else float("nan"),
            sum(line.lost for line in lines),
            sum(line.duplicated for line in lines),
        )
    )
    return lines


def wait_for(
    tallies: dict[str, Any],
    expected: dict[str, int],
    settled: Callable[[], bool],
    stall: float,
    label: str,
    progress: Callable[[], str] = lambda: "",
) -> bool:
    """Until every receiver has its copies and ``settled()`` says nothing is left to send;
    False after ``stall`` seconds without progress. Every 15 s, the counts so far and
    ``progress()``."""
    started = last_progress = last_report = time.time()
    last_total = -1
    while True:
        time.sleep(0.2)
        totals = {name: tallies[name].total() for name in CHANNELS}
        total = sum(totals.values())
        now = time.time()
        if total != last_total:
            last_total, last_progress = total, now
        if now - last_report > 15:
            last_report = now
            print(
                f"  {label} at {now - started:.0f} s: "
                + ", ".join(f"{k} {totals[k]:,}/{expected[k]:,}" for k in CHANNELS)
                + progress(),
                flush=True,
            )
        if all(totals[k] >= expected[k] for k in CHANNELS) and settled():
            time.sleep(1.0)  # a late duplicate would show now
            return True
        if now - last_progress > stall:
            print(
                f"  no progress for {stall:.0f} s: "
                + ", ".join(f"{k} {totals[k]:,}" for k in CHANNELS)
            )
            return False


def queue_depth(broker: str, queue: str) -> str:
    """The tasks waiting in the broker's queue (not yet given to a worker)."""
    from kombu import Connection

    try:
        with Connection(broker) as conn:
            _name, waiting, _consumers = conn.default_channel.queue_declare(queue, passive=True)
    except Exception as exc:  # the measure goes on without it
        return f"; queue: {type(exc).__name__}"
    return f"; {waiting:,} tasks waiting in the queue"


def sms_waits() -> str:
    """How long SMS waited between their copy (queued for Kannel) and Kannel, and how many
    had their task put in the queue again after a minute (the SMS sweep, or a retry)."""
    from django.db import connection

    with connection.cursor() as cursor:
        wait = "extract(epoch FROM sent_at - created_at)"
        cursor.execute(
            f"SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY {wait}), max({wait}),"  # noqa: S608 - fixed text
            " count(*) FILTER (WHERE enqueued_at > created_at + interval '1 minute'),"
            " max(extract(epoch FROM enqueued_at - created_at))"
            " FROM sms_outgoingsms WHERE sent_at IS NOT NULL"
        )
        median, longest, again, last = cursor.fetchone()
    if median is None:
        return "no SMS sent"
    waited = (
        f"an SMS waited {median:.1f} s (median), {longest:.1f} s at most, between its copy and "
        f"Kannel; {again:,} had their task queued again after a minute"
    )
    return waited + (f" (the last {last:.0f} s after the SMS was queued)" if again else "")


def outbox() -> int:
    """Tasks kept in the database because the broker did not take them."""
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.count()


def message_states(message_id: int) -> dict[tuple[str, str], int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.channel, d.state, count(*) FROM messaging_messagedelivery d"
            " JOIN messaging_areasubscription s ON s.id = d.subscription_id"
            " WHERE d.message_id = %s GROUP BY 1, 2",
            [message_id],
        )
        return {(channel, state): int(n) for channel, state, n in cursor.fetchall()}


def sms_states() -> dict[str, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT state, count(*) FROM sms_outgoingsms GROUP BY 1")
        return {state: int(n) for state, n in cursor.fetchall()}


def settled(message_id: int) -> bool:
    from django.db import connection

    states = message_states(message_id)
    sms = sms_states()
    connection.close()
    busy = ("pending", "sending")
    return (
        bool(states)
        and not any(state in busy for (_channel, state) in states)
        and not any(sms.get(state) for state in busy)
    )


# --- main -------------------------------------------------------------------------------------


@contextlib.contextmanager
def gunicorn(env: dict[str, str], port: int, directory: Path) -> Iterator[None]:
    """The site under gunicorn (``bench/intake.py``'s server): Kannel's delivery reports
    reach Qurb there."""
    from bench.intake import Server

    server = Server(env, port, 1, directory / "gunicorn.log")
    server.start()
    try:
        yield
    finally:
        server.stop()


@dataclass
class Receivers:
    """The three receivers and their tallies, for as long as ``stack`` lasts."""

    tallies: dict[str, Any]
    needle: Any  # the message's id, which the mailbox looks for in the bodies
    smtp_port: int
    push_port: int
    kannel: Kannel
    site_url: str

    @property
    def phones(self) -> Phones:
        assert self.kannel.phones is not None  # noqa: S101 - started with the receivers
        return self.kannel.phones

    def expect(self, message_id: int) -> None:
        self.needle.value = message_id
        self.phones.needle = f"/messages/{message_id}/"

    def reset(self) -> None:
        for tally in self.tallies.values():
            tally.reset()


def start_receivers(
    stack: contextlib.ExitStack,
    env: dict[str, str],
    args: argparse.Namespace,
    smtp_port: int,
    start_workers: Callable[[dict[str, str]], None],
) -> Receivers:
    """The receivers, and the site; ``start_workers`` is called with the environment (the
    site's address, Kannel's) as soon as it is known, so that they start meanwhile."""
    from bench import pushservice
    from bench.intake import free_port

    n = args.subscribers
    tallies = {name: pushservice.Tally.create(n) for name in CHANNELS}
    needle = multiprocessing.Value("l", 0)
    directory = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="qurb-msg-")))
    site_port = free_port()
    site_url = f"http://{HOST}:{site_port}"
    kannel = Kannel(directory, site_url, tallies["sms"])
    env.update({"QURB_SITE_URL": site_url, **kannel.environment})
    start_workers(env)
    mailbox = start_mailbox(smtp_port, tallies["email"], needle, args.check_every)
    stack.callback(mailbox.terminate)
    push = pushservice.start(
        HOST,
        args.push_port,
        tallies["push"],
        topic="message-",
        expect=needle,
        keys=browser_keys(),
        decrypt_every=args.check_every,
    )
    stack.callback(push.terminate)
    stack.enter_context(gunicorn(env, site_port, directory))
    stack.callback(kannel.stop)
    kannel.start()
    return Receivers(tallies, needle, smtp_port, args.push_port, kannel, site_url)


@dataclass
class Run:
    lines: list[Line]
    done: bool  # every copy came and nothing was left to send
    states: dict[tuple[str, str], int]  # (channel, state) → deliveries
    sms: dict[str, int]  # outgoing SMS by state, once the delivery reports are in
    bad: dict[str, int]  # malformed copies per receiver
    fanout_s: tuple[float | None, float | None]  # started, finished (after publication)
    message_id: int
    sms_waits: str


def publish_and_wait(
    receivers: Receivers,
    channels: np.ndarray,
    expected: dict[str, int],
    stall: float,
    progress: Callable[[], str],
) -> Run:
    """The chief writes and publishes the message; every copy is waited for."""
    from django.db import connection

    from qurb.accounts.models import User
    from qurb.areas.models import Area
    from qurb.messaging.models import DistrictMessage
    from qurb.messaging.services import message_publish, message_save

    chief = User.objects.get(username=CHIEF)
    message = message_save(
        actor=chief,
        area=Area.objects.get(code=DISTRICT),
        kind="information",
        titles=TITLES,
        bodies=BODIES,
    )
    receivers.expect(message.pk)
    published = time.time()
    message_publish(actor=chief, message=message)  # the fan-out is enqueued on commit
    if outbox():
        print("  the broker refused the fan-out task: kept in the outbox until a sweep")
    connection.close()
    print(
        f"message {message.pk} published by {CHIEF} in {time.time() - published:.2f} s; "
        "waiting for every copy",
        flush=True,
    )
    done = wait_for(
        receivers.tallies, expected, lambda: settled(message.pk), stall, "received", progress
    )
    lines = measure(receivers.tallies, channels, published, expected)
    states = message_states(message.pk)
    bad = {name: int(receivers.tallies[name].bad.value) for name in CHANNELS}
    row = DistrictMessage.objects.get(pk=message.pk)
    started, finished = (
        moment.timestamp() - published if moment else None
        for moment in (row.fanout_started_at, row.fanned_out_at)
    )
    # Kannel calls the site with each SMS's delivery reports: give the last ones a moment.
    deadline = time.time() + 30
    while time.time() < deadline and sms_states().get("sent", 0):
        time.sleep(0.5)
    sms = sms_states()
    waits = sms_waits()
    connection.close()
    return Run(
        lines,
        done,
        states,
        sms,
        bad,
        (started, finished),
        message.pk,
        waits,
    )


def report(run: Run, expected: dict[str, int]) -> bool:
    """Print the run's lines and checks; False when a check fails."""
    ok = run.done
    print(HEADER)
    for line in run.lines:
        print(line)
    started, finished = run.fanout_s
    if started is not None and finished is not None:
        print(
            f"fan-out: started {started:.2f} s after publication, every chunk queued and "
            f"dispatched at {finished:.2f} s"
        )
    for c, name in enumerate(CHANNELS):
        by_state = {
            state: v for (channel, state), v in sorted(run.states.items()) if channel == name
        }
        print(f"  {name}: deliveries by state {by_state}; malformed copies {run.bad[name]}")
        if name != "sms" and by_state.get("sent", 0) != run.lines[c].copies:
            print(f"  {name}: the deliveries recorded sent differ from the copies received")
            ok = False
    handed = run.sms.get("sent", 0) + run.sms.get("delivered", 0)
    print(
        f"  sms: outgoing SMS by state {run.sms}; Kannel's delivery reports recorded through "
        f"the site: {run.sms.get('delivered', 0):,} delivered of {handed:,}"
    )
    print(f"  sms: {run.sms_waits}")
    if handed != run.lines[2].copies or run.states.get(("sms", "sent"), 0) != expected["sms"]:
        print("  sms: the SMS handed to Kannel differ from the copies the phones received")
        ok = False
    return ok and not any(run.bad.values())


def reference(
    receivers: Receivers,
    channels: np.ndarray,
    args: argparse.Namespace,
    message_id: int,
    stack: contextlib.ExitStack,
) -> tuple[list[Line], Line | None]:
    """The same mix straight to the same receivers by plain clients; then Kannel alone."""
    n = args.subscribers
    sink, dlr_url = _answer_dlr()
    stack.callback(sink.shutdown)
    kannel = receivers.kannel
    target = Target(
        receivers.smtp_port,
        receivers.push_port,
        kannel.sendsms_url,
        kannel.username,
        kannel.password,
        dlr_url,
        message_id,
        receivers.site_url,
    )
    keys = browser_keys()
    count = max(3, min(n, int(n * args.reference)))
    sample = np.zeros(n, bool)
    sample[np.linspace(0, n - 1, count).astype(int)] = True
    mix = np.where(sample, channels, -1)
    wanted = {name: int((mix == c).sum()) for c, name in enumerate(CHANNELS)}
    receivers.reset()
    started = run_clients(np.flatnonzero(sample), args.workers, channels, target, keys)
    wait_for(receivers.tallies, wanted, lambda: True, args.stall, "reference")
    lines = measure(receivers.tallies, mix, started, wanted)
    alone = None
    if args.kannel_alone:
        receivers.reset()
        only = np.full(n, -1)
        only[: min(args.kannel_alone, n)] = 2
        wanted = {"email": 0, "push": 0, "sms": int((only == 2).sum())}
        started = run_clients(np.flatnonzero(only == 2), KANNEL_CLIENTS, only, target, keys)
        wait_for(receivers.tallies, wanted, lambda: True, args.stall, "Kannel alone")
        alone = measure(receivers.tallies, only, started, wanted)[2]
    return lines, alone


KANNEL_CLIENTS = 8  # concurrent sendsms clients when Kannel is measured alone


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--split", default="40,40,20", help="e-mail,push,SMS percentages")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--chunk", type=int, default=300)
    parser.add_argument(
        "--reference", type=float, default=0.1, help="share of the copies the reference sends"
    )
    parser.add_argument("--kannel-alone", type=int, default=4000, help="SMS; 0: not measured")
    parser.add_argument("--check-every", type=int, default=25, help="bodies read in full: 1 in N")
    parser.add_argument("--stall", type=float, default=60.0)
    parser.add_argument("--push-port", type=int, default=PUSH_PORT)
    parser.add_argument("--fresh", action="store_true", help="drop and recreate the database")
    parser.add_argument(
        "--database", default=os.environ.get("QURB_BENCH_MESSAGES_DATABASE", DEFAULT_DB)
    )
    from bench.smoke import add_smoke

    add_smoke(
        parser,
        subscribers=600,
        workers=2,
        chunk=100,
        reference=0.3,
        kannel_alone=200,
        check_every=1,
        stall=20.0,
        database=DEFAULT_DB + "_smoke",
    )
    args = parser.parse_args()
    split = [int(x) for x in args.split.split(",")]
    if len(split) != 3 or min(split) < 0 or not sum(split):
        parser.error("--split takes three percentages: e-mail,push,SMS")
    from bench.database import ensure_database
    from bench.fanout import BROKER, Workers, wait_for_consumers
    from bench.intake import free_port

    ensure_database(args.database, fresh=args.fresh)
    n = args.subscribers
    channels = plan(n, split)
    expected = {name: int((channels == c).sum()) for c, name in enumerate(CHANNELS)}
    queue = f"qurb-bench-msg-{uuid.uuid4().hex[:8]}"
    smtp_port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": args.database,
        "REDIS_URL": REDIS_URL,
        "DJANGO_SETTINGS_MODULE": "qurb.config.settings",
        "QURB_DATA_DIR": str(DATA_DIR),
        "QURB_DB_CONN_MAX_AGE": "60",
        "QURB_BROKER_URL": BROKER,
        "QURB_TASK_QUEUE": queue,
        "QURB_ALERT_PUSH_HOSTS": HOST,
        "QURB_MESSAGE_DELIVERY_CHUNK": str(args.chunk),
        "QURB_EMAIL_HOST": HOST,
        "QURB_EMAIL_PORT": str(smtp_port),
        "QURB_EMAIL_TLS": "false",
        # The cap a district's SMS meet, raised for this run to the SMS subscribers (printed).
        "QURB_SMS_DAILY_CAP_PER_AREA": str(max(expected["sms"], 1)),
    }
    os.environ.update(env)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from qurb.accounts.models import User

    call_command("migrate", interactive=False, verbosity=0)
    if not User.objects.filter(username=CHIEF).exists():
        from qurb.demo.services import demo_load

        demo_load()
    load_subscribers(n, channels, args.push_port)
    reset_run()
    connection.close()
    print(
        f"{n:,} subscriptions to district {DISTRICT} and its neighbourhoods: "
        + ", ".join(f"{k} {expected[k]:,}" for k in CHANNELS)
        + f" (split {args.split}, interleaved); rhythm at once; {args.workers} workers; "
        f"chunks of {args.chunk}"
    )
    print(
        f"SMS caps for this run: per area and day {settings.SMS_DAILY_CAP_PER_AREA:,} "
        "(QURB_SMS_DAILY_CAP_PER_AREA, default 5,000); per number and day "
        f"{settings.SMS_DAILY_CAP_PER_NUMBER} (QURB_SMS_DAILY_CAP_PER_NUMBER, unchanged)"
    )
    _delete_queue(BROKER, queue)  # what loading the demo enqueued is not part of the run
    load = os.getloadavg()[0]
    # Why a task would go to the outbox rather than to the broker.
    logging.getLogger("qurb.core.taskqueue").addHandler(logging.StreamHandler())
    with contextlib.ExitStack() as stack:
        stack.callback(_delete_queue, BROKER, queue)
        started: list[Workers] = []

        def start_workers(environment: dict[str, str]) -> None:
            started.append(Workers(environment, None, 1, args.workers))
            stack.callback(started[0].stop)

        receivers = start_receivers(stack, env, args, smtp_port, start_workers)
        workers = started[0]
        wait_for_consumers(queue, args.workers)
        run = publish_and_wait(
            receivers, channels, expected, args.stall, lambda: queue_depth(BROKER, queue)
        )
        workers.stop()
        ok = report(run, expected)
        ref, alone = reference(receivers, channels, args, run.message_id, stack)
    print(
        f"reference: {ref[-1].copies:,} copies mixed the same way, sent by {args.workers} plain "
        "client processes straight to the same receivers (no database, no broker):"
    )
    for line in ref:
        print(f"  {line}")
    if alone is not None:
        print(
            f"Kannel with fakesmsc alone: {alone.copies:,} SMS from {KANNEL_CLIENTS} clients, "
            f"the last received {alone.last_s:.2f} s after the first was sent: "
            f"{alone.copies / alone.last_s:,.0f} SMS/s (delivery reports answered at once)"
        )
    ratios = ", ".join(
        f"{q.channel} {q.rate / r.rate:.2f}"
        for q, r in zip(run.lines, ref, strict=True)
        if r.copies and q.copies
    )
    print(f"ratio Qurb / reference (copies/s): {ratios}")
    qurb = run.lines[-1]
    print(
        f"summary: {qurb.copies:,} of {n:,} subscribers reached, first copy {qurb.first_s:.2f} s "
        f"and last {qurb.last_s:.2f} s after publication, {qurb.rate:,.0f} copies/s "
        f"(reference {ref[-1].rate:,.0f}, ratio {qurb.rate / ref[-1].rate:.2f}); "
        f"malformed {sum(run.bad.values())}; load average {load:.1f} before, "
        f"{os.getloadavg()[0]:.1f} after; lost={qurb.lost} duplicated={qurb.duplicated}"
    )
    print(f"lost={qurb.lost} duplicated={qurb.duplicated}")
    if not ok or qurb.lost or qurb.duplicated:
        sys.exit(1)


def _delete_queue(broker: str, queue: str) -> None:
    from kombu import Connection

    with Connection(broker) as conn:
        conn.default_channel.queue_delete(queue)


if __name__ == "__main__":
    main()
