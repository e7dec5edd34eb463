"""The one write every counting roll-up uses (promotions.tallies, merchants.tallies): add a delta
to a count row, creating the row on first use."""

from django.db import connections


def add_counts(model, key_fields: tuple[str, ...], deltas: dict) -> None:
    """Add each delta to its row's ``count``: one ``INSERT … ON CONFLICT DO UPDATE SET count =
    count + excluded.count`` (PostgreSQL and SQLite alike), atomic per row, so two transactions
    moving the same key, even both creating its row, never lose an update."""
    rows = sorted((key, n) for key, n in deltas.items() if n)
    if not rows:
        return
    connection = connections[model.objects.db]
    quote = connection.ops.quote_name
    meta = model._meta
    columns = [meta.get_field(name).column for name in key_fields]
    table = quote(meta.db_table)
    placeholders = ", ".join(["(" + ", ".join(["%s"] * (len(columns) + 1)) + ")"] * len(rows))
    sql = (
        f"INSERT INTO {table} ({', '.join(map(quote, columns))}, count) VALUES {placeholders} "
        f"ON CONFLICT ({', '.join(map(quote, columns))}) DO UPDATE SET count = {table}.count + excluded.count"
    )
    fields = [meta.get_field(name) for name in key_fields]
    params = [
        value
        for key, n in rows
        for value in (*(field.get_db_prep_value(v, connection) for field, v in zip(fields, key, strict=True)), n)
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
