#!/usr/bin/env python3
"""Helpers for scripts/bench; each mode runs inside one network namespace.

  startup CAPTIVED N ARGS...        exec -> "ready:" on stderr, N times (run in the gateway namespace)
  sink IP PORT CTL                  UDP sink with kernel receive timestamps; control over a Unix
                                    socket at path CTL (paths cross network namespaces)
  bypass ...                        sign-in -> first forwarded packet, revoke -> last forwarded
                                    packet, many rounds (run in a client namespace)
  flushwait LOGFILE SECONDS CMD...  run CMD (nft flush ruleset), wait for "restored N" in LOGFILE
  duringrestore LOGFILE SECONDS PORTAL_IP PORT CAPTIVECTL SOCKET CMD...
                                    run CMD (nft flush ruleset); until "restored N" is in LOGFILE,
                                    sign in again and again (page + form) and ask captivectl stats,
                                    each timed (run in a client namespace)
  macs N FILE                       N random locally administered MACs as `nft -f` add-element batches
  report DIR OUT                    merge DIR/*.json into OUT, print the table
  keys FILE                         check that FILE has every key of the report (bench/smoke.sh)
"""
import json
import os
import random
import re
import select
import signal
import socket
import struct
import subprocess
import sys
import time

SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)


def pct(xs, q):
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    s = sorted(xs)
    k = max(0, min(len(s) - 1, int(-(-q * len(s) // 100)) - 1))
    return s[k]


def summary(xs):
    if not xs:
        return {"n": 0, "p50": None, "p99": None, "max": None, "min": None}
    return {"n": len(xs), "min": round(min(xs), 3), "p50": round(pct(xs, 50), 3),
            "p99": round(pct(xs, 99), 3), "max": round(max(xs), 3)}


# ----------------------------------------------------------------- startup
def mode_startup(argv):
    exe, n, args = argv[0], int(argv[1]), argv[2:]
    times = []
    for _ in range(n):
        t0 = time.monotonic()
        p = subprocess.Popen([exe] + args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        ready = None
        deadline = t0 + 10
        buf = b""
        while time.monotonic() < deadline:
            r, _, _ = select.select([p.stderr], [], [], 0.5)
            if not r:
                continue
            chunk = os.read(p.stderr.fileno(), 65536)
            if not chunk:
                break
            buf += chunk
            if b"ready:" in buf:
                ready = time.monotonic()
                break
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        if ready is None:
            sys.stderr.write("startup: no ready line: %s\n" % buf.decode(errors="replace")[-500:])
            sys.exit(1)
        times.append((ready - t0) * 1000)
    print(json.dumps({"startup_ms": summary(times), "samples_ms": [round(t, 3) for t in times]}))


# ----------------------------------------------------------------- sink
def mode_sink(argv):
    ip, port, ctl = argv[0], int(argv[1]), argv[2]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    u.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    u.bind((ip, port))
    u.setblocking(False)
    try:
        os.unlink(ctl)
    except FileNotFoundError:
        pass
    c = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    c.bind(ctl)
    first = last = None
    count = 0
    while True:
        r, _, _ = select.select([u, c], [], [])
        if u in r:
            while True:
                try:
                    _, anc, _, _ = u.recvmsg(64, 64)
                except BlockingIOError:
                    break
                ts = None
                for level, kind, data in anc:
                    if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                        sec, nsec = struct.unpack("qq", data[:16])
                        ts = sec * 1_000_000_000 + nsec
                if ts is None:
                    ts = time.time_ns()
                if first is None:
                    first = ts
                last = ts
                count += 1
        if c in r:
            msg, peer = c.recvfrom(256)
            if msg == b"reset":
                first = last = None
                count = 0
            c.sendto(json.dumps({"first": first, "last": last, "count": count}).encode(), peer)


class SinkClient:
    def __init__(self, ctl):
        self.path = ctl
        self.me = ctl + ".client.%d" % os.getpid()
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            os.unlink(self.me)
        except FileNotFoundError:
            pass
        self.s.bind(self.me)
        self.s.settimeout(2)

    def ask(self, what):
        self.s.sendto(what, self.path)
        return json.loads(self.s.recv(4096))

    def close(self):
        self.s.close()
        os.unlink(self.me)


# ----------------------------------------------------------------- bypass
def http_once(host, port, request, timeout=5):
    s = socket.create_connection((host, port), timeout=timeout)
    s.sendall(request)
    data = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        data += d
    s.close()
    return data


def mode_bypass(argv):
    """bypass PORTAL_IP PORTAL_PORT SINK_IP SINK_PORT SINK_CTL CAPTIVECTL SOCKET MAC ROUNDS INTERVAL_US"""
    (portal_ip, portal_port, sink_ip, sink_port, ctl, captivectl, sock, mac, rounds,
     interval_us) = argv
    portal_port, sink_port, rounds, interval = int(portal_port), int(sink_port), int(rounds), int(interval_us) / 1e6
    try:  # PR_SET_TIMERSLACK: 1 ns, so sleeps between probes are as short as asked
        import ctypes
        ctypes.CDLL(None).prctl(29, 1, 0, 0, 0)
    except Exception:
        pass
    sink = SinkClient(ctl)
    # No return URL: a bare ?url= is dropped unless it carries the signature
    # a 511 gives it (docs/security.md), and only the sign-in is timed here.
    page = http_once(portal_ip, portal_port,
                     ("GET / HTTP/1.1\r\nHost: %s:%d\r\nConnection: close\r\n\r\n"
                      % (portal_ip, portal_port)).encode()).decode(errors="replace")
    m = re.search(r'name="token" value="([0-9a-f]+)"', page)
    if not m:
        sys.stderr.write("bypass: no token in the sign-in page: %s\n" % page[:300])
        sys.exit(1)
    body = "token=%s&url=&accept_terms=yes" % m.group(1)
    post = ("POST /login HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            "Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (portal_ip, portal_port, len(body), body)).encode()
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.setblocking(False)
    dest = (sink_ip, sink_port)
    seq = 0
    sent_times = []

    def probe():
        nonlocal seq
        seq += 1
        try:
            u.sendto(seq.to_bytes(8, "big"), dest)
        except OSError:
            pass

    signin, post_fwd, revoke, revoke_cmd, failures, intervals = [], [], [], [], [], []
    for rnd in range(rounds):
        # --- sign-in: POST the form, probe every INTERVAL until the sink sees one
        sink.ask(b"reset")
        s = socket.create_connection((portal_ip, portal_port), timeout=5)
        s.setblocking(False)
        t_post = time.time_ns()
        s.send(post)
        resp = b""
        t_resp = None
        t_probe0 = time.monotonic()
        n0 = seq
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            probe()
            if t_resp is None:
                try:
                    d = s.recv(65536)
                    if d:
                        resp += d
                        if b"\r\n\r\n" in resp:
                            t_resp = time.time_ns()
                except BlockingIOError:
                    pass
            else:
                st = sink.ask(b"query")
                if st["first"] is not None:
                    break
                if time.time_ns() - t_resp > 1_000_000_000:
                    break
            time.sleep(interval)
        if seq > n0:
            intervals.append((time.monotonic() - t_probe0) / (seq - n0) * 1e6)
        s.close()
        st = sink.ask(b"query")
        status = resp.split(b" ", 2)[1] if resp.startswith(b"HTTP/") else b"?"
        if t_resp is None or st["first"] is None or status not in (b"303", b"302", b"200"):
            failures.append("round %d sign-in: status %s, first %s" % (rnd, status.decode(), st["first"]))
            continue
        signin.append((st["first"] - t_resp) / 1e6)
        post_fwd.append((st["first"] - t_post) / 1e6)
        time.sleep(0.005)
        # --- revoke: stream, spawn captivectl, keep streaming, find the last forwarded packet
        for _ in range(20):
            probe()
            time.sleep(interval)
        t_rev = time.time_ns()
        pid = os.posix_spawn(captivectl, [captivectl, "--socket", sock, "revoke", mac], os.environ,
                             file_actions=[(os.POSIX_SPAWN_OPEN, 1, "/dev/null", os.O_WRONLY, 0)])
        rc = None
        while rc is None:
            probe()
            wp, status_ = os.waitpid(pid, os.WNOHANG)
            if wp:
                rc = os.waitstatus_to_exitcode(status_)
                t_cmd = time.time_ns()
                break
            time.sleep(interval)
        end = time.monotonic() + 0.03
        while time.monotonic() < end:
            probe()
            time.sleep(interval)
        time.sleep(0.005)
        st = sink.ask(b"query")
        if rc != 0 or st["last"] is None:
            failures.append("round %d revoke: rc %s, last %s" % (rnd, rc, st["last"]))
            continue
        revoke.append((st["last"] - t_rev) / 1e6)
        revoke_cmd.append((t_cmd - t_rev) / 1e6)
    sink.close()
    print(json.dumps({
        "signin_to_forward_ms": summary(signin),
        "post_to_forward_ms": summary(post_fwd),
        "revoke_to_dead_ms": summary(revoke),
        "revoke_command_ms": summary(revoke_cmd),
        "probe_interval_us": round(sum(intervals) / len(intervals), 1) if intervals else None,
        "rounds": rounds, "failures": len(failures), "failure_samples": failures[:5]}))


# ----------------------------------------------------------------- restore
def mode_flushwait(argv):
    logfile, seconds, cmd = argv[0], float(argv[1]), argv[2:]
    start = os.path.getsize(logfile)
    t_start = time.monotonic()
    subprocess.run(cmd, check=True)
    t0 = time.monotonic()
    found = None
    line = None
    with open(logfile, "rb") as f:
        f.seek(start)
        buf = b""
        while time.monotonic() - t0 < seconds:
            d = f.read()
            if d:
                buf += d
                # "restored N sessions" or "restored queue rule and N sessions in X ms"
                m = (re.search(rb"[^\n]*restored\D*?(\d+) sessions[^\n]*\n", buf) or
                     re.search(rb"[^\n]*restored (\d+)[^\n]*\n", buf))
                if m:
                    found = time.monotonic()
                    line = m.group(0).decode(errors="replace").strip()
                    count = int(m.group(1))
                    own = re.search(r" in ([\d.]+) ms", line)
                    own_ms = float(own.group(1)) if own else None
                    break
            time.sleep(0.001)
    if found is None:
        print(json.dumps({"supported": False, "ms": None, "restored": None, "line": None}))
    else:
        # ms: from the start of the flush command (it makes the event the daemon
        # reacts to, possibly before the command has exited) to the log line.
        print(json.dumps({"supported": True, "ms": round((found - t_start) * 1000, 3),
                          "ms_after_flush_returned": round((found - t0) * 1000, 3),
                          "flush_command_ms": round((t0 - t_start) * 1000, 3), "restored": count,
                          "daemon_ms": own_ms, "line": line}))


# ----------------------------------------------------------------- duringrestore
def page_token(portal_ip, portal_port, timeout=10):
    """GET the sign-in page: (ms, its form's token or None if no form)."""
    t0 = time.monotonic()
    page = http_once(portal_ip, portal_port,
                     ("GET / HTTP/1.1\r\nHost: %s:%d\r\nConnection: close\r\n\r\n"
                      % (portal_ip, portal_port)).encode(), timeout).decode(errors="replace")
    m = re.search(r'name="token" value="([0-9a-f]+)"', page)
    return ((time.monotonic() - t0) * 1000, m.group(1) if m else None)


def post_form(portal_ip, portal_port, token, timeout=10):
    """POST the sign-in form: (status, ms)."""
    body = "token=%s&url=&accept_terms=yes" % token
    t0 = time.monotonic()
    resp = http_once(portal_ip, portal_port,
                     ("POST /login HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                      "Content-Length: %d\r\nConnection: close\r\n\r\n%s"
                      % (portal_ip, portal_port, len(body), body)).encode(), timeout)
    status = resp.split(b" ", 2)[1].decode() if resp.startswith(b"HTTP/") else "?"
    return (status, (time.monotonic() - t0) * 1000)


def mode_duringrestore(argv):
    logfile, seconds, portal_ip, portal_port, captivectl, sock = argv[:6]
    cmd = argv[6:]
    seconds, portal_port = float(seconds), int(portal_port)
    start = os.path.getsize(logfile)
    signins, pages, statuses, ctl_ms, ctl_fail = [], [], {}, [], 0
    # The form's token is good for a while, and a sign-in again is a sign-in
    # (the kernel element is refreshed): one token serves every round. The
    # client must not be signed in now (no form otherwise).
    _, token = page_token(portal_ip, portal_port)
    if token is None:
        sys.stderr.write("duringrestore: no sign-in form (is the client signed in already?)\n")
        sys.exit(1)
    t_start = time.monotonic()
    subprocess.run(cmd, check=True)
    done_at, line = None, None
    with open(logfile, "rb") as f:
        f.seek(start)
        buf = b""
        turn = 0
        while time.monotonic() - t_start < seconds:
            buf += f.read()
            m = re.search(rb"[^\n]*restored\D*?(\d+) sessions[^\n]*\n", buf)
            if m:
                done_at = time.monotonic()
                line = m.group(0).decode(errors="replace").strip()
                break
            turn += 1
            if turn % 2:
                try:
                    status, ms = post_form(portal_ip, portal_port, token)
                    statuses[status] = statuses.get(status, 0) + 1
                    if status in ("200", "303"):
                        signins.append(ms)
                    pages.append(page_token(portal_ip, portal_port)[0])
                except OSError as e:
                    statuses[type(e).__name__] = statuses.get(type(e).__name__, 0) + 1
            else:
                t0 = time.monotonic()
                rc = subprocess.run([captivectl, "--socket", sock, "stats"], stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL, timeout=30).returncode
                if rc == 0:
                    ctl_ms.append((time.monotonic() - t0) * 1000)
                else:
                    ctl_fail += 1
    restored = None
    if line:
        m = re.search(r"(\d+) sessions", line)
        restored = int(m.group(1)) if m else None
    print(json.dumps({
        "restore_ms": round((done_at - t_start) * 1000, 1) if done_at else None,
        "restored": restored, "line": line,
        "signin_ms": summary(signins), "page_ms": summary(pages), "signin_status": statuses,
        "ctl_stats_ms": summary(ctl_ms), "ctl_failures": ctl_fail,
        "note": "signin_ms: POST /login -> response (the kernel has the MAC); page_ms: GET /; "
                "captivectl stats: spawn -> exit; alternating from the flush until captived logs the restore"}))


# ----------------------------------------------------------------- macs
def mode_macs(argv):
    n, path = int(argv[0]), argv[1]
    seen = set()
    rnd = random.Random()
    with open(path, "w") as f:
        chunk = []
        while len(seen) < n:
            b = bytearray(rnd.getrandbits(48).to_bytes(6, "big"))
            b[0] = (b[0] & 0xFC) | 0x02  # locally administered, unicast
            if b[0] == 0x02 and b[1:5] == b"\x00\x00\x00\x01":
                continue  # the sandbox's own MACs
            mac = ":".join("%02x" % x for x in b)
            if mac in seen:
                continue
            seen.add(mac)
            chunk.append(mac + " timeout 1d")
            if len(chunk) == 1000:
                f.write("add element inet captive allowed { %s }\n" % ", ".join(chunk))
                chunk = []
        if chunk:
            f.write("add element inet captive allowed { %s }\n" % ", ".join(chunk))


# ----------------------------------------------------------------- report
KEYS = [
    "meta.date", "meta.kernel", "meta.cores", "meta.quick", "meta.load_before", "meta.fuzzers",
    "intercept.captive.full.rps", "intercept.captive.full.p50_ms", "intercept.captive.full.p99_ms",
    "intercept.captive.full.p999_ms", "intercept.captive.full.connections",
    "intercept.captive.half.rps", "intercept.captive.half.p50_ms", "intercept.captive.half.p99_ms",
    "intercept.captive.half.p999_ms", "intercept.captive.cpu_pct", "intercept.captive.scaling",
    "intercept.opennds",
    "throughput.baseline_mbps", "throughput.path_calibration", "throughput.macs_1.ratio", "throughput.macs_10000.ratio",
    "throughput.macs_100000.ratio",
    "bypass.signin_to_forward_ms.p50", "bypass.signin_to_forward_ms.p99",
    "bypass.revoke_to_dead_ms.p50", "bypass.revoke_to_dead_ms.p99",
    "flood.sent_pps", "flood.queued_pps", "flood.answered_pps", "flood.cpu_pct",
    "flood.rss_before_kb", "flood.rss_after_kb", "flood.signin_during_flood",
    "restore.supported", "restore.ms",
    "restore_load.signin_ms.p99", "restore_load.ctl_stats_ms.p99",
    "memory.rss_idle_kb", "memory.rss_load_kb",
    "startup.startup_ms.p50", "startup.startup_ms.p99",
    "crowd.captive.clients", "crowd.captive.online", "crowd.captive.sign_ins_per_s",
    "crowd.captive.time_to_online_ms.p50", "crowd.captive.time_to_online_ms.p99",
    "crowd.captive.driver_cpu_pct", "crowd.captive.failures", "crowd.opennds",
    "targets",
]


def get(d, dotted):
    for k in dotted.split("."):
        if not isinstance(d, dict) or k not in d:
            raise KeyError(dotted)
        d = d[k]
    return d


def fmt(v, unit=""):
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        v = ("%.3g" % v) if abs(v) < 100 else ("%.0f" % v)
    return "%s%s" % (v, unit)


def mode_report(argv):
    d, out = argv[0], argv[1]
    r = {}
    for name in sorted(os.listdir(d)):
        if name.endswith(".json"):
            with open(os.path.join(d, name)) as f:
                part = json.load(f)
            node = r
            keys = name[:-5].split(".")
            for k in keys[:-1]:
                node = node.setdefault(k, {})
            node[keys[-1]] = part
    th = r.get("throughput", {})
    mean = lambda xs: sum(xs) / len(xs) if xs else None
    nt = th.setdefault("no_table", {})
    base_mean = mean([x for x in nt.get("mbps") or [] if x])
    # The sandbox without a table against the twin: how alike the two paths are.
    calib = None
    if base_mean and mean(nt.get("twin_mbps") or []):
        calib = base_mean / mean(nt["twin_mbps"])
    th["baseline_mbps"] = nt.get("mbps") or []
    th["baseline_mean_mbps"] = round(base_mean, 1) if base_mean else None
    th["path_calibration"] = round(calib, 3) if calib else None
    for k in ("macs_1", "macs_10000", "macs_100000"):
        v = th.setdefault(k, {"mbps": []})
        m, t = mean(v.get("mbps") or []), mean(v.get("twin_mbps") or [])
        # ratio: interleaved against the twin, corrected by the calibration;
        # ratio_vs_no_table: against the sandbox's own no-table runs (drift not cancelled)
        v["ratio_vs_twin"] = round(m / t, 3) if m and t else None
        v["ratio"] = round(m / t / calib, 3) if m and t and calib else None
        v["ratio_vs_no_table"] = round(m / base_mean, 3) if m and base_mean else None
    r["throughput"] = th
    for path, rate in (("intercept.captive", "full.rps"), ("intercept.opennds", "full.rps"),
                       ("intercept.captive_pinned", "rps"), ("flood", "queued_pps")):
        node, cpu, rps = get_or(r, path), get_or(r, path + ".cpu_pct"), get_or(r, path + "." + rate)
        if isinstance(node, dict) and cpu is not None and rps:
            # daemon CPU time per answered connection (per queued SYN in the flood)
            node["cpu_us_per_unit"] = round(cpu * 1e4 / rps, 2)
    ic = get_or(r, "intercept.captive.full.rps")
    t = {
        "throughput_100k_ratio_ge_0.98": cmp(get_or(r, "throughput.macs_100000.ratio"), 0.98, ">="),
        "signin_to_bypass_p99_lt_2ms": cmp(get_or(r, "bypass.signin_to_forward_ms.p99"), 2, "<"),
        "revoke_to_dead_p99_lt_10ms": cmp(get_or(r, "bypass.revoke_to_dead_ms.p99"), 10, "<"),
        "intercept_ge_20000_per_s": cmp(ic, 20000, ">="),
        "restore_100k_lt_1s": ((cmp(get_or(r, "restore.ms"), 1000, "<")
                                if get_or(r, "restore.target_exercised") else
                                "not exercised (restored %s sessions)" % get_or(r, "restore.restored"))
                               if get_or(r, "restore.supported") else "not supported"),
    }
    # Issue 12 item 7: at 1 000 clients (a smaller crowd says nothing about the target).
    cc = get_or(r, "crowd.captive") or {}
    big = (cc.get("clients") or 0) >= 1000
    t["crowd_ge_500_signins_per_s"] = cmp(cc.get("sign_ins_per_s"), 500, ">=") if big else "not exercised (under 1000 clients)"
    t["crowd_time_to_online_p99_le_200ms"] = (cmp(get_or(cc, "time_to_online_ms.p99"), 200.001, "<")
                                              if big else "not exercised (under 1000 clients)")
    r["targets"] = t
    with open(out, "w") as f:
        json.dump(r, f, indent=2, sort_keys=True)
        f.write("\n")
    nd = get_or(r, "intercept.opennds") or {}
    rows = [
        ("511 answers, full load (conn/s)", get_or(r, "intercept.captive.full.rps"), get_or(nd, "full.rps"), ">= 20000"),
        ("  latency p50 / p99 / p99.9 (ms)", lat(get_or(r, "intercept.captive.full")), lat(get_or(nd, "full")), ""),
        ("  half load (conn/s)", get_or(r, "intercept.captive.half.rps"), get_or(nd, "half.rps"), ""),
        ("  latency p50 / p99 / p99.9 (ms)", lat(get_or(r, "intercept.captive.half")), lat(get_or(nd, "half")), ""),
        ("  daemon CPU at full load (% of a core)", get_or(r, "intercept.captive.cpu_pct"), get_or(nd, "cpu_pct"), ""),
        ("  daemon CPU per connection (us)", get_or(r, "intercept.captive.cpu_us_per_unit"), get_or(nd, "cpu_us_per_unit"), ""),
        ("  one core each: conn/s, daemon CPU %", "%s, %s" % (fmt(get_or(r, "intercept.captive_pinned.rps")),
            fmt(get_or(r, "intercept.captive_pinned.cpu_pct"))) if get_or(r, "intercept.captive_pinned") else None, None, ""),
        ("  --queues N: conn/s, daemon CPU %", "%s, %s" % (fmt(get_or(r, "intercept.captive_queues.rps")),
            fmt(get_or(r, "intercept.captive_queues.cpu_pct"))) if get_or(r, "intercept.captive_queues") else None, None, ""),
        ("signed-in throughput, baseline (Mbit/s)", th.get("baseline_mean_mbps"), None, ""),
        ("  no table vs twin path (calibration)", th.get("path_calibration"), None, "~1"),
        ("  ratio with 1 MAC", get_or(r, "throughput.macs_1.ratio"), None, ""),
        ("  ratio with 10 000 MACs", get_or(r, "throughput.macs_10000.ratio"), None, ""),
        ("  ratio with 100 000 MACs", get_or(r, "throughput.macs_100000.ratio"), None, ">= 0.98"),
        ("sign-in response -> forwarded p50/p99 (ms)", p5099(get_or(r, "bypass.signin_to_forward_ms")), None, "p99 < 2"),
        ("revoke -> dead p50/p99 (ms)", p5099(get_or(r, "bypass.revoke_to_dead_ms")), None, "p99 < 10"),
        ("SYN flood: offered / queued / answered (pkt/s)", "%s / %s / %s" % (
            fmt(get_or(r, "flood.sent_pps")), fmt(get_or(r, "flood.queued_pps")), fmt(get_or(r, "flood.answered_pps"))), None, ""),
        ("  daemon CPU (% of a core), RSS before/after (kB)", "%s, %s/%s" % (
            fmt(get_or(r, "flood.cpu_pct")), fmt(get_or(r, "flood.rss_before_kb")), fmt(get_or(r, "flood.rss_after_kb"))), None, ""),
        ("  daemon CPU per queued SYN (us)", get_or(r, "flood.cpu_us_per_unit"), None, ""),
        ("  sign-in during flood", get_or(r, "flood.signin_during_flood"), None, "works"),
        ("sign-in during the restore p50/p99 (ms)", p5099(get_or(r, "restore_load.signin_ms")), None, ""),
        ("captivectl stats during the restore p50/p99 (ms)", p5099(get_or(r, "restore_load.ctl_stats_ms")), None, ""),
        ("restore after flush (ms, sessions restored)", "%s, %s" % (fmt(get_or(r, "restore.ms")), fmt(get_or(r, "restore.restored")))
            if get_or(r, "restore.supported") else "not supported", None, "100 000 < 1000"),
        ("RSS idle / under load (kB)", "%s / %s" % (fmt(get_or(r, "memory.rss_idle_kb")), fmt(get_or(r, "memory.rss_load_kb"))),
         "%s / %s" % (fmt(get_or(nd, "rss_idle_kb")), fmt(get_or(nd, "rss_load_kb"))) if nd.get("full") else None, ""),
        ("start-up to ready p50/p99 (ms)", p5099(get_or(r, "startup.startup_ms")), None, ""),
        ("crowd: clients online / clients", crowd_n(get_or(r, "crowd.captive")), crowd_n(get_or(r, "crowd.opennds")), ""),
        ("  sign-ins per second", get_or(r, "crowd.captive.sign_ins_per_s"), get_or(r, "crowd.opennds.sign_ins_per_s"), ">= 500"),
        ("  first probe -> online p50/p99 (ms)", p5099(get_or(r, "crowd.captive.time_to_online_ms")),
         p5099(get_or(r, "crowd.opennds.time_to_online_ms")), "p99 <= 200"),
        ("  driver CPU (% of a core)", get_or(r, "crowd.captive.driver_cpu_pct"), get_or(r, "crowd.opennds.driver_cpu_pct"), ""),
        ("crowd all at once: online, sign-ins/s", "%s, %s" % (crowd_n(get_or(r, "crowd.captive_burst")),
            fmt(get_or(r, "crowd.captive_burst.sign_ins_per_s"))) if get_or(r, "crowd.captive_burst") else None, None, ""),
        ("  first probe -> online p50/p99 (ms)", p5099(get_or(r, "crowd.captive_burst.time_to_online_ms")), None, ""),
    ]
    w = max(len(x[0]) for x in rows)
    print("%-*s  %-24s %-24s %s" % (w, "measurement", "captive", "openNDS", "target"))
    for name, a, b, tgt in rows:
        print("%-*s  %-24s %-24s %s" % (w, name, fmt(a), fmt(b), tgt))
    print("targets: " + ", ".join("%s=%s" % (k, fmt(v)) for k, v in t.items()))


def crowd_n(c):
    if not c or "clients" not in c:
        return None
    return "%s / %s" % (c.get("online"), c.get("clients"))


def get_or(d, dotted):
    try:
        return get(d, dotted)
    except KeyError:
        return None


def cmp(v, limit, op):
    if v is None:
        return None
    return v >= limit if op == ">=" else v < limit


def lat(w):
    if not w:
        return None
    return "%s / %s / %s" % (fmt(w.get("p50_ms")), fmt(w.get("p99_ms")), fmt(w.get("p999_ms")))


def p5099(s):
    if not s:
        return None
    return "%s / %s" % (fmt(s.get("p50")), fmt(s.get("p99")))


def mode_keys(argv):
    with open(argv[0]) as f:
        r = json.load(f)
    missing = []
    for k in KEYS:
        try:
            get(r, k)
        except KeyError:
            missing.append(k)
    if missing:
        print("missing keys: " + ", ".join(missing))
        sys.exit(1)
    print("all %d keys present" % len(KEYS))


if __name__ == "__main__":
    modes = {"startup": mode_startup, "sink": mode_sink, "bypass": mode_bypass, "flushwait": mode_flushwait,
             "duringrestore": mode_duringrestore,
             "macs": mode_macs, "report": mode_report, "keys": mode_keys}
    if len(sys.argv) < 2 or sys.argv[1] not in modes:
        sys.stderr.write(__doc__)
        sys.exit(2)
    modes[sys.argv[1]](sys.argv[2:])
