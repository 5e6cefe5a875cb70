import Crypto
import Foundation

/// IMDSv2 session tokens: opaque strings bound to one instance and an expiry, authenticated with HMAC-SHA256
/// under a key generated when the service starts (so a restart invalidates every token, as a reboot of EC2's
/// service would). A token is 64 base64url characters: the expiry (milliseconds of the service's clock, 8
/// bytes), 8 random bytes, and the HMAC of those 16 bytes followed by the instance id. The instance id is
/// not in the token: a token presented by another instance fails the HMAC, like a forged one.
public struct TokenIssuer: Sendable {
    /// The TTLs `X-aws-ec2-metadata-token-ttl-seconds` may ask for (EC2's range: one second to six hours).
    public static let ttlRange: ClosedRange<Int> = 1...21600
    /// The length of every token this issuer makes (48 bytes in base64url, no padding).
    public static let tokenLength = 64

    private let key: SymmetricKey

    /// An issuer with a fresh random 256-bit key (`key` only for tests).
    public init(key: SymmetricKey = SymmetricKey(size: .bits256)) {
        self.key = key
    }

    /// A token for `instanceID` that expires `ttlSeconds` after `now`.
    public func issue(for instanceID: String, ttlSeconds: Int, now: Duration) -> String {
        precondition(Self.ttlRange.contains(ttlSeconds), "the caller checks the TTL")
        let expiry = (now + .seconds(ttlSeconds)).milliseconds
        var payload = [UInt8]()
        payload.reserveCapacity(48)
        withUnsafeBytes(of: expiry.bigEndian) { payload += $0 }
        var generator = SystemRandomNumberGenerator()
        withUnsafeBytes(of: generator.next() as UInt64) { payload += $0 }
        payload += HMAC<SHA256>.authenticationCode(for: payload + Array(instanceID.utf8), using: key)
        return Self.base64url(payload)
    }

    /// What a presented token is worth for `instanceID` at `now`.
    public enum Verdict: Equatable, Sendable {
        case valid
        /// Malformed, forged, or issued to another instance (or by an earlier run of the service).
        case invalid
        /// Authentic but past its expiry.
        case expired
    }

    public func check(_ token: String, for instanceID: String, now: Duration) -> Verdict {
        guard token.utf8.count == Self.tokenLength, token.utf8.allSatisfy(Self.isBase64url),
            let bytes = Self.decodeBase64url(token), bytes.count == 48
        else {
            return .invalid
        }
        let payload = Array(bytes[0..<16])
        let code = bytes[16..<48]
        guard
            HMAC<SHA256>.isValidAuthenticationCode(
                code, authenticating: payload + Array(instanceID.utf8), using: key)
        else { return .invalid }
        let expiry = payload[0..<8].reduce(Int64(0)) { $0 << 8 | Int64($1) }
        return now.milliseconds < expiry ? .valid : .expired
    }

    static func isBase64url(_ c: UInt8) -> Bool {
        (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z")) || (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z"))
            || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || c == UInt8(ascii: "-") || c == UInt8(ascii: "_")
    }

    static func base64url(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decodeBase64url(_ text: String) -> [UInt8]? {
        var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while standard.utf8.count % 4 != 0 { standard += "=" }
        return Data(base64Encoded: standard).map { Array($0) }
    }
}
