"""Expanding collect's inputs: files, folders and e-mail messages, none lost."""

from __future__ import annotations

import base64
import os
import random
import unicodedata
from email.message import EmailMessage
from pathlib import Path

import pytest

from formkit.findings import Severity
from formkit.intake import sources
from formkit.intake.sources import InputItem, expand_inputs

XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(40))


def workbook_bytes(tag: str) -> bytes:
    """Stand-in content: sources never parse it, they must only keep it exact."""
    return b"PK\x03\x04" + tag.encode() + bytes(range(256))


def message(sender: str = "Văn thư UBND quận <VanThu.CauGiay@HaNoi.gov.VN>",
            date: str | None = "Mon, 21 Dec 2020 09:30:00 +0700", subject: str = "Gửi biểu tự đánh giá",
            message_id: str = "<m1@hanoi.gov.vn>") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "cchc.snv@hanoi.example"
    msg["Subject"] = subject
    if date:
        msg["Date"] = date
    msg["Message-ID"] = message_id
    msg.set_content("Kính gửi Sở Nội vụ,\nđơn vị gửi kèm biểu tự đánh giá.")
    return msg


def write_eml(path: Path, msg: EmailMessage) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(msg.as_bytes())
    return path


def projection(items: list[InputItem]) -> list[tuple]:
    return [(item.source, item.name, item.read()) for item in items]


# Files and folders

def test_folders_are_walked_recursively_in_a_stable_order(tmp_path):
    root = tmp_path / "nhận"
    files = {
        "b.xlsx": b"b", "a.xlsx": b"a", ".ẩn.xlsx": b"hidden", "~$Biểu.xlsx": b"lock",
        "Quận Cầu Giấy/Biểu tự đánh giá.xlsx": b"cg", "Quận Cầu Giấy/sâu/hơn/c.pdf": b"%PDF",
        "Huyện Ba Vì/z.xlsx": b"bv",
    }
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    items, findings = expand_inputs([root])
    assert findings == []
    assert [Path(item.source).relative_to(root.resolve()).as_posix() for item in items] == [
        ".ẩn.xlsx", "Huyện Ba Vì/z.xlsx", "Quận Cầu Giấy/Biểu tự đánh giá.xlsx",
        "Quận Cầu Giấy/sâu/hơn/c.pdf", "a.xlsx", "b.xlsx", "~$Biểu.xlsx"]
    assert [item.read() for item in items] == [b"hidden", b"bv", b"cg", b"%PDF", b"a", b"b", b"lock"]
    assert all(item.data is None and item.path is not None and item.sender is None for item in items)
    assert projection(expand_inputs([root])[0]) == projection(items)


def test_decomposed_file_names_are_shown_in_nfc(tmp_path):
    name = unicodedata.normalize("NFD", "Biểu tự đánh giá Hoàn Kiếm.xlsx")
    (tmp_path / name).write_bytes(b"x")
    [item], _ = expand_inputs([tmp_path])
    assert item.name == "Biểu tự đánh giá Hoàn Kiếm.xlsx"
    assert item.read() == b"x"


def test_a_missing_path_is_a_finding_and_the_rest_goes_on(tmp_path):
    (tmp_path / "a.xlsx").write_bytes(b"a")
    missing = tmp_path / "không có.xlsx"
    items, findings = expand_inputs([missing, tmp_path / "a.xlsx"])
    assert [item.name for item in items] == ["a.xlsx"]
    assert [(f.code, f.file, f.severity) for f in findings] == [
        ("file.missing", str(missing), Severity.ERROR)]


def test_a_file_named_twice_is_listed_once(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.xlsx").write_bytes(b"a")
    items, _ = expand_inputs([tmp_path / "sub" / "a.xlsx", tmp_path, tmp_path / "sub"])
    assert [item.source for item in items] == [(tmp_path / "sub" / "a.xlsx").resolve().as_posix()]


@pytest.mark.skipif(os.name == "nt", reason="symbolic links need privileges on Windows")
def test_symbolic_link_loops_end(tmp_path):
    root = tmp_path / "in"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "a.xlsx").write_bytes(b"a")
    (root / "sub" / "vòng").symlink_to(root, target_is_directory=True)
    (root / "liên kết.xlsx").symlink_to(root / "sub" / "a.xlsx")
    items, findings = expand_inputs([root])
    # One file, reached first through the link (names sort before "sub"), then through sub/.
    assert [item.source for item in items] == [(root / "sub" / "a.xlsx").resolve().as_posix()]
    assert [item.name for item in items] == ["liên kết.xlsx"] and findings == []


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_named_pipe_is_refused_without_hanging(tmp_path):
    os.mkfifo(tmp_path / "ống")
    items, findings = expand_inputs([tmp_path])
    assert items == [] and [f.code for f in findings] == ["file.unreadable"]


