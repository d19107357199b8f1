#!/usr/bin/env python3
"""The connectivity-check servers of each OS, played by one HTTP server on the
upstream (scenario 181). The real names do not resolve in the sandbox, so the
scenario asks this server's address with the real Host header; it answers by
Host + path, byte for byte as the real servers do (what each OS compares:
docs/clients.md), and logs every request it answers.

  probe_servers.py serve ADDR PORT    serve (IPv4 or IPv6 ADDR; "::" is both)
  probe_servers.py table              the probes, one a line: OS TAB HOST TAB PATH TAB USER-AGENT
  probe_servers.py check real DIR     DIR/N.headers, DIR/N.body (N = line of the table, from 1)
                                      are each probe's real answer: status, Location, body
  probe_servers.py check gateway DIR PORTAL
                                      each is the gateway's instead: 511, or 302/307 to PORTAL*,
                                      and not the real body
"""
import http.server, json, socket, sys

CHROME_UA = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
             "Chrome/120.0.0.0 Safari/537.36")
# Android's NetworkMonitor sends this fixed UA (config_captive_portal_user_agent).
ANDROID_UA = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/60.0.3112.32 Safari/537.36")
APPLE_UA = "CaptiveNetworkSupport-481.0.1 wispr"
WINDOWS_UA = "Microsoft NCSI"
FIREFOX_UA = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
NM_UA = "NetworkManager/1.42.4"

APPLE_SUCCESS = b"<HTML><HEAD><TITLE>Success</TITLE></HEAD><BODY>Success</BODY></HTML>\n"
APPLE_LIBRARY_SUCCESS = (b'<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2//EN">\n<HTML>\n<HEAD>\n\t'
                         b"<TITLE>Success</TITLE>\n</HEAD>\n<BODY>\nSuccess\n</BODY>\n</HTML>\n")
FIREFOX_CANONICAL = (b'<meta http-equiv="refresh" content="0;url=https://support.mozilla.org/kb/captive-portal"/>')
NM_ONLINE = b"NetworkManager is online\n"

# (os, host, path, user agent, status, body, location)
PROBES = [
    ("android", "connectivitycheck.gstatic.com", "/generate_204", ANDROID_UA, 204, b"", None),
    ("android", "www.google.com", "/gen_204", ANDROID_UA, 204, b"", None),
    ("android", "clients3.google.com", "/generate_204", ANDROID_UA, 204, b"", None),
    ("android", "connectivitycheck.android.com", "/generate_204", ANDROID_UA, 204, b"", None),
    ("apple", "captive.apple.com", "/hotspot-detect.html", APPLE_UA, 200, APPLE_SUCCESS, None),
    ("apple", "www.apple.com", "/library/test/success.html", APPLE_UA, 200, APPLE_LIBRARY_SUCCESS, None),
    ("windows", "www.msftconnecttest.com", "/connecttest.txt", WINDOWS_UA, 200, b"Microsoft Connect Test", None),
    ("windows", "www.msftconnecttest.com", "/redirect", CHROME_UA, 302, b"",
     "https://go.microsoft.com/fwlink/?LinkID=219472&clcid=0x409"),
    ("windows", "www.msftncsi.com", "/ncsi.txt", WINDOWS_UA, 200, b"Microsoft NCSI", None),
    ("firefox", "detectportal.firefox.com", "/success.txt", FIREFOX_UA, 200, b"success\n", None),
    ("firefox", "detectportal.firefox.com", "/canonical.html", FIREFOX_UA, 200, FIREFOX_CANONICAL, None),
    ("chrome", "clients1.google.com", "/generate_204", CHROME_UA, 204, b"", None),
    ("chrome", "www.gstatic.com", "/generate_204", CHROME_UA, 204, b"", None),
    ("networkmanager", "nmcheck.gnome.org", "/check_network_status.txt", NM_UA, 200, NM_ONLINE, None),
    ("networkmanager", "network-test.debian.org", "/nm", NM_UA, 200, NM_ONLINE, None),
    ("networkmanager", "connectivity-check.ubuntu.com", "/", NM_UA, 204, b"", None),
    ("kde", "networkcheck.kde.org", "/", NM_UA, 200, b"OK\n", None),
    ("fedora", "fedoraproject.org", "/static/hotspot.txt", NM_UA, 200, b"OK\n", None),
]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        host = (self.headers.get("Host") or "").split(":")[0].lower()
        for os_name, h, path, _ua, status, body, location in PROBES:
            if h == host and path == self.path:
                break
        else:
            # Asked by address (captive-probe's scenario): by path alone.
            for os_name, h, path, _ua, status, body, location in PROBES:
                if path == self.path:
                    break
            else:
                status, body, location = 404, b"not a probe\n", None
        self.log_request(status)
        self.send_response_only(status)
        if status != 204:
            self.send_header("Content-Type", "text/plain" if body and not body.startswith(b"<") else "text/html")
            self.send_header("Content-Length", str(len(body)))
        if location:
            self.send_header("Location", location)
        self.send_header("Connection", "close")
        self.end_headers()
        if status != 204:
            self.wfile.write(body)
        self.close_connection = True

    def log_message(self, fmt, *args):
        sys.stderr.write("probe %s %s%s from %s: %s\n" % (self.headers.get("User-Agent"), self.headers.get("Host"),
                         self.path, self.client_address[0].removeprefix("::ffff:"), fmt % args))
        sys.stderr.flush()


def read_answer(prefix):
    try:
        raw = open(prefix + ".headers", "rb").read().decode("latin-1")
    except OSError:
        raw = ""
    lines = raw.replace("\r", "").split("\n")
    try:
        status = int(lines[0].split()[1])
    except (IndexError, ValueError):
        status = 0
    location = next((h.split(":", 1)[1].strip() for h in lines if h.lower().startswith("location:")), "")
    try:
        body = open(prefix + ".body", "rb").read()
    except OSError:
        body = b""
    return status, location, body


def check(kind, directory, portal=None):
    bad = []
    for n, (os_name, host, path, _ua, status, body, location) in enumerate(PROBES, 1):
        got_status, got_location, got_body = read_answer("%s/%d" % (directory, n))
        name = "%s %s%s" % (os_name, host, path)
        if kind == "real":
            if (got_status, got_location or None, got_body) != (status, location, body):
                bad.append("%s: status %d location %r body %r; the real server: %d %r %r"
                           % (name, got_status, got_location, got_body[:60], status, location, body[:60]))
        else:
            ours = got_status == 511 or (got_status in (302, 307) and got_location.startswith(portal))
            if not ours or got_body == body:
                bad.append("%s: status %d location %r body %r: not the gateway's answer"
                           % (name, got_status, got_location, got_body[:60]))
    for line in bad:
        print(line, file=sys.stderr)
    sys.exit(1 if bad else 0)


def main():
    if sys.argv[1] == "table":
        for os_name, host, path, ua, *_ in PROBES:
            print("\t".join((os_name, host, path, ua)))
        return
    if sys.argv[1] == "check":
        check(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else None)
        return
    addr, port = sys.argv[2], int(sys.argv[3])

    class Server(http.server.ThreadingHTTPServer):
        address_family = socket.AF_INET6 if ":" in addr else socket.AF_INET

        def server_bind(self):
            if self.address_family == socket.AF_INET6:  # "::" takes IPv4 too
                self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            super().server_bind()

    Server((addr, port), Handler).serve_forever()


if __name__ == "__main__":
    main()
