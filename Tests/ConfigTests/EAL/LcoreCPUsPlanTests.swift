import Testing

@testable import Config

/// `eal.lcore-cpus` is read once, when EAL starts: like the rest of `eal`, a change needs a restart.
@Suite struct LcoreCPUsPlanTests {
    static let base = SluiceConfig(
        eal: EALConfig(pmdCPUMask: 0x6), ports: [PortConfig(name: "tap0", devargs: "net_null0")])

    static func plan(from old: [Int: Int], to new: [Int: Int]) throws -> ConfigPlan {
        var before = base
        var after = base
        before.eal.lcoreCPUs = old
        after.eal.lcoreCPUs = new
        try before.validate()
        try after.validate()
        return ConfigPlan.between(before, after)
    }

    @Test func settingTheKeyNeedsARestart() throws {
        let plan = try Self.plan(from: [:], to: [1: 1, 2: 1])
        #expect(plan.needsRestart == ["eal.lcore-cpus: (unset) → {1: 1, 2: 1}"])
        #expect(plan.changes.isEmpty)
    }

    @Test func movingOneLcoreNeedsARestart() throws {
        let plan = try Self.plan(from: [1: 1, 2: 1], to: [1: 1, 2: 0])
        #expect(plan.needsRestart == ["eal.lcore-cpus.2: 1 → 0"])
        #expect(plan.changes.isEmpty)
    }

    @Test func removingTheKeyNeedsARestart() throws {
        let plan = try Self.plan(from: [1: 1, 2: 1], to: [:])
        #expect(plan.needsRestart == ["eal.lcore-cpus: {1: 1, 2: 1} → (unset)"])
    }

    @Test func anUnchangedMappingIsNoChange() throws {
        #expect(try Self.plan(from: [2: 1, 1: 1], to: [1: 1, 2: 1]).isEmpty)
    }
}
