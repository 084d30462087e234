"""The documents in a customer's mailbox and their PDF layout.

Three kinds: the contract confirmation (the written confirmation that starts the withdrawal
period), the tariff sheet (a product's prices excl. and incl. VAT) and the technical
information card (the connection supplied). ``use_cases/documents.py`` decides what goes on
them; this module only lays them out. Text is in Dutch or English (French and German
customers get English text, with amounts written the way they are used to).

The standard PDF fonts know Windows-1252 only (euro sign and accented Latin letters); any
other character prints as "?" rather than failing the contract it belongs to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from fpdf import FPDF

DocumentKind = Literal["confirmation", "tariff_sheet", "technical_card"]
DOCUMENT_KINDS: tuple[DocumentKind, ...] = ("confirmation", "tariff_sheet", "technical_card")
ENCODING = "windows-1252"


@dataclass(frozen=True)
class PriceLine:
    register: str  # catalogue register name, e.g. electricity_normal
    unit: str  # kWh, m3, GJ
    excl_vat: Decimal
    incl_vat: Decimal


@dataclass(frozen=True)
class Prices:
    """A product's prices for one commodity on one day (euro)."""

    on: date
    vat_rate: Decimal
    lines: tuple[PriceLine, ...]
    fixed_costs_per_day_excl_vat: Decimal
    fixed_costs_per_day_incl_vat: Decimal


@dataclass(frozen=True)
class Heading:
    """What every document names: whose, which contract, which product."""

    language: str
    customer_name: str
    customer_number: str
    contract_number: str
    commodity: str
    product_name: str  # the product code where the catalogue does not know it


@dataclass(frozen=True)
class Confirmation:
    heading: Heading
    concluded_on: date
    start_date: date
    price_guarantee_end: date | None  # None: variable prices
    withdrawal_days: int
    withdrawal_last_day: date
    prices: Prices | None  # None: the catalogue has no prices for the product that day


@dataclass(frozen=True)
class TariffSheet:
    heading: Heading
    prices_from: date  # the day the prices on the sheet apply from for this contract
    prices: Prices | None


@dataclass(frozen=True)
class TechnicalCard:
    heading: Heading
    ean: str | None
    capacity: str | None
    meter_location: str  # indoors, outdoors, unknown
    supply_address: tuple[str, ...]  # printed lines; at least the postcode


Content = Confirmation | TariffSheet | TechnicalCard

_TEXT: dict[str, dict[str, str]] = {
    "nl": {
        "confirmation": "Contractbevestiging",
        "tariff_sheet": "Tarievenblad",
        "technical_card": "Technische informatiekaart",
        "customer": "Klant",
        "customer_number": "Klantnummer",
        "contract_number": "Contractnummer",
        "product": "Product",
        "commodity": "Energiesoort",
        "electricity": "Elektriciteit",
        "gas": "Gas",
        "heat": "Warmte",
        "concluded_on": "Datum bevestiging",
        "start_date": "Begin levering",
        "guarantee_end": "Prijsgarantie tot en met",
        "variable": "Geen: variabele tarieven",
        "withdrawal": (
            "U mag deze overeenkomst binnen {days} dagen na deze bevestiging kosteloos en zonder "
            "opgave van reden herroepen. De laatste dag daarvoor is {last}. Dat kan in het "
            "klantportaal bij uw contract."
        ),
        "withdrawal_last_day": "Laatste dag herroeping",
        "prices_on": "Tarieven geldig op {day}",
        "prices_from": "Tarieven voor dit contract vanaf {day}",
        "no_prices": "Voor dit product zijn op deze dag geen tarieven bekend.",
        "register": "Tariefsoort",
        "excl_vat": "Excl. btw",
        "incl_vat": "Incl. btw",
        "vat_rate": "Btw-tarief",
        "fixed_costs": "Vaste leveringskosten per dag",
        "electricity_single": "Enkeltarief",
        "electricity_normal": "Normaaltarief",
        "electricity_offpeak": "Daltarief",
        "heat_register": "Warmte",
        "hot_water": "Warm tapwater",
        "per": "per",
        "ean": "EAN-code aansluiting",
        "capacity": "Capaciteit aansluiting",
        "meter_location": "Plaats van de meter",
        "indoors": "Binnen",
        "outdoors": "Buiten",
        "unknown": "Onbekend",
        "supply_address": "Leveringsadres",
        "card_note": "Kloppen deze gegevens niet? Laat het ons weten via het klantportaal.",
    },
    "en": {
        "confirmation": "Contract confirmation",
        "tariff_sheet": "Tariff sheet",
        "technical_card": "Technical information card",
        "customer": "Customer",
        "customer_number": "Customer number",
        "contract_number": "Contract number",
        "product": "Product",
        "commodity": "Commodity",
        "electricity": "Electricity",
        "gas": "Gas",
        "heat": "Heat",
        "concluded_on": "Confirmed on",
        "start_date": "Supply starts",
        "guarantee_end": "Prices guaranteed until and including",
        "variable": "None: variable prices",
        "withdrawal": (
            "You may withdraw from this contract free of charge and without giving a reason "
            "within {days} days after this confirmation. The last day to do so is {last}. "
            "You can withdraw in the customer portal, next to the contract."
        ),
        "withdrawal_last_day": "Last day to withdraw",
        "prices_on": "Prices valid on {day}",
        "prices_from": "Prices for this contract from {day}",
        "no_prices": "No prices are known for this product on this day.",
        "register": "Rate",
        "excl_vat": "Excl. VAT",
        "incl_vat": "Incl. VAT",
        "vat_rate": "VAT rate",
        "fixed_costs": "Fixed supply costs per day",
        "electricity_single": "Single rate",
        "electricity_normal": "Normal rate",
        "electricity_offpeak": "Off-peak rate",
        "heat_register": "Heat",
        "hot_water": "Hot tap water",
        "per": "per",
        "ean": "Connection EAN code",
        "capacity": "Connection capacity",
        "meter_location": "Meter location",
        "indoors": "Indoors",
        "outdoors": "Outdoors",
        "unknown": "Unknown",
        "supply_address": "Supply address",
        "card_note": "Anything wrong? Please tell us through the customer portal.",
    },
}


