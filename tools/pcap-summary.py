#!/usr/bin/python3
"""Summarise a classic pcap file: packet count, frame-size histogram and the
number of distinct source MACs, destination MACs, VLAN IDs and 5-tuples.

Reads classic pcap in either byte order, microsecond or nanosecond variant
(not pcapng).  Frames are parsed as Ethernet with up to two VLAN tags
(0x8100 / 0x88a8 / 0x9100), then IPv4 or IPv6; the 5-tuple is (src IP,
dst IP, IP protocol, src port, dst port), ports being 0 for protocols other
than TCP/UDP/SCTP and for non-first IPv4 fragments.  VXLAN (UDP dst port
4789) VNIs are counted; with --inner, the inner frame of every VXLAN packet
is summarised instead of the outer one.

Usage: tools/pcap-summary.py [--json] [--inner] FILE.pcap [FILE.pcap ...]
"""

import argparse
import json
import mmap
import struct
import sys

VLAN_TPIDS = (0x8100, 0x88A8, 0x9100)
PORT_PROTOS = (6, 17, 132)
VXLAN_PORT = 4789
IPV6_EXT = (0, 43, 60)     # hop-by-hop, routing, destination options


class PcapError(Exception):
    pass


def read_packets(buf):
    """Yield (ts_sec, ts_frac, caplen, origlen, offset) for every record."""
    if len(buf) < 24:
        raise PcapError("file too short for a pcap header")
    magic_le = struct.unpack_from("<I", buf, 0)[0]
    if magic_le in (0xA1B2C3D4, 0xA1B23C4D):
        e = "<"
    elif magic_le in (0xD4C3B2A1, 0x4D3CB2A1):
        e = ">"
    elif magic_le == 0x0A0D0D0A:
        raise PcapError("pcapng is not supported, convert with editcap -F pcap")
    else:
        raise PcapError("not a pcap file (magic 0x%08x)" % magic_le)
    rec = struct.Struct(e + "IIII")
    off = 24
    end = len(buf)
    while off + 16 <= end:
        sec, frac, caplen, origlen = rec.unpack_from(buf, off)
        off += 16
        if off + caplen > end:
            raise PcapError("truncated record at offset %d" % (off - 16))
        yield sec, frac, caplen, origlen, off
        off += caplen
    if off != end:
        raise PcapError("%d trailing bytes after last record" % (end - off))


def pcap_header(buf):
    magic = struct.unpack_from("<I", buf, 0)[0]
    e = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    magic, vmaj, vmin, _tz, _sf, snaplen, linktype = struct.unpack_from(
        e + "IHHiIII", buf, 0)
    nsec = magic in (0xA1B23C4D, 0x4D3CB2A1)
    return {"version": "%d.%d" % (vmaj, vmin), "snaplen": snaplen,
            "linktype": linktype,
            "byte_order": "little" if e == "<" else "big",
            "ts_resolution": "ns" if nsec else "us"}


class Summary:
    def __init__(self, inner=False):
        self.inner = inner
        self.packets = 0
        self.bytes = 0
        self.truncated = 0
        self.sizes = {}
        self.src_macs = set()
        self.dst_macs = set()
        self.vlans = {}
        self.untagged = 0
        self.ethertypes = {}
        self.ip_protos = {}
        self.tuples = set()
        self.vnis = {}
        self.not_vxlan = 0
        self.first_ts = None
        self.last_ts = None

    def add(self, buf, off, caplen, origlen, ts):
        self.packets += 1
        self.bytes += caplen
        if origlen > caplen:
            self.truncated += 1
        if self.first_ts is None:
            self.first_ts = ts
        self.last_ts = ts
        start, end = off, off + caplen
        if self.inner:
            inner = self._vxlan(buf, start, end)
            if inner is None:
                self.not_vxlan += 1
                return
            start = inner
        self._frame(buf, start, end)

    # -- parsing ----------------------------------------------------------

    def _vxlan(self, buf, off, end):
        """Offset of the inner Ethernet frame if this is VXLAN, else None."""
        l3, etype, _vlan = self._l2(buf, off, end)
        l4, proto = self._l3(buf, l3, end, etype, count=False)
        if proto != 17 or l4 is None or l4 + 16 > end:
            return None
        if struct.unpack_from("!H", buf, l4 + 2)[0] != VXLAN_PORT:
            return None
        return l4 + 16

    def _l2(self, buf, off, end):
        if off + 14 > end:
            return None, None, None
        etype = struct.unpack_from("!H", buf, off + 12)[0]
        l3 = off + 14
        vlan = None
        for _ in range(2):
            if etype in VLAN_TPIDS and l3 + 4 <= end:
                tci, etype = struct.unpack_from("!HH", buf, l3)
                if vlan is None:
                    vlan = tci & 0x0FFF
                l3 += 4
        return l3, etype, vlan

    def _l3(self, buf, l3, end, etype, count=True):
        """Returns (l4 offset or None, protocol or None); records 5-tuple."""
        if etype == 0x0800 and l3 + 20 <= end:
            vihl = buf[l3]
            ihl = (vihl & 0x0F) * 4
            proto = buf[l3 + 9]
            frag = struct.unpack_from("!H", buf, l3 + 6)[0] & 0x1FFF
            addrs = bytes(buf[l3 + 12:l3 + 20])
            l4 = l3 + ihl
        elif etype == 0x86DD and l3 + 40 <= end:
            proto = buf[l3 + 6]
            addrs = bytes(buf[l3 + 8:l3 + 40])
            l4 = l3 + 40
            frag = 0
            while proto in IPV6_EXT + (44,) and l4 + 8 <= end:
                nxt = buf[l4]
                if proto == 44:
                    frag = struct.unpack_from("!H", buf, l4 + 2)[0] >> 3
                    l4 += 8
                else:
                    l4 += (buf[l4 + 1] + 1) * 8
                proto = nxt
        else:
            return None, None
        if count:
            self.ip_protos[proto] = self.ip_protos.get(proto, 0) + 1
            if proto in PORT_PROTOS and frag == 0 and l4 + 4 <= end:
                ports = bytes(buf[l4:l4 + 4])
            else:
                ports = b"\0\0\0\0"
            self.tuples.add(addrs + bytes((proto,)) + ports)
        return (l4 if frag == 0 else None), proto

    def _frame(self, buf, off, end):
        caplen = end - off
        self.sizes[caplen] = self.sizes.get(caplen, 0) + 1
        if off + 14 > end:
            return
        self.dst_macs.add(bytes(buf[off:off + 6]))
        self.src_macs.add(bytes(buf[off + 6:off + 12]))
        l3, etype, vlan = self._l2(buf, off, end)
        if vlan is None:
            self.untagged += 1
        else:
            self.vlans[vlan] = self.vlans.get(vlan, 0) + 1
        self.ethertypes[etype] = self.ethertypes.get(etype, 0) + 1
        l4, proto = self._l3(buf, l3, end, etype)
        if (proto == 17 and l4 is not None and l4 + 16 <= end
                and struct.unpack_from("!H", buf, l4 + 2)[0] == VXLAN_PORT):
            vni = struct.unpack_from("!I", buf, l4 + 12)[0] >> 8
            self.vnis[vni] = self.vnis.get(vni, 0) + 1

    # -- output -----------------------------------------------------------

    def as_dict(self):
        d = {
            "packets": self.packets,
            "bytes": self.bytes,
            "truncated": self.truncated,
            "sizes": {str(k): v for k, v in sorted(self.sizes.items())},
            "src_macs": len(self.src_macs),
            "dst_macs": len(self.dst_macs),
            "vlan_ids": len(self.vlans),
            "vlans": {str(k): v for k, v in sorted(self.vlans.items())},
            "untagged": self.untagged,
            "ethertypes": {"0x%04x" % k: v
                           for k, v in sorted(self.ethertypes.items())},
            "ip_protocols": {str(k): v
                             for k, v in sorted(self.ip_protos.items())},
            "five_tuples": len(self.tuples),
            "vxlan_vnis": {str(k): v for k, v in sorted(self.vnis.items())},
            "first_ts": self.first_ts,
            "last_ts": self.last_ts,
        }
        if self.inner:
            d["not_vxlan"] = self.not_vxlan
        return d


