// pcap file format: https://www.tcpdump.org/manpages/pcap-savefile.5.html
// (little-endian magic 0xa1b2c3d4, version 2.4).
#include "tools/linksim/pcap_writer.hpp"

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace botwarden::linksim {
namespace {
constexpr std::size_t kBufferBytes = 16u << 20;
constexpr std::size_t kRecordHeader = 16;

void put32(std::uint8_t* at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) at[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
}  // namespace

PcapWriter::PcapWriter(const std::string& path, std::uint32_t snaplen)
    : path_(path), snaplen_(snaplen), buffer_(kBufferBytes) {
  file_ = std::fopen(path.c_str(), "wb");
  if (!file_) throw std::runtime_error(path + ": cannot create: " + std::strerror(errno));
  std::uint8_t header[24] = {};
  put32(header, 0xa1b2c3d4);
  header[4] = 2;  // version 2.4
  header[6] = 4;
  put32(header + 16, snaplen);
  put32(header + 20, 1);  // LINKTYPE_ETHERNET
  std::memcpy(buffer_.data(), header, sizeof header);
  used_ = sizeof header;
}

PcapWriter::~PcapWriter() {
  if (file_) std::fclose(file_);
}

std::span<std::uint8_t> PcapWriter::reserve(std::size_t frame_capacity) {
  if (used_ + kRecordHeader + frame_capacity > buffer_.size()) flush();
  return {buffer_.data() + used_ + kRecordHeader, frame_capacity};
}

void PcapWriter::commit(Micros ts, std::size_t frame_length) {
  std::uint8_t* record = buffer_.data() + used_;
  const auto caplen = static_cast<std::uint32_t>(std::min<std::size_t>(frame_length, snaplen_));
  put32(record, static_cast<std::uint32_t>(ts / kMicrosPerSecond));
  put32(record + 4, static_cast<std::uint32_t>(ts % kMicrosPerSecond));
  put32(record + 8, caplen);
  put32(record + 12, static_cast<std::uint32_t>(frame_length));
  used_ += kRecordHeader + caplen;
  ++packets_;
}

void PcapWriter::flush() {
  if (used_ == 0) return;
  if (std::fwrite(buffer_.data(), 1, used_, file_) != used_) {
    throw std::runtime_error(path_ + ": write failed: " + std::strerror(errno));
  }
  bytes_ += used_;
  used_ = 0;
}

void PcapWriter::close() {
  if (!file_) return;
  flush();
  const int rc = std::fclose(file_);
  file_ = nullptr;
  if (rc != 0) throw std::runtime_error(path_ + ": write failed: " + std::strerror(errno));
}

}  // namespace botwarden::linksim
