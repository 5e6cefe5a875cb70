#!/usr/bin/python3
"""Deterministic pcap trace generator for Sluice benchmarks and tests.

Every trace is a classic pcap file (magic 0xa1b2c3d4, version 2.4,
LINKTYPE_ETHERNET, snaplen 65535, microsecond timestamps).  Frames are
stored without FCS, so a 60-byte record is a 64-byte frame on the wire.

Determinism: the same command line always writes byte-identical files.
  * Timestamps come from the packet index only: packet i is stamped
    TS_BASE + i * TS_STEP_US microseconds (TS_BASE = 2024-01-01T00:00:00Z).
  * Every random choice comes from a per-trace-family random.Random whose
    integer seed is derived (SHA-256) from --seed and the family name, so a
    trace does not depend on which other traces are generated with it.
  * Only Random.random() is used (Python guarantees its sequence for a given
    seed across versions); integer draws and the shuffle are done here.

Hosts (fixed MAC <-> IP mapping, i = 0..255, x = i // 128, y = i % 128 + 1):
  source host i       IPv4 10.0.x.y   MAC 02:00:00:00:0x:yy   (HH = 0x00|x)
  destination host i  IPv4 10.1.x.y   MAC 02:00:00:00:1x:yy   (HH = 0x10|x)
  e.g. source 0 = 10.0.0.1 / 02:00:00:00:00:01,
       destination 255 = 10.1.1.128 / 02:00:00:00:11:80.

Flows (UDP traces): flow f (0 <= f < 1,048,576) uses
  source host      s = f % 256
  destination host d = (s + (f // 256)) % 256     (all 65536 pairs for f < 65536)
  UDP source port  1024 + r * 4032 + rand(4032)   with r = f // 65536
  UDP dest port    1024 + rand(64512)
(ports in AVOID_PORTS -- VXLAN, Geneve, GTP-U, ... -- are redrawn)
so every flow is a distinct 5-tuple by construction (flows sharing a host pair
have different r, hence disjoint source-port slices).  The flow order is a
seeded shuffle, and packet k belongs to flow order[k % nflows], so packets of
one flow are never back to back.

UDP payload: bytes 0-3 flow index, bytes 4-7 packet index (big endian), the
rest a fixed 0x00..0xff repeating pattern.

IMIX definition used by imix-1k (the common "simple IMIX" 7:4:1):
  IPv4 packet sizes 46 / 576 / 1500 bytes, i.e. pcap frames 60 / 590 / 1514
  bytes and wire frames 64 / 594 / 1518 bytes (with FCS).  The 12-packet
  cycle is S M S S M S L S M S S M (7 small, 4 medium, 1 large).

See docs/traces.md for the list of traces.
"""

import argparse
import hashlib
import os
import random
import struct
import sys
import time
import zlib
from array import array

# --------------------------------------------------------------------------
# constants

PCAP_MAGIC = 0xA1B2C3D4
PCAP_SNAPLEN = 65535
LINKTYPE_ETHERNET = 1
TS_BASE = 1704067200          # 2024-01-01T00:00:00Z
TS_STEP_US = 1                # one microsecond between consecutive packets

DEFAULT_SEED = 1
MIN_FRAME = 60                # minimum Ethernet frame without FCS

ETH_P_IP = 0x0800
ETH_P_8021Q = 0x8100
VLAN_ID = 100
VLAN_PCP = 0

VXLAN_PORT = 4789
VXLAN_VNI = 5000
VXLAN_SPORT_MIN = 49152       # RFC 7348: source port from the dynamic range
VTEP_SRC_MAC = bytes.fromhex("020000010001")
VTEP_DST_MAC = bytes.fromhex("020000010002")
VTEP_SRC_IP = bytes((192, 168, 100, 1))
VTEP_DST_IP = bytes((192, 168, 100, 2))

IPPROTO_TCP = 6
IPPROTO_UDP = 17

NHOSTS = 256
MAX_FLOWS = 16 * 65536
PORT_SLICE = 4032             # (65536 - 1024) / 16

IMIX_SIZES = {"S": 60, "M": 590, "L": 1514}
IMIX_PATTERN = "SMSSMSLSMSSM"

