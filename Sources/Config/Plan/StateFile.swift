import Foundation
import Glibc

/// The applied desired state on disk, so that a restarted sluiced comes back with the configuration it was
/// last given through the control socket.
///
/// Writes are atomic: the document goes to a temporary file in the same directory, is fsynced, renamed over
/// the state file, and the directory is fsynced. A crash at any point leaves either the old or the new file,
/// never a mix (rename(2) replaces the name atomically; the fsyncs make the order survive a power cut).
public enum StateFile {
    public struct WriteError: Error, CustomStringConvertible {
        public let description: String
    }

    public static func write(_ config: SluiceConfig, to path: String) throws(WriteError) {
        let directory =
            (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw WriteError(description: "cannot create \(directory): \(error.localizedDescription)")
        }
        let header = "# Desired state applied through sluice's control socket; written by sluiced, read at its start.\n"
        let bytes = Array((header + config.renderYAML()).utf8)
        let temporary = path + ".tmp.\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw WriteError(description: "cannot create \(temporary): \(String(cString: strerror(errno)))")
        }
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                let e = errno
                close(fd)
                unlink(temporary)
                throw WriteError(description: "cannot write \(temporary): \(String(cString: strerror(e)))")
            }
            offset += n
        }
        guard fsync(fd) == 0 else {
            let e = errno
            close(fd)
            unlink(temporary)
            throw WriteError(description: "cannot fsync \(temporary): \(String(cString: strerror(e)))")
        }
        close(fd)
        guard rename(temporary, path) == 0 else {
            let e = errno
            unlink(temporary)
            throw WriteError(description: "cannot rename \(temporary) to \(path): \(String(cString: strerror(e)))")
        }
        let directoryFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryFD >= 0 {
            _ = fsync(directoryFD)
            close(directoryFD)
        }
    }

    /// The persisted state, or nil when there is none.
    public static func read(path: String) throws(ConfigError) -> SluiceConfig? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        return try SluiceConfig.load(path: path)
    }
}

extension SluiceConfig {
    /// What sluiced runs after a restart: every setting the control API can change at run time taken from
    /// `state` (today the ports, the patches and l2 except the table size), everything that needs a restart
    /// from `self`, the configuration file, so that the state file cannot override those. Which is which is
    /// `ChangeRules.table`, the rules `ConfigPlan` follows. The result is validated as a whole: the file's
    /// restart settings may have changed since the state was written.
    public func withRuntimeState(
        from state: SluiceConfig, host: HostFacts = .unknown
    ) throws(ConfigError) -> SluiceConfig {
        let merged = ChangeRules.table.runtimeSettings(of: state.document, over: document) ?? document
        return try SluiceConfig.parse(yaml: merged.yaml, host: host)
    }
}
