// Ctrl-C for commands that run until interrupted (tail, projections run): SIGINT and SIGTERM are blocked
// in every thread and taken by the main thread with sigwait, so the command stops cleanly and exits 0.
#pragma once

#include <functional>

namespace evlite::cli {

// Call before starting any thread: threads inherit the blocked signals.
void block_interrupts();

// Waits for SIGINT or SIGTERM while `keep_waiting()` holds (asked every 100 ms): returns whether the
// wait ended by an interrupt.
bool wait_for_interrupt(const std::function<bool()>& keep_waiting);

}  // namespace evlite::cli
