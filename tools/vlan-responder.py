#!/usr/bin/python3
"""A minimal 802.1Q host for tests on machines whose kernel has no 802.1Q support (no `ip link ... type
vlan`): on one interface, answers ARP requests and ICMP echo requests for the given hosts, each on its VLAN,
tagged exactly as a VLAN subinterface would. It is the independent 802.1Q implementation the trunk tests
talk to. Only frames for the configured (VLAN, IP) pairs are answered; it stops by itself.

  vlan-responder.py IFACE --host VLAN,IP,MAC [--host ...] [--probe VLAN,FROM_IP,TO_IP] [--seconds N]

--probe sends one tagged ARP request at start (from the host owning FROM_IP): traffic on a VLAN the peer
may not carry. Prints "ready" when listening, then a JSON summary when it stops.
"""
import argparse
import json
import signal
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
TPID = 0x8100
SOL_PACKET = 263
PACKET_AUXDATA = 8
TP_STATUS_VLAN_VALID = 1 << 4


def mac_bytes(text):
    return bytes(int(part, 16) for part in text.split(":"))


def ip_bytes(text):
    return socket.inet_aton(text)


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def tagged(dst, src, vlan, ethertype, payload):
    frame = dst + src + struct.pack("!HHH", TPID, vlan & 0x0FFF, ethertype) + payload
    return frame + b"\0" * max(0, 64 - len(frame))


def arp(op, sender_mac, sender_ip, target_mac, target_ip):
    return struct.pack("!HHBBH", 1, 0x0800, 6, 4, op) + sender_mac + sender_ip + target_mac + target_ip


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("iface")
    parser.add_argument("--host", action="append", default=[], help="VLAN,IP,MAC")
    parser.add_argument("--probe", action="append", default=[], help="VLAN,FROM_IP,TO_IP")
    parser.add_argument("--seconds", type=float, default=120)
    args = parser.parse_args()
    # A parent (a test runner) may have started us with SIGINT blocked; we are stopped with it.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    hosts = {}
    for spec in args.host:
        vlan, ip, mac = spec.split(",")
        hosts[(int(vlan), ip_bytes(ip))] = mac_bytes(mac)
    stats = {"arp_replies": 0, "echo_replies": 0, "untagged": 0, "tagged": {}}

    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    sock.bind((args.iface, 0))
    # The kernel takes a received frame's 802.1Q tag out of the data (even without VLAN support) and reports
    # it beside the frame: ask for that report.
    sock.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
    sock.settimeout(0.2)
    for spec in args.probe:
        vlan, from_ip, to_ip = spec.split(",")
        mac = hosts[(int(vlan), ip_bytes(from_ip))]
        sock.send(tagged(b"\xff" * 6, mac, int(vlan), 0x0806,
                         arp(1, mac, ip_bytes(from_ip), b"\0" * 6, ip_bytes(to_ip))))
    print("ready", flush=True)

    try:
        serve(sock, hosts, stats, time.monotonic() + args.seconds)
    except KeyboardInterrupt:  # the test stops it with SIGINT once done
        pass
    print(json.dumps(stats), flush=True)


def serve(sock, hosts, stats, deadline):
    while time.monotonic() < deadline:
        try:
            frame, ancillary, _, meta = sock.recvmsg(65535, socket.CMSG_SPACE(20))
        except socket.timeout:
            continue
        except OSError as error:  # ENETDOWN is reported once if the link went down and up again
            stats.setdefault("errors", []).append(error.strerror)
            time.sleep(0.05)
            continue
        if meta[2] == socket.PACKET_OUTGOING or len(frame) < 14:
            continue
        vlan = None
        for level, kind, data in ancillary:
            if level == SOL_PACKET and kind == PACKET_AUXDATA and len(data) >= 20:
                status, _, _, _, _, tci, _ = struct.unpack("IIIHHHH", data[:20])
                if status & TP_STATUS_VLAN_VALID:
                    vlan = tci & 0x0FFF
        if vlan is None and struct.unpack("!H", frame[12:14])[0] == TPID and len(frame) >= 18:
            vlan = struct.unpack("!H", frame[14:16])[0] & 0x0FFF   # tag left in the data
            frame = frame[:12] + frame[16:]
        if vlan is None:
            stats["untagged"] += 1
            continue
        stats["tagged"][str(vlan)] = stats["tagged"].get(str(vlan), 0) + 1
        ethertype = struct.unpack("!H", frame[12:14])[0]
        src_mac, payload = frame[6:12], frame[14:]
        if ethertype == 0x0806 and len(payload) >= 28:
            op = struct.unpack("!H", payload[6:8])[0]
            sender_mac, sender_ip, target_ip = payload[8:14], payload[14:18], payload[24:28]
            mac = hosts.get((vlan, target_ip))
            if op == 1 and mac:
                sock.send(tagged(src_mac, mac, vlan, 0x0806, arp(2, mac, target_ip, sender_mac, sender_ip)))
                stats["arp_replies"] += 1
        elif ethertype == 0x0800 and len(payload) >= 28 and payload[9] == 1:
            header_length = (payload[0] & 0x0F) * 4
            total = struct.unpack("!H", payload[2:4])[0]
            source, destination = payload[12:16], payload[16:20]
            mac = hosts.get((vlan, destination))
            icmp = payload[header_length:total]
            if mac and len(icmp) >= 8 and icmp[0] == 8:
                reply_icmp = b"\0\0\0\0" + icmp[4:]  # echo reply, checksum zero while computing it
                reply_icmp = reply_icmp[:2] + struct.pack("!H", checksum(reply_icmp)) + reply_icmp[4:]
                header = bytearray(payload[:header_length])
                header[8] = 64
                header[12:16], header[16:20] = destination, source
                header[10:12] = b"\0\0"
                header[10:12] = struct.pack("!H", checksum(bytes(header)))
                sock.send(tagged(src_mac, mac, vlan, 0x0800, bytes(header) + reply_icmp))
                stats["echo_replies"] += 1


if __name__ == "__main__":
    sys.exit(main())
