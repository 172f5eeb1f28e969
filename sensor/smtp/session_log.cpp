// JSON lines for session records, with our own small escaper so that the
// output is deterministic and valid whatever bytes came off the wire.
#include "sensor/smtp/session_log.hpp"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

namespace botwarden::smtp {

namespace {

constexpr char kHex[] = "0123456789abcdef";

void append_escaped_byte(std::string& out, unsigned char b) {
  out += "\\u00";
  out.push_back(kHex[b >> 4]);
  out.push_back(kHex[b & 0xf]);
}

// Length of the valid UTF-8 sequence at s[i] (RFC 3629 §4: no overlongs,
// no surrogates, nothing above U+10FFFF), or 0 when it is not valid.
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  auto cont = [&](std::size_t k, unsigned char lo = 0x80, unsigned char hi = 0xbf) {
    if (i + k >= s.size()) return false;
    const auto b = static_cast<unsigned char>(s[i + k]);
    return b >= lo && b <= hi;
  };
  if (b0 >= 0xc2 && b0 <= 0xdf) return cont(1) ? 2 : 0;
  if (b0 == 0xe0) return cont(1, 0xa0, 0xbf) && cont(2) ? 3 : 0;
  if ((b0 >= 0xe1 && b0 <= 0xec) || b0 == 0xee || b0 == 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (b0 == 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0;
  if (b0 == 0xf0) return cont(1, 0x90, 0xbf) && cont(2) && cont(3) ? 4 : 0;
  if (b0 >= 0xf1 && b0 <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (b0 == 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

void key(std::string& out, const char* name) {
  out.push_back(',');
  out.push_back('"');
  out += name;
  out += "\":";
}
void field(std::string& out, const char* name, std::string_view value) {
  key(out, name);
  append_json_string(out, value);
}
void field(std::string& out, const char* name, std::uint64_t value) {
  key(out, name);
  out += std::to_string(value);
}
void field(std::string& out, const char* name, bool value) {
  key(out, name);
  out += value ? "true" : "false";
}

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
  out.push_back('"');
  for (std::size_t i = 0; i < text.size();) {
    const auto b = static_cast<unsigned char>(text[i]);
    if (b < 0x80) {
      switch (b) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
          if (b < 0x20 || b == 0x7f) append_escaped_byte(out, b);
          else out.push_back(static_cast<char>(b));
      }
      ++i;
      continue;
    }
    const std::size_t n = utf8_sequence_length(text, i);
    if (n == 0) {
      append_escaped_byte(out, b);  // not UTF-8: the byte as U+00XX
      ++i;
    } else {
      out.append(text.substr(i, n));
      i += n;
    }
  }
  out.push_back('"');
}

std::string format_session_json(const SessionRecord& r) {
  std::string out;
  out.reserve(512);
  out += "{\"ts\":";
  out += format_epoch_seconds(r.ts);
  field(out, "uid", r.uid);
  field(out, "id.orig_h", r.orig_h.to_string());
  field(out, "id.orig_p", std::uint64_t{r.orig_p});
  field(out, "id.resp_h", r.resp_h.to_string());
  field(out, "id.resp_p", std::uint64_t{r.resp_p});
  field(out, "trans_depth", std::uint64_t{r.trans_depth});
  field(out, "helo", r.helo);
  field(out, "ehlo", r.ehlo);
  field(out, "helo_count", std::uint64_t{r.helo_count});
  field(out, "banner", r.banner);
  field(out, "mailfrom", r.mailfrom);
  key(out, "rcptto");
  out.push_back('[');
  for (std::size_t i = 0; i < r.rcptto.size(); ++i) {
    if (i > 0) out.push_back(',');
    append_json_string(out, r.rcptto[i]);
  }
  out.push_back(']');
  field(out, "rcpt_rejected", std::uint64_t{r.rcpt_rejected});
  field(out, "last_reply", r.last_reply);
  field(out, "tls", r.tls);
  field(out, "auth", r.auth);
  field(out, "path", std::string_view(to_string(r.path)));
  field(out, "subscriber_is_orig", r.subscriber_is_orig);
  field(out, "msg_bytes", r.msg_bytes);
  field(out, "data_accepted", r.data_accepted);
  field(out, "rejected", r.rejected);
  field(out, "replies_4xx", std::uint64_t{r.replies_4xx});
  field(out, "replies_5xx", std::uint64_t{r.replies_5xx});
  field(out, "partial", r.partial);
  field(out, "ndpi", r.ndpi);
  key(out, "weirds");
  out.push_back('[');
  for (std::size_t i = 0; i < r.weirds.size(); ++i) {
    if (i > 0) out.push_back(',');
    append_json_string(out, r.weirds[i]);
  }
  out.push_back(']');
  key(out, "last_ts");
  out += format_epoch_seconds(r.last_ts);
  out.push_back('}');
  return out;
}

SessionLogWriter::SessionLogWriter(std::string path, Rotation rotation, bool flush_each_record, bool append)
    : path_(std::move(path)), rotation_(rotation), flush_each_(flush_each_record), append_(append) {
  if (path_ == "-") rotation_ = {};
  open();
}

SessionLogWriter::~SessionLogWriter() {
  try {
    close();
  } catch (...) {  // destructors must not throw; close() explicitly to see errors
  }
}

void SessionLogWriter::open() {
  if (path_ == "-") {
    file_ = stdout;
  } else {
    // After a rotation the path is new, so appending and truncating agree.
    file_ = std::fopen(path_.c_str(), append_ ? "ae" : "we");
    if (file_ == nullptr) {
      throw std::runtime_error("cannot open session log '" + path_ + "': " + std::strerror(errno));
    }
  }
  struct stat st {};
  bytes_in_file_ = (path_ != "-" && ::stat(path_.c_str(), &st) == 0) ? static_cast<std::uint64_t>(st.st_size) : 0;
  opened_at_ = static_cast<std::int64_t>(std::time(nullptr));
}

void SessionLogWriter::close() {
  if (file_ == nullptr) return;
  std::FILE* f = file_;
  file_ = nullptr;
  const bool failed = std::fflush(f) != 0 || std::ferror(f) != 0;
  if (f != stdout) std::fclose(f);
  if (failed) throw std::runtime_error("writing session log '" + path_ + "' failed: " + std::strerror(errno));
}

void SessionLogWriter::rotate() {
  close();
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
  std::string target = path_ + "." + stamp;
  for (int n = 1; ::access(target.c_str(), F_OK) == 0; ++n) {
    target = path_ + "." + stamp + "-" + std::to_string(n);
  }
  if (std::rename(path_.c_str(), target.c_str()) != 0) {
    throw std::runtime_error("cannot rotate session log '" + path_ + "' to '" + target + "': " + std::strerror(errno));
  }
  ++rotations_;
  open();
}

void SessionLogWriter::write(const SessionRecord& r) {
  if (file_ == nullptr) open();
  if (bytes_in_file_ > 0 &&
      ((rotation_.max_bytes > 0 && bytes_in_file_ >= rotation_.max_bytes) ||
       (rotation_.max_seconds > 0 &&
        static_cast<std::int64_t>(std::time(nullptr)) - opened_at_ >= rotation_.max_seconds))) {
    rotate();
  }
  line_ = format_session_json(r);
  line_.push_back('\n');
  if (std::fwrite(line_.data(), 1, line_.size(), file_) != line_.size()) {
    throw std::runtime_error("writing session log '" + path_ + "' failed: " + std::strerror(errno));
  }
  if (flush_each_) std::fflush(file_);
  bytes_in_file_ += line_.size();
  ++records_;
}

}  // namespace botwarden::smtp
