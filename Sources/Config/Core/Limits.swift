import Packet

/// Bounds the validation enforces; docs/configuration.md lists the same numbers.
enum Limits {
    /// RTE_MAX_LCORE is 128 in Debian's build, but masks are 64-bit like OVS's pmd-cpu-mask.
    static let lcore = 0...63
    static let noHugeMegabytes = 64...65536
    static let filePrefixLength = 1...32
    static let mbufs = 1024...4_194_304
    /// RTE_MEMPOOL_CACHE_MAX_SIZE.
    static let cacheSize = 0...512
    static let mbufDataSize = 1024...16384
    /// sizeof(sockaddr_un.sun_path) - 1 for the terminating NUL.
    static let socketPathBytes = 107
    /// The dataplane's port slots (see PortLimit for why the number lives in Packet).
    static let ports = 1...PortLimit.maxPorts
    static let portNameLength = 1...32
    static let queues = 1...64
    static let descriptors = 64...32768
    static let mtu = 68...9600
    /// Ethernet header (14) + two VLAN tags (8) + FCS (4): the largest frame an MTU-sized payload can arrive
    /// in. Sluice does not chain mbufs on receive, so it must fit in one mbuf's data room.
    static let frameOverhead = 26
    /// 802.1Q VLAN IDs usable for traffic: 0 and 4095 are reserved by the standard.
    static let vlanID = 1...4094
    /// Aging intervals other than 0 (which disables aging). Below 10 s, hosts that are merely quiet would be
    /// flooded to constantly; above about 11.5 days, aging is off in all but name.
    static let macAgingSeconds = 10...1_000_000
    static let macsPerPort = 1...1_048_576
    /// Slots in the shared MAC table (a power of two, so that a hash is reduced with a mask).
    static let macTableSize = 1024...16_777_216
}
