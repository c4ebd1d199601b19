"""Arabic as written in Morocco (CLDR ``ar-MA``).

- Day, month, year: "3 دجنبر 2026", and "03/12/2026" in short. The short date is one run of
  digits read from left to right, as on Moroccan forms, identity cards and in the French pages;
  no right-to-left marks between its parts, so it copies as it reads.
- 24-hour time: "14:05" (Moroccan administration and press never write ص/م).
- Western Arabic digits 0-9, which Morocco's administration and press use and which ``ar-MA``
  in CLDR keeps (``latn``): Django writes them as they are, never as ٠-٩.
- The month names are Morocco's, derived from French (يناير، فبراير، مارس، أبريل، ماي، يونيو،
  يوليوز، غشت، شتنبر، أكتوبر، نونبر، دجنبر); Django's ``ar`` catalogue has the Egyptian
  and Levantine ones (مايو، يوليو، أغسطس…), so Qurb's catalogue overrides them.
- Numbers: 1.234.567,5 (CLDR ``ar-MA``: point for thousands, comma for decimals).
- The week starts on Monday.
"""

DATE_FORMAT = "j F Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j F Y، H:i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
FIRST_DAY_OF_WEEK = 1  # Monday

DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
TIME_INPUT_FORMATS = ["%H:%M", "%H:%M:%S"]
DATETIME_INPUT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"]

DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "."
NUMBER_GROUPING = 3
