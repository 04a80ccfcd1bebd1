# Arabic dates on the staff pages: Django's Arabic locale has no short date-and-time format, so
# they fell back to the US month-first one ("12/07/2026 4:28 ص" for 7 December) and times lost
# their minutes. Day first, as Django's Arabic short date, and a 24-hour clock.
DATE_FORMAT = "j F، Y"
SHORT_DATE_FORMAT = "d\u200f/m\u200f/Y"
DATETIME_FORMAT = "j F، Y، H:i"
SHORT_DATETIME_FORMAT = "d\u200f/m\u200f/Y H:i"
TIME_FORMAT = "H:i"
