"""A CH filing-history item in the words an accountant reads.

`"accounts-with-accounts-type-micro-entity"` with `{"made_up_date": "2023-03-31"}` becomes
"Micro company accounts made up to 31 March 2023": CH's own texts
(streams/enumerations/filing_history_descriptions.yml) with the `{placeholders}` filled, the
`**bold**` markup dropped and ISO dates written as CH's site writes them.

Like CH's site (ch.gov.uk, transaction_description.html.tx), a text in
`description_values.description` wins over the code's text: that is where `legacy` filings,
annotations and codes CH's own rules could not map carry their words.

Values come from outside: anything may be missing or of another type. Nothing here raises on
bad data and no text is ever empty.
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache

from notifications.content.words import long_date, readable
from streams import enumerations

TITLE_LIMIT = 300
SUB_ITEMS_LIMIT = 10  # resolutions or annotations listed in a body before "and N more"

# A placeholder with the words that lead to it ("made up to {made_up_date}", "of a {company_type}"):
# when the value is missing both go, so the sentence still reads.
_LEADS = "made up to|made on|created on|acquired on|with form|on|to|from|of|for|at|by|dated"
_SLOT = re.compile(rf"(?:,?\s+(?:{_LEADS})(?:\s+a)?)?\s*\{{(?P<name>[^{{}}]*)\}}")
_ISO_DATE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
)
# What is left dangling at the end when the value after it is missing: "made up to", "on", " -".
_DANGLING_END = re.compile(
    r"(?:\s+(?:made up to|made on|on|to|from|of|for|at|by|with|dated|as|and)|\s*[-,;:])\s*$", re.IGNORECASE
)


@cache
def _descriptions() -> dict[str, str]:
    """The `description` section of CH's file, code -> text. Loaded once, on first use."""
    section = enumerations.load(enumerations.FILING_DESCRIPTIONS).get("description") or {}
    return {str(code): text for code, text in section.items() if isinstance(text, str)}


def format_date(value: object) -> str | None:
    """An ISO date or datetime as CH's site writes it ("31 March 2023"); None if it is not one."""
    if not isinstance(value, str):
        return None
    match = _ISO_DATE.fullmatch(value.strip())
    if not match:
        return None
    try:
        day = date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None
    return long_date(day)


def _value_text(value: object) -> str:
    """A value as the reader sees it; "" for a missing one or one of a type that has no words."""
    if isinstance(value, bool):
        return ""
    if isinstance(value, int | float):
        return str(value)
    if not isinstance(value, str):
        return ""
    text = " ".join(value.split())
    return format_date(text) or text


def _tidy(text: str) -> str:
    text = " ".join(text.split())
    return re.sub(r"\s+([,.;:])", r"\1", text)


def _trim_dangling_end(text: str) -> str:
    """After a dropped value: remove what now leads nowhere at the very end, keeping a final "."."""
    stop = "." if text.endswith(".") else ""
    text = text.removesuffix(".")
    while True:
        trimmed = _DANGLING_END.sub("", text)
        if trimmed == text:
            break
        text = trimmed
    return text + stop if text else ""


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _fallback(code: str | None, form_type: str | None) -> str:
    text = readable(code) if code else ""
    text = " ".join(text.split()) or "Filing"
    return f"{text} (form {form_type})" if form_type else text


