import Basics
import Foundation

/// The one live line on standard error while a run goes: elapsed, sent, completed, errors, achieved rate, p99 TTFT.
enum ProgressLine {
    /// Rewrites the line every half second until cancelled.
    static func run(recorder: RunRecorder, origin: ContinuousClock.Instant) async {
        let terminal = isatty(STDERR_FILENO) != 0
        var lastPrinted = ContinuousClock.now - .seconds(60)
        while !Task.isCancelled {
            do { try await Task.sleep(for: .milliseconds(500)) } catch { return }
            let now = ContinuousClock.now
            // Without a terminal, one line every 5 s instead of rewriting one in place.
            guard terminal || now - lastPrinted >= .seconds(5) else { continue }
            lastPrinted = now
            let elapsed = (now - origin).inSeconds
            let figures = recorder.progress()
            let line = String(
                format: "%6.1fs  sent %d  done %d  errors %d  in flight %d  %.1f req/s  ttft p99 %.0f ms",
                elapsed, figures.sent, figures.completed, figures.failed, figures.inFlight,
                elapsed > 0 ? Double(figures.completed) / elapsed : 0, figures.ttftP99)
            write(terminal ? "\r\u{1B}[K" + line : line + "\n")
        }
    }

    /// Ends the line so that what follows starts on its own.
    static func finish() {
        if isatty(STDERR_FILENO) != 0 { write("\n") }
    }

    private static func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
