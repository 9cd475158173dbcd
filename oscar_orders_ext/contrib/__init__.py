"""Optional front ends and integrations, each an app of its own (``contrib.wagtail``)."""
