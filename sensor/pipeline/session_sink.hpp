// Where finished SMTP session records go: the session log, the detectors.
// on_session: one call per SessionRecord (sensor/smtp/session_record.hpp).
// on_time: capture time advanced (at most once per second of capture time,
// and once at the end of input) so windows can expire without traffic.
#pragma once
#include <functional>
#include <utility>
#include <vector>

#include "sensor/common/time.hpp"
#include "sensor/smtp/session_record.hpp"

namespace botwarden::pipeline {

class SessionSink {
 public:
  virtual ~SessionSink() = default;
  virtual void on_session(const smtp::SessionRecord& record) = 0;
  virtual void on_time(Micros now) = 0;
};

// A sink made of two callables (either may be empty).
class CallbackSink final : public SessionSink {
 public:
  explicit CallbackSink(std::function<void(const smtp::SessionRecord&)> on_session,
                        std::function<void(Micros)> on_time = {})
      : on_session_(std::move(on_session)), on_time_(std::move(on_time)) {}
  void on_session(const smtp::SessionRecord& r) override {
    if (on_session_) on_session_(r);
  }
  void on_time(Micros now) override {
    if (on_time_) on_time_(now);
  }

 private:
  std::function<void(const smtp::SessionRecord&)> on_session_;
  std::function<void(Micros)> on_time_;
};

// Sends every call to each of several sinks, in order (log first, then detectors).
class FanoutSink final : public SessionSink {
 public:
  void add(SessionSink& sink) { sinks_.push_back(&sink); }
  void on_session(const smtp::SessionRecord& r) override {
    for (auto* s : sinks_) s->on_session(r);
  }
  void on_time(Micros now) override {
    for (auto* s : sinks_) s->on_time(now);
  }

 private:
  std::vector<SessionSink*> sinks_;
};

}  // namespace botwarden::pipeline
