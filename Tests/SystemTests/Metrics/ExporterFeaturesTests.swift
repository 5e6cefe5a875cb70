import ControlProtocol
import Foundation
import Testing

extension SystemTests {
    /// The exporter's VXLAN, DHCP and metadata families on a running sluiced with all three configured: a VM
    /// port (access VLAN 100, DHCP from the pool, served by the metadata intercept), the metadata service
    /// port, and a VXLAN uplink whose one remote VTEP (198.51.100.2, VNI 1000 ↔ VLAN 100) never answers ARP, so
    /// it stays unresolved (its tap is alone in namespace `om<pid>u`). A DHCP client in a namespace (`om<pid>v`)
    /// takes a lease, then sends a request to the metadata address (a NAT entry). Both namespaces are deleted
    /// by the test, even when it fails.
    /// Then `sluice-exporter --once`: promtool accepts the output, and its values are those of
    /// `sluicectl vxlan|vxlan neighbours|dhcp|metadata clients|metadata nat --json`.
    @Suite("sluice-exporter: VXLAN, DHCP and metadata families")
    struct ExporterFeatures {
        static func config(tag: String) -> String {
            """
            \(testEAL())
            ports:
              - name: vm
                devargs: "net_tap_omv,iface=\(tag)v"
                vlan: {mode: access, id: 100}
                dhcp: {address: auto}
                metadata: {instance-id: i-0000000000000om01}
              - name: svc
                devargs: "net_tap_oms,iface=\(tag)s"
              - name: uplink
                devargs: "net_tap_omu,iface=\(tag)u,mac=02:00:00:00:0a:01"
            vxlan:
              uplink: uplink
              address: 198.51.100.1/24
              vnis:
                - {vni: 1000, vlan: 100, flood: [198.51.100.2]}
            dhcp:
              - vlan: 100
                subnet: 10.0.100.0/24
                server: 10.0.100.2
                server-mac: "02:00:00:00:01:00"
                lease-seconds: 600
                pool: 10.0.100.100-10.0.100.109
            metadata:
              service-address: 169.254.100.1
              service-port: svc
              service-mac: "02:00:00:00:a9:01"
              pool: 169.254.100.0/24
              vlans: [100]
            """
        }

        /// What `sluicectl ... --json` shows of the three features.
        struct Shown {
            var vxlan: VXLANStatus
            var neighbours: [UnderlayNeighbourStatus]
            var dhcp: DHCPStatus
            var clients: [MetadataClient]
            var nat: [MetadataNATEntry]

            init(socket: String) throws {
                func json<T: Decodable>(_ type: T.Type, _ command: [String]) throws -> T {
                    let output = try System.must(
                        [System.binary("sluicectl")] + command + ["--json", "--socket", socket])
                    return try JSONDecoder().decode(type, from: Data(output.utf8))
                }
                vxlan = try json(VXLANStatus.self, ["vxlan"])
                neighbours = try json([UnderlayNeighbourStatus].self, ["neighbours"])
                dhcp = try json(DHCPStatus.self, ["dhcp"])
                clients = try json([MetadataClient].self, ["metadata", "clients"])
                nat = try json([MetadataNATEntry].self, ["metadata", "nat"])
            }
        }

