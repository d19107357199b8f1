#!/usr/bin/env python3
"""Writes the seed corpora in fuzz/corpus/<target>/ (committed; re-run after
changing an input format). Sources: the frames captured from a real Linux
client in tests/fixtures/core/captured_frames.txt (curl 7.88.1), requests
curl 7.88.1 sent to a listening socket (below, verbatim), and kernel-shaped
netlink messages laid out as in the unit tests of nfq, nft and neigh.

Targets that read their input with FuzzedDataProvider take integers from the
END of the input (last byte first) and byte strings from the front; Fdp
below writes inputs in that layout.
Usage: fuzz/make_seeds.py   (from anywhere)
"""
import os
import shutil
import struct
from pathlib import Path

ROOT = Path(__file__).resolve().parent
CORPUS = ROOT / "corpus"
FRAMES = {}
for line in (ROOT.parent / "tests/fixtures/core/captured_frames.txt").read_text().split("\n"):
    if line.strip():
        name, hexbytes = line.split()
        FRAMES[name] = bytes.fromhex(hexbytes)
ETH = 14

# curl 7.88.1 against a socket on [::1]:18511 (TOKEN: see portal_handler_fuzzer.cpp).
CURL = [
    b"GET /?url=http%3A%2F%2Fexample.com%2Fsome%2Fpath%3Fx%3D1 HTTP/1.1\r\nHost: [::1]:18511\r\n"
    b"User-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n",
    b"POST /login HTTP/1.1\r\nHost: [::1]:18511\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n"
    b"Content-Length: 79\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\n"
    b"token=TOKEN&url=http%3A%2F%2Fexample.com%2Fsome%2Fpath%3Fx%3D1&accept_terms=yes",
    b"HEAD / HTTP/1.1\r\nHost: [::1]:18511\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n",
    b"POST /login HTTP/1.1\r\nHost: [::1]:18511\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n"
    b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 60\r\n\r\n"
    b"url=https%3A%2F%2Fexample.org%2Fa+b%3C%22x%22%3E&token=TOKEN",
]
# What curl sends through the gateway (the captured frames' payload).
INTERCEPTED = [
    FRAMES["v4_request"][ETH + 20 + 32:],
    FRAMES["v6_request"][ETH + 40 + 32:],
    b"GET http://example.com/abs?q=1 HTTP/1.1\r\nHost: example.com\r\n\r\n",
    b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
    b"GET /generate_204 HTTP/1.1\r\nHost: connectivitycheck.gstatic.com\r\nUser-Agent: Dalvik/2.1.0\r\n\r\n",
    b"GET /hotspot-detect.html HTTP/1.0\r\nHost: captive.apple.com\r\n\r\n",
    b"GET /some/pa",
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
]


class Fdp:
    """Builds an input for LLVM's FuzzedDataProvider."""

    def __init__(self):
        self.front = b""
        # Consumed in order. FuzzedDataProvider reads an integral from the end
        # of the data backwards, the first byte it reads being the most
        # significant: so each chunk is laid out least significant first.
        self.back = []

    def integral(self, value, lo, hi):
        span, n = hi - lo, 0
        while n < 8 and (span >> (8 * n)) > 0:
            n += 1
        v = value - lo
        self.back.append(bytes((v >> (8 * i)) & 0xFF for i in range(n)))
        return self

    def u8(self, v): return self.integral(v, 0, 0xFF)
    def u16(self, v): return self.integral(v, 0, 0xFFFF)
    def u32(self, v): return self.integral(v, 0, 0xFFFFFFFF)
    def flag(self, b): return self.u8(1 if b else 0)

    def raw(self, data):
        self.front += data
        return self

    def string(self, data):  # ConsumeRandomLengthString: '\\' + other ends it
        self.front += data.replace(b"\\", b"\\\\") + b"\\ "
        return self

    def build(self):
        return self.front + b"".join(reversed(self.back))


