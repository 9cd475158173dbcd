"""Importing orders from other platforms: read a file, plan (dry run), then commit.

``sources`` reads bytes (CSV or XLSX), ``formats`` turns rows into ``ImportedOrder`` objects,
``service`` plans and writes them. See docs/imports.md.
"""
