"""The years a moment entered by anyone (API, CSV price lists) may fall in.

Far-off years are refused: they overflow time-zone arithmetic (year 1 or 9999
shifted to UTC leaves the calendar) and, before 1901, come back with local mean
time offsets such as +08:05:43.
"""

FIRST_YEAR, LAST_YEAR = 1970, 2999


def year_in_range(moment) -> bool:
    return FIRST_YEAR <= moment.year <= LAST_YEAR
