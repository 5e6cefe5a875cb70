"""Self-test for tools/gen-traces.py and tools/pcap-summary.py.

Run from the repository root with
    /usr/bin/python3 -m unittest tools/test_gen_traces.py
(the checksum tests need scapy, which the Debian python3 has).

The generator is run as a subprocess; the traces are parsed here with a
small independent pcap reader and, for the checksums, with scapy.
"""

import collections
import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
GEN = os.path.join(HERE, "gen-traces.py")
SUMMARY = os.path.join(HERE, "pcap-summary.py")

SMALL = ["udp-1k", "vlan-udp-1k", "vxlan-1k", "tcp-1k", "imix-1k"]
DEFAULT_SET = {"udp-1k", "udp-100k", "vlan-udp-1k", "vlan-udp-100k",
               "vxlan-1k", "vxlan-100k", "tcp-1k", "imix-1k", "metadata-1k"}
ALL_SET = DEFAULT_SET | {"udp-1m", "vlan-udp-1m", "udp-reply-1k", "udp-10", "udp-1"}

TMP = None
RUN_A = None      # small traces, generated in SMALL order
RUN_B = None      # same traces, generated in reverse order by a second run


def run(*args, check=True):
    return subprocess.run([sys.executable] + list(args), check=check,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True)


def setUpModule():
    global TMP, RUN_A, RUN_B
    TMP = tempfile.mkdtemp(prefix="gen-traces-test-")
    RUN_A = os.path.join(TMP, "a")
    RUN_B = os.path.join(TMP, "b")
    run(GEN, "--quiet", "--out", RUN_A, "--only", ",".join(SMALL))
    run(GEN, "--quiet", "--out", RUN_B, "--only",
        ",".join(n + ".pcap" for n in reversed(SMALL)))


def tearDownModule():
    if TMP:
        shutil.rmtree(TMP, ignore_errors=True)


# --------------------------------------------------------------------------
# independent pcap reading / parsing

def read_pcap(path):
    """Returns (header tuple, [(sec, usec, caplen, origlen, data), ...])."""
    with open(path, "rb") as fh:
        buf = fh.read()
    hdr = struct.unpack_from("<IHHiIII", buf, 0)
    recs = []
    off = 24
    while off < len(buf):
        sec, usec, caplen, origlen = struct.unpack_from("<IIII", buf, off)
        off += 16
        recs.append((sec, usec, caplen, origlen, buf[off:off + caplen]))
        off += caplen
    return hdr, recs


_CACHE = {}


def frames(name, run_dir=None):
    path = os.path.join(run_dir or RUN_A, name + ".pcap")
    if path not in _CACHE:
        _CACHE[path] = [r[4] for r in read_pcap(path)[1]]
    return _CACHE[path]


def ip4(b):
    return "%d.%d.%d.%d" % tuple(b)


def mac(b):
    return ":".join("%02x" % x for x in b)


def udp_fields(fr, l2=14):
    """(smac, dmac, sip, dip, proto, sport, dport) of an IPv4 frame."""
    ihl = (fr[l2] & 0x0F) * 4
    sport, dport = struct.unpack_from("!HH", fr, l2 + ihl)
    return (mac(fr[6:12]), mac(fr[0:6]), ip4(fr[l2 + 12:l2 + 16]),
            ip4(fr[l2 + 16:l2 + 20]), fr[l2 + 9], sport, dport)


def five_tuple(fr, l2=14):
    return udp_fields(fr, l2)[2:]


def sha256(path):
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


# --------------------------------------------------------------------------

