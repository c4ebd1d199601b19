"""Web Push for alerts: the shared implementation lives in ``qurb.core.webpush`` (neighbourhood
messages use it too); these names stay importable from here."""

from qurb.core.webpush import (
    VAPID_LIFETIME,
    PushRequest,
    application_server_key,
    authorization,
    push_request,
    send,
    vapid,
)

__all__ = [
    "VAPID_LIFETIME",
    "PushRequest",
    "application_server_key",
    "authorization",
    "push_request",
    "send",
    "vapid",
]
