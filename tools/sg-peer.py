#!/usr/bin/python3
"""Kernel-stack peers for the security-group system tests (docs/security-groups.md), run inside namespaces.

  sg-peer.py serve [--tcp P,P,...] [--udp P,P,...]
  sg-peer.py connect HOST PORT [--timeout S]
  sg-peer.py udp HOST PORT [--timeout S]
  sg-peer.py stream HOST PORT [--interval S]
  sg-peer.py synflood HOST --count N [--rate PPS]

serve: echo servers on the TCP and UDP ports given; prints "ready" once all listen, runs until SIGINT/SIGTERM.
connect: opens a TCP connection and exchanges one echo; prints "connected" (exit 0) or why not (exit 1).
udp: one datagram and its echo; prints "replied" (exit 0) or "timeout" (exit 1).
stream: one TCP connection carrying 64 bytes every --interval seconds, echoed back; prints "ready" once
connected, then {"echoed": BYTES, "sent": BYTES} whenever the echoed count grows and every 0.1 s; stops on
SIGINT/SIGTERM. A test sees a flow stop (no growth) or go on.
synflood: COUNT TCP SYNs from this host's address to HOST with random source and destination ports (a raw
socket: the kernel adds the IP header), about PPS per second; prints {"sent": N}.
Every wait is bounded: nothing here can hang a test.
"""
import argparse
import json
import random
import select
import signal
import socket
import struct
import sys
import threading
import time

stopping = threading.Event()


def on_signal(_signum, _frame):
    stopping.set()


def serve_tcp(listener):
    listener.settimeout(0.2)
    while not stopping.is_set():
        try:
            connection, _ = listener.accept()
        except (socket.timeout, OSError):
            continue
        threading.Thread(target=echo_tcp, args=(connection,), daemon=True).start()


def echo_tcp(connection):
    connection.settimeout(0.2)
    with connection:
        while not stopping.is_set():
            try:
                data = connection.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            if not data:
                return
            try:
                connection.sendall(data)
            except OSError:
                return


def serve_udp(sock):
    sock.settimeout(0.2)
    while not stopping.is_set():
        try:
            data, peer = sock.recvfrom(65536)
        except (socket.timeout, OSError):
            continue
        try:
            sock.sendto(data, peer)
        except OSError:
            pass


def ports(text):
    return [int(p) for p in text.split(",") if p] if text else []


def serve(args):
    threads = []
    for port in ports(args.tcp):
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("0.0.0.0", port))
        listener.listen(64)
        threads.append(threading.Thread(target=serve_tcp, args=(listener,), daemon=True))
    for port in ports(args.udp):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("0.0.0.0", port))
        threads.append(threading.Thread(target=serve_udp, args=(sock,), daemon=True))
    for thread in threads:
        thread.start()
    print("ready", flush=True)
    while not stopping.wait(0.2):
        pass
    return 0


def connect(args):
    try:
        with socket.create_connection((args.host, args.port), timeout=args.timeout) as sock:
            sock.settimeout(args.timeout)
            sock.sendall(b"hello")
            data = sock.recv(16)
            if data != b"hello":
                print(f"no echo: {data!r}")
                return 1
    except socket.timeout:
        print("timeout")
        return 1
    except OSError as error:
        print(f"error: {error}")
        return 1
    print("connected")
    return 0


def udp(args):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(args.timeout)
        sock.sendto(b"request", (args.host, args.port))
        try:
            data, _ = sock.recvfrom(64)
        except socket.timeout:
            print("timeout")
            return 1
    print("replied" if data == b"request" else f"wrong reply {data!r}")
    return 0 if data == b"request" else 1


def stream(args):
    sock = socket.create_connection((args.host, args.port), timeout=5)
    sock.setblocking(False)
    print("ready", flush=True)
    echoed = 0
    sent = 0
    chunk = b"s" * 64
    next_send = time.monotonic()
    next_report = next_send
    while not stopping.is_set():
        now = time.monotonic()
        if now >= next_send:
            try:
                sent += sock.send(chunk)
            except (BlockingIOError, InterruptedError):
                pass
            except OSError:
                break
            next_send = now + args.interval
        ready, _, _ = select.select([sock], [], [], max(0.0, min(next_send, next_report) - time.monotonic()))
        grew = False
        if ready:
            try:
                data = sock.recv(65536)
            except (BlockingIOError, InterruptedError):
                data = None
            except OSError:
                break
            if data == b"":
                break
            if data:
                echoed += len(data)
                grew = True
        if grew or time.monotonic() >= next_report:
            print(json.dumps({"echoed": echoed, "sent": sent}), flush=True)
            next_report = time.monotonic() + 0.1
    print(json.dumps({"echoed": echoed, "sent": sent}), flush=True)
    sock.close()
    return 0


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def synflood(args):
    # The address the kernel will put in the IP header: the route's source toward HOST.
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.connect((args.host, 9))
    source = probe.getsockname()[0]
    probe.close()
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
    src = socket.inet_aton(source)
    dst = socket.inet_aton(args.host)
    rng = random.Random(args.seed)
    sent = 0
    start = time.monotonic()
    while sent < args.count and not stopping.is_set():
        sport = rng.randrange(1024, 65536)
        dport = rng.randrange(1, 65536)
        seq = rng.randrange(0, 1 << 32)
        header = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 5 << 4, 0x02, 65535, 0, 0)
        pseudo = src + dst + struct.pack("!BBH", 0, socket.IPPROTO_TCP, len(header))
        header = header[:16] + struct.pack("!H", checksum(pseudo + header)) + header[18:]
        try:
            raw.sendto(header, (args.host, 0))
            sent += 1
        except OSError:
            time.sleep(0.001)
        # Pace: never ahead of the rate.
        ahead = sent / args.rate - (time.monotonic() - start)
        if ahead > 0:
            time.sleep(ahead)
    print(json.dumps({"sent": sent}), flush=True)
    return 0


def main():
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("serve")
    p.add_argument("--tcp")
    p.add_argument("--udp")
    for name in ("connect", "udp"):
        p = sub.add_parser(name)
        p.add_argument("host")
        p.add_argument("port", type=int)
        p.add_argument("--timeout", type=float, default=2.0)
    p = sub.add_parser("stream")
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("--interval", type=float, default=0.01)
    p = sub.add_parser("synflood")
    p.add_argument("host")
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--rate", type=float, default=5000)
    p.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    return {"serve": serve, "connect": connect, "udp": udp, "stream": stream, "synflood": synflood}[args.command](
        args)


if __name__ == "__main__":
    sys.exit(main())
