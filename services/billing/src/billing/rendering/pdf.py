"""Invoice and proof-of-address PDFs (fpdf2), laid out like contracts' mailbox documents: A4
portrait, label/value rows and tables.

Text is Dutch for Dutch customers and English otherwise (French and German customers get
English text, with amounts and dates written the way they are used to). Line descriptions are
printed as the invoice was issued.

Fonts: a plain PDF uses the standard Helvetica (Windows-1252 only: euro sign and accented Latin
letters; any other character prints as "?"), which costs nothing to embed. PDF/A, which an
e-invoice must be, requires every font embedded: those use Source Sans Pro from its wheel,
subset to the characters used. The same content and moment give the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from importlib import resources

from fpdf import FPDF

from billing.domain.invoice_document import InvoiceDocument, PaymentInstruction, ProofOfAddress, Supplier

ENCODING = "windows-1252"

_TEXT: dict[str, dict[str, str]] = {
    "nl": {
        "advance": "Voorschotnota",
        "periodic": "Factuur",
        "quarterly": "Kwartaalfactuur",
        "annual_settlement": "Jaarafrekening",
        "final_settlement": "Eindafrekening",
        "credit_note": "Creditnota",
        "invoice_number": "Factuurnummer",
        "customer_number": "Klantnummer",
        "contract_number": "Contractnummer",
        "supply_address": "Leveringsadres",
        "issue_date": "Factuurdatum",
        "due_date": "Vervaldatum",
        "period": "Periode",
        "period_range": "{start} t/m {end}",
        "credits": "Crediteert factuur",
        "estimated": "Een deel van het verbruik op deze factuur is geschat.",
        "description": "Omschrijving",
        "quantity": "Aantal",
        "unit": "Eenheid",
        "unit_price": "Prijs",
        "vat_rate": "Btw",
        "amount": "Bedrag",
        "vat_base": "Grondslag",
        "vat": "Btw",
        "total_excl_vat": "Totaal excl. btw",
        "vat_total": "Btw",
        "total_incl_vat": "Totaal incl. btw",
        "open_amount": "Nog te betalen",
        "payment": "Betaling",
        "vat_number": "Btw-nummer",
        "coc_number": "KvK-nummer",
        "iban": "IBAN",
        "direct_debit": (
            "Wij schrijven {amount} op of na {due} af van uw rekening {iban} (machtiging {mandate}). "
            "U hoeft niets te doen."
        ),
        "transfer": (
            "Maak {amount} uiterlijk {due} over naar {iban} ({bic}) ten name van {supplier}, "
            "onder vermelding van factuurnummer {number}."
        ),
        "nothing_to_pay": "U hoeft niets te betalen.",
        "credit": (
            "Dit is een tegoed van {amount} voor u. Wij verrekenen het met uw volgende facturen "
            "of betalen het aan u terug."
        ),
        "paid": "Deze factuur is betaald. Dank u wel.",
        "credited": "Deze factuur is vervallen: een creditnota heeft haar gecrediteerd.",
        "e_invoice": (
            "Dit is een e-factuur (Factur-X, EN 16931): het bijgevoegde bestand factur-x.xml "
            "bevat de gegevens van deze factuur."
        ),
        "proof_title": "Adresbewijs",
        "proof_text": (
            "Hierbij verklaart {supplier} dat {customer} klant is met klantnummer {number} en "
            "sinds {since} {commodity} geleverd krijgt op het onderstaande leveringsadres."
        ),
        "proof_invoice": "Laatste factuur",
        "proof_invoice_value": "{number} van {date}",
        "proof_date": "Datum",
        "customer": "Klant",
        "electricity": "elektriciteit",
        "gas": "gas",
        "heat": "warmte",
    },
    "en": {
        "advance": "Advance invoice",
        "periodic": "Invoice",
        "quarterly": "Quarterly invoice",
        "annual_settlement": "Annual statement",
        "final_settlement": "Final invoice",
        "credit_note": "Credit note",
        "invoice_number": "Invoice number",
        "customer_number": "Customer number",
        "contract_number": "Contract number",
        "supply_address": "Supply address",
        "issue_date": "Invoice date",
        "due_date": "Due date",
        "period": "Period",
        "period_range": "{start} to {end} inclusive",
        "credits": "Credits invoice",
        "estimated": "Part of the consumption on this invoice is estimated.",
        "description": "Description",
        "quantity": "Quantity",
        "unit": "Unit",
        "unit_price": "Price",
        "vat_rate": "VAT",
        "amount": "Amount",
        "vat_base": "Base",
        "vat": "VAT",
        "total_excl_vat": "Total excl. VAT",
        "vat_total": "VAT",
        "total_incl_vat": "Total incl. VAT",
        "open_amount": "Still to pay",
        "payment": "Payment",
        "vat_number": "VAT number",
        "coc_number": "Chamber of Commerce",
        "iban": "IBAN",
        "direct_debit": (
            "We collect {amount} from your account {iban} on or after {due} (mandate {mandate}). "
            "You need not do anything."
        ),
        "transfer": (
            "Please transfer {amount} by {due} to {iban} ({bic}) in the name of {supplier}, "
            "quoting invoice number {number}."
        ),
        "nothing_to_pay": "There is nothing to pay.",
        "credit": (
            "This is a credit of {amount} in your favour. We set it off against your next "
            "invoices or pay it back to you."
        ),
        "paid": "This invoice has been paid. Thank you.",
        "credited": "This invoice is void: a credit note has credited it.",
        "e_invoice": (
            "This is an e-invoice (Factur-X, EN 16931): the attached file factur-x.xml carries "
            "the data of this invoice."
        ),
        "proof_title": "Proof of address",
        "proof_text": (
            "{supplier} hereby declares that {customer} is a customer with customer number "
            "{number} and has been supplied with {commodity} at the supply address below since "
            "{since}."
        ),
        "proof_invoice": "Latest invoice",
        "proof_invoice_value": "{number} of {date}",
        "proof_date": "Date",
        "customer": "Customer",
        "electricity": "electricity",
        "gas": "gas",
        "heat": "heat",
    },
}


def texts(language: str) -> dict[str, str]:
    return _TEXT["nl" if language == "nl" else "en"]


# Thousands separator, decimal mark and where the euro sign goes, per portal language.
_MONEY_STYLE: dict[str, tuple[str, str, str]] = {
    "nl": (".", ",", "€ {}"),
    "de": (".", ",", "{} €"),
    "fr": ("\u00a0", ",", "{}\u00a0€"),
    "en": (",", ".", "€{}"),
}


def _number(value: Decimal, language: str, places: int) -> str:
    group, mark, _ = _MONEY_STYLE.get(language, _MONEY_STYLE["nl"])
    rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    sign = "-" if rounded < 0 else ""
    whole, _, fraction = f"{abs(rounded):f}".partition(".")
    grouped = f"{int(whole):,}".replace(",", group)
    return sign + (f"{grouped}{mark}{fraction}" if places else grouped)


def money(amount: Decimal, language: str) -> str:
    """Euro as the customer writes it: ``money(Decimal("1234.5"), "nl")`` is ``€ 1.234,50``."""
    _, _, pattern = _MONEY_STYLE.get(language, _MONEY_STYLE["nl"])
    text = _number(amount, language, 2)
    return "-" + pattern.format(text[1:]) if text.startswith("-") else pattern.format(text)


def price(amount: Decimal, language: str) -> str:
    """A unit price: two decimals at least, up to the six it may have (``€ 0,254``)."""
    exponent = amount.normalize().as_tuple().exponent
    places = min(6, max(2, -exponent if isinstance(exponent, int) else 2))
    _, _, pattern = _MONEY_STYLE.get(language, _MONEY_STYLE["nl"])
    text = _number(amount, language, places)
    return "-" + pattern.format(text[1:]) if text.startswith("-") else pattern.format(text)


def quantity(value: Decimal, language: str) -> str:
    """As many decimals as it has, none when whole: ``1.194,5`` (nl), ``1,194.5`` (en)."""
    exponent = value.normalize().as_tuple().exponent
    places = min(6, max(0, -exponent if isinstance(exponent, int) else 0))
    return _number(value, language, places)


def day_text(day: date, language: str) -> str:
    """Dates as in Dutch letters (31-12-2026), ISO style for English readers (2026-12-31)."""
    return day.isoformat() if language == "en" else day.strftime("%d-%m-%Y")


def percentage(rate: Decimal, language: str) -> str:
    text = f"{(rate * 100).normalize():f}"
    return (text if language == "en" else text.replace(".", ",")) + "%"


def _font_file(name: str) -> str:
    return str(resources.files("font_source_sans_pro").joinpath("files", name))


class _Layout(FPDF):
    """A4 portrait: the supplier top right, the addressee top left, then rows and tables."""

    LABEL_WIDTH = 55

    def __init__(self, language: str, *, pdfa: bool) -> None:
        super().__init__(
            orientation="portrait", unit="mm", format="A4", enforce_compliance="PDF/A-3B" if pdfa else None
        )
        self.portal_language = language
        self.words = texts(language)
        self.embedded = pdfa
        if pdfa:
            self.add_font("text", "", _font_file("SourceSansPro-Regular.ttf"))
            self.add_font("text", "B", _font_file("SourceSansPro-Bold.ttf"))
            self.text_family = "text"
        else:
            self.core_fonts_encoding = ENCODING
            self.text_family = "helvetica"
        self.set_margins(20, 20, 20)
        self.set_auto_page_break(auto=True, margin=20)
        self.set_font(self.text_family, size=10)

    def printable(self, text: str) -> str:
        if self.embedded:
            return text
        return text.encode(ENCODING, "replace").decode(ENCODING)

    def use_font(self, style: str = "", size: float = 10) -> None:
        self.set_font(self.text_family, style, size)

    def put_supplier(self, supplier: Supplier) -> None:
        words = self.words
        lines = [
            supplier.name,
            supplier.street,
            f"{supplier.postcode} {supplier.city}",
            f"{words['vat_number']} {supplier.vat_number}",
            f"{words['coc_number']} {supplier.coc_number}",
            f"{words['iban']} {supplier.iban}",
        ]
        top = self.get_y()
        self.set_xy(125, top)
        self.use_font("B", 10)
        self.cell(65, 5, self.printable(lines[0]), new_x="LEFT", new_y="NEXT")
        self.use_font("", 9)
        for line in lines[1:]:
            self.cell(65, 4.5, self.printable(line), new_x="LEFT", new_y="NEXT")
        self.set_xy(self.l_margin, top)

    def put_addressee(self, name: str | None, customer_number: str, address_lines: tuple[str, ...]) -> None:
        self.use_font("", 10)
        first = name if name else f"{self.words['customer']} {customer_number}"
        for line in (first, *address_lines):
            self.cell(95, 5, self.printable(line), new_x="LMARGIN", new_y="NEXT")
        self.set_y(max(self.get_y(), 52) + 6)

    def put_title(self, text: str) -> None:
        self.use_font("B", 16)
        self.multi_cell(0, 9, self.printable(text), new_x="LMARGIN", new_y="NEXT")
        self.ln(2)

    def put_row(self, label: str, value: str) -> None:
        self.use_font("B", 10)
        self.cell(self.LABEL_WIDTH, 6, self.printable(label))
        self.use_font("", 10)
        self.multi_cell(0, 6, self.printable(value), new_x="LMARGIN", new_y="NEXT")

    def put_paragraph(self, value: str) -> None:
        self.ln(2)
        self.use_font("", 10)
        self.multi_cell(0, 5, self.printable(value), align="L", new_x="LMARGIN", new_y="NEXT")
        self.ln(1)

    LINE = 4.5  # mm per line of table text
    PAD = 0.8  # mm around a cell's text

    def put_table(
        self, rows: Sequence[tuple[str, ...]], widths: tuple[float, ...], align: tuple[str, ...]
    ) -> None:
        """A ruled table, the first row its heading in bold, repeated on every page the table
        runs on; ``widths`` in mm, ``align`` "L" or "R" per column. Drawn cell by cell: fpdf2's
        table() lays out every cell twice through multi_cell, many times slower. Text wider
        than its column wraps."""
        heading, *body = rows
        self._put_row(heading, widths, align, bold=True)
        for cells in body:
            if not self._put_row(cells, widths, align, bold=False):
                self.add_page()
                self._put_row(heading, widths, align, bold=True)
                self._put_row(cells, widths, align, bold=False)
        self.use_font("", 10)

    def _put_row(
        self, cells: tuple[str, ...], widths: tuple[float, ...], align: tuple[str, ...], *, bold: bool
    ) -> bool:
        """False (and nothing drawn) when the row does not fit on the page any more."""
        self.use_font("B" if bold else "", 9)
        lines = [
            self._wrapped(self.printable(text), width) for text, width in zip(cells, widths, strict=True)
        ]
        height = self.LINE * max(len(cell) for cell in lines) + 2 * self.PAD
        if self.will_page_break(height):
            return False
        x, y = self.l_margin, self.get_y()
        for width, side, cell in zip(widths, align, lines, strict=True):
            self.rect(x, y, width, height)
            for number, text in enumerate(cell):
                self.set_xy(x + self.PAD, y + self.PAD + number * self.LINE)
                self.cell(width - 2 * self.PAD, self.LINE, text, align=side)
            x += width
        self.set_xy(self.l_margin, y + height)
        return True

    def _wrapped(self, text: str, width: float) -> list[str]:
        room = width - 2 * self.PAD
        if self.get_string_width(text) <= room:
            return [text]
        lines = self.multi_cell(room, self.LINE, text, dry_run=True, output="LINES")
        assert isinstance(lines, list), "output=LINES gives the lines"
        return lines


def invoice_title(document: InvoiceDocument) -> str:
    words = texts(document.language)
    return f"{words.get(document.kind, words['periodic'])} {document.number}"


def render_invoice(document: InvoiceDocument, *, created_at: datetime, pdfa: bool = False) -> bytes:
    """The invoice as a PDF (``pdfa``: PDF/A-3B with embedded fonts, ready for Factur-X)."""
    lang = document.language
    words = texts(lang)
    pdf = _Layout(lang, pdfa=pdfa)
    pdf.set_title(invoice_title(document))
    pdf.set_author(document.supplier.name)
    pdf.set_lang("nl-NL" if lang == "nl" else "en-GB")
    pdf.set_creation_date(created_at)
    pdf.add_page()
    pdf.put_supplier(document.supplier)
    address = document.address.lines if document.address is not None else ()
    pdf.put_addressee(document.customer_name, document.customer_number, address)
    pdf.put_title(invoice_title(document))

    pdf.put_row(words["invoice_number"], document.number)
    pdf.put_row(words["customer_number"], document.customer_number)
    if document.contract_number:
        pdf.put_row(words["contract_number"], document.contract_number)
    if document.supply_address is not None:
        pdf.put_row(words["supply_address"], ", ".join(document.supply_address.lines))
    pdf.put_row(words["issue_date"], day_text(document.issue_date, lang))
    pdf.put_row(words["due_date"], day_text(document.due_date, lang))
    if document.period_start is not None and document.period_end is not None:
        period = words["period_range"].format(
            start=day_text(document.period_start, lang), end=day_text(document.period_end, lang)
        )
        pdf.put_row(words["period"], period)
    if document.credits_number:
        pdf.put_row(words["credits"], document.credits_number)
    if document.estimated:
        pdf.put_paragraph(words["estimated"])
    pdf.ln(3)

    rows = [
        (
            words["description"],
            words["quantity"],
            words["unit"],
            words["unit_price"],
            words["vat_rate"],
            words["amount"],
        )
    ]
    rows += [
        (
            line.description,
            quantity(line.quantity, lang),
            line.unit or "",
            price(line.unit_price, lang),
            percentage(line.vat_rate, lang),
            money(line.amount, lang),
        )
        for line in document.lines
    ]
    pdf.put_table(rows, (74, 20, 16, 22, 12, 26), ("L", "R", "L", "R", "R", "R"))
    pdf.ln(3)

    vat_rows = [(words["vat_rate"], words["vat_base"], words["vat"])]
    vat_rows += [(percentage(v.rate, lang), money(v.base, lang), money(v.vat, lang)) for v in document.vat]
    pdf.put_table(vat_rows, (30, 40, 40), ("R", "R", "R"))
    pdf.ln(3)

    pdf.put_row(words["total_excl_vat"], money(document.total_excl_vat, lang))
    pdf.put_row(words["vat_total"], money(document.vat_total, lang))
    pdf.use_font("B", 11)
    pdf.cell(pdf.LABEL_WIDTH, 7, pdf.printable(words["total_incl_vat"]))
    pdf.cell(0, 7, pdf.printable(money(document.total_incl_vat, lang)), new_x="LMARGIN", new_y="NEXT")
    pdf.use_font("", 10)
    if document.status == "open" and document.open_amount not in (document.total_incl_vat, 0):
        pdf.put_row(words["open_amount"], money(document.open_amount, lang))

    pdf.ln(3)
    pdf.use_font("B", 12)
    pdf.cell(0, 7, pdf.printable(words["payment"]), new_x="LMARGIN", new_y="NEXT")
    pdf.put_paragraph(payment_text(document.payment, document.supplier, lang))
    if document.e_invoice and pdfa:
        pdf.put_paragraph(words["e_invoice"])
    return bytes(pdf.output())


def payment_text(payment: PaymentInstruction, supplier: Supplier, language: str) -> str:
    words = texts(language)
    return words[payment.kind].format(
        amount=money(payment.amount, language),
        due=day_text(payment.due_date, language),
        iban=supplier.iban if payment.kind == "transfer" else payment.masked_iban,
        bic=supplier.bic,
        supplier=supplier.name,
        number=payment.reference,
        mandate=payment.mandate_reference or "-",
    )


def render_proof_of_address(proof: ProofOfAddress, *, created_at: datetime) -> bytes:
    lang = proof.language
    words = texts(lang)
    pdf = _Layout(lang, pdfa=False)
    pdf.set_title(words["proof_title"])
    pdf.set_author(proof.supplier.name)
    pdf.set_creation_date(created_at)
    pdf.add_page()
    pdf.put_supplier(proof.supplier)
    pdf.put_addressee(proof.customer_name, proof.customer_number, proof.supply_address.lines)
    pdf.put_title(words["proof_title"])
    customer = proof.customer_name or f"{words['customer'].lower()} {proof.customer_number}"
    pdf.put_paragraph(
        words["proof_text"].format(
            supplier=proof.supplier.name,
            customer=customer,
            number=proof.customer_number,
            since=day_text(proof.supplied_since, lang),
            commodity=words.get(proof.commodity, proof.commodity),
        )
    )
    pdf.ln(2)
    pdf.put_row(words["customer_number"], proof.customer_number)
    if proof.contract_number:
        pdf.put_row(words["contract_number"], proof.contract_number)
    pdf.put_row(words["supply_address"], "\n".join(proof.supply_address.lines))
    pdf.put_row(
        words["proof_invoice"],
        words["proof_invoice_value"].format(
            number=proof.invoice_number, date=day_text(proof.invoice_date, lang)
        ),
    )
    pdf.put_row(words["proof_date"], day_text(proof.issued_on, lang))
    return bytes(pdf.output())
