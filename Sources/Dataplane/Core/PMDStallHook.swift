import Glibc
import Synchronization

/// A testing hook that wedges one PMD, so that tests can show what a stalled PMD does to control operations,
/// health and shutdown. Armed only by the environment variable `SLUICE_TEST_STALL_PMD=<lcore>`; then a
/// SIGUSR1 sent to sluiced makes the PMD on that lcore stop in the middle of its iteration, forever: it
/// neither reports quiescent states nor sees its stop flag, as a PMD stuck in a driver would.
///
/// It costs the PMD loop nothing: the loop's code is the same whether the hook is armed or not. The stall
/// runs in a signal handler on the PMD's own thread (the signal interrupts the loop wherever it is); the
/// only PMD-side work is recording the thread's identity once, before the loop starts.
public enum PMDStallHook {
    /// The lcore named by `SLUICE_TEST_STALL_PMD`, if the hook is armed.
    public static let armedLcore: UInt32? = getenv("SLUICE_TEST_STALL_PMD").flatMap { UInt32(String(cString: $0)) }

    /// The thread (`pthread_t`) of the PMD to stall, once it has started; 0 until then.
    private static let target = Atomic<UInt>(0)

    /// Installs the SIGUSR1 handler if the hook is armed; does nothing otherwise. Must run before EAL starts
    /// its threads: they inherit the signal mask, and a parent (a test runner) may have blocked SIGUSR1.
    public static func installIfArmed() {
        guard armedLcore != nil else { return }
        var unblock = sigset_t()
        sigemptyset(&unblock)
        sigaddset(&unblock, SIGUSR1)
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
        _ = target.load(ordering: .relaxed)  // initialised here, not in the handler
        signal(SIGUSR1) { _ in
            let thread = PMDStallHook.target.load(ordering: .acquiring)
            guard thread != 0 else { return }
            if UInt(pthread_self()) == thread {
                // Wedged: sleeps rather than spins, so that the shared test CPUs keep working.
                while true { usleep(10_000) }
            }
            // The process-directed signal reached another thread: hand it to the PMD's.
            pthread_kill(pthread_t(thread), SIGUSR1)
        }
    }

    /// Called on a PMD's lcore before its loop starts.
    static func register(lcore: UInt32) {
        guard let armed = armedLcore, armed == lcore else { return }
        target.store(UInt(pthread_self()), ordering: .releasing)
    }
}
