// HTTP sink with an on-disk spool; see http_sink.hpp.
#include "http_sink.hpp"

#include <curl/curl.h>
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <vector>

namespace botwarden::events {
namespace {

std::runtime_error os_error(const std::string& path, const char* what) {
  return std::runtime_error(path + ": " + what + ": " + std::strerror(errno));
}

void fsync_dir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

std::size_t collect(char* data, std::size_t size, std::size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

struct Line {
  std::uint64_t end;  // spool offset just past this line's newline
  std::string text;
  std::string id;     // empty when the line is not a JSON object with an "id"
};

}  // namespace

std::string read_token_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot read the token file");
  std::string token;
  std::getline(in, token);
  while (!token.empty() && (token.back() == '\r' || token.back() == ' ' || token.back() == '\t')) token.pop_back();
  while (!token.empty() && (token.front() == ' ' || token.front() == '\t')) token.erase(0, 1);
  if (token.empty()) throw std::runtime_error(path + ": the token file's first line is empty");
  if (token.find_first_of("\r\n") != std::string::npos) {
    throw std::runtime_error(path + ": the token contains a line break");
  }
  return token;
}

HttpSink::HttpSink(HttpSinkConfig config) : config_(std::move(config)), batch_size_(config_.batch_size) {
  if (config_.token.find_first_of("\r\n") != std::string::npos) {
    throw std::runtime_error("notifier token: contains a line break");  // header injection
  }
  if (batch_size_ == 0) batch_size_ = 1;
  std::error_code ec;
  std::filesystem::create_directories(config_.spool_dir, ec);
  if (ec) throw std::runtime_error(config_.spool_dir + ": cannot create the spool folder: " + ec.message());
  spool_path_ = config_.spool_dir + "/spool.jsonl";
  offset_path_ = config_.spool_dir + "/spool.offset";
  spool_fd_ = ::open(spool_path_.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (spool_fd_ < 0) throw os_error(spool_path_, "cannot open the spool");
  struct stat st {};
  if (::fstat(spool_fd_, &st) != 0) throw os_error(spool_path_, "cannot stat the spool");
  size_ = static_cast<std::uint64_t>(st.st_size);
  // A crash mid-append leaves a line without its newline: that event was
  // never acknowledged to anyone, so it is cut rather than sent half.
  if (size_ > 0) {
    std::uint64_t end = size_;
    char c = 0;
    while (end > 0 && ::pread(spool_fd_, &c, 1, static_cast<off_t>(end - 1)) == 1 && c != '\n') --end;
    if (end != size_) {
      spdlog::warn("{}: cutting {} bytes of an unfinished last line", spool_path_, size_ - end);
      if (::ftruncate(spool_fd_, static_cast<off_t>(end)) != 0) throw os_error(spool_path_, "cannot truncate");
      size_ = end;
    }
  }
  std::ifstream off(offset_path_);
  if (off) {
    std::uint64_t value = 0;
    if (off >> value) offset_ = value;
  }
  if (offset_ > size_) {
    // The spool was truncated after the offset was reset (see compaction) or
    // replaced: send it all again; the notifier recognises re-sent ids.
    spdlog::warn("{}: offset {} beyond the spool's {} bytes; re-sending from the start", offset_path_, offset_,
                 size_);
    offset_ = 0;
  }
  static const bool curl_ready = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  if (!curl_ready) throw std::runtime_error("libcurl could not be initialised");
  sender_ = std::thread([this] { run(); });
}

HttpSink::~HttpSink() {
  if (!gave_up_) flush();  // once flush() has waited its full drain time, do not wait again
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  sender_.join();
  if (spool_fd_ >= 0) ::close(spool_fd_);
}

void HttpSink::emit(const DetectionEvent& event) {
  const std::string line = to_json_line(event) + "\n";
  std::lock_guard lock(mutex_);
  std::size_t written = 0;
  while (written < line.size()) {
    const auto n = ::write(spool_fd_, line.data() + written, line.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw os_error(spool_path_, "cannot append to the spool");
    written += static_cast<std::size_t>(n);
  }
  if (::fdatasync(spool_fd_) != 0) throw os_error(spool_path_, "cannot sync the spool");
  size_ += line.size();
  wake_.notify_all();
}

void HttpSink::flush() {
  std::unique_lock lock(mutex_);
  wake_.notify_all();
  gave_up_ = !drained_.wait_for(lock, std::chrono::milliseconds(config_.drain_timeout_ms),
                               [&] { return offset_ >= size_ || stop_; });
}

HttpSink::Stats HttpSink::stats() const {
  std::lock_guard lock(mutex_);
  Stats s = stats_;
  s.pending_bytes = size_ - offset_;
  return s;
}

void HttpSink::store_offset(std::uint64_t offset) {
  // Written beside, synced, renamed over: the offset file is never half written.
  const std::string tmp = offset_path_ + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    spdlog::error("{}: cannot write: {}", tmp, std::strerror(errno));
    return;
  }
  const std::string text = std::to_string(offset) + "\n";
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || std::rename(tmp.c_str(), offset_path_.c_str()) != 0) {
    spdlog::error("{}: cannot store the spool offset: {}", offset_path_, std::strerror(errno));
    return;
  }
  fsync_dir(config_.spool_dir);
}

void HttpSink::run() {
  long backoff = config_.backoff_initial_ms;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stop_ || offset_ < size_; });
      if (stop_) return;
    }
    if (send_one_batch()) {
      backoff = config_.backoff_initial_ms;
      continue;
    }
    std::unique_lock lock(mutex_);
    if (wake_.wait_for(lock, std::chrono::milliseconds(backoff), [&] { return stop_; })) return;
    backoff = std::min(backoff * 2, config_.backoff_max_ms);
  }
}

