"""What engagement tells the apps above it, after the commit (``qurb.messaging`` turns each
into a message to the area's subscribers). Engagement never imports those apps."""

from django.dispatch import Signal

# A public meeting was planned: ``meeting_id``.
meeting_planned = Signal()
# A priority was set, or closed: ``priority_id``.
priority_set = Signal()
priority_closed = Signal()
