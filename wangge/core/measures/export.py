"""Exporting statistics: the spreadsheet and its audit row, one operation."""
from io import BytesIO

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from wangge.core.audit import record as audit_record


def workbook(report, data: dict, group_label) -> bytes:
    """The page's table as .xlsx: a title row, the published sentence (if any), the heading, a row per row and
    the total; every count, the report's extra cells, and each rate with its numerator and denominator."""
    from openpyxl import Workbook  # a large import, needed only here

    ms = report.measure_set
    book = Workbook()
    sheet = book.active
    sheet.title = str(report.sheet_title)
    where = data["region"]["name"] if data["region"] else _("All")
    sheet.append([_("%(where)s %(start)s to %(end)s %(group)s") % {
        "where": where, "start": data["from"], "end": data["to"], "group": group_label}])
    summary = report.summary(data["total"])
    if summary:
        sheet.append([summary])
    counts, extra = list(ms.count_labels), report.extra_cells()
    head = [pgettext("statistics column", "Name"), pgettext("statistics column", "Code"),
            *(str(ms.count_labels[n]) for n in counts), *(str(h) for h, _v in extra)]
    for name, label in ms.rate_labels.items():
        head += [str(label), _("%(measure)s numerator") % {"measure": label},
                 _("%(measure)s denominator") % {"measure": label}]
    sheet.append(head)
    for row in [*data["rows"], data["total"]]:
        cells = [row["label"], row["code"], *(row["counts"][n] for n in counts), *(value(row) for _h, value in extra)]
        for name in ms.rate_labels:
            measure = row["measures"][name]
            cells += [report.rate_cell(measure), measure["numerator"], measure["denominator"]]
        sheet.append(cells)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def export_stats(actor, report, query) -> tuple[str, bytes]:
    """(file name, .xlsx bytes) of the figures `actor` may see, with the audit row saying who took them."""
    ms = report.measure_set
    data = ms.stats(actor, query)
    group_label = ms.groups[query.group].label
    content = workbook(report, data, group_label)
    with transaction.atomic():
        audit_record(actor, f"{ms.name}.stats_export", None, group_by=query.group,
                     region=data["region"]["name"] if data["region"] else "", date_from=data["from"],
                     date_to=data["to"])
    return f"{report.export_name}-{data['from']}-{data['to']}.xlsx", content
