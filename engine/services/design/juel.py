"""The common subset of Camunda 7 / Flowable JUEL, translated into the sandbox's Python expressions.

Supported: ``${...}`` around one expression; comparisons (``== != < > <= >=`` and ``eq ne lt gt le
ge``); ``&&``/``and``, ``||``/``or``, ``!``/``not``; ``empty x`` (true when missing value or empty);
property access ``a.b`` (a case data object's key: ``a['b']``); string, number, boolean and null
literals; parentheses. Anything else (method calls, ``execution``, ternaries, arithmetic on beans,
``#{...}``) is refused naming the expression, so nothing is half-translated.
"""

from __future__ import annotations

import re

from engine.errors import EngineError

_TOKEN = re.compile(r"""\s*(?:
    (?P<number>\d+(?:\.\d+)?)
  | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<op>==|!=|<=|>=|&&|\|\||[<>!().\[\]+\-*/%?:,])
  | (?P<name>[A-Za-z_\u4e00-\u9fff][A-Za-z0-9_\u4e00-\u9fff]*)
)""", re.VERBOSE)

_WORD_OPS = {"eq": "==", "ne": "!=", "lt": "<", "gt": ">", "le": "<=", "ge": ">=", "and": "and", "or": "or",
             "not": "not"}
_LITERALS = {"true": "True", "false": "False", "null": "None"}
_REFUSED_NAMES = {"execution", "task", "authenticatedUserId", "dateTime", "now"}


class Untranslatable(EngineError):
    """A JUEL expression outside the supported subset."""


def is_juel(text: str) -> bool:
    return "${" in text or "#{" in text


def _tokens(body: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    pos = 0
    while pos < len(body):
        if body[pos:].strip() == "":
            break
        match = _TOKEN.match(body, pos)
        if match is None:
            raise Untranslatable(f"无法识别“{body[pos:pos + 10]}”")
        kind = match.lastgroup or ""
        found.append((kind, match.group(kind)))
        pos = match.end()
    return found


def juel_to_python(text: str) -> str:
    """``${amount > 1000 && !empty applicant.name}`` → ``amount > 1000 and not (not applicant['name'])``.

    :raise Untranslatable: naming what is outside the subset.
    """
    text = text.strip()
    if text.startswith("#{"):
        raise Untranslatable("#{...} 延迟求值表达式不受支持")
    if not (text.startswith("${") and text.endswith("}")) or text.count("${") != 1:
        raise Untranslatable("只支持整段 ${...} 表达式")
    tokens = _tokens(text[2:-1])
    if not tokens:
        raise Untranslatable("表达式为空")
    out: list[str] = []
    i = 0
    while i < len(tokens):
        kind, value = tokens[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ("", "")
        if kind == "name":
            if value in _WORD_OPS:
                out.append(_WORD_OPS[value])
            elif value in _LITERALS:
                out.append(_LITERALS[value])
            elif value == "empty":
                # ``empty x`` binds to the following operand (a name with its properties, or a group).
                operand, i = _operand(tokens, i + 1)
                out.append(f"(not {operand})")
                continue
            elif value in _REFUSED_NAMES:
                raise Untranslatable(f"“{value}” 是 Camunda 引擎对象，本系统没有")
            elif nxt == ("op", "("):
                raise Untranslatable(f"不支持函数或方法调用“{value}(...)”")
            else:
                operand, i = _operand(tokens, i)
                out.append(operand)
                continue
        elif kind in ("number", "string"):
            out.append(value)
        elif value in ("&&", "||", "!"):
            out.append({"&&": "and", "||": "or", "!": "not"}[value])
        elif value in ("==", "!=", "<", ">", "<=", ">=", "(", ")"):
            out.append(value)
        elif value in ("?", ":"):
            raise Untranslatable("不支持条件运算符 ?:")
        else:
            raise Untranslatable(f"不支持运算符“{value}”")
        i += 1
    return " ".join(out).replace("( ", "(").replace(" )", ")")


def _operand(tokens: list[tuple[str, str]], i: int) -> tuple[str, int]:
    """A name with its ``.property`` chain (``a['b']``), or a parenthesised group; returns the next index."""
    kind, value = tokens[i] if i < len(tokens) else ("", "")
    if kind != "name" or value in _WORD_OPS or value in _LITERALS or value == "empty":
        raise Untranslatable("empty 后应跟变量名")
    if value in _REFUSED_NAMES:
        raise Untranslatable(f"“{value}” 是 Camunda 引擎对象，本系统没有")
    result = value
    i += 1
    while i + 1 < len(tokens) and tokens[i] == ("op", "."):
        prop_kind, prop = tokens[i + 1]
        if prop_kind != "name":
            raise Untranslatable("属性名无效")
        if i + 2 < len(tokens) and tokens[i + 2] == ("op", "("):
            raise Untranslatable(f"不支持方法调用“{prop}(...)”")
        result += f"[{prop!r}]"
        i += 2
    return result, i
