#!/usr/bin/env python3
"""One HTTP request, and the Ethernet frames that answered it.

usage: answer_frames.py IFACE HOST PORT PATH

Opens an AF_PACKET socket on IFACE (in the client's namespace) before the
connection, makes the request, then reads what the socket caught: every
frame that came in from HOST:PORT. Prints one JSON object: the status line,
the body, and per frame its source MAC, TCP flags and MSS option (SYN-ACK).
Which router MAC and MTU answered a client is what e2e 122 checks: the
answer of the LAN the request arrived on.
"""
import json
import socket
import struct
import sys

iface, host, port, path = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
ETH_P_ALL = 3
PACKET_OUTGOING = 4

cap = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
cap.bind((iface, 0))
cap.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)

conn = socket.create_connection((host, port), 5)
conn.settimeout(5)
name = "[" + host + "]" if ":" in host else host
conn.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % (path, name)).encode())
data = b""
while True:
    chunk = conn.recv(65536)
    if not chunk:
        break
    data += chunk
conn.close()

peer = socket.inet_pton(socket.AF_INET6 if ":" in host else socket.AF_INET, host)
frames = []
cap.setblocking(False)
while True:
    try:
        frame, address = cap.recvfrom(65536)
    except BlockingIOError:
        break
    if address[2] == PACKET_OUTGOING or len(frame) < 14:
        continue
    src = ":".join("%02x" % b for b in frame[6:12])
    ethertype = struct.unpack("!H", frame[12:14])[0]
    if ethertype == 0x0800 and len(frame) >= 34 and frame[23] == 6 and frame[26:30] == peer:
        tcp = frame[14 + (frame[14] & 0x0F) * 4:]
    elif ethertype == 0x86DD and len(frame) >= 54 and frame[20] == 6 and frame[22:38] == peer:
        tcp = frame[54:]
    else:
        continue
    if len(tcp) < 20 or struct.unpack("!H", tcp[0:2])[0] != port:
        continue
    flags = tcp[13]
    mss = None
    options = tcp[20:(tcp[12] >> 4) * 4]
    i = 0
    while i < len(options):
        kind = options[i]
        if kind == 0:
            break
        if kind == 1:
            i += 1
            continue
        if i + 1 >= len(options) or options[i + 1] < 2:
            break
        if kind == 2 and options[i + 1] == 4:
            mss = struct.unpack("!H", options[i + 2:i + 4])[0]
        i += options[i + 1]
    frames.append({"src": src, "flags": flags, "mss": mss})

head, _, body = data.partition(b"\r\n\r\n")
print(json.dumps({"status": head.split(b"\r\n")[0].decode(errors="replace"),
                  "body": body.decode(errors="replace"), "frames": frames}))
