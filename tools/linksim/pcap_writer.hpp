// A buffered classic-pcap writer (microsecond timestamps, LINKTYPE_ETHERNET):
// frames are appended to one large buffer that is written out in big chunks.
#pragma once
#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <vector>

#include "sensor/common/time.hpp"

namespace botwarden::linksim {

class PcapWriter {
 public:
  // Throws std::runtime_error naming the file when it cannot be created.
  PcapWriter(const std::string& path, std::uint32_t snaplen);
  ~PcapWriter();
  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;

  // Space for one record of up to `frame_capacity` bytes; commit() finishes it.
  std::span<std::uint8_t> reserve(std::size_t frame_capacity);
  void commit(Micros ts, std::size_t frame_length);
  // Flushes and closes; throws on a write error (disk full).
  void close();

  std::uint64_t packets() const { return packets_; }
  std::uint64_t bytes_written() const { return bytes_; }

 private:
  void flush();
  std::string path_;
  std::FILE* file_ = nullptr;
  std::uint32_t snaplen_;
  std::vector<std::uint8_t> buffer_;
  std::size_t used_ = 0;
  std::uint64_t packets_ = 0;
  std::uint64_t bytes_ = 0;
};

}  // namespace botwarden::linksim
