import Packet
import Pipeline
import Testing

/// The metadata stage in `sluicectl trace`: where it sits (between vlan and l2, only for bursts from a served
/// port or the service port), what it predicts (interception, ARP answers, translation by the NAT table)
/// and every drop a trace can predict. No DPDK: a trace reads only tables.
@Suite struct MetadataTraceTests {
    typealias N = TraceNet
    /// TraceNet's vm-a (0) and vm-b (1) served, vm-c (3) the service port.
    final class Net {
        let net = TraceNet()
        let nat = MetadataNAT()
        let buckets = MetadataTables.allocateBuckets()
        let tables: MetadataTables
        var context: TraceContext

        init() {
            let spec = MetadataSpec(
                service: MF.service, servicePort: MF.servicePort, serviceSlot: 3, serviceMAC: MF.serviceMAC,
                gatewayMAC: MF.gatewayMAC,
                clients: [
                    MetadataClient(slot: 0, address: MF.poolA, requestsPerSecond: 10, burst: 1),
                    MetadataClient(slot: 1, address: MF.poolB),
                ])
            tables = MetadataTables(spec, nat: nat, buckets: buckets, tscHz: 1_000_000_000, now: 1)
            context = net.context
            context.metadata = tables.view
        }

        deinit { UnsafeMutableRawPointer(buckets).deallocate() }

        func summary(_ frame: [UInt8], on port: UInt16) -> String {
            withExtendedLifetime(self) { TraceNet.summary(SwitchPipeline.trace(frame, ingress: port, in: context)) }
        }

        func trace(_ frame: [UInt8], on port: UInt16) -> PacketTrace {
            withExtendedLifetime(self) { SwitchPipeline.trace(frame, ingress: port, in: context) }
        }
    }

    static let toVLAN = "parse | port-security | vlan"

    @Test("a request to the intercepted address leaves on the service port; the rest of the burst goes on")
    func requests() {
        let net = Net()
        let syn = MF.request(from: N.a)
        #expect(net.summary(syn, on: 0) == "\(Self.toVLAN) | metadata:output[vm-c as-is]")
        let facts = net.trace(syn, on: 0).steps.last?.facts.map(\.description) ?? []
        #expect(facts.contains("intercepted=\(MF.poolA):40001 -> \(MF.service):\(MF.servicePort)"))
        #expect(facts.contains { $0.hasPrefix("rate-limit=") }, "vm-a is limited")
        // Whatever MAC it addressed: the guest's own ARP target or its gateway.
        #expect(
            net.summary(MF.request(from: N.b, to: MF.gatewayMAC), on: 1)
                == "\(Self.toVLAN) | metadata:output[vm-c as-is]")
        // Other TCP ports of the intercepted address are dropped.
        #expect(
            net.summary(MF.request(from: N.a, dport: 443), on: 0)
                == "\(Self.toVLAN) | metadata:drop(other-to-intercept)")
        // Ordinary traffic passes the stage to l2.
        let ordinary = MF.tcp(
            dstMAC: N.b.mac, srcMAC: N.a.mac, src: N.a.ipv4, dst: N.b.ipv4, sport: 1, dport: 80, flags: MF.syn)
        #expect(net.summary(ordinary, on: 0).hasPrefix("\(Self.toVLAN) | metadata | l2"))
        // Ports that are neither served nor the service port never reach the stage.
        #expect(!net.summary(MF.request(from: N.e), on: 5).contains("metadata"))
    }

    @Test("ARP for the intercepted address (from a guest) and for pool addresses (from the host) is answered")
    func arp() {
        let net = Net()
        #expect(
            net.summary(F.arpRequest(from: N.a, for: MF.intercept), on: 0)
                == "\(Self.toVLAN) | metadata:output[vm-a as-is]")
        #expect(
            net.summary(F.arpRequest(from: N.c, for: MF.poolB), on: 3) == "\(Self.toVLAN) | metadata:output[vm-c as-is]"
        )
        // Other ARP goes on to l2.
        #expect(net.summary(F.arpRequest(from: N.a, for: N.b.ipv4), on: 0).hasPrefix("\(Self.toVLAN) | metadata | l2"))
    }

    @Test("a reply is translated back only with its NAT entry, only from the service")
    func replies() {
        let net = Net()
        let reply = MF.reply(to: MF.poolA)
        #expect(net.summary(reply, on: 3) == "\(Self.toVLAN) | metadata:drop(no-flow)")
        let flow = MetadataFlow(
            guestPort: 40001, guestAddress: N.a.ipv4, guestMAC: N.a.mac, addressedMAC: MF.routerMAC)
        #expect(net.nat.view.record(slot: 0, flow, now: 1) == .recorded)
        #expect(net.summary(reply, on: 3) == "\(Self.toVLAN) | metadata:output[vm-a as-is]")
        let facts = net.trace(reply, on: 3).steps.last?.facts.map(\.description) ?? []
        #expect(facts.contains("translated=\(MF.intercept):80 -> \(N.a.ipv4):40001"))
        #expect(facts.contains("hop-limit=1"))
        // To a pool address from anything but the service's address and port.
        #expect(
            net.summary(MF.reply(to: MF.poolA, sport: 9999), on: 3)
                == "\(Self.toVLAN) | metadata:drop(not-from-service)")
        // The reply's port down: egress-down.
        net.context.enabled.remove(0)
        #expect(net.summary(reply, on: 3) == "\(Self.toVLAN) | metadata:drop(egress-down)")
    }
}
