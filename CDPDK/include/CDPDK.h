// CDPDK: the one C header through which Sluice sees DPDK.
//
// Swift imports most of DPDK directly. What it cannot import is provided here:
// - `struct rte_mbuf` is 64-byte over-aligned and imports only as an opaque pointer, so every field Sluice
//   touches has an always-inline accessor. `_Nonnull` keeps Swift from inserting a nil check per call.
// - function-like macros (rte_pktmbuf_mtod), thread-local rte_errno, RTE_BIT64-based constants.
// <rte_config.h> must come first: Debian's libdpdk.pc passes it with `-include`, which SwiftPM drops.
#ifndef SLUICE_CDPDK_H
#define SLUICE_CDPDK_H

#include <rte_config.h>

#include <stdint.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <rte_common.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_launch.h>
#include <rte_cycles.h>
#include <rte_pause.h>
#include <rte_prefetch.h>
#include <rte_dev.h>
#include <rte_mempool.h>
#include <rte_mbuf.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_malloc.h>
#include <rte_version.h>
#include <rte_vhost.h>

#define SL_INLINE static inline __attribute__((always_inline))

// MARK: - errors

SL_INLINE int sl_errno(void) { return rte_errno; }

// MARK: - mbuf fields

SL_INLINE void *_Nonnull sl_mbuf_data(struct rte_mbuf *_Nonnull m) { return rte_pktmbuf_mtod(m, void *); }
SL_INLINE uint16_t sl_mbuf_data_len(const struct rte_mbuf *_Nonnull m) { return m->data_len; }
SL_INLINE uint32_t sl_mbuf_pkt_len(const struct rte_mbuf *_Nonnull m) { return m->pkt_len; }
SL_INLINE uint16_t sl_mbuf_nb_segs(const struct rte_mbuf *_Nonnull m) { return m->nb_segs; }
SL_INLINE uint16_t sl_mbuf_port(const struct rte_mbuf *_Nonnull m) { return m->port; }
SL_INLINE uint16_t sl_mbuf_headroom(const struct rte_mbuf *_Nonnull m) { return rte_pktmbuf_headroom(m); }
SL_INLINE uint16_t sl_mbuf_tailroom(const struct rte_mbuf *_Nonnull m) { return rte_pktmbuf_tailroom(m); }
SL_INLINE uint64_t sl_mbuf_ol_flags(const struct rte_mbuf *_Nonnull m) { return m->ol_flags; }
SL_INLINE uint16_t sl_mbuf_refcnt(const struct rte_mbuf *_Nonnull m) { return rte_mbuf_refcnt_read(m); }

/// Prepends `len` bytes of headroom to the packet; NULL when there is not enough headroom.
SL_INLINE void *_Nullable sl_mbuf_prepend(struct rte_mbuf *_Nonnull m, uint16_t len) {
    return rte_pktmbuf_prepend(m, len);
}
/// Removes `len` bytes from the front; NULL when the first segment is shorter.
SL_INLINE void *_Nullable sl_mbuf_adj(struct rte_mbuf *_Nonnull m, uint16_t len) { return rte_pktmbuf_adj(m, len); }
/// Appends `len` bytes at the end; NULL without tailroom.
SL_INLINE void *_Nullable sl_mbuf_append(struct rte_mbuf *_Nonnull m, uint16_t len) {
    return rte_pktmbuf_append(m, len);
}
SL_INLINE struct rte_mbuf *_Nullable sl_mbuf_alloc(struct rte_mempool *_Nonnull mp) { return rte_pktmbuf_alloc(mp); }
/// A full copy (new data buffers) of `m`; NULL when `mp` is exhausted.
SL_INLINE struct rte_mbuf *_Nullable sl_mbuf_copy(const struct rte_mbuf *_Nonnull m, struct rte_mempool *_Nonnull mp) {
    return rte_pktmbuf_copy(m, mp, 0, UINT32_MAX);
}

/// The pool a buffer came from (copies of it are taken from the same pool).
SL_INLINE struct rte_mempool *_Nonnull sl_mbuf_pool(const struct rte_mbuf *_Nonnull m) { return m->pool; }

// MARK: - mempool

SL_INLINE unsigned sl_mempool_avail_count(const struct rte_mempool *_Nonnull mp) { return rte_mempool_avail_count(mp); }
SL_INLINE unsigned sl_mempool_in_use_count(const struct rte_mempool *_Nonnull mp) { return rte_mempool_in_use_count(mp); }

// MARK: - counters shared between threads

