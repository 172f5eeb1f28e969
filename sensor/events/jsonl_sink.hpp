// JSON-lines event sink: one event per line to a file or stdout.
#pragma once
#include <cstdio>
#include <string>

#include "detection_event.hpp"

namespace botwarden::events {

class JsonLinesSink : public EventSink {
 public:
  // "-" is stdout. `append`: keep what the file holds (live capture); otherwise
  // start it afresh (re-reading files must not duplicate events). Throws
  // std::runtime_error naming the path when it cannot be opened.
  explicit JsonLinesSink(const std::string& path, bool append = true);
  ~JsonLinesSink() override;
  JsonLinesSink(const JsonLinesSink&) = delete;
  JsonLinesSink& operator=(const JsonLinesSink&) = delete;

  void emit(const DetectionEvent& event) override;  // written and flushed at once
  void flush() override;
  std::size_t written() const { return written_; }

 private:
  std::string path_;
  std::FILE* out_ = nullptr;
  bool owned_ = false;
  std::size_t written_ = 0;
};

}  // namespace botwarden::events
