from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("sensing", "0002_partition_access_events")]

    operations = [
        migrations.AddField(
            model_name="device",
            name="broker_hash",
            field=models.CharField(blank=True, editable=False, max_length=200),
        ),
    ]
