"""Safe rendering of content: plain text or a tiny Markdown subset, never raw HTML.

Every character of the source is HTML-escaped first; only then are the few constructs we
support turned into tags this module writes itself (<p>, <br>, <strong>, <ul>, <li>). There are
no links, images or attributes, so nothing from content can become a script, an event handler
or a URL. Bidirectional override and embedding characters are removed: they could make a
right-to-left text read differently from what the reviewer approved.
"""

import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# LRE, RLE, PDF, LRO, RLO and the isolates LRI, RLI, FSI, PDI. Authors keep LRM/RLM marks.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
# C0 controls other than tab and newline, DEL and the C1 controls.
_CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_BULLET = re.compile(r"^[-*•]\s+")
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")


def clean_text(text: str) -> str:
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL_CHARS.sub("", _BIDI_CONTROLS.sub("", text))


def _inline(line: str, markdown: bool) -> str:
    escaped = escape(line)
    return _BOLD.sub(r"<strong>\1</strong>", escaped) if markdown else escaped


def render_html(text: str, *, markdown: bool = True) -> SafeString:
    """Paragraphs separated by blank lines; in Markdown, **bold** and lines starting "- " as lists."""
    html = []
    for block in _PARAGRAPH_BREAK.split(clean_text(text).strip()):
        lines = [line.strip() for line in block.split("\n") if line.strip()]
        paragraph = []
        bullets = []
        for line in lines:
            if markdown and _BULLET.match(line):
                if paragraph:
                    html.append("<p>" + "<br>".join(paragraph) + "</p>")
                    paragraph = []
                bullets.append("<li>" + _inline(_BULLET.sub("", line), markdown) + "</li>")
            else:
                if bullets:
                    html.append("<ul>" + "".join(bullets) + "</ul>")
                    bullets = []
                paragraph.append(_inline(line, markdown))
        if paragraph:
            html.append("<p>" + "<br>".join(paragraph) + "</p>")
        if bullets:
            html.append("<ul>" + "".join(bullets) + "</ul>")
    return mark_safe("".join(html))  # noqa: S308 (built only from escaped text and our own tags)


def render_plain(text: str) -> str:
    """The text without Markdown marks, for places that take no HTML (notifications)."""
    lines = []
    for line in clean_text(text).split("\n"):
        line = _BULLET.sub("• ", line.strip())
        lines.append(_BOLD.sub(r"\1", line))
    return "\n".join(lines).strip()
