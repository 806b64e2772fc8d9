"""人民调解协议书: the agreement of an agreed dispute as a Word document (.docx), built in code with python-docx.

The layout follows the 司法部 model text: number, parties, the facts and matters in dispute, the terms the parties
agreed, how and by when they are performed, the copies and when the agreement takes effect, the judicial
confirmation notice (人民调解法 第三十三条), and the signatures block with the committee's seal and the date.

Language: the 人民调解协议书 is a legal document printed in Chinese whatever the page language, so its text stays
Chinese here on purpose (not through the catalogue), and its role words are its own, fixed by the model text.

Personal data: a party's ID number is printed masked (510107********123X); phones are not printed. Parties
write their full particulars by hand when they sign, so the printed copy never carries them in the clear.
"""
from io import BytesIO

from django.utils import timezone
from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

from wangge.core.personal import mask_id_number
from wangge.mediation.models import PartyKind, PartyRole

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
FONT = "宋体"
# The legal document's own words (Chinese only, see the module note), not the pages' translated choice labels.
ROLE_LABELS = {PartyRole.APPLICANT: "申请人", PartyRole.RESPONDENT: "被申请人", PartyRole.THIRD: "第三人"}


def _date(value) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def amount_text(amount) -> str:
    return f"人民币 {amount:,.2f} 元"


def party_line(party) -> str:
    role = ROLE_LABELS.get(party.role, "当事人")
    if party.kind == PartyKind.ORGANISATION:
        return f"{role}：{party.name}（单位）"
    line = f"{role}：{party.name}"
    if party.id_number:
        line += f"，公民身份号码 {mask_id_number(party.id_number)}"
    return line


def _font(document):
    style = document.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(12)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)  # Word picks CJK glyphs from the East Asian font


def _heading(document, text):
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = paragraph.add_run(text)
    run.bold, run.font.size = True, Pt(20)
    return paragraph


def _section(document, title, lines):
    paragraph = document.add_paragraph()
    paragraph.add_run(title).bold = True
    for line in lines:
        document.add_paragraph(line)


def _signatures(document, parties, mediator_name, committee_name, signed_on):
    table = document.add_table(rows=0, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for party in parties:
        cells = table.add_row().cells
        cells[0].text = f"{ROLE_LABELS.get(party.role, '当事人')}：{party.name}"
        cells[1].text = "签名（盖章或按指印）：____________"
    cells = table.add_row().cells
    cells[0].text = f"人民调解员：{mediator_name or '____________'}"
    cells[1].text = "签名：____________"
    for text in (f"{committee_name}（印章）", _date(signed_on)):
        paragraph = document.add_paragraph(text)
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT


def agreement_docx(dispute) -> bytes:
    """The 人民调解协议书 of `dispute`, which must have an agreement (the caller answers 404 otherwise)."""
    agreement = dispute.agreement
    parties = list(dispute.parties.order_by("id"))
    committee_name = dispute.committee.name if dispute.committee_id else "人民调解委员会"
    mediator_name = dispute.mediator.name if dispute.mediator_id else ""
    signed_on = timezone.localtime(agreement.signed_at).date()

    document = Document()
    _font(document)
    document.core_properties.title = f"人民调解协议书 {dispute.number}"
    _heading(document, "人民调解协议书")
    number = document.add_paragraph(f"编号：{dispute.number}")
    number.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    document.add_paragraph(f"调解组织：{committee_name}")

    _section(document, "当事人", [party_line(p) for p in parties])
    facts = [line for line in dispute.summary.splitlines() if line.strip()]
    _section(document, "纠纷主要事实、争议事项", [f"{dispute.title}。", *facts])
    terms = [line for line in agreement.terms.splitlines() if line.strip()]
    _section(document, "经调解，各方当事人自愿达成如下协议", terms)
    _section(document, "协议金额", [amount_text(agreement.amount)])
    deadline = (f"各方当事人应于{_date(agreement.perform_by)}前履行完毕本协议。" if agreement.perform_by
                else "本协议自生效之日起履行。")
    _section(document, "履行方式、时限", [deadline])
    copies = len(parties) + 1
    document.add_paragraph(
        f"本协议一式 {copies} 份，当事人各执一份，人民调解委员会留存一份。本协议自各方当事人签名（盖章或按指印）、"
        "人民调解员签名并加盖人民调解委员会印章之日起生效。")
    document.add_paragraph(
        "经人民调解委员会调解达成的调解协议，具有法律约束力，当事人应当按照约定履行。当事人可以自调解协议生效之日起"
        "三十日内共同向人民法院申请司法确认。")
    _signatures(document, parties, mediator_name, committee_name, signed_on)

    out = BytesIO()
    document.save(out)
    return out.getvalue()


def filename(dispute) -> str:
    return f"人民调解协议书-{dispute.number}.docx"
