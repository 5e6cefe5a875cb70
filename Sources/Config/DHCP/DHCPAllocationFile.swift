import Foundation
import Packet

/// The `auto` allocations on disk, beside the state file (`<state file>.dhcp`, JSON), so that an `auto` port
/// keeps its address across restarts and a removed port's address stays quarantined (docs/dhcp.md,
/// "Allocation"). Written atomically (a temporary file renamed over it) whenever the state file is.
public enum DHCPAllocationFile {
    public struct Error: Swift.Error, CustomStringConvertible {
        public let description: String
    }

    /// The allocations file that goes with `stateFile`.
    public static func path(forStateFile stateFile: String) -> String { stateFile + ".dhcp" }

    struct Document: Codable {
        struct Address: Codable {
            var port: String
            var vlan: UInt16
            var address: String
        }
        struct Quarantine: Codable {
            var vlan: UInt16
            var address: String
            /// Seconds since the epoch.
            var until: UInt64
        }
        var addresses: [Address]
        var quarantined: [Quarantine]
    }

    /// The file's text: entries sorted, so that the same allocations always give the same bytes.
    public static func render(_ allocations: DHCPAllocations) -> String {
        let document = Document(
            addresses: allocations.addresses.sorted { $0.key < $1.key }.map {
                Document.Address(port: $0.key, vlan: $0.value.vlan, address: "\($0.value.address)")
            },
            quarantined: allocations.quarantined.sorted {
                ($0.key.vlan, $0.key.address.rawValue) < ($1.key.vlan, $1.key.address.rawValue)
            }.map { Document.Quarantine(vlan: $0.key.vlan, address: "\($0.key.address)", until: $0.value) })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: (try? encoder.encode(document)) ?? Data("{}".utf8), as: UTF8.self) + "\n"
    }

    /// Reads `text`; a malformed file is an error naming what is wrong.
    public static func parse(_ text: String) throws(Error) -> DHCPAllocations {
        let document: Document
        do {
            document = try JSONDecoder().decode(Document.self, from: Data(text.utf8))
        } catch {
            throw Error(description: "not a DHCP allocations document: \(error)")
        }
        var result = DHCPAllocations()
        for entry in document.addresses {
            guard let address = IPv4Address(entry.address) else {
                throw Error(description: "addresses: \(entry.port): '\(entry.address)' is not an IPv4 address")
            }
            result.addresses[entry.port] = DHCPAllocations.Allocation(vlan: entry.vlan, address: address)
        }
        for entry in document.quarantined {
            guard let address = IPv4Address(entry.address) else {
                throw Error(description: "quarantined: '\(entry.address)' is not an IPv4 address")
            }
            result.quarantined[DHCPAllocations.Allocation(vlan: entry.vlan, address: address)] = entry.until
        }
        return result
    }

    /// The allocations in `path`, or none when the file does not exist.
    public static func read(path: String) throws(Error) -> DHCPAllocations {
        guard FileManager.default.fileExists(atPath: path) else { return DHCPAllocations() }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Error(description: "\(path): cannot be read")
        }
        do {
            return try parse(String(decoding: data, as: UTF8.self))
        } catch {
            throw Error(description: "\(path): \(error.description)")
        }
    }

    /// Writes `allocations` to `path` atomically.
    public static func write(_ allocations: DHCPAllocations, to path: String) throws(Error) {
        do {
            try Data(render(allocations).utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw Error(description: "cannot write \(path): \(error.localizedDescription)")
        }
    }
}
