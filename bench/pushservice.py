"""A Web Push service on loopback for the delivery benchmarks, and what a receiver counts.

``serve`` is a keep-alive HTTP/1.1 server, in a process of its own, that checks each request
as a push service would before answering 201: the VAPID ``Authorization`` (RFC 8292: the JWT's
ES256 signature verified with the ``k`` key it carries, its audience this server's origin, an
expiry within 24 hours, a subject), the aes128gcm body (RFC 8188 header with the sender's
P-256 key as key id, one record: RFC 8291), ``TTL``, ``Topic`` and ``Urgency``. A malformed
request is answered 400 and counted. Given the subscribers' private keys, it also decrypts every
``decrypt_every``-th copy as the browser would and checks the payload is a notification (JSON
with a title and a link). Copies are counted per subscriber in a ``Tally`` (the endpoint's
path is ``/p/<subscriber index>``).

Used by ``bench/fanout.py`` (alerts) and ``bench/messages.py`` (neighbourhood messages).
"""

from __future__ import annotations

import asyncio
import base64
import json
import multiprocessing
import os
import time
from dataclasses import dataclass
from typing import Any

import http_ece
import numpy as np
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

VAPID_MAX_SECONDS = 24 * 3600  # RFC 8292 §2: push services refuse an expiry further away
URGENCIES = {"very-low", "low", "normal", "high"}


# --- what a receiver counts -------------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    """Copies received per subscriber index, the first and last arrival (``time.time()``) and
    the requests refused as malformed; shared between a receiver's process and the benchmark."""

    counts: Any  # multiprocessing.Array("i", n)
    first_at: Any  # multiprocessing.Value("d")
    last_at: Any
    bad: Any  # multiprocessing.Value("l")

    @classmethod
    def create(cls, n: int) -> Tally:
        return cls(
            multiprocessing.Array("i", n),
            multiprocessing.Value("d", 0.0),
            multiprocessing.Value("d", 0.0),
            multiprocessing.Value("l", 0),
        )

    def record(self, index: int, at: float | None = None) -> None:
        """One copy for subscriber ``index``, received now (or at ``at``)."""
        now = time.time() if at is None else at
        with self.counts.get_lock():
            if self.first_at.value == 0 or now < self.first_at.value:
                self.first_at.value = now
            self.last_at.value = max(self.last_at.value, now)
            self.counts[index] += 1

    def refuse(self) -> None:
        with self.bad.get_lock():
            self.bad.value += 1

    def received(self) -> np.ndarray:
        """A copy of the counts, one per subscriber index."""
        with self.counts.get_lock():
            return np.frombuffer(self.counts.get_obj(), np.int32).copy()

    def total(self) -> int:
        return int(np.frombuffer(self.counts.get_obj(), np.int32).sum())

    def reset(self) -> None:
        with self.counts.get_lock():
            np.frombuffer(self.counts.get_obj(), np.int32)[:] = 0
            self.first_at.value = 0.0
            self.last_at.value = 0.0
        with self.bad.get_lock():
            self.bad.value = 0


# --- subscribers' keys ------------------------------------------------------------------------


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class BrowserKey:
    """What a browser keeps for one push subscription: its P-256 private key (as a number, so
    that it crosses to the push service's process) and the auth secret; ``p256dh`` and
    ``auth`` are what the server is given."""

    private: int
    p256dh: str
    auth: str


def browser_keys(n: int) -> list[BrowserKey]:
    """A pool of ``n`` browser-like subscription keys (reused over many subscribers: the
    server still encrypts every copy on its own)."""
    out = []
    for _ in range(n):
        key = ec.generate_private_key(ec.SECP256R1())
        public = key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        out.append(
            BrowserKey(key.private_numbers().private_value, b64url(public), b64url(os.urandom(16)))
        )
    return out


# --- the checks -------------------------------------------------------------------------------


