#!/usr/bin/python3
"""Test traffic with exact accounting, for tests that must show that no packet was lost.

  udp-flow.py send IFACE --src-mac M --dst-mac M [--src-macs K] [--vlan V] [--rate PPS] [--count N] [--port P]
  udp-flow.py receive IFACE [--port P]

send: writes IPv4/UDP frames (sequence number in the payload) to IFACE through a raw socket at about PPS
frames per second, until --count frames are sent or it is interrupted (SIGINT/SIGTERM). With --src-macs K,
frame i comes from --src-mac plus i mod K (added to its last three bytes): K stations, in order. With --vlan V
the frames carry an 802.1Q tag with VLAN V (for a trunk port's far end).
receive: counts the IPv4/UDP frames to --port arriving on IFACE, and the distinct sequence numbers.
Both print "ready" once their socket is open and, when they stop, one JSON line: {"sent": N} or
{"received": N, "unique": U, "socket_drops": D, "vlans": {...}} (D: frames the kernel dropped because this
reader was slow, so a test can tell a slow reader from a lost packet; vlans: the received frames by their
802.1Q tag, "untagged" or the VLAN ID). Raw sockets need no addresses, ARP or routes: the
kernel of the namespace sends nothing else when IPv6 is disabled there.
"""
import argparse
import json
import signal
import socket
import struct
import sys
import time

SOL_PACKET = 263
PACKET_STATISTICS = 6
PACKET_AUXDATA = 8
TP_STATUS_VLAN_VALID = 1 << 4
ETH_P_IP = 0x0800
ETH_P_ALL = 0x0003

stopping = False


def stop(_signum, _frame):
    global stopping
    stopping = True


def mac_bytes(text):
    return bytes(int(part, 16) for part in text.split(":"))


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def offset_mac(mac, offset):
    return mac[:3] + ((int.from_bytes(mac[3:], "big") + offset) & 0xFFFFFF).to_bytes(3, "big")


def frame(src_mac, dst_mac, port, sequence, vlan=None):
    payload = struct.pack("!Q", sequence) + bytes(18)
    udp = struct.pack("!HHHH", 40000, port, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), sequence & 0xFFFF, 0, 64, 17, 0,
                     bytes([10, 99, 0, 1]), bytes([10, 99, 0, 2]))
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    tag = b"" if vlan is None else struct.pack("!HH", 0x8100, vlan & 0x0FFF)
    return dst_mac + src_mac + tag + struct.pack("!H", ETH_P_IP) + ip + udp


def send(args):
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    sock.bind((args.iface, 0))
    src, dst = mac_bytes(args.src_mac), mac_bytes(args.dst_mac)
    print("ready", flush=True)
    sent = 0
    start = time.monotonic()
    while not stopping and (args.count is None or sent < args.count):
        due = start + sent / args.rate
        now = time.monotonic()
        if due > now:
            time.sleep(min(due - now, 0.05))
            continue
        try:
            sock.send(frame(offset_mac(src, sent % args.src_macs), dst, args.port, sent, args.vlan))
            sent += 1
        except InterruptedError:
            continue
    print(json.dumps({"sent": sent}), flush=True)


def receive(args):
    # All protocols: a tagged frame's EtherType is 802.1Q when the kernel leaves its tag in the data.
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    # The kernel takes a received frame's 802.1Q tag out of the data and reports it beside the frame.
    sock.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
    sock.bind((args.iface, 0))
    sock.settimeout(0.2)
    # Frames queued before the bind completed are not ours to count: start clean.
    sock.getsockopt(SOL_PACKET, PACKET_STATISTICS, 8)
    print("ready", flush=True)
    received = 0
    seen = set()
    drops = 0
    vlans = {}
    draining = False
    while True:
        if stopping and not draining:
            # Count what is already queued before reporting: frames that arrived are not lost.
            draining = True
            sock.setblocking(False)
        try:
            data, ancillary, _, address = sock.recvmsg(2048, socket.CMSG_SPACE(20))
        except (BlockingIOError, socket.timeout, InterruptedError):
            if draining:
                break
            continue
        if address[2] == socket.PACKET_OUTGOING:
            continue
        vlan = None
        for level, kind, aux in ancillary:
            if level == SOL_PACKET and kind == PACKET_AUXDATA and len(aux) >= 20:
                status, _, _, _, _, tci, _ = struct.unpack("IIIHHHH", aux[:20])
                if status & TP_STATUS_VLAN_VALID:
                    vlan = tci & 0x0FFF
        if vlan is None and len(data) >= 18 and struct.unpack("!H", data[12:14])[0] == 0x8100:
            vlan = struct.unpack("!H", data[14:16])[0] & 0x0FFF  # the tag left in the data
            data = data[:12] + data[16:]
        if len(data) < 50 or struct.unpack("!H", data[12:14])[0] != ETH_P_IP:
            continue
        if data[23] != 17 or struct.unpack("!H", data[36:38])[0] != args.port:
            continue
        key = "untagged" if vlan is None else str(vlan)
        vlans[key] = vlans.get(key, 0) + 1
        received += 1
        seen.add(struct.unpack("!Q", data[42:50])[0])
    stats = sock.getsockopt(SOL_PACKET, PACKET_STATISTICS, 8)
    drops += struct.unpack("II", stats)[1]
    print(json.dumps({"received": received, "unique": len(seen), "socket_drops": drops, "vlans": vlans}),
          flush=True)


def main():
    # Test runners may start us with these blocked; we are stopped with them.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["send", "receive"])
    parser.add_argument("iface")
    parser.add_argument("--src-mac", default="02:00:00:00:99:01")
    parser.add_argument("--dst-mac", default="02:00:00:00:99:02")
    parser.add_argument("--src-macs", type=int, default=1)
    parser.add_argument("--vlan", type=int)
    parser.add_argument("--rate", type=float, default=2000.0)
    parser.add_argument("--count", type=int)
    parser.add_argument("--port", type=int, default=9999)
    args = parser.parse_args()
    if args.rate <= 0:
        parser.error("--rate must be positive")
    if args.src_macs < 1:
        parser.error("--src-macs must be at least 1")
    send(args) if args.mode == "send" else receive(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
