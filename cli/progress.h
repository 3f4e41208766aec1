// Progress of long work on stderr, only when stderr is a terminal (quiet in pipes, logs and tests).
#pragma once

#include <string_view>

namespace evlite::cli {

class Progress {
 public:
  Progress();
  ~Progress();  // ends the progress line
  void update(std::string_view text);

 private:
  bool terminal_;
  bool shown_ = false;
};

}  // namespace evlite::cli
