"""Demo data for the sandbox shop: ``python sandbox/manage.py seed_demo``."""
