// The pipeline's settings from the [sensor] section (botwarden-sensor and
// the benchmarks build them the same way).
#pragma once
#include "sensor/config/sensor_config.hpp"
#include "sensor/pipeline/pipeline.hpp"
#include "sensor/pipeline/workers.hpp"

namespace botwarden::pipeline {

inline PipelineConfig pipeline_config(const SensorConfig& cfg) {
  PipelineConfig p;
  p.subscribers = PrefixSet(cfg.subscriber_prefixes);
  p.relays = PrefixSet(cfg.smtp_relays);
  p.max_flows = static_cast<std::size_t>(cfg.flows.max_flows);
  p.flow_idle_timeout = cfg.flows.flow_idle_timeout_seconds * kMicrosPerSecond;
  p.flow_max_age = cfg.flows.flow_max_age_seconds * kMicrosPerSecond;
  p.max_out_of_order_bytes = static_cast<std::size_t>(cfg.flows.max_ooo_bytes);
  return p;
}

inline WorkerOptions worker_options(const SensorConfig& cfg) {
  WorkerOptions w;
  w.workers = static_cast<std::size_t>(cfg.workers < 1 ? 1 : cfg.workers);
  return w;
}

}  // namespace botwarden::pipeline
