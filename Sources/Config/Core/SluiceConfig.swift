import Foundation
import Yams

/// The whole configuration of `sluiced`.
public struct SluiceConfig: Equatable, Sendable {
    public var eal: EALConfig
    public var mempool: MempoolConfig
    public var control: ControlConfig
    /// The L2 bridge that every port outside `patches` belongs to.
    public var l2: L2Config
    public var ports: [PortConfig]
    public var patches: [PatchPair]
    /// Named groups of allow rules that ports list (SecurityGroups/SecurityGroupsConfig.swift).
    public var securityGroups: [SecurityGroupConfig] = []
    /// The connection tracker behind the security groups.
    public var conntrack = ConntrackConfig()
    /// The VXLAN tunnel endpoint; nil when the host has none.
    public var vxlan: VXLANConfig?
    /// DHCP responders, one per VLAN (DHCP/DHCPConfig.swift).
    public var dhcp: [DHCPNetworkConfig] = []
    /// The metadata intercept; nil: off (Metadata/MetadataConfig.swift).
    public var metadata: MetadataConfig?

    public init(
        eal: EALConfig = EALConfig(),
        mempool: MempoolConfig = MempoolConfig(),
        control: ControlConfig = ControlConfig(),
        l2: L2Config = L2Config(),
        ports: [PortConfig],
        patches: [PatchPair] = [],
        vxlan: VXLANConfig? = nil
    ) {
        self.eal = eal
        self.mempool = mempool
        self.control = control
        self.l2 = l2
        self.ports = ports
        self.patches = patches
        self.vxlan = vxlan
    }

    /// Parses and completely validates a YAML (or JSON) document; throws a ConfigError listing every problem.
    /// `host` adds the rules that need the machine (see `HostFacts`).
    public static func parse(yaml: String, host: HostFacts = .unknown) throws(ConfigError) -> SluiceConfig {
        let root = try composeRoot(yaml)
        let log = ProblemLog()
        let walker = YAMLWalker(log: log)
        guard
            let mapping = walker.mapping(
                root, at: "", allowedKeys: ConfigKeys.root,
                expected: "a mapping of sections (\(ConfigKeys.root.joined(separator: ", "))) at the top level")
        else {
            throw ConfigError(problems: log.problems)
        }
        return try ConfigDecoder(log: log).decode(root: mapping).checked(log, host: host)
    }

    /// `self` once validation has found nothing wrong; else every problem of `log` (decoding's, whose
    /// undecodable key paths validation skips, and validation's). The one way every parsed or edited
    /// configuration is checked (`parse(yaml:)`, PortEditing.swift).
    func checked(_ log: ProblemLog, host: HostFacts) throws(ConfigError) -> SluiceConfig {
        validate(into: log, host: host)
        guard log.isEmpty else { throw ConfigError(problems: log.problems) }
        return self
    }

    /// Reads the file at `path`, then `parse(yaml:)`.
    public static func load(path: String, host: HostFacts = .unknown) throws(ConfigError) -> SluiceConfig {
        let data: Data
        do {
            // Bounded, so that a wrong path such as /dev/zero fails instead of exhausting memory.
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            data = try handle.read(upToCount: maximumFileSize + 1) ?? Data()
        } catch {
            throw ConfigError(path: "", message: "cannot read configuration file \(path): \(Self.reason(error))")
        }
        guard data.count <= maximumFileSize else {
            throw ConfigError(
                path: "", message: "configuration file \(path) is larger than \(maximumFileSize / 1_048_576) MiB")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(path: "", message: "configuration file \(path) is not valid UTF-8")
        }
        return try parse(yaml: text, host: host)
    }

    /// Far above any real configuration (64 ports fit in a few kilobytes).
    static let maximumFileSize = 16 * 1_048_576

    /// Index of the port with this name.
    public func portIndex(named name: String) -> Int? {
        ports.firstIndex { $0.name == name }
    }

    // MARK: Document-level problems

    private static func composeRoot(_ yaml: String) throws(ConfigError) -> Node {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw ConfigError(path: "", message: describe(error))
        } catch {
            throw ConfigError(path: "", message: "cannot parse the document: \(error)")
        }
        guard let root, !YAMLWalker.isNull(root) else {
            throw ConfigError(
                path: "",
                message:
                    "the configuration is empty; it needs at least eal.pmd-cpu-mask and ports (see docs/configuration.md)"
            )
        }
        return root
    }

    /// Yams' own descriptions repeat the offending source line with a caret, and for duplicate keys the whole
    /// document; a one-line message with the position reads better among other problems.
    static func describe(_ error: YamlError) -> String {
        func position(_ mark: Mark) -> String { "line \(mark.line), column \(mark.column)" }
        func context(_ context: YamlError.Context?) -> String {
            guard let context else { return "" }
            return " (\(context.text) at \(position(context.mark)))"
        }
        switch error {
        case .scanner(let ctx, let problem, let mark, _), .parser(let ctx, let problem, let mark, _):
            return "YAML syntax error at \(position(mark)): \(problem)\(context(ctx))"
        case .composer(_, let problem, let mark, _) where problem == "but found another document":
            return "a second YAML document starts at \(position(mark)); a configuration is a single document"
        case .composer(let ctx, let problem, let mark, _):
            return "YAML error at \(position(mark)): \(problem)\(context(ctx))"
        case .reader(let problem, let offset, _, let yaml):
            guard let offset, offset >= 0 else { return "cannot read the document: \(problem)" }
            // libyaml reports a byte offset here, unlike its other errors.
            let before = yaml.utf8.prefix(offset)
            let line = before.lazy.filter { $0 == UInt8(ascii: "\n") }.count + 1
            let lineStart =
                before.lastIndex(of: UInt8(ascii: "\n")).map { before.index(after: $0) } ?? before.startIndex
            let column = String(decoding: before[lineStart...], as: UTF8.self).unicodeScalars.count + 1
            return "cannot read the document at line \(line), column \(column): \(problem)"
        case .duplicatedKeysInMapping(let duplicates, let ctx):
            let keys = duplicates.map { quoted($0) }.joined(separator: ", ")
            return
                "duplicate key \(keys) in one mapping (first at \(position(ctx.mark))); each key may appear only once"
        default:
            return "cannot parse the document: \(error)"
        }
    }

    private static func reason(_ error: any Error) -> String {
        let nsError = error as NSError
        if nsError.domain == NSCocoaErrorDomain {
            switch nsError.code {
            case NSFileReadNoSuchFileError: return "no such file"
            case NSFileReadNoPermissionError: return "permission denied"
            default: break
            }
        }
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError,
            underlying.domain == NSPOSIXErrorDomain, let code = Int32(exactly: underlying.code)
        {
            return String(cString: strerror(code))
        }
        return nsError.localizedDescription
    }
}