# E-mail messages

def test_each_attachment_is_an_item_with_sender_and_date(tmp_path):
    msg = message()
    msg.add_attachment(workbook_bytes("1"), *XLSX, filename="Biểu tự đánh giá - Cầu Giấy.xlsx")
    msg.add_attachment(b"%PDF-1.4 ...", "application", "pdf", filename="Công văn số 12-UBND.pdf")
    eml = write_eml(tmp_path / "thư đến.eml", msg)
    items, findings = expand_inputs([eml])
    assert findings == []
    prefix = eml.resolve().as_posix()
    assert projection(items) == [
        (f"{prefix}#1/Biểu tự đánh giá - Cầu Giấy.xlsx", "Biểu tự đánh giá - Cầu Giấy.xlsx",
         workbook_bytes("1")),
        (f"{prefix}#2/Công văn số 12-UBND.pdf", "Công văn số 12-UBND.pdf", b"%PDF-1.4 ..."),
    ]
    first = items[0]
    assert (first.sender, first.sender_name) == ("vanthu.caugiay@hanoi.gov.vn", "Văn thư UBND quận")
    assert first.sent_at == "2020-12-21T02:30:00+00:00"
    assert first.message_id == "<m1@hanoi.gov.vn>"
    assert first.path is None and first.data == workbook_bytes("1")
    assert projection(expand_inputs([eml])[0]) == projection(items)


def test_rfc2231_names_are_decoded(tmp_path):
    msg = message()
    msg.add_attachment(workbook_bytes("x"), *XLSX, filename="Báo cáo tự đánh giá năm 2020 của UBND huyện "
                                                             "Thạch Thất (bản chính thức).xlsx")
    raw = msg.as_bytes()
    assert b"filename*=utf-8''" in raw or b"filename*0*=utf-8''" in raw
    [item], _ = expand_inputs([write_eml(tmp_path / "a.eml", msg)])
    assert item.name == "Báo cáo tự đánh giá năm 2020 của UBND huyện Thạch Thất (bản chính thức).xlsx"