TCP_CLIENT_DATA = 64          # bytes of payload client -> server
TCP_SERVER_DATA = 512         # bytes of payload server -> client
TCP_CLIENT_WIN = 64240
TCP_SERVER_WIN = 65160
TCP_MSS = 1460
TCP_SERVER_PORTS = (80, 443, 8080)

# UDP ports a parser may treat as a tunnel or control protocol; never used as
# a source or destination port of the generated UDP flows (redrawn instead).
AVOID_PORTS = frozenset((
    1701,   # L2TP
    2152,   # GTP-U
    3784, 3785,   # BFD
    4500,   # IPsec NAT-T
    4754,   # GRE-in-UDP
    4789,   # VXLAN
    4790,   # VXLAN-GPE
    6081,   # Geneve
    6635,   # MPLS-in-UDP
    8472,   # Linux legacy VXLAN
))

FILLER = bytes(range(256)) * 6   # >= 1500 bytes of fixed payload pattern

_LITTLE = sys.byteorder == "little"


# --------------------------------------------------------------------------
# helpers

class Rng:
    """Seeded RNG built only on Random.random() (version-stable sequence)."""

    def __init__(self, seed, family):
        digest = hashlib.sha256(
            ("sluice-gen-traces:%s:%s" % (seed, family)).encode()).digest()
        self._r = random.Random(int.from_bytes(digest[:16], "big"))
        self.random = self._r.random

    def below(self, n):
        return int(self.random() * n)

    def shuffle(self, seq):
        rnd = self.random
        for i in range(len(seq) - 1, 0, -1):
            j = int(rnd() * (i + 1))
            seq[i], seq[j] = seq[j], seq[i]


