"""Hand-written tokenizer for the rule language.

Literals are read exactly: numbers become ``int`` or ``Fraction``, never ``float``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import Enum
from fractions import Fraction

from .errors import LangSyntaxError, Source, Span
from .symbols import Type


class Tok(Enum):
    NUMBER = "number"  # value: int | Fraction, literal_type: INTEGER/DECIMAL/MONEY
    DATE = "date"
    IDENT = "identifier"
    KEYWORD = "keyword"
    OP = "operator"
    LPAREN = "("
    RPAREN = ")"
    COMMA = ","
    DOT = "."
    ASSIGN = "="
    STRING = "string"
    EOF = "end"


KEYWORDS = frozenset({"if", "then", "else", "and", "or", "not", "true", "false"})

# Money units after a number. Longest first.
MONEY_UNITS = (("亿元", 100_000_000), ("万元", 10_000), ("元", 1))

# Operators, longest first; the typographic forms staff copy from the policy text are accepted.
OPERATORS = {
    "==": "==",
    "!=": "!=",
    "<=": "<=",
    ">=": ">=",
    "≠": "!=",
    "≤": "<=",
    "≥": ">=",
    "<": "<",
    ">": ">",
    "+": "+",
    "-": "-",
    "−": "-",
    "*": "*",
    "×": "*",
    "/": "/",
    "÷": "/",
}

# Full-width punctuation that slips in when typing Chinese: say what was meant.
FULLWIDTH_HINTS = {
    "（": "(",
    "）": ")",
    "，": ",",
    "＝": "=",
    "＋": "+",
    "－": "-",
    "＊": "*",
    "／": "/",
    "％": "%",
    "＜": "<",
    "＞": ">",
    "．": ".",
    "“": '"',
    "”": '"',
}


@dataclass(frozen=True, slots=True, eq=False)
class Token:
    kind: Tok
    text: str  # normalised text: the operator ("*" for "×"), the identifier, the keyword
    span: Span
    value: object = None
    literal_type: Type | None = None

    def describe(self) -> str:
        if self.kind is Tok.EOF:
            return "表达式结尾"
        return f"'{self.span.text}'"


def _is_ident_start(ch: str) -> bool:
    return ch == "_" or ("a" <= ch <= "z") or ("A" <= ch <= "Z")


def _is_ident_char(ch: str) -> bool:
    return _is_ident_start(ch) or (ch.isdigit() and ch.isascii())


def _is_digit(ch: str) -> bool:
    return "0" <= ch <= "9"


def tokenize(source: Source) -> list[Token]:
    text = source.text
    n = len(text)
    i = 0
    tokens: list[Token] = []

    def span(a: int, b: int) -> Span:
        return Span(source, a, b)

    while i < n:
        ch = text[i]
        if ch in " \t\r\n\u3000":
            i += 1
            continue
        if ch == "#":
            while i < n and text[i] != "\n":
                i += 1
            continue
        start = i
        if _is_digit(ch):
            i, token = _number(source, i)
            tokens.append(token)
            continue
        if _is_ident_start(ch):
            while i < n and _is_ident_char(text[i]):
                i += 1
            word = text[start:i]
            kind = Tok.KEYWORD if word in KEYWORDS else Tok.IDENT
            tokens.append(Token(kind, word, span(start, i)))
            continue
        if ch == '"':
            i += 1
            while i < n and text[i] not in '"\n':
                i += 1
            if i >= n or text[i] != '"':
                raise LangSyntaxError("字符串缺少结尾的双引号 '\"'", span(start, i))
            i += 1
            tokens.append(Token(Tok.STRING, text[start + 1 : i - 1], span(start, i), value=text[start + 1 : i - 1]))
            continue
        two = text[i : i + 2]
        if two in OPERATORS:
            tokens.append(Token(Tok.OP, OPERATORS[two], span(i, i + 2)))
            i += 2
            continue
        if ch in OPERATORS:
            tokens.append(Token(Tok.OP, OPERATORS[ch], span(i, i + 1)))
            i += 1
            continue
        simple = {"(": Tok.LPAREN, ")": Tok.RPAREN, ",": Tok.COMMA, ".": Tok.DOT, "=": Tok.ASSIGN}
        if ch in simple:
            tokens.append(Token(simple[ch], ch, span(i, i + 1)))
            i += 1
            continue
        if ch == "%":
            raise LangSyntaxError("百分号 '%' 只能紧跟在数字后面，例如 70%", span(i, i + 1))
        if ch in FULLWIDTH_HINTS:
            raise LangSyntaxError(
                f"无法识别的字符 '{ch}'：这是中文全角符号，请改用半角的 '{FULLWIDTH_HINTS[ch]}'", span(i, i + 1)
            )
        if text.startswith(("元", "万元", "亿元"), i):
            raise LangSyntaxError(f"金额单位 '{ch}' 必须紧跟在数字后面，例如 50000 元", span(i, i + 1))
        raise LangSyntaxError(f"无法识别的字符 '{ch}'", span(i, i + 1))
    tokens.append(Token(Tok.EOF, "", span(n, n)))
    return tokens


def _number(source: Source, i: int) -> tuple[int, Token]:
    text = source.text
    n = len(text)
    start = i
    # A date: exactly YYYY-MM-DD, not followed by a digit or a letter.
    if (
        i + 10 <= n
        and text[i : i + 4].isdigit()
        and text[i + 4] == "-"
        and text[i + 5 : i + 7].isdigit()
        and text[i + 7] == "-"
        and text[i + 8 : i + 10].isdigit()
        and text[i : i + 10].isascii()
        and not (i + 10 < n and (_is_ident_char(text[i + 10]) or text[i + 10] == "."))
    ):
        literal = text[i : i + 10]
        sp = Span(source, i, i + 10)
        try:
            day = dt.date.fromisoformat(literal)
        except ValueError:
            raise LangSyntaxError(f"日期 {literal} 不存在，请检查年、月、日", sp) from None
        return i + 10, Token(Tok.DATE, literal, sp, value=day, literal_type=Type.DATE)

    digits: list[str] = []

    def read_digits(pos: int) -> int:
        while pos < n and (_is_digit(text[pos]) or text[pos] == "_"):
            if text[pos] == "_" and not (pos + 1 < n and _is_digit(text[pos + 1]) and _is_digit(text[pos - 1])):
                raise LangSyntaxError("数字分隔符 '_' 只能写在两个数字之间，例如 5_000_000", Span(source, pos, pos + 1))
            if text[pos] != "_":
                digits.append(text[pos])
            pos += 1
        return pos

    i = read_digits(i)
    integer_part = "".join(digits)
    digits.clear()
    fraction_part = ""
    if i + 1 < n and text[i] == "." and _is_digit(text[i + 1]):
        i = read_digits(i + 1)
        fraction_part = "".join(digits)
    if i < n and _is_ident_char(text[i]):
        j = i
        while j < n and _is_ident_char(text[j]):
            j += 1
        raise LangSyntaxError(
            f"数字后面不能直接跟字母：'{text[start:j]}'（名称不能以数字开头）", Span(source, start, j)
        )
    value: Fraction = Fraction(int(integer_part + fraction_part), 10 ** len(fraction_part))
    number_end = i
    # "5,000" would silently read as two arguments 5 and 000: refuse thousands separators.
    if (
        i + 4 <= n
        and text[i] == ","
        and text[i + 1 : i + 4].isdigit()
        and text[i + 1 : i + 4].isascii()
        and not (i + 4 < n and (text[i + 4].isdigit() or text[i + 4] == "."))
    ):
        j = i
        while j + 4 <= n and text[j] == "," and text[j + 1 : j + 4].isdigit():
            j += 4
        shown = text[start:j]
        raise LangSyntaxError(
            f"'{shown}' 看起来是用逗号分隔千位的数字：请写成 {shown.replace(',', '_')} 或 {shown.replace(',', '')}"
            "（如果是两个参数，请在逗号后加一个空格）",
            Span(source, start, j),
        )
    # Optional unit, possibly after spaces on the same line.
    j = i
    while j < n and text[j] in " \t\u3000":
        j += 1
    if j < n and text[j] == "%":
        sp = Span(source, start, j + 1)
        return j + 1, Token(Tok.NUMBER, text[start : j + 1], sp, value=value / 100, literal_type=Type.DECIMAL)
    for unit, factor in MONEY_UNITS:
        if text.startswith(unit, j):
            sp = Span(source, start, j + len(unit))
            yuan = value * factor
            if (yuan * 100).denominator != 1:
                raise LangSyntaxError(f"金额 {sp.text} 超出了分的精度：金额最多精确到 0.01 元", sp)
            return j + len(unit), Token(Tok.NUMBER, sp.text, sp, value=yuan, literal_type=Type.MONEY)
    sp = Span(source, start, number_end)
    if fraction_part:
        return number_end, Token(Tok.NUMBER, sp.text, sp, value=value, literal_type=Type.DECIMAL)
    return number_end, Token(Tok.NUMBER, sp.text, sp, value=int(value), literal_type=Type.INTEGER)
