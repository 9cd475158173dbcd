"""A demo django-oscar 4.2 shop with Wagtail 8 beside it, wired up as a customer would."""
