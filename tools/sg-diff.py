#!/usr/bin/python3
"""Packet sequences for the differential test of Sluice's security groups against Linux netfilter conntrack.

  sg-diff.py run CLIENT_IFACE SERVER_IFACE [--wait SECONDS] [--only SCENARIO]

Sends crafted frames (scapy builds them) one at a time from the client's or the server's interface through
whatever stateful firewall lies between them, and records for each frame whether it arrived on the other
interface within --wait seconds: its verdict, pass or drop. Both interfaces must be silent (no addresses, no
IPv6: the kernel of their namespace answers nothing), so every frame on them is one this tool sent.

The firewall under test is either Sluice (client on an unfiltered port, server on a port whose group allows
TCP 22, UDP 53 and ICMP echo in, and all egress) or a Linux bridge whose bridged IPv4 goes through an nftables
`ct state` forward chain with the same rules (Tests/SystemTests/SecurityGroups/SecurityGroupsDifferentialTests
.swift). Each scenario uses its own ports, so scenarios are independent connections.

Prints one JSON line per frame: {"scenario", "step", "what", "from", "verdict"}, then {"done": N}.
"""
import argparse
import json
import select
import socket
import sys
import time

from scapy.layers.inet import ICMP, IP, TCP, UDP  # noqa: E402
from scapy.layers.l2 import ARP, Ether  # noqa: E402

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4

CLIENT = ("02:00:00:77:00:01", "10.77.0.1")
SERVER = ("02:00:00:77:00:02", "10.77.0.2")

# Initial sequence numbers of the client and the server in every TCP scenario.
CI = 1000
SI = 5000


class Scenario:
    def __init__(self, name):
        self.name = name
        self.steps = []

    def add(self, what, side, packet):
        self.steps.append((what, side, packet))
        return self


def ip(side):
    src, dst = (CLIENT, SERVER) if side == "c" else (SERVER, CLIENT)
    return src, dst, IP(src=src[1], dst=dst[1], ttl=64)


def tcp(side, cport, sport, flags, seq, ack=0, data=0, window=65535):
    _, _, header = ip(side)
    ports = dict(sport=cport, dport=sport) if side == "c" else dict(sport=sport, dport=cport)
    return header / TCP(flags=flags, seq=seq, ack=ack, window=window, **ports) / (b"x" * data)


def udp(side, cport, sport, data=8):
    _, _, header = ip(side)
    ports = dict(sport=cport, dport=sport) if side == "c" else dict(sport=sport, dport=cport)
    return header / UDP(**ports) / (b"u" * data)


def echo(side, identifier, type_=8):
    _, _, header = ip(side)
    return header / ICMP(type=type_, id=identifier, seq=1) / (b"e" * 16)


def icmp_error(side, quoted, type_=3, code=3):
    """An ICMP error sent by `side` quoting `quoted` (an IP packet), cut to its header and 8 bytes."""
    _, _, header = ip(side)
    raw = bytes(quoted)
    return header / ICMP(type=type_, code=code) / raw[: 20 + 8]


def handshake(s, cport, sport=22):
    s.add("SYN", "c", tcp("c", cport, sport, "S", CI))
    s.add("SYN-ACK", "s", tcp("s", cport, sport, "SA", SI, CI + 1))
    s.add("ACK", "c", tcp("c", cport, sport, "A", CI + 1, SI + 1))
    return s


