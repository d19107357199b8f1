#!/usr/bin/env python3
"""Hostile requests to the sign-in page, over plain sockets, from a client
namespace (tests/e2e/085-hostile-sign-in.sh). No scapy needed.

    portal_abuse.py HOST PORT CASE [ARGS...]

Each case prints "ok CASE detail" or "FAIL CASE detail" and exits 1 on
failure. Bounded: every socket has a timeout, every loop a fixed count.
"""
import re
import socket
import sys
import time

HOST, PORT = sys.argv[1], int(sys.argv[2])
# The portal's own name for itself, as a browser following its link sends it.
OWN = ("[%s]:%d" % (HOST, PORT) if ":" in HOST else "%s:%d" % (HOST, PORT)).encode()


class Fail(Exception):
    pass


def expect(cond, what):
    if not cond:
        raise Fail(what)


def connect(timeout=5, source=None):
    s = socket.create_connection((HOST, PORT), timeout=timeout, source_address=(source, 0) if source else None)
    return s


def exchange(data, timeout=5, source=None, chunks=None):
    """Sends data (bytes, or a list of chunks), reads until the server closes."""
    s = connect(timeout, source)
    try:
        for c in (chunks or [data]):
            try:
                s.sendall(c)
            except (BrokenPipeError, ConnectionResetError):
                break
        out = b""
        while True:
            try:
                b = s.recv(65536)
            except ConnectionResetError:
                break
            if not b:
                break
            out += b
        return out
    finally:
        s.close()


def status(resp):
    m = re.match(rb"HTTP/1\.[01] (\d{3}) ", resp)
    return int(m.group(1)) if m else None