def ones_sum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def with_tcp_checksum(l3):
    """The captured frames carry only the pseudo-header sum (CHECKSUM_PARTIAL)."""
    l3 = bytearray(l3)
    if l3[0] >> 4 == 4:
        ihl = (l3[0] & 15) * 4
        src, dst, tcp = bytes(l3[12:16]), bytes(l3[16:20]), ihl
        pseudo = src + dst + struct.pack("!BBH", 0, 6, len(l3) - ihl)
    else:
        src, dst, tcp = bytes(l3[8:24]), bytes(l3[24:40]), 40
        pseudo = src + dst + struct.pack("!IxxxB", len(l3) - 40, 6)
    l3[tcp + 16:tcp + 18] = b"\0\0"
    l3[tcp + 16:tcp + 18] = struct.pack("!H", 0xFFFF - ones_sum(pseudo + bytes(l3[tcp:])) or 0xFFFF)
    return bytes(l3)


def write(target, name, data):
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data)


def packet_views():
    for name, frame in FRAMES.items():
        write("packet_views", name + "_frame", frame)
        write("packet_views", name + "_l3", frame[ETH:])
        write("packet_views", name + "_l3_checksummed", with_tcp_checksum(frame[ETH:]))
        write("packet_views", name + "_copy_range_64", frame[ETH:ETH + 64])
    v6 = FRAMES["v6_request"][ETH:]
    tcp = v6[40:]
    hbh = bytes([6, 0]) + b"\x01\x04\0\0\0\0"           # hop-by-hop, PadN
    frag = bytes([6, 0, 0, 0]) + b"\x12\x34\x56\x78"      # first fragment, M=0
    dst = bytes([44, 0]) + b"\x01\x04\0\0\0\0"            # destination options
    for name, ext, first in (("v6_hop_by_hop", hbh, 0), ("v6_dst_frag", dst + frag, 60)):
        hdr = bytearray(v6[:40])
        hdr[6] = first
        struct.pack_into("!H", hdr, 4, len(ext) + len(tcp))
        write("packet_views", name, bytes(hdr) + ext + tcp)
    later = bytearray(v6[:40])
    later[6] = 44
    struct.pack_into("!H", later, 4, 8 + 16)
    write("packet_views", "v6_later_fragment", bytes(later) + bytes([6, 0, 0, 0x08]) + b"\0" * 20)
    v4 = bytearray(FRAMES["v4_request"][ETH:])
    opts = b"\x01\x01\x01\x00"  # NOP NOP NOP EOL: IHL 6
    with_opts = bytearray(v4[:20]) + opts + v4[20:]
    with_opts[0] = 0x46
    struct.pack_into("!H", with_opts, 2, len(with_opts))
    write("packet_views", "v4_ip_options", bytes(with_opts))