def scenarios():
    result = []

    s = handshake(Scenario("tcp-lifecycle"), 40001)
    s.add("data", "c", tcp("c", 40001, 22, "PA", CI + 1, SI + 1, data=100))
    s.add("ACK of data", "s", tcp("s", 40001, 22, "A", SI + 1, CI + 101))
    s.add("data back", "s", tcp("s", 40001, 22, "PA", SI + 1, CI + 101, data=50))
    s.add("ACK of data back", "c", tcp("c", 40001, 22, "A", CI + 101, SI + 51))
    s.add("retransmitted data", "c", tcp("c", 40001, 22, "PA", CI + 1, SI + 51, data=100))
    s.add("FIN", "c", tcp("c", 40001, 22, "FA", CI + 101, SI + 51))
    s.add("ACK of FIN", "s", tcp("s", 40001, 22, "A", SI + 51, CI + 102))
    s.add("data after half close", "s", tcp("s", 40001, 22, "PA", SI + 51, CI + 102, data=20))
    s.add("ACK in half close", "c", tcp("c", 40001, 22, "A", CI + 102, SI + 71))
    s.add("FIN back", "s", tcp("s", 40001, 22, "FA", SI + 71, CI + 102))
    s.add("last ACK", "c", tcp("c", 40001, 22, "A", CI + 102, SI + 72))
    s.add("SYN reopens TIME_WAIT", "c", tcp("c", 40001, 22, "S", CI + 100000))
    s.add("SYN-ACK of the reopened", "s", tcp("s", 40001, 22, "SA", SI + 100000, CI + 100001))
    result.append(s)

    s = handshake(Scenario("rst-exact"), 40002)
    s.add("data", "c", tcp("c", 40002, 22, "PA", CI + 1, SI + 1, data=100))
    s.add("RST at the next sequence", "s", tcp("s", 40002, 22, "R", SI + 1))
    s.add("data after RST", "c", tcp("c", 40002, 22, "PA", CI + 101, SI + 1, data=10))
    result.append(s)

    s = handshake(Scenario("rst-in-window"), 40003)
    s.add("RST inside the window, not exact", "c", tcp("c", 40003, 22, "R", CI + 1 + 3000))
    s.add("data after it", "c", tcp("c", 40003, 22, "PA", CI + 1, SI + 1, data=10))
    s.add("data back", "s", tcp("s", 40003, 22, "PA", SI + 1, CI + 11, data=10))
    result.append(s)

    s = handshake(Scenario("rst-out-of-window"), 40004)
    s.add("RST far outside the window", "c", tcp("c", 40004, 22, "R", CI + 1 + 200000))
    s.add("data after it", "c", tcp("c", 40004, 22, "PA", CI + 1, SI + 1, data=10))
    s.add("data back", "s", tcp("s", 40004, 22, "PA", SI + 1, CI + 11, data=10))
    result.append(s)

    s = Scenario("stray-ack")
    s.add("ACK without a connection, to the server", "c", tcp("c", 40005, 22, "A", 77, 88))
    s.add("ACK without a connection, from the server", "s", tcp("s", 40005, 22, "A", 99, 66))
    s.add("data without a connection", "c", tcp("c", 40005, 22, "PA", 77, 88, data=10))
    result.append(s)

    s = handshake(Scenario("syn-to-established"), 40006)
    s.add("SYN with another sequence", "c", tcp("c", 40006, 22, "S", CI + 500000))
    s.add("data still flows", "c", tcp("c", 40006, 22, "PA", CI + 1, SI + 1, data=10))
    result.append(s)

    s = handshake(Scenario("out-of-window-data"), 40007)
    s.add("data beyond the window", "c", tcp("c", 40007, 22, "PA", CI + 1 + 300000, SI + 1, data=10))
    s.add("ACK of data never sent", "c", tcp("c", 40007, 22, "A", CI + 1, SI + 1 + 200000))
    s.add("data in window", "c", tcp("c", 40007, 22, "PA", CI + 1, SI + 1, data=10))
    result.append(s)

    s = Scenario("synack-checks")
    s.add("SYN", "c", tcp("c", 40008, 22, "S", CI))
    s.add("SYN-ACK acknowledging nothing sent", "s", tcp("s", 40008, 22, "SA", SI, CI + 999))
    s.add("retransmitted SYN", "c", tcp("c", 40008, 22, "S", CI))
    s.add("SYN-ACK", "s", tcp("s", 40008, 22, "SA", SI, CI + 1))
    s.add("retransmitted SYN-ACK", "s", tcp("s", 40008, 22, "SA", SI, CI + 1))
    s.add("ACK", "c", tcp("c", 40008, 22, "A", CI + 1, SI + 1))
    result.append(s)

    s = Scenario("synack-lost")
    s.add("SYN", "c", tcp("c", 40013, 22, "S", CI))
    s.add("SYN-ACK (lost beyond the firewall)", "s", tcp("s", 40013, 22, "SA", SI, CI + 1))
    s.add("retransmitted SYN", "c", tcp("c", 40013, 22, "S", CI))
    s.add("retransmitted SYN-ACK", "s", tcp("s", 40013, 22, "SA", SI, CI + 1))
    s.add("ACK", "c", tcp("c", 40013, 22, "A", CI + 1, SI + 1))
    result.append(s)

    s = Scenario("refused")
    s.add("SYN", "c", tcp("c", 40009, 22, "S", CI))
    s.add("RST-ACK not acknowledging the SYN", "s", tcp("s", 40009, 22, "RA", 0, CI + 4000))
    s.add("RST-ACK", "s", tcp("s", 40009, 22, "RA", 0, CI + 1))
    result.append(s)

    s = Scenario("no-rule")
    s.add("SYN to port 80", "c", tcp("c", 40010, 80, "S", CI))
    s.add("SYN-ACK from port 80", "s", tcp("s", 40010, 80, "SA", SI, CI + 1))
    result.append(s)

    s = Scenario("server-opens")
    s.add("SYN from the server", "s", tcp("s", 50000, 8080, "S", SI))
    s.add("SYN-ACK from the client", "c", tcp("c", 50000, 8080, "SA", CI, SI + 1))
    s.add("ACK", "s", tcp("s", 50000, 8080, "A", SI + 1, CI + 1))
    result.append(s)

    s = Scenario("udp")
    request = udp("c", 41000, 53)
    s.add("request to 53", "c", request)
    s.add("reply", "s", udp("s", 41000, 53))
    s.add("second request", "c", udp("c", 41000, 53))
    s.add("request to 54", "c", udp("c", 41001, 54))
    s.add("the server's own request", "s", udp("s", 41002, 53))
    s.add("reply to the server", "c", udp("c", 41002, 53))
    s.add("port unreachable quoting the tracked request", "s", icmp_error("s", request))
    s.add("port unreachable quoting the server's request", "c", icmp_error("c", udp("s", 41002, 53)))
    s.add("port unreachable quoting an untracked packet", "c", icmp_error("c", udp("s", 41999, 53)))
    s.add("port unreachable quoting an untracked request", "s", icmp_error("s", udp("c", 41998, 53)))
    result.append(s)

    s = Scenario("icmp")
    s.add("echo request", "c", echo("c", 7))
    s.add("echo reply", "s", echo("s", 7, type_=0))
    s.add("orphan echo reply to the server", "c", echo("c", 8, type_=0))
    s.add("orphan echo reply from the server", "s", echo("s", 9, type_=0))
    s.add("the server's echo request", "s", echo("s", 10))
    s.add("its reply", "c", echo("c", 10, type_=0))
    result.append(s)

    s = handshake(Scenario("icmp-error-tcp"), 40011)
    s.add("time exceeded quoting the connection", "s", icmp_error("s", tcp("c", 40011, 22, "A", CI + 1), 11, 0))
    s.add("fragmentation needed quoting the connection", "c",
          icmp_error("c", tcp("s", 40011, 22, "A", SI + 1), 3, 4))
    s.add("time exceeded quoting another port", "s", icmp_error("s", tcp("c", 40012, 22, "A", CI + 1), 11, 0))
    result.append(s)
    return result


