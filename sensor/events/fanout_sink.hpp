// Sends every event to each of several sinks, in order (file, then HTTP).
#pragma once
#include <vector>

#include "detection_event.hpp"

namespace botwarden::events {

class FanoutSink final : public EventSink {
 public:
  void add(EventSink& sink) { sinks_.push_back(&sink); }
  void emit(const DetectionEvent& event) override {
    for (auto* s : sinks_) s->emit(event);
  }
  void flush() override {
    for (auto* s : sinks_) s->flush();
  }

 private:
  std::vector<EventSink*> sinks_;
};

}  // namespace botwarden::events
