import Foundation

/// Writes a pcap (nanosecond timestamps, Ethernet) record by record to a file descriptor, so that a reader
/// at the other end of a pipe (`tcpdump -r -`) sees each frame as soon as it is written. Every `write`
/// leaves the output a valid pcap: the header goes out first, then whole records.
public struct PcapStream {
    public let descriptor: Int32
    public let snapLength: UInt32

    /// Writes the file header; throws when the descriptor refuses it.
    public init(descriptor: Int32, snapLength: Int, linkType: UInt32 = PcapFile.ethernet) throws {
        self.descriptor = descriptor
        self.snapLength = UInt32(clamping: snapLength)
        var header: [UInt8] = []
        Self.put32(0xa1b2_3c4d, &header)  // nanosecond timestamps
        Self.put16(2, &header)
        Self.put16(4, &header)
        Self.put32(0, &header)
        Self.put32(0, &header)
        Self.put32(self.snapLength, &header)
        Self.put32(linkType, &header)
        try writeAll(header)
    }

    /// Appends one record: `data` is the frame's first bytes, `length` its length on the wire.
    public func write(seconds: Int64, nanoseconds: Int32, length: Int, data: [UInt8]) throws {
        var record: [UInt8] = []
        record.reserveCapacity(16 + data.count)
        Self.put32(UInt32(truncatingIfNeeded: seconds), &record)
        Self.put32(UInt32(truncatingIfNeeded: nanoseconds), &record)
        Self.put32(UInt32(truncatingIfNeeded: data.count), &record)
        Self.put32(UInt32(truncatingIfNeeded: max(length, data.count)), &record)
        record += data
        try writeAll(record)
    }

    public struct WriteError: Error, CustomStringConvertible {
        public let errno: Int32
        public var description: String { "write: \(String(cString: strerror(errno)))" }
    }

    private func writeAll(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes {
                Foundation.write(descriptor, $0.baseAddress! + offset, $0.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                throw WriteError(errno: errno)
            }
            offset += written
        }
    }

    private static func put32(_ v: UInt32, _ out: inout [UInt8]) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
    private static func put16(_ v: UInt16, _ out: inout [UInt8]) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
}
