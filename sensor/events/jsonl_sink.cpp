// JSON-lines sink; see jsonl_sink.hpp.
#include "jsonl_sink.hpp"

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace botwarden::events {

JsonLinesSink::JsonLinesSink(const std::string& path, bool append) : path_(path) {
  if (path == "-") {
    out_ = stdout;
    return;
  }
  out_ = std::fopen(path.c_str(), append ? "ae" : "we");
  if (!out_) throw std::runtime_error(path + ": cannot open for writing: " + std::strerror(errno));
  owned_ = true;
}

JsonLinesSink::~JsonLinesSink() {
  if (owned_ && out_) std::fclose(out_);
  else if (out_) std::fflush(out_);
}

void JsonLinesSink::emit(const DetectionEvent& event) {
  const std::string line = to_json_line(event) + "\n";
  if (std::fwrite(line.data(), 1, line.size(), out_) != line.size() || std::fflush(out_) != 0) {
    throw std::runtime_error(path_ + ": write failed: " + std::strerror(errno));
  }
  ++written_;
}

void JsonLinesSink::flush() { std::fflush(out_); }

}  // namespace botwarden::events
