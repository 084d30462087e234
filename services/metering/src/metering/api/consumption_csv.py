"""The "download my data" file: one CSV row per point and series."""

from __future__ import annotations

import csv
import io
from zoneinfo import ZoneInfo

from metering.domain.consumption_series import decimal_text
from metering.use_cases.consumption import ConsumptionView

HEADER = (
    "start",
    "end",
    "series",
    "unit",
    "value",
    "intervals_received",
    "intervals_expected",
    "complete",
)


def consumption_csv(view: ConsumptionView, zone: ZoneInfo) -> str:
    """RFC 4180 text with a header. Times are the customer's local times with their offset
    (ISO 8601), so the repeated hour of an autumn night stays two distinct rows; values have a
    decimal point whatever the reader's locale, and a gap is an empty value, never 0."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    all_series = view.period.series
    for index in range(len(all_series[0].points) if all_series else 0):
        for series in all_series:
            point = series.points[index]
            writer.writerow(
                (
                    point.span.start.astimezone(zone).isoformat(),
                    point.span.end.astimezone(zone).isoformat(),
                    series.spec.name,
                    series.spec.unit,
                    "" if point.value is None else decimal_text(point.value),
                    point.intervals_received,
                    point.intervals_expected,
                    "true" if point.complete else "false",
                )
            )
    return out.getvalue()


def csv_filename(contract_id: str, first: str, last: str) -> str:
    """A Content-Disposition file name: ASCII letters, digits, "-" and "." only."""
    safe = "".join(c if c.isascii() and (c.isalnum() or c == "-") else "-" for c in contract_id)
    return f"consumption-{safe}-{first}-{last}.csv"
