#include "interrupt.h"

#include <pthread.h>
#include <signal.h>

namespace evlite::cli {
namespace {

sigset_t interrupts() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

}  // namespace

void block_interrupts() {
  sigset_t set = interrupts();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

bool wait_for_interrupt(const std::function<bool()>& keep_waiting) {
  sigset_t set = interrupts();
  const timespec poll{.tv_sec = 0, .tv_nsec = 100'000'000};
  while (keep_waiting()) {
    if (sigtimedwait(&set, nullptr, &poll) > 0) return true;  // else a timeout (EAGAIN) or EINTR: look again
  }
  return false;
}

}  // namespace evlite::cli