bool HttpSink::send_one_batch() {
  std::uint64_t from = 0;
  std::uint64_t to = 0;
  {
    std::lock_guard lock(mutex_);
    from = offset_;
    to = size_;
  }
  // Read whole lines from the spool, at most batch_size_ of them.
  std::vector<Line> lines;
  std::string chunk;
  std::uint64_t pos = from;
  std::string carry;
  std::vector<char> buf(1 << 16);
  while (pos < to && lines.size() < batch_size_) {
    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), to - pos));
    const auto got = ::pread(spool_fd_, buf.data(), want, static_cast<off_t>(pos));
    if (got <= 0) break;
    std::size_t start = 0;
    for (std::size_t i = 0; i < static_cast<std::size_t>(got) && lines.size() < batch_size_; ++i) {
      if (buf[i] != '\n') continue;
      carry.append(buf.data() + start, i - start);
      Line l;
      l.end = pos + i + 1;
      l.text = std::move(carry);
      carry.clear();
      try {
        const auto j = nlohmann::json::parse(l.text);
        if (j.is_object() && j.contains("id") && j["id"].is_string()) l.id = j["id"].get<std::string>();
      } catch (const nlohmann::json::exception&) {
      }
      lines.push_back(std::move(l));
      start = i + 1;
    }
    if (lines.size() >= batch_size_) break;
    carry.append(buf.data() + start, static_cast<std::size_t>(got) - start);
    pos += static_cast<std::uint64_t>(got);
  }
  if (lines.empty()) return false;

  // Lines that are not events cannot be sent; they are dropped, loudly.
  std::string body = "{\"events\":[";
  bool first = true;
  for (const auto& l : lines) {
    if (l.id.empty()) continue;
    body += first ? "" : ",";
    body += l.text;
    first = false;
  }
  body += "]}";

  std::map<std::string, std::pair<std::string, std::string>> results;  // id -> status, reason
  long status = 0;
  if (!first) {
    CURL* curl = curl_easy_init();
    if (!curl) return false;
    std::string response;
    const std::string url = config_.url + (config_.url.ends_with('/') ? "" : "/") + "api/v1/events";
    const std::string auth = "Authorization: Bearer " + config_.token;
    curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
    headers = curl_slist_append(headers, auth.c_str());
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, config_.timeout_ms);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    const CURLcode rc = curl_easy_perform(curl);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    if (rc != CURLE_OK) {
      spdlog::warn("notifier {}: {}; {} events stay spooled", url, curl_easy_strerror(rc), lines.size());
      std::lock_guard lock(mutex_);
      ++stats_.failed_posts;
      return false;
    }
    if (status == 413 && batch_size_ > 1) {
      batch_size_ = std::max<std::size_t>(1, batch_size_ / 2);
      spdlog::warn("notifier {}: batch too large (413); sending {} events at a time", url, batch_size_);
      std::lock_guard lock(mutex_);
      ++stats_.failed_posts;
      return true;  // retry at once, smaller
    }
    if (status == 400 && lines.size() > 1) {
      batch_size_ = 1;  // isolate the event the notifier cannot parse
      std::lock_guard lock(mutex_);
      ++stats_.failed_posts;
      return true;
    }
    if (status == 400 || status == 413) {
      spdlog::error("notifier {}: HTTP {} for event {}: {}; dropped", url, status, lines.front().id, response);
      results[lines.front().id] = {"rejected", "HTTP " + std::to_string(status)};
    } else if (status != 200) {
      spdlog::warn("notifier {}: HTTP {}: {}; {} events stay spooled", url, status, response.substr(0, 200),
                   lines.size());
      std::lock_guard lock(mutex_);
      ++stats_.failed_posts;
      return false;
    } else {
      try {
        const auto j = nlohmann::json::parse(response);
        for (const auto& r : j.at("results")) {
          results[r.at("id").get<std::string>()] = {r.at("status").get<std::string>(), r.value("reason", "")};
        }
      } catch (const nlohmann::json::exception& e) {
        spdlog::warn("notifier {}: unreadable answer ({}); {} events stay spooled", url, e.what(), lines.size());
        std::lock_guard lock(mutex_);
        ++stats_.failed_posts;
        return false;
      }
    }
  }

  // Advance past every line answered (or unsendable), stopping at the first
  // event the notifier did not answer for.
  std::uint64_t advanced = from;
  Stats delta;
  for (const auto& l : lines) {
    if (l.id.empty()) {
      spdlog::error("{}: a spooled line is not an event; dropped: {}", spool_path_, l.text.substr(0, 200));
      ++delta.rejected;
      advanced = l.end;
      continue;
    }
    const auto it = results.find(l.id);
    if (it == results.end()) break;
    const auto& [state, reason] = it->second;
    if (state == "accepted") ++delta.accepted;
    else if (state == "duplicate") ++delta.duplicate;
    else {
      ++delta.rejected;
      spdlog::error("notifier rejected event {}: {}; dropped", l.id, reason);
    }
    advanced = l.end;
  }
  if (advanced == from) {
    std::lock_guard lock(mutex_);
    ++stats_.failed_posts;
    return false;
  }
  store_offset(advanced);
  std::lock_guard lock(mutex_);
  offset_ = advanced;
  stats_.accepted += delta.accepted;
  stats_.duplicate += delta.duplicate;
  stats_.rejected += delta.rejected;
  if (offset_ >= size_ && size_ >= config_.compact_bytes) {
    // Everything delivered: start the spool afresh. Offset first, so a crash
    // in between re-sends (recognised by id) rather than loses.
    store_offset(0);
    if (::ftruncate(spool_fd_, 0) == 0) {
      offset_ = size_ = 0;
    } else {
      spdlog::error("{}: cannot truncate: {}", spool_path_, std::strerror(errno));
      store_offset(offset_);
    }
  }
  if (offset_ >= size_) drained_.notify_all();
  return true;
}

}  // namespace botwarden::events
