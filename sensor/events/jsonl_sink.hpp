// JSON-lines event sink: one event per line to a file (appended) or stdout.
#pragma once
#include <cstdio>
#include <string>

#include "detection_event.hpp"

namespace botwarden::events {

class JsonLinesSink : public EventSink {
 public:
  // "-" is stdout. Throws std::runtime_error naming the path when it cannot be opened.
  explicit JsonLinesSink(const std::string& path);
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
