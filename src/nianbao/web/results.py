"""What receiving files or mail did, a line each, as the page lists it: the words the command line prints
(phrases.py), and for each file why it did not pass and where to go next (the unit's page, its reply); a file
that is no unit's return but whose name names a roster unit (“五峰镇_年报.et”) leads to that unit."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from nianbao.collection.contacts import unit_in_name
from nianbao.collection.workspace import HAS_ERRORS, NOT_RECEIVED, TO_VERIFY, MailReceived, Received
from nianbao.io.roster import Unit
from nianbao.phrases import message_parts, received_line, received_reason


@dataclass(frozen=True)
class Line:
    text: str
    colour: str | None  # green, yellow, red, or None (plain)
    unit_id: str = ""  # the roster unit it is about: its page is linked
    unit_name: str = ""
    reason: str = ""  # why it did not pass: the first problem
    reply: bool = False  # the unit needs a reply: its draft is linked
    guessed: bool = False  # the unit is the one the file's name names, not the file's own identity


def file_line(result: Received, units: Sequence[Unit], text: str = "", colour: str | None = None) -> Line:
    """A file received, with its reason and the unit it leads to."""
    if not text:
        text, colour = received_line(result)
    version, state = result.version, result.state
    if version is not None and version.version is not None and state is not None:
        needs = state.state in (HAS_ERRORS, TO_VERIFY, NOT_RECEIVED)
        return Line(text, colour, state.unit_id, state.unit_name, received_reason(result), needs)
    reason = received_reason(result)
    named = unit_in_name(Path(version.name if version else result.path.name).name, units)
    if named is None:
        return Line(text, colour, reason=reason if reason not in text else "")
    return Line(text, colour, named.unit_id, named.unit_name, reason if reason not in text else "", guessed=True)


def lines_of(files: Iterable[Received], mails: Iterable[MailReceived], units: Sequence[Unit]) -> list[Line]:
    """Every file and message received, in the order they were taken in."""
    lines = [file_line(r, units) for r in files]
    for result in mails:
        for text, colour, received in message_parts(result):
            lines.append(file_line(received, units, text, colour) if received else Line(text, colour))
    return lines
