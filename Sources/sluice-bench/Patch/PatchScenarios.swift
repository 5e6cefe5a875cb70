import Config

extension BenchScenario {
    static let patchScenarios: [BenchScenario] = [
        BenchScenario("patch", "source patched to sink") { setup in
            setup.config.patches = [PatchPair(a: "source", b: "sink")]
        }
    ]
}