/// Counters are written by exactly one PMD thread with plain stores and read by the control thread. A
/// volatile 64-bit aligned load is single-copy atomic on x86-64 (the same contract DPDK's own stats use);
/// it keeps the compiler from caching or tearing the read without putting atomics in the PMD loop.
SL_INLINE uint64_t sl_load_u64(const volatile uint64_t *_Nonnull p) { return *p; }

// MARK: - link state (bitfields inside an anonymous union)

SL_INLINE bool sl_link_up(const struct rte_eth_link *_Nonnull l) { return l->link_status == RTE_ETH_LINK_UP; }
SL_INLINE bool sl_link_full_duplex(const struct rte_eth_link *_Nonnull l) { return l->link_duplex == RTE_ETH_LINK_FULL_DUPLEX; }
SL_INLINE uint32_t sl_link_speed(const struct rte_eth_link *_Nonnull l) { return l->link_speed; }

// MARK: - tap interfaces (tap_link.c)

/// The link of tap interface `iface` in whatever network namespace it now lives in: 1 when it is up and
/// running there, 0 when not, -errno when it cannot be told (no tun descriptor of this process has that name).
int sl_tap_link_state(const char *_Nonnull iface);

// MARK: - vhost-user ports through rte_vhost (vhost.c; Sources/DPDK/VhostUserSocket.swift)

/// Queue pairs a vhost-user port may have: the bit masks below are 64 bits wide (Limits.queues in Config).
#define SL_VHOST_MAX_QUEUES 64

/// One queue's counters, on a cache line of its own: rx queue q is counted by the PMD that polls it, tx
/// queue q by PMD q (every PMD transmits on the queue of its own index), so no two writers share a line.
struct sl_vhost_counters {
    uint64_t packets;
    uint64_t bytes;
} __rte_cache_aligned;

/// What the PMDs read of a vhost-user port, written by rte_vhost's callbacks (the vhost-events thread) with
/// atomic stores: the attached guest's device id and the virtqueues it enabled. The PMDs' counters per
/// queue are plain words, each written by one PMD and read by the control thread (`sl_load_u64`).
struct sl_vhost_port {
    /// rte_vhost's device id of the attached guest, -1 without one. Stored by new_device; cleared by
    /// destroy_device, which then waits until no PMD can still be using it (the rte_vhost contract).
    int32_t vid;
    /// Queue pairs whose virtqueues rte_vhost has set up for that guest (half its vring count): the PMDs
    /// call rte_vhost only for those (rte_vhost itself skips a virtqueue the guest has not enabled).
    int32_t pairs;
    /// Bit q: the guest enabled its tx virtqueue of pair q (2q+1, which Sluice dequeues from) / its rx
    /// virtqueue (2q, which Sluice enqueues to). For `sluicectl vhost`.
    uint64_t guest_tx_enabled;
    uint64_t guest_rx_enabled;
    struct sl_vhost_counters rx[SL_VHOST_MAX_QUEUES] __rte_cache_aligned;
    struct sl_vhost_counters tx[SL_VHOST_MAX_QUEUES];
};

/// Bumped (release) by every change of any vhost-user port's state the PMDs act on: a guest attached or
/// detached, its usable queue pairs, a virtqueue enabled or disabled. Each PMD compares it with the value it
/// last saw once per iteration and, when it differs, rebuilds its list of queues worth polling (off the burst
/// path; Sources/Dataplane/VhostUser/LiveRxQueues.swift). One word for the process: it changes only when a
/// guest comes, goes or reconfigures, so the PMDs' copies of its cache line stay shared.
extern uint64_t sl_vhost_state_epoch;

SL_INLINE uint64_t sl_vhost_epoch(void) { return __atomic_load_n(&sl_vhost_state_epoch, __ATOMIC_ACQUIRE); }
/// After the state change it announces (release: a PMD that sees the new epoch sees the change).
SL_INLINE void sl_vhost_bump_epoch(void) { __atomic_fetch_add(&sl_vhost_state_epoch, 1, __ATOMIC_SEQ_CST); }

/// Completes in software the TCP/UDP checksum a guest left to the host (VIRTIO_NET_F_CSUM: rte_vhost marks
/// such packets RX_L4_CKSUM_NONE and leaves the pseudo-header sum in the checksum field).
void sl_vhost_complete_checksum(struct rte_mbuf *_Nonnull m);

