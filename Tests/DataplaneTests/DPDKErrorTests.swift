import DPDK
import Glibc
import Testing

/// DPDK's return codes are named as DPDK means them, never as a made-up errno.
@Suite struct DPDKErrorTests {
    /// Drivers return a bare -1 for any failure (net_tap's unequal queue counts, vhost's socket errors) and
    /// ethdev passes it on: read as an errno it says "Operation not permitted", which was never the cause.
    @Test func bareMinusOneIsNotPresentedAsEPERM() {
        let error = DPDKError("rte_eth_dev_configure(port 0, 1 rx, 2 tx queues)", code: -1)
        #expect(
            error.description.hasPrefix(
                "rte_eth_dev_configure(port 0, 1 rx, 2 tx queues) failed with -1, which drivers return for any error"
            ), "\(error)")
        #expect(error.description.contains("DPDK's log above says why"))
        #expect(!error.description.contains("): Operation not permitted"))
    }

    @Test func realErrnoValuesKeepTheirText() {
        let error = DPDKError("probing device 'net_x0'", code: -ENODEV)
        #expect(error.description == "probing device 'net_x0': No such device (errno 19)", "\(error)")
    }
}
