/// The exit statuses of `batchgate worker` that the gateway reads.
public enum WorkerExitStatus {
    /// The worker could not start for a reason a restart does not cure by itself: its model file cannot be
    /// loaded, or its KV cache cannot be allocated (78, `EX_CONFIG` of sysexits.h). Its reason is in the log.
    public static let cannotStart: Int32 = 78
}
