"""Admin for partner API keys."""
