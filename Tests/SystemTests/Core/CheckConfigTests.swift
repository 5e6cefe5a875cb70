import Foundation
import Glibc
import Testing

extension SystemTests {
    /// `sluiced --check-config` refuses, before DPDK is touched, what start-up could not run: on this machine
    /// (its CPUs, its running DPDK processes) and with the persisted state start-up would merge.
    @Suite("sluiced --check-config")
    struct CheckConfig {
        /// Writes `config` (placeholders as in SluicedProcess) and runs `sluiced --check-config` on it.
        static func check(
            _ config: String, in directory: URL, prefix: String = "sltest-check", extra: [String] = [],
            wrapper: [String] = []
        ) throws -> System.CommandResult {
            let path = directory.appendingPathComponent("sluice.yaml").path
            let text = config.replacingOccurrences(of: "@SOCKET@", with: directory.path + "/sluice.sock")
                .replacingOccurrences(of: "@PREFIX@", with: prefix)
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            let state = directory.appendingPathComponent("state.yaml").path
            return try System.run(
                wrapper + [System.binary("sluiced"), "--check-config", "--config", path, "--state-file", state] + extra)
        }

        static let nullPorts = """
            ports:
              - name: a
                devargs: "net_null_cka,no-rx=1"
              - name: b
                devargs: "net_null_ckb,no-rx=1"
            """

        /// Today's example: a tap port with the default rx-queues: 1 and two PMD threads failed at start
        /// with "rte_eth_dev_configure(...): Operation not permitted".
        @Test func tapQueuesRefused() throws {
            let directory = try System.scratchDirectory("check-tap")
            defer { try? FileManager.default.removeItem(at: directory) }
            let config = """
                \(testEAL(pmdCPUMask: "0x6", lcoreCPUs: "{0: 0, 1: 1, 2: 1}"))
                ports:
                  - name: a
                    devargs: "net_tap_cka,iface=slck0"
                """
            let refused = try Self.check(config, in: directory)
            #expect(refused.status == 2, "\(refused.output)")
            #expect(refused.output.contains("ports[0].rx-queues: net_tap needs as many rx queues as tx queues"))
            let fixed = try Self.check(config + "\n    rx-queues: 2", in: directory)
            #expect(fixed.status == 0, "\(fixed.output)")
            #expect(fixed.output.contains("OK (1 ports, 2 PMD threads)"))
        }

        @Test func lcoresOnCPUsThisMachineLacksOrMayNotUse() throws {
            let directory = try System.scratchDirectory("check-cpu")
            defer { try? FileManager.default.removeItem(at: directory) }
            let cpus = sysconf(Int32(_SC_NPROCESSORS_CONF))
            // Lcore 63 runs on CPU 63, which a machine of fewer than 64 CPUs lacks.
            if cpus < 64 {
                let missing = try Self.check(
                    testEAL(pmdCPUMask: "0x8000000000000000") + "\n" + Self.nullPorts, in: directory)
                #expect(missing.status == 2, "\(missing.output)")
                #expect(missing.output.contains("eal.pmd-cpu-mask: 0x8000000000000000 selects lcore 63"))
                #expect(missing.output.contains("this machine has \(cpus) CPUs"), "\(missing.output)")
            }
            // Run with an affinity of CPU 0 only: the PMD's CPU 1 exists but is not allowed.
            let pinned = try Self.check(
                testEAL() + "\n" + Self.nullPorts, in: directory, wrapper: ["/usr/bin/taskset", "-c", "0"])
            #expect(pinned.status == 2, "\(pinned.output)")
            #expect(pinned.output.contains("0x2 selects lcore 1, which runs on CPU 1; this process may not run there"))
            #expect(pinned.output.contains("allows CPU 0"))
            #expect(try Self.check(testEAL() + "\n" + Self.nullPorts, in: directory).status == 0)
        }

        /// The state file start-up would merge is checked too: valid on its own, it no longer fits a
        /// configuration whose PMD count changed.
        @Test func persistedStateIsChecked() throws {
            let directory = try System.scratchDirectory("check-state")
            defer { try? FileManager.default.removeItem(at: directory) }
            let state = """
                \(testEAL())
                ports:
                  - name: t
                    devargs: "net_tap_ckt,iface=slckt"
                """.replacingOccurrences(of: "@SOCKET@", with: directory.path + "/sluice.sock")
                .replacingOccurrences(of: "@PREFIX@", with: "sltest-check")
            try state.write(
                toFile: directory.appendingPathComponent("state.yaml").path, atomically: true, encoding: .utf8)
            let config = testEAL(pmdCPUMask: "0x6", lcoreCPUs: "{0: 0, 1: 1, 2: 1}") + "\n" + Self.nullPorts
            let merged = try Self.check(config, in: directory)
            #expect(merged.status == 2, "\(merged.output)")
            #expect(merged.output.contains("the persisted state"), "\(merged.output)")
            #expect(merged.output.contains("ports[0].rx-queues: net_tap needs as many rx queues"))
            let discarded = try Self.check(config, in: directory, extra: ["--discard-state"])
            #expect(discarded.status == 0, "\(discarded.output)")
            #expect(discarded.output.contains("OK (2 ports"))
        }

        /// A file prefix whose DPDK runtime directory another process holds locked, as a running primary
        /// process does (this test process holds it here).
        @Test func filePrefixInUseRefused() throws {
            let directory = try System.scratchDirectory("check-prefix")
            defer { try? FileManager.default.removeItem(at: directory) }
            let prefix = String("sltest-ck-\(getpid())".prefix(32))
            let runtime = "/var/run/dpdk/\(prefix)"
            try FileManager.default.createDirectory(atPath: runtime, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: runtime) }
            let fd = open(runtime + "/config", O_RDWR | O_CREAT, 0o600)
            #expect(fd >= 0)
            defer { close(fd) }
            var lock = flock()
            lock.l_type = Int16(F_WRLCK)
            lock.l_whence = Int16(SEEK_SET)
            #expect(fcntl(fd, F_SETLK, &lock) == 0)
            let config = testEAL(memory: "huge-unlink") + "\n" + Self.nullPorts
            let refused = try Self.check(config, in: directory, prefix: prefix)
            #expect(refused.status == 2, "\(refused.output)")
            #expect(refused.output.contains("eal.file-prefix: \"\(prefix)\" is in use: process \(getpid())"))
            // Once the lock is released (the process ended) the prefix is free again.
            lock.l_type = Int16(F_UNLCK)
            #expect(fcntl(fd, F_SETLK, &lock) == 0)
            #expect(try Self.check(config, in: directory, prefix: prefix).status == 0)
        }
    }
}
