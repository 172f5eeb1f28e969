// HTTP event sink: events go first to an append-only on-disk spool
// (spool.jsonl, fsync'd) and a sender thread POSTs them in batches to the
// notifier (POST {url}/api/v1/events, Authorization: Bearer <token>, body
// {"events":[...]}), advancing spool.offset (written atomically) past
// every event the notifier answered "accepted", "duplicate" or "rejected".
// A notifier outage loses nothing: the spool waits, with exponential
// backoff, and survives restarts; a re-sent event is recognised by its id.
// A rejected event is logged and dropped, never blocking the spool.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "detection_event.hpp"

namespace botwarden::events {

struct HttpSinkConfig {
  std::string url;                       // notifier base URL, e.g. "http://127.0.0.1:8080"
  std::string token;                     // bearer token (no CR/LF)
  std::string spool_dir;                 // holds spool.jsonl and spool.offset; created if missing
  std::size_t batch_size = 100;          // events per POST (halved on 413)
  long timeout_ms = 10000;               // per request
  long backoff_initial_ms = 1000;        // after a failed POST; doubles up to backoff_max_ms
  long backoff_max_ms = 60000;
  long drain_timeout_ms = 10000;         // flush()/destructor wait at most this long for delivery
  std::uint64_t compact_bytes = 1 << 20; // truncate the spool once all of it is delivered and it is this big
};

// Reads a token file: its first line, trimmed. Throws std::runtime_error
// naming the file when it is missing, empty or holds a CR/LF inside.
std::string read_token_file(const std::string& path);

class HttpSink : public EventSink {
 public:
  // Throws std::runtime_error naming the path when the spool cannot be opened.
  explicit HttpSink(HttpSinkConfig config);
  ~HttpSink() override;  // drains for up to drain_timeout_ms; the rest stays spooled
  HttpSink(const HttpSink&) = delete;
  HttpSink& operator=(const HttpSink&) = delete;

  void emit(const DetectionEvent& event) override;  // appended and fsync'd; never blocks on the network
  void flush() override;                            // waits until delivered or drain_timeout_ms passed

  struct Stats {
    std::uint64_t accepted = 0;
    std::uint64_t duplicate = 0;
    std::uint64_t rejected = 0;
    std::uint64_t failed_posts = 0;  // transport errors and non-200 answers
    std::uint64_t pending_bytes = 0; // spooled, not yet answered
  };
  Stats stats() const;

 private:
  void run();
  bool send_one_batch();  // false: nothing sent (empty spool or failure)
  void store_offset(std::uint64_t offset);

  HttpSinkConfig config_;
  std::string spool_path_;
  std::string offset_path_;
  int spool_fd_ = -1;
  std::uint64_t offset_ = 0;   // first byte not yet answered
  std::uint64_t size_ = 0;     // bytes in the spool
  std::size_t batch_size_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;     // new events or stop
  std::condition_variable drained_;  // offset_ reached size_
  Stats stats_;
  bool stop_ = false;
  bool gave_up_ = false;  // the last flush() timed out
  std::thread sender_;
};

}  // namespace botwarden::events
