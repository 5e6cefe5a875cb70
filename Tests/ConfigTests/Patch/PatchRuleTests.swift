import Testing

@testable import Config

@Suite struct PatchRuleTests {
    static func threePorts(_ doc: inout Doc) {
        doc.ports.append(["name: p2", "devargs: net_null2"])
    }

    static let cases: [RuleCase] = [
        RuleCase(
            "a port patched to itself", Doc { $0.patches = ["- [p0, p0]"] }, at: "patches[0]",
            ["connects \"p0\" to itself; a patch needs two different ports"]),
        RuleCase(
            "an unknown port", Doc { $0.patches = ["- [p0, p9]"] }, at: "patches[0][1]",
            ["\"p9\" is not the name of a port; ports are: p0, p1"]),
        RuleCase(
            "a single name", Doc { $0.patches = ["- [p0]"] }, at: "patches[0]",
            ["has 1 name; a patch connects exactly two ports"]),
        RuleCase(
            "three names", Doc { $0.patches = ["- [p0, p1, p0]"] }, at: "patches[0]",
            ["has 3 names; a patch connects exactly two ports"]),
        RuleCase(
            "a mapping instead of a pair", Doc { $0.patches = ["- {a: p0, b: p1}"] }, at: "patches[0]",
            ["expected a pair of port names like [tap0, tap1], got a mapping"]),
        RuleCase(
            "a number as a port name", Doc { $0.patches = ["- [p0, 1]"] }, at: "patches[0][1]",
            ["expected a string, got the integer 1"]),
        RuleCase(
            "a port in two patches",
            Doc {
                threePorts(&$0)
                $0.patches = ["- [p0, p1]", "- [p2, p0]"]
            }, at: "patches[1][1]", ["\"p0\" is already patched by patches[0]; a port can be in at most one patch"]),
        RuleCase(
            "the same patch twice", Doc { $0.patches = ["- [p0, p1]", "- [p1, p0]"] }, at: "patches[1][0]",
            ["\"p1\" is already patched by patches[0]"]),
    ]

    @Test(arguments: cases)
    func rule(_ rule: RuleCase) {
        // "the same patch twice" legitimately yields one problem per end.
        if rule.rule == "the same patch twice" {
            let found = problems(rule.yaml)
            #expect(found.map(\.path) == ["patches[1][0]", "patches[1][1]"])
            #expect(found.first?.message.contains(rule.fragments[0]) == true)
            return
        }
        expectSingleProblem(rule.yaml, at: rule.path, mentioning: rule.fragments)
    }

    @Test func patchesWithoutValueMeanNone() throws {
        let config = try #require(parsed(Doc().yaml + "patches:\n"))
        #expect(config.patches.isEmpty)
    }
}
