"""The assessment's files: every table as .xlsx (the ranking with each indicator, the payroll sheet, one score with
the records behind it, the year's best, the list of periods), and the finalised assessment as a .docx (通报).

The .xlsx headings follow the page language (like the statistics exports); the .docx 通报 is an official document
printed in Chinese whatever the page language, like the mediation agreement (wangge/mediation/documents.py).
"""
from io import BytesIO

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from wangge.core.spreadsheets import table_xlsx
from wangge.insight.assessment.indicators import REGISTRY

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _codes(period) -> list[str]:
    return [r["code"] for r in period.rules["indicators"]]


def _caption(period) -> str:
    return f"{period.scheme.name} {period.label} · {period.get_state_display()}"


def _number(value):
    return "" if value is None else value


def ranking_xlsx(period, scores) -> bytes:
    codes = _codes(period)
    heading = [_("Rank"), _("Assessed"), pgettext("assessment", "Score"), pgettext("assessment", "Rating")]
    for code in codes:
        label = str(REGISTRY[code].label)
        heading += [label, _("%(indicator)s points") % {"indicator": label}]
    rows = []
    for s in scores:
        row = [_number(s.rank), s.label, _number(s.total and float(s.total)), s.rating]
        for code in codes:
            figures = s.indicators.get(code, {})
            row += [_number(figures.get("value")), _number(figures.get("points"))]
        rows.append(row)
    return table_xlsx(_("Ranking"), heading, rows, _caption(period))


def payroll_xlsx(period, scores) -> bytes:
    """工资表: one row per grid worker, the allowance from the scheme's rule, and the total."""
    heading = [_("Grid worker"), _("Grid"), pgettext("assessment", "Score"), pgettext("assessment", "Rating"),
               _("Allowance (yuan)")]
    rows, total = [], 0
    for s in scores:
        grid = s.user.region.name if s.user_id and s.user.region_id else ""
        name = s.user.full_name or s.user.username if s.user_id else s.label
        rows.append([name, grid, _number(s.total and float(s.total)), s.rating,
                     _number(s.allowance and float(s.allowance))])
        total += float(s.allowance or 0)
    rows.append([_("Total"), "", "", "", round(total, 2)])
    return table_xlsx(_("Allowance"), heading, rows, _caption(period))