def raw_message(disposition: bytes, content_type: bytes = b"application/octet-stream",
                body: bytes = b"PK\x03\x04abc") -> bytes:
    """A message written by hand, for headers the email package would not write itself."""
    return (b"From: don.vi@hanoi.gov.vn\r\nTo: cchc@hanoi.example\r\nSubject: Bieu\r\n"
            b"Date: Tue, 22 Dec 2020 08:00:00 -0000\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: multipart/mixed; boundary=\"XX\"\r\n\r\n"
            b"--XX\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nxin gui\r\n"
            b"--XX\r\nContent-Type: " + content_type + b"\r\nContent-Disposition: " + disposition +
            b"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + base64.b64encode(body) + b"\r\n--XX--\r\n")


@pytest.mark.parametrize("disposition", [
    b'attachment; filename="=?utf-8?b?' + base64.b64encode("Biểu Sở Tư pháp.xlsx".encode()) + b'?="',
    b'attachment; filename="=?UTF-8?Q?Bi=E1=BB=83u_S=E1=BB=9F?= =?UTF-8?Q?_T=C6=B0_ph=C3=A1p.xlsx?="',
    b"attachment; filename*0*=utf-8''Bi%E1%BB%83u%20S%E1%BB%9F; filename*1*=%20T%C6%B0%20ph%C3%A1p.xlsx",
    b'attachment; filename="' + "Biểu Sở Tư pháp.xlsx".encode() + b'"',  # raw UTF-8, as some webmail
    b'attachment; filename="Bi\xea\xd2u S\xf5\xd2 T\xfd pha\xecp.xlsx"',  # raw Windows-1258
    b'attachment; filename="C:\\\\Users\\\\vt\\\\' + "Biểu Sở Tư pháp.xlsx".encode() + b'"',  # a full path
])
def test_encoded_names_are_decoded(tmp_path, disposition):
    eml = tmp_path / "a.eml"
    eml.write_bytes(raw_message(disposition))
    [item], findings = expand_inputs([eml])
    assert findings == [] and item.read() == b"PK\x03\x04abc"
    assert item.name == "Biểu Sở Tư pháp.xlsx"
    assert item.sent_at == "2020-12-22T08:00:00+00:00"


def test_a_name_only_in_content_type_and_no_name_at_all(tmp_path):
    eml = tmp_path / "a.eml"
    eml.write_bytes(raw_message(b"inline", b'application/vnd.ms-excel; name="=?utf-8?q?B=E1=BB=99.xls?="'))
    [item], _ = expand_inputs([eml])
    assert item.name == "Bộ.xls"
    eml.write_bytes(raw_message(b"attachment"))
    [item], _ = expand_inputs([eml])
    assert item.name == "attachment-1" and item.source.endswith("#1/attachment-1")


def test_a_forwarded_message_brings_its_own_attachment_and_sender(tmp_path):
    original = message(sender="UBND huyện Ba Vì <ubnd@bavi.hanoi.gov.vn>",
                       date="Fri, 18 Dec 2020 16:45:00 +0700", message_id="<goc@bavi>")
    original.add_attachment(workbook_bytes("bavi"), *XLSX, filename="Ba Vì.xlsx")
    forward = message(sender="Chuyên viên <chuyenvien@snv.hanoi.gov.vn>", subject="Fwd: biểu Ba Vì",
                      message_id="<fwd@snv>")
    forward.add_attachment(workbook_bytes("note"), *XLSX, filename="Ghi chú.xlsx")
    forward.add_attachment(original)
    items, findings = expand_inputs([write_eml(tmp_path / "fwd.eml", forward)])
    assert findings == []
    assert [(item.name, item.sender, item.sent_at, item.message_id) for item in items] == [
        ("Ghi chú.xlsx", "chuyenvien@snv.hanoi.gov.vn", "2020-12-21T02:30:00+00:00", "<fwd@snv>"),
        ("Ba Vì.xlsx", "ubnd@bavi.hanoi.gov.vn", "2020-12-18T09:45:00+00:00", "<goc@bavi>"),
    ]
    assert items[1].read() == workbook_bytes("bavi") and items[1].source.endswith("#2/Ba Vì.xlsx")


def test_an_attached_eml_file_is_opened_too(tmp_path):
    inner = message(sender="ubnd@soctrang.example")
    inner.add_attachment(workbook_bytes("in"), *XLSX, filename="trong.xlsx")
    outer = message()
    outer.add_attachment(inner.as_bytes(), "application", "octet-stream", filename="thư gốc.eml")
    [item], _ = expand_inputs([write_eml(tmp_path / "o.eml", outer)])
    assert (item.name, item.sender, item.read()) == ("trong.xlsx", "ubnd@soctrang.example",
                                                     workbook_bytes("in"))


def test_a_message_without_attachment_is_a_warning(tmp_path):
    eml = write_eml(tmp_path / "trống.eml", message(subject="Đã gửi biểu"))
    items, findings = expand_inputs([eml])
    assert items == []
    [finding] = findings
    assert (finding.code, finding.severity, finding.file) == ("mail.no_attachment", Severity.WARNING,
                                                              str(eml))
    assert "Đã gửi biểu" in finding.message and "vanthu.caugiay@hanoi.gov.vn" in finding.message


def test_signature_images_shown_by_the_body_are_no_inputs(tmp_path):
    msg = message()
    msg.add_alternative('<p>Kính gửi</p><img src="cid:logo-ubnd@hanoi"><img src="cid:%3Cchu-ky%3E">',
                        subtype="html")
    html = msg.get_payload()[1]
    html.add_related(PNG, "image", "png", cid="<logo-ubnd@hanoi>", filename="image001.png",
                     disposition="inline")
    html.add_related(PNG + b"2", "image", "png", cid="<chu-ky>")
    html.add_related(PNG + b"3", "image", "png", cid="<khong-dung@x>", filename="ảnh.png",
                     disposition="inline")
    msg.add_attachment(workbook_bytes("1"), *XLSX, filename="Biểu.xlsx")
    msg.add_attachment(PNG + b"4", "image", "png", filename="chụp màn hình.png")
    items, _ = expand_inputs([write_eml(tmp_path / "a.eml", msg)])
    # The unreferenced inline image and the attached screenshot are inputs; the logos are not.
    assert [item.name for item in items] == ["ảnh.png", "Biểu.xlsx", "chụp màn hình.png"]


def test_a_detached_signature_is_no_input(tmp_path):
    body = (b"From: a@b.vn\r\nSubject: s\r\nMIME-Version: 1.0\r\nContent-Type: multipart/signed; "
            b"protocol=\"application/pkcs7-signature\"; micalg=sha-256; boundary=\"S\"\r\n\r\n"
            b"--S\r\n" + raw_message(b'attachment; filename="a.xlsx"').split(b"MIME-Version: 1.0\r\n", 1)[1]
            + b"\r\n--S\r\nContent-Type: application/pkcs7-signature; name=\"smime.p7s\"\r\n"
            b"Content-Disposition: attachment; filename=\"smime.p7s\"\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\nMIIB\r\n--S--\r\n")
    eml = tmp_path / "signed.eml"
    eml.write_bytes(body)
    items, findings = expand_inputs([eml])
    assert [item.name for item in items] == ["a.xlsx"] and findings == []


def test_messages_are_recognised_by_content_and_renamed_workbooks_by_theirs(tmp_path):
    msg = message()
    msg.add_attachment(workbook_bytes("1"), *XLSX, filename="x.xlsx")
    (tmp_path / "thư không đuôi").write_bytes(msg.as_bytes())
    (tmp_path / "sổ tính.eml").write_bytes(workbook_bytes("renamed"))
    items, findings = expand_inputs([tmp_path])
    assert findings == []
    assert [(item.name, item.read()) for item in items] == [("sổ tính.eml", workbook_bytes("renamed")),
                                                            ("x.xlsx", workbook_bytes("1"))]


def test_headers_missing_or_garbled(tmp_path):
    msg = message(sender="không phải địa chỉ", date="hôm qua", message_id="")
    del msg["Message-ID"]
    msg.add_attachment(b"x", "application", "octet-stream", filename="a.bin")
    [item], findings = expand_inputs([write_eml(tmp_path / "a.eml", msg)])
    assert findings == []
    assert (item.sender, item.sent_at, item.message_id) == (None, None, None)
    msg = message(date=None)
    msg.add_attachment(b"x", "application", "octet-stream", filename="a.bin")
    [item], _ = expand_inputs([write_eml(tmp_path / "b.eml", msg)])
    assert item.sent_at is None and item.sender == "vanthu.caugiay@hanoi.gov.vn"


def test_a_message_that_cannot_be_parsed_is_a_finding(tmp_path, monkeypatch):
    eml = write_eml(tmp_path / "hỏng.eml", message())

    class Broken:
        def __init__(self, **_):
            pass

        def parsebytes(self, data):
            raise RecursionError("too deep")

    monkeypatch.setattr(sources, "BytesParser", Broken)
    items, findings = expand_inputs([eml])
    assert items == [] and [(f.code, f.file) for f in findings] == [("file.unreadable", str(eml))]


def test_binary_junk_named_eml_is_kept_as_a_file(tmp_path):
    (tmp_path / "rác.eml").write_bytes(bytes(range(256)) * 4)
    [item], findings = expand_inputs([tmp_path / "rác.eml"])
    assert findings == [] and item.path is not None and item.read() == bytes(range(256)) * 4


def test_an_item_knows_how_to_read_itself(tmp_path):
    assert InputItem("s", "n", data=b"abc").read() == b"abc"
    (tmp_path / "f").write_bytes(b"def")
    assert InputItem("s", "n", path=tmp_path / "f").read() == b"def"
    with pytest.raises(OSError):
        InputItem("s", "n", path=tmp_path / "gone").read()
    assert "abc" not in repr(InputItem("s", "n", data=b"abc"))


def test_damaged_messages_never_raise(tmp_path):
    """Random damage to a real-looking message: each gives items or a finding, nothing raises."""
    msg = message()
    msg.add_attachment(workbook_bytes("1"), *XLSX, filename="Biểu tự đánh giá.xlsx")
    inner = message(sender="ubnd@bavi.example")
    inner.add_attachment(b"%PDF", "application", "pdf", filename="Công văn.pdf")
    msg.add_attachment(inner)
    data = msg.as_bytes()
    rng = random.Random(11)
    for n in range(150):
        damaged = bytearray(data)
        for _ in range(rng.randint(1, 12)):
            at = rng.randrange(len(damaged))
            if rng.random() < 0.5:
                damaged[at] = rng.randrange(256)
            else:
                damaged[at:at] = rng.choice([b"=?utf-8?b?", b"\r\n", b'"', b";", b"--", b"\xff", b"*0*="])
        eml = tmp_path / f"{n}.eml"
        eml.write_bytes(bytes(damaged[:rng.randrange(len(damaged) // 2, len(damaged) + 1)]))
        items, findings = expand_inputs([eml])
        assert items or findings
        assert all(isinstance(item.read(), bytes) for item in items)
