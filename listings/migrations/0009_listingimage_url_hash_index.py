"""A hash index on ListingImage.url, on PostgreSQL.

Image intake looks up the URLs other listings already fetched (each URL is
downloaded once); without an index that is a scan of a table that grows by
tens of millions of rows a day. A hash index, not a btree: a URL may be up to
2,000 characters, and a btree entry must stay under ~2.7 KB while a hash index
stores 4 bytes an entry whatever the key's length. It serves ``=`` and ``IN``
lookups, which is all intake does. SQLite (the embedded default) keeps no such
index: its tables there are small.
"""

from django.db import migrations

INDEX = "listings_listingimage_url_hash"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON listings_listingimage USING hash (url)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("listings", "0008_drop_legacy_blob_hashes")]

    operations = [migrations.RunPython(create, drop)]
