import Config
import Foundation
import Testing

@Suite struct StateFileTests {
    static func scratch() throws -> String {
        let path = NSTemporaryDirectory() + "sluice-state-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static let config = SluiceConfig(
        l2: L2Config(macAgingSeconds: 60, maxMACsPerPort: 9),
        ports: [
            PortConfig(name: "a", devargs: "net_null0", vlan: .access(vlan: 10)),
            PortConfig(name: "b", devargs: "net_null1", admin: .down, maxMACs: 3),
        ],
        patches: [])

    @Test("written states read back equal, with nothing left beside them, readable by root only")
    func roundTrip() throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/nested/state.yaml"
        #expect(try StateFile.read(path: path) == nil)
        try StateFile.write(Self.config, to: path)
        #expect(try StateFile.read(path: path) == Self.config)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory + "/nested") == ["state.yaml"])
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test("a rewrite replaces the file with a new one (rename), never edits it in place")
    func rewriteIsAtomicRename() throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/state.yaml"
        try StateFile.write(Self.config, to: path)
        let firstInode = try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? Int
        // A reader holding the old file keeps seeing the whole old document.
        let oldHandle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        var changed = Self.config
        changed.ports.removeLast()
        try StateFile.write(changed, to: path)
        let secondInode = try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? Int
        #expect(firstInode != secondInode)
        let oldText = String(decoding: oldHandle.readDataToEndOfFile(), as: UTF8.self)
        #expect(try SluiceConfig.parse(yaml: oldText) == Self.config)
        #expect(try StateFile.read(path: path) == changed)
    }

    @Test("an unwritable location is an error naming it, and the old state stays")
    func unwritable() throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/state.yaml"
        try StateFile.write(Self.config, to: path)
        // A directory where the temporary file would go makes the write fail before anything is renamed.
        try FileManager.default.createDirectory(atPath: path + ".tmp.\(getpid())", withIntermediateDirectories: false)
        var changed = Self.config
        changed.l2.macAgingSeconds = 600
        #expect(throws: StateFile.WriteError.self) { try StateFile.write(changed, to: path) }
        #expect(try StateFile.read(path: path) == Self.config)
    }

    @Test("restart-only settings come from the config file, runtime ones from the state")
    func merge() throws {
        var file = Self.config
        file.eal.pmdCPUMask = 0x6
        file.l2.macTableSize = 4096
        file.ports = [PortConfig(name: "old", devargs: "net_null9")]
        var state = Self.config
        state.l2.macTableSize = 1024
        state.eal.pmdCPUMask = 0x2
        let merged = try file.withRuntimeState(from: state)
        #expect(merged.eal.pmdCPUMask == 0x6 && merged.l2.macTableSize == 4096)
        #expect(merged.ports == state.ports && merged.patches == state.patches)
        #expect(merged.l2.macAgingSeconds == 60 && merged.l2.maxMACsPerPort == 9)
    }
}
