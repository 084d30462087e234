"""Rendering emails from the Jinja2 templates in ``notifications/templates``.

One folder per language holds, per kind of email, ``<kind>.txt`` (the plain-text part; its
``subject`` block is the subject line) and ``<kind>.html``; ``_labels.txt`` names things (meter
registers, document types) in that language and is handed to every template as ``labels``.
HTML is autoescaped, plain text is not; an unknown variable is an error, never an empty gap.
The HTML layout's one ``<style>`` block is inlined into each element's ``style`` attribute,
since many mail clients ignore or strip a stylesheet in the head.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from css_inline import CSSInliner
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from notifications.domain.delivery import EmailKind
from notifications.domain.locale import LANGUAGES
from portal_schemas.types import Language


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


class EmailTemplates:
    def __init__(self) -> None:
        self._env = Environment(
            loader=PackageLoader("notifications", "templates"),
            autoescape=select_autoescape(enabled_extensions=("html",), default=False),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            auto_reload=False,
        )
        # Everything the email needs is in the layout: nothing is ever fetched from elsewhere.
        self._inliner = CSSInliner(keep_style_tags=False, load_remote_stylesheets=False)
        self._labels = {
            language: self._env.get_template(f"{language}/_labels.txt").module for language in LANGUAGES
        }

    def render(
        self,
        kind: EmailKind,
        language: Language,
        values: Mapping[str, Any],
        recipient_name: str | None = None,
    ) -> RenderedEmail:
        labels: Any = self._labels[language]  # names set by _labels.txt, unknown to the type checker
        context: dict[str, Any] = {
            **values,
            "language": language,
            "labels": labels,
            # A plain string, so the HTML part escapes the name like any other value.
            "greeting": (
                labels.greeting_named.format(name=recipient_name) if recipient_name else labels.greeting_plain
            ),
        }
        text_template = self._env.get_template(f"{language}/{kind.value}.txt")
        subject_parts = text_template.blocks["subject"](text_template.new_context(context))
        # One line whatever the template's layout: a line break would end the header.
        context["subject"] = " ".join("".join(subject_parts).split())
        text = text_template.render(context)
        html = self._inline_css(self._env.get_template(f"{language}/{kind.value}.html").render(context))
        return RenderedEmail(subject=context["subject"], text=text, html=html)

    def _inline_css(self, html: str) -> str:
        inlined = self._inliner.inline(html)
        # The inliner writes a no-break space (amounts, dates) back as "&nbsp;"; the part is
        # UTF-8, so the character itself reads the same and matches the plain-text part.
        return inlined.replace("&nbsp;", "\u00a0")
