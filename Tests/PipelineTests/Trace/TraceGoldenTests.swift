import DPDK
import Packet
import Pipeline
import Testing

// Golden traces: for every drop reason of today's stages that a trace can predict, and for every forwarding
// decision (flood, known unicast, each tagging, patch), the exact stage-by-stage outcome. No DPDK: a trace
// reads only tables and the MAC table.
//
// Not predicted by design (they depend on the moment of sending): transmit's tx-queue-full, copy-failed and
// no-headroom. The security-groups stage explains itself in SecurityGroups/SecurityGroupTraceTests.swift.
// Everything else is here.

/// The traced network. Slots:
/// 0 vm-a    access 10, port security (host a: MAC, IPv4, IPv6)
/// 1 vm-b    access 10
/// 2 trunk   trunk 10, 20, no native VLAN
/// 3 vm-c    access 20
/// 4 down    access 30, administratively down (not in the enabled set)
/// 5 trunk2  trunk 10, 20, native 20
/// 6 pa, 7 pb  a patch pair (outside the bridge)
struct TraceNet {
    static let names = ["vm-a", "vm-b", "trunk", "vm-c", "down", "trunk2", "pa", "pb"]
    static let a = Host.a, b = Host.b, c = Host.c, d = Host.d, e = Host.e

    let bridge: BridgeTables
    let table: MACTable
    let context: TraceContext

    init(limits: [Int] = []) {
        bridge = BridgeTables(ports: [
            BridgePortSpec(
                vlanMode: .access(vlan: 10), allowedMAC: Self.a.mac, allowedIPv4: [Self.a.ipv4],
                allowedIPv6: [Self.a.ipv6]),
            BridgePortSpec(vlanMode: .access(vlan: 10)),
            BridgePortSpec(vlanMode: .trunk(allowed: [10, 20], native: nil)),
            BridgePortSpec(vlanMode: .access(vlan: 20)),
            BridgePortSpec(vlanMode: .access(vlan: 30)),
            BridgePortSpec(vlanMode: .trunk(allowed: [10, 20], native: 20)),
            BridgePortSpec(bridged: false),
            BridgePortSpec(bridged: false),
        ])
        table = MACTable(capacity: 1024, ports: 8, limits: limits, seed: 7)
        let enabled = Set(0..<8).subtracting([4])
        context = TraceContext(
            bridge: bridge.view, peers: [nil, nil, nil, nil, nil, nil, 7, 6], enabled: enabled,
            macTable: table.view, portNames: Self.names)
    }

    /// Learns `host` on `port` in `vlan`, as a PMD would.
    func learn(_ host: Host, port: UInt16, vlan: UInt16) {
        #expect(table.view.learn(vlan: vlan, mac: host.mac.rawValue, port: port, now: 1) == .learned)
    }

    func trace(_ frame: [UInt8], on port: UInt16) -> PacketTrace {
        withExtendedLifetime((bridge, table)) { SwitchPipeline.trace(frame, ingress: port, in: context) }
    }

    /// "parse | port-security | vlan | l2 | security-groups | transmit:output[vm-b as-is]": each stage,
    /// with its verdict when it is not a pass.
    func summary(_ frame: [UInt8], on port: UInt16) -> String {
        Self.summary(trace(frame, on: port))
    }

    static func summary(_ trace: PacketTrace) -> String {
        trace.steps.map { step in
            switch step.verdict {
            case .pass: step.stage
            case .drop(let reason): "\(step.stage):drop(\(reason))"
            case .output:
                "\(step.stage):output["
                    + step.outputs.map { "\($0.portName) \($0.tagging.description)" }.joined(separator: ", ") + "]"
            }
        }.joined(separator: " | ")
    }
}

@Suite struct TraceGoldenTests {
    typealias N = TraceNet
    static let bridged = "parse | port-security | vlan | l2"
    /// The bridge path past l2 up to transmit (security-groups and qos pass what they do not filter or police).
    static let forwarded = "\(bridged) | security-groups"

    @Test("every parse drop reason, against the ingress port's MTU; the trace names it and stops")
    func parseDrops() {
        let net = TraceNet()
        for (frame, reason) in DPDKBackedTests.ParseStageTests.malformed {
            #expect(net.summary(frame, on: 1) == "parse:drop(\(reason.name))", "\(hex(frame))")
        }
        // More than 65535 bytes: frame-too-long (no mbuf segment holds that, a traced frame may).
        let huge = F.ethernet(dst: N.b.mac, src: N.a.mac, type: 0x88b5, [UInt8](repeating: 0, count: 70000))
        #expect(net.summary(huge, on: 1) == "parse:drop(frame-too-long)")
        #expect(net.summary([], on: 1) == "parse:drop(truncated-ethernet)")
        let covered = Set(DPDKBackedTests.ParseStageTests.malformed.map(\.reason)).union([.frameTooLong])
        #expect(covered == Set(ParseError.allCases))
    }

