"""Views stay thin: a page or an API endpoint calls an operation; it never opens its own transaction or
writes the audit log (the operation does both, so every change is atomic and audited the same way).

A static check over the source of every views*.py and api*.py module under wangge/."""
import re
from pathlib import Path

import wangge

ROOT = Path(wangge.__file__).parent

# Files other helpers of issue 9 are converting right now; the lead empties this after merging them.
PENDING_OTHER_HELPERS: set[str] = set()

# What a view may not do: open a transaction, or write audit rows (through the model or through core.audit).
FORBIDDEN = {
    "opens a transaction": re.compile(r"\btransaction\.atomic\b|\bfrom django\.db\.transaction import\b"
                                      r"|\bfrom django\.db import [^\n]*\btransaction\b"),
    "writes audit rows": re.compile(r"\bAuditEntry\.objects\.(create|bulk_create|get_or_create|update_or_create)\b"
                                    r"|\baudit\.record\b|\baudit_record\b|\bfrom wangge\.core\.audit import\b"
                                    r"|\bfrom wangge\.core import [^\n]*\baudit\b"),
}


def _view_modules():
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if "/tests/" in f"/{relative}" or "/migrations/" in relative:
            continue
        if re.fullmatch(r"(views|api)(_\w+)?\.py", path.name):
            yield relative, path.read_text(encoding="utf-8")


def _faults(source: str) -> list[str]:
    return [what for what, pattern in FORBIDDEN.items() if pattern.search(source)]


def test_the_check_sees_views_and_api_modules():
    names = {relative for relative, _source in _view_modules()}
    assert {"registry/views.py", "mediation/api.py", "core/api.py", "api.py"} <= names


def test_the_check_catches_what_it_is_about():
    assert _faults("from django.db import transaction\nwith transaction.atomic():\n") == ["opens a transaction"]
    assert _faults("from wangge.core.audit import record as audit_record\n") == ["writes audit rows"]
    assert _faults("AuditEntry.objects.create(operation='x')\n") == ["writes audit rows"]
    assert _faults("entries = AuditEntry.objects.visible_to(user)\n") == []  # reading the log is fine


def test_no_view_opens_a_transaction_or_writes_audit_rows():
    offenders = {relative: faults for relative, source in _view_modules()
                 if relative not in PENDING_OTHER_HELPERS and (faults := _faults(source))}
    assert offenders == {}, f"move these into an operation (a do_* function in services): {offenders}"


def test_the_pending_list_names_only_files_that_still_need_it():
    sources = dict(_view_modules())
    settled = {relative for relative in PENDING_OTHER_HELPERS if relative in sources and not _faults(sources[relative])}
    gone = {relative for relative in PENDING_OTHER_HELPERS if relative not in sources}
    assert not settled | gone, f"take these off PENDING_OTHER_HELPERS: {sorted(settled | gone)}"