        @Test func featureFamiliesPassPromtoolAndMatchSluicectl() throws {
            let tag = "om\(getpid() % 100_000)"
            let vm = try Namespace.create("\(tag)v")
            defer { vm.delete() }
            let underlay = try Namespace.create("\(tag)u")
            defer { underlay.delete() }
            let daemon = try SluicedProcess(config: Self.config(tag: tag), label: "exporter-features")
            defer {
                _ = try? daemon.stop()
                daemon.removeDirectory()
            }
            try daemon.waitReady()

            // The uplink's tap in a namespace of its own, without addresses: nothing answers ARP for the remote
            // VTEP (an address no host here has; the root namespace's kernel answers for its own on any tap).
            try underlay.adoptSilent(interface: "\(tag)u", mac: "02:00:00:0e:00:fe")
            // The guest takes a lease (udhcpc exits once bound; its script does nothing with it).
            try vm.adoptSilent(interface: "\(tag)v", mac: "02:00:00:0e:00:01")
            let lease = try vm.run(
                ["busybox", "udhcpc", "-q", "-n", "-i", "\(tag)v", "-s", "/bin/true", "-t", "10", "-T", "2"],
                timeout: .seconds(120))
            #expect(lease.status == 0, "udhcpc:\n\(lease.output)\nsluiced log:\n\(daemon.log)")
            try System.waitUntil("the vm port's client to be bound", timeout: .seconds(60)) {
                try daemon.client().call(DHCPMethods.show).ports.first { $0.port == "vm" }?.state == "bound"
            }
            // A request to the metadata address: the intercept takes its SYN to the service port and keeps a NAT
            // entry for it (nothing answers there; the entry stays until metadata.nat-idle-seconds, 300 s).
            try vm.exec(["ip", "addr", "add", "10.0.100.100/24", "dev", "\(tag)v"])
            try vm.exec(["ip", "route", "add", "169.254.169.254/32", "dev", "\(tag)v"])
            _ = try vm.run(
                ["curl", "-s", "-m", "2", "http://169.254.169.254/latest/meta-data/"], timeout: .seconds(30))
            try System.waitUntil("a NAT entry for the vm port's request", timeout: .seconds(60)) {
                try !daemon.client().call(MetadataMethods.nat).filter { $0.port == "vm" }.isEmpty
            }

            let directory = try System.scratchDirectory("exporter-features")
            defer { try? FileManager.default.removeItem(at: directory) }
            let file = directory.appendingPathComponent("metrics.txt").path
            let before = try Shown(socket: daemon.socketPath)
            let scrape = try System.run([
                "sh", "-c", "'\(System.binary("sluice-exporter"))' --once --socket '\(daemon.socketPath)' > '\(file)'",
            ])
            let after = try Shown(socket: daemon.socketPath)
            let text = try String(contentsOfFile: file, encoding: .utf8)
            #expect(scrape.status == 0, "sluice-exporter --once:\n\(scrape.output)\n\(text)")
            let check = try System.run(["sh", "-c", "promtool check metrics < '\(file)'"])
            #expect(check.status == 0, "promtool check metrics:\n\(check.output)\n\(text)")
            let samples = Exporter.samples(text)
            func value(_ series: String) throws -> Double {
                try #require(samples[series], "\(series) missing from:\n\(text)")
            }
            /// A counter lies between what sluicectl showed before and after the scrape.
            func between(_ series: String, _ low: UInt64, _ high: UInt64) throws {
                let v = try value(series)
                #expect(Double(low) <= v && v <= Double(high), "\(series): \(v), sluicectl: \(low)...\(high)")
            }

            // VXLAN: the one remote VTEP, unresolved (nothing answers on the underlay), its next hop incomplete.
            let remote = try #require(after.vxlan.remotes.first, "\(after.vxlan)")
            let old = try #require(before.vxlan.remotes.first)
            #expect(remote.address == "198.51.100.2" && remote.state == "unresolved")
            #expect(try value(#"sluice_vxlan_vtep_resolved{vtep="198.51.100.2"}"#) == 0)
            #expect(try value(#"sluice_vxlan_remote_vteps{state="unresolved"}"#) == 1)
            #expect(try value(#"sluice_vxlan_remote_vteps{state="resolved"}"#) == 0)
            #expect(try value(#"sluice_vxlan_vni_flood_vteps{vni="1000",vlan="100"}"#) == 1)
            #expect(try value(#"sluice_vxlan_vtep_macs_learned{vtep="198.51.100.2"}"#) == Double(remote.learnedMACs))
            try between(#"sluice_vxlan_vtep_tx_packets_total{vtep="198.51.100.2"}"#, old.txPackets, remote.txPackets)
            try between(#"sluice_vxlan_vtep_tx_dropped_total{vtep="198.51.100.2"}"#, old.txDrops, remote.txDrops)
            try between(#"sluice_vxlan_vtep_rx_packets_total{vtep="198.51.100.2"}"#, old.rxPackets, remote.rxPackets)
            try between(
                "sluice_vxlan_underlay_arp_requests_total", before.vxlan.arpRequestsSent, after.vxlan.arpRequestsSent)
            #expect(!after.neighbours.isEmpty)
            for state in ["reachable", "refreshing", "incomplete"] {
                let shown = after.neighbours.filter { $0.state == state }.count
                #expect(try value(#"sluice_vxlan_underlay_neighbours{state="\#(state)"}"#) == Double(shown), "\(state)")
            }

            // DHCP: the lease from the pool, the client bound, the replies that gave it.
            let network = try #require(after.dhcp.networks.first { $0.vlan == 100 })
            #expect(network.poolAllocated == 1)
            #expect(try value(#"sluice_dhcp_pool_allocated{vlan="100"}"#) == Double(network.poolAllocated))
            #expect(try value(#"sluice_dhcp_pool_addresses{vlan="100"}"#) == Double(network.poolSize))
            #expect(try value(#"sluice_dhcp_ports{vlan="100"}"#) == Double(network.ports))
            #expect(try value(#"sluice_dhcp_clients{vlan="100",state="bound"}"#) == 1)
            let port = try #require(after.dhcp.ports.first { $0.port == "vm" })
            #expect(try value(#"sluice_dhcp_port_lease_seconds{port="vm"}"#) == Double(port.leaseSeconds ?? -1))
            for type in ["offer", "ack"] {
                let count = after.dhcp.counters[type] ?? 0
                #expect(count >= 1, "\(type): \(after.dhcp.counters)")
                try between(#"sluice_dhcp_replies_total{type="\#(type)"}"#, before.dhcp.counters[type] ?? 0, count)
            }

            // Metadata: the served port with its pool address and instance, its NAT entries against capacity.
            let client = try #require(after.clients.first, "no metadata clients")
            #expect(try value("sluice_metadata_clients") == Double(after.clients.count))
            let labels = #"port="vm",address="\#(client.address)",instance_id="\#(client.instanceID)""#
            let info = "sluice_metadata_client_info{\(labels)}"
            #expect(try value(info) == 1)
            let open = after.nat.filter { $0.port == "vm" && !$0.closing }.count
            #expect(open >= 1, "\(after.nat)")
            #expect(try value(#"sluice_metadata_nat_entries{port="vm",state="open"}"#) == Double(open))
            let intercepted = #"sluice_stage_events_total{stage="metadata",event="intercepted"}"#
            #expect(try value(intercepted) >= 1)
            #expect(try value(#"sluice_metadata_nat_capacity{port="vm"}"#) == Double(MetadataNATEntry.entriesPerPort))
        }
    }
}
