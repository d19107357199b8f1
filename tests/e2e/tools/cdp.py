#!/usr/bin/env python3
"""A small Chrome DevTools Protocol driver for the browser scenario (180).

Runs in the client's namespace next to a headless Chromium started with
--remote-debugging-port; reads one command per line on stdin and answers one
JSON line per command on stdout, so a shell scenario can drive the browser
step by step:

  cdp.py PORT [TIMEOUT]
    goto URL              navigate, wait for the load event (and any meta
                          refresh it starts): {"url", "title", "text",
                          "scheduled": reasons of the navigations pages scheduled}
    wait-url PREFIX SECS  wait until the page's URL starts with PREFIX
    state                 {"url", "title", "text"} of the page now
    eval EXPR             Runtime.evaluate, returns {"value"}
    click SELECTOR        a real mouse click (Input.dispatchMouseEvent) at the
                          element's centre: the browser's own event path
    shot FILE             Page.captureScreenshot into FILE (PNG)
    phone W H SCALE       emulate a phone screen (Emulation.setDeviceMetricsOverride,
                          mobile): headless windows are never narrower than 500 px

Only python3-websocket (Debian) and the standard library.
"""
import base64, json, sys, time, urllib.request

import websocket

START = time.monotonic()


class Page:
    def __init__(self, port, timeout):
        self.timeout = timeout
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=2) as r:
                    targets = [t for t in json.load(r) if t.get("type") == "page"]
                if targets:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"cdp: no page target on port {port} after {timeout} s")
            time.sleep(0.2)
        self.ws = websocket.create_connection(targets[0]["webSocketDebuggerUrl"], timeout=timeout,
                                              suppress_origin=True)
        self.next_id = 0
        self.events = []
        self.call("Page.enable")
        self.call("Runtime.enable")

    def call(self, method, **params):
        self.next_id += 1
        my_id = self.next_id
        self.ws.send(json.dumps({"id": my_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == my_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            if "method" in msg:
                self.note(msg)

    def note(self, msg):
        # Page events go to stderr (the scenario keeps it): a slow or stuck
        # step shows where it waited.
        if msg["method"].startswith("Page."):
            sys.stderr.write("%.3f %s %s\n" % (time.monotonic() - START, msg["method"],
                                                json.dumps(msg.get("params", {}))[:200]))
            sys.stderr.flush()
        self.events.append(msg)

    def wait_event(self, name, secs):
        deadline = time.monotonic() + secs
        while True:
            for i, e in enumerate(self.events):
                if e["method"] == name:
                    del self.events[i]
                    return e
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.ws.settimeout(left)
            try:
                msg = json.loads(self.ws.recv())
            except websocket.WebSocketTimeoutException:
                return None
            finally:
                self.ws.settimeout(self.timeout)
            if "method" in msg:
                self.note(msg)

    def evaluate(self, expr):
        r = self.call("Runtime.evaluate", expression=expr, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise RuntimeError(f"eval {expr!r}: {r['exceptionDetails']}")
        return r["result"].get("value")

    def state(self):
        return self.evaluate("({url: location.href, title: document.title,"
                             " text: document.body ? document.body.innerText : ''})")

    def settle(self):
        # The load event; then, if the page scheduled a navigation (the
        # 511's meta refresh, content="0", is scheduled right at load), the
        # load of that one too.
        scheduled = []
        while self.wait_event("Page.loadEventFired", self.timeout):
            e = self.wait_event("Page.frameScheduledNavigation", 1.5)
            if not e:
                break
            scheduled.append(e["params"].get("reason", ""))
        return scheduled

    def goto(self, url):
        self.events.clear()
        r = self.call("Page.navigate", url=url)
        if r.get("errorText"):
            return {"error": r["errorText"], **self.state()}
        scheduled = self.settle()
        return {"scheduled": scheduled, **self.state()}

    def wait_url(self, prefix, secs):
        deadline = time.monotonic() + float(secs)
        while time.monotonic() < deadline:
            s = self.state()
            if s["url"].startswith(prefix) and self.evaluate("document.readyState") == "complete":
                return s
            time.sleep(0.2)
        return {"error": f"url not {prefix}* after {secs} s", **self.state()}

    def click(self, selector):
        box = self.evaluate(
            "(() => { const e = document.querySelector(%s); if (!e) return null;"
            " e.scrollIntoView(); const r = e.getBoundingClientRect();"
            " return {x: r.left + r.width / 2, y: r.top + r.height / 2}; })()" % json.dumps(selector))
        if not box:
            return {"error": f"no element {selector}"}
        self.events.clear()
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=box["x"], y=box["y"], button="left",
                      clickCount=1)
        return {"clicked": selector, **box}

    def shot(self, path):
        data = self.call("Page.captureScreenshot", format="png")["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))
        return {"file": path}


def main():
    port = int(sys.argv[1])
    page = Page(port, float(sys.argv[2]) if len(sys.argv) > 2 else 60)
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        cmd, _, arg = line.strip().partition(" ")
        sys.stderr.write("%.3f > %s\n" % (time.monotonic() - START, line.strip()))
        try:
            if cmd == "goto":
                out = page.goto(arg)
            elif cmd == "wait-url":
                prefix, secs = arg.rsplit(" ", 1)
                out = page.wait_url(prefix, secs)
            elif cmd == "state":
                out = page.state()
            elif cmd == "eval":
                out = {"value": page.evaluate(arg)}
            elif cmd == "click":
                out = page.click(arg)
            elif cmd == "shot":
                out = page.shot(arg)
            elif cmd == "phone":
                w, h, scale = arg.split()
                page.call("Emulation.setDeviceMetricsOverride", width=int(w), height=int(h),
                          deviceScaleFactor=float(scale), mobile=True)
                out = {"phone": [int(w), int(h), float(scale)]}
            else:
                out = {"error": f"unknown command {cmd}"}
        except Exception as e:  # the scenario reports it and fails
            out = {"error": f"{type(e).__name__}: {e}"}
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
