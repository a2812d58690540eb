#!/usr/bin/env python3
"""Reads every rendered reminder back with Python's own e-mail parser.

An independent implementation of RFC 5322/2045/2047 decodes each .eml file
(policy=default, the strict modern API) and must report no defects and
decode exactly the subject, addresses and bodies recorded in the matching
.json file. Raw-byte checks cover what a parser forgives: bare LF, 8-bit
bytes and line lengths.

Usage: check_messages.py <directory with .eml and .json files>
"""
import json
import pathlib
import sys
from email import policy
from email.parser import BytesParser

MAX_HEADER_LINE = 78
MAX_LINE = 998
MAX_QP_LINE = 76


def check_raw(raw, problems):
    if any(byte > 0x7F for byte in raw):
        problems.append("message is not 7-bit")
    lines = raw.split(b"\r\n")
    if lines[-1] != b"":
        problems.append("message does not end with CRLF")
    if any(b"\n" in line or b"\r" in line for line in lines):
        problems.append("bare CR or LF found")
    in_headers = True
    for number, line in enumerate(lines[:-1], 1):
        if len(line) > MAX_LINE:
            problems.append(f"line {number} longer than {MAX_LINE}")
        if in_headers and line == b"":
            in_headers = False
        elif in_headers:
            # Only a single unbreakable token (a long URL) may pass 78.
            tokens = line[1:] if line[:1] in (b" ", b"\t") else line.partition(b": ")[2]
            breakable = b" " in tokens
            if len(line) > MAX_HEADER_LINE and breakable:
                problems.append(f"header line {number} is {len(line)} long")
        elif not line.startswith(b"--") and len(line) > MAX_QP_LINE:
            problems.append(f"body line {number} is {len(line)} long")


def check_parsed(msg, expected, problems):
    if msg.defects:
        problems.append(f"message defects: {msg.defects}")
    for name, value in msg.items():
        if getattr(value, "defects", None):
            problems.append(f"{name} defects: {value.defects}")
    if str(msg["Subject"]) != expected["subject"]:
        problems.append(f"subject {str(msg['Subject'])!r} != {expected['subject']!r}")
    for field, prefix in (("From", "from"), ("To", "to")):
        addresses = msg[field].addresses
        if len(addresses) != 1:
            problems.append(f"{field} holds {len(addresses)} addresses")
            continue
        if addresses[0].display_name != expected[prefix + "_name"]:
            problems.append(f"{field} name {addresses[0].display_name!r} != {expected[prefix + '_name']!r}")
        if addresses[0].addr_spec != expected[prefix + "_addr"]:
            problems.append(f"{field} address {addresses[0].addr_spec!r}")
    if msg["Message-ID"] != expected["message_id"]:
        problems.append("Message-ID differs")
    if not expected["message_id"].endswith("@" + expected["from_addr"].split("@")[1] + ">"):
        problems.append("Message-ID is not on the sender's domain")
    if msg["Date"].datetime is None:
        problems.append("Date does not parse")
    if msg["MIME-Version"] != "1.0":
        problems.append("MIME-Version missing")
    if msg["Content-Language"] != expected["language"]:
        problems.append("Content-Language differs")
    unsubscribe = str(msg["List-Unsubscribe"])
    wanted = "<" + expected["unsubscribe_url"] + ">"
    if expected["unsubscribe_mailto"]:
        wanted += ", <" + expected["unsubscribe_mailto"] + ">"
    if unsubscribe != wanted:
        problems.append(f"List-Unsubscribe {unsubscribe!r}")
    if msg["List-Unsubscribe-Post"] != "List-Unsubscribe=One-Click":
        problems.append("List-Unsubscribe-Post missing")
    for once in ("From", "To", "Subject", "Date", "Message-ID", "List-Unsubscribe"):
        if len(msg.get_all(once, [])) != 1:
            problems.append(f"{once} appears {len(msg.get_all(once, []))} times")

    if msg.get_content_type() != "multipart/alternative":
        problems.append(f"top level is {msg.get_content_type()}")
        return
    parts = list(msg.iter_parts())
    kinds = [part.get_content_type() for part in parts]
    if kinds != ["text/plain", "text/html"]:
        problems.append(f"parts are {kinds}")
        return
    for part, key in zip(parts, ("text", "html")):
        if part.defects:
            problems.append(f"{key} part defects: {part.defects}")
        if part.get_content_charset() != "utf-8":
            problems.append(f"{key} part charset {part.get_content_charset()}")
        if part["Content-Transfer-Encoding"] != "quoted-printable":
            problems.append(f"{key} part is not quoted-printable")
        content = part.get_content().replace("\r\n", "\n")
        if content != expected[key]:
            problems.append(f"{key} body differs from the rendered template")
        if "{{" in content or "}}" in content:
            problems.append(f"{key} body has a leftover template tag")
    if "<script" in parts[1].get_content().lower():
        problems.append("HTML part contains a live <script> tag")


def main():
    directory = pathlib.Path(sys.argv[1])
    files = sorted(directory.glob("*.eml"))
    if not files:
        print(f"no .eml files in {directory}")
        return 1
    failed = 0
    for path in files:
        raw = path.read_bytes()
        expected = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        problems = []
        check_raw(raw, problems)
        check_parsed(BytesParser(policy=policy.default).parsebytes(raw), expected, problems)
        if problems:
            failed += 1
            print(f"FAIL {path.name}")
            for problem in problems:
                print(f"     {problem}")
        else:
            print(f"ok   {path.name}")
    print(f"{len(files) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
