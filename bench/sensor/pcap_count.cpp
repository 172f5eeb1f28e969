// bench-pcap-count: the reference read loops of bench/sensor/run.sh.
//   bench-pcap-count FILE          the "bare libpcap loop": fopen + a 1 MiB stdio
//                                  buffer + pcap_fopen_offline + pcap_next_ex,
//                                  counting packets and captured bytes; nothing else.
//   bench-pcap-count --plain FILE  the page-cache ceiling: read() of 1 MiB blocks,
//                                  walking the classic pcap records in place
//                                  (what the sensor's own record reader does,
//                                  sensor/capture), counting the same.
#include <fcntl.h>
#include <pcap/pcap.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {

int libpcap_loop(const char* path) {
  std::FILE* fp = std::fopen(path, "rb");
  if (fp == nullptr) {
    std::perror(path);
    return 1;
  }
  std::vector<char> buffer(std::size_t{1} << 20);
  std::setvbuf(fp, buffer.data(), _IOFBF, buffer.size());
  char err[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_fopen_offline(fp, err);  // owns fp from here
  if (p == nullptr) {
    std::fprintf(stderr, "%s: %s\n", path, err);
    std::fclose(fp);
    return 1;
  }
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;
  pcap_pkthdr* h = nullptr;
  const u_char* data = nullptr;
  int rc = 0;
  while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
    ++packets;
    bytes += h->caplen;
  }
  if (rc == PCAP_ERROR) std::fprintf(stderr, "%s: %s\n", path, pcap_geterr(p));
  pcap_close(p);
  std::printf("%llu packets %llu bytes\n", static_cast<unsigned long long>(packets),
              static_cast<unsigned long long>(bytes));
  return rc == PCAP_ERROR ? 1 : 0;
}

int plain_loop(const char* path) {
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    std::perror(path);
    return 1;
  }
  constexpr std::size_t kChunk = std::size_t{1} << 20;
  std::vector<unsigned char> block(kChunk + 262144 + 16);
  std::size_t have = 0;
  std::size_t at = 0;
  bool eof = false;
  unsigned char header[24];
  if (::read(fd, header, sizeof header) != static_cast<ssize_t>(sizeof header)) {
    std::fprintf(stderr, "%s: no pcap file header\n", path);
    ::close(fd);
    return 1;
  }
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;
  for (;;) {
    if (have - at < 16 + 262144 && !eof) {  // refill: keep the partial record
      std::memmove(block.data(), block.data() + at, have - at);
      have -= at;
      at = 0;
      while (have < kChunk && !eof) {
        const ssize_t n = ::read(fd, block.data() + have, kChunk);
        if (n <= 0) eof = true;
        else have += static_cast<std::size_t>(n);
      }
    }
    if (have - at < 16) break;
    std::uint32_t caplen = 0;
    std::memcpy(&caplen, block.data() + at + 8, 4);
    if (caplen > 262144 || have - at - 16 < caplen) break;
    ++packets;
    bytes += caplen;
    at += 16 + caplen;
  }
  ::close(fd);
  std::printf("%llu packets %llu bytes\n", static_cast<unsigned long long>(packets),
              static_cast<unsigned long long>(bytes));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "--plain") return plain_loop(argv[2]);
  if (argc != 2) {
    std::fprintf(stderr, "usage: bench-pcap-count [--plain] FILE.pcap\n");
    return 2;
  }
  return libpcap_loop(argv[1]);
}
