"""Money on the order: payment links, gateway payments (django-payments), refunds.

``service.py`` holds every write; it sits above the services and the documents (a refund
issues a credit note), below the wiring (receivers, tick) and the front ends.
"""
