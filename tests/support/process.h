// Running programs from tests: to completion with captured output, or live with a line-by-line reader.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace evlite::testing {

struct ProgramResult {
  int status = -1;  // exit status, or 128 + the signal that killed it
  std::string out;
  std::string err;
};

// Runs args[0] with args[1…], `input` on its stdin, in `work_dir`, and waits for it.
ProgramResult run_program(const std::vector<std::string>& args, const std::filesystem::path& work_dir,
                          const std::string& input = "");

// A program running in the background whose stdout is read line by line.
class RunningProgram {
 public:
  explicit RunningProgram(const std::vector<std::string>& args);
  ~RunningProgram();  // kills it if still running
  RunningProgram(const RunningProgram&) = delete;
  RunningProgram& operator=(const RunningProgram&) = delete;

  // The next line of its stdout, waiting at most `timeout` for it; nullopt on timeout or end of output.
  std::optional<std::string> read_line(std::chrono::milliseconds timeout);
  void send(int signal);
  // Waits for it to exit: its exit status, or 128 + the signal that killed it.
  int wait();

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  std::string buffer_;
};

}  // namespace evlite::testing