def responder_seeds():
    def settings(f, mtu=None):
        f.flag(mtu is None)
        if mtu is not None:
            f.u16(mtu)
        f.integral(0, 0, 3)
        for i in range(16):
            f.u8(i * 17 + 3)
        f.u32(1_700_000_000)

    def built(f, v4, cookie, flags, payload=b"", mss=0, seq=1000, ack=0, fin_after=False, window=64240, delta=0):
        mode = (0x02 if v4 else 0) | (0x04 if cookie else 0) | 0x20
        f.u8(mode).integral(1, 0, 200)
        f.flag(True).flag(True)  # default client and server addresses
        f.flag(True).flag(True)  # ports 40000 -> 80
        f.u32(seq).u32(ack)
        if cookie:
            f.integral(delta, 0, 70000)
        f.u8(flags).u16(window)
        f.flag(mss != 0)
        if mss:
            f.u16(mss)
        f.string(payload)

    for v4 in (True, False):
        fam = "v4" if v4 else "v6"
        # SYN, then the captured request on the cookie, then FIN.
        f = Fdp()
        settings(f)
        f.integral(3, 1, 8)
        built(f, v4, False, 0x02, mss=1460 if v4 else 1440)
        built(f, v4, True, 0x18, INTERCEPTED[0 if v4 else 1], seq=1001)
        built(f, v4, True, 0x11, seq=1001 + len(INTERCEPTED[0]))
        write("responder", f"{fam}_handshake_request_fin", f.build())
        # Small MSS and MTU: the answer split into many segments.
        f = Fdp()
        settings(f, mtu=576)
        f.integral(2, 1, 8)
        built(f, v4, False, 0x02, mss=256)
        built(f, v4, True, 0x18, INTERCEPTED[2], seq=1001)
        write("responder", f"{fam}_small_mss", f.build())
        # MSS 64 and a 100-byte window: the answer in parts, each on the
        # request's retransmission acknowledging what came.
        f = Fdp()
        settings(f)
        f.integral(5, 1, 8)
        built(f, v4, False, 0x02, mss=64)
        for part in range(4):
            built(f, v4, True, 0x18, INTERCEPTED[0 if v4 else 1], seq=1001, window=100, delta=100 * part)
        write("responder", f"{fam}_small_window", f.build())
        # An MSS too small to serve: no SYN-ACK.
        f = Fdp()
        settings(f)
        f.integral(1, 1, 8)
        built(f, v4, False, 0x02, mss=40)
        write("responder", f"{fam}_mss_too_small", f.build())
        # The captured packets as they came off the wire (csum not ready).
        f = Fdp()
        settings(f)
        f.integral(2, 1, 8)
        for name in ("syn", "request"):
            l3 = FRAMES[f"{fam}_{name}"][ETH:]
            f.u8(0x01 | 0x20 | 0x80).integral(1, 0, 200).integral(len(l3), 0, 1600).raw(l3)
        write("responder", f"{fam}_captured", f.build())
        # Cut short by a 64-byte copy range.
        f = Fdp()
        settings(f)
        f.integral(1, 1, 8)
        l3 = FRAMES[f"{fam}_request"][ETH:]
        f.u8(0x01 | 0x10 | 0x20 | 0x80).integral(0, 0, 200).integral(len(l3), 0, 1600).raw(l3)
        f.integral(64, 0, len(l3) - 1)
        write("responder", f"{fam}_copy_range", f.build())
    for i, payload in enumerate(INTERCEPTED[2:]):
        f = Fdp()
        settings(f)
        f.integral(2, 1, 8)
        built(f, True, False, 0x02)
        built(f, True, True, 0x18, payload, seq=1001)
        write("responder", f"v4_request_{i}", f.build())


