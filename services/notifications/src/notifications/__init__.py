"""The notifications service: every email of the portal, localised, sent once.

consumers.py        events → use cases (AccountActivated, PasswordResetRequested,
                    MeterReadingReceived, InvoiceIssued)
use_cases/          recipients read model; one module per email; queue_email.py writes the
                    delivery row; operations.py for the command line
domain/             email kinds and delivery states, retry schedule, language formats, links
delivery/           templates.py (Jinja2 rendering), message.py (MIME), smtp.py (the relay),
                    sender.py (the loop that sends pending deliveries)
templates/<lang>/   the wording: <kind>.txt (with the subject) and <kind>.html per language
db/                 tables and every query
"""
