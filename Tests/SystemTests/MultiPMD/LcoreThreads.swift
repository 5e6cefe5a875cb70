import Foundation

/// The EAL threads of a running process as the kernel sees them: which CPUs each may run on.
enum LcoreThreads {
    /// The `Cpus_allowed_list` of each EAL worker thread of `pid`, by lcore. The installed EAL names a
    /// worker thread `rte-worker-<lcore>` (older releases: `lcore-worker-<lcore>`) and pins it to the CPUs
    /// of its lcore before it runs anything.
    static func workerCPUs(pid: Int32) throws -> [Int: String] {
        let taskDirectory = "/proc/\(pid)/task"
        var result: [Int: String] = [:]
        for task in try FileManager.default.contentsOfDirectory(atPath: taskDirectory) {
            let name = (try? String(contentsOfFile: "\(taskDirectory)/\(task)/comm", encoding: .utf8)) ?? ""
            guard let prefix = ["rte-worker-", "lcore-worker-"].first(where: name.hasPrefix),
                let lcore = Int(name.dropFirst(prefix.count).trimmingCharacters(in: .whitespacesAndNewlines))
            else { continue }
            result[lcore] = try allowedCPUs(statusPath: "\(taskDirectory)/\(task)/status")
        }
        return result
    }

    /// The `Cpus_allowed_list` of the process's main thread (the EAL main lcore).
    static func mainThreadCPUs(pid: Int32) throws -> String {
        try allowedCPUs(statusPath: "/proc/\(pid)/status")
    }

    private static func allowedCPUs(statusPath: String) throws -> String {
        let status = try String(contentsOfFile: statusPath, encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") }) else {
            throw TestFailure("no Cpus_allowed_list in \(statusPath)")
        }
        return line.dropFirst("Cpus_allowed_list:".count).trimmingCharacters(in: .whitespaces)
    }
}
