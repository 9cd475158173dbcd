"""The message form of the order's conversation (staff on the order page, customers on the
storefront)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from oscar_orders_ext.conf import app_settings


class MessageForm(forms.Form):
    """One message; the service trims it and refuses an empty or too long one."""

    body = forms.CharField(label=_("Message"), strip=True,
                           widget=forms.Textarea(attrs={"rows": 3}))

    def clean_body(self) -> str:
        body: str = self.cleaned_data["body"]
        limit = int(app_settings.MESSAGE_MAX_LENGTH)
        if len(body) > limit:
            raise forms.ValidationError(
                _("A message can be at most %(limit)d characters long (this one has "
                  "%(length)d).") % {"limit": limit, "length": len(body)})
        return body
