import Config
import Pipeline
import Testing

@testable import Dataplane

/// The bridge rows a generation builds from each configured port: the columns the stages read.
@Suite struct BridgeSpecTests {
    @Test("a port's MTU reaches its bridge row, where the parse stage reads it, bridged or patched")
    func mtuReachesTheRow() {
        for bridged in [true, false] {
            let spec = BridgePortSpec(port: PortConfig(name: "p", devargs: "net_null0", mtu: 9000), bridged: bridged)
            #expect(spec.mtu == 9000)
            let tables = BridgeTables(ports: [
                spec, BridgePortSpec(port: PortConfig(name: "q", devargs: "net_null1", mtu: 68), bridged: bridged),
            ])
            #expect(tables.view.ports[0].mtu == 9000 && tables.view.ports[1].mtu == 68)
        }
    }
}
