"""Exports of any workspace view to CSV or XLSX, streamed from the database in chunks."""
