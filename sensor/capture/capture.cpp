// Offline and live packet sources (capture.hpp).
#include "sensor/capture/capture.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <grp.h>
#include <linux/if_packet.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

namespace botwarden::capture {

namespace {

constexpr std::size_t kStdioBuffer = std::size_t{1} << 20;
// Our record reader reads 1 MiB at a time into a block that also holds the
// largest record libpcap accepts (262,144 bytes for the link types below)
// and its header, so a record never needs a second buffer.
constexpr std::size_t kReadChunk = std::size_t{1} << 20;
constexpr std::uint32_t kMaxSnaplen = 262144;  // libpcap's MAXIMUM_SNAPLEN

// Link types (DLT values, after libpcap's mapping) whose records libpcap
// hands out unchanged and whose maximum length is kMaxSnaplen.
bool plain_link_type(int dlt) {
  switch (dlt) {
    case DLT_NULL:
    case DLT_EN10MB:
    case DLT_RAW:
    case DLT_LOOP:
    case DLT_LINUX_SLL:
    case DLT_LINUX_SLL2:
    case DLT_IPV4:
    case DLT_IPV6:
      return true;
    default:
      return false;
  }
}

void apply_filter(pcap_t* pcap, const std::string& filter, const std::string& where) {
  if (filter.empty()) return;
  bpf_program program{};
  if (pcap_compile(pcap, &program, filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
    throw CaptureError(where + ": invalid BPF filter '" + filter + "': " + pcap_geterr(pcap));
  }
  const int rc = pcap_setfilter(pcap, &program);
  pcap_freecode(&program);
  if (rc != 0) throw CaptureError(where + ": cannot set BPF filter: " + pcap_geterr(pcap));
}

Micros to_micros(const timeval& tv) {
  return static_cast<Micros>(tv.tv_sec) * kMicrosPerSecond + static_cast<Micros>(tv.tv_usec);
}

}  // namespace

OfflineReader::OfflineReader(std::vector<std::string> files, std::string bpf_filter, Backend backend)
    : files_(std::move(files)), bpf_filter_(std::move(bpf_filter)), backend_(backend) {
  for (const auto& f : files_) {
    std::FILE* probe = std::fopen(f.c_str(), "rbe");
    if (probe == nullptr) throw CaptureError("cannot open " + f + ": " + std::strerror(errno));
    std::fclose(probe);
    struct stat st {};
    const std::uint64_t size = ::stat(f.c_str(), &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
    sizes_.push_back(size);
    total_bytes_ += size;
  }
  buffer_.resize(kStdioBuffer);
}

OfflineReader::~OfflineReader() { close_current(); }

void OfflineReader::close_current() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  at_ = end_ = nullptr;
  if (pcap_ != nullptr) {
    pcap_close(pcap_);  // closes file_ too
  } else if (file_ != nullptr) {
    std::fclose(file_);
  }
  pcap_ = nullptr;
  file_ = nullptr;
}

bool OfflineReader::open_next() {
  const std::string& name = files_[index_];
  file_ = std::fopen(name.c_str(), "rbe");
  if (file_ == nullptr) {
    error_ = "cannot open " + name + ": " + std::strerror(errno);
    return false;
  }
  std::setvbuf(file_, buffer_.data(), _IOFBF, buffer_.size());
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_ = pcap_fopen_offline_with_tstamp_precision(file_, PCAP_TSTAMP_PRECISION_MICRO, errbuf);
  if (pcap_ == nullptr) {
    error_ = name + ": not a readable pcap or pcapng file: " + errbuf;
    return false;
  }
  link_type_ = pcap_datalink(pcap_);
  try {
    apply_filter(pcap_, bpf_filter_, name);
  } catch (const CaptureError& e) {
    error_ = e.what();
    return false;
  }
  packets_in_file_ = 0;
  if (backend_ == Backend::automatic && bpf_filter_.empty() && plain_link_type(link_type_) &&
      pcap_snapshot(pcap_) > 0 && static_cast<std::uint32_t>(pcap_snapshot(pcap_)) <= kMaxSnaplen) {
    snapshot_ = static_cast<std::uint32_t>(pcap_snapshot(pcap_));
    if (open_own(name)) {
      pcap_close(pcap_);  // closes file_ too
      pcap_ = nullptr;
      file_ = nullptr;
    }
  }
  return true;
}

// Takes the file over from libpcap when its header is one our record reader
// reads exactly as libpcap does: the classic format in this machine's byte
// order, version 2.4 (older versions may have caplen and len swapped).
bool OfflineReader::open_own(const std::string& name) {
  const int fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  std::uint32_t header[6] = {};
  if (::pread(fd, header, sizeof header, 0) != static_cast<ssize_t>(sizeof header)) {
    ::close(fd);
    return false;
  }
  std::uint16_t version[2];
  std::memcpy(version, &header[1], sizeof version);
  const bool micro = header[0] == 0xa1b2c3d4u;
  const bool nano = header[0] == 0xa1b23c4du;
  if (!(micro || nano) || version[0] != 2 || version[1] < 4 || ::lseek(fd, sizeof header, SEEK_SET) < 0) {
    ::close(fd);
    return false;
  }
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  if (block_ == nullptr) {
    block_size_ = kReadChunk + kMaxSnaplen + kRecordHeader;
    block_ = std::make_unique<std::uint8_t[]>(block_size_);
  }
  fd_ = fd;
  nanoseconds_ = nano;
  at_ = end_ = block_.get();
  eof_ = false;
  file_offset_ = sizeof header;
  return true;
}

// Buffers at least `want` bytes from at_ (moving what is left to the front
// of the block first), reading whole chunks; stops early at the end of the
// file. False on a read error (error_ says which).
bool OfflineReader::fill(std::size_t want) {
  std::size_t have = static_cast<std::size_t>(end_ - at_);
  if (have >= want || eof_) return true;
  std::uint8_t* const block = block_.get();
  if (at_ != block) {
    std::memmove(block, at_, have);
    at_ = block;
    end_ = block + have;
  }
  while (have < want && !eof_) {
    const std::size_t room = block_size_ - have;
    const ssize_t n = ::read(fd_, block + have, room < kReadChunk ? room : kReadChunk);
    if (n < 0) {
      if (errno == EINTR) continue;
      error_ = std::string("error reading dump file: ") + std::strerror(errno);
      return false;
    }
    if (n == 0) eof_ = true;
    have += static_cast<std::size_t>(n);
    file_offset_ += static_cast<std::uint64_t>(n);
    end_ = block + have;
  }
  return true;
}

ReadStatus OfflineReader::own_failed(const std::string& what) {
  error_ = files_[index_] + ": truncated or corrupt after " + std::to_string(packets_in_file_) + " packets: " + what;
  close_current();
  done_bytes_ += sizes_[index_];
  ++index_;
  opened_ = false;
  return ReadStatus::error;
}

// The record at at_ is not whole in the buffer, or is longer than the
// snapshot length: what pcap_next_packet (libpcap's sf-pcap.c) does, with
// its messages.
ReadStatus OfflineReader::own_record(Packet& p) {
  if (!fill(kRecordHeader)) return own_failed(error_);
  std::size_t have = static_cast<std::size_t>(end_ - at_);
  if (have == 0) return end_of_file(0, p);
  if (have < kRecordHeader) {
    return own_failed("truncated dump file; tried to read 16 header bytes, only got " + std::to_string(have));
  }
  std::uint32_t h[4];
  std::memcpy(h, at_, sizeof h);
  const std::uint32_t caplen = h[2];
  if (caplen > kMaxSnaplen) {
    return own_failed(caplen > snapshot_
                          ? "invalid packet capture length " + std::to_string(caplen) + ", bigger than snaplen of " +
                                std::to_string(snapshot_)
                          : "invalid packet capture length " + std::to_string(caplen) + ", bigger than maximum of " +
                                std::to_string(kMaxSnaplen));
  }
  if (!fill(kRecordHeader + caplen)) return own_failed(error_);
  have = static_cast<std::size_t>(end_ - at_);
  const std::size_t got = have - kRecordHeader;
  if (got < caplen) {
    // libpcap reads min(caplen, snapshot) first and names what it asked for.
    const std::uint32_t asked = caplen > snapshot_ && got < snapshot_ ? snapshot_ : caplen;
    return own_failed("truncated dump file; tried to read " + std::to_string(asked) + " captured bytes, only got " +
                      std::to_string(got));
  }
  return hand_out(h, caplen < snapshot_ ? caplen : snapshot_, p);
}

// pcap_next_ex gave `rc` (not 1): the file ended or broke; go on with the next one.
ReadStatus OfflineReader::end_of_file(int rc, Packet& p) {
  const bool failed = rc == PCAP_ERROR;
  if (failed) {
    error_ = files_[index_] + ": truncated or corrupt after " + std::to_string(packets_in_file_) +
             " packets: " + pcap_geterr(pcap_);
  }
  close_current();
  done_bytes_ += sizes_[index_];
  ++index_;
  opened_ = false;
  if (failed) return ReadStatus::error;
  return next_file(p);
}

// No file open: opens the next (if any) and reads its first packet.
ReadStatus OfflineReader::next_file(Packet& p) {
  if (index_ >= files_.size()) return ReadStatus::end;
  opened_ = true;
  if (!open_next()) {
    close_current();
    done_bytes_ += sizes_[index_];
    ++index_;
    opened_ = false;
    return ReadStatus::error;
  }
  return next(p);
}

double OfflineReader::progress() const {
  if (total_bytes_ == 0) return 1.0;
  std::uint64_t at = done_bytes_;
  if (fd_ >= 0) {
    at += file_offset_ - static_cast<std::uint64_t>(end_ - at_);
  } else if (file_ != nullptr && pcap_ != nullptr) {
    const long pos = std::ftell(file_);
    if (pos > 0) at += static_cast<std::uint64_t>(pos);
  }
  const double f = static_cast<double>(at) / static_cast<double>(total_bytes_);
  return f > 1.0 ? 1.0 : f;
}

LiveCapture::LiveCapture(const LiveOptions& o) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_ = pcap_create(o.interface.c_str(), errbuf);
  if (pcap_ == nullptr) throw CaptureError(o.interface + ": cannot open: " + errbuf);
  pcap_set_snaplen(pcap_, o.snaplen);
  pcap_set_promisc(pcap_, o.promiscuous ? 1 : 0);
  pcap_set_timeout(pcap_, o.read_timeout_ms);
  pcap_set_buffer_size(pcap_, o.buffer_mb * (1 << 20));
  pcap_set_immediate_mode(pcap_, 1);
  const int rc = pcap_activate(pcap_);
  if (rc < 0) {
    std::string why = rc == PCAP_ERROR_NO_SUCH_DEVICE ? "no such interface"
                      : rc == PCAP_ERROR_PERM_DENIED  ? "permission denied (needs root or CAP_NET_RAW)"
                                                      : pcap_statustostr(rc);
    const std::string detail = pcap_geterr(pcap_);
    if (!detail.empty()) why += " (" + detail + ")";
    pcap_close(pcap_);
    pcap_ = nullptr;
    throw CaptureError(o.interface + ": cannot capture: " + why);
  }
  link_type_ = pcap_datalink(pcap_);
  // Non-blocking reads plus our own poll(): a quiet link still returns to the
  // loop every read timeout (stats, idle expiry), and a signal ends the wait.
  read_timeout_ms_ = o.read_timeout_ms;
  selectable_fd_ = pcap_get_selectable_fd(pcap_);
  if (selectable_fd_ < 0 || pcap_setnonblock(pcap_, 1, errbuf) != 0) {
    pcap_close(pcap_);
    pcap_ = nullptr;
    throw CaptureError(o.interface + ": cannot capture: no pollable descriptor for non-blocking reads");
  }
  try {
    apply_filter(pcap_, o.bpf_filter, o.interface);
  } catch (...) {
    pcap_close(pcap_);
    pcap_ = nullptr;
    throw;
  }
}

LiveCapture::~LiveCapture() {
  if (pcap_ != nullptr) pcap_close(pcap_);
}

ReadStatus LiveCapture::next(Packet& p) {
  pcap_pkthdr* header = nullptr;
  const u_char* data = nullptr;
  const int rc = pcap_next_ex(pcap_, &header, &data);
  if (rc == 1) {
    p.ts = to_micros(header->ts);
    p.link_type = link_type_;
    p.data = std::span<const std::uint8_t>(data, header->caplen);
    p.wire_length = header->len;
    return ReadStatus::packet;
  }
  if (rc == 0) {
    pollfd waiting{selectable_fd_, POLLIN, 0};
    ::poll(&waiting, 1, read_timeout_ms_);  // EINTR (a signal) just ends the wait
    return ReadStatus::timeout;
  }
  if (rc == PCAP_ERROR_BREAK) return ReadStatus::end;
  error_ = std::string("capture failed: ") + pcap_geterr(pcap_);
  return ReadStatus::error;
}

LiveStats LiveCapture::stats() const {
  pcap_stat s{};
  LiveStats out;
  if (pcap_stats(pcap_, &s) == 0) {
    out.received = s.ps_recv;
    out.dropped = s.ps_drop;
    out.interface_dropped = s.ps_ifdrop;
  }
  return out;
}

std::string LiveCapture::join_fanout(std::uint16_t group) {
  // Hash mode only: rollover, load-balance and CPU modes split a flow.
  const std::uint32_t value = group | std::uint32_t{PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG} << 16;
  if (::setsockopt(selectable_fd_, SOL_PACKET, PACKET_FANOUT, &value, sizeof value) != 0) {
    return std::strerror(errno);
  }
  return {};
}

FanoutCapture open_fanout(const LiveOptions& options, std::size_t count, std::string& why) {
  FanoutCapture fanout;
  fanout.group = static_cast<std::uint16_t>(::getpid() & 0xffff);
  for (std::size_t i = 0; i < count; ++i) {
    auto handle = std::make_unique<LiveCapture>(options);
    const std::string refused = handle->join_fanout(fanout.group);
    if (!refused.empty()) {
      why = options.interface + ": cannot join PACKET_FANOUT group " + std::to_string(fanout.group) + ": " + refused;
      fanout.handles.clear();
      return fanout;
    }
    fanout.handles.push_back(std::move(handle));
  }
  fanout.joined_at = wall_clock_now();
  return fanout;
}

void drop_privileges(const std::string& user) {
  if (user.empty()) return;
  errno = 0;
  const passwd* pw = ::getpwnam(user.c_str());
  if (pw == nullptr) throw CaptureError("cannot drop privileges: no such user '" + user + "'");
  if (::geteuid() != 0) {
    if (::geteuid() == pw->pw_uid) return;
    throw CaptureError("cannot switch to user '" + user + "': not running as root");
  }
  if (::initgroups(pw->pw_name, pw->pw_gid) != 0 || ::setgid(pw->pw_gid) != 0 ||
      ::setuid(pw->pw_uid) != 0) {
    throw CaptureError("cannot switch to user '" + user + "': " + std::strerror(errno));
  }
  if (::setuid(0) == 0) throw CaptureError("switched to user '" + user + "' but root could be regained");
}

}  // namespace botwarden::capture
