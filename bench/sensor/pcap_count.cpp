// bench-pcap-count: the reference "bare libpcap loop" of bench/sensor/run.sh.
// fopen + a 1 MiB stdio buffer + pcap_fopen_offline + pcap_next_ex, counting
// packets and captured bytes; nothing else. The sensor reads files the same
// way (sensor/capture), so the ratio sensor / this loop is the sensor's own cost.
#include <pcap/pcap.h>

#include <cstdint>
#include <cstdio>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: bench-pcap-count FILE.pcap\n");
    return 2;
  }
  std::FILE* fp = std::fopen(argv[1], "rb");
  if (fp == nullptr) {
    std::perror(argv[1]);
    return 1;
  }
  std::vector<char> buffer(std::size_t{1} << 20);
  std::setvbuf(fp, buffer.data(), _IOFBF, buffer.size());
  char err[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_fopen_offline(fp, err);  // owns fp from here
  if (p == nullptr) {
    std::fprintf(stderr, "%s: %s\n", argv[1], err);
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
  if (rc == PCAP_ERROR) std::fprintf(stderr, "%s: %s\n", argv[1], pcap_geterr(p));
  pcap_close(p);
  std::printf("%llu packets %llu bytes\n", static_cast<unsigned long long>(packets),
              static_cast<unsigned long long>(bytes));
  return rc == PCAP_ERROR ? 1 : 0;
}
