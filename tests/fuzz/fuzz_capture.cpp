// libFuzzer target: the offline reader, differentially. The input is a
// capture file (its first byte picks a classic pcap magic to put in front,
// or none, so most inputs reach the record walker); it is read once through
// our record reader and once through libpcap, and any difference in the
// packets handed out (time, link type, lengths, bytes) or in how reading
// ended (end or the same error message) is a finding, as is any sanitizer
// report.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <sys/mman.h>
#include <unistd.h>

#include "sensor/capture/capture.hpp"

namespace {

using botwarden::capture::OfflineReader;
using botwarden::capture::ReadStatus;

std::string transcript(const std::string& path, OfflineReader::Backend backend) {
  OfflineReader r({path}, {}, backend);
  botwarden::capture::Packet p;
  std::string out;
  for (;;) {
    const auto status = r.next(p);
    if (status != ReadStatus::packet) return out + (status == ReadStatus::end ? "end" : "error " + r.error());
    out += std::to_string(p.ts) + ' ' + std::to_string(p.link_type) + ' ' + std::to_string(p.wire_length) + ' ' +
           std::to_string(p.data.size()) + ' ';
    out.append(reinterpret_cast<const char*>(p.data.data()), p.data.size());
    out += '\n';
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static const char kMicro[] = "\xd4\xc3\xb2\xa1\x02\x00\x04\x00";
  static const char kNano[] = "\x4d\x3c\xb2\xa1\x02\x00\x04\x00";
  const int fd = ::memfd_create("fuzz-capture", 0);
  if (fd < 0) return 0;
  const char* prefix = data[0] % 3 == 0 ? kMicro : data[0] % 3 == 1 ? kNano : nullptr;
  bool written = prefix == nullptr || ::write(fd, prefix, 8) == 8;
  written = written && ::write(fd, data + 1, size - 1) == static_cast<ssize_t>(size - 1);
  if (written) {
    const std::string path = "/proc/self/fd/" + std::to_string(fd);
    const auto ours = transcript(path, OfflineReader::Backend::automatic);
    const auto theirs = transcript(path, OfflineReader::Backend::libpcap);
    if (ours != theirs) {
      std::fprintf(stderr, "record reader and libpcap differ:\nours:   %s\nlibpcap: %s\n", ours.c_str(), theirs.c_str());
      __builtin_trap();
    }
  }
  ::close(fd);
  return 0;
}
