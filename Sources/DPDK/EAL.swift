import CDPDK
import Foundation

/// DPDK's Environment Abstraction Layer. It is initialised once per process (a second `rte_eal_init` fails
/// with EALREADY), and the thread that initialises it becomes the main lcore.
public enum EAL {
    /// Initialises EAL with an argv whose first element is the program name.
    public static func initialize(arguments: [String]) throws(DPDKError) {
        // EAL may keep pointers into argv (it permutes it with getopt), so the C strings are never freed.
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
        let result = argv.withUnsafeMutableBufferPointer { buffer in
            rte_eal_init(Int32(arguments.count), buffer.baseAddress)
        }
        if result < 0 { throw DPDKError.fromErrno("rte_eal_init(\(arguments.joined(separator: " ")))") }
    }

    /// Releases hugepages, closes EAL threads and the multi-process channel. Call once, after every port is
    /// closed and every lcore has returned.
    public static func cleanup() {
        let runtimeDirectory = String(cString: rte_eal_get_runtime_dir())
        _ = rte_eal_cleanup()
        // EAL leaves its runtime directory (/var/run/dpdk/<file-prefix>) behind: the shared config and
        // memory maps (unless --in-memory) and the telemetry socket, which only an exit handler unlinks.
        // Sluice runs as a lone primary process (no DPDK secondaries), and a second primary with the same
        // prefix cannot have started (EAL locks the config), so the directory is ours to remove.
        if !runtimeDirectory.isEmpty { try? FileManager.default.removeItem(atPath: runtimeDirectory) }
    }

    /// The time-stamp counter's frequency: cycles per second.
    public static var tscHz: UInt64 { rte_get_tsc_hz() }

    public static var mainLcore: UInt32 { rte_get_main_lcore() }

    /// The lcore id of the calling thread, or nil on a thread EAL does not know.
    public static var currentLcore: UInt32? {
        let id = rte_lcore_id()
        return id == sl_lcore_id_any() ? nil : id
    }

    /// NUMA socket of an lcore; used to place queues and mempools next to the PMD that polls them.
    public static func socket(ofLcore lcore: UInt32) -> Int32 {
        Int32(bitPattern: rte_lcore_to_socket_id(lcore))
    }

    public static func isEnabled(lcore: UInt32) -> Bool { rte_lcore_is_enabled(lcore) != 0 }
}

/// Reads the time-stamp counter: the clock for cycle accounting in the PMD loop (no syscall, ~20 cycles).
@inlinable @inline(__always)
public func readTSC() -> UInt64 { rte_rdtsc() }

/// A spin-wait hint for busy-poll loops.
@inlinable @inline(__always)
public func cpuPause() { rte_pause() }

extension EAL {
    /// DPDK's version string, e.g. "DPDK 22.11.11".
    public static var version: String { String(cString: rte_version()) }
}
