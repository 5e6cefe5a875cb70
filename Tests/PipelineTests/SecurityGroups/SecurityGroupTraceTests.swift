import Packet
import Pipeline
import Testing

/// Golden traces of the security-groups stage on `TraceNet`: vm-a (slot 0) is filtered, allowing TCP 22 from
/// 10.0.0.0/24 and ICMP echo from host c, with the default allow-all egress; the other ports are not.
@Suite struct SecurityGroupTraceTests {
    typealias N = TraceNet
    static let forwarded = TraceGoldenTests.forwarded

    /// The traced network with vm-a filtered, b known on vm-b and a on vm-a.
    struct Net {
        let net = TraceNet()
        let groups: SecurityGroupTables
        let hits: UnsafeMutablePointer<UInt64>
        let conns: ConnTable
        let context: TraceContext

        init(limit: Int = 100) {
            hits = .allocate(capacity: 8)
            hits.initialize(repeating: 0, count: 8)
            let ingress = [
                SGRule(
                    family: 4, proto: 6, portLow: 22, portHigh: 22, remoteLow: 0x0a00_0000, maskLow: 0xffff_ff00,
                    counter: 1),
                SGRule(
                    family: 4, proto: 1, icmpType: 8, remoteLow: UInt64(N.c.ipv4.rawValue), maskLow: 0xffff_ffff,
                    counter: 2),
            ]
            groups = SecurityGroupTables(
                ports: [SGPortSpec(ingress: ingress, egress: [SGRule(family: 4, counter: 3)])], hits: hits,
                hitStride: 8, perPortLimit: limit)
            conns = ConnTable(capacity: 1024, ports: 64, seed: 5)
            var context = net.context
            context.securityGroups = groups.view(pmd: 0)
            context.connTable = conns.view
            self.context = context
            net.learn(N.a, port: 0, vlan: 10)
            net.learn(N.b, port: 1, vlan: 10)
        }

        func trace(_ frame: [UInt8], on port: UInt16) -> PacketTrace {
            withExtendedLifetime((net, groups, conns)) { SwitchPipeline.trace(frame, ingress: port, in: context) }
        }

        func summary(_ frame: [UInt8], on port: UInt16) -> String { TraceNet.summary(trace(frame, on: port)) }

        /// The security-groups step's facts.
        func facts(_ frame: [UInt8], on port: UInt16) -> [TraceFact] {
            trace(frame, on: port).steps.first { $0.stage == SecurityGroupStage.name }?.facts ?? []
        }

        /// Opens a connection as the stage would (a's side), in `state`.
        func track(_ frame: [UInt8], from port: Int, state: UInt8) -> Int {
            let (key, sourceIsB) = ConnKey.of(
                zone: 10, proto: frame[23], ipv6: false, sHigh: 0, sLow: UInt64(Self.u32(frame, 26)),
                sPort: Self.u16(frame, 34), dHigh: 0, dLow: UInt64(Self.u32(frame, 30)), dPort: Self.u16(frame, 36))
            let info = ConnTableView.makeInfo(
                initiatorIsB: sourceIsB, initiator: port, responder: 1 - port, state: state)
            guard case .success(let slot) = conns.view.insert(key, info: info, owner: 0, limit: 100, now: 1) else {
                Issue.record("insert failed")
                return -1
            }
            return slot
        }

        static func u16(_ f: [UInt8], _ i: Int) -> UInt16 { UInt16(f[i]) << 8 | UInt16(f[i + 1]) }
        static func u32(_ f: [UInt8], _ i: Int) -> UInt32 { UInt32(u16(f, i)) << 16 | UInt32(u16(f, i + 2)) }
    }

    static func tcp(from s: Host, to d: Host, sport: UInt16 = 40000, dport: UInt16 = 22, flags: UInt8) -> [UInt8] {
        let header =
            F.u16(sport) + F.u16(dport) + F.u32(flags & 0x10 != 0 ? 1001 : 1000) + F.u32(flags & 0x10 != 0 ? 1 : 0) + [
                0x50, flags,
            ]
            + F.u16(0xffff) + [0, 0, 0, 0]
        return F.ethernet(dst: d.mac, src: s.mac, type: 0x0800, F.ipv4(src: s.ipv4, dst: d.ipv4, proto: 6, header))
    }

