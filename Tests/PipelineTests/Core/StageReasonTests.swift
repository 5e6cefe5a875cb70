import Packet
import Pipeline
import Testing

/// The names of every stage's drop reasons and events, in counter order, as `sluicectl stages`,
/// `sluice-bench` and the control API show them. Pinned here so that renaming or reordering a case is caught:
/// a change to this list is a change of the control API (docs/control-protocol.md).
@Suite struct StageReasonTests {
    struct Names: Equatable, CustomStringConvertible {
        var stage: String, drops: [String], events: [String]
        var description: String { "\(stage): drops \(drops), events \(events)" }
    }

    static func names<Stage: PipelineStage & ~Copyable>(_ stage: Stage.Type) -> Names {
        Names(stage: Stage.name, drops: Stage.dropReasons, events: Stage.eventNames)
    }

    static let pinned: [Names] = [
        Names(stage: "patch", drops: [], events: []),
        Names(
            stage: "vxlan-decap",
            drops: [
                "truncated-outer", "bad-outer-length", "outer-fragment", "flag-i-clear", "truncated-inner",
                "inner-vlan-tag", "unknown-vni", "unknown-vtep", "punt-ring-full",
            ],
            events: ["decapsulated", "punted"]),
        Names(
            stage: "parse",
            drops: [
                "truncated-ethernet", "truncated-vlan", "stacked-vlan", "truncated-arp", "bad-arp", "truncated-ipv4",
                "bad-ipv4-version", "bad-ipv4-header-length", "bad-ipv4-total-length", "truncated-ipv6",
                "bad-ipv6-version", "bad-ipv6-payload-length", "bad-ipv6-extension-header", "truncated-tcp",
                "bad-tcp-data-offset", "truncated-udp", "bad-udp-length", "truncated-icmp", "truncated-vxlan",
                "frame-too-long", "group-source-mac", "exceeds-mtu",
            ],
            events: []),
        Names(
            stage: "port-security",
            drops: ["source-mac", "source-ipv4", "source-ipv6", "arp-sender-mac", "arp-sender-ip"], events: []),
        Names(stage: "vlan", drops: ["tagged-on-access", "vlan-not-allowed", "untagged-on-trunk"], events: []),
        Names(
            stage: "dhcp", drops: ["dhcp-oversized", "dhcp-rate-limited", "dhcp-punt-ring-full"],
            events: ["dhcp-punted"]),
        Names(
            stage: "metadata",
            drops: [
                "other-to-intercept", "rate-limited", "nat-full", "nat-busy", "no-flow", "not-from-service",
                "egress-down", "tx-queue-full",
            ],
            events: ["intercepted", "translated", "arp-answered"]),
        Names(
            stage: "l2", drops: ["same-port", "split-horizon"],
            events: ["learned", "moved", "learn-limit", "table-full", "static-conflict", "flooded", "unknown-unicast"]),
        Names(
            stage: "security-groups",
            drops: ["sg-no-rule", "ct-invalid", "ct-table-full", "ct-port-limit", "sg-fragment"],
            events: ["ct-new", "ct-tracked", "ct-related", "sg-exempt", "ct-reopened"]),
        Names(stage: "qos", drops: ["qos-to-vm"], events: []),
        Names(
            stage: "vxlan-encap",
            drops: [
                "next-hop-unresolved", "exceeds-underlay-mtu", "no-headroom", "stale-destination", "copy-failed",
                "tx-queue-full", "uplink-down",
            ],
            events: ["encapsulated", "replicated"]),
        Names(
            stage: "transmit",
            drops: [
                "no-egress", "port-down", "tx-queue-full", "flood-no-ports", "vlan-not-member", "copy-failed",
                "no-headroom", "qos-to-vm",
            ],
            events: []),
    ]

