#!/usr/bin/env python3
"""Captive portals of other styles, for captive-probe's scenario (182). Each
answers every request the way that portal answers a probe, and logs it.

  fake_portals.py STYLE ADDR PORT [CERT KEY]
    opennds    307 to openNDS's preauth page (its FAS redirect)
    coova      302 to CoovaChilli's UAM prelogin (res=notyet)
    rewrite    200 with the portal's page (meta refresh), in place of the probe's answer
    open204    204 on /generate_204: an open network
    api-true   RFC 8908 API: {"captive": true, "user-portal-url": ...}
    api-false  RFC 8908 API: {"captive": false, ...}
  CERT KEY: serve over TLS (for the https API).
"""
import http.server, json, socket, ssl, sys

STYLE, ADDR, PORT = sys.argv[1], sys.argv[2], int(sys.argv[3])
ORIGIN = "http://%s:%d" % (ADDR, PORT)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self, status, body=b"", headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        if status != 204:
            self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if status != 204:
            self.wfile.write(body)
        self.close_connection = True

    def do_GET(self):
        if STYLE == "opennds":
            # Location on this same server, so the log shows whether it was followed.
            self.answer(307, b"", [("Location", ORIGIN + "/opennds_preauth/?fas=aGlkPTEyMw&tok=5a8e")])
        elif STYLE == "coova":
            self.answer(302, b"<html><body>Redirecting</body></html>",
                        [("Location", ORIGIN + "/prelogin?res=notyet&uamip=10.1.0.1&uamport=3990&challenge=ab12"),
                         ("Content-Type", "text/html")])
        elif STYLE == "rewrite":
            self.answer(200, ('<html><head><meta http-equiv="refresh" content="0; url=%s/login?orig=probe">'
                              '</head><body>Please sign in</body></html>' % ORIGIN).encode(),
                        [("Content-Type", "text/html")])
        elif STYLE == "open204":
            self.answer(204 if self.path == "/generate_204" else 404, b"not found\n")
        elif STYLE in ("api-true", "api-false"):
            doc = {"captive": STYLE == "api-true"}
            if doc["captive"]:
                doc["user-portal-url"] = "https://portal.example/sign-in?from=api"
            else:
                doc["seconds-remaining"] = 3540
            self.answer(200, json.dumps(doc).encode(), [("Content-Type", "application/captive+json"),
                                                        ("Cache-Control", "private")])
        else:
            self.answer(500, b"unknown style\n")

    def log_message(self, fmt, *args):
        sys.stderr.write("%s request %s\n" % (STYLE, self.path))
        sys.stderr.flush()


class Server(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6 if ":" in ADDR else socket.AF_INET


server = Server((ADDR, PORT), Handler)
if len(sys.argv) > 5:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(sys.argv[4], sys.argv[5])
    server.socket = context.wrap_socket(server.socket, server_side=True)
server.serve_forever()
