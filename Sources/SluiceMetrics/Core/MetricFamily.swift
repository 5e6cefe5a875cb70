import ControlProtocol
import Prometheus

/// One metric family of /metrics: its name (Prometheus conventions: `sluice_` prefix, base units, `_total`
/// for counters), its help text, its kind, and how to read its samples from a snapshot.
public struct MetricFamily: Sendable {
    public enum Kind: Sendable { case counter, gauge }

    /// One sample: its labels (the same label names for every sample of a family) and its value.
    public struct Sample: Sendable, Equatable {
        public var labels: [Label]
        public var value: Double
        /// The exact value of an integer counter (a Double is exact only up to 2^53: a few weeks of cycles).
        public var integer: UInt64?

        public init(_ labels: [Label], _ value: Double) {
            self.labels = labels
            self.value = value
        }

        public init(_ labels: [Label], _ value: UInt64) {
            self.labels = labels
            self.value = Double(value)
            integer = value
        }

        public init(_ labels: [Label], _ value: Int) { self.init(labels, UInt64(clamping: value)) }
    }

    public struct Label: Sendable, Equatable {
        public var name: String
        public var value: String

        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    public var name: String
    public var help: String
    public var kind: Kind
    public var samples: @Sendable (MetricsSnapshot) -> [Sample]

    public init(
        _ name: String, _ kind: Kind, help: String, samples: @escaping @Sendable (MetricsSnapshot) -> [Sample]
    ) {
        self.name = name
        self.help = help
        self.kind = kind
        self.samples = samples
    }
}

/// Every family /metrics shows. The extension point: each feature declares its families in
/// `Sources/SluiceMetrics/<Feature>/<Feature>Metrics.swift` and adds one line here. Stage counters (packets,
/// cycles, drops by {stage,reason}, events) need nothing: they come from `stage.list` for every stage,
/// so a new stage's drop reasons show up on their own.
public enum MetricFamilies {
    public static var all: [MetricFamily] {
        coreMetrics
            + portMetrics
            + bridgeMetrics
            + qosMetrics
            + securityGroupsMetrics
            + vxlanMetrics
            + dhcpMetrics
            + metadataMetrics
    }

    /// The text exposition format of `families` for `snapshot` (swift-prometheus renders it), with
    /// `sluice_up 1`.
    public static func render(_ snapshot: MetricsSnapshot, families: [MetricFamily] = all) -> String {
        let registry = PrometheusCollectorRegistry()
        registry.makeGauge(name: "sluice_up", help: upHelp).set(Double(1))
        for family in families {
            for sample in family.samples(snapshot) {
                let labels = sample.labels.map { ($0.name, $0.value) }
                switch family.kind {
                case .counter:
                    let counter = registry.makeCounter(name: family.name, labels: labels, help: family.help)
                    if let integer = sample.integer {
                        counter.increment(by: Int64(clamping: integer))
                    } else {
                        counter.increment(by: sample.value)
                    }
                case .gauge:
                    registry.makeGauge(name: family.name, labels: labels, help: family.help).set(sample.value)
                }
            }
        }
        return registry.emitToString()
    }

    /// What /metrics shows when sluiced cannot be read: `sluice_up 0` (the scrape itself succeeds, so that
    /// an alert on `sluice_up == 0` fires, as with Prometheus's own exporters).
    public static func renderDown() -> String {
        let registry = PrometheusCollectorRegistry()
        registry.makeGauge(name: "sluice_up", help: upHelp).set(Double(0))
        return registry.emitToString()
    }

    static let upHelp = "1 if sluiced answered on its control socket for this scrape, else 0."
}
