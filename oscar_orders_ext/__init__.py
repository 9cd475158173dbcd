"""A CRM-grade order workspace for django-oscar."""

__version__ = "0.1.0.dev0"
