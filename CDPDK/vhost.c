// The vhost-user state epoch (CDPDK.h), and the out-of-line part of vhost-user receive: completing a checksum
// the guest left to the host. Called by `sl_vhost_dequeue` (CDPDK.h) for the packets rte_vhost marked
// RX_L4_CKSUM_NONE only.
#include "CDPDK.h"

#include <stddef.h>
#include <rte_ip.h>
#include <rte_net.h>
#include <rte_tcp.h>
#include <rte_udp.h>

uint64_t sl_vhost_state_epoch = 0;

void sl_vhost_complete_checksum(struct rte_mbuf *m) {
    struct rte_net_hdr_lens lens;
    uint32_t type = rte_net_get_ptype(m, &lens, RTE_PTYPE_ALL_MASK);
    uint32_t l4 = (uint32_t)lens.l2_len + lens.l3_len;
    uint32_t field;
    bool udp = false;
    switch (type & RTE_PTYPE_L4_MASK) {
    case RTE_PTYPE_L4_TCP:
        field = l4 + offsetof(struct rte_tcp_hdr, cksum);
        break;
    case RTE_PTYPE_L4_UDP:
        field = l4 + offsetof(struct rte_udp_hdr, dgram_cksum);
        udp = true;
        break;
    default:
        return;  // Neither TCP nor UDP (or unparsable): left as the guest sent it.
    }
    if (m->pkt_len < l4 || field + sizeof(uint16_t) > m->data_len) return;
    // The field holds the pseudo-header sum (virtio's partial checksum): summing the L4 bytes completes it.
    uint16_t sum = 0;
    if (rte_raw_cksum_mbuf(m, l4, m->pkt_len - l4, &sum) < 0) return;
    sum = (uint16_t)~sum;
    if (udp && sum == 0) sum = 0xffff;  // RFC 768: a computed 0 is sent as all ones.
    *rte_pktmbuf_mtod_offset(m, uint16_t *, field) = sum;
    m->ol_flags = (m->ol_flags & ~RTE_MBUF_F_RX_L4_CKSUM_MASK) | RTE_MBUF_F_RX_L4_CKSUM_GOOD;
}
