"""HTML from callers (descriptions), reduced to harmless formatting before it is stored."""

from __future__ import annotations

import nh3

# Ordinary rich-text formatting, plus Kanbert's `<mention data-id="…">` elements that editors
# use to name users. Anything else (scripts, styles, forms, iframes) is dropped.
_TAGS = {
    "a", "b", "blockquote", "br", "code", "del", "div", "em", "h1", "h2", "h3", "h4", "h5",
    "h6", "hr", "i", "li", "mention", "ol", "p", "pre", "s", "span", "strong", "sub", "sup",
    "table", "tbody", "td", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
_ATTRIBUTES = {
    "a": {"href", "title"},
    "mention": {"data-id"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}
# `javascript:` and `data:` links are removed; only these schemes survive in `href`.
_URL_SCHEMES = {"http", "https", "mailto"}


def sanitize_html(text: str | None) -> str | None:
    """The HTML without scripts, event handlers (`onerror=` …) or script URLs."""
    if text is None:
        return None
    return nh3.clean(
        text,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener noreferrer",
    )
