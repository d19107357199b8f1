#!/usr/bin/env python3
"""Tiny traffic probes for the datapath check (no ping/nc on the test hosts).

  probe.py tcp  HOST PORT   -> prints connected | reset | timeout
  probe.py udp  HOST PORT   -> prints refused | timeout | answered
  probe.py icmp HOST        -> prints reply | timeout   (echo request, v4/v6)
  probe.py serve-tcp PORT... / serve-udp PORT...  -> listens on :: until killed
"""
import os, select, socket, struct, sys, threading

T = 1.0

def fam(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET

def tcp(host, port):
    s = socket.socket(fam(host), socket.SOCK_STREAM)
    s.settimeout(T)
    try:
        s.connect((host, int(port)))
        return "connected"
    except ConnectionRefusedError:
        return "reset"
    except (socket.timeout, TimeoutError):
        return "timeout"
    except OSError as e:
        return "error:%s" % e.strerror

def udp(host, port):
    s = socket.socket(fam(host), socket.SOCK_DGRAM)
    s.settimeout(T)
    s.connect((host, int(port)))
    try:
        s.send(b"probe")
        s.recv(100)
        return "answered"
    except ConnectionRefusedError:
        return "refused"
    except (socket.timeout, TimeoutError):
        return "timeout"

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF

def icmp(host):
    v6 = ":" in host
    s = socket.socket(fam(host), socket.SOCK_RAW,
                      socket.IPPROTO_ICMPV6 if v6 else socket.IPPROTO_ICMP)
    ident = os.getpid() & 0xFFFF
    if v6:
        pkt = struct.pack("!BBHHH", 128, 0, 0, ident, 1) + b"captive"  # kernel sums
    else:
        hdr = struct.pack("!BBHHH", 8, 0, 0, ident, 1) + b"captive"
        pkt = struct.pack("!BBHHH", 8, 0, csum(hdr), ident, 1) + b"captive"
    s.sendto(pkt, (host, 0))
    end = T
    while True:
        r, _, _ = select.select([s], [], [], end)
        if not r:
            return "timeout"
        data = s.recv(2048)
        if not v6:
            data = data[(data[0] & 0x0F) * 4:]
        if data[0] == (129 if v6 else 0) and struct.unpack("!H", data[4:6])[0] == ident:
            return "reply"

def serve(kind, ports):
    for p in ports:
        if kind == "tcp":
            s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("::", int(p)))
            s.listen(64)
            threading.Thread(target=lambda s=s: [s.accept()[0].close() for _ in iter(int, 1)], daemon=True).start()
        else:
            s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
            s.bind(("::", int(p)))
            def loop(s=s):
                while True:
                    d, a = s.recvfrom(2048)
                    s.sendto(d, a)
            threading.Thread(target=loop, daemon=True).start()
    threading.Event().wait()

if __name__ == "__main__":
    k = sys.argv[1]
    if k.startswith("serve-"):
        serve(k[6:], sys.argv[2:])
    else:
        print({"tcp": tcp, "udp": udp, "icmp": icmp}[k](*sys.argv[2:]))
