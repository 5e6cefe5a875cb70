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
#include <rte_eth_vhost.h>

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

// MARK: - constants Swift cannot import (RTE_BIT64-based or function-like macros)

SL_INLINE uint64_t sl_tx_offload_mbuf_fast_free(void) { return RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE; }
SL_INLINE uint16_t sl_ether_hdr_len(void) { return RTE_ETHER_HDR_LEN; }
SL_INLINE unsigned sl_lcore_id_any(void) { return LCORE_ID_ANY; }
SL_INLINE int sl_socket_id_any(void) { return SOCKET_ID_ANY; }

#endif