class Vapid:
    """RFC 8292 ``Authorization: vapid t=<JWT>, k=<key>``, each distinct header verified once
    (the sender signs once per push service and reuses the header; its expiry is checked on
    every request)."""

    def __init__(self) -> None:
        self.verified: dict[str, float] = {}  # header → its JWT's expiry

    def ok(self, header: str, audience: str) -> bool:
        expires = self.verified.get(header)
        if expires is None:
            expires = self._verify(header, audience)
            if expires is None:
                return False
            self.verified[header] = expires
        return time.time() < expires

    @staticmethod
    def _verify(header: str, audience: str) -> float | None:
        scheme, _, rest = header.partition(" ")
        if scheme.lower() != "vapid":
            return None
        fields = {}
        for part in rest.split(","):
            name, _, value = part.strip().partition("=")
            fields[name] = value
        token, key = fields.get("t", ""), fields.get("k", "")
        try:
            head, claims, signature = token.split(".")
            if json.loads(unb64url(head)) != {"typ": "JWT", "alg": "ES256"}:
                return None
            public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(key))
            raw = unb64url(signature)
            if len(raw) != 64:
                return None
            der = encode_dss_signature(int.from_bytes(raw[:32]), int.from_bytes(raw[32:]))
            public.verify(der, f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
            body = json.loads(unb64url(claims))
        except (ValueError, InvalidSignature, json.JSONDecodeError):
            return None
        expires = body.get("exp")
        subject = str(body.get("sub", ""))
        if (
            body.get("aud") != audience
            or not isinstance(expires, int)
            or not time.time() < expires <= time.time() + VAPID_MAX_SECONDS + 60
            or not subject.startswith(("mailto:", "https:"))
        ):
            return None
        return float(expires)


def aes128gcm_ok(body: bytes) -> bool:
    """RFC 8188 header (salt, record size, key id) with the sender's ephemeral P-256 key as
    the key id, and one record of at least a tag and the padding delimiter (RFC 8291 §4)."""
    if len(body) < 21:
        return False
    record_size = int.from_bytes(body[16:20])
    key_length = body[20]
    record = len(body) - 21 - key_length
    return (
        key_length == 65 and body[21] == 0x04 and record_size >= 18 and 17 <= record <= record_size
    )


def notification_ok(body: bytes, key: ec.EllipticCurvePrivateKey, auth: bytes, topic: str) -> bool:
    """Decrypt as the browser does; the payload must be a notification: JSON with a title and
    a link, and the tag the ``Topic`` was made from."""
    try:
        payload = json.loads(
            http_ece.decrypt(body, private_key=key, auth_secret=auth, version="aes128gcm")
        )
    except Exception:  # any failure to decrypt or to read is a malformed copy
        return False
    return (
        isinstance(payload, dict)
        and bool(payload.get("title"))
        and str(payload.get("url", "")).startswith(("http://", "https://"))
        and str(payload.get("tag", ""))[: len(topic)] == topic
    )


# --- the server -------------------------------------------------------------------------------


def serve(
    host: str,
    port: int,
    tally: Tally,
    ready: Any,
    *,
    topic: str,
    expect: Any = None,
    keys: list[BrowserKey] | None = None,
    decrypt_every: int = 0,
) -> None:
    """Answer push requests on ``host:port`` until terminated (run it in its own process).
    ``topic``: the prefix every ``Topic`` header must have; with ``expect`` (a shared number,
    0 for any), the whole ``Topic`` must be ``topic`` followed by it. ``keys`` (subscriber
    ``i`` holds ``keys[i % len(keys)]``) and ``decrypt_every``: decrypt that share of the
    copies."""
    vapid = Vapid()
    private = [
        (ec.derive_private_key(k.private, ec.SECP256R1()), unb64url(k.auth)) for k in keys or []
    ]

    def acceptable(method: str, path: str, headers: dict[str, str], body: bytes) -> int | None:
        """The subscriber index of a well-formed push request, or None."""
        if method != "POST" or not path.startswith("/p/") or not path[3:].isdigit():
            return None
        index = int(path[3:])
        urgency = headers.get("urgency", "normal")
        if not (
            vapid.ok(headers.get("authorization", ""), f"http://{headers.get('host', '')}")
            and headers.get("content-encoding") == "aes128gcm"
            and headers.get("ttl", "").isdigit()
            and headers.get("topic", "").startswith(topic)
            and (not expect or not expect.value or headers["topic"] == f"{topic}{expect.value}")
            and len(headers.get("topic", "")) <= 32
            and urgency in URGENCIES
            and aes128gcm_ok(body)
            and index < len(tally.counts)
        ):
            return None
        if private and decrypt_every and index % decrypt_every == 0:
            key, auth = private[index % len(private)]
            if not notification_ok(body, key, auth, headers["topic"]):
                return None
        return index

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path, _version = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        name, value = line.split(":", 1)
                        headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length", "0"))
                body = await reader.readexactly(length) if length else b""
                index = acceptable(method, path, headers, body)
                if index is not None:
                    tally.record(index)
                    writer.write(b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n")
                else:
                    tally.refuse()
                    writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, host, port, backlog=4096)
        ready.set()
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def start(
    host: str,
    port: int,
    tally: Tally,
    *,
    topic: str,
    expect: Any = None,
    keys: list[BrowserKey] | None = None,
    decrypt_every: int = 0,
) -> multiprocessing.Process:
    """``serve`` in a process of its own, returned once it listens."""
    ready = multiprocessing.Event()
    process = multiprocessing.Process(
        target=serve,
        args=(host, port, tally, ready),
        kwargs={"topic": topic, "expect": expect, "keys": keys, "decrypt_every": decrypt_every},
        daemon=True,
    )
    process.start()
    if not ready.wait(10):
        raise RuntimeError(f"the push service did not listen on {host}:{port}")
    return process
