# The admin of the api app is split so keys and webhooks can grow apart.
from . import admin_keys, admin_webhooks  # noqa: F401
