import Testing

@testable import Config

@Suite struct ScalarParsingTests {
    @Test(arguments: [
        ("0", YAMLWalker.IntegerParse.value(0)), ("1500", .value(1500)), ("-1", .value(-1)), ("+7", .value(7)),
        ("1_000", .value(1000)), ("0x400", .value(1024)), ("0X1f", .value(31)),
        ("9223372036854775807", .value(Int.max)), ("-9223372036854775808", .value(Int.min)),
        ("9223372036854775808", .tooLarge), ("99999999999999999999999", .tooLarge), ("0xffffffffffffffff", .tooLarge),
        ("0755", .unsupportedForm), ("0o17", .unsupportedForm), ("1:30", .unsupportedForm), ("0b101", .unsupportedForm),
    ])
    func integer(text: String, expected: YAMLWalker.IntegerParse) {
        #expect(YAMLWalker.parseInteger(text) == expected)
    }

    @Test(arguments: ["", "abc", "-", "0x", "1e3x", " 1"])
    func notAnInteger(text: String) {
        #expect(YAMLWalker.parseInteger(text) == nil)
    }

    @Test func quotingKeepsValuesVisible() {
        #expect(quoted("a b") == "\"a b\"")
        #expect(quoted("") == "\"\"")
        #expect(quoted("x\"y\\z\n\u{1}") == "\"x\\\"y\\\\z\\n\\u{1}\"")
    }

    @Test func editDistance() {
        #expect(KeySuggestion.editDistance(Array("mtu"), Array("mut")) == 1)
        #expect(KeySuggestion.editDistance(Array("kitten"), Array("sitting")) == 3)
        #expect(KeySuggestion.editDistance(Array(""), Array("abc")) == 3)
        #expect(KeySuggestion.closest(to: "zzzz", among: ConfigKeys.port) == nil)
    }

    @Test func keyPathPrefixes() {
        #expect(
            KeyPath.prefixes(of: "ports[1].pmd-rxq-affinity[0]") == [
                "ports", "ports[1]", "ports[1].pmd-rxq-affinity", "ports[1].pmd-rxq-affinity[0]",
            ])
        #expect(KeyPath.prefixes(of: "eal") == ["eal"])
    }
}