def score_xlsx(score, drill: dict) -> bytes:
    """One score: its indicators (value, points, weight), then the records behind each."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = pgettext("assessment", "Score")[:31]
    sheet.append([f"{score.label} {score.period.label}", _number(score.total and float(score.total)), score.rating])
    sheet.append([_("Indicator"), _("Numerator"), _("Denominator"), _("Value"), _("Points"), _("Weight")])
    for code, figures in score.indicators.items():
        sheet.append([str(REGISTRY[code].label), _number(figures.get("numerator")), _number(figures.get("denominator")),
                      _number(figures.get("value")), _number(figures.get("points")), figures.get("weight")])
    records = book.create_sheet(_("Records")[:31])
    records.append([_("Indicator"), _("Kind"), _("Number"), _("Title"), _("Counted in the numerator")])
    for code, rows in drill.items():
        for row in rows:
            records.append([str(REGISTRY[code].label), row["kind"], row["number"], row["title"],
                            _("yes") if row["counted"] else _("no")])
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def top_ten_xlsx(year: int, rows) -> bytes:
    heading = [_("Rank"), _("Grid worker"), _("Months assessed"), _("Mean score"), _("Top ten")]
    body = [[_number(r["rank"]), r["label"], r["months"], float(r["mean"]), _("yes") if r["top"] else ""] for r in rows]
    return table_xlsx(str(year), heading, body, _("The year's best grid workers, %(year)s") % {"year": year})


def periods_xlsx(periods) -> bytes:
    heading = [_("Scheme"), pgettext("assessment", "Period"), _("State"), _("Published"), _("Appeals until"),
               _("Finalised")]

    def when(value):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""

    rows = [[p.scheme.name, p.label, p.get_state_display(), when(p.published_at), when(p.appeal_until),
             when(p.finalised_at)] for p in periods]
    return table_xlsx(_("Periods"), heading, rows)


# --- the 通报 (.docx) ---------------------------------------------------------------------------------------------

TYPE_WORDS = {"grid_worker": "网格员", "community": "社区", "street": "街道（镇）", "department": "职能部门"}


def report_docx(period, scores) -> bytes:
    """考核结果通报: the period, how it was scored (indicators and weights), the ranking with each indicator's points,
    the ratings' counts, the appeals decided, and (grid workers) the allowances."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt

    from wangge.insight.assessment.models import Appeal

    document = Document()
    style = document.styles["Normal"]
    style.font.name, style.font.size = "宋体", Pt(11)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")
    scheme = period.scheme
    title = f"{scheme.region.name}{period.label}{TYPE_WORDS[scheme.target_type]}考核结果通报"
    document.core_properties.title = title
    heading = document.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = heading.add_run(title)
    run.bold, run.font.size = True, Pt(18)
    rated = [s for s in scores if s.total is not None]
    mean = round(sum(float(s.total) for s in rated) / len(rated), 2) if rated else None
    finalised = timezone.localtime(period.finalised_at) if period.finalised_at else None
    document.add_paragraph(
        f"根据《{scheme.name}》，对{len(scores)}个考核对象{period.label}的工作进行了考核，"
        f"平均得分{mean if mean is not None else '—'}分。"
        + (f"考核结果已于{finalised:%Y年%m月%d日}定稿。" if finalised else ""))
    counts = {letter: sum(1 for s in scores if s.rating == letter) for letter in "ABCDE"}
    document.add_paragraph("等次分布：" + "，".join(f"{k}等{v}个" for k, v in counts.items()) + "。")
    document.add_paragraph("考核指标及权重：" + "；".join(
        f"{_zh_label(r['code'])}{r['weight']:g}分" for r in period.rules["indicators"]) + "。")
    codes = _codes(period)
    table = document.add_table(rows=1, cols=4 + len(codes))
    table.style = "Table Grid"
    head = ["名次", "考核对象", "得分", "等次", *(_zh_label(c) for c in codes)]
    for cell, text in zip(table.rows[0].cells, head):
        cell.text = text
    for s in scores:
        cells = table.add_row().cells
        values = [s.rank or "—", s.label, s.total if s.total is not None else "—", s.rating or "—"]
        values += [(s.indicators.get(c, {}).get("points") if s.indicators.get(c, {}).get("points") is not None
                    else "—") for c in codes]
        for cell, value in zip(cells, values):
            cell.text = str(value)
    decided = Appeal.objects.filter(score__period=period).exclude(state="submitted").select_related("score")
    if decided:
        document.add_paragraph("申诉及免责处理情况：")
        for appeal in decided:
            verdict = "予以采纳，重新计分" if appeal.state == "accepted" else "不予采纳"
            change = (f"（{appeal.total_before}分→{appeal.total_after}分）" if appeal.state == "accepted" else "")
            document.add_paragraph(f"{appeal.number} {appeal.score.label}：{verdict}{change}。", style="List Bullet")
    if scheme.target_type == "grid_worker":
        total = sum(float(s.allowance or 0) for s in scores)
        document.add_paragraph(f"按考核结果核发网格员补贴共计人民币{total:,.2f}元，明细见工资表。")
    out = BytesIO()
    document.save(out)
    return out.getvalue()


def _zh_label(code: str) -> str:
    from django.utils import translation

    with translation.override("zh-hans"):
        return str(REGISTRY[code].label)


def appeals_xlsx(appeals) -> bytes:
    heading = [_("Number"), _("Assessed"), pgettext("assessment", "Period"), pgettext("assessment", "Kind"),
               _("State"), _("Reason"), _("Decision"), _("Score before"), _("Score after")]
    rows = [[a.number, a.score.label, a.score.period.label, a.get_kind_display(), a.get_state_display(), a.reason,
             a.decision, _number(a.total_before and float(a.total_before)),
             _number(a.total_after and float(a.total_after))] for a in appeals]
    return table_xlsx(_("Appeals"), heading, rows)


def scheme_xlsx(scheme) -> bytes:
    """The scheme's indicators, weights and bands, one band a row."""
    heading = [_("Indicator"), _("Weight"), _("From"), _("To"), _("Points")]
    rows = []
    for rule in scheme.indicators:
        label = str(REGISTRY[rule["code"]].label)
        for band in rule["bands"] or [{"from": 0, "to": 100, "points": None}]:
            rows.append([label, rule["weight"], _number(band["from"]), _number(band["to"]), _number(band["points"])])
    return table_xlsx(_("Scheme"), heading, rows, f"{scheme.name} · {scheme.region.name}")


def spot_checks_xlsx(period, rows) -> bytes:
    heading = [_("Assessed"), pgettext("assessment", "Score"), _("Findings"), _("Evidence")]
    body = [[label, float(check.score), check.note, check.evidence.count()] for label, check in rows]
    return table_xlsx(_("Spot check"), heading, body, _caption(period))
