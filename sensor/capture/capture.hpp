// Packet sources: offline files (pcap and pcapng, several in order) and a
// live interface. Both hand out the same Packet, so the pipeline does not
// know where packets come from.
#pragma once
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <pcap/pcap.h>

#include "sensor/common/time.hpp"

namespace botwarden::capture {

class CaptureError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Packet {
  Micros ts = 0;
  int link_type = 0;                     // pcap_datalink() of the source
  std::span<const std::uint8_t> data;    // captured bytes (valid until the next read)
  std::uint32_t wire_length = 0;
};

enum class ReadStatus : std::uint8_t {
  packet,   // `p` is filled
  timeout,  // live: no packet within the read timeout
  end,      // no more input
  error,    // see error(); offline: reading goes on with the next file
};

// Reads capture files in order. libpcap opens each file (any format it
// knows: pcap, pcapng, with messages for what it refuses) with fopen + a
// 1 MiB stdio buffer + pcap_fopen_offline (more than twice as fast as
// pcap_open_offline; /work/shared/PERF_NOTES.md), timestamps in microseconds.
//
// A classic pcap file in this machine's byte order (version 2.4, micro- or
// nanosecond magic, a link type the decoder knows and libpcap does not
// rewrite) with no BPF filter is then walked by our own record reader
// instead: plain read() of 1 MiB blocks, each packet handed out in place.
// That skips libpcap's two fread copies per packet (~670 instructions per
// packet, docs/PERFORMANCE.md) and gives exactly what libpcap would give:
// the same packets, the same snapshot-length cut, the same error messages
// (tests/unit/sensor/test_capture.cpp and fuzz-capture compare the two
// record by record). Backend::libpcap forces libpcap for every file.
class OfflineReader {
 public:
  enum class Backend : std::uint8_t { automatic, libpcap };

  // Checks that every file can be opened; throws CaptureError naming the
  // first that cannot. `bpf_filter` (may be empty) applies to every file.
  explicit OfflineReader(std::vector<std::string> files, std::string bpf_filter = {},
                         Backend backend = Backend::automatic);
  OfflineReader(const OfflineReader&) = delete;
  OfflineReader& operator=(const OfflineReader&) = delete;
  ~OfflineReader();

  // Inline: the read loop keeps its registers and the Packet's fields.
  [[gnu::always_inline]] ReadStatus next(Packet& p) {
    // The common case first: our record reader has a whole record buffered.
    if (fd_ >= 0) [[likely]] {
      if (static_cast<std::size_t>(end_ - at_) >= kRecordHeader) [[likely]] {
        std::uint32_t h[4];
        std::memcpy(h, at_, sizeof h);  // seconds, fraction, caplen, len (this machine's byte order)
        if (h[2] <= snapshot_ && h[2] <= static_cast<std::size_t>(end_ - at_) - kRecordHeader) [[likely]] {
          return hand_out(h, h[2], p);
        }
      }
      return own_record(p);
    }
    if (pcap_ != nullptr) [[likely]] {
      pcap_pkthdr* header = nullptr;
      const u_char* data = nullptr;
      const int rc = pcap_next_ex(pcap_, &header, &data);
      if (rc == 1) [[likely]] {
        ++packets_in_file_;
        ++packets_;
        p.ts = static_cast<Micros>(header->ts.tv_sec) * kMicrosPerSecond + static_cast<Micros>(header->ts.tv_usec);
        p.link_type = link_type_;
        p.data = std::span<const std::uint8_t>(data, header->caplen);
        p.wire_length = header->len;
        return ReadStatus::packet;
      }
      return end_of_file(rc, p);
    }
    return next_file(p);
  }
  // The last error: "FILE: what happened (after N packets)".
  const std::string& error() const { return error_; }
  // Fraction of all input bytes read so far (for the progress bar).
  double progress() const;
  std::size_t file_index() const { return index_; }
  std::size_t file_count() const { return files_.size(); }
  std::uint64_t packets() const { return packets_; }
  // Whether the file being read goes through our record reader (false
  // between files and for files libpcap reads).
  bool own_reader() const { return fd_ >= 0; }

 private:
  static constexpr std::size_t kRecordHeader = 16;

  // The whole record at at_ (header `h`, its first `kept` data bytes) as the
  // next packet; at_ moves past all of its caplen bytes.
  [[gnu::always_inline]] ReadStatus hand_out(const std::uint32_t (&h)[4], std::uint32_t kept, Packet& p) {
    ++packets_in_file_;
    ++packets_;
    const auto fraction = static_cast<std::int32_t>(h[1]);
    p.ts = static_cast<Micros>(static_cast<std::int32_t>(h[0])) * kMicrosPerSecond +
           (nanoseconds_ ? fraction / 1000 : fraction);
    p.link_type = link_type_;
    p.data = std::span<const std::uint8_t>(at_ + kRecordHeader, kept);
    p.wire_length = h[3];
    at_ += kRecordHeader + h[2];
    return ReadStatus::packet;
  }