class Determinism(unittest.TestCase):

    def test_byte_identical_across_runs_and_selection_order(self):
        for name in SMALL:
            a = sha256(os.path.join(RUN_A, name + ".pcap"))
            b = sha256(os.path.join(RUN_B, name + ".pcap"))
            self.assertEqual(a, b, "%s differs between two runs" % name)

    def test_seed_changes_output(self):
        out = os.path.join(TMP, "seed2")
        run(GEN, "--quiet", "--out", out, "--only", "udp-1k", "--seed", "2")
        self.assertNotEqual(sha256(os.path.join(out, "udp-1k.pcap")),
                            sha256(os.path.join(RUN_A, "udp-1k.pcap")))
        # ... but the trace is still well formed
        self.assertEqual(len(set(map(five_tuple,
                                     frames("udp-1k", out)))), 1000)

    def test_pcap_header_and_timestamps(self):
        for name in SMALL:
            hdr, recs = read_pcap(os.path.join(RUN_A, name + ".pcap"))
            magic, vmaj, vmin, zone, sigfigs, snaplen, linktype = hdr
            self.assertEqual(magic, 0xA1B2C3D4, name)
            self.assertEqual((vmaj, vmin, zone, sigfigs), (2, 4, 0, 0), name)
            self.assertEqual(snaplen, 65535, name)
            self.assertEqual(linktype, 1, name)
            t0 = recs[0][0] * 1000000 + recs[0][1]
            for i, (sec, usec, caplen, origlen, data) in enumerate(recs):
                self.assertLess(usec, 1000000)
                self.assertEqual(sec * 1000000 + usec - t0, i,
                                 "%s: timestamp not from packet index" % name)
                self.assertEqual(caplen, origlen)
                self.assertEqual(caplen, len(data))


class Cli(unittest.TestCase):

    def test_list(self):
        out = run(GEN, "--list").stdout
        names = {ln.split()[0][:-len(".pcap")] for ln in out.splitlines()}
        self.assertEqual(names, ALL_SET)

    def test_unknown_name_rejected(self):
        r = run(GEN, "--out", os.path.join(TMP, "bad"), "--only", "nope",
                check=False)
        self.assertNotEqual(r.returncode, 0)

    def test_default_set_and_100k_traces(self):
        out = os.path.join(TMP, "default")
        run(GEN, "--quiet", "--out", out)
        self.assertEqual(set(os.listdir(out)),
                         {n + ".pcap" for n in DEFAULT_SET})
        # the small ones are the same as with --only
        for name in SMALL:
            self.assertEqual(sha256(os.path.join(out, name + ".pcap")),
                             sha256(os.path.join(RUN_A, name + ".pcap")))
        udp = frames("udp-100k", out)
        self.assertEqual(len(udp), 100000)
        self.assertEqual(len(set(map(five_tuple, udp))), 100000)
        self.assertEqual({len(f) for f in udp}, {60})
        vlan = frames("vlan-udp-100k", out)
        self.assertEqual(len(vlan), 100000)
        self.assertEqual({len(f) for f in vlan}, {64})
        self.assertEqual(vlan[12345][:12] + vlan[12345][16:], udp[12345])
        vx = frames("vxlan-100k", out)
        self.assertEqual(len(vx), 100000)
        self.assertEqual(vx[99999][50:], udp[99999])