    @Test("unfiltered traffic says so; no filtered port at all says off")
    func unfiltered() {
        let plain = TraceNet()
        #expect(
            plain.trace(F.udp4(from: N.b, to: N.c), on: 1).steps[4].facts == [TraceFact("security-groups", "off")])
        let net = Net()
        defer { net.hits.deallocate() }
        // a's tagged frame from the trunk to b (known on vm-b): neither side is filtered.
        #expect(
            net.facts(F.udp4(from: N.a, to: N.b, tags: F.dot1q(10)), on: 2)
                == [TraceFact("filtered", "neither sender nor receivers")])
    }

    @Test("new connections: the rule that admits them, or sg-no-rule and ct-invalid; nothing is inserted")
    func newConnections() {
        let net = Net()
        defer { net.hits.deallocate() }
        let ssh = Self.tcp(from: N.b, to: N.a, flags: 0x02)
        #expect(net.summary(ssh, on: 1) == "\(Self.forwarded) | transmit:output[vm-a as-is]")
        #expect(
            net.facts(ssh, on: 1) == [
                TraceFact("filtered", "receiver vm-a"), TraceFact("conntrack", "no connection"),
                TraceFact("ingress", "vm-a rule ipv4 tcp 22 10.0.0.0/24"),
                TraceFact("verdict", "opens a new connection (counted against vm-a)"),
            ])
        #expect(net.conns.liveCount == 0, "a trace inserts nothing")
        #expect(net.hits[1] == 0, "a trace counts no hit")
        let http = Self.tcp(from: N.b, to: N.a, dport: 80, flags: 0x02)
        #expect(net.summary(http, on: 1) == "\(Self.forwarded):drop(sg-no-rule)")
        #expect(net.facts(http, on: 1).last == TraceFact("ingress", "no rule of vm-a allows it"))
        let stray = Self.tcp(from: N.b, to: N.a, flags: 0x10)
        #expect(net.summary(stray, on: 1) == "\(Self.forwarded):drop(ct-invalid)")
        #expect(net.facts(stray, on: 1).last == TraceFact("tcp", "only a SYN opens a connection"))
        #expect(net.summary(F.udp4(from: N.b, to: N.a), on: 1) == "\(Self.forwarded):drop(sg-no-rule)")
        // a's own traffic: its egress allows any IPv4.
        #expect(net.facts(F.udp4(from: N.a, to: N.b), on: 0)[2] == TraceFact("egress", "vm-a rule ipv4 any 0.0.0.0/0"))
        // ARP is not this stage's business.
        #expect(
            net.facts(F.arpRequest(from: N.b, for: N.a.ipv4), on: 1).last
                == TraceFact("traffic", "not IP (port security's business)"))
    }

    @Test("tracked connections: their state and direction, and what the TCP tracker says")
    func tracked() {
        let net = Net()
        defer { net.hits.deallocate() }
        let udp = F.udp4(from: N.a, to: N.b)
        _ = net.track(udp, from: 0, state: ConnTable.PseudoState.new)
        // b's answer is the reply direction of a's connection, allowed whatever vm-a's ingress rules say.
        let answer = F.ethernet(
            dst: N.a.mac, src: N.b.mac, type: 0x0800,
            F.ipv4(src: N.b.ipv4, dst: N.a.ipv4, proto: 17, F.udp(src: 7, dst: 40000, Array("hi".utf8))))
        #expect(net.summary(answer, on: 1) == "\(Self.forwarded) | transmit:output[vm-a as-is]")
        #expect(net.facts(answer, on: 1).last == TraceFact("conntrack", "tracked, new, reply direction"))
        // An established TCP connection: a segment in window passes; the initiator's SYN on it passes and
        // changes nothing (netfilter's "ignore"); the responder's SYN is invalid.
        let syn = Self.tcp(from: N.b, to: N.a, flags: 0x02)
        let slot = net.track(syn, from: 1, state: TCPState.established.rawValue)
        let side = TCPSide(end: 1001, maxEnd: 70000, maxWindow: 65535, seen: true)
        net.conns.view.setTCPSide(slot, reply: false, side)
        net.conns.view.setTCPSide(slot, reply: true, TCPSide(end: 1, maxEnd: 66536, maxWindow: 65535, seen: true))
        let data = Self.tcp(from: N.b, to: N.a, flags: 0x10)
        let facts = net.facts(data, on: 1)
        #expect(facts.contains(TraceFact("conntrack", "tracked, established, original direction")))
        #expect(facts.last == TraceFact("tcp", "in window, next state established"))
        #expect(net.summary(syn, on: 1) == "\(Self.forwarded) | transmit:output[vm-a as-is]")
        let replySYN = Self.tcp(from: N.a, to: N.b, sport: 22, dport: 40000, flags: 0x02)
        #expect(net.summary(replySYN, on: 0) == "\(Self.forwarded):drop(ct-invalid)")
        #expect(net.conns.view.tcpSide(slot, reply: false) == side, "a trace changes no window")
    }

    @Test("limits: the port limit and a full table are predicted")
    func limits() {
        let net = Net(limit: 0)
        defer { net.hits.deallocate() }
        let ssh = Self.tcp(from: N.b, to: N.a, flags: 0x02)
        #expect(net.summary(ssh, on: 1) == "\(Self.forwarded):drop(ct-port-limit)")
        #expect(net.facts(ssh, on: 1).last == TraceFact("limit", "vm-a has its maximum of connections"))
    }
}