  bool open_next();
  bool open_own(const std::string& name);
  void close_current();
  ReadStatus end_of_file(int rc, Packet& p);
  ReadStatus next_file(Packet& p);
  ReadStatus own_record(Packet& p);
  bool fill(std::size_t want);  // buffers at least `want` bytes unless the file ends; false on a read error
  ReadStatus own_failed(const std::string& what);

  std::vector<std::string> files_;
  std::vector<std::uint64_t> sizes_;
  std::string bpf_filter_;
  Backend backend_ = Backend::automatic;
  std::size_t index_ = 0;  // the file being read (== count when done)
  bool opened_ = false;
  pcap_t* pcap_ = nullptr;
  int link_type_ = 0;  // pcap_datalink() of the open file (a call per packet otherwise)
  std::FILE* file_ = nullptr;
  std::vector<char> buffer_;
  // Our record reader: the open file, its buffered bytes [at_, end_).
  int fd_ = -1;
  std::uint32_t snapshot_ = 0;  // pcap_snapshot() of the file: longer records are cut to it
  bool nanoseconds_ = false;
  std::unique_ptr<std::uint8_t[]> block_;
  std::size_t block_size_ = 0;
  const std::uint8_t* at_ = nullptr;
  const std::uint8_t* end_ = nullptr;
  bool eof_ = false;
  std::uint64_t file_offset_ = 0;  // bytes read from fd_ so far
  std::uint64_t packets_in_file_ = 0;
  std::uint64_t packets_ = 0;
  std::uint64_t done_bytes_ = 0;
  std::uint64_t total_bytes_ = 0;
  std::string error_;
};

struct LiveOptions {
  std::string interface;
  std::string bpf_filter;
  int snaplen = 65535;
  int buffer_mb = 64;
  bool promiscuous = true;
  int read_timeout_ms = 250;
};

struct LiveStats {
  std::uint64_t received = 0;           // pcap_stats ps_recv
  std::uint64_t dropped = 0;            // ps_drop: no room in the buffer
  std::uint64_t interface_dropped = 0;  // ps_ifdrop
};

class LiveCapture {
 public:
  // Opens and activates the interface; throws CaptureError ("eth9: No such device exists", ...).
  explicit LiveCapture(const LiveOptions& options);
  LiveCapture(const LiveCapture&) = delete;
  LiveCapture& operator=(const LiveCapture&) = delete;
  ~LiveCapture();

  ReadStatus next(Packet& p);
  const std::string& error() const { return error_; }
  // Totals since the handle opened; call from the reading thread only.
  LiveStats stats() const;
  // Joins this handle's AF_PACKET socket to PACKET_FANOUT group `group` in
  // hash mode with defragmentation: the kernel's flow hash is symmetric in
  // the two endpoints, so both directions of a TCP connection reach the same
  // member. Returns "" or why the kernel refused (strerror).
  std::string join_fanout(std::uint16_t group);

 private:
  pcap_t* pcap_ = nullptr;
  int link_type_ = 0;
  int selectable_fd_ = -1;
  int read_timeout_ms_ = 250;
  std::string error_;
};

// `count` handles on one interface (the same options), all in one
// PACKET_FANOUT hash group: one per worker thread (sensor/pipeline/workers.hpp).
struct FanoutCapture {
  std::vector<std::unique_ptr<LiveCapture>> handles;  // empty when the group could not be joined
  std::uint16_t group = 0;
  // Until every handle had joined, a packet could reach two of them, and
  // the group's size (which picks the member of a flow) was changing: a
  // reader skips packets timestamped before this.
  Micros joined_at = 0;
};
// Opens `count` handles and joins them to group getpid() & 0xffff. Throws
// CaptureError when a handle cannot be opened; when the kernel refuses the
// group (old kernel, not an AF_PACKET socket) returns no handles and sets
// `why` ("lo: cannot join PACKET_FANOUT group 4242: Invalid argument").
FanoutCapture open_fanout(const LiveOptions& options, std::size_t count, std::string& why);

// Switches to `user` (its uid, gid and groups) after the capture is open.
// No-op when `user` is empty. Throws CaptureError when the user is unknown
// or the switch fails; when not root, throws unless already that user.
void drop_privileges(const std::string& user);

}  // namespace botwarden::capture