class UdpTraces(unittest.TestCase):

    def test_udp_1k(self):
        fr = frames("udp-1k")
        self.assertEqual(len(fr), 8192)
        self.assertEqual({len(f) for f in fr}, {60})
        tuples = [five_tuple(f) for f in fr]
        per_flow = collections.Counter(tuples)
        self.assertEqual(len(per_flow), 1000)
        self.assertEqual(set(per_flow.values()), {8, 9})
        self.assertEqual(sum(1 for c in per_flow.values() if c == 9), 192)
        for i in range(1, len(tuples)):
            self.assertNotEqual(tuples[i], tuples[i - 1],
                                "flow repeated back to back at %d" % i)
        fields = [udp_fields(f) for f in fr]
        for f in fr:
            self.assertEqual(f[12:14], b"\x08\x00")
            self.assertEqual(f[14], 0x45)
        smacs = {x[0] for x in fields}
        dmacs = {x[1] for x in fields}
        self.assertEqual(len(smacs), 256)
        self.assertEqual(len(dmacs), 256)
        self.assertFalse(smacs & dmacs)
        for m in smacs | dmacs:
            self.assertTrue(m.startswith("02:00:00:00:"), m)
        # fixed MAC <-> IP mapping, both ways
        ip_to_mac = collections.defaultdict(set)
        mac_to_ip = collections.defaultdict(set)
        for smac, dmac, sip, dip, proto, _sp, _dp in fields:
            self.assertEqual(proto, 17)
            self.assertTrue(sip.startswith("10.0."), sip)
            self.assertTrue(dip.startswith("10.1."), dip)
            ip_to_mac[sip].add(smac)
            ip_to_mac[dip].add(dmac)
            mac_to_ip[smac].add(sip)
            mac_to_ip[dmac].add(dip)
        self.assertEqual(len(ip_to_mac), 512)
        self.assertTrue(all(len(v) == 1 for v in ip_to_mac.values()))
        self.assertTrue(all(len(v) == 1 for v in mac_to_ip.values()))
        # no UDP port that a parser would take for a tunnel
        ports = {x[5] for x in fields} | {x[6] for x in fields}
        self.assertNotIn(4789, ports)
        self.assertGreater(len({x[6] for x in fields}), 900)

    def test_vlan_udp_1k(self):
        plain = frames("udp-1k")
        tagged = frames("vlan-udp-1k")
        self.assertEqual(len(tagged), 8192)
        for p, t in zip(plain, tagged):
            self.assertEqual(len(t), 64)
            tpid, tci = struct.unpack_from("!HH", t, 12)
            self.assertEqual(tpid, 0x8100)
            self.assertEqual(tci & 0x0FFF, 100)       # VLAN ID
            self.assertEqual(tci >> 13, 0)            # PCP
            self.assertEqual(tci & 0x1000, 0)         # DEI
            self.assertEqual(t[:12] + t[16:], p)

    def test_vxlan_1k(self):
        plain = frames("udp-1k")
        vx = frames("vxlan-1k")
        self.assertEqual(len(vx), 8192)
        sport_of_flow = {}
        for p, v in zip(plain, vx):
            self.assertEqual(len(v), 110)
            self.assertEqual(mac(v[6:12]), "02:00:00:01:00:01")
            self.assertEqual(mac(v[0:6]), "02:00:00:01:00:02")
            self.assertEqual(v[12:14], b"\x08\x00")
            self.assertEqual(ip4(v[26:30]), "192.168.100.1")
            self.assertEqual(ip4(v[30:34]), "192.168.100.2")
            self.assertEqual(v[23], 17)
            sport, dport, ulen = struct.unpack_from("!HHH", v, 34)
            self.assertEqual(dport, 4789)
            self.assertEqual(ulen, 110 - 34)
            self.assertGreaterEqual(sport, 49152)
            flags, vni = struct.unpack_from("!II", v, 42)
            self.assertEqual(flags, 0x08000000)       # I flag only
            self.assertEqual(vni >> 8, 5000)
            self.assertEqual(vni & 0xFF, 0)
            self.assertEqual(v[50:], p)
            t = five_tuple(p)
            self.assertEqual(sport_of_flow.setdefault(t, sport), sport,
                             "outer source port not a function of the flow")
        self.assertGreater(len(set(sport_of_flow.values())), 900)

    def test_imix_1k(self):
        fr = frames("imix-1k")
        self.assertEqual(len(fr), 8192)
        sizes = collections.Counter(len(f) for f in fr)
        # 682 full 7:4:1 cycles plus the first 8 of the next one
        self.assertEqual(sizes, {60: 4779, 590: 2730, 1514: 683})
        for i in range(0, 8184, 12):
            cyc = collections.Counter(len(f) for f in fr[i:i + 12])
            self.assertEqual(cyc, {60: 7, 590: 4, 1514: 1}, "cycle at %d" % i)
            self.assertNotEqual(len(fr[i]), len(fr[i + 1]))   # interleaved
        for f in fr:
            iplen = struct.unpack_from("!H", f, 16)[0]
            self.assertEqual(iplen, len(f) - 14)
            self.assertIn(iplen, (46, 576, 1500))
            self.assertEqual(struct.unpack_from("!H", f, 38)[0], iplen - 20)
        self.assertEqual(len(set(map(five_tuple, fr))), 1000)


