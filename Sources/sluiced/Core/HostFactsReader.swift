import Config
import Foundation
import Glibc

/// Fills `HostFacts` from this machine, for `--check-config` and start-up. Runs before EAL: once EAL has
/// pinned the main thread, the process's affinity no longer says which CPUs it may use.
extension HostFacts {
    static func current() -> HostFacts {
        let configured = sysconf(Int32(_SC_NPROCESSORS_CONF))
        return HostFacts(
            cpuCount: configured > 0 ? configured : nil, allowedCPUs: allowedCPUs(),
            filePrefixesInUse: filePrefixesInUse())
    }

    /// `Cpus_allowed_list` of /proc/self/status (`0-3,6`): sched_getaffinity's answer in a stable notation.
    static func allowedCPUs(status: String? = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8))
        -> Set<Int>?
    {
        guard let status,
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") })
        else { return nil }
        var cpus: Set<Int> = []
        for part in line.dropFirst("Cpus_allowed_list:".count).split(separator: ",") {
            let bounds = part.trimmingCharacters(in: .whitespaces).split(separator: "-").compactMap { Int($0) }
            guard let first = bounds.first, let last = bounds.last, bounds.count <= 2, first <= last else {
                return nil
            }
            cpus.formUnion(first...last)
        }
        return cpus.isEmpty ? nil : cpus
    }

    /// DPDK's runtime directories whose `config` file another process holds write-locked (what EAL's
    /// `rte_eal_config_create` takes with fcntl), with the holder's process ID.
    static func filePrefixesInUse() -> [String: Int32] {
        let runtime =
            geteuid() == 0
            ? "/var/run/dpdk" : (ProcessInfo.processInfo.environment["XDG_RUNTIME_DIR"] ?? "/tmp") + "/dpdk"
        let prefixes = (try? FileManager.default.contentsOfDirectory(atPath: runtime)) ?? []
        var inUse: [String: Int32] = [:]
        for prefix in prefixes {
            let fd = open("\(runtime)/\(prefix)/config", O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            var lock = flock()
            lock.l_type = Int16(F_WRLCK)
            lock.l_whence = Int16(SEEK_SET)
            if fcntl(fd, F_GETLK, &lock) == 0, lock.l_type != Int16(F_UNLCK) {
                inUse[prefix] = lock.l_pid
            }
        }
        return inUse
    }
}
