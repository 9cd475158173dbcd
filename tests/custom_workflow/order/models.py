from django.db import models
from oscar.apps.order.abstract_models import AbstractOrder


class Order(AbstractOrder):
    sales_channel = models.CharField(max_length=32, blank=True)


from oscar.apps.order.models import *  # noqa: E402,F401,F403