class TcpTrace(unittest.TestCase):

    S, A, P, F = 0x02, 0x10, 0x08, 0x01

    def test_tcp_1k(self):
        fr = frames("tcp-1k")
        self.assertEqual(len(fr), 8000)
        conns = collections.defaultdict(list)
        for i, f in enumerate(fr):
            self.assertGreaterEqual(len(f), 60)
            self.assertEqual(f[23], 6)
            smac, dmac, sip, dip, _p, sport, dport = udp_fields(f)
            key = tuple(sorted([(sip, sport), (dip, dport)]))
            iplen = struct.unpack_from("!H", f, 16)[0]
            seq, ack, off, flags = struct.unpack_from("!IIBB", f, 38)
            plen = iplen - 20 - (off >> 4) * 4
            conns[key].append((i, sip, dip, smac, dmac, seq, ack, flags,
                               plen))
        self.assertEqual(len(conns), 1000)
        S, A, P, F = self.S, self.A, self.P, self.F
        want = [S, S | A, A, P | A, P | A, F | A, F | A, A]
        client_dir = [True, False, True, True, False, True, False, True]
        m = 0xFFFFFFFF
        open_at = collections.Counter()
        for key, segs in conns.items():
            self.assertEqual([s[7] for s in segs], want, key)
            client, server = segs[0][1], segs[0][2]
            self.assertTrue(client.startswith("10.0."))
            self.assertTrue(server.startswith("10.1."))
            cmac, smac = segs[0][3], segs[0][4]
            for s, c2s in zip(segs, client_dir):
                exp = (client, server, cmac, smac) if c2s else \
                      (server, client, smac, cmac)
                self.assertEqual(s[1:5], exp, "direction/MAC swap")
            a, b = segs[0][5], segs[1][5]
            lc, ls = segs[3][8], segs[4][8]
            self.assertGreater(lc, 0)
            self.assertGreater(ls, 0)
            self.assertEqual([s[8] for s in segs], [0, 0, 0, lc, ls, 0, 0, 0])
            exp_seq = [a, b, a + 1, a + 1, b + 1, a + 1 + lc, b + 1 + ls,
                       a + 2 + lc]
            exp_ack = [0, a + 1, b + 1, b + 1, a + 1 + lc, b + 1 + ls,
                       a + 2 + lc, b + 2 + ls]
            self.assertEqual([s[5] for s in segs], [x & m for x in exp_seq])
            self.assertEqual([s[6] for s in segs], [x & m for x in exp_ack])
            open_at[segs[0][0]] += 1
            open_at[segs[-1][0]] -= 1
        # many connections open at once
        level = peak = 0
        for i in range(len(fr)):
            level += open_at[i]
            peak = max(peak, level)
        self.assertGreater(peak, 100)


