"""What the SMS app tells the rest of Qurb."""

from django.dispatch import Signal

# A number texted STOP: it leaves every SMS subscription. Sent with ``number_hash=...``
# (``qurb.sms.services.number_hash`` of the number), after the opt-out is committed.
sms_stopped = Signal()
