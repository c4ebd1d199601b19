"""What the reports app tells the apps above it (they connect; reports imports none of them)."""

from django.dispatch import Signal

# A report's status changed, inside the transaction that changed it: sent with ``report=`` and
# ``change=`` (the ``StatusChange``). A receiver that acts outside the database waits for the
# commit (``transaction.on_commit``).
report_status_changed = Signal()
