from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("takedown", "0011_evidence_packages")]

    operations: list = []
