"""A griffe extension for the API reference: docstring examples as code, names as links.

facemotion's docstrings hold plain doctest examples (``>>> ...`` lines, run by pytest's
``--doctest-modules``). Markdown reads ``>>>`` as three nested blockquotes, so before
mkdocstrings renders a docstring this extension

- fences each doctest block (a ``>>>`` line up to the next blank line) as ``pycon`` code,
  without its ``# doctest: +SKIP``-style directives, which are for pytest, not readers;
- gives attributes documented by ``#:`` comments above them (the code base's convention)
  those comments as docstrings;
- links a code span that names a facemotion object (``facemotion.EmotionClassifier``,
  ``analyze_group``, ``EmotionClassifier.predict()``; a bare name only when it is a class or
  a function) to that object's entry, when the API page has one (an optional autorefs
  reference: no link and no warning otherwise).

mkdocs.yml loads it with ``extensions: [docs/_ext/griffe_doctests.py]``.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path
from typing import Any

import griffe

_DIRECTIVE = re.compile(r"\s*#\s*doctest:.*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_CODE_SPAN = re.compile(r"(?<!`)(`{1,2})(?P<name>[A-Za-z_][\w.]*)(?:\(\))?\1(?!`)")


def fence_doctests(text: str) -> str:
    """Wrap each doctest block of ``text`` in a ``pycon`` fence, dropping doctest directives.

    >>> fence_doctests("Sum:\\n>>> 1 + 1  # doctest: +SKIP\\n2\\n\\nDone.").splitlines()
    ['Sum:', '```pycon', '>>> 1 + 1', '2', '```', '', 'Done.']
    """
    out: list[str] = []
    in_fence = in_doctest = False
    indent = ""
    for line in text.split("\n"):
        stripped = line.lstrip()
        if in_doctest and not stripped:
            out.append(f"{indent}```")
            in_doctest = False
        elif not in_doctest and _FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence and not in_doctest and stripped.startswith(">>>"):
            indent = line[: len(line) - len(stripped)]
            out.append(f"{indent}```pycon")
            in_doctest = True
        if in_doctest and stripped.startswith((">>>", "...")):
            line = _DIRECTIVE.sub("", line)
        out.append(line)
    if in_doctest:
        out.append(f"{indent}```")
    return "\n".join(out)


def _outside_code(text: str, change: Any) -> str:
    """Apply ``change`` to the lines of ``text`` that are not inside a fenced code block."""
    out: list[str] = []
    in_fence = False
    for line in text.split("\n"):
        if _FENCE.match(line):
            in_fence = not in_fence
            out.append(line)
        else:
            out.append(line if in_fence else change(line))
    return "\n".join(out)


def _target(obj: griffe.Object, name: str) -> str | None:
    """The canonical path of the facemotion object that ``name`` means where ``obj`` is documented, if any."""
    first, dot, rest = name.partition(".")
    candidates = [name]
    with contextlib.suppress(griffe.NameResolutionError):
        candidates.insert(0, obj.resolve(first) + dot + rest)
    for candidate in candidates:
        try:
            found = obj.modules_collection[candidate]
            path, kind = str(found.canonical_path), found.kind
        except (KeyError, ValueError, griffe.AliasResolutionError, griffe.CyclicAliasError):
            continue
        if not dot and kind not in (griffe.Kind.CLASS, griffe.Kind.FUNCTION):
            continue  # a bare `report` or `name` is more often a word or an argument than the module or attribute
        if path.startswith("facemotion."):
            return path
    return None


def link_names(obj: griffe.Object, text: str) -> str:
    """Turn code spans naming facemotion objects into optional autorefs links."""

    def link(match: re.Match[str]) -> str:
        path = _target(obj, match["name"])
        if path is None:
            return match[0]
        return f'<autoref identifier="{path}" optional>{match[0]}</autoref>'

    return _outside_code(text, lambda line: _CODE_SPAN.sub(link, line))


def comment_doc(lines: list[str], lineno: int) -> str | None:
    """The ``#:`` comment lines right above line ``lineno`` (1-based), Sphinx's attribute docs, as text.

    >>> comment_doc(["#: Largest side,", "#: in pixels.", "MAX = 9"], 3)
    'Largest side,\\nin pixels.'
    """
    found: list[str] = []
    for line in reversed(lines[: lineno - 1]):
        if not line.lstrip().startswith("#:"):
            break
        found.insert(0, line.lstrip()[2:].strip())
    return "\n".join(found) or None


class DoctestBlocks(griffe.Extension):
    """Fence doctest examples and link facemotion names in every docstring (see the module's docs).

    Attributes documented the Sphinx way, by ``#:`` comments above them, get those as docstrings.
    """

    def on_object(self, *, obj: griffe.Object, loader: griffe.GriffeLoader, **kwargs: Any) -> None:
        if obj.docstring is None and obj.is_attribute and obj.lineno and isinstance(obj.filepath, Path):
            text = comment_doc(obj.filepath.read_text().splitlines(), obj.lineno)
            if text:
                obj.docstring = griffe.Docstring(
                    text,
                    lineno=obj.lineno,
                    parent=obj,
                    parser=loader.docstring_parser,
                    parser_options=loader.docstring_options,
                )
        if obj.docstring is not None:
            obj.docstring.value = link_names(obj, fence_doctests(obj.docstring.value))
