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

void wait_for_interrupt() {
  sigset_t set = interrupts();
  int signal = 0;
  sigwait(&set, &signal);
}

}  // namespace evlite::cli
