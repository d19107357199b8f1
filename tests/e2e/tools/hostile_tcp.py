#!/usr/bin/env python3
"""Hostile TCP/IP toward captived's responder, from a client namespace.

Run inside the client's network namespace (tests/e2e/080-hostile-packets.sh).
Frames are built with scapy and sent and received on one AF_PACKET socket on
the client's interface, addressed to the gateway's MAC, so nothing of the
client's own kernel is in the way (its RSTs to our source ports must be
dropped by the caller: nft output rule on tcp sport 50000-59999).

Every case prints "ok CASE detail" or "FAIL CASE detail"; the exit status is
1 if any case failed. What a case may get back is fixed per case: a clean
answer (SYN-ACK, the 511 in segments no larger than the MSS we advertised and
never past our window, a RST with seq = the ack we sent) or silence. Only documentation addresses are used; every loop is bounded.
"""
import argparse
import os
import random
import socket
import struct
import sys
import time

from scapy.all import (IP, IPv6, TCP, Ether, Raw, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment,
                       IPv6ExtHdrHopByHop, IPv6ExtHdrRouting, PadN, raw)

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
LAN_MSS4, LAN_MSS6 = 1460, 1440


class Link:
    def __init__(self, args):
        self.a = args
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self.sock.bind((args.iface, 0))
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.next_port = args.first_port
        self.sent = 0

    def port(self):
        p = self.next_port
        self.next_port += 1
        if self.next_port > 59999:
            self.next_port = 50000
        return p

    def eth(self):
        return Ether(src=self.a.mac, dst=self.a.gw_mac)

    def ip(self, v6=False, **kw):
        if v6:
            return IPv6(src=self.a.src6, dst=self.a.dst6, **kw)
        return IP(src=self.a.src4, dst=self.a.dst4, **kw)

    def drain(self):
        self.sock.setblocking(False)
        try:
            while True:
                self.sock.recv(65535)
        except BlockingIOError:
            pass
        finally:
            self.sock.setblocking(True)

    def send(self, frame):
        data = frame if isinstance(frame, (bytes, bytearray)) else raw(frame)
        self.sock.send(data)
        self.sent += 1

    def exchange(self, frames, sport, wait=None, until_done=False, until_first=False):
        """Sends frames, returns the TCP segments the gateway sent to sport within
        `wait` s; with until_done, returns early once a SYN, FIN or RST arrived
        (an answer is complete: the responder sends each answer as one burst)."""
        wait = wait if wait is not None else (1.0 if until_done else self.a.quiet)
        self.drain()
        for f in frames:
            self.send(f)
        got = []
        deadline = time.monotonic() + wait
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            self.sock.settimeout(left)
            try:
                data, addr = self.sock.recvfrom(65535)
            except socket.timeout:
                break
            if addr[2] == PACKET_OUTGOING:
                continue
            pkt = Ether(data)
            if pkt.src.lower() != self.a.gw_mac.lower() or TCP not in pkt:
                continue
            if pkt[TCP].dport != sport:
                continue
            got.append(pkt)
            if until_done and pkt[TCP].flags & 0x07:
                break
            if until_first:
                break
        return got


def flags(seg):
    return str(seg[TCP].flags)


def payload(seg):
    return bytes(seg[TCP].payload)


def l3len(seg):
    return len(raw(seg[IP])) if IP in seg else len(raw(seg[IPv6]))


class Fail(Exception):
    pass


def expect(cond, what):
    if not cond:
        raise Fail(what)


def handshake(link, v6=False, opts=None, sport=None):
    sport = sport or link.port()
    isn = random.randrange(1 << 32)
    syn = link.eth() / link.ip(v6) / TCP(sport=sport, dport=80, flags="S", seq=isn,
                                         options=opts if opts is not None else [("MSS", 1460)])
    got = link.exchange([syn], sport, until_done=True)
    expect(len(got) == 1, "SYN: %d answers" % len(got))
    sa = got[0]
    expect(flags(sa) == "SA", "SYN answered with %s" % flags(sa))
    expect(sa[TCP].ack == (isn + 1) & 0xffffffff, "SYN-ACK ack %d != isn+1" % sa[TCP].ack)
    return sport, (isn + 1) & 0xffffffff, (sa[TCP].seq + 1) & 0xffffffff, sa