def open_socket(interface):
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    sock.bind((interface, 0))
    sock.setblocking(False)
    return sock


def drain(sock):
    while True:
        try:
            sock.recvfrom(65536)
        except BlockingIOError:
            return


def arrived(sock, marker, deadline):
    """Whether the IPv4 frame with IP ID `marker` arrives on `sock` before `deadline`."""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        ready, _, _ = select.select([sock], [], [], left)
        if not ready:
            return False
        try:
            data, address = sock.recvfrom(65536)
        except BlockingIOError:
            continue
        if address[2] == PACKET_OUTGOING or len(data) < 34 or data[12:14] != b"\x08\x00":
            continue
        if int.from_bytes(data[18:20], "big") == marker:
            return True


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run")
    run.add_argument("client")
    run.add_argument("server")
    run.add_argument("--wait", type=float, default=0.3)
    run.add_argument("--only")
    args = parser.parse_args()

    sockets = {"c": open_socket(args.client), "s": open_socket(args.server)}
    macs = {"c": CLIENT[0], "s": SERVER[0]}
    # Both switches learn where the two hosts are (ARP passes security groups and nftables' ip chains).
    for side, (mac, address) in (("c", CLIENT), ("s", SERVER)):
        other = SERVER if side == "c" else CLIENT
        arp = Ether(src=mac, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=mac, psrc=address, pdst=other[1])
        sockets[side].send(bytes(arp))
    time.sleep(args.wait)
    marker = 1
    count = 0
    for scenario in scenarios():
        if args.only and scenario.name != args.only:
            continue
        for step, (what, side, packet) in enumerate(scenario.steps):
            other = "s" if side == "c" else "c"
            packet[IP].id = marker
            frame = bytes(Ether(src=macs[side], dst=macs[other]) / packet)
            drain(sockets[other])
            sockets[side].send(frame)
            passed = arrived(sockets[other], marker, time.monotonic() + args.wait)
            verdict = {"scenario": scenario.name, "step": step, "what": what, "from": side}
            verdict["verdict"] = "pass" if passed else "drop"
            print(json.dumps(verdict), flush=True)
            marker += 1
            count += 1
    print(json.dumps({"done": count}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
