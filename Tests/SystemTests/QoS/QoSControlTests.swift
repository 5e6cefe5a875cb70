import ControlProtocol
import Foundation
import Testing

extension SystemTests {
    @Suite("QoS: sluicectl qos and the --qos-* port flags")
    struct QoSControl {
        @Test func flagsSetShowAndRemoveLimitsAndRefusalsNameTheKey() throws {
            let daemon = try SluicedProcess(
                config: """
                    \(testEAL())
                    ports:
                      - name: vm0
                        devargs: "net_null_qs0,no-rx=1"
                        qos: {from-vm: {packets: {packets-per-second: 1000, burst-packets: 10}}}
                      - name: vm1
                        devargs: "net_null_qs1,no-rx=1"
                    """, label: "qos-ctl")
            defer { daemon.removeDirectory() }
            try daemon.waitReady()
            let ctl = System.binary("sluicectl")
            let socket = ["--socket", daemon.socketPath]

            let set = try System.run(
                [
                    ctl, "port", "set", "vm1", "--qos-to-vm-bps", "50000000", "--qos-to-vm-burst-bytes", "1048576",
                    "--qos-to-vm-pps", "5000", "--qos-to-vm-burst-packets", "64", "--qos-to-vm-one-time-burst-packets",
                    "7",
                ]
                    + socket)
            #expect(set.status == 0, "\(set.output)")
            let table = try System.must([ctl, "qos"] + socket).split(separator: "\n")
            #expect(table.count == 4, "\(table)")
            #expect(table[0].hasPrefix("port") && table[0].contains("held-polls"))
            #expect(table[1].hasPrefix("vm0") && table[1].contains("from-vm") && table[1].contains("1000 pps"))
            #expect(table[2].hasPrefix("vm1") && table[2].contains("to-vm") && table[2].contains("50.000 Mbit/s"))
            let rows = try JSONDecoder().decode(
                [QoSDirectionStatus].self, from: Data(try System.must([ctl, "qos", "--json"] + socket).utf8))
            let toVM = try #require(rows.first { $0.port == "vm1" })
            #expect(toVM.direction == "to-vm" && toVM.buckets.map(\.kind) == ["bandwidth", "packets"])
            #expect(toVM.buckets[0].tokens == 1_048_576 && toVM.buckets[1].oneTimeBurstLeft == 7)

            // A burst below one frame is refused, naming the key; nothing changes.
            let refused = try System.run(
                [ctl, "port", "set", "vm0", "--qos-from-vm-bps", "1000000", "--qos-from-vm-burst-bytes", "100"]
                    + socket)
            #expect(refused.status != 0)
            #expect(refused.output.contains("qos.from-vm.bandwidth.burst-bytes"), "\(refused.output)")
            let incomplete = try System.run([ctl, "port", "set", "vm0", "--qos-from-vm-bps", "1000000"] + socket)
            #expect(incomplete.status != 0 && incomplete.output.contains("--qos-from-vm-burst-bytes"))
            #expect(try daemon.client().call(QoSMethods.show).count == 2)

            // --no-qos removes the port's limits; the state file keeps what was applied.
            try System.must([ctl, "port", "set", "vm0", "--no-qos"] + socket)
            #expect(try daemon.client().call(QoSMethods.show).map(\.port) == ["vm1"])
            let state = try String(contentsOfFile: daemon.stateFile, encoding: .utf8)
            #expect(
                state.contains("burst-packets: 64")
                    && state.range(of: #"packets-per-second: 1000\b"#, options: .regularExpression) == nil)
            #expect(try daemon.stop() == 0)
        }
    }
}