class Checksums(unittest.TestCase):
    """Recompute every IPv4/UDP/TCP checksum of a sample with scapy."""

    @classmethod
    def setUpClass(cls):
        try:
            from scapy.layers.l2 import Ether
            from scapy.layers.inet import IP, UDP, TCP
            from scapy.layers.vxlan import VXLAN
        except ImportError as e:       # a failure, not a skip
            raise AssertionError(
                "scapy is needed for the checksum tests (%s); run with "
                "/usr/bin/python3 or apt-get install python3-scapy" % e)
        cls.Ether, cls.IP, cls.UDP, cls.TCP, cls.VXLAN = \
            Ether, IP, UDP, TCP, VXLAN

    def check_trace(self, name, step, expect_layers, extra=()):
        fr = frames(name)
        idx = sorted(set(range(0, len(fr), step)) | {len(fr) - 1} |
                     set(extra))
        checked = collections.Counter()
        for i in idx:
            raw = fr[i]
            pkt = self.Ether(raw)
            layers = []
            layer = pkt
            while layer and layer.name not in ("Raw", "Padding"):
                layers.append(layer)
                layer = layer.payload
            found = [(l.name, l.chksum) for l in layers
                     if "chksum" in l.fields]
            self.assertEqual([n for n, _ in found], expect_layers,
                             "%s #%d: layers %s" % (name, i, pkt.summary()))
            clone = self.Ether(raw)
            layer = clone
            while layer:
                if "chksum" in layer.fields:
                    layer.chksum = None
                layer = layer.payload
            rebuilt = self.Ether(bytes(clone))
            layer = rebuilt
            recomputed = []
            while layer and layer.name not in ("Raw", "Padding"):
                if "chksum" in layer.fields:
                    recomputed.append((layer.name, layer.chksum))
                layer = layer.payload
            self.assertEqual(found, recomputed, "%s #%d" % (name, i))
            self.assertEqual(bytes(rebuilt), raw, "%s #%d" % (name, i))
            for n, c in found:
                self.assertNotEqual(c, 0, "%s #%d: zero %s checksum"
                                    % (name, i, n))
                checked[n] += 1
        return checked

    def test_udp_1k(self):
        c = self.check_trace("udp-1k", 41, ["IP", "UDP"])
        self.assertGreater(c["UDP"], 150)

    def test_vlan_udp_1k(self):
        self.check_trace("vlan-udp-1k", 41, ["IP", "UDP"])

    def test_vxlan_1k(self):
        c = self.check_trace("vxlan-1k", 41, ["IP", "UDP", "IP", "UDP"])
        self.assertGreater(c["UDP"], 300)

    def test_tcp_1k(self):
        c = self.check_trace("tcp-1k", 13, ["IP", "TCP"])
        self.assertGreater(c["TCP"], 500)

    def test_imix_1k(self):
        # every packet of one 12-packet cycle, then a sparse sample
        fr = frames("imix-1k")
        self.assertEqual({len(f) for f in fr[:12]}, {60, 590, 1514})
        c = self.check_trace("imix-1k", 7, ["IP", "UDP"], extra=range(12))
        self.assertGreater(c["UDP"], 1000)


class Summary(unittest.TestCase):

    def summary(self, name, *opts):
        out = run(SUMMARY, "--json", *opts,
                  os.path.join(RUN_A, name + ".pcap")).stdout
        return json.loads(out)

    def test_udp_1k(self):
        d = self.summary("udp-1k")
        self.assertEqual(d["packets"], 8192)
        self.assertEqual(d["sizes"], {"60": 8192})
        self.assertEqual((d["src_macs"], d["dst_macs"]), (256, 256))
        self.assertEqual(d["vlan_ids"], 0)
        self.assertEqual(d["five_tuples"], 1000)
        self.assertEqual(d["vxlan_vnis"], {})

    def test_vlan(self):
        d = self.summary("vlan-udp-1k")
        self.assertEqual(d["vlans"], {"100": 8192})
        self.assertEqual(d["five_tuples"], 1000)

    def test_vxlan_inner(self):
        d = self.summary("vxlan-1k")
        self.assertEqual(d["vxlan_vnis"], {"5000": 8192})
        self.assertEqual((d["src_macs"], d["dst_macs"]), (1, 1))
        d = self.summary("vxlan-1k", "--inner")
        self.assertEqual(d["sizes"], {"60": 8192})
        self.assertEqual(d["five_tuples"], 1000)
        self.assertEqual((d["src_macs"], d["dst_macs"]), (256, 256))

    def test_tcp_and_imix(self):
        d = self.summary("tcp-1k")
        self.assertEqual(d["packets"], 8000)
        self.assertEqual(d["five_tuples"], 2000)      # both directions
        self.assertEqual(d["ip_protocols"], {"6": 8000})
        d = self.summary("imix-1k")
        self.assertEqual(d["sizes"], {"60": 4779, "590": 2730, "1514": 683})

    def test_text_output(self):
        out = run(SUMMARY, os.path.join(RUN_A, "udp-1k.pcap")).stdout
        self.assertIn("8192", out)
        self.assertIn("5-tuples     1000", out)


if __name__ == "__main__":
    unittest.main()