def post(form, extra_headers=b"", source=None, path=b"/login", host=None):
    body = form if isinstance(form, bytes) else form.encode()
    req = (b"POST " + path + b" HTTP/1.1\r\nHost: " + (host or HOST.encode()) + b"\r\n"
           b"Content-Type: application/x-www-form-urlencoded\r\n" + extra_headers +
           b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    return exchange(req, source=source)


def get(target=b"/", headers=b"", source=None):
    return exchange(b"GET " + target + b" HTTP/1.1\r\nHost: " + HOST.encode() + b"\r\n" + headers + b"\r\n",
                    source=source)


UPSTREAM = "198.51.100.2"  # an unsigned client's HTTP there gets the 511


def link_query(target):
    """The query (url=...&sig=...) of the sign-in link in the 511 the gateway
    answers for http://UPSTREAM<target>: the return URL counts only with the
    signature the 511 gives it for this device (docs/security.md)."""
    s = socket.create_connection((UPSTREAM, 80), timeout=5)
    try:
        s.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: " + UPSTREAM.encode() + b"\r\n\r\n")
        out = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            out += b
    finally:
        s.close()
    m = re.search(rb'<a href="[^"?]*\?([^"]*)"', out)
    expect(m is not None and b" 511 " in out[:20], "no 511 with a link for %r: %r" % (target, out[:80]))
    return m.group(1).replace(b"&amp;", b"&")


def token_of(page):
    m = re.search(rb'name="token" value="([0-9a-f]*)"', page)
    expect(m, "no token in the page: %r" % page[:300])
    return m.group(1).decode()


# ---------------------------------------------------------------- cases

def case_limits(args):
    notes = []
    # Bodies over 16 KiB: 413; chunked bodies are not read at all (411,
    # RFC 9112 §6.1: we ask for a Content-Length); just under: read.
    r = post("token=x&" + "a" * (17 * 1024))
    expect(status(r) == 413, "17 KiB body: %r" % r[:60])
    notes.append("17KiB body 413")
    r = exchange(b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000000\r\n\r\n")
    expect(status(r) == 413, "Content-Length 10^12: %r" % r[:60])
    notes.append("CL 10^12 413")
    chunk = b"4000\r\n" + b"b" * 0x4000 + b"\r\n"
    r = exchange(b"POST /login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk * 2 + b"0\r\n\r\n")
    expect(status(r) == 411, "32 KiB chunked body: %r" % r[:60])
    notes.append("chunked 32KiB 411")
    r = post("token=x&pad=" + "a" * (15 * 1024))
    expect(status(r) == 403, "15 KiB body with a bad token: %r" % r[:60])
    notes.append("15KiB body read, 403")
    # Header section over 8 KiB: one huge header, or a flood of small ones:
    # 431 (RFC 6585 §5).
    r = exchange(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"h" * 9000 + b"\r\n\r\n")
    expect(status(r) == 431, "9 KB header: %r" % r[:60])
    r = exchange(b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(2000)) + b"\r\n")
    expect(status(r) == 431, "2000 headers: %r" % r[:60])
    r = exchange(b"GET /" + b"p" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    expect(status(r) == 431, "9 KB target: %r" % r[:60])
    notes.append("9KB header, 2000 headers, 9KB target: 431")
    return ", ".join(notes)


def case_garbage(args):
    notes = []
    for what, data in (("binary", bytes(range(256)) * 4), ("NULs", b"\0" * 4096),
                       ("TLS hello", bytes.fromhex("16030100a5010000a10303") + b"\x11" * 200),
                       ("bare LF junk", b"\n" * 3000), ("bad version", b"GET / HTTP/9.9\r\n\r\n"),
                       ("space in method", b"G T / HTTP/1.1\r\n\r\n"),
                       ("bad content-length", b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n"),
                       ("two content-lengths", b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
                                               b"Content-Length: 4\r\n\r\nabcd"),
                       ("CL and chunked", b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
                                          b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n")):
        t0 = time.monotonic()
        r = exchange(data, timeout=12)
        took = time.monotonic() - t0
        # Malformed requests get a 4xx (505 for an HTTP version other than
        # 1.x) and the connection closes. Never a 200, never a hang to the
        # timeout.
        st = status(r)
        expect(r == b"" or (st is not None and (400 <= st < 500 or st == 505)), "%s: %r" % (what, r[:80]))
        expect(took < 2, "%s: took %.1f s" % (what, took))
        notes.append("%s:%s" % (what, st or "closed"))
    return ", ".join(notes)


def case_odd_requests(args):
    notes = []
    # RFC 9112 §3.2: a request without Host, or with two, is a bad request.
    r = exchange(b"GET / HTTP/1.0\r\n\r\n")
    expect(status(r) == 400 and b'name="token"' not in r, "no Host, HTTP/1.0: %r" % r[:80])
    r = exchange(b"GET / HTTP/1.1\r\nHost: " + b"h" * 4000 + b"\r\n\r\n")
    expect(status(r) == 421, "4 KB Host: %r" % r[:80])
    r = exchange(b"GET / HTTP/1.1\r\nHost: " + OWN + b"\r\nHost: b\r\n\r\n")
    expect(status(r) == 400 or r == b"", "two Hosts: %r" % r[:80])
    notes.append("no Host 400, 4KB Host 421, two Hosts 400")
    two = b"GET / HTTP/1.1\r\nHost: " + OWN + b"\r\n\r\n"
    r = exchange(two * 5)
    expect(r.count(b"HTTP/1.1 ") == 1 and b"Connection: close" in r, "pipelined: %d answers" % r.count(b"HTTP/1.1 "))
    notes.append("5 pipelined: one answer, close")
    for target, want in ((b"/login", 405), (b"/../../etc/passwd", 404), (b"http://evil.test/", 404),
                         (b"/%00", 404), (b"*", 404), (b"/?url=%", 200), (b"/?url=%zz%E0%A4", 200)):
        r = exchange(b"GET " + target + b" HTTP/1.1\r\nHost: " + OWN + b"\r\n\r\n")
        expect(status(r) == want, "GET %r: %r" % (target, r[:60]))
    for method, want in ((b"PUT", 405), (b"DELETE", 405), (b"TRACE", 405), (b"OPTIONS", 405)):
        r = exchange(method + b" / HTTP/1.1\r\nHost: " + OWN + b"\r\nContent-Length: 0\r\n\r\n")
        expect(status(r) == want, "%r /: %r" % (method, r[:60]))
    r = exchange(b"HEAD / HTTP/1.1\r\nHost: " + OWN + b"\r\n\r\n")
    expect(status(r) == 200 and r.endswith(b"\r\n\r\n"), "HEAD with a body: %r" % r[-40:])
    notes.append("405/404 for other methods and paths, HEAD bodiless")
    # The return URL is reflected escaped, and only http(s) URLs are kept.
    # (The gateway's own 511 link for a target with markup: a crafted ?url=
    # is dropped, signed ones are what the page shows.)
    evil = b"/?" + link_query(b'/"><script>alert(1)</script>')
    r = exchange(b"GET " + evil + b" HTTP/1.1\r\nHost: " + OWN + b"\r\n\r\n")
    expect(status(r) == 200 and b"<script>" not in r and b"&lt;script&gt;" in r, "url markup: %r" % r[-400:])
    r = exchange(b"GET /?url=javascript%3Aalert(1) HTTP/1.1\r\nHost: " + OWN + b"\r\n\r\n")
    expect(b"javascript" not in r, "javascript: URL kept")
    notes.append("return URL escaped, javascript: dropped")
    # Slow but complete: a request trickled in 40 pieces is still answered.
    req = b"GET / HTTP/1.1\r\nHost: " + OWN + b"\r\nAccept: */*\r\n\r\n"
    s = connect(10)
    for i in range(0, len(req), 2):
        s.sendall(req[i:i + 2])
        time.sleep(0.02)
    r = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        r += b
    s.close()
    expect(status(r) == 200, "trickled request: %r" % r[:60])
    notes.append("request in %d pieces answered" % ((len(req) + 1) // 2))
    return ", ".join(notes)


def case_hosts(args):
    """DNS rebinding: a page of another origin whose name now resolves to the
    portal sends its own name in Host. 421 with a page saying so, no form,
    whatever the path or method; the portal's own names are served."""
    notes = []
    for host in (b"evil.example", b"evil.example:" + str(PORT).encode(), HOST.encode() + b".evil.example",
                 b"localhost", b"127.0.0.1", HOST.encode() + b":80", b"[::1]:" + str(PORT).encode()):
        r = exchange(b"GET / HTTP/1.1\r\nHost: " + host + b"\r\n\r\n")
        expect(status(r) == 421 and b'name="token"' not in r and b"only serves the sign-in page" in r,
               "Host %r: %r" % (host, r[:120]))
        r = post("accept_terms=yes", extra_headers=b"", host=host)
        expect(status(r) == 421, "POST with Host %r: %r" % (host, r[:80]))
    notes.append("foreign Hosts: 421 for GET and POST")
    for host in (HOST.encode(), OWN, OWN.upper()):
        r = exchange(b"GET / HTTP/1.1\r\nHost: " + host + b"\r\n\r\n")
        expect(status(r) in (200, 403), "own Host %r: %r" % (host, r[:80]))
    notes.append("own Hosts served")
    return ", ".join(notes)


def case_tokens(args):
    """Forged and malformed tokens: 403, and the page offers a fresh form."""
    own = token_of(get())
    forged = ["a" * 64, "", "0" * 64, own[:-1], own + "0", own[:-2] + ("00" if own[-2:] != "00" else "11"),
              own.upper(), "%zz", "%", own + "%00", "f" * 4096, "%E2%82%AC" * 20, "a" * 64 + "&token=" + own]
    notes = []
    for t in forged:
        # The genuine token after a forged first one: the first match wins.
        r = post("token=" + t + "&accept_terms=yes&url=http%3A%2F%2Fx.test%2F")
        expect(status(r) == 403 and b'name="token"' in r, "token %r: %r" % (t[:20], r[:60]))
    notes.append("%d forged tokens: 403 with a fresh form" % len(forged))
    for form in ("token=" + own + "&accept_terms=%ZZ", "token=%" + own,
                 "tok%65n=" + "a" * 64 + "&accept_terms=yes", "\0" * 100, "&&&&====&&&"):
        r = post(form)
        expect(status(r) in (200, 303, 403), "form %r: %r" % (form[:30], r[:60]))
        notes.append("%r:%s" % (form[:12], status(r)))
    return ", ".join(notes)


RETURN_URL = b"http%3A%2F%2F198.51.100.2%2F"  # what the 511 for http://UPSTREAM/ links with


def case_token(args):
    """Prints this client's current form token (for the return URL `login` posts)."""
    return token_of(get(b"/?" + link_query(b"/")))


def case_login(args):
    """login TOKEN [EXTRA_FORM]: prints the status (and Location)."""
    form = "token=" + args[0] + "&accept_terms=yes&url=" + RETURN_URL.decode()
    if len(args) > 1:
        form += "&" + args[1]
    r = post(form)
    loc = re.search(rb"\r\nLocation: ([^\r]*)", r)
    return "%s %s" % (status(r), loc.group(1).decode() if loc else "-")


def case_idle(args):
    """idle N SECONDS: opens N connections, sends nothing, holds them; prints
    how many the server closed at once (over the limit) and how long the
    rest stayed open (the request timeout)."""
    n, hold = int(args[0]), float(args[1])
    socks = []
    for _ in range(n):
        s = connect(5)
        s.setblocking(False)
        socks.append(s)
    t0 = time.monotonic()
    print("opened %d" % n, flush=True)
    closed_at = {}
    while time.monotonic() - t0 < hold and len(closed_at) < n:
        for i, s in enumerate(socks):
            if i in closed_at:
                continue
            try:
                if s.recv(1) == b"":
                    closed_at[i] = time.monotonic() - t0
            except BlockingIOError:
                pass
            except OSError:
                closed_at[i] = time.monotonic() - t0
        time.sleep(0.05)
    early = sum(1 for t in closed_at.values() if t < 2)
    late = [t for t in closed_at.values() if t >= 2]
    for s in socks:
        s.close()
    return "early_closed=%d timed_out=%d max_open=%.1f" % (early, len(late), max(late) if late else 0)


def case_trickle(args):
    """A slowloris: one header byte every 0.5 s. Returns when the server cuts it."""
    s = connect(20)
    s.sendall(b"GET / HTTP/1.1\r\n")
    t0 = time.monotonic()
    cut = None
    for i in range(60):  # at most 30 s
        try:
            s.sendall(b"X")
            s.settimeout(0.5)
            if s.recv(1) == b"":
                cut = time.monotonic() - t0
                break
        except socket.timeout:
            continue
        except OSError:
            cut = time.monotonic() - t0
            break
    s.close()
    expect(cut is not None and cut < 13, "slowloris not cut within 13 s (%s)" % cut)
    return "cut after %.1f s" % cut


CASES = {"limits": case_limits, "garbage": case_garbage, "odd_requests": case_odd_requests, "hosts": case_hosts,
         "tokens": case_tokens, "token": case_token, "login": case_login, "idle": case_idle,
         "trickle": case_trickle}

if __name__ == "__main__":
    name, rest = sys.argv[3], sys.argv[4:]
    try:
        print("ok %s %s" % (name, CASES[name](rest)), flush=True)
    except Fail as e:
        print("FAIL %s %s" % (name, e), flush=True)
        sys.exit(1)
