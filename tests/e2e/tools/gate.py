#!/usr/bin/env python3
"""Traffic for the gate scenarios (016, 041, 051, 052): listeners that say
who reached them, probes that say how a connection ended, a slow download,
and a paced UDP stream.

  gate.py listen ADDR PORT               TCP; logs "accepted from PEER", sends "hello\\n"
  gate.py connect HOST PORT [TIMEOUT]    -> connected | reset | timeout | error:...
  gate.py slow-serve ADDR PORT           TCP; sends 100 bytes every 50 ms to each client
  gate.py slow-get HOST PORT [--send]    connects, reads until the connection ends;
                                            --send also writes 20 bytes every 100 ms.
                                            Prints "ready" once data flows, then, at the end,
                                            "ended KIND SECONDS" measured from SIGUSR1
                                            (KIND: reset | eof | timeout | error:...)
  gate.py stream HOST PORT COUNT RATE    COUNT UDP datagrams, at least 1/RATE s apart;
                                            prints how many were sent and the seconds taken
"""
import errno, os, signal, socket, sys, threading, time


def family(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def listen(addr, port):
    s = socket.socket(family(addr), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, int(port)))
    s.listen(64)
    while True:
        c, peer = s.accept()
        sys.stdout.write("accepted from %s\n" % peer[0])
        sys.stdout.flush()
        try:
            c.sendall(b"hello\n")
        except OSError:
            pass
        c.close()


def connect(host, port, timeout="2"):
    s = socket.socket(family(host), socket.SOCK_STREAM)
    s.settimeout(float(timeout))
    try:
        s.connect((host, int(port)))
        return "connected"
    except ConnectionRefusedError:
        return "reset"
    except ConnectionResetError:
        return "reset"
    except (socket.timeout, TimeoutError):
        return "timeout"
    except OSError as e:
        return "error:%s" % e.strerror


def slow_serve(addr, port):
    s = socket.socket(family(addr), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, int(port)))
    s.listen(16)

    def feed(c):
        c.settimeout(0.05)
        try:
            for _ in range(1200):  # at most 60 s
                c.sendall(b"x" * 100)
                try:
                    if c.recv(4096) == b"":
                        break
                except socket.timeout:
                    pass
        except OSError:
            pass
        c.close()

    while True:
        c, _ = s.accept()
        threading.Thread(target=feed, args=(c,), daemon=True).start()


def slow_get(host, port, *flags):
    send = "--send" in flags
    marked = []
    signal.signal(signal.SIGUSR1, lambda *_: marked.append(time.monotonic()))
    s = socket.socket(family(host), socket.SOCK_STREAM)
    # The handshake may take a neighbour resolution or a SYN retransmission
    # on a busy machine: allow it time; the reads below poll every 100 ms.
    s.settimeout(5)
    s.connect((host, int(port)))
    s.settimeout(0.1)
    got = 0
    kind = "timeout"
    deadline = time.monotonic() + 60
    last_send = 0.0
    while time.monotonic() < deadline:
        try:
            if send and time.monotonic() - last_send >= 0.1:
                s.send(b"y" * 20)
                last_send = time.monotonic()
            data = s.recv(4096)
            if not data:
                kind = "eof"
                break
            got += len(data)
            if got >= 500 and got - len(data) < 500:
                print("ready", flush=True)
        except socket.timeout:
            continue
        except ConnectionResetError:
            kind = "reset"
            break
        except OSError as e:
            kind = "reset" if e.errno == errno.ECONNRESET else "error:%s" % e.strerror
            break
    end = time.monotonic()
    since = end - marked[0] if marked else -1.0
    print("ended %s %.3f" % (kind, since), flush=True)


def stream(host, port, count, rate):
    # Consecutive datagrams are at least 1/RATE apart (sleep never wakes
    # early): any window of T seconds holds at most T*RATE + 1 of them, which
    # is what a bound on leaked packets rests on. Late wake-ups only slow
    # the stream down; it never catches up in a burst.
    s = socket.socket(family(host), socket.SOCK_DGRAM)
    count, interval = int(count), 1.0 / float(rate)
    start = time.monotonic()
    next_send = start
    sent = 0
    for i in range(count):
        now = time.monotonic()
        if next_send > now:
            time.sleep(next_send - now)
        try:
            s.sendto(b"%08d" % i, (host, int(port)))
            sent += 1
        except OSError:
            pass
        next_send = time.monotonic() + interval
    print("%d %.3f" % (sent, time.monotonic() - start), flush=True)


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "connect":
        print(connect(*args))
    else:
        {"listen": listen, "slow-serve": slow_serve, "slow-get": slow_get, "stream": stream}[cmd](*args)
