"""Compares what nianbao reads from the corpus .msg files with what two independent readers read: extract-msg
(GPL, so never a dependency: give the Python of a throwaway venv that has it) and Debian's msgconvert
(libemail-outlook-message-perl), whose .eml output nianbao's own .eml reader then parses. Prints each
difference. Those expected: nianbao's fallbacks (an address without the SMTP property, a date only in the
saved headers); msgconvert's X.500 sender for Exchange, its ASCII transliteration of names, and its leaving out
an attachment known only by its display name while writing a cloud attachment as an empty file.

Run: python tests/data/mail/crosscheck_msg.py /tmp/msgcheck/bin/python
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2] / "src"))
from nianbao.collection.mail import RawMail, parse_mail, read_mail  # noqa: E402
from nianbao.collection.outlook import EMBEDDED_MESSAGE, OutlookMessage, open_msg  # noqa: E402

EXTRACT = """
import hashlib, json, sys, extract_msg
def att(a):
    try:
        data = a.data
    except NotImplementedError:  # a web (cloud) attachment
        data = None
    if hasattr(data, "subject"):
        return {"embedded": msg(data)}
    name = a.longFilename or a.shortFilename or getattr(a, "displayName", None)
    return {"name": name, "sha": data and hashlib.sha256(data).hexdigest()[:16]}
def msg(m):
    return {"subject": m.subject, "sender": m.sender, "date": str(m.date) if m.date else None,
            "message_id": m.messageId, "body": m.body, "attachments": [att(a) for a in m.attachments]}
# extract-msg reads code page 936 as GB2312, which lacks GBK's characters (镕, 喆): tell it GBK.
print(json.dumps({f: msg(extract_msg.openMsg(f, overrideEncoding="gbk" if "cp936" in f else None))
                  for f in sys.argv[1:]}, ensure_ascii=False))
"""


def ours(message: OutlookMessage) -> dict[str, object]:
    name, address = message.sender()
    attachments: list[dict[str, object]] = []
    for attachment in message.attachments():
        inner = attachment.embedded() if attachment.method() == EMBEDDED_MESSAGE else None
        if inner is not None:
            attachments.append({"embedded": ours(inner)})
            continue
        data = attachment.data()
        attachments.append({"name": attachment.name(), "sha": data and hashlib.sha256(data).hexdigest()[:16]})
    date = message.date()
    return {
        "subject": message.subject(),
        "sender": f"{name} <{address}>" if address else name,
        "date": str(date) if date else None,
        "message_id": message.message_id(),
        "body": message.body() or None,
        "attachments": attachments,
    }


def compare(theirs: object, mine: object, where: str) -> None:
    if isinstance(theirs, dict) and isinstance(mine, dict):
        for key in theirs.keys() | mine.keys():
            compare(theirs.get(key), mine.get(key), f"{where}.{key}")
    elif isinstance(theirs, list) and isinstance(mine, list) and len(theirs) == len(mine):
        for i, (a, b) in enumerate(zip(theirs, mine, strict=True)):
            compare(a, b, f"{where}[{i}]")
    elif theirs != mine:
        print(f"  {where}: {theirs!r} / nianbao {mine!r}")


def main() -> None:
    files = sorted(str(p) for p in HERE.glob("outlook-*.msg"))
    if len(sys.argv) > 1:
        print("extract-msg:")
        out = subprocess.run([sys.argv[1], "-c", EXTRACT, *files], capture_output=True, text=True, check=True)
        for name, theirs in json.loads(out.stdout).items():
            compare(theirs, ours(open_msg(Path(name).read_bytes())), Path(name).name)
    if shutil.which("msgconvert"):
        print("msgconvert:")
        with tempfile.TemporaryDirectory() as folder:
            for name in files:
                eml = Path(folder) / "out.eml"
                subprocess.run(["msgconvert", "--outfile", eml, name], capture_output=True, check=True)
                theirs, mine = parse_mail(eml.read_bytes()), read_mail(RawMail(name, Path(name).read_bytes()))
                for field in ("subject", "sender", "sender_name", "date", "message_id"):
                    compare(getattr(theirs, field), getattr(mine, field), f"{Path(name).name}.{field}")
                compare(
                    [(a.where, hashlib.sha256(a.data).hexdigest()[:16]) for a in theirs.attachments],
                    [(a.where, hashlib.sha256(a.data).hexdigest()[:16]) for a in mine.attachments],
                    f"{Path(name).name}.attachments",
                )


if __name__ == "__main__":
    main()
