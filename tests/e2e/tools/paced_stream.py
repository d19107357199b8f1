#!/usr/bin/env python3
"""A paced TCP download, both ends, with a log of every step on CLOCK_MONOTONIC
(one clock for every network namespace), for e2e 120.

  paced_stream.py serve PORT CHUNK INTERVAL_S SECONDS LOG
      accepts connections (dual stack); to each, sends CHUNK bytes every
      INTERVAL_S for at most SECONDS; logs "t_ns bytes_sent" per chunk.
  paced_stream.py fetch HOST PORT SECONDS LOG
      reads until reset, EOF or SECONDS; logs "t_ns bytes_received" per recv
      and a last line "end REASON".
  paced_stream.py judge SENT_LOG RECV_LOG T_REVOKED_NS RATE_BPS WINDOW_S
      prints the bytes received after T_REVOKED_NS and the bound
      RATE_BPS * WINDOW_S + what was in flight then (sent - received);
      exit status 1 if the bound is exceeded or the stream never ran.
"""
import socket
import sys
import threading
import time


def serve(port, chunk, interval, seconds, log):
    srv = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    srv.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("::", port))
    srv.listen(8)
    lock = threading.Lock()
    out = open(log, "w")

    def one(conn, peer):
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # A cut flow leaves us unanswered: never block long on a full buffer.
        conn.settimeout(0.5)
        data = b"x" * chunk
        sent, rows = 0, []
        start = time.monotonic()
        due = start
        try:
            while time.monotonic() - start < seconds:
                conn.sendall(data)
                sent += chunk
                rows.append((time.monotonic_ns(), sent))
                due += interval
                now = time.monotonic()
                if due < now - 2 * interval:
                    due = now  # fell behind: never burst above the rate
                elif due > now:
                    time.sleep(due - now)
        except OSError:
            pass
        conn.close()
        with lock:
            for t, s in rows:
                out.write("%s %d %d\n" % (peer[0].removeprefix("::ffff:"), t, s))
            out.flush()

    while True:
        conn, peer = srv.accept()
        threading.Thread(target=one, args=(conn, peer), daemon=True).start()


def fetch(host, port, seconds, log):
    rows, total, end = [], 0, "deadline"
    deadline = time.monotonic() + seconds
    try:
        s = socket.create_connection((host, port), timeout=3)
        s.settimeout(0.2)
        while time.monotonic() < deadline:
            try:
                b = s.recv(65536)
            except socket.timeout:
                continue
            if not b:
                end = "eof"
                break
            total += len(b)
            rows.append((time.monotonic_ns(), total))
    except OSError as e:
        end = "error %s" % (e.strerror or e)
    with open(log, "w") as out:
        for t, n in rows:
            out.write("%d %d\n" % (t, n))
        out.write("end %s\n" % end.replace(" ", "_"))


def judge(sent_log, recv_log, t_revoked, rate, window):
    sent = []
    for line in open(sent_log):
        parts = line.split()
        sent.append((int(parts[-2]), int(parts[-1])))
    recv, end = [], "?"
    for line in open(recv_log):
        if line.startswith("end "):
            end = line.split()[1]
            continue
        t, n = line.split()
        recv.append((int(t), int(n)))
    at = lambda rows: max([n for t, n in rows if t <= t_revoked], default=0)
    got_then, sent_then = at(recv), at(sent)
    final = recv[-1][1] if recv else 0
    after = final - got_then
    in_flight = max(0, sent_then - got_then)
    bound = int(rate * window) + in_flight
    print("received %d bytes before the revoke, %d after (bound %d = %d for %.0f ms at %d B/s + %d in flight); "
          "reader ended: %s" % (got_then, after, bound, int(rate * window), window * 1000, rate, in_flight, end))
    if got_then < rate * 0.5:
        print("the stream did not run before the revoke")
        return 1
    return 0 if after <= bound else 1


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "serve":
        serve(int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), sys.argv[6])
    elif cmd == "fetch":
        fetch(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), sys.argv[5])
    elif cmd == "judge":
        sys.exit(judge(sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6])))
