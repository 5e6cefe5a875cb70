import Crypto
import Testing

@testable import MetadataService

/// Tokens: bound to their instance and expiry, authenticated by the issuer's key.
@Suite struct TokenIssuerTests {
    let issuer = TokenIssuer()
    let now = Duration.seconds(500)

    @Test func aTokenIsValidForItsInstanceUntilItsExpiry() {
        let token = issuer.issue(for: "i-a", ttlSeconds: 60, now: now)
        #expect(token.utf8.count == TokenIssuer.tokenLength)
        #expect(issuer.check(token, for: "i-a", now: now) == .valid)
        #expect(issuer.check(token, for: "i-a", now: now + .milliseconds(59_999)) == .valid)
        #expect(issuer.check(token, for: "i-a", now: now + .seconds(60)) == .expired)
        #expect(issuer.check(token, for: "i-b", now: now) == .invalid)
        #expect(issuer.check(token, for: "i-a2", now: now) == .invalid)
    }

    @Test func tokensDifferEvenForTheSameInstanceAndTime() {
        #expect(
            issuer.issue(for: "i-a", ttlSeconds: 60, now: now) != issuer.issue(for: "i-a", ttlSeconds: 60, now: now))
    }

    @Test func anyChangedCharacterOrAnotherKeyMakesItInvalid() {
        let token = issuer.issue(for: "i-a", ttlSeconds: 60, now: now)
        var bytes = Array(token.utf8)
        for index in bytes.indices {
            let original = bytes[index]
            bytes[index] = original == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
            #expect(issuer.check(String(decoding: bytes, as: UTF8.self), for: "i-a", now: now) == .invalid)
            bytes[index] = original
        }
        #expect(TokenIssuer().check(token, for: "i-a", now: now) == .invalid)
        // A longer expiry written over the token's own does not verify.
        var forged = TokenIssuer.decodeBase64url(token)!
        forged[0] = 0x7f
        #expect(issuer.check(TokenIssuer.base64url(forged), for: "i-a", now: now) == .invalid)
    }

    @Test func malformedTokensAreInvalid() {
        for token in [
            "", "x", String(repeating: "A", count: 63), String(repeating: "=", count: 64),
            String(repeating: "+", count: 64), String(repeating: "A", count: 65),
        ] {
            #expect(issuer.check(token, for: "i-a", now: now) == .invalid)
        }
    }

    @Test func aFixedKeyGivesVerifiableTokensAcrossIssuers() {
        let key = SymmetricKey(data: [UInt8](repeating: 7, count: 32))
        let token = TokenIssuer(key: key).issue(for: "i-a", ttlSeconds: 1, now: now)
        #expect(TokenIssuer(key: key).check(token, for: "i-a", now: now) == .valid)
    }
}