def http_seeds():
    for i, req in enumerate(INTERCEPTED):
        write("http_request", f"intercepted_{i}", req + b"\x00")
    write("http_request", "long_portal", b"http://portal.example:8511/?a=b&c=d\\ " + INTERCEPTED[0] + b"\x01")
    write("http_request", "v6_dest_8080", b"GET /x HTTP/1.1\r\n\r\n" + b"\x06")
    forms = [
        (b"url", b"url=http%3A%2F%2Fexample.com%2Fsome%2Fpath%3Fx%3D1"),
        (b"token", b"token=TOKEN&url=http%3A%2F%2Fexample.com%2Fsome%2Fpath%3Fx%3D1&accept_terms=yes"),
        (b"url", b"url=https%3A%2F%2Fexample.org%2Fa+b%3C%22x%22%3E&token=TOKEN"),
        (b"a b", b"a+b=%zz&a%20b=%41%42&&=x&url"),
        (b"x", b"<script>alert('x')</script> & \"quotes\" \xc3\xa9\xff"),
    ]
    for i, (name, text) in enumerate(forms):
        write("http_text", f"form_{i}", name + b"\\ " + text)
    for i, req in enumerate(CURL):
        f = Fdp().raw(req)
        f.u8(0x00 if i != 2 else 0x04).integral(0, 0, 10_000)
        write("portal_handler", f"curl_{i}", f.build())
    both = Fdp().raw(CURL[0] + CURL[1])
    both.u8(0x04).integral(5, 0, 10_000)  # 2001:db8:1::2? no: option bits 2-4 pick the client
    write("portal_handler", "curl_get_then_post", both.build())
    unknown = Fdp().raw(CURL[1])
    unknown.u8(3 << 2).integral(0, 0, 10_000)
    write("portal_handler", "unknown_client", unknown.build())
    # http_message: a connection's bytes, then the piece size (1 + last byte % 64).
    for i, req in enumerate(CURL):
        write("http_message", f"curl_{i}", req + bytes([i * 7]))
    write("http_message", "pipelined", CURL[0] + CURL[1] + CURL[2] + b"\x02")
    write("http_message", "chunked", b"POST /login HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n\x00")
    write("http_message", "two_lengths", b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab\x05")
    write("http_message", "obs_fold", b"GET / HTTP/1.0\r\nX: a\r\n b\r\n\r\n\x03")


def control_seeds():
    lines = [
        b'{"cmd":"list"}',
        b'{"cmd":"revoke","mac":"02:00:00:00:00:01"}',
        b'{"cmd":"stats"}',
        b'{"cmd":"revoke","mac":"02-00-00-00-00-09"}\n{"cmd":"list"}',
        b'{"cmd":"revoke"}\n{"cmd":1}\n[]\n{"cmd":"reboot"}',
        b'x\n{"cmd":"revoke","mac":"02:00:00:00:00:02"}',
        b'{"cmd":"list","extra":{"a":[1,2.5e300,null,true,"\\u00e9"]}}',
        # issue 9's commands
        b'{"cmd":"show","client":"192.0.2.2"}\n{"cmd":"show","client":"02:00:00:00:00:02"}',
        b'{"cmd":"allow","mac":"02:00:00:00:00:09","seconds":60,"ip":"192.0.2.9","rate_down":100}\n{"cmd":"allow","mac":"02:00:00:00:00:0a"}',
        b'{"cmd":"revoke","ip":"2001:db8:1::2"}\n{"cmd":"list","all":true}',
        b'{"cmd":"status"}\n{"cmd":"reload"}\n{"cmd":"extend","mac":"02:00:00:00:00:01","seconds":5}',
        b'{"cmd":"trust","mac":"02:00:00:00:00:01"}\n{"cmd":"block","mac":"x"}\n{"cmd":"unblock","mac":"02:00:00:00:00:01"}',
    ]
    for i, line in enumerate(lines):
        write("control_request", f"lines_{i}", line)


def state_file_seeds():
    good = (b'{"version":1,"sessions":[\n'
            b'{"mac":"02:00:00:00:01:02","ip":"192.0.2.2","method":"click-through","user":"",'
            b'"signed_in_at":1700000000,"expires_at":1700086400,"limits":{"idle_timeout":600,'
            b'"quota_bytes":500000000,"rate_down":null,"rate_up":null},'
            b'"traffic":{"bytes_up":1500,"packets_up":12,"bytes_down":90000,"packets_down":70},'
            b'"element":{"bytes_up":500,"packets_up":4,"bytes_down":0,"packets_down":0}},\n'
            b'{"mac":"02:00:00:00:01:03","ip":"2001:db8:1::3","method":"voucher","user":"V-1234",'
            b'"signed_in_at":null,"expires_at":1700003600,"limits":{},'
            b'"traffic":{"bytes_up":0,"packets_up":0,"bytes_down":0,"packets_down":0},'
            b'"element":{"bytes_up":0,"packets_up":0,"bytes_down":0,"packets_down":0}}\n]}\n')
    seeds = [
        good,
        b'{"version":1,"sessions":[]}\n',
        good[:len(good) // 2],  # cut short
        good.replace(b'"version":1', b'"version":2'),
        good.replace(b'"bytes_up":500', b'"bytes_up":5000'),  # element above the total
        good.replace(b'02:00:00:00:01:03', b'02:00:00:00:01:02'),  # a MAC twice
    ]
    for i, text in enumerate(seeds):
        write("state_file", f"state_{i}", text)


def voucher_store_seeds():
    good = (b'{"version":1,"vouchers":[\n'
            b'{"code":"ACDE-FG34-HJ","seconds":7200,"devices":2,"quota_bytes":1000000000,'
            b'"rate_down":250000,"rate_up":null,"created_at":1800000000,"first_used_at":1800000300,'
            b'"macs":["02:00:00:00:00:01","02:00:00:00:00:02"],"revoked":false},\n'
            b'{"code":"KMNP-QR67-TU","seconds":1800,"devices":1,"quota_bytes":null,"rate_down":null,'
            b'"rate_up":null,"created_at":1800000000,"first_used_at":null,"macs":[],"revoked":true}\n]}\n')
    seeds = [
        good,
        b'{"version":1,"vouchers":[]}\n',
        good[:len(good) // 2],  # cut short
        good.replace(b'"version":1', b'"version":2'),
        good.replace(b'KMNP-QR67-TU', b'ACDE-FG34-HJ'),  # a code twice
        good.replace(b'"devices":2', b'"devices":1'),  # more MACs than devices
    ]
    for i, text in enumerate(seeds):
        write("voucher_store", f"vouchers_{i}", text)


def args_seeds():
    argvs = [
        [b"--lan", b"br-lan"],
        [b"--lan=br-lan", b"--portal-port", b"8511", b"--session-timeout", b"24h", b"--log-level", b"debug"],
        [b"--lan", b"eth1", b"--portal-url", b"http://192.0.2.1:8511/", b"--queue-num", b"3",
         b"--site-name", b"Cafe", b"--state-dir", b"/var/lib/captive", b"--socket", b"/run/captive/c.sock"],
        [b"--help"],
        [b"--version"],
        [b"--lan"],
        [b"-x", b"--lan", b"a", b"extra"],
        [b"--session-timeout", b"366d", b"--lan", b"x"],
        [b"--lan", b"br-lan", b"--dns-server", b"198.51.100.53", b"--dns-server=2001:db8::53", b"--nft", b"/usr/sbin/nft"],
    ]
    for i, argv in enumerate(argvs):
        write("daemon_args", f"argv_{i}", b"\0".join(argv))


def config_seeds():
    # Files as an operator writes them (docs/captived.conf), then "\0\0" and
    # the command line (KEY=VALUE lines), as fuzz/config_file_fuzzer.cpp reads them.
    files = [
        b"lan br-lan\n",
        b"# captived.conf\nlan br-lan   # the bridge\nsession-timeout 2h\nsite-name Bar#1\nbind-ip\n"
        b"dns-server 198.51.100.53\ndns-server=2001:db8::53\nportal-port = 8600\r\nlog-level debug\n",
        b"lan br0\nfrobnicate 1\n",
        b"--lan br0\n",
        b"lan br0\nbind-ip yes\nconfig /etc/x\n",
        b"lan nosuch0\nportal-port 9999\nsession-timeout 2h\0\0lan=br0\nportal-port=8511\nsession-timeout=15m",
        b"lan br0\nqueue-num 65535\nqueues 2\n",
    ]
    for i, text in enumerate(files):
        write("config_file", f"conf_{i}", text)


# --- netlink ---------------------------------------------------------------
NLA_F_NESTED = 0x8000


def attr(kind, payload):
    a = struct.pack("=HH", 4 + len(payload), kind) + payload
    return a + b"\0" * ((4 - len(a) % 4) % 4)


def nest(kind, *attrs):
    return attr(kind | NLA_F_NESTED, b"".join(attrs))


def nlmsg(kind, body, flags=0, seq=1):
    return struct.pack("=IHHII", 16 + len(body), kind, flags, seq, 0) + body


def nfq_seeds():
    NFQNL_MSG_PACKET = (3 << 8) | 0  # NFNL_SUBSYS_QUEUE
    for name in ("v4_syn", "v4_request", "v6_syn", "v6_request"):
        frame = FRAMES[name]
        l3 = frame[ETH:]
        proto = 0x0800 if name.startswith("v4") else 0x86DD
        mac = frame[6:12]
        body = struct.pack("=BBH", 2 if proto == 0x0800 else 10, 0, 0)
        body += attr(1, struct.pack("!IHB", 7, proto, 1))  # NFQA_PACKET_HDR (id, proto, hook), packed: 7 bytes
        body += attr(5, struct.pack("!I", 2))                        # NFQA_IFINDEX_INDEV
        body += attr(9, struct.pack("!HH", 6, 0) + mac + b"\0\0")  # NFQA_HWADDR
        body += attr(14, struct.pack("!I", 1))                       # NFQA_SKB_INFO: CSUMNOTREADY
        body += attr(10, l3)                                         # NFQA_PAYLOAD
        write("nfq_packet", name, nlmsg(NFQNL_MSG_PACKET, body))
        if name == "v4_request":
            cut = struct.pack("=BBH", 2, 0, 0) + attr(1, struct.pack("!IHB", 8, proto, 1))
            cut += attr(10, l3[:64]) + attr(13, struct.pack("!I", len(l3)))  # NFQA_CAP_LEN
            write("nfq_packet", "v4_copy_range", nlmsg(NFQNL_MSG_PACKET, cut))


def nft_seeds():
    NEWSETELEM = (10 << 8) | 12  # NFNL_SUBSYS_NFTABLES, NFT_MSG_NEWSETELEM
    def elem(mac, timeout=None, expires=None, counter=None, exprs=False):
        a = nest(1, attr(1, mac))                               # NFTA_SET_ELEM_KEY { NFTA_DATA_VALUE }
        if timeout is not None:
            a += attr(4, struct.pack("!Q", timeout))            # NFTA_SET_ELEM_TIMEOUT
        if expires is not None:
            a += attr(5, struct.pack("!Q", expires))            # NFTA_SET_ELEM_EXPIRATION
        if counter is not None:
            ctr = nest(1 if exprs else 7, attr(1, b"counter\0"),
                       nest(2, attr(1, struct.pack("!Q", counter[0])), attr(2, struct.pack("!Q", counter[1]))))
            a += nest(11, ctr) if exprs else ctr                # NFTA_SET_ELEM_EXPRESSIONS (11) / _EXPR (7)
        return nest(1, a)                                       # NFTA_LIST_ELEM

    head = struct.pack("=BBH", 1, 0, 0) + attr(1, b"captive\0") + attr(2, b"allowed\0")
    macs = [bytes([2, 0, 0, 0, 0, i]) for i in range(1, 4)]
    write("nft_setelems", "one", nlmsg(NEWSETELEM, head + nest(3, elem(macs[0], 86_400_000, 86_000_000, (1000, 10)))))
    write("nft_setelems", "three_expressions", nlmsg(NEWSETELEM, head + nest(
        3, elem(macs[0], 60_000, 1_000, (1, 2), exprs=True), elem(macs[1]), elem(b"\x01\x02\x03\x04"))))
    write("nft_setelems", "no_timeout", nlmsg(NEWSETELEM, head + nest(3, elem(macs[2], counter=(0, 0)))))


def portal_peers_seeds():
    """nft_portal_peers: the kernel's answer to PortalPeers' one-element get
    (layout in include/captive/nft/portal_peers.hpp)."""
    NEWSETELEM = (10 << 8) | 12
    mac = b"\x02\0\0\0\0\x02"
    v4 = bytes([192, 0, 2, 2])
    v6 = bytes.fromhex("20010db8000100000000000000000002")
    port = struct.pack("!H", 40000)
    def answer(set_name, key, data=None):
        a = nest(1, attr(1, key))                               # NFTA_SET_ELEM_KEY { NFTA_DATA_VALUE }
        if data is not None:
            a += nest(2, attr(1, data))                         # NFTA_SET_ELEM_DATA { NFTA_DATA_VALUE }
        a += attr(5, struct.pack("!Q", 119_000))                # NFTA_SET_ELEM_EXPIRATION
        head = struct.pack("=BBH", 1, 0, 0) + attr(1, b"captive\0") + attr(2, set_name + b"\0")
        return nlmsg(NEWSETELEM, head + nest(3, nest(1, a)))
    # input: flags, 16 address bytes, 2 port bytes, then the message
    write("nft_portal_peers", "v4", b"\0" + v4 + b"\0" * 12 + port +
          answer(b"portal_peers4", port + b"\0\0" + v4, mac))
    write("nft_portal_peers", "v6_macs", b"\x01" + v6 + port + answer(b"portal_macs6", v6, mac))
    write("nft_portal_peers", "v6_confirm", b"\x03" + v6 + port +
          answer(b"portal_peers6", mac + b"\0\0" + port + b"\0\0" + v6))


def neigh_seeds():
    RTM_NEWNEIGH = 28
    def neigh(family, ifindex, state, dst, lladdr=b"\x02\0\0\0\0\x02"):
        body = struct.pack("=BxxxiHBB", family, ifindex, state, 0, 1)
        body += attr(1, dst)                                   # NDA_DST
        if lladdr is not None:
            body += attr(2, lladdr)                            # NDA_LLADDR
        return nlmsg(RTM_NEWNEIGH, body)
    v4 = bytes([192, 0, 2, 2])
    v6 = bytes.fromhex("20010db8000100000000000000000002")
    write("neigh_message", "v4_reachable", bytes([7 << 1 & 0xE]) + v4 + b"\0" * 12 + neigh(2, 7, 0x02, v4))
    write("neigh_message", "v6_stale", bytes([1 | (3 << 1)]) + v6 + neigh(10, 3, 0x04, v6))
    write("neigh_message", "v4_incomplete", bytes([2 << 1]) + v4 + b"\0" * 12 + neigh(2, 2, 0x01, v4, None))


def radius_seeds():
    # RFC 2865 §7.1 (nemo's Access-Request and its Access-Accept), RFC 5997 §6
    # (a Status-Server with a Message-Authenticator), an Accept with WISPr
    # and ChilliSpot VSAs and a Reply-Message.
    write("radius_packet", "rfc2865_request", bytes.fromhex(
        "010000380f403f9473978057bd83d5cb98f4227a01066e656d6f02120dbe708d93d413ce3196e43f782a0aee0406c0a80110050600000003"))
    write("radius_packet", "rfc2865_accept", bytes.fromhex(
        "0200002686fe220e7624ba2a1005f6bf9b55e0b20606000000010f06000000000e06c0a80103"))
    write("radius_packet", "rfc5997_status_server", bytes.fromhex(
        "0cda00268a54f4686fb394c52866e302185d062350125a665e2e1e8411f3e243822097c84fa3"))
    attrs = (bytes([80, 18]) + b"\0" * 16 + bytes([27, 6]) + struct.pack(">I", 3600) +
             bytes([26, 12]) + struct.pack(">I", 14122) + bytes([8, 6]) + struct.pack(">I", 2_000_000) +
             bytes([26, 12]) + struct.pack(">I", 14559) + bytes([3, 6]) + struct.pack(">I", 10_000_000) +
             bytes([18, 7]) + b"hello")
    write("radius_packet", "accept_wispr", bytes([2, 1]) + struct.pack(">H", 20 + len(attrs)) + b"\0" * 16 + attrs)


def coa_seeds():
    # RFC 5176 requests as a server sends them (the target signs them with
    # its secret): a Disconnect by Acct-Session-Id with Event-Timestamp and
    # Proxy-State, a CoA by MAC with Session-Timeout and WISPr rates.
    def packet(code, attrs):
        return bytes([code, 7]) + struct.pack(">H", 20 + len(attrs)) + b"\0" * 16 + attrs
    sid = b"0123456789ABCDEF"
    write("coa_request", "disconnect_by_session", packet(40,
        bytes([44, 2 + len(sid)]) + sid + bytes([55, 6]) + struct.pack(">I", 1_700_000_000) +
        bytes([33, 5]) + b"abc"))
    mac = b"02-00-00-00-01-02"
    write("coa_request", "coa_rate_timeout", packet(43,
        bytes([31, 2 + len(mac)]) + mac + bytes([27, 6]) + struct.pack(">I", 600) +
        bytes([26, 12]) + struct.pack(">I", 14122) + bytes([8, 6]) + struct.pack(">I", 2_000_000) +
        bytes([80, 18]) + b"\0" * 16))


if __name__ == "__main__":
    if CORPUS.exists():
        shutil.rmtree(CORPUS)
    packet_views()
    responder_seeds()
    http_seeds()
    control_seeds()
    state_file_seeds()
    voucher_store_seeds()
    args_seeds()
    config_seeds()
    nfq_seeds()
    nft_seeds()
    neigh_seeds()
    portal_peers_seeds()
    radius_seeds()
    coa_seeds()
    for d in sorted(CORPUS.iterdir()):
        files = list(d.iterdir())
        print(f"{d.name}: {len(files)} files, {sum(f.stat().st_size for f in files)} bytes")
