"""Character sets of the Zengin 総合振込 file (JIS X 0201, single byte only).

The file format owns these rules; the kana normaliser and the file writer/reader both use them.
See docs/reference/zengin.md "Characters".
"""

# ｱ–ﾝ without ｦ (U+FF66) and without the small kana ｧ–ｯ (U+FF67–FF6F) and ｰ (U+FF70).
_KATAKANA = frozenset(chr(c) for c in range(0xFF71, 0xFF9E))  # ｱ (FF71) … ﾝ (FF9D)
_MARKS = frozenset("ﾞﾟ")
_UPPER = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_DIGITS = frozenset("0123456789")

#: 振込依頼人名, 受取人名
NAME_CHARS: frozenset[str] = _KATAKANA | _MARKS | _UPPER | _DIGITS | frozenset(" ()-.")
#: bank and branch names
BANK_NAME_CHARS: frozenset[str] = _KATAKANA | _MARKS | _UPPER | _DIGITS | frozenset("-")
#: EDI情報 (never a comma)
EDI_CHARS: frozenset[str] = NAME_CHARS | frozenset("ｦ\\｢｣/")

#: Codec of the file: half-width kana as single bytes 0xA1–0xDF.
ENCODING = "cp932"
