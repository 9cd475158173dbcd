"""Customer-facing pages on Oscar's storefront templates (pay links, conversation, quotes)."""
