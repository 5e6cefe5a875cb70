import Foundation

/// Classic libpcap files (the format net_pcap reads and writes): enough to read traces for benchmarks and
/// to write and compare them in tests.
public struct PcapFile: Equatable, Sendable {
    public var linkType: UInt32
    public var frames: [[UInt8]]

    public static let ethernet: UInt32 = 1

    public init(linkType: UInt32 = PcapFile.ethernet, frames: [[UInt8]]) {
        self.linkType = linkType
        self.frames = frames
    }

    public enum ReadError: Error, CustomStringConvertible {
        case unreadable(String)
        case notPcap(String)
        case truncated(String, frame: Int)

        public var description: String {
            switch self {
            case .unreadable(let path): "\(path): cannot read the file"
            case .notPcap(let path): "\(path): not a pcap file (bad magic number)"
            case .truncated(let path, let frame): "\(path): truncated at frame \(frame)"
            }
        }
    }

    /// Reads a pcap in either byte order, microsecond or nanosecond timestamps.
    public static func read(path: String) throws(ReadError) -> PcapFile {
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(path) }
        let bytes = [UInt8](data)
        guard bytes.count >= 24 else { throw .notPcap(path) }
        let magic = le32(bytes, 0)
        let swapped: Bool
        switch magic {
        case 0xa1b2_c3d4, 0xa1b2_3c4d: swapped = false
        case 0xd4c3_b2a1, 0x4d3c_b2a1: swapped = true
        default: throw .notPcap(path)
        }
        func u32(_ offset: Int) -> UInt32 { swapped ? le32(bytes, offset).byteSwapped : le32(bytes, offset) }
        var frames: [[UInt8]] = []
        var offset = 24
        while offset < bytes.count {
            guard offset + 16 <= bytes.count else { throw .truncated(path, frame: frames.count) }
            let length = Int(u32(offset + 8))
            offset += 16
            guard offset + length <= bytes.count else { throw .truncated(path, frame: frames.count) }
            frames.append(Array(bytes[offset..<offset + length]))
            offset += length
        }
        return PcapFile(linkType: u32(20), frames: frames)
    }

    /// The file's bytes: little-endian, microsecond timestamps counting up from zero (deterministic).
    public func serialized() -> [UInt8] {
        var out: [UInt8] = []
        func put32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        func put16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        put32(0xa1b2_c3d4)
        put16(2)
        put16(4)
        put32(0)
        put32(0)
        put32(65535)
        put32(linkType)
        for (index, frame) in frames.enumerated() {
            put32(UInt32(index / 1_000_000))
            put32(UInt32(index % 1_000_000))
            put32(UInt32(frame.count))
            put32(UInt32(frame.count))
            out += frame
        }
        return out
    }

    public func write(path: String) throws {
        try Data(serialized()).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    private static func le32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(
            bytes[offset + 3]) << 24
    }
}
