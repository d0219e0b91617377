#!/usr/bin/env python3
"""SCRAM channel binding and SASLprep on the SQL port, with real PostgreSQL clients.

Usage: channel_binding_test.py QUANTA_BINARY

Starts `quanta node` with a TLS certificate and principals whose verifiers `quanta
scram-verifier` made from non-ASCII passwords, then signs in with psql and psycopg2 (both
libpq 15):
- over TLS with channel_binding=require (SCRAM-SHA-256-PLUS, tls-server-end-point), with the
  default channel_binding=prefer, and with channel_binding=disable;
- channel_binding=require without TLS, which libpq itself refuses;
- through a TLS-terminating proxy (someone in the middle with their own certificate): the
  client binds to the proxy's certificate and the node refuses the binding; and when the proxy
  also removes SCRAM-SHA-256-PLUS from the node's offer, the client's "y" flag tells the node
  of the downgrade and it refuses again;
- with each password typed in another Unicode form than the one its verifier was made from
  (a soft hyphen, a compatibility character, a no-break space, NFC for NFD, fullwidth
  letters), which libpq's SASLprep and the node's make equal; and with passwords SASLprep
  refuses (not UTF-8, a character unassigned in Unicode 3.2), which both sides hash as bytes.

Prints one line per check and a closing 'N passed, N failed'; exits 1 when a check failed.
"""

import os
import select
import socket
import ssl
import struct
import subprocess
import sys
import textwrap
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import Checks  # noqa: E402
from running_node import RunningNode, run_with_node  # noqa: E402

CHECKS = Checks()
check = CHECKS.check
PASSWORD = "correct horse battery staple"
SSL_REQUEST = struct.pack("!ii", 8, 80877103)

# (principal, the password its verifier is made from, the same password as typed to sign in)
UNICODE_FORMS = [
    ("soft_hyphen", "I\u00ADX-schl\u00FCssel", "IX-schl\u00FCssel"),
    ("roman_nine", "\u2168-schl\u00FCssel", "IX-schl\u00FCssel"),
    ("no_break_space", "correct\u00A0horse\u00A0\u00E9t\u00E9", "correct horse \u00E9t\u00E9"),
    ("decomposed", "cafe\u0301-mu\u0308sli", "caf\u00E9-m\u00FCsli"),  # NFD stored, NFC typed
    ("fullwidth", "\uFF30\uFF41\uFF53\uFF53-\u00E9", "Pass-\u00E9"),
]
# Refused by SASLprep, so hashed as bytes by libpq and by the node: U+1D2C is unassigned in
# Unicode 3.2 although its NFKC is "A" (PostgreSQL checks before normalising).
UNASSIGNED = "\u1D2C\u00E9-key"
NOT_UTF8 = b"\xff\xfe-latin1-\xe9"


def run(command, env=None, timeout=60):
    """Runs a client; returns (exit code, stdout + stderr as text)."""
    merged = dict(os.environb)
    for name, value in (env or {}).items():
        merged[name.encode()] = value if isinstance(value, bytes) else value.encode()
    try:
        done = subprocess.run(command, capture_output=True, env=merged, timeout=timeout)
    except subprocess.TimeoutExpired as error:
        return 124, f"timed out after {timeout} s: {error}"
    return done.returncode, (done.stdout + done.stderr).decode(errors="replace")


def verifier(quanta, password):
    data = password if isinstance(password, bytes) else password.encode()
    done = subprocess.run([quanta, "scram-verifier", "--password-stdin"], input=data + b"\n",
                          capture_output=True, check=True)
    return done.stdout.decode().strip()


def make_certificate(work, name):
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", f"/CN={name}", "-keyout", os.path.join(work, f"{name}.key"),
                    "-out", os.path.join(work, f"{name}.pem")], capture_output=True, check=True)
    return os.path.join(work, f"{name}.pem"), os.path.join(work, f"{name}.key")


class Node(RunningNode):
    def __init__(self, quanta, work):
        make_certificate(work, "node")
        principals = [("analyst", PASSWORD), ("unassigned", UNASSIGNED), ("latin1", NOT_UTF8)]
        principals += [(name, stored) for name, stored, _ in UNICODE_FORMS]
        lines = "".join(f"  - name: {name}\n    scram: \"{verifier(quanta, password)}\"\n"
                        for name, password in principals)
        super().__init__(quanta, work, textwrap.dedent("""\
                dataDir: data
                http: {listen: "127.0.0.1:0"}
                sql:
                  listen: "127.0.0.1:0"
                  tls: {certificate: node.pem, key: node.key}
                principals:
                """) + lines)


def psql(port, options, user="analyst", password=PASSWORD):
    """psql -c 'SELECT 1' with a conninfo string; returns (exit code, output). The connect
    timeout is generous: through the test's Python proxy two TLS handshakes run per sign-in,
    and under a loaded CI machine 10 s were once not enough."""
    conninfo = f"host=127.0.0.1 port={port} user={user} dbname=quanta {options}"
    return run(["psql", "-X", "-A", "-t", conninfo, "-c", "SELECT 41 + 1"],
               env={"PGPASSWORD": password, "PGCONNECT_TIMEOUT": "30"})