    @Test("every port-security drop reason, and a frame it lets through")
    func portSecurity() {
        let net = TraceNet()
        let fromA = { (frame: [UInt8]) in net.summary(frame, on: 0) }
        #expect(fromA(F.udp4(from: N.b, to: N.c)) == "parse | port-security:drop(source-mac)")
        var spoofed4 = N.a
        spoofed4.ipv4 = N.c.ipv4
        #expect(fromA(F.udp4(from: spoofed4, to: N.b)) == "parse | port-security:drop(source-ipv4)")
        #expect(
            fromA(F.ping6(from: N.a, to: N.b, srcIP: N.c.ipv6)) == "parse | port-security:drop(source-ipv6)")
        let arpOtherMAC = F.ethernet(
            dst: F.broadcast, src: N.a.mac, type: 0x0806,
            F.arp(op: 1, sha: N.c.mac, spa: N.a.ipv4, tpa: N.b.ipv4))
        #expect(fromA(arpOtherMAC) == "parse | port-security:drop(arp-sender-mac)")
        #expect(fromA(F.arpRequest(from: spoofed4, for: N.b.ipv4)) == "parse | port-security:drop(arp-sender-ip)")
        let allowed = net.trace(F.udp4(from: N.a, to: N.b), on: 0)
        #expect(
            TraceNet.summary(allowed)
                == "\(Self.forwarded) | transmit:output[vm-b as-is, trunk push-vlan 10, trunk2 push-vlan 10]")
        #expect(allowed.steps[1].facts.contains(TraceFact("verdict", "allowed")))
        // A port without port security says so.
        #expect(net.trace(F.udp4(from: N.b, to: N.a), on: 1).steps[1].facts == [TraceFact("port-security", "off")])
    }

    @Test("every VLAN drop reason, and the VLAN each kind of frame gets")
    func vlan() {
        let net = TraceNet()
        #expect(
            net.summary(F.udp4(from: N.b, to: N.c, tags: F.dot1q(10)), on: 1)
                == "parse | port-security | vlan:drop(tagged-on-access)")
        #expect(
            net.summary(F.udp4(from: N.b, to: N.c, tags: F.dot1q(30)), on: 2)
                == "parse | port-security | vlan:drop(vlan-not-allowed)")
        #expect(
            net.summary(F.udp4(from: N.b, to: N.c), on: 2) == "parse | port-security | vlan:drop(untagged-on-trunk)")
        // Untagged on a trunk with a native VLAN: that VLAN.
        let native = net.trace(F.udp4(from: N.b, to: N.c), on: 5)
        #expect(native.steps[2].facts.last == TraceFact("vlan", "20"))
        #expect(TraceNet.summary(native) == "\(Self.forwarded) | transmit:output[trunk push-vlan 20, vm-c as-is]")
    }

    @Test("L2: same-port drop, learn predictions, known unicast and floods")
    func l2() {
        let net = TraceNet(limits: [8, 8, 8, 8, 8, 8, 1, 8])
        net.learn(N.b, port: 1, vlan: 10)
        // b's frame to itself on its own port: the learn leaves b there, the lookup finds the ingress.
        #expect(net.summary(F.udp4(from: N.b, to: N.b), on: 1) == "\(Self.bridged):drop(same-port)")
        // c (unknown) to b, known on vm-b, from the same port: same-port too.
        let toSelf = net.trace(F.udp4(from: N.c, to: N.b), on: 1)
        #expect(TraceNet.summary(toSelf) == "\(Self.bridged):drop(same-port)")
        #expect(
            toSelf.steps[3].facts == [
                TraceFact("learn", "new: learned on vm-b"), TraceFact("lookup", "known on vm-b"),
            ])
        // Nothing was learned by the trace.
        #expect(net.table.view.lookup(vlan: 10, mac: N.c.mac.rawValue) == nil)

        // Known unicast from an access port to another: as is.
        #expect(net.summary(F.udp4(from: N.a, to: N.b), on: 0) == "\(Self.forwarded) | transmit:output[vm-b as-is]")
        // A move, a refresh, a static entry, a learn limit.
        let moves = net.trace(F.udp4(from: N.b, to: N.a), on: 5)  // trunk2: untagged frames are in VLAN 20
        #expect(moves.steps[3].facts.first == TraceFact("learn", "new: learned on trunk2"))
        let moving = net.trace(F.udp4(from: N.b, to: N.a, tags: F.dot1q(10)), on: 2)
        #expect(moving.steps[3].facts.first == TraceFact("learn", "moves to trunk"))
        let known = net.trace(F.udp4(from: N.b, to: N.a), on: 1)
        #expect(known.steps[3].facts.first == TraceFact("learn", "known on vm-b"))
        #expect(net.table.addStatic(vlan: 10, mac: N.d.mac.rawValue, port: 2))
        let pinned = net.trace(F.udp4(from: N.d, to: N.a), on: 1)
        #expect(pinned.steps[3].facts.first == TraceFact("learn", "static on trunk: not moved (static-conflict)"))
        let full = TraceNet(limits: [0, 0, 0, 0, 0, 0, 0, 0])
        let limited = full.trace(F.udp4(from: N.b, to: N.a), on: 1)
        #expect(
            limited.steps[3].facts.first == TraceFact("learn", "not learned: vm-b is at its learn limit (learn-limit)"))

        // Floods: unknown unicast, broadcast, multicast; never back to the ingress.
        let unknown = net.trace(F.udp4(from: N.b, to: N.e), on: 1)
        #expect(
            TraceNet.summary(unknown)
                == "\(Self.forwarded) | transmit:output[vm-a as-is, trunk push-vlan 10, trunk2 push-vlan 10]")
        #expect(unknown.steps[3].facts.last == TraceFact("lookup", "unknown unicast: flood"))
        let broadcast = net.trace(F.arpRequest(from: N.a, for: N.b.ipv4), on: 0)
        #expect(
            TraceNet.summary(broadcast)
                == "\(Self.forwarded) | transmit:output[vm-b as-is, trunk push-vlan 10, trunk2 push-vlan 10]")
        #expect(broadcast.steps[3].facts.last == TraceFact("lookup", "broadcast: flood"))
        let multicast = F.ethernet(
            dst: F.ipv4Multicast, src: N.c.mac, type: 0x0800,
            F.ipv4(src: N.c.ipv4, dst: IPv4Address(224, 0, 0, 251), proto: 17, F.udp(src: 5353, dst: 5353, [])))
        let multicastTrace = net.trace(multicast, on: 3)
        #expect(
            TraceNet.summary(multicastTrace) == "\(Self.forwarded) | transmit:output[trunk push-vlan 20, trunk2 as-is]")
        #expect(multicastTrace.steps[3].facts.last == TraceFact("lookup", "multicast: flood"))
    }

    @Test("transmit: each tagging toward each kind of port, and every drop reason it can predict")
    func transmit() {
        let net = TraceNet()
        net.learn(N.b, port: 1, vlan: 10)
        net.learn(N.c, port: 2, vlan: 10)
        net.learn(N.e, port: 5, vlan: 10)
        net.learn(N.d, port: 4, vlan: 10)  // on the port that is down
        net.learn(N.a, port: 3, vlan: 10)  // in a VLAN vm-c does not carry (a stale entry)
        let tagged10 = F.dot1q(10)
        // Access to trunk: push. Trunk to access: pop. Trunk to trunk: as is. Priority-tagged: set the VLAN.
        #expect(
            net.summary(F.udp4(from: N.b, to: N.c), on: 1) == "\(Self.forwarded) | transmit:output[trunk push-vlan 10]")
        #expect(
            net.summary(F.udp4(from: N.c, to: N.b, tags: tagged10), on: 2)
                == "\(Self.forwarded) | transmit:output[vm-b pop-vlan]")
        #expect(
            net.summary(F.udp4(from: N.c, to: N.e, tags: tagged10), on: 2)
                == "\(Self.forwarded) | transmit:output[trunk2 as-is]")
        #expect(
            net.summary(F.udp4(from: N.b, to: N.c, tags: F.dot1q(0x6000)), on: 1)
                == "\(Self.forwarded) | transmit:output[trunk set-vlan 10]")
        // Drops.
        #expect(net.summary(F.udp4(from: N.b, to: N.d), on: 1) == "\(Self.forwarded) | transmit:drop(port-down)")
        #expect(net.summary(F.udp4(from: N.b, to: N.a), on: 1) == "\(Self.forwarded) | transmit:drop(vlan-not-member)")
        #expect(net.summary(F.udp4(from: N.b, to: N.e), on: 4) == "\(Self.forwarded) | transmit:drop(flood-no-ports)")
        var packet = TracedPacket(frame: UnsafeRawBufferPointer(start: nil, count: 0), ingress: 1)
        packet.meta.egress = PacketMeta.noEgress
        #expect(TransmitStage.trace(&packet, in: net.context).verdict == .drop(reason: "no-egress"))
    }

    @Test("a patched port: to its peer, untouched, the bridge skipped")
    func patch() {
        let net = TraceNet()
        let trace = net.trace(F.udp4(from: N.a, to: N.b, tags: F.dot1q(99)), on: 6)
        #expect(TraceNet.summary(trace) == "patch | transmit:output[pb as-is]")
        #expect(trace.steps[0].facts.first == TraceFact("peer", "pb"))
    }

    @Test("a stage that does not explain itself shows as passing, with a note")
    func defaultExplanation() {
        let net = TraceNet()
        var packet = TracedPacket(frame: UnsafeRawBufferPointer(start: nil, count: 0), ingress: 1)
        let step = SilentStage.trace(&packet, in: net.context)
        #expect(
            step == TraceStep(stage: "silent", facts: [TraceFact("note", "this stage does not explain its decisions")]))
    }
}

/// A stage without a `trace` of its own.
struct SilentStage: PipelineStage, ~Copyable {
    static let name = "silent"
    typealias Drop = NoReasons
    let counters = Self.allocateCounters()
    mutating func process(_ burst: inout PacketBurst) {}
    mutating func bind(_ tables: borrowing ForwardingTables) {}
}