def _clean_str(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    return " ".join(value.split()) or None


def render_description(code: str | None, values: dict | None, *, form_type: str | None = None) -> str:
    """CH's text for a filing description code with its `{placeholders}` filled from `values`.

    - `values["description"]` (a non-empty string) is the text itself, first letter capitalised:
      how `legacy` filings and annotations carry their words.
    - `**bold**` markup is removed; ISO dates read "31 March 2023"; other strings are stripped,
      numbers written as they are. A value of another type (a list, a dict, a bool) counts as
      missing.
    - A missing value drops its placeholder together with the words that lead to it ("made up to",
      "on", "from", "of a", ", created on"...); then whatever is left dangling at the very end
      (" on", " to", " -", a ",") goes too. Other words in the middle stay as they are.
    - A trailing ":" (CH's texts that a list of capital figures follows) is dropped.
    - An unknown or missing code, or a text that comes out empty: the code made readable
      ("some-new-thing" -> "Some new thing"), or "Filing", plus " (form XY01)" when a form is given.
    """
    code = _clean_str(code)
    form_type = _clean_str(form_type)
    values = values if isinstance(values, dict) else {}
    own_words = _clean_str(values.get("description"))
    if own_words:
        return _capitalised(own_words)
    template = _descriptions().get(code) if code else None
    if template is None:
        return _fallback(code, form_type)
    dropped = False

    def fill(match: re.Match) -> str:
        nonlocal dropped
        name = match["name"].strip()
        text = _value_text(values.get(name, values.get(name.replace(" ", "_"))))
        if not text:
            dropped = True
            return ""
        return match[0][: match[0].rindex("{")] + text

    text = _tidy(_SLOT.sub(fill, template.replace("**", "")))
    if dropped:
        text = _trim_dangling_end(text)
    text = text.removesuffix(":").rstrip()
    return text or _fallback(code, form_type)


def filing_title(data: dict) -> str:
    """The rendered description of a filing-history item, at most TITLE_LIMIT characters."""
    data = data if isinstance(data, dict) else {}
    title = render_description(
        data.get("description"), data.get("description_values"), form_type=data.get("type")
    )
    if len(title) > TITLE_LIMIT:
        title = title[: TITLE_LIMIT - 1].rstrip() + "…"
    return title


def _capital_line(values: object) -> str | None:
    """CH's statement of capital (`description_values.capital`): "Capital: GBP 1,250.00"."""
    capital = values.get("capital") if isinstance(values, dict) else None
    if not isinstance(capital, list):
        return None
    figures = []
    for item in capital:
        if not isinstance(item, dict):
            continue
        figure = " ".join(
            t for t in (_value_text(item.get("currency")), _value_text(item.get("figure"))) if t
        )
        if figure:
            on = format_date(item.get("date"))
            figures.append(f"{figure} on {on}" if on else figure)
    return "Capital: " + "; ".join(figures) if figures else None


def _sub_item_lines(items: object, label: str, plural: str) -> list[str]:
    if not isinstance(items, list):
        return []
    items = [item for item in items if isinstance(item, dict)]
    lines = [
        f"{label}: "
        + render_description(
            item.get("description"), item.get("description_values"), form_type=item.get("type")
        )
        for item in items[:SUB_ITEMS_LIMIT]
    ]
    if len(items) > SUB_ITEMS_LIMIT:
        lines.append(f"… and {len(items) - SUB_ITEMS_LIMIT} more {plural}")
    return lines


def filing_body(data: dict) -> str:
    """Short plain lines for the detail of a filing-history item, "\\n"-joined ("" if nothing known).

    "Form AA, filed on 14 March 2025"; "The document is available on Companies House." once
    `links.document_metadata` is there; "Capital: GBP 1,250.00" for a statement of capital; one
    line per resolution and per annotation, rendered like the title.
    """
    data = data if isinstance(data, dict) else {}
    form_type = _clean_str(data.get("type"))
    filed_on = format_date(data.get("date"))
    lines = []
    if form_type and filed_on:
        lines.append(f"Form {form_type}, filed on {filed_on}")
    elif form_type:
        lines.append(f"Form {form_type}")
    elif filed_on:
        lines.append(f"Filed on {filed_on}")
    links = data.get("links")
    if isinstance(links, dict) and links.get("document_metadata"):
        lines.append("The document is available on Companies House.")
    capital = _capital_line(data.get("description_values"))
    if capital:
        lines.append(capital)
    lines += _sub_item_lines(data.get("resolutions"), "Resolution", "resolutions")
    lines += _sub_item_lines(data.get("annotations"), "Annotation", "annotations")
    return "\n".join(lines)
