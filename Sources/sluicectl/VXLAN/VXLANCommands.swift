import ArgumentParser
import ControlProtocol
import Foundation

struct VXLAN: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vxlan",
        abstract: "The VXLAN tunnel endpoint: local VTEP, VNIs with their VLAN and flood list, remote VTEPs with "
            + "their next hop, learned MACs and packets/drops each way.")
    @OptionGroup var connection: Connection

    func run() throws {
        let status = try connection.call(VXLANMethods.show)
        connection.emit(status) { Self.render(status) }
    }

    static func render(_ s: VXLANStatus) -> String {
        guard s.configured else { return "vxlan: not configured\n" }
        var out = Table(
            ["uplink", "address", "mac", "underlay-vlan", "gateway", "mtu", "ttl"],
            [
                [
                    s.uplink ?? "-", s.address ?? "-", s.mac ?? "-", s.underlayVLAN.map { "\($0)" } ?? "-",
                    s.gateway ?? "-", s.mtu.map { "\($0)" } ?? "-", s.ttl.map { "\($0)" } ?? "-",
                ]
            ]
        ).render()
        out += "\n"
        out += Table(
            ["vni", "vlan", "flood"],
            s.vnis.map { ["\($0.vni)", "\($0.vlan)", $0.flood.isEmpty ? "-" : $0.flood.joined(separator: " ")] }
        ).render()
        out += "\n"
        out += Table(
            [
                "vtep", "slot", "next-hop", "next-hop-mac", "state", "macs", "rx-pkts", "rx-drops", "tx-pkts",
                "tx-drops",
            ],
            s.remotes.map { r in
                [
                    r.address, "\(r.slot)", r.nextHop, r.nextHopMAC ?? "-", r.state, "\(r.learnedMACs)",
                    "\(r.rxPackets)", "\(r.rxDrops)", "\(r.txPackets)", "\(r.txDrops)",
                ]
            }
        ).render()
        out +=
            "\nunderlay: arp-answered \(s.arpAnswered), echo-answered \(s.echoAnswered), arp-learned "
            + "\(s.arpLearned), arp-requests-sent \(s.arpRequestsSent), ignored \(s.puntIgnored)\n"
        return out
    }
}

struct Neighbours: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "neighbours",
        abstract: "The VXLAN underlay's ARP cache: each next hop the VTEP needs, its MAC, state and age.")
    @OptionGroup var connection: Connection

    func run() throws {
        let entries = try connection.call(VXLANMethods.neighbours)
        connection.emit(entries) {
            Table(
                ["address", "mac", "state", "age"],
                entries.map { e in
                    [e.address, e.mac ?? "-", e.state, e.ageSeconds.map { String(format: "%.0fs", $0) } ?? "-"]
                }
            ).render()
        }
    }
}
