# English dates on the staff pages: day, month name, year and a 24-hour clock, never Django's US
# default (10/04/2026 8 a.m. reads as the 4th of October to some and the 10th of April to others).
DATE_FORMAT = "j M Y"
SHORT_DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y, H:i"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
TIME_FORMAT = "H:i"