class TlsProxy:
    """Someone in the middle: a proxy that answers the client's SSLRequest with its own
    certificate and opens its own TLS connection to the node, relaying the bytes between the
    two. With strip_plus it also removes SCRAM-SHA-256-PLUS from the node's AuthenticationSASL,
    so that the client believes the node cannot bind."""

    def __init__(self, node_port, certificate, key, strip_plus):
        self.node_port = node_port
        self.strip_plus = strip_plus
        self.server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.server_context.load_cert_chain(certificate, key)
        self.client_context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        self.client_context.check_hostname = False
        self.client_context.verify_mode = ssl.CERT_NONE
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.offers_seen = []
        # What each relayed connection went through, for a failing check's report: a sign-in
        # through the proxy once timed out on a loaded machine, and this says where it stood.
        self.trace, self.trace_lock, self.started = [], threading.Lock(), time.monotonic()
        self.connections = 0
        threading.Thread(target=self.accept, daemon=True).start()

    def note(self, number, event):
        with self.trace_lock:
            self.trace.append(f"{time.monotonic() - self.started:8.3f} s  #{number} {event}")

    def report(self, out):
        with self.trace_lock:
            return f"{out}\nthe proxy's last steps:\n" + "\n".join(self.trace[-40:])

    def accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self.relay, args=(client, self.connections),
                             daemon=True).start()

    @staticmethod
    def read_exactly(sock, count):
        data = b""
        while len(data) < count:
            more = sock.recv(count - len(data))
            if not more:
                raise ConnectionError("closed")
            data += more
        return data

    def relay(self, client, number):
        self.note(number, "client connected")
        try:
            if self.read_exactly(client, 8) != SSL_REQUEST:
                return client.close()
            client.sendall(b"S")
            client = self.server_context.wrap_socket(client, server_side=True)
            self.note(number, "TLS with the client")
            upstream = socket.create_connection(("127.0.0.1", self.node_port), timeout=30)
            upstream.sendall(SSL_REQUEST)
            if self.read_exactly(upstream, 1) != b"S":
                return client.close()
            upstream = self.client_context.wrap_socket(upstream)
            self.note(number, "TLS with the node")
            self.pump(client, upstream, number)
        except (OSError, ConnectionError, ssl.SSLError) as error:
            self.note(number, f"ended by {error!r}")
        finally:
            client.close()

    @staticmethod
    def receive(sock):
        """What `sock` holds now: bytes, b"" when it closed, or None when what arrived was TLS
        records without data (the node's TLS 1.3 session tickets, just after the handshake). A
        blocking recv would wait there for data while the other side's bytes sat unread: the
        sign-in that once timed out after 30 s on a loaded machine."""
        sock.setblocking(False)
        try:
            return sock.recv(65536)
        except (ssl.SSLWantReadError, BlockingIOError):
            return None
        finally:
            sock.settimeout(30)

    def pump(self, client, upstream, number):
        from_node = b""
        while True:
            ready = [s for s in (client, upstream) if s.pending()]
            if not ready:
                ready = select.select([client, upstream], [], [], 30)[0]
            if not ready:
                return self.note(number, "nothing from either side for 30 s")
            for sock in ready:
                data = self.receive(sock)
                if data is None:
                    continue
                if not data:
                    return self.note(number, f"{'client' if sock is client else 'node'} closed")
                if sock is client:
                    self.note(number, f"client -> node {len(data)} B")
                    upstream.sendall(data)
                    continue
                from_node += data
                # Whole backend messages only: type, int32 length, body.
                while len(from_node) >= 5:
                    length = struct.unpack("!i", from_node[1:5])[0]
                    if len(from_node) < 1 + length:
                        break
                    message, from_node = from_node[:1 + length], from_node[1 + length:]
                    self.note(number, f"node -> client {message[:1].decode(errors='replace')} "
                                      f"{len(message)} B")
                    client.sendall(self.rewrite(message))

    def rewrite(self, message):
        if message[:1] != b"R" or struct.unpack("!i", message[5:9])[0] != 10:
            return message
        names = [n for n in message[9:].split(b"\0") if n]
        self.offers_seen.append([n.decode() for n in names])
        if self.strip_plus:
            names = [n for n in names if n != b"SCRAM-SHA-256-PLUS"]
        body = struct.pack("!i", 10) + b"".join(n + b"\0" for n in names) + b"\0"
        return b"R" + struct.pack("!i", len(body) + 4) + body

    def close(self):
        self.listener.close()


