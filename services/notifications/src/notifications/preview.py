"""``python -m notifications preview KIND``: an email rendered from sample data, as the
recipient would get it, without a database, a broker or an event."""

from __future__ import annotations

import argparse
import sys

from jinja2 import TemplateNotFound

from notifications.delivery.templates import EmailTemplates, RenderedEmail
from notifications.domain.delivery import EmailKind
from notifications.domain.locale import DEFAULT_LANGUAGE, LANGUAGES
from notifications.samples import sample_values
from portal_schemas.types import Language

PARTS = ("subject", "text", "html")


def preview_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("kind", nargs="?", choices=[kind.value for kind in EmailKind], metavar="KIND")
    parser.add_argument("--list", action="store_true", help="list the kinds of email and stop")
    parser.add_argument("--language", choices=LANGUAGES, default=DEFAULT_LANGUAGE)
    parser.add_argument(
        "--part", choices=PARTS, help="one part only (default: the subject, then the plain text)"
    )
    parser.add_argument("--name", help="greet the recipient by this name (default: no name known)")


def render_sample(kind: EmailKind, language: Language, name: str | None = None) -> RenderedEmail:
    return EmailTemplates().render(kind, language, sample_values(kind, language), recipient_name=name)


def preview(args: argparse.Namespace) -> int:
    if args.list:
        for kind in EmailKind:
            print(kind.value)
        return 0
    if args.kind is None:
        print("name a kind of email (preview --list shows them)", file=sys.stderr)
        return 2
    try:
        email = render_sample(EmailKind(args.kind), args.language, args.name)
    except TemplateNotFound as exc:
        print(f"no template {exc.name} yet", file=sys.stderr)
        return 1
    if args.part is None:
        _write(f"Subject: {email.subject}\n\n")
        _write(email.text)
    else:
        _write(getattr(email, args.part))
    return 0


def _write(part: str) -> None:
    """A part as rendered, ending in one line break so the shell prompt starts on its own line."""
    sys.stdout.write(part if part.endswith("\n") else part + "\n")
