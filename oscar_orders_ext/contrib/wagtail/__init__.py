"""The order workspace in the Wagtail admin: install with ``oscar-orders-ext[wagtail]``."""
