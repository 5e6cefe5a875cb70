import Config
import Pipeline
import Testing

@testable import Dataplane

/// Bucket state outlives generations: a new generation resets only the buckets whose settings (or port) changed.
@Suite(.serialized) struct QoSSharedTests {
    final class FakePort {}

    @Test func onlyChangedBucketsStartAgain() {
        let shared = QoSShared.shared
        let slot = 63  // a slot no other test uses
        let hz: UInt64 = 1_000_000
        let now: UInt64 = 1 << 40
        let t = TokenBucketSpec.scaled(now)
        func direction(_ rate: UInt64) -> QoSDirectionSpec {
            QoSDirectionSpec(
                bytes: TokenBucketSpec(tokens: rate, size: 10_000, oneTimeBurst: 500, tscHz: hz), packets: nil,
                maxFrame: 1518)
        }
        let tables = QoSTables(fromVM: .none, toVM: .none, specs: nil, state: shared.state, counters: nil)
        let fromVM = tables.bucket(slot: slot, .fromVM, packets: false)
        let toVM = tables.bucket(slot: slot, .toVM, packets: false)
        let port = FakePort()
        shared.apply(slot: slot, port: ObjectIdentifier(port), fromVM: direction(1000), toVM: direction(2000), tsc: now)
        #expect(fromVM.available(direction(1000).bytes!, at: t) == 10_500)
        fromVM.charge(direction(1000).bytes!, 4000, at: t)
        toVM.charge(direction(2000).bytes!, 3000, at: t)
        // A new generation with the same settings (another key changed): the tokens stay.
        shared.apply(slot: slot, port: ObjectIdentifier(port), fromVM: direction(1000), toVM: direction(2000), tsc: now)
        #expect(fromVM.available(direction(1000).bytes!, at: t) == 6500)
        #expect(toVM.available(direction(2000).bytes!, at: t) == 7500)
        // to-vm's rate changes: that bucket starts again full, with its one-time burst; from-vm keeps its tokens.
        shared.apply(slot: slot, port: ObjectIdentifier(port), fromVM: direction(1000), toVM: direction(3000), tsc: now)
        #expect(fromVM.available(direction(1000).bytes!, at: t) == 6500)
        #expect(toVM.available(direction(3000).bytes!, at: t) == 10_500)
        // Another port in the slot (removed and added again): everything starts again.
        let other = FakePort()
        shared.apply(
            slot: slot, port: ObjectIdentifier(other), fromVM: direction(1000), toVM: direction(3000), tsc: now)
        #expect(fromVM.available(direction(1000).bytes!, at: t) == 10_500)
        shared.forget(slot: slot)
        _ = port
    }
}
