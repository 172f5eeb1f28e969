// A SessionSink that keeps what it is given, for comparing a WorkerPool with
// one Pipeline: session-log lines and on_time calls, in order.
#pragma once
#include <string>
#include <vector>

#include "sensor/pipeline/session_sink.hpp"
#include "sensor/smtp/session_log.hpp"

namespace botwarden::test {

struct Recorder final : pipeline::SessionSink {
  std::vector<std::string> records;  // session log lines
  std::vector<Micros> times;
  void on_session(const smtp::SessionRecord& r) override { records.push_back(smtp::format_session_json(r)); }
  void on_time(Micros now) override { times.push_back(now); }
};

}  // namespace botwarden::test
