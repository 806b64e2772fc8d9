"""A `{# … #}` comment must end on its own line: Django prints one that runs over two lines as text (a
location picker showed its own comment on every report form). Longer notes use {% comment %}."""
import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def test_no_template_comment_runs_over_a_line():
    broken = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if re.search(r"\{#(?!.*#\})", line):
                broken.append(f"{path.relative_to(TEMPLATES)}:{number}")
    assert broken == []
    assert len(list(TEMPLATES.rglob("*.html"))) > 50  # the templates were found
