"""Documents as files: invoice and proof-of-address PDFs, and Factur-X e-invoices."""
