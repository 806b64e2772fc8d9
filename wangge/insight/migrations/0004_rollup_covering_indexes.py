"""The map's two reads of the rollups as index-only scans on PostgreSQL: the indexes carry the counted columns
(INCLUDE), so a level's rows are read from the index alone once the table has been vacuumed (autovacuum, or
`rebuild()` after a bulk load). SQLite gets the same keys without the included columns (it has no INCLUDE)."""
from django.db import migrations, models

COVERING = [
    ("rollup_children", "source, span, parent_id, kind, day", "region_id, state, n, on_time"),
    ("rollup_own", "source, span, region_id, day", "kind, state, n, on_time"),
]


def cover(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, keys, included in COVERING:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
        schema_editor.execute(f"CREATE INDEX {name} ON insight_rollup ({keys}) INCLUDE ({included})")


class Migration(migrations.Migration):

    dependencies = [
        ('areas', '0003_alter_gridteammember_phone'),
        ('insight', '0003_warnings_go_with_their_area'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='rollup',
            name='rollup_children',
        ),
        migrations.AddIndex(
            model_name='rollup',
            index=models.Index(fields=['source', 'span', 'parent', 'kind', 'day'], name='rollup_children'),
        ),
        migrations.AddIndex(
            model_name='rollup',
            index=models.Index(fields=['source', 'span', 'region', 'day'], name='rollup_own'),
        ),
        migrations.RunPython(cover, migrations.RunPython.noop),
    ]
