// Ctrl-C for commands that run until interrupted (tail, projections run): SIGINT and SIGTERM are blocked
// in every thread and taken by the main thread with sigwait, so the command stops cleanly and exits 0.
#pragma once

namespace evlite::cli {

// Call before starting any thread: threads inherit the blocked signals.
void block_interrupts();

// Waits for SIGINT or SIGTERM.
void wait_for_interrupt();

}  // namespace evlite::cli
