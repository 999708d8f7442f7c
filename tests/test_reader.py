import pytest

from mec_ws.certificate.reader import read_xml
from mec_ws.errors import XmlReadError

GOOD = b'<?xml version="1.0" encoding="UTF-8"?><a xmlns="urn:x" b="\xc3\xb1"/>'


def test_reads_utf8_and_bom():
    assert read_xml(GOOD).getroot().get("b") == "ñ"
    assert read_xml(b"\xef\xbb\xbf" + GOOD).getroot().get("b") == "ñ"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "XML_MAL_FORMADO"),
        (b"<a>", "XML_MAL_FORMADO"),
        (b'<?xml version="1.0" encoding="ISO-8859-1"?><a/>', "XML_CODIFICACION"),
        (b"<a b='\xf1'/>", "XML_CODIFICACION"),
        (b"\xff\xfe<\x00a\x00/\x00>\x00", "XML_CODIFICACION"),
        (b'<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>', "XML_DTD_PROHIBIDO"),
        (b'<!DOCTYPE a SYSTEM "http://example.invalid/a.dtd"><a/>', "XML_DTD_PROHIBIDO"),
        (b"<a>" + b"x" * 100 + b"</a>", "XML_DEMASIADO_GRANDE"),
    ],
)
def test_rejects_with_code(data, code):
    with pytest.raises(XmlReadError) as exc:
        read_xml(data, max_bytes=64)
    assert exc.value.finding_code == code
    assert exc.value.mensaje


def test_billion_laughs_is_refused_without_expansion():
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
        + b"".join(
            f'<!ENTITY a{i} "{("&a" + str(i - 1) + ";") * 10 if i else "&a;" * 10}">'.encode()
            for i in range(10)
        )
        + b"]><l>&a9;</l>"
    )
    with pytest.raises(XmlReadError) as exc:
        read_xml(bomb)
    assert exc.value.finding_code == "XML_DTD_PROHIBIDO"
