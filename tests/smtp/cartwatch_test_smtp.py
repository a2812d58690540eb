"""A scriptable SMTP server for cartwatchd's integration tests (aiosmtpd handler).

The recipient's local part picks the behaviour:
  perm...      RCPT answered 550 5.1.1 (the mailbox does not exist)
  senderreject...
               RCPT answered 550 5.1.0 "Sender address rejected", as Postfix's
               reject_unlisted_sender does (it checks the sender at RCPT)
  temp...      RCPT answered 450 4.2.0 (greylisted), every time
  flaky...     RCPT answered 450 4.2.0 the first time, accepted afterwards
  datafail...  the final "." answered 451 4.3.0
  dmarcfail... the final "." answered 550 5.7.26, the sender domain's DMARC refusal (as
               Gmail words it)
  hangup...    the connection is dropped after the final ".", without a reply
  slow...      the message is queued at once, the final "." answered after SLOW_SECONDS
               (default 2)
  latin1...    the message is queued, the final "." answered with Latin-1 bytes and a
               terminal escape in the text (not UTF-8)
  anything else is accepted.
EHLO advertises PIPELINING unless NO_PIPELINING is set. With MULTILINE set, MAIL, RCPT and the
final "." are answered with two-line replies (250-... then 250 ...). With DROP_KEPT set, a
connection that has carried a message is dropped, without a reply, at its next MAIL FROM (a
relay that closed it meanwhile); each drop adds a line to OUTDIR/dropped.log. With MAX_MESSAGE_SIZE set, EHLO
advertises SIZE and a MAIL FROM announcing a larger SIZE=
(libcurl announces it) is answered 552 5.3.4, as by Postfix's message_size_limit.

Accepted messages are written to OUTDIR as <n>-<recipient>.eml, and one line per accepted
message ("<recipient> <Message-ID> <envelope sender>") is appended to OUTDIR/accepted.log, so
tests can count deliveries per address, spot duplicates and check the envelope. OUTDIR/sessions.log gets one line per accepted
message saying how its session was protected: "<recipient> tls=TLSv1.3 auth=<user>" (tls=none,
auth=none without); cartwatch_secure_smtp.py runs this handler behind TLS and AUTH.
OUTDIR/connections.log gets "<recipient> <n>" per accepted message: n numbers the connections
in the order they sent their first MAIL FROM, so tests can tell which messages shared one.
OUTDIR/envelopes.log gets "<recipient> MAIL <parameters>" per accepted message: the parameters
of its MAIL FROM as sent ("-" for none), in order, e.g. "SIZE=2817 SMTPUTF8".

SMTPUTF8 (RFC 6531) is aiosmtpd's own switch, its --smtputf8 option (cw_start_smtp passes it
when CW_SMTP_UTF8 is set): EHLO then offers SMTPUTF8, and UTF-8 addresses are taken; without
it a non-ASCII command is answered "500 Error: strict ASCII mode".

Run with Debian's aiosmtpd entry point (the system Python has the module):
  PYTHONPATH=tests/smtp aiosmtpd -n -l 127.0.0.1:2525 -c cartwatch_test_smtp.Handler OUTDIR
"""

import asyncio
import email
import itertools
import os


