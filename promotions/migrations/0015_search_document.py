"""The public search's document (Promotion.search_document) and its bigram index, on PostgreSQL.

The document is UPPER(title), UPPER(merchant name) and UPPER(product name) of every item
(failed ones too), one per line. Triggers write it whenever any of those change, wherever
the change comes from (services, admin, bulk inserts), so no writer can forget it; the one
exception is seed_scale, which turns them off for each COPY chunk and writes the same
document itself (demo/scale.py; its test compares every document with this function's).
The search only takes candidates from it and then rechecks the exact rules, so the
document needs only to hold at least what matches: a deleted item's stale name is harmless.

``promotions_search_grams`` gives a text's characters and character pairs; a GIN index over
it answers "contains every pair of the query" for 2-character Chinese words, which pg_trgm
(3-character trigrams) cannot. SQLite keeps the plain icontains search (the column stays "").
"""

from django.db import migrations, models

CREATE = r"""
CREATE FUNCTION promotions_search_grams(doc text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT gram), '{}')
    FROM (
        SELECT substr(doc, i, 1) AS gram FROM generate_series(1, length(doc)) AS i
        UNION ALL
        SELECT substr(doc, i, 2) FROM generate_series(1, length(doc) - 1) AS i
    ) AS grams
$$;

-- A query's grams: its character pairs, or its one character.
CREATE FUNCTION promotions_query_grams(query text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE WHEN length(query) = 1 THEN ARRAY[query] ELSE coalesce(
        (SELECT array_agg(DISTINCT substr(query, i, 2)) FROM generate_series(1, length(query) - 1) AS i), '{}'
    ) END
$$;

CREATE FUNCTION promotions_search_document(bigint, text, bigint) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT concat_ws(E'\n', upper($2),
        (SELECT upper(merchant.name) FROM merchants_merchant AS merchant WHERE merchant.id = $3),
        (SELECT string_agg(upper(product.name), E'\n')
           FROM promotions_promotionitem AS item JOIN merchants_product AS product ON product.id = item.product_id
          WHERE item.promotion_id = $1))
$$;

CREATE FUNCTION promotions_write_search_document() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_document := promotions_search_document(NEW.id, NEW.title, NEW.merchant_id);
    RETURN NEW;
END $$;

-- Every full save of a promotion writes search_document, so it is rewritten then too.
CREATE TRIGGER promotions_search_document_write
BEFORE INSERT OR UPDATE OF title, merchant_id, search_document ON promotions_promotion
FOR EACH ROW EXECUTE FUNCTION promotions_write_search_document();

-- The others "touch" the promotions concerned; the trigger above rewrites them.
CREATE FUNCTION promotions_touch_search_of_new_items() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE promotions_promotion SET search_document = ''
     WHERE id IN (SELECT DISTINCT promotion_id FROM new_items);
    RETURN NULL;
END $$;

CREATE TRIGGER promotions_search_items_inserted
AFTER INSERT ON promotions_promotionitem REFERENCING NEW TABLE AS new_items
FOR EACH STATEMENT EXECUTE FUNCTION promotions_touch_search_of_new_items();

CREATE FUNCTION promotions_touch_search_of_item() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE promotions_promotion SET search_document = '' WHERE id = NEW.promotion_id;
    RETURN NULL;
END $$;

CREATE TRIGGER promotions_search_item_changed
AFTER UPDATE OF product_id, promotion_id ON promotions_promotionitem
FOR EACH ROW WHEN (OLD.product_id IS DISTINCT FROM NEW.product_id OR OLD.promotion_id IS DISTINCT FROM NEW.promotion_id)
EXECUTE FUNCTION promotions_touch_search_of_item();

CREATE FUNCTION promotions_touch_search_of_product() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE promotions_promotion SET search_document = ''
     WHERE id IN (SELECT promotion_id FROM promotions_promotionitem WHERE product_id = NEW.id);
    RETURN NULL;
END $$;

CREATE TRIGGER promotions_search_product_renamed
AFTER UPDATE OF name ON merchants_product
FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
EXECUTE FUNCTION promotions_touch_search_of_product();

CREATE FUNCTION promotions_touch_search_of_merchant() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE promotions_promotion SET search_document = '' WHERE merchant_id = NEW.id;
    RETURN NULL;
END $$;

CREATE TRIGGER promotions_search_merchant_renamed
AFTER UPDATE OF name ON merchants_merchant
FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
EXECUTE FUNCTION promotions_touch_search_of_merchant();

-- Backfill in one set-based statement (the row trigger is off meanwhile: it would look
-- every promotion's items up one by one).
ALTER TABLE promotions_promotion DISABLE TRIGGER promotions_search_document_write;
UPDATE promotions_promotion AS promotion SET search_document = documents.document
  FROM (SELECT p.id, concat_ws(E'\n', upper(p.title), upper(merchant.name), items.names) AS document
          FROM promotions_promotion AS p
          JOIN merchants_merchant AS merchant ON merchant.id = p.merchant_id
          LEFT JOIN (SELECT item.promotion_id, string_agg(upper(product.name), E'\n') AS names
                       FROM promotions_promotionitem AS item
                       JOIN merchants_product AS product ON product.id = item.product_id
                      GROUP BY item.promotion_id) AS items ON items.promotion_id = p.id) AS documents
 WHERE documents.id = promotion.id;
ALTER TABLE promotions_promotion ENABLE TRIGGER promotions_search_document_write;

CREATE INDEX promotions_search_grams_gin ON promotions_promotion USING gin (promotions_search_grams(search_document));
"""

DROP = """
DROP INDEX IF EXISTS promotions_search_grams_gin;
DROP TRIGGER IF EXISTS promotions_search_merchant_renamed ON merchants_merchant;
DROP TRIGGER IF EXISTS promotions_search_product_renamed ON merchants_product;
DROP TRIGGER IF EXISTS promotions_search_item_changed ON promotions_promotionitem;
DROP TRIGGER IF EXISTS promotions_search_items_inserted ON promotions_promotionitem;
DROP TRIGGER IF EXISTS promotions_search_document_write ON promotions_promotion;
DROP FUNCTION IF EXISTS promotions_touch_search_of_merchant();
DROP FUNCTION IF EXISTS promotions_touch_search_of_product();
DROP FUNCTION IF EXISTS promotions_touch_search_of_item();
DROP FUNCTION IF EXISTS promotions_touch_search_of_new_items();
DROP FUNCTION IF EXISTS promotions_write_search_document();
DROP FUNCTION IF EXISTS promotions_search_document(bigint, text, bigint);
DROP FUNCTION IF EXISTS promotions_query_grams(text);
DROP FUNCTION IF EXISTS promotions_search_grams(text);
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("promotions", "0014_backfill_category_tally"),
        ("merchants", "0008_merchant_name_order"),
    ]

    operations = [
        migrations.AddField(
            model_name="promotion",
            name="search_document",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.RunPython(create, drop),
    ]
