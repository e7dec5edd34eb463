"""Shared helpers below every app: the one transition path, domain events, locks,
images, form helpers, task options and formatting. ``core`` imports no app of ours."""
