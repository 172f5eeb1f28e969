// Offline capture: several files in order, unreadable and corrupt input
// with messages word for word.
#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "packet_builder.hpp"
#include "sensor/capture/capture.hpp"

using namespace botwarden;
using namespace botwarden::test;
using capture::OfflineReader;
using capture::ReadStatus;

namespace {

void le32(std::string& s, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::string pcap_bytes(int packets, std::size_t frame_size = 60) {
  std::string s;
  le32(s, 0xa1b2c3d4);
  s += std::string("\x02\x00\x04\x00", 4);
  le32(s, 0);
  le32(s, 0);
  le32(s, 65535);
  le32(s, 1);
  for (int i = 0; i < packets; ++i) {
    le32(s, 1764096000u + static_cast<std::uint32_t>(i));
    le32(s, 250000);
    le32(s, static_cast<std::uint32_t>(frame_size));
    le32(s, static_cast<std::uint32_t>(frame_size));
    s += std::string(frame_size, '\x01');
  }
  return s;
}

struct TempDir {
  std::filesystem::path path = std::filesystem::temp_directory_path() / ("bw-cap-" + std::to_string(::getpid()));
  TempDir() { std::filesystem::create_directories(path); }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string write(const std::string& name, const std::string& bytes) const {
    const auto p = (path / name).string();
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
  }
};

}  // namespace

TEST_CASE("files are read in order with microsecond timestamps") {
  TempDir d;
  const auto a = d.write("a.pcap", pcap_bytes(2));
  const auto b = d.write("b.pcap", pcap_bytes(3));
  OfflineReader r({a, b});
  capture::Packet p;
  int n = 0;
  while (r.next(p) == ReadStatus::packet) {
    if (n == 0) {
      CHECK(p.ts == 1764096000'250000);
      CHECK(p.link_type == 1);
      CHECK(p.data.size() == 60);
    }
    ++n;
  }
  CHECK(n == 5);
  CHECK(r.progress() == doctest::Approx(1.0));
}

TEST_CASE("a missing file is refused before anything is read") {
  try {
    OfflineReader r({"/nonexistent/x.pcap"});
    FAIL("expected an error");
  } catch (const capture::CaptureError& e) {
    CHECK(std::string(e.what()) == "cannot open /nonexistent/x.pcap: No such file or directory");
  }
}

TEST_CASE("a file that is not a capture is an error; the next file is still read") {
  TempDir d;
  const auto junk = d.write("junk.pcap", "this is not a pcap file at all");
  const auto good = d.write("good.pcap", pcap_bytes(1));
  OfflineReader r({junk, good});
  capture::Packet p;
  REQUIRE(r.next(p) == ReadStatus::error);
  CHECK(r.error().rfind(junk + ": not a readable pcap or pcapng file: ", 0) == 0);
  CHECK(r.next(p) == ReadStatus::packet);
  CHECK(r.next(p) == ReadStatus::end);
}

TEST_CASE("a truncated file gives its packets, then an error naming how far it got") {
  TempDir d;
  std::string bytes = pcap_bytes(3);
  bytes.resize(bytes.size() - 20);
  const auto cut = d.write("cut.pcap", bytes);
  OfflineReader r({cut});
  capture::Packet p;
  CHECK(r.next(p) == ReadStatus::packet);
  CHECK(r.next(p) == ReadStatus::packet);
  REQUIRE(r.next(p) == ReadStatus::error);
  CHECK(r.error() == cut + ": truncated or corrupt after 2 packets: truncated dump file; tried to read 60 "
                           "captured bytes, only got 40");
  CHECK(r.next(p) == ReadStatus::end);
}

TEST_CASE("an invalid BPF filter is named") {
  TempDir d;
  const auto good = d.write("good.pcap", pcap_bytes(1));
  OfflineReader r({good}, "tcp port nonsense");
  capture::Packet p;
  REQUIRE(r.next(p) == ReadStatus::error);
  CHECK(r.error().rfind(good + ": invalid BPF filter 'tcp port nonsense': ", 0) == 0);
}

TEST_CASE("an unknown user to switch to is named") {
  try {
    capture::drop_privileges("no-such-user-botwarden");
    FAIL("expected an error");
  } catch (const capture::CaptureError& e) {
    CHECK(std::string(e.what()) == "cannot drop privileges: no such user 'no-such-user-botwarden'");
  }
}
