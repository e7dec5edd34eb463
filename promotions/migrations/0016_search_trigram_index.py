"""A trigram index (pg_trgm) over the search document, on PostgreSQL.

The bigram index (0015) narrows a word to the documents holding all its character pairs.
For numbers and Latin words that is most documents: the ten digits make only a hundred
pairs, so "000123-004" had 26,782 candidates among a million promotions. Trigrams are a
thousand times rarer and pg_trgm keeps word boundaries, so the same word has a handful.
promotions.search uses this index for a rare word with a run of three letters or digits,
the bigram index for shorter words (most Chinese words have two characters).

Built CONCURRENTLY (so the migration is not atomic): at a national festival's size the
build takes minutes, and a plain CREATE INDEX would block every promotion's write meanwhile.
pg_trgm is a trusted extension: the database's owner may create it.
"""

from django.db import migrations

INDEX = "promotions_search_trgm_gin"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        # A build interrupted earlier leaves an invalid index of this name behind.
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}")
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY {INDEX} ON promotions_promotion USING gin (search_document gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("promotions", "0015_search_document")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