def summarise(path, inner=False):
    with open(path, "rb") as fh:
        try:
            buf = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        except ValueError:          # empty file
            buf = b""
        try:
            s = Summary(inner)
            for sec, frac, caplen, origlen, off in read_packets(buf):
                s.add(buf, off, caplen, origlen, (sec, frac))
            d = {"file": path}
            d.update(pcap_header(buf))
            d.update(s.as_dict())
            frac = 9 if d["ts_resolution"] == "ns" else 6
            for k in ("first_ts", "last_ts"):
                if d[k] is not None:
                    d[k] = "%d.%0*d" % (d[k][0], frac, d[k][1])
            return d
        finally:
            if isinstance(buf, mmap.mmap):
                buf.close()


def print_text(d):
    print("%s" % d["file"])
    print("  pcap %s, %s-endian, ts %s, snaplen %d, linktype %d"
          % (d["version"], d["byte_order"], d["ts_resolution"],
             d["snaplen"], d["linktype"]))
    print("  packets      %d (%d bytes captured, %d truncated)"
          % (d["packets"], d["bytes"], d["truncated"]))
    if d.get("not_vxlan"):
        print("  not VXLAN    %d (skipped by --inner)" % d["not_vxlan"])
    print("  frame sizes (captured bytes: packets)")
    for size, n in d["sizes"].items():
        print("    %6s: %d" % (size, n))
    print("  src MACs     %d" % d["src_macs"])
    print("  dst MACs     %d" % d["dst_macs"])
    vl = ", ".join("%s: %d" % kv for kv in list(d["vlans"].items())[:8])
    if len(d["vlans"]) > 8:
        vl += ", ..."
    print("  VLAN IDs     %d%s (untagged %d)"
          % (d["vlan_ids"], " [%s]" % vl if vl else "", d["untagged"]))
    print("  ethertypes   %s" % ", ".join("%s: %d" % kv
                                          for kv in d["ethertypes"].items()))
    print("  IP protocols %s" % ", ".join("%s: %d" % kv
                                          for kv in d["ip_protocols"].items()))
    print("  5-tuples     %d" % d["five_tuples"])
    if d["vxlan_vnis"]:
        print("  VXLAN VNIs   %s" % ", ".join("%s: %d" % kv
                                              for kv in d["vxlan_vnis"].items()))
    if d["first_ts"] is not None:
        print("  timestamps   %s .. %s" % (d["first_ts"], d["last_ts"]))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="+", metavar="FILE.pcap")
    ap.add_argument("--json", action="store_true",
                    help="machine-readable output (one JSON object per file, "
                         "a list if several files)")
    ap.add_argument("--inner", action="store_true",
                    help="summarise the inner frames of VXLAN packets")
    args = ap.parse_args(argv)
    results = []
    rc = 0
    for path in args.files:
        try:
            results.append(summarise(path, args.inner))
        except (OSError, PcapError) as e:
            print("pcap-summary: %s: %s" % (path, e), file=sys.stderr)
            rc = 1
    if args.json:
        out = results[0] if len(results) == 1 else results
        json.dump(out, sys.stdout, indent=2)
        print()
    else:
        for d in results:
            print_text(d)
    return rc


if __name__ == "__main__":
    sys.exit(main())
