"""A custom user model: the app must work in shops that swap ``AUTH_USER_MODEL``."""

from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    employee_code = models.CharField(max_length=20, blank=True)

    class Meta:
        db_table = "testapp_user"
