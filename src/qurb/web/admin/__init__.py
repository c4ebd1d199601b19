"""The admin site: each domain's models registered in one place of the web edge."""

from qurb.web.admin import accounts, areas, audit, core, engagement, reports, security

__all__ = ["accounts", "areas", "audit", "core", "engagement", "reports", "security"]
