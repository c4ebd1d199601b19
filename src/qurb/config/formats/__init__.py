"""Qurb's own date, time and number formats, one module per language (``FORMAT_MODULE_PATH``).

Django's formats for ``ar`` fall back to the US defaults for every date with a time
("N j, Y, P", "m/d/Y P"), and its ``en`` is American English. Qurb serves Morocco, so each
language writes dates day-month-year, times on 24 hours, weeks from Monday, and digits 0-9, as
CLDR's ``ar-MA`` and ``fr-MA`` do. The month names that Morocco uses in Arabic (ماي، يوليوز،
غشت، شتنبر، نونبر، دجنبر…) are not a format: they come from Qurb's Arabic catalogue, which
overrides Django's (``src/qurb/locale/ar/LC_MESSAGES/django.po``, "January" to "December").

The input formats put ISO first: the native date and time pickers (``type="date"``,
``type="datetime-local"``, ``type="time"``) only read ISO values, and show them to the person
in their own locale.
"""
