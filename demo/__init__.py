"""Demo data: the 2020 festival, a current edition and a special session running now,
replayed through the services (``python manage.py seed_demo``). The top of the stack:
it may import every app, and nothing imports it."""
