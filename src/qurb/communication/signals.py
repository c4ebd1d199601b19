"""What communication tells the apps above it, after the commit (``qurb.messaging`` turns each
into an item for the area's subscribers who chose that topic). Communication never imports
those apps."""

from django.dispatch import Signal

# An article became public (published now, or a scheduled one whose time came): ``article_id``.
article_published = Signal()
# The yearly report of an area was published: ``area_id``, ``year``.
yearly_report_published = Signal()
