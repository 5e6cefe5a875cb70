import DPDK
import Packet

/// Keeps a VM from impersonating another: on a port with port security, frames must carry the port's MAC
/// as source, IP packets one of the port's addresses (when the port lists any), and ARP must not claim
/// another MAC or IP. Bursts from ports without port security pass untouched (one check per burst).
public struct PortSecurityStage: PipelineStage, ~Copyable {
    public static let name = "port-security"
    public enum Drop: Int, StageReason {
        case sourceMAC, sourceIPv4, sourceIPv6, arpMAC, arpIP

        public var name: String {
            switch self {
            case .sourceMAC: "source-mac"
            case .sourceIPv4: "source-ipv4"
            case .sourceIPv6: "source-ipv6"
            case .arpMAC: "arp-sender-mac"
            case .arpIP: "arp-sender-ip"
            }
        }
    }

    public let counters: Counters
    @usableFromInline var bridge: BridgeView

    public init(bridge: BridgeView) {
        self.bridge = bridge
        counters = Self.allocateCounters()
    }

    @inlinable
    public mutating func bind(_ tables: borrowing ForwardingTables) { bridge = tables.bridge }

    @inlinable
    public mutating func process(_ burst: inout PacketBurst) {
        let port = Int(burst.ingress)
        guard port < bridge.portCount, bridge.ports[port].securityEnabled else { return }
        let row = bridge.ports[port]
        var kept = 0
        for i in 0..<burst.count {
            if let reason = violation(burst.packets[i].data, burst.meta[i].headers, port: port, row: row) {
                counters.drop(reason)
                burst.drop(i)
            } else {
                burst.keep(i, at: &kept)
            }
        }
        burst.endCompaction(keeping: kept)
    }

    /// The drop reason for a packet that breaks the port's policy, or nil.
    @inlinable @inline(__always)
    func violation(_ data: UnsafeMutableRawPointer, _ headers: PacketHeaders, port: Int, row: BridgePort) -> Drop? {
        Self.violation(UnsafeRawPointer(data), headers, port: port, row: row, bridge: bridge)
    }

    /// The drop reason for a frame that breaks `port`'s policy in `bridge`, or nil (also what a trace asks).
    @inlinable @inline(__always)
    static func violation(
        _ frame: UnsafeRawPointer, _ headers: PacketHeaders, port: Int, row: BridgePort, bridge: BridgeView
    ) -> Drop? {
        if EthernetAddress(frame + 6).rawValue != row.allowedMAC { return .sourceMAC }
        let l3 = frame + Int(headers.l3Offset)
        if headers.flags.contains(.ipv4) {
            let source = IPv4Header(l3).source.rawValue
            // 0.0.0.0 is what DHCP clients send from before they have an address.
            if row.restrictIPv4 && source != 0 && !bridge.allowsIPv4(port: port, source) { return .sourceIPv4 }
        } else if headers.flags.contains(.ipv6) {
            let source = IPv6Header(l3).source
            // :: (duplicate address detection) and link-local fe80::/10 (neighbour discovery) are always
            // allowed: IPv6 cannot come up without them.
            let unspecified = source.high == 0 && source.low == 0
            let linkLocal = source.high >> 54 == 0x3fa
            if row.restrictIPv6 && !unspecified && !linkLocal && !bridge.allowsIPv6(port: port, source) {
                return .sourceIPv6
            }
        } else if headers.flags.contains(.arp) {
            let arp = ARPHeader(l3)
            if arp.senderHardwareAddress.rawValue != row.allowedMAC { return .arpMAC }
            let sender = arp.senderProtocolAddress.rawValue
            // An ARP probe (RFC 5227) has sender IP 0.0.0.0.
            if row.restrictIPv4 && sender != 0 && !bridge.allowsIPv4(port: port, sender) { return .arpIP }
        }
        return nil
    }
}
