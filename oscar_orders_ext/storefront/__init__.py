"""Customer-facing pages on Oscar's storefront templates (conversation, payments)."""
