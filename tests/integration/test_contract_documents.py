"""The document mailbox through the gateway: a contract concluded with the operations CLI
files its confirmation, tariff sheet and technical card, the customer lists and downloads them,
and DocumentAvailable has notifications mail the customer about each one."""

from __future__ import annotations

from typing import Any

import httpx

from portal_stack import MailCatcherClient


def test_documents_of_a_new_contract_are_listed_downloaded_and_announced(
    gateway: httpx.Client, mail: MailCatcherClient, kafka: Any, cli: Any, customer: Any, helpers: Any
) -> None:
    contract_id = cli.create_contract(
        customer.customer_number, commodity="gas", product_code="VAST-1JR", start_date="2026-12-01",
        fixed_term_end="2027-11-30",
    )  # fmt: skip
    auth = helpers.log_in(gateway, customer.email, customer.password)

    listed = gateway.get("/contracts/v1/documents", headers=auth, params={"limit": 100})
    assert listed.status_code == 200, listed.text
    mine = [d for d in listed.json()["items"] if d["contract_id"] == contract_id]
    assert sorted(d["kind"] for d in mine) == ["confirmation", "tariff_sheet", "technical_card"]
    [confirmation] = [d for d in mine if d["kind"] == "confirmation"]

    pdf = gateway.get(f"/contracts/v1/documents/{confirmation['id']}/pdf", headers=auth)
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith('attachment; filename="confirmation-')
    assert pdf.content.startswith(b"%PDF-")
    assert len(pdf.content) == confirmation["size"]

    # Without a token, or with an id that is not the customer's: nothing.
    assert gateway.get(f"/contracts/v1/documents/{confirmation['id']}/pdf").status_code == 401
    assert gateway.get(f"/contracts/v1/documents/{confirmation['id']}x", headers=auth).status_code == 404

    available = kafka.envelopes(
        "contracts.document-available.v1",
        lambda evs: sum(e["data"]["contract_id"] == contract_id for e in evs) >= 3,
    )
    announced = [e for e in available if e["data"]["contract_id"] == contract_id]
    assert sorted(e["data"]["document_id"] for e in announced) == sorted(d["id"] for d in mine)
    assert all(e["subject"] == customer.customer_number for e in announced)
    assert all("content" not in e["data"] for e in announced)
    # Notifications tells the customer about each one, with a link to it.
    told = mail.wait_for(
        lambda m: customer.email in m.to and confirmation["id"] in (m.text or ""), timeout=30
    )
    assert (told.subject or "").startswith("Nieuw in je berichtenbox")
