"""A usage export's bytes as text (chalicelib/usage/parser.py and engine.py read through these): is it text
at all, which encoding to try (UTF-8 with or without BOM, else CP932), where decoding breaks. Pure."""

from __future__ import annotations

import codecs
import io

from chalicelib.usage.export import NotAnExport

_UTF8_BOM = codecs.BOM_UTF8
_LF = b"\n"
SNIFF_BYTES = 64 * 1024


def check_is_text(data: bytes) -> None:
    if not isinstance(data, bytes | bytearray):
        raise TypeError(f"data must be bytes, got {type(data).__name__}")
    if not data:
        raise NotAnExport("ファイルが空です。利用実績のCSVを選んでください。")
    if data.startswith(b"PK\x03\x04"):
        raise NotAnExport("Excel (xlsx) などの圧縮ファイルのようです。CSV 形式で保存したファイルをアップロードしてください。")
    # A NUL byte never occurs in CSV text, in either encoding; it marks an image, a PDF, a zip...
    if b"\x00" in data:
        raise NotAnExport("CSV ではなくバイナリファイル（画像など）のようです。利用実績のCSVをアップロードしてください。")


def encodings_to_try(data: bytes) -> tuple[str, ...]:
    if data.startswith(_UTF8_BOM):
        return ("utf-8-sig",)  # the BOM settles it
    try:
        # The header is Japanese in either encoding, so the first bytes almost always decide; a CP932
        # file that happens to start like valid UTF-8 is caught later and read again as CP932.
        codecs.getincrementaldecoder("utf-8")().decode(data[:SNIFF_BYTES], final=False)
    except UnicodeDecodeError:
        return ("cp932",)
    return ("utf-8", "cp932")


def undecodable(data: bytes, encodings: tuple[str, ...]) -> NotAnExport:
    # The line where decoding breaks, in whichever encoding read further: that one is the file's.
    reached = []
    for encoding in ("utf-8", "cp932") if encodings != ("utf-8-sig",) else ("utf-8",):
        try:
            data.decode(encoding)
        except UnicodeDecodeError as exc:
            reached.append(exc.start)
    where = f"（{data.count(_LF, 0, max(reached)) + 1} 行目）" if reached else ""
    if encodings == ("utf-8-sig",):
        return NotAnExport(f"UTF-8 (BOM 付き) のファイルとして読めない文字があります{where}。ファイルが壊れていないか確認してください。")
    return NotAnExport(
        f"文字コードを判別できません。UTF-8 でも Shift_JIS (CP932) でもない文字があります{where}。"
        "利用実績のCSVをそのままアップロードしてください。"
    )


def decode_export(data: bytes) -> str:
    """The export as text: UTF-8 with or without BOM, else CP932; line ends normalised to ``\\n``.

    Raises ``NotAnExport`` for an empty, binary or undecodable file.
    """
    check_is_text(data)
    encodings = encodings_to_try(data)
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return text.replace("\r\n", "\n")
    raise undecodable(data, encodings)


def text_stream(data: bytes, encoding: str) -> io.TextIOWrapper:
    """The export decoded as a stream (a decoded million-row str would be ~150 MB: kanji take 2 bytes)."""
    return io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")
