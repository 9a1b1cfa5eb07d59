from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("takedown", "0012_privacy_retention")]

    operations: list = []
