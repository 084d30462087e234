"""The e-invoice data: an invoice document as UN/CEFACT Cross Industry Invoice XML in the
Factur-X EN 16931 profile (ZUGFeRD 2 "comfort"), the XML a Factur-X PDF carries.

Mapping (business terms of EN 16931):

- BT-1 invoice number, BT-2 issue date, BT-3 type: 380 (commercial invoice) or 381 (credit
  note: its amounts are written positive, the type says they are credited; a settlement with
  a negative total stays a 380 with negative amounts, as issued).
- Seller: name, postal address, VAT number (BT-31) and KvK number (BT-30, scheme 0106).
  Buyer: the customer number (BT-46), the name or, unknown, "Customer <number>" (BT-44, which
  EN 16931 requires), the billing address. The supply address is the delivery address (BG-15),
  the contract number the contract reference (BT-12), the period BG-14.
- Lines: BT-129 quantity with its UN/ECE Rec 20 unit code, BT-146 net price (never negative:
  a negative price moves its sign to the quantity), BT-131 net amount, VAT category S
  (standard) or Z (zero rate, e.g. advances and deducted advances).
- VAT per rate (BG-23) and the totals (BG-22) are copied from the invoice as issued: they
  already satisfy EN 16931's sums (lines rounded to the cent, VAT per rate on their sum).
- Payment: SEPA credit transfer (58) to the supplier's IBAN quoting the invoice number
  (BT-83), or SEPA direct debit (59) with the mandate (BT-89), the creditor id (BT-90) and the
  debited account (BT-91). Due date BT-9.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from billing.domain.invoice_document import InvoiceDocument, PostalAddress

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
EN16931 = "urn:cen.eu:en16931:2017"
NAMESPACES = {"rsm": RSM, "ram": RAM, "qdt": QDT, "udt": UDT}

# UN/ECE Recommendation 20 unit codes.
UNIT_CODES = {"kWh": "KWH", "m3": "MTQ", "GJ": "GV", "day": "DAY", "days": "DAY"}
ONE = "C62"  # "one": a one-off amount such as a fee or an advance

# What XML 1.0 cannot hold: control characters (tab, line feed and carriage return aside),
# lone surrogates, U+FFFE and U+FFFF. A stored text with one (an address, a name) would make the
# whole XML unreadable; they carry no meaning on an invoice, so they are left out.
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

for _prefix, _uri in NAMESPACES.items():
    ET.register_namespace(_prefix, _uri)


def _rsm(parent: ET.Element, tag: str) -> ET.Element:
    return ET.SubElement(parent, f"{{{RSM}}}{tag}")


def _ram(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{RAM}}}{tag}", attributes)
    if text is not None:
        element.text = _NOT_XML.sub("", text)
    return element


def _date(parent: ET.Element, tag: str, day: date, *, qualified: bool = False) -> None:
    holder = _ram(parent, tag)
    namespace = QDT if qualified else UDT
    ET.SubElement(holder, f"{{{namespace}}}DateTimeString", {"format": "102"}).text = day.strftime("%Y%m%d")


def _amount(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):f}"


def _plain(value: Decimal) -> str:
    """1194.500000 -> 1194.5 (quantities and prices keep the precision they were issued with)."""
    text = f"{value.normalize():f}"
    return "0" if text in ("-0", "0") else text


def _percent(rate: Decimal) -> str:
    return _plain(rate * 100)


def _category(rate: Decimal) -> str:
    return "S" if rate > 0 else "Z"


def _address(parent: ET.Element, address: PostalAddress | None, country: str = "NL") -> None:
    holder = _ram(parent, "PostalTradeAddress")
    if address is not None and address.postcode:
        _ram(holder, "PostcodeCode", address.postcode)
    if address is not None and address.street_line:
        _ram(holder, "LineOne", address.street_line)
    if address is not None and address.city:
        _ram(holder, "CityName", address.city)
    _ram(holder, "CountryID", address.country if address is not None else country)


def cii_xml(document: InvoiceDocument) -> bytes:
    """The CII XML (UTF-8, with declaration) of the document."""
    credit_note = document.kind == "credit_note"
    sign = Decimal(-1) if credit_note else Decimal(1)
    root = ET.Element(f"{{{RSM}}}CrossIndustryInvoice")

    context = _rsm(root, "ExchangedDocumentContext")
    _ram(_ram(context, "GuidelineSpecifiedDocumentContextParameter"), "ID", EN16931)

    header = _rsm(root, "ExchangedDocument")
    _ram(header, "ID", document.number)
    _ram(header, "TypeCode", "381" if credit_note else "380")
    _date(header, "IssueDateTime", document.issue_date)
    if document.estimated:
        _ram(_ram(header, "IncludedNote"), "Content", "Part of the consumption is estimated.")

    transaction = _rsm(root, "SupplyChainTradeTransaction")
    for line in document.lines:
        item = _ram(transaction, "IncludedSupplyChainTradeLineItem")
        _ram(_ram(item, "AssociatedDocumentLineDocument"), "LineID", str(line.position))
        _ram(_ram(item, "SpecifiedTradeProduct"), "Name", line.description)
        price = _ram(_ram(item, "SpecifiedLineTradeAgreement"), "NetPriceProductTradePrice")
        _ram(price, "ChargeAmount", _plain(abs(line.unit_price)))
        quantity = sign * line.quantity * (-1 if line.unit_price < 0 else 1)
        unit = UNIT_CODES.get(line.unit, ONE) if line.unit else ONE
        _ram(_ram(item, "SpecifiedLineTradeDelivery"), "BilledQuantity", _plain(quantity), unitCode=unit)
        settlement = _ram(item, "SpecifiedLineTradeSettlement")
        tax = _ram(settlement, "ApplicableTradeTax")
        _ram(tax, "TypeCode", "VAT")
        _ram(tax, "CategoryCode", _category(line.vat_rate))
        _ram(tax, "RateApplicablePercent", _percent(line.vat_rate))
        summation = _ram(settlement, "SpecifiedTradeSettlementLineMonetarySummation")
        _ram(summation, "LineTotalAmount", _amount(sign * line.amount))

    supplier = document.supplier
    agreement = _ram(transaction, "ApplicableHeaderTradeAgreement")
    seller = _ram(agreement, "SellerTradeParty")
    _ram(seller, "Name", supplier.name)
    legal = _ram(seller, "SpecifiedLegalOrganization")
    _ram(legal, "ID", supplier.coc_number, schemeID="0106")  # ISO 6523: Dutch KvK number
    _address(seller, PostalAddress(supplier.street, supplier.postcode, supplier.city, supplier.country))
    _ram(_ram(seller, "SpecifiedTaxRegistration"), "ID", supplier.vat_number, schemeID="VA")
    buyer = _ram(agreement, "BuyerTradeParty")
    _ram(buyer, "ID", document.customer_number)
    _ram(buyer, "Name", document.customer_name or f"Customer {document.customer_number}")
    _address(buyer, document.address)
    if document.contract_number:
        _ram(_ram(agreement, "ContractReferencedDocument"), "IssuerAssignedID", document.contract_number)

    delivery = _ram(transaction, "ApplicableHeaderTradeDelivery")
    if document.supply_address is not None:
        _address(_ram(delivery, "ShipToTradeParty"), document.supply_address)

    settlement = _ram(transaction, "ApplicableHeaderTradeSettlement")
    payment = document.payment
    direct_debit = payment.kind == "direct_debit"
    if direct_debit:
        _ram(settlement, "CreditorReferenceID", supplier.creditor_id)
    _ram(settlement, "PaymentReference", document.number)
    _ram(settlement, "InvoiceCurrencyCode", document.currency)
    if direct_debit and document.debtor_iban:
        means = _ram(settlement, "SpecifiedTradeSettlementPaymentMeans")
        _ram(means, "TypeCode", "59")  # SEPA direct debit
        _ram(_ram(means, "PayerPartyDebtorFinancialAccount"), "IBANID", document.debtor_iban)
    elif document.total_incl_vat > 0 and not credit_note:
        means = _ram(settlement, "SpecifiedTradeSettlementPaymentMeans")
        _ram(means, "TypeCode", "58")  # SEPA credit transfer
        account = _ram(means, "PayeePartyCreditorFinancialAccount")
        _ram(account, "IBANID", supplier.iban)
        _ram(account, "AccountName", supplier.name)
        _ram(_ram(means, "PayeeSpecifiedCreditorFinancialInstitution"), "BICID", supplier.bic)
    for vat in document.vat:
        tax = _ram(settlement, "ApplicableTradeTax")
        _ram(tax, "CalculatedAmount", _amount(sign * vat.vat))
        _ram(tax, "TypeCode", "VAT")
        _ram(tax, "BasisAmount", _amount(sign * vat.base))
        _ram(tax, "CategoryCode", _category(vat.rate))
        _ram(tax, "RateApplicablePercent", _percent(vat.rate))
    if document.period_start is not None and document.period_end is not None:
        period = _ram(settlement, "BillingSpecifiedPeriod")
        _date(period, "StartDateTime", document.period_start)
        _date(period, "EndDateTime", document.period_end)
    terms = _ram(settlement, "SpecifiedTradePaymentTerms")
    _date(terms, "DueDateDateTime", document.due_date)
    if direct_debit and payment.mandate_reference:
        _ram(terms, "DirectDebitMandateID", payment.mandate_reference)
    totals = _ram(settlement, "SpecifiedTradeSettlementHeaderMonetarySummation")
    _ram(totals, "LineTotalAmount", _amount(sign * document.total_excl_vat))
    _ram(totals, "TaxBasisTotalAmount", _amount(sign * document.total_excl_vat))
    _ram(totals, "TaxTotalAmount", _amount(sign * document.vat_total), currencyID=document.currency)
    _ram(totals, "GrandTotalAmount", _amount(sign * document.total_incl_vat))
    _ram(totals, "DuePayableAmount", _amount(sign * document.total_incl_vat))
    if document.credits_number:
        _ram(_ram(settlement, "InvoiceReferencedDocument"), "IssuerAssignedID", document.credits_number)

    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))
