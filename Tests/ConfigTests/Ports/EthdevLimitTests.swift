import Packet
import Testing

@testable import Config

/// DPDK ethdev ports are bounded by the DPDK build's RTE_MAX_ETHPORTS; vhost-user ports are not ethdevs.
@Suite struct EthdevLimitTests {
    static func devargsPorts(_ range: Range<Int>) -> [[String]] {
        range.map { ["name: p\($0)", "devargs: net_null\($0)"] }
    }

    static func vhostPorts(_ range: Range<Int>) -> [[String]] {
        range.map { ["name: vm\($0)", "type: vhost-user", "path: /run/sluice/vm\($0).sock"] }
    }

    @Test func oneEthdevPortTooManyIsRefusedNamingIt() {
        let limit = PortLimit.maxEthdevPorts
        let doc = Doc { $0.ports = Self.devargsPorts(0..<(limit + 1)) }
        expectSingleProblem(
            doc.yaml, at: "ports[\(limit)]",
            mentioning: [
                "is DPDK device number \(limit + 1)", "at most \(limit) (RTE_MAX_ETHPORTS)",
                "vhost-user ports do not", "there are \(limit + 1) such ports",
            ])
    }

    @Test func vhostUserPortsDoNotCount() throws {
        let limit = PortLimit.maxEthdevPorts
        let doc = Doc {
            $0.ports = Self.vhostPorts(0..<10) + Self.devargsPorts(0..<limit) + Self.vhostPorts(10..<20)
        }
        let config = try #require(parsed(doc.yaml))
        #expect(config.ports.count == limit + 20)
        #expect(config.ports.filter { $0.vhostUser == nil }.count == limit)
    }

    /// `PortLimit.maxPorts` (1024) ports are accepted when at most `maxEthdevPorts` of them are ethdevs.
    @Test func aThousandPortsWithThirtyTwoEthdevs() throws {
        let limit = PortLimit.maxEthdevPorts
        #expect(PortLimit.maxPorts == 1024)
        let doc = Doc {
            $0.ports = Self.devargsPorts(0..<limit) + Self.vhostPorts(0..<(PortLimit.maxPorts - limit))
        }
        let config = try #require(parsed(doc.yaml))
        #expect(config.ports.count == PortLimit.maxPorts)
    }

    /// The refused port is the first past the limit in the list, wherever the vhost-user ports are.
    @Test func theFirstEthdevPortPastTheLimitIsNamed() {
        let limit = PortLimit.maxEthdevPorts
        let doc = Doc {
            $0.ports = Self.devargsPorts(0..<limit) + Self.vhostPorts(0..<3) + Self.devargsPorts(limit..<(limit + 2))
        }
        expectSingleProblem(
            doc.yaml, at: "ports[\(limit + 3)]", mentioning: ["there are \(limit + 2) such ports"])
    }
}