def _text(language: str) -> dict[str, str]:
    return _TEXT["nl" if language == "nl" else "en"]


# Thousands separator, decimal mark and where the euro sign goes, per portal language.
_MONEY_STYLE: dict[str, tuple[str, str, str]] = {
    "nl": (".", ",", "€ {}"),
    "de": (".", ",", "{} €"),
    "fr": ("\u00a0", ",", "{}\u00a0€"),
    "en": (",", ".", "€{}"),
}


def money(amount: Decimal, language: str, places: int = 2) -> str:
    """Euro as the customer writes it: ``money(Decimal("1234.5"), "nl")`` is ``€ 1.234,50``.
    Rounded half-up to ``places`` decimals (prices per unit keep 6)."""
    group, mark, pattern = _MONEY_STYLE.get(language, _MONEY_STYLE["nl"])
    value = amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    sign = "-" if value < 0 else ""
    whole, _, fraction = f"{abs(value):f}".partition(".")
    grouped = f"{int(whole):,}".replace(",", group)
    number = f"{grouped}{mark}{fraction}" if places else grouped
    return sign + pattern.format(number)


def day_text(day: date, language: str) -> str:
    """Dates as in Dutch letters (31-12-2026), ISO style for English readers (2026-12-31)."""
    return day.isoformat() if language == "en" else day.strftime("%d-%m-%Y")


def percentage(rate: Decimal, language: str) -> str:
    text = f"{(rate * 100).normalize():f}"
    return (text if language == "en" else text.replace(".", ",")) + "%"


def title(content: Content) -> str:
    """The document's title in the mailbox: kind, product and contract number."""
    text = _text(content.heading.language)
    heading = content.heading
    if isinstance(content, Confirmation):
        return f"{text['confirmation']} {heading.contract_number}"
    if isinstance(content, TariffSheet):
        day = day_text(content.prices_from, heading.language)
        return f"{text['tariff_sheet']} {heading.product_name} ({day})"
    return f"{text['technical_card']} {heading.contract_number}"


def kind_of(content: Content) -> DocumentKind:
    if isinstance(content, Confirmation):
        return "confirmation"
    if isinstance(content, TariffSheet):
        return "tariff_sheet"
    return "technical_card"


def filename(kind: str, contract_number: str, day: date) -> str:
    """A download name safe in any header and file system: ASCII letters, digits, - and ."""
    raw = f"{kind.replace('_', '-')}-{contract_number}-{day.isoformat()}"
    base = re.sub(r"[^A-Za-z0-9]+", "-", raw)
    return f"{base.strip('-')[:80]}.pdf"


def render(content: Content, *, created_at: datetime, compress: bool = True) -> bytes:
    """The document as a PDF. The same content and moment give the same bytes."""
    pdf = _Layout(content.heading.language)
    pdf.set_compression(compress)
    pdf.set_title(title(content))
    pdf.set_creation_date(created_at)
    pdf.add_page()
    pdf.put_heading(content)
    if isinstance(content, Confirmation):
        pdf.put_confirmation(content)
    elif isinstance(content, TariffSheet):
        pdf.put_tariff_sheet(content)
    else:
        pdf.put_technical_card(content)
    return bytes(pdf.output())


