import ControlProtocol
import DPDK
import Pipeline

extension Dataplane {
    /// Every VLAN some port carries, ascending, with its members and MAC entry count.
    public func vlanStatuses() -> [VLANStatus] {
        var untagged: [Int: [String]] = [:]
        var tagged: [Int: [String]] = [:]
        let patched = Set(config.patches.flatMap { [$0.a, $0.b] })
        for port in config.ports where !patched.contains(port.name) {
            switch port.vlanMode {
            case .access(let vlan): untagged[Int(vlan), default: []].append(port.name)
            case .trunk(let allowed, let native):
                for vlan in allowed.ids where vlan != native { tagged[Int(vlan), default: []].append(port.name) }
                if let native { untagged[Int(native), default: []].append(port.name) }
            }
        }
        var macs: [Int: Int] = [:]
        for entry in macTable.entries(now: macClock) { macs[Int(entry.vlan), default: 0] += 1 }
        return Set(untagged.keys).union(tagged.keys).sorted().map { vlan in
            VLANStatus(
                vlan: vlan, untaggedPorts: untagged[vlan] ?? [], taggedPorts: tagged[vlan] ?? [], macs: macs[vlan] ?? 0)
        }
    }
}
