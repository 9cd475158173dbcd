"""Printable documents: order summaries, receipts, delivery notes, invoices and credit notes.

``identity`` says who the shop is, ``numbering`` hands out gapless numbers, ``rendering`` turns
templates into PDFs with WeasyPrint (fetching only the shop's own static and media files) and
``service`` issues, stores, prints and emails them.
"""
