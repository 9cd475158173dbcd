"""Subscriptions and installment plans: creation on confirmation, renewals, dunning, changes
of plan and cancellations (``service``), installments (``installments``). docs/subscriptions.md.
"""