def _printable(text: str) -> str:
    return text.encode(ENCODING, "replace").decode(ENCODING)


class _Layout(FPDF):
    """A4 portrait, Helvetica, label/value rows and a price table."""

    LABEL_WIDTH = 70

    def __init__(self, language: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.core_fonts_encoding = ENCODING
        self.portal_language = language
        self.words = _text(language)
        self.set_margins(20, 20, 20)
        self.set_auto_page_break(auto=True, margin=20)
        self.set_font("helvetica", size=10)

    def put_row(self, label: str, value: str) -> None:
        self.set_font("helvetica", "B", 10)
        self.cell(self.LABEL_WIDTH, 6, _printable(label))
        self.set_font("helvetica", "", 10)
        self.multi_cell(0, 6, _printable(value), new_x="LMARGIN", new_y="NEXT")

    def put_paragraph(self, value: str) -> None:
        self.ln(3)
        self.multi_cell(0, 5, _printable(value), new_x="LMARGIN", new_y="NEXT")
        self.ln(2)

    def put_heading(self, content: Content) -> None:
        head = content.heading
        self.set_font("helvetica", "B", 16)
        self.multi_cell(0, 9, _printable(title(content)), new_x="LMARGIN", new_y="NEXT")
        self.ln(4)
        self.put_row(self.words["customer"], head.customer_name)
        self.put_row(self.words["customer_number"], head.customer_number)
        self.put_row(self.words["contract_number"], head.contract_number)
        self.put_row(self.words["product"], head.product_name)
        self.put_row(self.words["commodity"], self.words.get(head.commodity, head.commodity))

    def put_confirmation(self, content: Confirmation) -> None:
        lang = self.portal_language
        self.put_row(self.words["concluded_on"], day_text(content.concluded_on, lang))
        self.put_row(self.words["start_date"], day_text(content.start_date, lang))
        guarantee = content.price_guarantee_end
        self.put_row(
            self.words["guarantee_end"],
            self.words["variable"] if guarantee is None else day_text(guarantee, lang),
        )
        last = day_text(content.withdrawal_last_day, lang)
        self.put_row(self.words["withdrawal_last_day"], last)
        self.put_paragraph(self.words["withdrawal"].format(days=content.withdrawal_days, last=last))
        on = content.prices.on if content.prices is not None else content.concluded_on
        self.put_prices(self.words["prices_on"].format(day=day_text(on, lang)), content.prices)

    def put_tariff_sheet(self, content: TariffSheet) -> None:
        day = day_text(content.prices_from, self.portal_language)
        self.put_prices(self.words["prices_from"].format(day=day), content.prices)

    def put_technical_card(self, content: TechnicalCard) -> None:
        unknown = self.words["unknown"]
        self.put_row(self.words["ean"], content.ean or unknown)
        self.put_row(self.words["capacity"], content.capacity or unknown)
        self.put_row(self.words["meter_location"], self.words.get(content.meter_location, unknown))
        self.put_row(self.words["supply_address"], "\n".join(content.supply_address))
        self.put_paragraph(self.words["card_note"])

    def put_prices(self, caption: str, prices: Prices | None) -> None:
        self.ln(4)
        self.set_font("helvetica", "B", 12)
        self.cell(0, 8, _printable(caption), new_x="LMARGIN", new_y="NEXT")
        self.set_font("helvetica", "", 10)
        if prices is None:
            self.put_paragraph(self.words["no_prices"])
            return
        lang = self.portal_language
        rows = [(self.words["register"], self.words["excl_vat"], self.words["incl_vat"])]
        for line in prices.lines:
            name = self.words["heat_register"] if line.register == "heat" else self.words[line.register]
            rows.append(
                (
                    f"{name} ({self.words['per']} {line.unit})",
                    money(line.excl_vat, lang, 6),
                    money(line.incl_vat, lang, 6),
                )
            )
        rows.append(
            (
                self.words["fixed_costs"],
                money(prices.fixed_costs_per_day_excl_vat, lang, 6),
                money(prices.fixed_costs_per_day_incl_vat, lang, 6),
            )
        )
        with self.table(col_widths=(90, 40, 40), text_align=("LEFT", "RIGHT", "RIGHT")) as table:
            for cells in rows:
                table_row = table.row()
                for cell in cells:
                    table_row.cell(_printable(cell))
        self.ln(2)
        self.put_row(self.words["vat_rate"], percentage(prices.vat_rate, lang))