    @Test("every stage's drop reasons and events have today's names, in today's order")
    func namesArePinned() {
        let stages = [
            Self.names(PatchStage.self), Self.names(VXLANDecapStage.self), Self.names(ParseStage.self),
            Self.names(PortSecurityStage.self), Self.names(VLANStage.self), Self.names(DHCPStage.self),
            Self.names(MetadataStage.self),
            Self.names(L2Stage.self),
            Self.names(SecurityGroupStage.self), Self.names(QoSStage.self), Self.names(VXLANEncapStage.self),
            Self.names(TransmitStage.self),
        ]
        #expect(stages.count == Self.pinned.count)
        for (stage, pinned) in zip(stages, Self.pinned) { #expect(stage == pinned) }
    }

    /// Counts each case of `Reason` a distinct number of times (case i: i + 1) through `count`, then reads the
    /// block as the control thread does: by position in `names`, from `first`.
    static func countsLandUnderTheirNames<Reason: StageReason>(
        _: Reason.Type, block: CounterBlock, first: Int, count: (Reason, UInt64) -> Void
    ) -> Bool {
        for reason in Reason.allCases { count(reason, UInt64(reason.index + 1)) }
        let byName = Dictionary(uniqueKeysWithValues: Reason.names.enumerated().map { ($1, block.load(first + $0)) })
        return Reason.allCases.allSatisfy { byName[$0.name] == UInt64($0.index + 1) }
    }

    @Test("a counted drop or event lands on the counter shown under its name; the layout is unchanged")
    func countsLandUnderTheirNames() {
        func check<Stage: PipelineStage & ~Copyable>(_ stage: Stage.Type) {
            let counters = Stage.allocateCounters()
            defer { counters.block.deallocate() }
            let drops = Stage.Drop.allCases.count
            let events = Stage.Event.allCases.count
            // calls, packets in/out, cycles, then the drops, then the events: the layout readers index by.
            #expect(counters.block.count == StageCounters.firstDrop + drops + events, "\(Stage.name)")
            #expect(counters.firstEvent == StageCounters.firstDrop + drops, "\(Stage.name)")
            #expect(counters.untyped.firstEvent == counters.firstEvent)
            #expect(counters.untyped.block.base == counters.block.base)
            #expect(
                Self.countsLandUnderTheirNames(
                    Stage.Drop.self, block: counters.block, first: StageCounters.firstDrop,
                    count: { counters.drop($0, count: $1) }),
                "\(Stage.name) drops")
            #expect(
                Self.countsLandUnderTheirNames(
                    Stage.Event.self, block: counters.block, first: counters.firstEvent,
                    count: { counters.event($0, count: $1) }),
                "\(Stage.name) events")
            // Nothing outside the reasons' counters was touched.
            for index in 0..<StageCounters.firstDrop { #expect(counters.block.load(index) == 0, "\(Stage.name)") }
        }
        check(PatchStage.self)
        check(VXLANDecapStage.self)
        check(ParseStage.self)
        check(PortSecurityStage.self)
        check(VLANStage.self)
        check(DHCPStage.self)
        check(MetadataStage.self)
        check(L2Stage.self)
        check(VXLANEncapStage.self)
        check(SecurityGroupStage.self)
        check(TransmitStage.self)
    }

    @Test("the parse stage's reasons are the parser's errors, by raw value")
    func parseReasonsAreParseErrors() {
        #expect(ParseStage.Drop.self == ParseError.self)
        for error in ParseError.allCases { #expect(ParseStage.dropReasons[Int(error.rawValue)] == error.name) }
    }

    @Test("a stage without reasons of a kind has no counters and no names for them")
    func noReasons() {
        #expect(NoReasons.allCases.isEmpty)
        #expect(NoReasons.names == [])
        #expect(NoReasons(rawValue: 0) == nil)
        let counters = PatchStage.allocateCounters()
        defer { counters.block.deallocate() }
        #expect(counters.block.count == StageCounters.firstDrop)
    }

    enum Misnumbered: Int, StageReason {
        case first = 1
        case second = 0
        var name: String { self == .first ? "first" : "second" }
    }

    enum SameName: Int, StageReason {
        case first, second
        var name: String { "same" }
    }

    @Test("reasons numbered out of order, or two with one name, are refused when their names are read")
    func malformedReasonsTrap() async {
        await #expect(processExitsWith: .failure) { _ = StageReasonTests.Misnumbered.names }
        await #expect(processExitsWith: .failure) { _ = StageReasonTests.SameName.names }
    }
}
