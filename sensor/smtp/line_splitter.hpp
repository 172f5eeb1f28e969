// Incremental line splitter for SMTP commands and replies. It never reads
// past what it was given: consume() takes at most one line's bytes and says
// how many it used, so the caller can switch to raw body bytes right after
// a line (DATA, BDAT). Lines end at LF; a CR before it is dropped (bare LF
// is tolerated, as most servers do).
#pragma once
#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace botwarden::smtp {

// RFC 5321 §4.5.3.1.4 and §4.5.3.1.5: a command line and a reply line are at
// most 512 octets including CRLF, so 510 octets of text. Longer lines are
// truncated to this, the rest discarded up to LF, and flagged `truncated`.
inline constexpr std::size_t kMaxLineBytes = 510;

class LineSplitter {
 public:
  struct Result {
    std::size_t consumed = 0;  // bytes of the input used
    bool complete = false;     // a whole line is ready in line()
  };

  // Consumes bytes up to and including the first LF (or all of them).
  Result consume(std::span<const std::uint8_t> data) {
    if (complete_) {  // the previous line was handed out: start a new one
      complete_ = false;
      length_ = 0;
      truncated_ = false;
    }
    std::size_t i = 0;
    for (; i < data.size(); ++i) {
      const std::uint8_t b = data[i];
      if (b == '\n') {
        if (!truncated_ && length_ > 0 && buffer_[length_ - 1] == '\r') --length_;
        if (length_ > kMaxLineBytes) {  // the one spare byte held text, not a CR
          length_ = kMaxLineBytes;
          truncated_ = true;
        }
        complete_ = true;
        return {i + 1, true};
      }
      if (length_ < buffer_.size()) {
        buffer_[length_++] = static_cast<char>(b);
      } else {
        truncated_ = true;  // discarded up to LF
      }
    }
    return {i, false};
  }

  // The finished line, without CR/LF (valid after a complete Result).
  std::string_view line() const { return {buffer_.data(), length_ > kMaxLineBytes ? kMaxLineBytes : length_}; }
  bool truncated() const { return truncated_; }
  // Bytes of an unfinished line held so far.
  std::size_t pending_bytes() const { return complete_ ? 0 : length_; }
  // Forgets a partial line (after a gap in the stream).
  void reset() {
    complete_ = false;
    length_ = 0;
    truncated_ = false;
  }

 private:
  std::array<char, kMaxLineBytes + 1> buffer_{};  // + room for the CR of a full line
  std::size_t length_ = 0;
  bool truncated_ = false;
  bool complete_ = false;
};

}  // namespace botwarden::smtp
