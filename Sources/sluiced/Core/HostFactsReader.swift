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

    /// The CPUs this process may run on: `Cpus_allowed_list` of /proc/self/status (its affinity mask, in a
    /// stable notation such as `0-3,6`) less the CPUs that are offline (/sys/devices/system/cpu/online), which
    /// the mask may still name but sched_getaffinity and EAL leave out.
    static func allowedCPUs(
        status: String? = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
        online: String? = try? String(contentsOfFile: "/sys/devices/system/cpu/online", encoding: .utf8)
    ) -> Set<Int>? {
        guard let status,
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") }),
            var cpus = cpuList(line.dropFirst("Cpus_allowed_list:".count))
        else { return nil }
        if let online, let onlineCPUs = cpuList(Substring(online)) { cpus.formIntersection(onlineCPUs) }
        return cpus.isEmpty ? nil : cpus
    }

    /// A kernel CPU list (`0-3,6`), nil when it is not one.
    static func cpuList(_ text: Substring) -> Set<Int>? {
        var cpus: Set<Int> = []
        for part in text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",") {
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