def csum_native(data):
    """RFC 1071 checksum of data, as a 16-bit value in *native* byte order.

    The one's-complement sum is byte-order independent, so summing native
    words and storing the result with a native '=H' gives the right bytes.
    """
    if len(data) & 1:
        data = bytes(data) + b"\0"
    s = sum(array("H", data))
    s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def host_ip(side, i):
    return bytes((10, side, i // 128, i % 128 + 1))


def host_mac(side, i):
    return bytes((0x02, 0, 0, 0, (side << 4) | (i // 128), i % 128 + 1))


SRC_IP = [host_ip(0, i) for i in range(NHOSTS)]
DST_IP = [host_ip(1, i) for i in range(NHOSTS)]
SRC_MAC = [host_mac(0, i) for i in range(NHOSTS)]
DST_MAC = [host_mac(1, i) for i in range(NHOSTS)]


def flow_hosts(f):
    p = f & 0xFFFF
    s = p & 0xFF
    d = (s + (p >> 8)) & 0xFF
    return s, d


class FlowSet:
    """nflows distinct UDP 5-tuples plus a seeded interleaving order."""

    def __init__(self, nflows, rng):
        if nflows > MAX_FLOWS:
            raise ValueError("at most %d flows supported" % MAX_FLOWS)
        below = rng.below
        self.n = nflows
        self.sport = array("H", bytes(2 * nflows))
        self.dport = array("H", bytes(2 * nflows))
        sp, dp = self.sport, self.dport
        for f in range(nflows):
            base = 1024 + (f >> 16) * PORT_SLICE
            port = base + below(PORT_SLICE)
            while port in AVOID_PORTS:
                port = base + below(PORT_SLICE)
            sp[f] = port
            port = 1024 + below(65536 - 1024)
            while port in AVOID_PORTS:
                port = 1024 + below(65536 - 1024)
            dp[f] = port
        order = list(range(nflows))
        rng.shuffle(order)
        self.order = order

    def flow_of_packet(self, k):
        return self.order[k % self.n]


# --------------------------------------------------------------------------
# frame builders

def eth_ipv4_udp_template(frame_len):
    """Ethernet/IPv4/UDP frame with constant fields filled in."""
    ip_len = frame_len - 14
    buf = bytearray(frame_len)
    struct.pack_into("!H", buf, 12, ETH_P_IP)
    struct.pack_into("!BBHHHBBH", buf, 14, 0x45, 0, ip_len, 0, 0, 64,
                     IPPROTO_UDP, 0)
    struct.pack_into("!HHHH", buf, 34, 0, 0, ip_len - 20, 0)
    buf[42:] = FILLER[:frame_len - 42]
    return bytes(buf)


class UdpFrames:
    """Builds the plain Ethernet/IPv4/UDP frames of a flow set."""

    def __init__(self, flows, sizes=None):
        self.flows = flows
        self.templates = {}
        for size in set(sizes or [MIN_FRAME]):
            self.templates[size] = eth_ipv4_udp_template(size)

    def frame(self, k, size=MIN_FRAME):
        """Frame for packet index k; returns (frame, flow index)."""
        f = self.flows.flow_of_packet(k)
        s, d = flow_hosts(f)
        sip, dip = SRC_IP[s], DST_IP[d]
        buf = bytearray(self.templates[size])
        buf[0:6] = DST_MAC[d]
        buf[6:12] = SRC_MAC[s]
        struct.pack_into("!H", buf, 18, k & 0xFFFF)
        buf[26:30] = sip
        buf[30:34] = dip
        struct.pack_into("!HHHHII", buf, 34, self.flows.sport[f],
                         self.flows.dport[f], size - 34, 0, f, k)
        struct.pack_into("=H", buf, 24, csum_native(buf[14:34]))
        pseudo = sip + dip + struct.pack("!BBH", 0, IPPROTO_UDP, size - 34)
        c = csum_native(pseudo + buf[34:])
        struct.pack_into("=H", buf, 40, c or 0xFFFF)
        return bytes(buf), f


def gen_udp(nflows, npackets, family, seed, **_):
    flows = FlowSet(nflows, Rng(seed, family))
    uf = UdpFrames(flows)
    for k in range(npackets):
        yield uf.frame(k)[0]


def reversed_udp(fr):
    """The same UDP frame sent the other way: MACs, addresses and ports swapped (checksums unchanged)."""
    return (fr[6:12] + fr[0:6] + fr[12:26] + fr[30:34] + fr[26:30]
            + fr[36:38] + fr[34:36] + fr[38:])


def gen_udp_reply(nflows, npackets, family, seed, **_):
    """udp-* flows answered: odd passes through the flow set go back."""
    for k, fr in enumerate(gen_udp(nflows, npackets, family, seed)):
        yield reversed_udp(fr) if (k // nflows) % 2 else fr


def gen_vlan(nflows, npackets, family, seed, **_):
    tag = struct.pack("!HH", ETH_P_8021Q, (VLAN_PCP << 13) | VLAN_ID)
    for fr in gen_udp(nflows, npackets, family, seed):
        yield fr[:12] + tag + fr[12:]


def vxlan_sport(inner):
    """Outer UDP source port from a hash of the inner IPv4/UDP 5-tuple."""
    key = inner[26:34] + inner[23:24] + inner[34:38]   # sip dip proto ports
    return VXLAN_SPORT_MIN + zlib.crc32(key) % (65536 - VXLAN_SPORT_MIN)


def gen_vxlan(nflows, npackets, family, seed, vxlan_zero_csum=False, **_):
    flows = FlowSet(nflows, Rng(seed, family))
    uf = UdpFrames(flows)
    inner_len = MIN_FRAME
    total = 14 + 20 + 8 + 8 + inner_len
    ip_len = total - 14
    udp_len = ip_len - 20
    tmpl = bytearray(total)
    tmpl[0:6] = VTEP_DST_MAC
    tmpl[6:12] = VTEP_SRC_MAC
    struct.pack_into("!H", tmpl, 12, ETH_P_IP)
    struct.pack_into("!BBHHHBBH4s4s", tmpl, 14, 0x45, 0, ip_len, 0, 0, 64,
                     IPPROTO_UDP, 0, VTEP_SRC_IP, VTEP_DST_IP)
    struct.pack_into("!HHHH", tmpl, 34, 0, VXLAN_PORT, udp_len, 0)
    struct.pack_into("!II", tmpl, 42, 0x08 << 24, VXLAN_VNI << 8)
    tmpl = bytes(tmpl)
    pseudo = VTEP_SRC_IP + VTEP_DST_IP + struct.pack("!BBH", 0, IPPROTO_UDP,
                                                     udp_len)
    for k in range(npackets):
        inner, _f = uf.frame(k)
        buf = bytearray(tmpl)
        struct.pack_into("!H", buf, 18, k & 0xFFFF)
        struct.pack_into("=H", buf, 24, csum_native(buf[14:34]))
        struct.pack_into("!H", buf, 34, vxlan_sport(inner))
        buf[50:] = inner
        if not vxlan_zero_csum:
            c = csum_native(pseudo + buf[34:])
            struct.pack_into("=H", buf, 40, c or 0xFFFF)
        yield bytes(buf)


def gen_imix(nflows, npackets, family, seed, **_):
    flows = FlowSet(nflows, Rng(seed, family))
    uf = UdpFrames(flows, IMIX_SIZES.values())
    sizes = [IMIX_SIZES[c] for c in IMIX_PATTERN]
    for k in range(npackets):
        yield uf.frame(k, sizes[k % len(sizes)])[0]


# TCP --------------------------------------------------------------------

TCP_FIN, TCP_SYN, TCP_PSH, TCP_ACK = 0x01, 0x02, 0x08, 0x10


def tcp_frame(smac, dmac, sip, dip, sport, dport, seq, ack, flags, win,
              payload_len, ident, mss=False):
    opts = struct.pack("!BBH", 2, 4, TCP_MSS) if mss else b""
    thl = 20 + len(opts)
    ip_len = 20 + thl + payload_len
    frame_len = max(14 + ip_len, MIN_FRAME)        # pad short frames
    buf = bytearray(frame_len)
    buf[0:6] = dmac
    buf[6:12] = smac
    struct.pack_into("!HBBHHHBBH4s4s", buf, 12, ETH_P_IP, 0x45, 0, ip_len,
                     ident, 0x4000, 64, IPPROTO_TCP, 0, sip, dip)   # DF
    struct.pack_into("!HHIIBBHHH", buf, 34, sport, dport, seq, ack,
                     (thl // 4) << 4, flags, win, 0, 0)
    buf[34 + 20:34 + thl] = opts
    data_off = 34 + thl
    buf[data_off:data_off + payload_len] = FILLER[:payload_len]
    struct.pack_into("=H", buf, 24, csum_native(buf[14:34]))
    seg = buf[34:14 + ip_len]
    pseudo = sip + dip + struct.pack("!BBH", 0, IPPROTO_TCP, len(seg))
    struct.pack_into("=H", buf, 50, csum_native(pseudo + seg))
    return bytes(buf)


def tcp_connection(c, rng):
    """Eight segments of one connection: (from_client, seq, ack, flags, len)."""
    a = int(rng.random() * 2**32)          # client ISN
    b = int(rng.random() * 2**32)          # server ISN
    m = 0xFFFFFFFF
    lc, ls = TCP_CLIENT_DATA, TCP_SERVER_DATA
    return [
        (True, a, 0, TCP_SYN, 0),
        (False, b, (a + 1) & m, TCP_SYN | TCP_ACK, 0),
        (True, (a + 1) & m, (b + 1) & m, TCP_ACK, 0),
        (True, (a + 1) & m, (b + 1) & m, TCP_PSH | TCP_ACK, lc),
        (False, (b + 1) & m, (a + 1 + lc) & m, TCP_PSH | TCP_ACK, ls),
        (True, (a + 1 + lc) & m, (b + 1 + ls) & m, TCP_FIN | TCP_ACK, 0),
        (False, (b + 1 + ls) & m, (a + 2 + lc) & m, TCP_FIN | TCP_ACK, 0),
        (True, (a + 2 + lc) & m, (b + 2 + ls) & m, TCP_ACK, 0),
    ]


def gen_tcp(nflows, npackets, family, seed, **_):
    """nflows full TCP exchanges, interleaved by a seeded schedule.

    Connection c starts at a random slot in [0, 8 * nflows) and each next
    segment follows after 1..600 slots; all segments are then emitted in
    (slot, connection, step) order, so a few hundred connections are open
    at once.  Slots only order the packets; timestamps are from the index.
    """
    rng = Rng(seed, family)
    conns = []
    events = []
    for c in range(nflows):
        s, d = flow_hosts(c)
        cport = 32768 + rng.below(61000 - 32768)
        sport = TCP_SERVER_PORTS[rng.below(len(TCP_SERVER_PORTS))]
        segs = tcp_connection(c, rng)
        conns.append((s, d, cport, sport, segs))
        t = rng.below(8 * nflows)
        for j in range(len(segs)):
            events.append((t, c, j))
            t += 1 + rng.below(600)
    events.sort()
    assert len(events) == npackets
    for k, (_t, c, j) in enumerate(events):
        s, d, cport, sport, segs = conns[c]
        from_client, seq, ack, flags, plen = segs[j]
        if from_client:
            yield tcp_frame(SRC_MAC[s], DST_MAC[d], SRC_IP[s], DST_IP[d],
                            cport, sport, seq, ack, flags, TCP_CLIENT_WIN,
                            plen, k & 0xFFFF, mss=bool(flags & TCP_SYN))
        else:
            yield tcp_frame(DST_MAC[d], SRC_MAC[s], DST_IP[d], SRC_IP[s],
                            sport, cport, seq, ack, flags, TCP_SERVER_WIN,
                            plen, k & 0xFFFF, mss=bool(flags & TCP_SYN))


METADATA_IP = bytes([169, 254, 169, 254])


def gen_metadata(nflows, npackets, family, seed, **_):
    """Requests of one guest (source host 0) to the metadata address.

    nflows connections to 169.254.169.254:80, each the client's 8 segments
    of tcp_connection (SYN, ACK, a 64-byte request, ACKs, FIN): what the
    intercept rewrites towards the service.  Distinct client ports (the NAT
    key); the segments interleaved by a seeded schedule as in gen_tcp.  The
    destination MAC is destination host 0's (the guest's gateway).
    """
    rng = Rng(seed, family)
    ports = list(range(32768, 32768 + 4 * nflows, 4))
    rng.shuffle(ports)
    events = []
    conns = []
    for c in range(nflows):
        client = [s for s in tcp_connection(c, rng) if s[0]]
        fin = client[3]
        segs = client[:3] + [(True, fin[1], fin[2], TCP_ACK, 0)] * 3 + client[3:]
        conns.append(segs)
        t = rng.below(8 * nflows)
        for j in range(len(segs)):
            events.append((t, c, j))
            t += 1 + rng.below(64)
    events.sort()
    assert len(events) == npackets
    for k, (_t, c, j) in enumerate(events):
        _from_client, seq, ack, flags, plen = conns[c][j]
        yield tcp_frame(SRC_MAC[0], DST_MAC[0], SRC_IP[0], METADATA_IP,
                        ports[c], 80, seq, ack, flags, TCP_CLIENT_WIN,
                        plen, k & 0xFFFF, mss=bool(flags & TCP_SYN))


# --------------------------------------------------------------------------
# trace registry

# name: (generator, flow-set family, nflows, npackets, default?, description)
TRACES = {}


def _reg(name, gen, family, nflows, npackets, default, desc):
    TRACES[name] = (gen, family, nflows, npackets, default, desc)


_SCALES = (("1k", 1000, 8192, True),
           ("100k", 100000, 100000, True),
           ("1m", 1000000, 1000000, False))
for _sfx, _n, _p, _dflt in _SCALES:
    _reg("udp-%s.pcap" % _sfx, gen_udp, "udp-" + _sfx, _n, _p, _dflt,
         "Eth/IPv4/UDP, 60-byte frames, %d flows, %d packets" % (_n, _p))
for _sfx, _n, _p, _dflt in _SCALES:
    _reg("vlan-udp-%s.pcap" % _sfx, gen_vlan, "udp-" + _sfx, _n, _p, _dflt,
         "udp-%s frames with 802.1Q tag VLAN %d, 64-byte frames"
         % (_sfx, VLAN_ID))
for _sfx, _n, _p, _dflt in _SCALES[:2]:
    _reg("vxlan-%s.pcap" % _sfx, gen_vxlan, "udp-" + _sfx, _n, _p, _dflt,
         "udp-%s frames in VXLAN (VNI %d, UDP %d), 110-byte frames"
         % (_sfx, VXLAN_VNI, VXLAN_PORT))
_reg("udp-10.pcap", gen_udp, "udp-10", 10, 8192, False,
     "Eth/IPv4/UDP, 60-byte frames, 10 flows, 8192 packets (the small end "
     "of the flat-cost figure)")
_reg("udp-1.pcap", gen_udp, "udp-1", 1, 8192, False,
     "Eth/IPv4/UDP, 60-byte frames, one flow (one MAC pair), 8192 packets: "
     "every burst is one conversation, as a guest's bulk stream")
_reg("udp-reply-1k.pcap", gen_udp_reply, "udp-1k", 1000, 8192, False,
     "udp-1k answered: every other pass through the 1000 flows is the "
     "reply (addresses, MACs and ports swapped), 8192 packets")
_reg("tcp-1k.pcap", gen_tcp, "tcp-1k", 1000, 8000, True,
     "1000 interleaved TCP connections, 8 segments each, 8000 packets")
_reg("metadata-1k.pcap", gen_metadata, "metadata-1k", 128, 1024, True,
     "one guest's requests to 169.254.169.254:80: 128 interleaved TCP "
     "connections, the client's 8 segments each, 1024 packets")
_reg("imix-1k.pcap", gen_imix, "imix-1k", 1000, 8192, True,
     "1000 UDP flows, simple IMIX 7:4:1 of 60/590/1514-byte frames, "
     "8192 packets")


def write_pcap(path, frames):
    """Write frames to path (atomically); returns (packets, file bytes)."""
    rec = struct.Struct("<IIII")
    tmp = path + ".tmp"
    n = 0
    with open(tmp, "wb") as fh:
        fh.write(struct.pack("<IHHiIII", PCAP_MAGIC, 2, 4, 0, 0,
                             PCAP_SNAPLEN, LINKTYPE_ETHERNET))
        chunk = []
        for fr in frames:
            t = n * TS_STEP_US
            ln = len(fr)
            chunk.append(rec.pack(TS_BASE + t // 1000000, t % 1000000, ln, ln))
            chunk.append(fr)
            n += 1
            if len(chunk) >= 65536:
                fh.write(b"".join(chunk))
                chunk.clear()
        fh.write(b"".join(chunk))
    os.replace(tmp, path)
    return n, os.path.getsize(path)


def generate(name, out_dir, seed=DEFAULT_SEED, vxlan_zero_csum=False):
    gen, family, nflows, npackets, _d, _desc = TRACES[name]
    path = os.path.join(out_dir, name)
    frames = gen(nflows, npackets, family, seed,
                 vxlan_zero_csum=vxlan_zero_csum)
    n, size = write_pcap(path, frames)
    if n != npackets:
        raise AssertionError("%s: wrote %d packets, expected %d"
                             % (name, n, npackets))
    return path, n, size


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Generate deterministic pcap traces for Sluice.",
        epilog="See docs/traces.md. The *-1m traces are only generated "
               "with --all or when named in --only.")
    ap.add_argument("--out", default="traces",
                    help="output directory (default: traces/, created)")
    ap.add_argument("--only", metavar="NAME[,NAME...]",
                    help="generate only these traces ('.pcap' optional)")
    ap.add_argument("--all", action="store_true",
                    help="also generate the large 1M-flow traces")
    ap.add_argument("--list", action="store_true",
                    help="print trace names with a description and exit")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED,
                    help="RNG seed (default: %d)" % DEFAULT_SEED)
    ap.add_argument("--vxlan-zero-csum", action="store_true",
                    help="write 0 (no checksum, as RFC 7348 recommends) in "
                         "the outer UDP checksum of the VXLAN traces "
                         "instead of the computed one")
    ap.add_argument("-q", "--quiet", action="store_true",
                    help="no per-trace progress output")
    args = ap.parse_args(argv)

    if args.list:
        for name, (_g, _f, _n, _p, dflt, desc) in TRACES.items():
            print("%-20s %s%s" % (name, desc,
                                  "" if dflt else "  [--all]"))
        return 0

    if args.only:
        names = []
        for nm in args.only.split(","):
            nm = nm.strip()
            if not nm:
                continue
            if not nm.endswith(".pcap"):
                nm += ".pcap"
            if nm not in TRACES:
                ap.error("unknown trace %r (see --list)" % nm)
            if nm not in names:
                names.append(nm)
    else:
        names = [n for n, t in TRACES.items() if t[4] or args.all]

    os.makedirs(args.out, exist_ok=True)
    t_all = time.monotonic()
    for name in names:
        t0 = time.monotonic()
        path, n, size = generate(name, args.out, args.seed,
                                 args.vxlan_zero_csum)
        if not args.quiet:
            print("%-20s %8d packets %11d bytes %7.2f s  %s"
                  % (name, n, size, time.monotonic() - t0, path), flush=True)
    if not args.quiet:
        print("total %.2f s" % (time.monotonic() - t_all))
    return 0


if __name__ == "__main__":
    sys.exit(main())
