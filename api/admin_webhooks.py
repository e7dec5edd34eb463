"""Admin for webhook subscriptions, deliveries and attempts."""