/// Dequeues up to `n` packets the guest sent on queue pair `q`; 0 without a guest or with the queue disabled.
/// `*bytes` is set to the bytes of the packets received, summed in the same pass that completes checksums,
/// so that the PMD counts them for the port without reading every mbuf again.
SL_INLINE uint16_t sl_vhost_dequeue(struct sl_vhost_port *_Nonnull p, uint16_t q, struct rte_mempool *_Nonnull mp,
                                    struct rte_mbuf *_Nullable *_Nonnull pkts, uint16_t n, uint64_t *_Nonnull bytes) {
    *bytes = 0;
    int32_t vid = __atomic_load_n(&p->vid, __ATOMIC_ACQUIRE);
    if (vid < 0 || q >= __atomic_load_n(&p->pairs, __ATOMIC_RELAXED) || n == 0) return 0;
    uint16_t got = rte_vhost_dequeue_burst(vid, (uint16_t)(2 * q + 1), mp, (struct rte_mbuf **)pkts, n);
    uint64_t sum = 0;
    for (uint16_t i = 0; i < got; i++) {
        struct rte_mbuf *m = pkts[i];
        if ((m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_NONE) sl_vhost_complete_checksum(m);
        sum += m->pkt_len;
    }
    p->rx[q].packets += got;
    p->rx[q].bytes += sum;
    *bytes = sum;
    return got;
}

/// Copies up to `n` packets into the guest's receive virtqueue of pair `q` and frees those it took (rte_vhost
/// copies, unlike an ethdev it does not take the buffers); the number taken. 0 without a guest. Counts nothing:
/// the caller, which summed the packets' bytes before handing them over, counts what it sent once
/// (`sl_vhost_count_tx`), however many calls that took.
SL_INLINE uint16_t sl_vhost_enqueue_uncounted(struct sl_vhost_port *_Nonnull p, uint16_t q,
                                              struct rte_mbuf *_Nullable *_Nonnull pkts, uint16_t n) {
    int32_t vid = __atomic_load_n(&p->vid, __ATOMIC_ACQUIRE);
    if (vid < 0 || q >= __atomic_load_n(&p->pairs, __ATOMIC_RELAXED) || n == 0) return 0;
    uint16_t sent = rte_vhost_enqueue_burst(vid, (uint16_t)(2 * q), (struct rte_mbuf **)pkts, n);
    if (sent > 0) rte_pktmbuf_free_bulk((struct rte_mbuf **)pkts, sent);
    return sent;
}

/// Adds what one PMD sent on tx queue `q` to the queue's counters (that PMD is the queue's only writer).
SL_INLINE void sl_vhost_count_tx(struct sl_vhost_port *_Nonnull p, uint16_t q, uint64_t packets, uint64_t bytes) {
    p->tx[q].packets += packets;
    p->tx[q].bytes += bytes;
}

/// `sl_vhost_enqueue_uncounted`, counting what was sent.
SL_INLINE uint16_t sl_vhost_enqueue(struct sl_vhost_port *_Nonnull p, uint16_t q,
                                    struct rte_mbuf *_Nullable *_Nonnull pkts, uint16_t n) {
    uint64_t bytes = 0;
    for (uint16_t i = 0; i < n; i++) bytes += pkts[i]->pkt_len;  // before: the packets sent are freed
    uint16_t sent = sl_vhost_enqueue_uncounted(p, q, pkts, n);
    for (uint16_t i = sent; i < n; i++) bytes -= pkts[i]->pkt_len;
    if (sent > 0) sl_vhost_count_tx(p, q, sent, bytes);
    return sent;
}

/// Whether a PMD's poll of rx queue pair `q` can return anything: a guest is attached, rte_vhost set up the
/// pair, and the guest enabled its tx virtqueue. A hint read when a PMD rebuilds its queue list (the dequeue
/// itself checks the guest anew); the epoch tells the PMD when the answer may have changed.
SL_INLINE bool sl_vhost_rx_live(const struct sl_vhost_port *_Nonnull p, uint16_t q) {
    if (__atomic_load_n(&p->vid, __ATOMIC_ACQUIRE) < 0 || q >= __atomic_load_n(&p->pairs, __ATOMIC_RELAXED))
        return false;
    return (__atomic_load_n(&p->guest_tx_enabled, __ATOMIC_RELAXED) >> (q & 63)) & 1;
}

SL_INLINE uint64_t sl_vhost_rx_packets(const struct sl_vhost_port *_Nonnull p, uint16_t q) {
    return sl_load_u64(&p->rx[q].packets);
}
SL_INLINE uint64_t sl_vhost_rx_bytes(const struct sl_vhost_port *_Nonnull p, uint16_t q) {
    return sl_load_u64(&p->rx[q].bytes);
}
SL_INLINE uint64_t sl_vhost_tx_packets(const struct sl_vhost_port *_Nonnull p, uint16_t q) {
    return sl_load_u64(&p->tx[q].packets);
}
SL_INLINE uint64_t sl_vhost_tx_bytes(const struct sl_vhost_port *_Nonnull p, uint16_t q) {
    return sl_load_u64(&p->tx[q].bytes);
}
SL_INLINE int32_t sl_vhost_vid(const struct sl_vhost_port *_Nonnull p) {
    return __atomic_load_n(&p->vid, __ATOMIC_ACQUIRE);
}
/// Attaches a guest: its pairs first, then (release) its id, so that a PMD that sees the id sees its pairs.
SL_INLINE void sl_vhost_attach(struct sl_vhost_port *_Nonnull p, int32_t vid, int32_t pairs) {
    __atomic_store_n(&p->pairs, pairs, __ATOMIC_RELAXED);
    __atomic_store_n(&p->vid, vid, __ATOMIC_SEQ_CST);
    sl_vhost_bump_epoch();
}
/// More of the attached guest's virtqueues were set up (multiqueue): the PMDs may use `pairs` pairs.
SL_INLINE void sl_vhost_set_pairs(struct sl_vhost_port *_Nonnull p, int32_t pairs) {
    __atomic_store_n(&p->pairs, pairs, __ATOMIC_RELEASE);
    sl_vhost_bump_epoch();
}
/// Detaches the guest (sequentially consistent: a PMD that starts polling after this never sees the old id).
SL_INLINE void sl_vhost_detach(struct sl_vhost_port *_Nonnull p) {
    __atomic_store_n(&p->vid, -1, __ATOMIC_SEQ_CST);
    __atomic_store_n(&p->pairs, 0, __ATOMIC_SEQ_CST);
    sl_vhost_bump_epoch();
}
SL_INLINE uint64_t sl_vhost_enabled(const struct sl_vhost_port *_Nonnull p, bool guest_rx) {
    return __atomic_load_n(guest_rx ? &p->guest_rx_enabled : &p->guest_tx_enabled, __ATOMIC_RELAXED);
}
/// Sets or clears bit `q` of one enabled mask (the vhost-events thread only: no other writer).
SL_INLINE void sl_vhost_set_enabled(struct sl_vhost_port *_Nonnull p, bool guest_rx, uint16_t q, bool on) {
    uint64_t *mask = guest_rx ? &p->guest_rx_enabled : &p->guest_tx_enabled;
    uint64_t bit = (uint64_t)1 << (q & 63);
    uint64_t old = __atomic_load_n(mask, __ATOMIC_RELAXED);
    __atomic_store_n(mask, on ? (old | bit) : (old & ~bit), __ATOMIC_RELEASE);
    sl_vhost_bump_epoch();
}
SL_INLINE void sl_vhost_clear_enabled(struct sl_vhost_port *_Nonnull p) {
    __atomic_store_n(&p->guest_rx_enabled, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&p->guest_tx_enabled, 0, __ATOMIC_RELEASE);
    sl_vhost_bump_epoch();
}
/// A zeroed port state without a guest (vid -1), cache-line aligned; NULL when out of memory. Ordinary memory:
/// it also serves tests without EAL.
SL_INLINE struct sl_vhost_port *_Nullable sl_vhost_port_alloc(void) {
    void *memory = NULL;
    if (posix_memalign(&memory, RTE_CACHE_LINE_SIZE, sizeof(struct sl_vhost_port)) != 0) return NULL;
    memset(memory, 0, sizeof(struct sl_vhost_port));
    ((struct sl_vhost_port *)memory)->vid = -1;
    return (struct sl_vhost_port *)memory;
}
SL_INLINE void sl_vhost_port_free(struct sl_vhost_port *_Nullable p) { free(p); }
SL_INLINE uint64_t sl_vhost_user_client(void) { return RTE_VHOST_USER_CLIENT; }
SL_INLINE uint64_t sl_vhost_user_compliant_ol_flags(void) { return RTE_VHOST_USER_NET_COMPLIANT_OL_FLAGS; }

// MARK: - constants Swift cannot import (RTE_BIT64-based or function-like macros)

SL_INLINE uint64_t sl_tx_offload_mbuf_fast_free(void) { return RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE; }
SL_INLINE uint16_t sl_ether_hdr_len(void) { return RTE_ETHER_HDR_LEN; }
SL_INLINE unsigned sl_lcore_id_any(void) { return LCORE_ID_ANY; }
SL_INLINE int sl_socket_id_any(void) { return SOCKET_ID_ANY; }

#endif
