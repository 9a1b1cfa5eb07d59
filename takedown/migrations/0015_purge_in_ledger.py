from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("takedown", "0014_background_files")]

    operations: list = []