def data_seg(link, sport, seq, ack, data, v6=False, fl="PA", **kw):
    return link.eth() / link.ip(v6) / TCP(sport=sport, dport=80, flags=fl, seq=seq, ack=ack, **kw) / Raw(data)


def check_511(link, answers, seq, ack, data_len, mss, what):
    """The 511: one segment (ACK|PSH|FIN) from cookie+1 acknowledging the whole request."""
    expect(len(answers) >= 1, "%s: no answer" % what)
    body = b"".join(payload(a) for a in answers)
    expect(body.startswith(b"HTTP/1.1 511 "), "%s: not a 511: %r" % (what, body[:40]))
    expect(answers[0][TCP].seq == ack, "%s: answer seq %d != cookie+1 %d" % (what, answers[0][TCP].seq, ack))
    for a in answers:
        expect(a[TCP].ack == (seq + data_len) & 0xffffffff, "%s: answer ack %d" % (what, a[TCP].ack))
        expect(len(payload(a)) <= mss, "%s: segment of %d > MSS %d" % (what, len(payload(a)), mss))
    expect("F" in flags(answers[-1]), "%s: last segment without FIN" % what)
    head, _, rest = body.partition(b"\r\n\r\n")
    cl = [l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")]
    expect(cl and int(cl[0].split(b":")[1]) == len(rest), "%s: Content-Length does not match body" % what)
    return body


def check_rst(answers, ack, what):
    expect(len(answers) == 1, "%s: %d answers, want one RST" % (what, len(answers)))
    expect(flags(answers[0]) == "R", "%s: answered %s, want R" % (what, flags(answers[0])))
    expect(answers[0][TCP].seq == ack, "%s: RST seq %d != their ack %d" % (what, answers[0][TCP].seq, ack))
    expect(not payload(answers[0]), "%s: RST with data" % what)


def silent(answers, what):
    expect(not answers, "%s: answered %s" % (what, [flags(a) for a in answers]))


# ---------------------------------------------------------------- cases

def case_baseline(link):
    for v6 in (False, True):
        sport, seq, ack, sa = handshake(link, v6)
        opts = sa[TCP].options
        mss = LAN_MSS6 if v6 else LAN_MSS4
        expect(opts == [("MSS", mss)], "SYN-ACK options %r" % (opts,))
        expect(sa[TCP].window == 65535, "SYN-ACK window %d" % sa[TCP].window)
        req = b"GET /baseline HTTP/1.1\r\nHost: example.test\r\n\r\n"
        got = link.exchange([data_seg(link, sport, seq, ack, req, v6)], sport, until_done=True)
        body = check_511(link, got, seq, ack, len(req), mss, "baseline v6" if v6 else "baseline v4")
        expect(len(got) == 1 and flags(got[0]) == "FPA", "baseline: %d segments, flags %s" % (len(got), flags(got[0])))
        expect(b"example.test%2Fbaseline" in body, "baseline: original URL missing")
    return "SYN-ACK + 511 in one FPA segment, v4 and v6"


def case_bad_checksum(link):
    sport = link.port()
    syn = link.eth() / link.ip() / TCP(sport=sport, dport=80, flags="S", seq=1, chksum=0x1234)
    silent(link.exchange([syn], sport), "SYN with a bad TCP checksum")
    syn6 = link.eth() / link.ip(True) / TCP(sport=sport, dport=80, flags="S", seq=1, chksum=0xbeef)
    silent(link.exchange([syn6], sport), "IPv6 SYN with a bad TCP checksum")
    # A request with a valid cookie but a bad checksum is not answered either.
    sport, seq, ack, _ = handshake(link)
    bad = data_seg(link, sport, seq, ack, b"GET / HTTP/1.1\r\n\r\n", chksum=0x4321)
    silent(link.exchange([bad], sport), "request with a bad TCP checksum")
    # A bad IPv4 header checksum: the kernel drops it before our hook.
    badip = link.eth() / link.ip(chksum=0x1111) / TCP(sport=sport, dport=80, flags="S", seq=5)
    silent(link.exchange([badip], sport), "bad IPv4 header checksum")
    return "4 bad checksums, silence"


def case_malformed(link):
    sport = link.port()
    base = raw(link.ip() / TCP(sport=sport, dport=80, flags="S", seq=7, options=[("MSS", 1460)]))
    frames = []
    eth = raw(Ether(src=link.a.mac, dst=link.a.gw_mac, type=0x0800))
    # TCP header cut short: IPv4 total length covers 28 bytes only.
    cut = bytearray(base[:28])
    struct.pack_into("!H", cut, 2, 28)
    frames.append(("tcp header cut short", bytes(raw(IP(bytes(cut))))))
    for doff in (0, 2, 4, 15):  # data offset below 5, or past the segment
        t = raw(link.ip() / TCP(sport=sport, dport=80, flags="S", seq=7, dataofs=doff))
        frames.append(("data offset %d" % doff, t))
    for fl in ("SF", "", "FSRPAUEC", "R", "RA", "F", "P", "U", "SR"):
        frames.append(("flags '%s'" % fl, raw(link.ip() / TCP(sport=sport, dport=80, flags=fl, seq=9, ack=0))))
    frames.append(("port 0", raw(link.ip() / TCP(sport=0, dport=80, flags="S"))))
    # IPv4 options (record route, then garbage), and an IHL past the packet.
    frames.append(("ip options", raw(IP(src=link.a.src4, dst=link.a.dst4, options=b"\x07\x07\x04" + b"\0" * 5)
                                     / TCP(sport=sport, dport=80, flags="S", seq=3))))
    frames.append(("TCP in a short IP total length", raw(link.ip(len=24) / TCP(sport=sport, dport=80, flags="S"))))
    for what, f in frames:
        got = link.exchange([eth + f], sport, wait=0.15)
        if what == "ip options":
            # A SYN with IP options is still a SYN: a SYN-ACK is a clean answer.
            expect(all(flags(g) == "SA" for g in got), "%s: answered %s" % (what, [flags(g) for g in got]))
            continue
        silent(got, what)
    return "%d malformed segments, silence" % len(frames)


def case_stray(link):
    # ACKs for connections we never made: RST, seq = their ack. A pure ACK
    # (no payload, no SYN/FIN/RST) is not even queued (nft/captive.nft): the
    # forward chain drops it, silence.
    for v6 in (False, True):
        for fl in ("A", "PA", "FA"):
            sport = link.port()
            a = random.randrange(1 << 32)
            seg = link.eth() / link.ip(v6) / TCP(sport=sport, dport=80, flags=fl, seq=100, ack=a) / (
                Raw(b"GET / HTTP/1.1\r\n\r\n") if "P" in fl else b"")
            if fl == "A":
                silent(link.exchange([seg], sport), "stray pure ACK")
            else:
                check_rst(link.exchange([seg], sport, until_done=True), a, "stray %s" % fl)
    # A SYN-ACK from the client: RST too; a RST: never answered.
    sport = link.port()
    check_rst(link.exchange([link.eth() / link.ip() / TCP(sport=sport, dport=80, flags="SA", seq=1, ack=77)], sport, until_done=True),
              77, "SYN-ACK from the client")
    silent(link.exchange([link.eth() / link.ip() / TCP(sport=sport, dport=80, flags="RA", seq=1, ack=77)], sport), "RST")
    return "stray ACKs with data or FIN reset with seq = their ack; pure ACKs and RSTs not answered"


def case_options(link):
    # What each SYN advertises; every segment of the answer must be <= it
    # (RFC 9293 §3.7.1; 536 without the option).
    odd = {
        "no options": ([], 536),
        "MSS 64": ([("MSS", 64)], 64),
        "MSS 100": ([("MSS", 100)], 100),
        "MSS 65535": ([("MSS", 65535)], 1460),
        "MSS 300": ([("MSS", 300)], 300),
        "40 NOPs": ([("NOP", None)] * 40, 536),
        "wscale+sack+ts": ([("MSS", 1460), ("WScale", 14), ("SAckOK", b""), ("Timestamp", (1, 0))], 1460),
        "unknown kind 254": ([(254, b"x" * 36)], 536),
        "EOL then junk": ([("EOL", None), (2, b"\x05\xb4")], 536),
    }
    seen = []
    for what, (opts, mss) in odd.items():
        sport, seq, ack, sa = handshake(link, opts=opts)
        expect(sa[TCP].options == [("MSS", 1460)], "%s: SYN-ACK options %r" % (what, sa[TCP].options))
        req = b"GET /" + b"o" * 40 + b" HTTP/1.1\r\nHost: options.test\r\n\r\n"
        got = link.exchange([data_seg(link, sport, seq, ack, req)], sport, until_done=True)
        check_511(link, got, seq, ack, len(req), mss, what)
        expect(max(len(payload(a)) for a in got) <= mss, "%s: segment above the MSS asked for" % what)
        seen.append("%s:%d" % (what, len(got)))
    # Raw option bytes no builder would make: length 0, length past the header,
    # MSS with a wrong length. A SYN-ACK (default MSS) or silence.
    for what, ob in (("len 0", b"\x02\x00\x01\x01"), ("len past header", b"\x02\x28\x05\xb4"),
                     ("MSS len 3", b"\x02\x03\x05\x01"), ("MSS len 6", b"\x02\x06\x05\xb4\x00\x00"),
                     ("kind 1 then len 1", b"\x01\x08\x01\x00")):
        sport = link.port()
        ob = ob + b"\0" * (-len(ob) % 4)
        # The option bytes follow the 20-byte header and the data offset
        # covers them: on the wire they are options (checksum over all of it).
        pkt = link.ip() / TCP(sport=sport, dport=80, flags="S", seq=11, dataofs=5 + len(ob) // 4) / Raw(ob)
        got = link.exchange([raw(link.eth() / pkt)], sport, wait=0.2)
        expect(all(flags(g) == "SA" and g[TCP].options == [("MSS", 1460)] for g in got),
               "%s: answered %r" % (what, [(flags(g), g[TCP].options) for g in got]))
        seen.append("%s:%s" % (what, "SA" if got else "-"))
    return "; ".join(seen)


def case_tiny_mss(link):
    """An MSS below 64 is not served: no SYN-ACK at all (docs/responder.md)."""
    for mss in (0, 1, 40, 63):
        sport = link.port()
        syn = link.eth() / link.ip() / TCP(sport=sport, dport=80, flags="S", seq=5, options=[("MSS", mss)])
        silent(link.exchange([syn], sport), "MSS %d" % mss)
    return "MSS 0, 1, 40, 63: no SYN-ACK"


def case_window(link):
    """A request whose window is smaller than the answer gets what fits and no
    ACK of the request; its retransmission, acking what came, gets the rest."""
    notes = []
    for window in (100, 7):
        sport, seq, ack, _ = handshake(link)
        req = b"GET /window HTTP/1.1\r\nHost: window.test\r\n\r\n"
        body = b""
        rounds = 0
        while rounds < 200:
            rounds += 1
            mine = (ack + len(body)) & 0xffffffff
            # A window under the MSS takes one segment per round.
            got = link.exchange([data_seg(link, sport, seq, mine, req, window=window)], sport,
                                wait=2.0, until_first=True)
            expect(got, "window %d: no answer in round %d" % (window, rounds))
            sent = sum(len(payload(a)) + (1 if "F" in flags(a) else 0) for a in got)
            expect(sent <= window, "window %d: %d bytes in one round" % (window, sent))
            expect(got[0][TCP].seq == mine, "window %d: part starts at %d, not %d" % (window, got[0][TCP].seq, mine))
            body += b"".join(payload(a) for a in got)
            if "F" in flags(got[-1]):
                expect(got[-1][TCP].ack == (seq + len(req)) & 0xffffffff, "window %d: last part's ack" % window)
                break
            expect(all(a[TCP].ack == seq for a in got), "window %d: a part acknowledged the request" % window)
        expect(body.startswith(b"HTTP/1.1 511 "), "window %d: not a 511: %r" % (window, body[:40]))
        head, _, rest = body.partition(b"\r\n\r\n")
        cl = [l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")]
        expect(cl and int(cl[0].split(b":")[1]) == len(rest), "window %d: Content-Length does not match" % window)
        notes.append("window %d: %d rounds" % (window, rounds))
    return "; ".join(notes)


def case_real_client(link):
    """This kernel's own TCP as the client (no scapy): MSS 88 (TCP_MAXSEG's
    minimum) and a receive window clamped to its minimum (TCP_WINDOW_CLAMP,
    about 1 KB) against a 511 of ~1.4 KB. Every segment we send is <= 88
    bytes, and the whole answer arrives: the parts the window did not take
    come when the kernel retransmits the unacknowledged request."""
    TCP_WINDOW_CLAMP = 10
    # A URL that fits one 1460-byte segment uncut: a 511 of ~1.4 KB.
    # (with the link's two `&amp;sig=` of 16 hex digits, about 1.43 KB).
    path = "/" + "w" * 400  # twice in the body, under the 512 cap
    notes = []
    for mss, clamp in ((88, 0), (1460, 1)):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, mss)
        if clamp:  # both to their minimum: a window of about 1 KB
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1)
            s.setsockopt(socket.IPPROTO_TCP, TCP_WINDOW_CLAMP, clamp)
        s.bind((link.a.src4, 0))
        sport = s.getsockname()[1]
        s.settimeout(20)
        link.drain()
        t0 = time.monotonic()
        s.connect((link.a.dst4, 80))
        s.sendall(("GET %s HTTP/1.1\r\nHost: real.test\r\n\r\n" % path).encode())
        body = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            body += chunk
        took = time.monotonic() - t0
        s.close()
        head, _, rest = body.partition(b"\r\n\r\n")
        expect(body.startswith(b"HTTP/1.1 511 "), "mss %d: not a 511: %r" % (mss, body[:40]))
        cl = [l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")]
        expect(cl and int(cl[0].split(b":")[1]) == len(rest), "mss %d: Content-Length does not match" % mss)
        # What arrived on the wire for this connection, from the gateway.
        sizes = []
        link.sock.setblocking(False)
        try:
            while True:
                data, addr = link.sock.recvfrom(65535)
                if addr[2] == PACKET_OUTGOING:
                    continue
                pkt = Ether(data)
                if TCP in pkt and pkt.src.lower() == link.a.gw_mac.lower() and pkt[TCP].dport == sport:
                    sizes.append(len(payload(pkt)))
        except BlockingIOError:
            pass
        finally:
            link.sock.setblocking(True)
        expect(sizes and max(sizes) <= mss, "mss %d: segments of %r" % (mss, sorted(set(sizes))))
        if clamp:
            expect(len(body) > 1200, "window clamped: answer of only %d bytes" % len(body))
        notes.append("mss %d%s: %d bytes in %d segments (largest %d), %.2f s" %
                     (mss, " window clamped" if clamp else "", len(body), len([x for x in sizes if x]),
                      max(sizes), took))
    return "; ".join(notes)


def case_group_mac(link):
    """A frame from a multicast or broadcast source MAC is nobody's: no answer."""
    for mac in ("ff:ff:ff:ff:ff:ff", "01:00:5e:00:00:01", "33:33:00:00:00:01"):
        sport = link.port()
        syn = Ether(src=mac, dst=link.a.gw_mac) / link.ip() / TCP(sport=sport, dport=80, flags="S", seq=9,
                                                                  options=[("MSS", 1460)])
        silent(link.exchange([syn], sport), "source %s" % mac)
    return "broadcast and multicast source MACs: silence"


def case_segments(link):
    notes = []
    req = b"GET /split/path HTTP/1.1\r\nHost: split.test\r\nAccept: */*\r\n\r\n"
    # Out of order: the second half first is continuation text (ignored), then
    # the first half is answered; a retransmission gets byte-identical frames.
    sport, seq, ack, _ = handshake(link)
    p1, p2 = req[:20], req[20:]
    silent(link.exchange([data_seg(link, sport, seq + len(p1), ack, p2)], sport), "second half first")
    first = link.exchange([data_seg(link, sport, seq, ack, p1)], sport, until_done=True)
    check_511(link, first, seq, ack, len(p1), LAN_MSS4, "first half after second")
    again = link.exchange([data_seg(link, sport, seq, ack, p1)], sport, until_done=True)
    expect([raw(a) for a in again] == [raw(a) for a in first], "retransmission not answered byte-identically")
    notes.append("out-of-order + identical retransmit")
    # Overlap: the whole request again over the first half.
    whole = link.exchange([data_seg(link, sport, seq, ack, req)], sport, until_done=True)
    check_511(link, whole, seq, ack, len(req), LAN_MSS4, "overlapping retransmission")
    notes.append("overlap")
    # One byte a segment: no segment starts a request; all silent, then the
    # coalesced retransmission (as Linux sends) is answered.
    sport, seq, ack, _ = handshake(link)
    frames = [data_seg(link, sport, seq + i, ack, req[i:i + 1]) for i in range(len(req))]
    silent(link.exchange(frames, sport), "request in 1-byte segments")
    got = link.exchange([data_seg(link, sport, seq, ack, req)], sport, until_done=True)
    check_511(link, got, seq, ack, len(req), LAN_MSS4, "coalesced after 1-byte segments")
    notes.append("%d one-byte segments silent" % len(req))
    # Data past the window, a segment with ack past our answer: nothing.
    silent(link.exchange([data_seg(link, sport, seq + 10 ** 6, ack + 5000, b"more text")], sport),
           "ack inside our answer, far seq")
    # Duplicate SYN inside an open exchange: the same SYN-ACK again.
    isn = random.randrange(1 << 32)
    sport = link.port()
    syn = link.eth() / link.ip() / TCP(sport=sport, dport=80, flags="S", seq=isn, options=[("MSS", 1460)])
    a1 = link.exchange([syn], sport, until_done=True)
    a2 = link.exchange([syn], sport, until_done=True)
    expect(len(a1) == 1 and [raw(x) for x in a1] == [raw(x) for x in a2], "duplicate SYN answered differently")
    notes.append("duplicate SYN identical")
    # A full-size segment (1460 bytes of request).
    sport, seq, ack, _ = handshake(link)
    big = b"GET /big HTTP/1.1\r\nHost: big.test\r\nX-Pad: " + b"p" * (1460 - 47) + b"\r\n\r\n"
    big = big[:1460]
    got = link.exchange([data_seg(link, sport, seq, ack, big)], sport, until_done=True)
    check_511(link, got, seq, ack, len(big), LAN_MSS4, "full-size segment")
    notes.append("1460-byte request")
    # IPv4 fragments of a request: silence (the first cannot be checksummed,
    # later ones carry no TCP header) or a clean answer.
    sport, seq, ack, _ = handshake(link)
    pkt = link.ip(flags=0) / TCP(sport=sport, dport=80, flags="PA", seq=seq, ack=ack) / Raw(req)
    body = raw(pkt)
    ihl = 20
    frag1 = bytearray(body[:ihl + 24])
    struct.pack_into("!HH", frag1, 2, len(frag1), 0x2000)  # MF, offset 0
    frag2 = bytearray(body[:ihl]) + body[ihl + 24:]
    struct.pack_into("!HH", frag2, 2, len(frag2), 0x0003)  # offset 24
    frames = []
    for f in (frag1, frag2):
        struct.pack_into("!H", f, 10, 0)
        ip = IP(bytes(f))
        del ip.chksum
        frames.append(link.eth() / IP(raw(ip)))
    got = link.exchange(frames, sport)
    expect(all(flags(g) in ("FPA", "R") for g in got), "fragments answered %r" % [flags(g) for g in got])
    notes.append("fragments: %s" % ([flags(g) for g in got] or "silence"))
    return ", ".join(notes)


def case_http(link):
    notes = []
    answers = {
        "absurd host": b"GET / HTTP/1.1\r\nHost: " + b"a" * 1200 + b"\r\n\r\n",
        "control bytes in host": b"GET / HTTP/1.1\r\nHost: ex\x01\x02ample\r\n\r\n",
        "two hosts": b"GET / HTTP/1.1\r\nHost: one.test\r\nHost: two.test\r\n\r\n",
        "markup in host": b"GET /x HTTP/1.1\r\nHost: evil.test\"><script>alert(1)</script>\r\n\r\n",
        "no host, HTTP/1.0": b"GET /nohost HTTP/1.0\r\n\r\n",
        "pipelined": b"GET /a HTTP/1.1\r\nHost: p.test\r\n\r\nGET /b HTTP/1.1\r\nHost: p.test\r\n\r\n",
        "absolute form": b"GET http://abs.test/\"<x> HTTP/1.1\r\nHost: other.test\r\n\r\n",
        "huge target": b"GET /" + b"t" * 1300 + b" HTTP/1.1\r\nHost: t.test\r\n\r\n",
        "CONNECT": b"CONNECT upstream.test:443 HTTP/1.1\r\nHost: upstream.test:443\r\n\r\n",
        "odd method": b"BREW /pot HTTP/1.1\r\n\r\n",
        "target cut short": b"GET /only-a-target",
        "lf only": b"GET /lf HTTP/1.1\nHost: lf.test\n\n",
        "utf-8 target": "GET /\u00e9t\u00e9 HTTP/1.1\r\nHost: u.test\r\n\r\n".encode(),
    }
    for what, req in answers.items():
        sport, seq, ack, _ = handshake(link)
        got = link.exchange([data_seg(link, sport, seq, ack, req)], sport, until_done=True)
        if what == "utf-8 target":
            # Bytes >= 0x80 are not VCHAR: the target ends there; either way clean.
            expect(all(flags(g) in ("FPA", "R") for g in got) and got, "%s: %r" % (what, [flags(g) for g in got]))
            notes.append("%s:%s" % (what, flags(got[0])))
            continue
        body = check_511(link, got, seq, ack, len(req), LAN_MSS4, what)
        expect(len(got) == 1, "%s: %d segments, want one" % (what, len(got)))
        low = body.lower()
        expect(b"<script>" not in low and b"<x>" not in low, "%s: markup echoed unescaped" % what)
        expect(len(body) <= LAN_MSS4, what)
        notes.append(what)
    resets = {
        "binary garbage": bytes([0x16, 0x00]) + random.Random(7).randbytes(300),
        "TLS ClientHello": bytes.fromhex("16030100a5010000a10303") + os.urandom(32) + b"\x00" * 40,
        "h2 preface": b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
        "HTTP/0.9": b"GET /\r\n",
        "RTSP": b"OPTIONS rtsp://x/ RTSP/1.0\r\nCSeq: 1\r\n\r\n",
        "NUL bytes": b"\0" * 64,
        "SSH banner": b"SSH-2.0-OpenSSH_9.2\r\n",
        "bytes >= 0x80 only": b"\xa5" * 300,
    }
    for what, req in resets.items():
        sport, seq, ack, _ = handshake(link)
        got = link.exchange([data_seg(link, sport, seq, ack, req)], sport, until_done=True)
        if what in ("SSH banner", "bytes >= 0x80 only"):  # text (UTF-8) that starts no request: ignored
            silent(got, what)
            notes.append(what + ":silence")
            continue
        check_rst(got, ack, what)
        notes.append(what + ":RST")
    # Continuation text right after the handshake: silence.
    sport, seq, ack, _ = handshake(link)
    silent(link.exchange([data_seg(link, sport, seq, ack, b"Host: nothing.test\r\n\r\n")], sport), "continuation")
    return ", ".join(notes)


def case_ipv6_ext(link):
    notes = []
    tcp = lambda sport: TCP(sport=sport, dport=80, flags="S", seq=1234, options=[("MSS", 1440)])
    chains = {
        "hop-by-hop": lambda: IPv6ExtHdrHopByHop(options=[PadN(optdata=b"\0" * 4)]),
        "hbh+dest+routing": lambda: IPv6ExtHdrHopByHop() / IPv6ExtHdrDestOpt() / IPv6ExtHdrRouting(type=4, segleft=0),
        "atomic fragment": lambda: IPv6ExtHdrFragment(offset=0, m=0, id=99),
        "8 dest options": lambda: IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt()
        / IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt(),
        "40 dest options": lambda: _chain(40),
        "routing type 0": lambda: IPv6ExtHdrRouting(type=0, segleft=1, addresses=["2001:db8:2::9"]),
        "first fragment (M)": lambda: IPv6ExtHdrFragment(offset=0, m=1, id=7),
        "later fragment": lambda: IPv6ExtHdrFragment(offset=3, m=0, id=7),
    }
    for what, make in chains.items():
        sport = link.port()
        pkt = link.eth() / link.ip(True) / make() / tcp(sport)
        got = link.exchange([pkt], sport, wait=0.25)
        for g in got:
            expect(flags(g) == "SA" and g[TCP].ack == 1235 and IPv6 in g and g[IPv6].dst == link.a.src6,
                   "%s: answered %r" % (what, g.summary()))
            expect(IPv6ExtHdrHopByHop not in g and IPv6ExtHdrDestOpt not in g, "%s: echoed ext headers" % what)
        notes.append("%s:%s" % (what, "SA" if got else "-"))
    # Header lengths past the packet, an unknown next header, a loop of
    # fragment headers: silence.
    sport = link.port()
    bad = []
    h = IPv6ExtHdrDestOpt(len=30) / tcp(sport)
    bad.append(("dest opts longer than the packet", link.eth() / link.ip(True) / h))
    bad.append(("unknown next header", link.eth() / link.ip(True, nh=253) / Raw(raw(tcp(sport)))))
    frag = b"".join(raw(IPv6ExtHdrFragment(nh=44, offset=0, m=0, id=i)) for i in range(20))
    bad.append(("20 fragment headers", link.eth() / link.ip(True, nh=44) / Raw(frag)))
    for what, f in bad:
        got = link.exchange([f], sport, wait=0.15)
        silent(got, what)
        notes.append(what + ":-")
    return ", ".join(notes)


def _chain(n):
    h = IPv6ExtHdrDestOpt()
    for _ in range(n - 1):
        h = h / IPv6ExtHdrDestOpt()
    return h


def tcp_checksum(t, off, v6):
    """Recomputes the TCP checksum of the IP packet t (bytearray) in place."""
    seg = bytes(t[off:])
    if v6:
        pseudo = bytes(t[8:40]) + struct.pack("!IxxxB", len(seg), 6)
    else:
        pseudo = bytes(t[12:20]) + struct.pack("!xBH", 6, len(seg))
    seg = seg[:16] + b"\0\0" + seg[18:]
    data = pseudo + seg + (b"\0" if len(seg) % 2 else b"")
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xffff) + (total >> 16)
    struct.pack_into("!H", t, off + 16, ~total & 0xffff)


def case_flood(link):
    """N hostile frames as fast as the socket takes them; answers are not read."""
    n = link.a.count
    rnd = random.Random(1234)
    eth4 = raw(link.eth())
    templates = []
    for v6 in (False, True):
        ip = link.ip(v6)
        templates += [
            raw(ip / TCP(dport=80, flags="S", options=[("MSS", 1460)])),
            raw(ip / TCP(dport=80, flags="A", ack=5)),
            raw(ip / TCP(dport=80, flags="PA", ack=5) / Raw(b"GET / HTTP/1.1\r\n\r\n")),
            raw(ip / TCP(dport=80, flags="S", chksum=1)),
            raw(ip / TCP(dport=80, flags="FSRPAU")),
            raw(ip / TCP(dport=80, flags="R")),
        ]
    sent = 0
    for i in range(n):
        t = bytearray(templates[i % len(templates)])
        v6 = (t[0] >> 4) == 6
        off = 40 if v6 else 20
        # A fresh source port and sequence; some frames get random bytes past
        # the IP header, some are cut short (lengths then disagree).
        struct.pack_into("!H", t, off, 50000 + rnd.randrange(10000))
        struct.pack_into("!I", t, off + 4, rnd.randrange(1 << 32))
        kind = i % 7
        if kind == 5:
            for _ in range(4):
                t[off + rnd.randrange(len(t) - off)] = rnd.randrange(256)
        if kind < 5 or (kind == 5 and i % 2):
            tcp_checksum(t, off, v6)  # garbage with a valid checksum goes deeper
        if kind == 6:
            t = t[:off + rnd.randrange(len(t) - off)]
        link.send(eth4[:12] + (b"\x86\xdd" if v6 else b"\x08\x00") + bytes(t))
        sent += 1
        if i % 500 == 499:
            time.sleep(0.02)  # keep within the queue's burst capacity
    return "%d frames sent" % sent


CASES = {
    "baseline": case_baseline,
    "bad_checksum": case_bad_checksum,
    "malformed": case_malformed,
    "stray": case_stray,
    "options": case_options,
    "tiny_mss": case_tiny_mss,
    "window": case_window,
    "group_mac": case_group_mac,
    "real_client": case_real_client,
    "segments": case_segments,
    "http": case_http,
    "ipv6_ext": case_ipv6_ext,
    "flood": case_flood,
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iface", default="eth0")
    ap.add_argument("--mac", required=True)
    ap.add_argument("--gw-mac", required=True)
    ap.add_argument("--src4", required=True)
    ap.add_argument("--dst4", required=True)
    ap.add_argument("--src6", required=True)
    ap.add_argument("--dst6", required=True)
    ap.add_argument("--first-port", type=int, default=50000)
    ap.add_argument("--count", type=int, default=3000)
    ap.add_argument("--quiet", type=float, default=0.2, help="seconds of silence that count as no answer")
    ap.add_argument("cases", nargs="+")
    args = ap.parse_args()
    random.seed(int(os.environ.get("HOSTILE_SEED", "42")))
    link = Link(args)
    failed = 0
    for name in args.cases:
        try:
            detail = CASES[name](link)
            print("ok %s %s" % (name, detail), flush=True)
        except Fail as e:
            failed += 1
            print("FAIL %s %s" % (name, e), flush=True)
    print("frames sent: %d" % link.sent, flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
