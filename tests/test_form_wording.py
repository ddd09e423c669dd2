"""What a unit reads about the deadline and whom to contact: the form, the mail that carries it,
a reminder, the feedback workbook and its mail all say it the same way, from the settings.

Real flows: a workspace from the example, forms issued, a faulty return collected, mail written
as .eml files (dry runs); everything is read back from the files.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from decimal import Decimal
from email import message_from_bytes, policy
from pathlib import Path

import openpyxl
import pytest

from formkit.forms import FormFactory, generate_forms
from formkit.intake.collect import collect
from formkit.intake.report import feedback_path
from formkit.mail import send_forms
from formkit.mail.feedback import send_feedback
from formkit.mail.reminders import send_reminders
from formkit.simulate import Entry, fill_form, simulated_entries
from formkit.status import campaign_status
from formkit.text import deadline_phrase
from formkit.workspace import init_workspace, open_workspace

OTHER_WAYS = ("trước ngày", "tháng 12 năm 2020", "Hạn gửi: ")  # how the deadline was said before


def set_contact(root: Path, name: str, phone: str, email: str) -> None:
    path = root / "campaign.yaml"
    text = path.read_text("utf-8")
    block = f'contact:\n  name: "{name}"\n  phone: "{phone}"\n  email: "{email}"\n'
    text, count = re.subn(r"^contact:\n(?:[ \t]+.*\n)+", block, text, flags=re.MULTILINE)
    assert count == 1
    path.write_text(text, "utf-8")


def workbook_text(path: Path) -> str:
    book = openpyxl.load_workbook(path)
    return "\n".join(str(c.value) for sheet in book.worksheets if sheet.sheet_state == "visible"
                     for row in sheet.iter_rows() for c in row if c.value is not None)


def body(eml: Path) -> str:
    return message_from_bytes(eml.read_bytes(), policy=policy.default).get_body(
        ("plain",)).get_content()


def contact_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if "liên hệ:" in line.lower()]


def rejected_return(ws, unit_code: str) -> bytes:
    identity, data = FormFactory(ws).workbook(ws.unit(unit_code))
    catalog = ws.catalogs[ws.unit(unit_code).unit_type]
    entries = simulated_entries(identity, catalog, random.Random(unit_code))
    code = identity.inputs[1]
    entries[code] = Entry(**{**entries[code].__dict__, "score": Decimal(99)})
    return fill_form(data, identity, catalog, entries)


@pytest.fixture(scope="module")
def campaign(tmp_path_factory):
    """Forms for two units; 006 sent back a form with a score out of range."""
    root = tmp_path_factory.mktemp("wording") / "cchc-2020"
    init_workspace(root)
    set_contact(root, "Phòng Cải cách hành chính, Sở Nội vụ", "", "cchc@snv.hanoi.gov.vn")
    ws = open_workspace(root)
    forms = {form.unit_code: form.path for form in generate_forms(ws, ["005", "006"])}
    inbox = root.parent / "inbox"
    inbox.mkdir()
    (inbox / "006.xlsx").write_bytes(rejected_return(ws, "006"))
    collect(ws, [inbox])
    return open_workspace(root), forms


@pytest.fixture(scope="module")
def texts(campaign) -> dict[str, str]:
    """Every text a unit reads about its form, by name."""
    ws, forms = campaign
    mails = {e.unit: e.eml_path for e in send_forms(ws, ["005", "006"], dry_run=True).entries}
    today = ws.settings.deadlines.self_assessment - dt.timedelta(days=2)
    reminders = {e.unit: e.eml_path for e in send_reminders(ws, campaign_status(ws, today=today)
                                                            ).entries}
    feedback = {e.unit: e.eml_path for e in send_feedback(ws, dry_run=True).entries}
    return {"form": workbook_text(forms["005"]), "form mail": body(mails["005"]),
            "reminder": body(reminders["005"]),
            "feedback workbook": workbook_text(feedback_path(ws, ws.unit("006"))),
            "feedback mail": body(feedback["006"])}


def test_the_deadline_is_said_with_one_phrase_everywhere(campaign, texts):
    ws, _ = campaign
    phrase = deadline_phrase(ws.settings.deadlines.self_assessment)
    assert phrase == "chậm nhất ngày 22/12/2020"
    for name, text in texts.items():
        assert phrase in text, name
        assert text.count("22/12/2020") == 1, (name, text)  # said once
        assert not [way for way in OTHER_WAYS if way in text], (name, text)
    # The form and the reminder state it in the very same words.
    line = "Hạn gửi lại biểu về Sở Nội vụ: chậm nhất ngày 22/12/2020"
    assert line in texts["form"] and line in texts["reminder"]


def test_a_blank_phone_prints_no_phone_line_and_the_values_are_the_settings(texts):
    expected = "Phòng Cải cách hành chính, Sở Nội vụ, thư điện tử cchc@snv.hanoi.gov.vn"
    for name, text in texts.items():
        (line,) = contact_lines(text)
        assert line.endswith(f"liên hệ: {expected}.") or line == f"Liên hệ: {expected}.", name
    assert f"Liên hệ: {expected}." in texts["form"].splitlines()


@pytest.mark.parametrize(("phone", "email", "line"), [
    ("024 3825 1234", "", "Liên hệ: Phòng CCHC, điện thoại 024 3825 1234."),
    ("", "", "Liên hệ: Phòng CCHC."),
])
def test_the_contact_line_leaves_out_blank_values(tmp_path, phone, email, line):
    root = tmp_path / "ws"
    init_workspace(root)
    set_contact(root, "Phòng CCHC", phone, email)
    ws = open_workspace(root)
    (form,) = generate_forms(ws, ["005"])
    text = workbook_text(form.path)
    assert contact_lines(text) == [line]
    (mail,) = send_forms(ws, ["005"], dry_run=True).entries
    assert line.replace("Liên hệ: ", "liên hệ: ") in body(mail.eml_path)


def test_without_any_contact_the_form_prints_no_contact_line(tmp_path):
    root = tmp_path / "ws"
    init_workspace(root)
    set_contact(root, "", "", "")
    (form,) = generate_forms(open_workspace(root), ["005"])
    text = workbook_text(form.path)
    assert contact_lines(text) == [] and "Liên hệ" not in text
