import Testing

@testable import Config

/// `eal.extra-args` that would break a daemon: EAL printing its usage and exiting, or Sluice running as
/// someone else's secondary process.
@Suite struct DaemonArgumentTests {
    @Test(arguments: [
        ("-h", "-h, --help, --usage, --version"), ("--help", "print its usage and exit"), ("--he", "--help"),
        ("--usage", "print its usage"), ("--version", "sluiced --help and --version"), ("-vh", "print its usage"),
        ("--proc-type=secondary", "primary process"), ("--proc-type", "--proc-type"), ("--proc-type=auto", "auto"),
        ("--proc=secondary", "another DPDK process's memory"),
    ])
    func refused(argument: String, fragment: String) {
        expectSingleProblem(
            Doc { $0.eal.append("extra-args: [\"--no-hpet\", \"\(argument)\"]") }.yaml, at: "eal.extra-args[1]",
            mentioning: ["\"\(argument)\" cannot be passed to EAL", fragment])
    }
}
