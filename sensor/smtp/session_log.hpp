// The session log: one JSON object per line per SessionRecord, with Zeek
// smtp.log field names where the concept is the same (docs/SENSOR.md lists
// every field). Strings from the wire are written as valid JSON whatever
// bytes they hold: valid UTF-8 is kept, every other byte becomes \u00XX.
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "sensor/smtp/session_record.hpp"

namespace botwarden::smtp {

// Appends `text` as a JSON string literal (quotes included).
void append_json_string(std::string& out, std::string_view text);
// One log line for `r`, without the trailing newline.
std::string format_session_json(const SessionRecord& r);

// Writes log lines to a file ("-" is stdout), rotating by size and age when
// asked: the current file is renamed to "<path>.<UTC yyyymmddThhmmssZ>" and
// a new one started.
class SessionLogWriter {
 public:
  struct Rotation {
    std::uint64_t max_bytes = 0;     // 0: never by size
    std::int64_t max_seconds = 0;    // 0: never by age (wall clock)
  };
  // Throws std::runtime_error naming the path when it cannot be opened.
  // `append`: keep what the file holds (live, across restarts); otherwise
  // start it afresh (reading files: a rerun does not duplicate records).
  SessionLogWriter(std::string path, Rotation rotation, bool flush_each_record, bool append = false);
  SessionLogWriter(const SessionLogWriter&) = delete;
  SessionLogWriter& operator=(const SessionLogWriter&) = delete;
  ~SessionLogWriter();

  // Throws std::runtime_error on a write error (disk full, ...).
  void write(const SessionRecord& r);
  // Flushes and closes; throws on a write error. Called by the destructor (which swallows).
  void close();
  std::uint64_t records_written() const { return records_; }
  unsigned rotations() const { return rotations_; }

 private:
  void open();
  void rotate();

  std::string path_;
  Rotation rotation_;
  bool flush_each_;
  bool append_;
  std::FILE* file_ = nullptr;
  std::uint64_t bytes_in_file_ = 0;
  std::int64_t opened_at_ = 0;
  std::uint64_t records_ = 0;
  unsigned rotations_ = 0;
  std::string line_;
};

}  // namespace botwarden::smtp
