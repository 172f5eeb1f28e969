// botwarden-sensor: wiring only (CLI -> config -> capture -> pipeline -> sinks).
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <iostream>
#include <memory>

#include "botwarden/version.hpp"
#include "sensor/capture/capture.hpp"
#include "sensor/common/log.hpp"
#include "sensor/config/sensor_config.hpp"
#include "sensor/detect/engine.hpp"
#include "sensor/events/fanout_sink.hpp"
#include "sensor/events/http_sink.hpp"
#include "sensor/events/jsonl_sink.hpp"
#include "sensor/pipeline/pipeline.hpp"
#include "sensor/pipeline/pipeline_config.hpp"
#include "sensor/pipeline/run.hpp"
#include "sensor/smtp/session_log.hpp"

int main(int argc, char** argv) {
  CLI::App app{"botwarden-sensor: finds spam bots on ISP subscriber links"};
  app.footer(
      "With neither --read nor --interface, checks the configuration and exits.\n"
      "Exit codes: 0 success, 1 runtime error (capture, unreadable or corrupt input, I/O),\n"
      "2 bad command line or configuration.");
  app.set_version_flag("--version", std::string("botwarden-sensor ") + botwarden::kVersion);
  std::string config_path = "configs/botwarden.toml";
  std::vector<std::string> read_files;
  std::string interface;
  std::string filter;
  std::string smtp_log;
  std::string events_out;
  std::string notifier_url;
  std::string notifier_token_file;
  std::string spool_dir = "sensor-spool";
  std::string notifier_token;
  bool no_progress = false;
  bool libpcap_reader = false;
  int workers = 0;  // 0: [sensor] workers
  app.add_option("-c,--config", config_path, "configuration file (TOML)");
  auto* read_opt = app.add_option("-r,--read", read_files, "capture files (pcap or pcapng), read in order");
  app.add_option("-i,--interface", interface, "capture live from this interface")->excludes(read_opt);
  app.add_option("-f,--filter", filter, "BPF filter (overrides [sensor] bpf_filter)");
  app.add_option("--smtp-log", smtp_log, "write SMTP session records as JSON lines here ('-': stdout)");
  app.add_option("--events", events_out, "run the detectors; write detection events as JSON lines here ('-': stdout)");
  auto* url_opt = app.add_option("--notifier-url", notifier_url,
                                 "run the detectors; POST events to {URL}/api/v1/events (spooled on disk first)");
  app.add_option("--notifier-token-file", notifier_token_file, "file whose first line is the notifier bearer token")
      ->needs(url_opt);
  app.add_option("--spool", spool_dir, "folder for the HTTP event spool (spool.jsonl, spool.offset)")
      ->capture_default_str();
  app.add_option("--workers", workers,
                 "pipeline threads, each owning a share of TCP flows (1-64; overrides [sensor] workers)")
      ->check(CLI::Range(1, 64));
  app.add_flag("--no-progress", no_progress, "no progress bar when reading files on a terminal");
  app.add_flag("--libpcap-reader", libpcap_reader,
               "read every file through libpcap, not the sensor's own classic-pcap record reader")
      ->needs(read_opt);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }

  botwarden::SensorConfig cfg;
  try {
    const auto file = botwarden::ConfigFile::load(config_path);
    cfg = botwarden::load_sensor_config(file);
    botwarden::setup_logging("sensor", cfg.log_level);
    if (!notifier_token_file.empty()) notifier_token = botwarden::events::read_token_file(notifier_token_file);
  } catch (const botwarden::ConfigError& e) {
    std::cerr << "botwarden-sensor: " << e.what() << "\n";
    return 2;
  } catch (const std::runtime_error& e) {  // the token file
    std::cerr << "botwarden-sensor: " << e.what() << "\n";
    return 2;
  }
  if (!filter.empty()) cfg.capture.bpf_filter = filter;
  if (workers > 0) cfg.workers = workers;
  if (read_files.empty() && interface.empty()) {
    spdlog::info("configuration {} valid: {} subscriber prefixes, {} relays", config_path,
                 cfg.subscriber_prefixes.size(), cfg.smtp_relays.size());
    return 0;
  }

  try {
    const bool live = !interface.empty();
    // Sinks: the session log first, then (when wired) the detectors.
    botwarden::pipeline::FanoutSink sinks;
    std::unique_ptr<botwarden::smtp::SessionLogWriter> log_writer;
    std::unique_ptr<botwarden::pipeline::CallbackSink> log_sink;
    if (!smtp_log.empty()) {
      botwarden::smtp::SessionLogWriter::Rotation rotation;
      if (live) {
        rotation.max_bytes = static_cast<std::uint64_t>(cfg.session_log.rotate_mb) << 20;
        rotation.max_seconds = cfg.session_log.rotate_seconds;
      }
      log_writer = std::make_unique<botwarden::smtp::SessionLogWriter>(smtp_log, rotation, live, live);
      log_sink = std::make_unique<botwarden::pipeline::CallbackSink>(
          [&](const botwarden::smtp::SessionRecord& r) { log_writer->write(r); });
      sinks.add(*log_sink);
    }

    botwarden::events::FanoutSink event_sink;
    std::unique_ptr<botwarden::events::JsonLinesSink> file_sink;
    std::unique_ptr<botwarden::events::HttpSink> http_sink;
    std::unique_ptr<botwarden::detect::Engine> engine;
    std::unique_ptr<botwarden::pipeline::CallbackSink> detect_sink;
    if (!events_out.empty() || !notifier_url.empty()) {
      if (!events_out.empty()) {
        file_sink = std::make_unique<botwarden::events::JsonLinesSink>(events_out, live);  // files: afresh
        event_sink.add(*file_sink);
      }
      if (!notifier_url.empty()) {
        botwarden::events::HttpSinkConfig h;
        h.url = notifier_url;
        h.token = notifier_token;
        h.spool_dir = spool_dir;
        http_sink = std::make_unique<botwarden::events::HttpSink>(h);
        event_sink.add(*http_sink);
      }
      engine = std::make_unique<botwarden::detect::Engine>(cfg.name, cfg.detect, event_sink);
      detect_sink = std::make_unique<botwarden::pipeline::CallbackSink>(
          [&](const botwarden::smtp::SessionRecord& r) { engine->on_session(r); },
          [&](botwarden::Micros now) { engine->on_time(now); });
      sinks.add(*detect_sink);
    }

    botwarden::capture::LiveOptions o;
    o.interface = interface;
    o.bpf_filter = cfg.capture.bpf_filter;
    o.snaplen = cfg.capture.snaplen;
    o.buffer_mb = cfg.capture.buffer_mb;
    o.promiscuous = cfg.capture.promiscuous;
    // One pipeline, or a pool of workers each running one for its share of
    // flows; the session log and the detectors see the same records. Live
    // with workers, each worker reads its own handle of a PACKET_FANOUT group.
    std::unique_ptr<botwarden::pipeline::Pipeline> pipeline;
    std::unique_ptr<botwarden::pipeline::WorkerPool> pool;
    std::unique_ptr<botwarden::pipeline::FanoutWorkers> fanout;
    if (live && cfg.workers > 1 && cfg.capture.live_fanout) {
      std::string why;
      auto handles = botwarden::capture::open_fanout(o, static_cast<std::size_t>(cfg.workers), why);
      if (handles.handles.empty()) {
        spdlog::warn("{}; one capture thread feeds the {} workers instead", why, cfg.workers);
      } else {
        fanout = std::make_unique<botwarden::pipeline::FanoutWorkers>(botwarden::pipeline::pipeline_config(cfg),
                                                                      std::move(handles), sinks);
      }
    }
    if (!fanout && cfg.workers > 1) {  // (fanout workers read their own handles)
      pool = std::make_unique<botwarden::pipeline::WorkerPool>(botwarden::pipeline::pipeline_config(cfg),
                                                               botwarden::pipeline::worker_options(cfg), sinks);
    } else if (!fanout) {
      pipeline = std::make_unique<botwarden::pipeline::Pipeline>(botwarden::pipeline::pipeline_config(cfg), sinks);
    }
    botwarden::pipeline::install_stop_handlers();
    botwarden::pipeline::RunOptions run_options;
    run_options.stats_interval_seconds = cfg.capture.stats_interval_seconds;
    botwarden::pipeline::RunResult result;
    if (fanout) {
      botwarden::capture::drop_privileges(cfg.capture.user);
      spdlog::info("capturing on {}: PACKET_FANOUT hash group {} joined with {} sockets, one per worker", interface,
                   fanout->group(), fanout->workers());
      result = botwarden::pipeline::run_live(*fanout, run_options);
    } else if (live) {
      botwarden::capture::LiveCapture capture(o);
      botwarden::capture::drop_privileges(cfg.capture.user);
      spdlog::info("capturing on {}", interface);
      result = pool ? botwarden::pipeline::run_live(capture, *pool, run_options)
                    : botwarden::pipeline::run_live(capture, *pipeline, run_options);
    } else {
      botwarden::capture::OfflineReader reader(read_files, cfg.capture.bpf_filter,
                                               libpcap_reader ? botwarden::capture::OfflineReader::Backend::libpcap
                                                              : botwarden::capture::OfflineReader::Backend::automatic);
      run_options.progress = !no_progress && ::isatty(STDERR_FILENO) == 1;
      result = pool ? botwarden::pipeline::run_offline(reader, *pool, run_options)
                    : botwarden::pipeline::run_offline(reader, *pipeline, run_options);
    }
    if (log_writer) log_writer->close();
    event_sink.flush();
    if (http_sink) {
      const auto h = http_sink->stats();
      spdlog::info("notifier: {} accepted, {} duplicate, {} rejected, {} failed posts, {} bytes still spooled in {}",
                   h.accepted, h.duplicate, h.rejected, h.failed_posts, h.pending_bytes, spool_dir);
    }
    if (engine) {
      const auto& d = engine->stats();
      spdlog::info("detectors: {} sessions, {} events, {} subscribers tracked, {} evicted", d.sessions, d.events,
                   d.tracked_subscribers, d.evictions);
    }
    if (pool) spdlog::info("workers: {}", pool->workers());
    if (fanout) spdlog::info("workers: {} (live fanout)", fanout->workers());
    for (const auto& line : botwarden::pipeline::describe_stats(fanout ? fanout->stats()
                                                                : pool ? pool->stats()
                                                                       : pipeline->stats())) {
      spdlog::info("{}", line);
    }
    if (result.interrupted) spdlog::info("stopped by signal");
    for (const auto& e : result.errors) std::cerr << "botwarden-sensor: " << e << "\n";
    return result.errors.empty() ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "botwarden-sensor: " << e.what() << "\n";
    return 1;
  }
}
