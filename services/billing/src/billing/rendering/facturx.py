"""E-invoices: the invoice's PDF/A-3 page with its CII XML embedded as factur-x.xml (Factur-X,
EN 16931 profile), assembled by the factur-x library.

The library checks the XML against the official Factur-X XSD before it embeds it, writes the
attachment with the relationship "Data" and the XMP metadata that declare the PDF/A-3 and
Factur-X conformance. An XML the XSD refuses is a bug here, not something a customer can fix:
it raises.
"""

from __future__ import annotations

from datetime import datetime

import facturx

from billing.domain.e_invoice import cii_xml
from billing.domain.invoice_document import InvoiceDocument
from billing.rendering.pdf import invoice_title, render_invoice


def render_e_invoice(document: InvoiceDocument, *, created_at: datetime) -> bytes:
    page = render_invoice(document, created_at=created_at, pdfa=True)
    title = invoice_title(document)
    result: bytes = facturx.generate_from_binary(
        page,
        cii_xml(document),
        flavor="factur-x",
        level="en16931",
        check_xsd=True,
        # Given rather than extracted from the XML: no customer data in the PDF's metadata.
        pdf_metadata={
            "author": document.supplier.name,
            "keywords": "Factur-X, EN 16931",
            "title": title,
            "subject": f"{title} ({document.issue_date.isoformat()})",
        },
        lang="nl-NL" if document.language == "nl" else "en-GB",
    )
    return result


def render_invoice_file(document: InvoiceDocument, *, created_at: datetime) -> bytes:
    """The PDF a customer downloads: Factur-X when the invoice is an e-invoice, else plain."""
    if document.e_invoice:
        return render_e_invoice(document, created_at=created_at)
    return render_invoice(document, created_at=created_at)