def test_channel_binding(node):
    code, out = psql(node.sql_port, "sslmode=require channel_binding=require")
    check("psql with sslmode=require channel_binding=require signs in (SCRAM-SHA-256-PLUS)",
          code == 0 and out.strip() == "42", out)
    code, out = psql(node.sql_port, "sslmode=require")
    check("psql over TLS with the default channel_binding=prefer signs in",
          code == 0 and out.strip() == "42", out)
    code, out = psql(node.sql_port, "sslmode=require channel_binding=disable")
    check("over TLS, channel_binding=disable still signs in with SCRAM-SHA-256",
          code == 0 and out.strip() == "42", out)
    code, out = psql(node.sql_port, "sslmode=require channel_binding=require", password="wrong")
    check("channel binding does not replace the password: a wrong one is refused",
          code != 0 and "password authentication failed" in out, out)
    code, out = psql(node.sql_port, "sslmode=disable channel_binding=require")
    check("channel_binding=require without TLS fails with libpq's message",
          code != 0 and "channel binding required, but SSL not in use" in out, out)
    code, out = psql(node.sql_port, "sslmode=disable")
    check("without TLS, plain SCRAM-SHA-256 still signs in", code == 0 and out.strip() == "42",
          out)

    import psycopg2
    try:
        connection = psycopg2.connect(host="127.0.0.1", port=node.sql_port, user="analyst",
                                      password=PASSWORD, dbname="quanta", sslmode="require",
                                      channel_binding="require", connect_timeout=30)
        cursor = connection.cursor()
        cursor.execute("SELECT 41 + 1")
        read, detail = connection.info.ssl_in_use and cursor.fetchone()[0] == 42, ""
        connection.close()
    except psycopg2.Error as error:
        read, detail = False, str(error)
    check("psycopg2 with channel_binding=require signs in over TLS and reads", read, detail)


def test_someone_in_the_middle(node, work):
    certificate, key = make_certificate(work, "proxy")
    relay = TlsProxy(node.sql_port, certificate, key, strip_plus=False)
    stripping = TlsProxy(node.sql_port, certificate, key, strip_plus=True)
    try:
        code, out = psql(relay.port, "sslmode=require channel_binding=disable")
        check("through a TLS-terminating proxy, a client without channel binding is fooled "
              "(signs in)", code == 0 and out.strip() == "42", relay.report(out))
        check("the node offers SCRAM-SHA-256-PLUS first over TLS",
              relay.offers_seen and relay.offers_seen[0] == ["SCRAM-SHA-256-PLUS",
                                                             "SCRAM-SHA-256"],
              relay.offers_seen)
        code, out = psql(relay.port, "sslmode=require")
        check("a client that binds to the proxy's certificate is refused by the node",
              code != 0 and "SCRAM channel binding check failed" in out, relay.report(out))
        code, out = psql(stripping.port, "sslmode=require")
        check("when the proxy removes -PLUS from the offer, the client's 'y' flag makes the "
              "node refuse the downgrade",
              code != 0 and "SCRAM channel binding negotiation error" in out,
              stripping.report(out))
        code, out = psql(stripping.port, "sslmode=require channel_binding=require")
        check("with channel_binding=require, libpq itself refuses an offer without -PLUS",
              code != 0 and "channel binding" in out and
              not any(line.strip() == "42" for line in out.splitlines()), stripping.report(out))
    finally:
        relay.close()
        stripping.close()


def test_saslprep(node):
    import psycopg2
    for user, stored, typed in UNICODE_FORMS:
        try:
            connection = psycopg2.connect(host="127.0.0.1", port=node.sql_port, user=user,
                                          password=typed, dbname="quanta", connect_timeout=30)
            cursor = connection.cursor()
            cursor.execute("SELECT 41 + 1")
            answer = cursor.fetchone()[0]
            connection.close()
            signed_in, detail = answer == 42, f"SELECT 41 + 1 answered {answer!r}"
        except psycopg2.Error as error:
            signed_in, detail = False, str(error)
        check(f"psycopg2 signs in as {user} typing {typed!r} for a verifier of {stored!r}",
              signed_in, detail)
    code, out = psql(node.sql_port, "sslmode=require", user="soft_hyphen",
                     password="I-X-schl\u00FCssel")
    check("a password that SASLprep does not make equal is still refused",
          code != 0 and "password authentication failed" in out, out)
    code, out = psql(node.sql_port, "sslmode=disable", user="unassigned", password=UNASSIGNED)
    check("a password with a character unassigned in Unicode 3.2 signs in as its bytes",
          code == 0 and out.strip() == "42", out)
    code, out = psql(node.sql_port, "sslmode=disable", user="unassigned", password="A\u00E9-key")
    check("... and its NFKC form does not (libpq does not normalise it either)", code != 0, out)
    code, out = psql(node.sql_port, "sslmode=require channel_binding=require", user="latin1",
                     password=NOT_UTF8)
    check("a password that is not UTF-8 signs in as its bytes (psql, PGPASSWORD)",
          code == 0 and out.strip() == "42", out)


def run_tests(node, work):
    test_channel_binding(node)
    test_someone_in_the_middle(node, work)
    test_saslprep(node)


if __name__ == "__main__":
    sys.exit(run_with_node(__doc__, "quanta-channel-binding-", Node, CHECKS, run_tests))
