import Packet

/// Frames for the metadata tests: IPv4 TCP segments with both checksums right, and the checksums recomputed
/// from scratch (never incrementally) to check what the stage wrote.
enum MF {
    static let intercept = IPv4Address(169, 254, 169, 254)
    static let service = IPv4Address(10, 99, 0, 1)
    static let servicePort: UInt16 = 8775
    static let serviceMAC = EthernetAddress(rawValue: 0x02_aa_00_00_00_01)
    static let gatewayMAC = EthernetAddress(rawValue: 0x02_5e_00_00_00_fe)
    /// What a guest addresses when it sends to its default gateway.
    static let routerMAC = EthernetAddress(rawValue: 0x02_00_00_00_00_01)
    static let poolA = IPv4Address(169, 254, 200, 10), poolB = IPv4Address(169, 254, 200, 11)

    static let syn: UInt8 = 0x02, ack: UInt8 = 0x10, fin: UInt8 = 0x01, rst: UInt8 = 0x04, psh: UInt8 = 0x08

    /// An Ethernet/IPv4/TCP frame with correct IPv4 and TCP checksums.
    static func tcp(
        dstMAC: EthernetAddress, srcMAC: EthernetAddress, src: IPv4Address, dst: IPv4Address, sport: UInt16,
        dport: UInt16, flags: UInt8, ttl: UInt8 = 64, payload: [UInt8] = []
    ) -> [UInt8] {
        var segment = F.tcp(src: sport, dst: dport, payload)
        segment[13] = flags
        var ip = F.ipv4(src: src, dst: dst, proto: 6, segment)
        ip[8] = ttl
        var frame = F.ethernet(dst: dstMAC, src: srcMAC, type: 0x0800, ip)
        fixChecksums(&frame)
        return frame
    }

    /// A guest's request to the intercepted address.
    static func request(
        from host: Host, srcIP: IPv4Address? = nil, srcMAC: EthernetAddress? = nil,
        to dstMAC: EthernetAddress = routerMAC,
        sport: UInt16 = 40001, dport: UInt16 = 80, flags: UInt8 = syn, payload: [UInt8] = []
    ) -> [UInt8] {
        tcp(
            dstMAC: dstMAC, srcMAC: srcMAC ?? host.mac, src: srcIP ?? host.ipv4, dst: intercept, sport: sport,
            dport: dport, flags: flags, payload: payload)
    }

    /// The service's segment to a pool address, from the host's MAC to Sluice's.
    static func reply(
        to pool: IPv4Address, dport: UInt16 = 40001, from src: IPv4Address = service, sport: UInt16 = servicePort,
        flags: UInt8 = syn | ack, ttl: UInt8 = 64, payload: [UInt8] = []
    ) -> [UInt8] {
        tcp(
            dstMAC: gatewayMAC, srcMAC: serviceMAC, src: src, dst: pool, sport: sport, dport: dport, flags: flags,
            ttl: ttl, payload: payload)
    }

    static func sum(_ bytes: ArraySlice<UInt8>, _ initial: UInt32 = 0) -> UInt32 {
        var total = initial
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let high = UInt32(bytes[i]) << 8
            let low = i + 1 < bytes.endIndex ? UInt32(bytes[i + 1]) : 0
            total += high | low
            i += 2
        }
        return total
    }

    static func fold(_ value: UInt32) -> UInt16 {
        var s = value
        while s > 0xffff { s = (s & 0xffff) + (s >> 16) }
        return ~UInt16(s)
    }

    /// (IPv4 header checksum, TCP checksum) as they should be, computed over the whole header and segment
    /// (untagged frame, l3 at 14).
    static func checksums(_ frame: [UInt8]) -> (ip: UInt16, tcp: UInt16) {
        let ihl = Int(frame[14] & 0x0f) * 4
        var header = Array(frame[14..<(14 + ihl)])
        header[10] = 0
        header[11] = 0
        let total = Int(frame[16]) << 8 | Int(frame[17])
        var segment = Array(frame[(14 + ihl)..<(14 + total)])
        segment[16] = 0
        segment[17] = 0
        let pseudo = Array(frame[26..<34]) + [0, 6] + F.u16(UInt16(segment.count))
        return (fold(sum(header[...])), fold(sum(segment[...], sum(pseudo[...]))))
    }

    static func fixChecksums(_ frame: inout [UInt8]) {
        let (ip, tcp) = checksums(frame)
        let ihl = Int(frame[14] & 0x0f) * 4
        frame[24] = UInt8(ip >> 8)
        frame[25] = UInt8(ip & 0xff)
        frame[14 + ihl + 16] = UInt8(tcp >> 8)
        frame[14 + ihl + 17] = UInt8(tcp & 0xff)
    }

    /// Whether both checksums of `frame` are what a recomputation gives.
    static func checksumsValid(_ frame: [UInt8]) -> Bool {
        let (ip, tcp) = checksums(frame)
        let ihl = Int(frame[14] & 0x0f) * 4
        return UInt16(frame[24]) << 8 | UInt16(frame[25]) == ip
            && UInt16(frame[14 + ihl + 16]) << 8 | UInt16(frame[14 + ihl + 17]) == tcp
    }
}
