from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("takedown", "0010_ledger_existing_events")]

    operations: list = []
