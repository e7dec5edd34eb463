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


def fix_counts(model, key_fields: tuple[str, ...], festival_ids, counted) -> int:
    """Make ``model``'s rows of these festivals equal ``counted`` (a Counter by key); returns how
    many rows differed. The nightly recount of every roll-up ends here."""
    meta = model._meta
    columns = [meta.get_field(name).attname for name in key_fields]
    stored = {
        tuple(row[:-1]): row[-1]
        for row in model.objects.filter(festival_id__in=festival_ids).values_list(*columns, "count")
    }
    drift = {key: counted.get(key, 0) - n for key, n in stored.items() if counted.get(key, 0) != n}
    drift.update({key: n for key, n in counted.items() if key not in stored and n})
    add_counts(model, key_fields, drift)
    return len(drift)


def lock_for_recount(*models) -> None:
    """Hold back every change of these roll-ups until the recount commits: a change whose rows the
    recount could not see (not yet committed) adds its delta after, on top of the recount."""
    connection = connections[models[0].objects.db]
    if connection.vendor != "postgresql":
        return  # SQLite runs one writer at a time
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"LOCK TABLE {quote(model._meta.db_table)} IN EXCLUSIVE MODE")
