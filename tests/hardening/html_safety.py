"""Is a page's HTML free of anything executable? Parsed the way a browser does (html5lib).

What counts as executable or dangerous here: a <script> that is not one of the app's own
files under /static/, any on* attribute, a javascript:/vbscript:/data: URL (after the
browser's own decoding of entities and stripping of whitespace and control characters) in an
attribute that loads or navigates, <iframe>/<frame>/<object>/<embed>/<base>/<style>, a
meta refresh, a style attribute, and SVG/MathML carrying any of these.
"""

from __future__ import annotations

import re
import unicodedata

import html5lib

URL_ATTRIBUTES = {
    "href",
    "src",
    "action",
    "formaction",
    "xlink:href",
    "data",
    "poster",
    "background",
    "srcset",
    "ping",
    "cite",
    "longdesc",
    "lowsrc",
    "dynsrc",
    "codebase",
    "manifest",
    "icon",
    "to",
    "values",
    "from",
    "by",
}
FORBIDDEN_TAGS = {
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "base",
    "style",
    "applet",
    "foreignobject",
    "portal",
    "noembed",
    "isindex",
    "animate",
    "set",
    "handler",
    "listener",
}
BAD_SCHEMES = ("javascript:", "vbscript:", "livescript:", "data:")
# Attributes that contain script in some browsers even without a URL.
SCRIPT_ATTRIBUTES = {"srcdoc", "style", "formaction"}
_CONTROL = re.compile(r"[\x00-\x20\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]+")
_SPACE = re.compile(r"\s+")
_TAB_NEWLINE = re.compile(r"[\t\n\r]")


# Characters services drop on purpose (control, format, private use, surrogate, unassigned).
_DROPPED = {"Cc", "Cf", "Co", "Cs", "Cn"}


def _local(name: str) -> str:
    """html5lib names are '{namespace}local'; attributes of foreign content likewise."""
    return name.rsplit("}", 1)[-1].lower()


def _attr_name(name) -> str:
    if isinstance(name, tuple):  # (namespace, local) for xlink:href and friends
        return f"xlink:{name[1]}" if name[1] == "href" else name[1]
    name = str(name)
    if name.startswith("{http://www.w3.org/1999/xlink}"):
        return "xlink:" + _local(name)
    return _local(name)


def bad_url(value: str) -> bool:
    """What the browser's URL parser would take as a script/data URL: it trims C0 controls
    and spaces at both ends and drops every tab and newline (WHATWG URL, "basic URL
    parser"); the scheme is then case-insensitive. Character references are already
    decoded by the HTML parser."""
    url = _TAB_NEWLINE.sub("", value.strip("".join(map(chr, range(0x21))))).lower()
    return url.startswith(BAD_SCHEMES)


def parse(html: str):
    return html5lib.parse(html, treebuilder="etree", namespaceHTMLElements=False)


def problems(html: str, *, own_static: str = "/static/", tree=None) -> list[str]:
    """Everything in the page that could run script or restyle it; [] when the page is safe."""
    found: list[str] = []
    for element in (tree if tree is not None else parse(html)).iter():
        if not isinstance(element.tag, str):
            continue  # comments
        tag = _local(element.tag)
        attrs = {_attr_name(k): v for k, v in element.attrib.items()}
        where = f"<{tag} {' '.join(f'{k}={v[:60]!r}' for k, v in attrs.items())}>"
        if tag == "script":
            src = attrs.get("src", "")
            if not src.startswith(own_static) or (element.text or "").strip():
                found.append(f"script element: {where} {(element.text or '')[:80]!r}")
        if tag in FORBIDDEN_TAGS:
            found.append(f"forbidden element: {where}")
        if tag == "meta" and attrs.get("http-equiv", "").lower() == "refresh":
            found.append(f"meta refresh: {where}")
        if tag == "link" and attrs.get("rel", "").lower() not in {
            "stylesheet",
            "icon",
            "preload",
            "manifest",
        }:
            found.append(f"unexpected link: {where}")
        for name, value in attrs.items():
            if name.startswith("on"):
                found.append(f"event handler {name}: {where}")
            elif name in SCRIPT_ATTRIBUTES:
                found.append(f"{name} attribute: {where}")
            elif name in URL_ATTRIBUTES and bad_url(value):
                found.append(f"{name} with a script/data URL: {where}")
    return found


def text_of(html: str, tree=None) -> str:
    """The page's text content (what a reader sees) as a skeleton (see `skeleton`)."""
    root = tree if tree is not None else parse(html)
    for element in root.iter():  # (changes the tree: check problems() first)
        if isinstance(element.tag, str) and _local(element.tag) in {"script", "template"}:
            element.text = ""
    return skeleton("".join(root.itertext()))


def skeleton(text: str) -> str:
    """Text without any whitespace, control or zero-width character: services may trim,
    collapse or drop those, so round-trips compare what is left, in order."""
    text = _CONTROL.sub("", _SPACE.sub("", text))
    return "".join(ch for ch in text if unicodedata.category(ch) not in _DROPPED)
