"""The test SMTP server of cartwatch_test_smtp.py behind TLS and AUTH, for cartwatchd's
encryption and login tests. aiosmtpd's command line cannot ask for a login, so this module
builds the server itself.

  --cert FILE --key FILE   the server's certificate chain and key
  --smtps                  TLS from the first byte (implicit TLS, smtps://)
                           default: STARTTLS offered and required before MAIL (require_starttls)
  --plain                  neither: no STARTTLS offered, AUTH allowed in clear (a downgrade a
                           client must refuse)
  --user NAME --password-file FILE
                           AUTH required, one account; the password is read from the file
  --mechanism LOGIN|PLAIN  offer only that AUTH mechanism (default: both)

Every AUTH attempt appends "<user> <mechanism> tls=<version|none> ok|denied" to
OUTDIR/auth.log (never the password); accepted messages go where the plain handler puts them.

Run with Debian's Python, which has the aiosmtpd module:
  /usr/bin/python3 tests/smtp/cartwatch_secure_smtp.py --listen 127.0.0.1:2525 \\
      --cert server.pem --key server.key --user shop --password-file pw OUTDIR
"""

import argparse
import asyncio
import os
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cartwatch_test_smtp import Handler  # noqa: E402


class OneAccount:
    """An aiosmtpd authenticator that knows one user and logs every attempt."""

    def __init__(self, user, password, log_path):
        self.user = user
        self.password = password
        self.log_path = log_path

    def __call__(self, server, session, envelope, mechanism, auth_data):
        login = auth_data.login.decode("utf-8", "replace")
        ok = login == self.user and auth_data.password.decode("utf-8", "replace") == self.password
        tls = server.transport.get_extra_info("ssl_object") if server.transport else None
        with open(self.log_path, "a") as log:
            log.write(f"{login} {mechanism} tls={tls.version() if tls else 'none'} "
                      f"{'ok' if ok else 'denied'}\n")
        # handled=False: aiosmtpd answers a refusal with its own 535 5.7.8.
        return AuthResult(success=ok, handled=False, auth_data=login if ok else None)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", required=True, help="host:port")
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--smtps", action="store_true")
    parser.add_argument("--plain", action="store_true")
    parser.add_argument("--user")
    parser.add_argument("--password-file")
    parser.add_argument("--mechanism", choices=["LOGIN", "PLAIN"])
    parser.add_argument("outdir")
    args = parser.parse_args()
    host, port = args.listen.rsplit(":", 1)

    context = None
    if not args.plain:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.cert, args.key)

    handler = Handler(args.outdir)
    authenticator = None
    if args.user:
        with open(args.password_file) as f:
            password = f.read().rstrip("\r\n")
        authenticator = OneAccount(args.user, password, os.path.join(args.outdir, "auth.log"))
    excluded = [m for m in ("LOGIN", "PLAIN") if args.mechanism and m != args.mechanism]

    def factory():
        return SMTP(handler,
                    hostname="smtp.test",
                    tls_context=None if args.smtps or args.plain else context,
                    require_starttls=not (args.smtps or args.plain),
                    authenticator=authenticator,
                    auth_required=authenticator is not None,
                    # aiosmtpd only counts STARTTLS as encryption: implicit TLS is too, and
                    # --plain offers AUTH in clear on purpose.
                    auth_require_tls=not (args.smtps or args.plain),
                    auth_exclude_mechanism=excluded)

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(
        loop.create_server(factory, host=host, port=int(port),
                           ssl=context if args.smtps else None))
    print(f"listening on {args.listen}", flush=True)
    try:
        loop.run_forever()
    finally:
        server.close()


if __name__ == "__main__":
    main()
