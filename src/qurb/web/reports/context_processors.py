from typing import Any

from django.http import HttpRequest

from qurb.reports.selectors import can_see_triage


def reports(request: HttpRequest) -> dict[str, Any]:
    """Whether to show the staff's triage link in the header."""
    user = getattr(request, "user", None)
    return {"CAN_TRIAGE": bool(user is not None and user.is_authenticated and can_see_triage(user))}
