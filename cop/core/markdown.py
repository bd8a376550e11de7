"""Markdown to safe HTML: Python-Markdown, then nh3 with an explicit allowlist.

Render once at write time and store the result (Discourse's "cooked" posts).
"""

from __future__ import annotations

import markdown as md
import markdown.extensions
import nh3

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "dd",
    "del",
    "dl",
    "dt",
    "em",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
    "span",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "td": {"align"},
    "th": {"align", "scope"},
    "span": {"class"},
    "code": {"class"},
    "ol": {"start"},
}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}
EXTENSIONS = ["fenced_code", "tables", "sane_lists", "nl2br"]
# Column alignment as the `align` attribute: a `style` attribute would be stripped (CSP, nh3).
EXTENSION_CONFIGS = {"tables": {"use_align_attribute": True}}


def render_markdown(text: str | None) -> str:
    """Render user markdown to sanitised HTML. Raw HTML in the input is escaped, never kept."""
    if not text:
        return ""
    converter = md.Markdown(
        extensions=[*EXTENSIONS, _EscapeHtml()],
        extension_configs=EXTENSION_CONFIGS,
        output_format="html",
    )
    return sanitise_html(converter.convert(text))


def sanitise_html(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="nofollow noopener noreferrer",
        strip_comments=True,
    )


class _EscapeHtml(md.extensions.Extension):
    """Raw HTML in user text is shown as text, not passed through (nh3 is the second guard)."""

    def extendMarkdown(self, m):  # noqa: N802 - Python-Markdown's API name
        m.preprocessors.deregister("html_block")
        m.inlinePatterns.deregister("html")
