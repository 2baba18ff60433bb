"""Remote HTML descriptions as Markdown, with nothing active left.

Partner portals (Opendatasoft in particular) publish descriptions as HTML.
CKAN renders ``notes`` as Markdown, so the HTML is converted: paragraphs,
line breaks, headings, lists, emphasis, links (http, https and mailto only)
and code survive; every other tag is dropped with its attributes, and the
content of ``script``, ``style`` and the like is dropped entirely. Text that
contains no tag is returned as it is (already Markdown or plain text), with
any stray markup characters left to CKAN's own Markdown sanitiser.
"""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

# a tag name must end with a space, "/" or ">": Markdown autolinks
# (<https://…>, <someone@example.org>) are not tags
_TAG = re.compile(r"<\s*/?\s*[a-zA-Z][a-zA-Z0-9]*(?:[\s/][^<>]*)?>")
_DANGEROUS = re.compile(
    r"<\s*(script|style|iframe|object|embed|template|noscript|svg)\b[^>]*>.*?"
    r"<\s*/\s*\1\s*>|<\s*(script|style|iframe|object|embed|template|noscript|svg)"
    r"\b[^>]*/?>",
    re.IGNORECASE | re.DOTALL,
)
_EVENT_ATTR = re.compile(
    r"\s+on[a-z]+\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>]+)", re.IGNORECASE
)
_JS_URL = re.compile(
    r"(href|src)\s*=\s*([\"']?)\s*javascript:[^\"'\s>]*\2", re.IGNORECASE
)
_DROP = {"script", "style", "iframe", "object", "embed", "template", "noscript", "svg"}
_BLOCK = {
    "p",
    "div",
    "section",
    "article",
    "header",
    "footer",
    "table",
    "tr",
    "blockquote",
}
_SAFE_LINK = re.compile(r"^(https?:|mailto:)", re.I)
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>])")


def looks_like_html(text: str) -> bool:
    return bool(_TAG.search(text))


class _Converter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0
        self.lists: list[list[int | str]] = []  # [kind, counter]
        self.links: list[str | None] = []
        self.pre = 0

    def _nl(self, n: int = 2) -> None:
        text = "".join(self.out)
        stripped = text.rstrip(" ")
        have = len(stripped) - len(stripped.rstrip("\n"))
        if stripped and have < n:
            self.out.append("\n" * (n - have))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROP:
            self.skip += 1
            return
        if self.skip:
            return
        if tag in _BLOCK:
            self._nl()
        elif tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self._nl()
            self.out.append("#" * int(tag[1]) + " ")
        elif tag == "br":
            self.out.append("  \n")
        elif tag in ("ul", "ol"):
            self._nl(2 if not self.lists else 1)
            self.lists.append([tag, 0])
        elif tag == "li":
            self._nl(1)
            depth = max(len(self.lists) - 1, 0)
            if self.lists and self.lists[-1][0] == "ol":
                self.lists[-1][1] = int(self.lists[-1][1]) + 1
                bullet = f"{self.lists[-1][1]}. "
            else:
                bullet = "- "
            self.out.append("  " * depth + bullet)
        elif tag in ("strong", "b"):
            self.out.append("**")
        elif tag in ("em", "i"):
            self.out.append("*")
        elif tag == "code" and not self.pre:
            self.out.append("`")
        elif tag == "pre":
            self._nl()
            self.out.append("```\n")
            self.pre += 1
        elif tag == "a":
            href = dict(attrs).get("href") or ""
            if _SAFE_LINK.match(href.strip()):
                self.links.append(href.strip())
                self.out.append("[")
            else:
                self.links.append(None)
        elif tag in ("td", "th"):
            self.out.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROP:
            self.skip = max(self.skip - 1, 0)
            return
        if self.skip:
            return
        if tag in _BLOCK or tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self._nl()
        elif tag in ("ul", "ol"):
            if self.lists:
                self.lists.pop()
            self._nl(2 if not self.lists else 1)
        elif tag in ("strong", "b"):
            self.out.append("**")
        elif tag in ("em", "i"):
            self.out.append("*")
        elif tag == "code" and not self.pre:
            self.out.append("`")
        elif tag == "pre":
            self.pre = max(self.pre - 1, 0)
            self.out.append("\n```")
            self._nl()
        elif tag == "a" and self.links:
            href = self.links.pop()
            if href:
                self.out.append(f"]({href.replace(')', '%29').replace(' ', '%20')})")

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self.pre:
            self.out.append(data)
            return
        text = re.sub(r"\s+", " ", data)
        if self.out and "".join(self.out[-1:]).endswith("\n"):
            text = text.lstrip()
        self.out.append(_MD_SPECIAL.sub(r"\\\1", text))


def clean_markdown(text: str) -> str:
    """Markdown from a partner, with nothing active left in its inline HTML.

    CKAN's renderer sanitises HTML again on display; API users get the text
    as stored, so scripts, frames, event handlers and ``javascript:`` links
    are removed here.
    """
    if not text:
        return ""
    text = _DANGEROUS.sub("", text)
    text = _EVENT_ATTR.sub("", text)
    text = _JS_URL.sub(r'\1=""', text)
    return text.strip()


def to_markdown(text: str) -> str:
    """``text`` as Markdown: converted if it is HTML, as it is otherwise."""
    if not text:
        return ""
    if not looks_like_html(text):
        return unescape(text).strip() if "&" in text else text.strip()
    conv = _Converter()
    conv.feed(text)
    conv.close()
    md = "".join(conv.out)
    md = re.sub(
        r"[ \t]+\n", lambda m: "  \n" if m.group(0).startswith("  ") else "\n", md
    )
    md = re.sub(r"\n{3,}", "\n\n", md)
    return md.strip()
