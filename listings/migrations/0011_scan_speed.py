from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("listings", "0010_listing_scan_queued_at")]

    operations: list = []
