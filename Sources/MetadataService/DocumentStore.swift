import ControlProtocol
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The documents of each instance: a directory tree an orchestrator writes, `<root>/<instance-id>/meta-data/...`
/// and `<root>/<instance-id>/user-data`, plus documents generated from the caller's port (`instance-id`, `mac`,
/// `local-ipv4`, `sluice/port`, `sluice/vlan`). Generated names are reserved: a file of the same name in the
/// tree is not served. Names starting with `.` are never served (an orchestrator's temporary files).
public struct DocumentStore: Sendable {
    /// The root of the tree; nil serves generated documents only.
    public let root: String?
    /// Files larger than this are refused (EC2 caps user data at 16 KiB; an orchestrator's mistake must not
    /// cost the service its memory).
    public static let maximumFileSize = 1 << 20

    public init(root: String?) {
        self.root = root.map { $0.hasSuffix("/") && $0.count > 1 ? String($0.dropLast()) : $0 }
    }

    /// What a path names.
    public enum Document: Equatable, Sendable {
        case file([UInt8])
        /// A category: its entries in EC2's listing format (sorted, categories with a trailing `/`).
        case listing([String])
        case notFound
        /// The file exists but cannot be served (too large, unreadable); the message says why.
        case failed(String)

        /// The body of the answer: a file's bytes, or the listing's names one per line.
        public var body: [UInt8] {
            switch self {
            case .file(let bytes): bytes
            case .listing(let names): Array(names.joined(separator: "\n").utf8)
            case .notFound, .failed: []
            }
        }
    }

    /// Where tokens are needed: the instance's `http-tokens` file (`required` or `optional`), nil when it has
    /// none. Anything else in the file reads as `required` (a typo must not open the instance up).
    public func tokenPolicy(for instanceID: String) -> TokenPolicy? {
        guard let directory = instanceDirectory(instanceID) else { return nil }
        guard case .file(let bytes) = readFile(directory + "/http-tokens") else { return nil }
        let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return TokenPolicy(rawValue: text) ?? .required
    }

    /// The `latest/` listing.
    public func latest(for client: MetadataClient) -> Document {
        let hasUserData = instanceDirectory(client.instanceID).map { isRegularFile($0 + "/user-data") } ?? false
        return .listing(hasUserData ? ["meta-data", "user-data"] : ["meta-data"])
    }

    /// `latest/user-data`.
    public func userData(for client: MetadataClient) -> Document {
        guard let directory = instanceDirectory(client.instanceID) else { return .notFound }
        let path = directory + "/user-data"
        guard isInside(path, root: directory) else { return .notFound }
        return readFile(path)
    }

    /// `latest/meta-data/<components>` (no components: the category itself).
    public func metaData(_ components: [String], for client: MetadataClient) -> Document {
        let generated = Self.generated(for: client)
        if components.isEmpty {
            var names = Set(generated.keys.map { path in Self.topLevel(path) + (path.contains("/") ? "/" : "") })
            if case .listing(let entries) = treeDocument([], for: client) {
                for entry in entries where !Self.reservedTopLevel.contains(Self.topLevel(entry)) {
                    names.insert(entry)
                }
            }
            return .listing(names.sorted())
        }
        if Self.reservedTopLevel.contains(components[0]) {
            let path = components.joined(separator: "/")
            if let value = generated[path] { return .file(Array(value.utf8)) }
            if components.count == 1 {
                let prefix = path + "/"
                let entries = generated.keys.filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
                if !entries.isEmpty { return .listing(entries.sorted()) }
            }
            return .notFound
        }
        return treeDocument(components, for: client)
    }

    /// A path's first component.
    static func topLevel(_ path: String) -> String {
        String(path.prefix { character in character != "/" })
    }

    /// The generated documents' top-level names (categories without their `/`).
    static let reservedTopLevel: Set<String> = ["instance-id", "mac", "local-ipv4", "sluice"]

    /// The documents generated from the caller's port, by path under `meta-data/`.
    static func generated(for client: MetadataClient) -> [String: String] {
        var documents = ["instance-id": client.instanceID, "sluice/port": client.port]
        if let mac = client.mac { documents["mac"] = mac }
        if let ipv4 = client.ipv4 { documents["local-ipv4"] = ipv4 }
        if let vlan = client.vlan { documents["sluice/vlan"] = String(vlan) }
        return documents
    }

    /// An instance id usable as a directory name: not empty, not `.`-led, no `/` or NUL, at most 255 bytes.
    public static func isUsableInstanceID(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 255 && !id.hasPrefix(".") && !id.utf8.contains(UInt8(ascii: "/"))
            && !id.utf8.contains(0)
    }

    /// A request path component that may name a file: not empty, not `.`-led (so neither `.` nor `..`), no NUL.
    static func isServableName(_ name: Substring) -> Bool {
        !name.isEmpty && !name.hasPrefix(".") && !name.utf8.contains(0)
    }

    private func instanceDirectory(_ instanceID: String) -> String? {
        guard let root, Self.isUsableInstanceID(instanceID) else { return nil }
        return root + "/" + instanceID
    }

    private func treeDocument(_ components: [String], for client: MetadataClient) -> Document {
        guard let directory = instanceDirectory(client.instanceID) else {
            return components.isEmpty ? .listing([]) : .notFound
        }
        guard components.allSatisfy({ Self.isServableName($0[...]) }) else { return .notFound }
        let base = directory + "/meta-data"
        let path = ([base] + components).joined(separator: "/")
        guard isInside(path, root: base) else { return .notFound }
        var info = stat()
        guard stat(path, &info) == 0 else { return .notFound }
        switch info.st_mode & S_IFMT {
        case S_IFDIR:
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else {
                return .failed("cannot list \(path)")
            }
            var entries: [String] = []
            for name in names where Self.isServableName(name[...]) {
                var entry = stat()
                guard stat(path + "/" + name, &entry) == 0 else { continue }
                switch entry.st_mode & S_IFMT {
                case S_IFDIR: entries.append(name + "/")
                case S_IFREG: entries.append(name)
                default: continue
                }
            }
            return .listing(entries.sorted())
        case S_IFREG:
            return readFile(path)
        default:
            return .notFound
        }
    }

    /// Whether `path`, symbolic links resolved, stays under `root` (a link in the tree must not serve
    /// another instance's documents or the host's files).
    private func isInside(_ path: String, root: String) -> Bool {
        guard let resolvedRoot = realPath(root), let resolved = realPath(path) else { return false }
        return resolved == resolvedRoot || resolved.hasPrefix(resolvedRoot + "/")
    }

    private func realPath(_ path: String) -> String? {
        guard let pointer = realpath(path, nil) else { return nil }
        defer { free(pointer) }
        return String(cString: pointer)
    }

    private func isRegularFile(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFREG
    }

    private func readFile(_ path: String) -> Document {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return .notFound }
        guard info.st_size <= Self.maximumFileSize else {
            return .failed("\(path) is larger than \(Self.maximumFileSize) bytes")
        }
        guard let data = FileManager.default.contents(atPath: path), data.count <= Self.maximumFileSize else {
            return .failed("cannot read \(path)")
        }
        return .file(Array(data))
    }
}

/// Whether an instance's metadata needs a session token (EC2's `HttpTokens`).
public enum TokenPolicy: String, Sendable, CaseIterable {
    /// Every GET needs a valid token (IMDSv2 only).
    case required
    /// A GET without a token is served (IMDSv1 too); a token that is sent must still be valid.
    case optional
}
