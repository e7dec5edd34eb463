"""gunicorn settings for Festival desk, used by the Procfile and festival-web.service
(``gunicorn festival.wsgi -c deploy/gunicorn.conf.py``). Each can be changed by the
environment variable named beside it."""

import os

# Behind a reverse proxy on the same machine by default; BIND=0.0.0.0:8000 to serve a load balancer.
bind = os.environ.get("BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
# Sync workers: 2–4 per core is the usual start; the app holds no state between requests.
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
# Uploads (5 MB images) and exports can take a while; the proxy's timeout should be longer.
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))
graceful_timeout = 30
# Recycle a worker now and then, so no slow leak grows without bound.
max_requests = 2000
max_requests_jitter = 200
# The app logs one JSON line per request with its id (core.middleware.RequestLogMiddleware):
# no second access log. gunicorn's own messages go to stderr (the journal under systemd).
accesslog = None
errorlog = "-"
# Trust X-Forwarded-* from the proxy only (set BEHIND_HTTPS_PROXY=true in the app's environment too).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# Several gunicorn instances on one host must not share gunicorn 27's control socket.
control_socket_disable = True
