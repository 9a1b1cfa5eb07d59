from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("takedown", "0013_reason_templates")]

    operations: list = []
