"""Invoice PDF renders per second on one core: plain and Factur-X.

    uv run python -m bench --only documents [--renders 200] [--e-renders 50] [--invoice-lines 10]

In-process and single-threaded (one core): billing's own document code, no database and no
HTTP. The invoice is a final settlement with ``--invoice-lines`` lines (consumption per
register, fixed costs, feed-in, the termination fee and the advances deducted), its VAT per rate
and totals worked out by billing's money rules, and a customer with a name and a supply
address. Per kind it renders once to warm up, then ``--renders`` (plain) or ``--e-renders``
(Factur-X) times, and prints renders per second, milliseconds per render and the file size:

- **plain**: the PDF a customer downloads (fpdf2, standard Helvetica, compressed);
- **Factur-X**: the PDF/A-3 page (fpdf2 with the embedded Source Sans Pro subset), the
  EN 16931 CII XML, the factur-x library's XSD check of it and its embedding (pypdf), and,
  apart, each of those steps alone.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace

import facturx

from billing.domain.e_invoice import cii_xml
from billing.domain.invoice import InvoiceLine, compute_totals
from billing.domain.invoice_document import InvoiceDocument, Supplier, invoice_document
from billing.rendering.facturx import render_e_invoice
from billing.rendering.pdf import render_invoice

SUPPLIER = Supplier(
    name="Portal Energie B.V.",
    street="Stationsplein 1",
    postcode="3511 ED",
    city="Utrecht",
    country="NL",
    vat_number="NL001234567B01",
    coc_number="12345678",
    iban="NL91ABNA0417164300",
    bic="ABNANL2A",
    creditor_id="NL69ZZZ123456780000",
)
CREATED = datetime(2026, 11, 2, 9, tzinfo=UTC)


def _lines(count: int) -> list[InvoiceLine]:
    """``count`` lines (at least 3): energy per register and month, then the fixed costs,
    the termination fee and the advances deducted."""
    lines = [
        InvoiceLine(
            "consumption",
            f"Electricity {'normal' if n % 2 == 0 else 'off-peak'}, meter index {1000 + 150 * n} to "
            f"{1150 + 150 * n}",
            Decimal("150.5") + n,
            "kWh",
            Decimal("0.254130"),
            Decimal("0.21"),
        )
        for n in range(max(count - 3, 0))
    ]
    vat, none = Decimal("0.21"), Decimal(0)
    lines += [
        InvoiceLine(
            "fixed_costs", "Fixed delivery costs, 304 days", Decimal(304), "day", Decimal("0.25"), vat
        ),
        InvoiceLine("termination_fee", "Termination fee", Decimal(1), None, Decimal("63.38"), vat),
        InvoiceLine("advances_deducted", "Advances invoiced", Decimal(1), None, Decimal("-300.00"), none),
    ]
    return lines


def sample_document(line_count: int, *, e_invoice: bool) -> InvoiceDocument:
    lines = _lines(line_count)
    totals = compute_totals(lines)
    invoice = SimpleNamespace(
        number="F2026-000001", kind="final_settlement", status="open", customer_number="100200300",
        issue_date=date(2026, 11, 2), due_date=date(2026, 11, 16), period_start=date(2026, 1, 1),
        period_end=date(2026, 10, 31), total_excl_vat=totals.excl_vat, vat_total=totals.vat_total,
        total_incl_vat=totals.incl_vat, open_amount=totals.incl_vat, currency="EUR", estimated=False,
        e_invoice=e_invoice,
        lines=[
            SimpleNamespace(
                position=n, description=x.description, quantity=x.quantity, unit=x.unit,
                unit_price=x.unit_price, vat_rate=x.vat_rate, amount_excl_vat=x.amount_excl_vat,
            )
            for n, x in enumerate(lines, start=1)
        ],
        vat=[SimpleNamespace(rate=v.rate, base=v.base, vat=v.vat) for v in totals.vat],
    )  # fmt: skip
    customer = SimpleNamespace(
        language="nl", billing_street=None, billing_house_number=None, billing_house_number_addition=None,
        billing_postcode=None, billing_city=None, payment_method="transfer", mandate_reference=None,
    )  # fmt: skip
    contract = SimpleNamespace(
        contract_number="100000001", commodity="electricity", start_date=date(2026, 1, 1),
        supply_street="Kerkstraat", supply_house_number=12, supply_house_number_addition="bis",
        supply_postcode="3511AB", supply_city="Utrecht",
    )  # fmt: skip
    return invoice_document(invoice, customer, contract, SUPPLIER, customer_name="J. de Vries", iban=None)


def _timed(render: Callable[[], bytes], times: int) -> tuple[float, int]:
    """Seconds per call over ``times`` calls after one warm-up call, and the output size."""
    size = len(render())
    started = time.perf_counter()
    for _ in range(times):
        render()
    return (time.perf_counter() - started) / times, size


def _report(label: str, seconds: float, size: int | None = None) -> None:
    extra = f"  {size / 1024:6.1f} KB" if size is not None else ""
    print(f"{label:<34} {1 / seconds:8.1f} /s  {seconds * 1000:7.2f} ms{extra}", flush=True)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("documents", "invoice PDF renders (bench/billing_documents.py)")
    group.add_argument("--renders", type=int, default=200, help="plain PDFs to time (default 200)")
    group.add_argument("--e-renders", type=int, default=50, help="Factur-X PDFs to time (default 50)")
    group.add_argument("--invoice-lines", type=int, default=10, help="lines per invoice (default 10, min 3)")


def run_with(args: argparse.Namespace) -> None:
    if args.renders < 1 or args.e_renders < 1 or args.invoice_lines < 3:
        raise SystemExit("--renders and --e-renders must be at least 1, --invoice-lines at least 3")
    plain = sample_document(args.invoice_lines, e_invoice=False)
    e_invoice = sample_document(args.invoice_lines, e_invoice=True)
    print(
        f"one core (of {os.cpu_count()}), in-process; invoice with {len(plain.lines)} lines, "
        f"total {plain.total_incl_vat} EUR",
        flush=True,
    )
    seconds, size = _timed(lambda: render_invoice(plain, created_at=CREATED), args.renders)
    _report("plain PDF", seconds, size)
    seconds, size = _timed(lambda: render_e_invoice(e_invoice, created_at=CREATED), args.e_renders)
    _report("Factur-X PDF/A-3", seconds, size)
    # Where a Factur-X render goes.
    page = render_invoice(e_invoice, created_at=CREATED, pdfa=True)
    xml = cii_xml(e_invoice)
    seconds, size = _timed(lambda: render_invoice(e_invoice, created_at=CREATED, pdfa=True), args.e_renders)
    _report("  of which the PDF/A page", seconds, size)
    seconds, size = _timed(lambda: cii_xml(e_invoice), args.e_renders)
    _report("  of which the CII XML", seconds, size)

    def check() -> bytes:
        facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")  # raises when invalid
        return b""

    _report("  of which the XSD check", _timed(check, args.e_renders)[0])

    def embed() -> bytes:
        result: bytes = facturx.generate_from_binary(
            page, xml, flavor="factur-x", level="en16931", check_xsd=False
        )
        return result

    seconds, size = _timed(embed, args.e_renders)
    _report("  of which the embedding (pypdf)", seconds, size)
