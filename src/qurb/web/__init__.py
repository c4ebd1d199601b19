"""The one web edge of Qurb (see docs/architecture.md)."""