class Handler:
    def __init__(self, outdir="smtp-out"):
        self.outdir = outdir
        os.makedirs(outdir, exist_ok=True)
        self.counter = itertools.count(1)
        self.flaky_seen = set()
        self.slow_seconds = float(os.environ.get("SLOW_SECONDS", "2"))
        self.max_message_size = int(os.environ.get("MAX_MESSAGE_SIZE", "0"))
        self.pipelining = os.environ.get("NO_PIPELINING", "") == ""
        self.multiline = os.environ.get("MULTILINE", "") != ""
        self.drop_kept = os.environ.get("DROP_KEPT", "") != ""
        self.connections = itertools.count(1)

    def _reply(self, first, last):
        # Two lines (RFC 5321 section 4.2.1) with MULTILINE: only the last one is the verdict.
        return f"{first[:3]}-{first[4:]}\r\n{last}" if self.multiline else last

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        # A hook that answers EHLO takes over aiosmtpd's own bookkeeping.
        session.host_name = hostname
        if self.max_message_size:
            # Without it libcurl announces no SIZE= (aiosmtpd's own SIZE needs -s).
            responses.insert(1, f"250-SIZE {self.max_message_size}")
        if self.pipelining:
            # aiosmtpd reads one command line at a time, so commands sent in one go are
            # answered in order: it serves pipelining clients (RFC 2920) without announcing it.
            responses.insert(1, "250-PIPELINING")
        return responses

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if not hasattr(session, "cw_connection"):
            session.cw_connection = next(self.connections)
            session.cw_messages = 0
        if self.drop_kept and session.cw_messages > 0:
            with open(os.path.join(self.outdir, "dropped.log"), "a") as log:
                log.write(f"connection {session.cw_connection} at MAIL FROM:<{address}>\n")
            server.transport.abort()
            return "250 never seen"
        sizes = [o[len("SIZE="):] for o in mail_options if o.startswith("SIZE=")]
        if self.max_message_size and sizes and int(sizes[0]) > self.max_message_size:
            return "552 5.3.4 Message size exceeds fixed maximum message size"
        # A MAIL hook that answers takes over aiosmtpd's own bookkeeping.
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return self._reply("250 2.1.0 sender noted", "250 OK")

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        if local.startswith("perm"):
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        if local.startswith("senderreject"):
            return (f"550 5.1.0 <{envelope.mail_from}>: Sender address rejected: "
                    "User unknown in virtual mailbox table")
        if local.startswith("temp"):
            return f"450 4.2.0 <{address}>: Recipient address rejected: greylisted"
        if local.startswith("flaky") and address not in self.flaky_seen:
            self.flaky_seen.add(address)
            return f"450 4.2.0 <{address}>: Recipient address rejected: greylisted, try later"
        envelope.rcpt_tos.append(address)
        return self._reply("250 2.1.5 recipient noted", "250 2.1.5 OK")

    async def handle_DATA(self, server, session, envelope):
        rcpt = envelope.rcpt_tos[0] if envelope.rcpt_tos else "nobody"
        local = rcpt.split("@", 1)[0].lower()
        if local.startswith("datafail"):
            return "451 4.3.0 Local error in processing"
        if local.startswith("dmarcfail"):
            return ("550 5.7.26 Unauthenticated email from shop.example is not accepted due to "
                    "domain's DMARC policy")
        if local.startswith("hangup"):
            # Take the message, then vanish before saying so: the ambiguous case.
            self._store(rcpt, envelope, server, session)
            server.transport.abort()
            return "250 2.0.0 never seen"
        name = self._store(rcpt, envelope, server, session)
        if local.startswith("latin1"):
            # aiosmtpd sends bytes as they are: "äöü" in Latin-1, then ESC [31m.
            return f"250 2.0.0 Ok: queued as {name} ".encode("ascii") + b"\xe4\xf6\xfc \x1b[31m"
        if local.startswith("slow"):
            # Queued at once, answered late: a client that dies meanwhile never hears of it.
            await asyncio.sleep(self.slow_seconds)
        return self._reply("250 2.0.0 message noted", f"250 2.0.0 OK queued as {name}")

    def _store(self, rcpt, envelope, server, session):
        content = envelope.content
        n = next(self.counter)
        name = f"{n:05d}-{rcpt}.eml"
        with open(os.path.join(self.outdir, name), "wb") as f:
            f.write(content)
        message_id = email.message_from_bytes(content).get("Message-ID", "-")
        with open(os.path.join(self.outdir, "accepted.log"), "a", encoding="utf-8") as log:
            log.write(f"{rcpt} {message_id} <{envelope.mail_from or ''}>\n")
        # The transport in use now: after STARTTLS, or from the start with implicit TLS, it is
        # an SSL transport; the plain one has no ssl_object.
        tls = server.transport.get_extra_info("ssl_object") if server.transport else None
        user = "none"
        if session.authenticated:
            login = getattr(session.auth_data, "login", session.auth_data)
            user = login.decode("utf-8", "replace") if isinstance(login, bytes) else str(login)
        with open(os.path.join(self.outdir, "sessions.log"), "a") as log:
            log.write(f"{rcpt} tls={tls.version() if tls else 'none'} auth={user}\n")
        session.cw_messages += 1
        with open(os.path.join(self.outdir, "envelopes.log"), "a", encoding="utf-8") as log:
            log.write(f"{rcpt} MAIL {' '.join(envelope.mail_options) or '-'}\n")
        with open(os.path.join(self.outdir, "connections.log"), "a") as log:
            log.write(f"{rcpt} {session.cw_connection}\n")
        return name

    @classmethod
    def from_cli(cls, parser, *args):
        return cls(*args)
