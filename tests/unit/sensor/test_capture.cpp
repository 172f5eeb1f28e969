// Offline capture: several files in order, unreadable and corrupt input
// with messages word for word.
#include <doctest/doctest.h>

#include <algorithm>
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
  OfflineReader half({a}, {});
  REQUIRE(half.next(p) == ReadStatus::packet);
  CHECK(half.own_reader());
  CHECK(half.progress() == doctest::Approx((24.0 + 76.0) / (24.0 + 2 * 76.0)));
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

namespace {

// A classic pcap header: magic, version, snaplen and link type as given.
std::string pcap_header(std::uint32_t magic, std::uint32_t snaplen, std::uint32_t link = 1, std::uint16_t minor = 4) {
  std::string s;
  le32(s, magic);
  s.push_back('\x02');
  s.push_back('\x00');
  s.push_back(static_cast<char>(minor));
  s.push_back('\x00');
  le32(s, 0);
  le32(s, 0);
  le32(s, snaplen);
  le32(s, link);
  return s;
}

void record(std::string& s, std::uint32_t sec, std::uint32_t frac, std::uint32_t caplen, std::uint32_t len,
            std::size_t bytes_present) {
  le32(s, sec);
  le32(s, frac);
  le32(s, caplen);
  le32(s, len);
  for (std::size_t i = 0; i < bytes_present; ++i) s.push_back(static_cast<char>((i * 7 + caplen) & 0xff));
}

// Everything a reader hands out, packet by packet, then how it ended.
std::string transcript(const std::string& path, OfflineReader::Backend backend, bool* own = nullptr) {
  OfflineReader r({path}, {}, backend);
  capture::Packet p;
  std::string out;
  for (;;) {
    const auto status = r.next(p);
    if (own != nullptr && r.own_reader()) *own = true;
    if (status != ReadStatus::packet) {
      out += status == ReadStatus::end ? "end" : "error " + r.error();
      break;
    }
    out += std::to_string(p.ts) + " " + std::to_string(p.link_type) + " " + std::to_string(p.wire_length) + " " +
           std::to_string(p.data.size()) + " " +
           std::string(reinterpret_cast<const char*>(p.data.data()), p.data.size()) + "\n";
  }
  return out;
}

// Our record reader and libpcap give the same transcript; returns it.
std::string same_as_libpcap(const std::string& path, bool expect_own) {
  bool own = false;
  const auto ours = transcript(path, OfflineReader::Backend::automatic, &own);
  const auto theirs = transcript(path, OfflineReader::Backend::libpcap);
  CHECK(own == expect_own);
  CHECK(ours == theirs);
  return ours;
}

}  // namespace

TEST_CASE("our pcap record reader gives exactly what libpcap gives") {
  TempDir d;
  SUBCASE("microseconds; records across the 1 MiB read chunks, one of the largest size") {
    std::string s = pcap_header(0xa1b2c3d4, 262144);
    for (std::uint32_t i = 0; i < 3000; ++i) record(s, 1764096000u + i, i * 13, 1500 - (i % 90), 1514, 1500 - (i % 90));
    record(s, 1764099000u, 1, 262144, 262144, 262144);
    for (std::uint32_t i = 0; i < 900; ++i) record(s, 1764099001u + i, 999999, 60, 60, 60);
    const auto t = same_as_libpcap(d.write("big.pcap", s), true);
    CHECK(std::count(t.begin(), t.end(), '\n') >= 3901);
    CHECK(t.ends_with("end"));
  }
  SUBCASE("nanoseconds become microseconds; seconds before 1970") {
    std::string s = pcap_header(0xa1b23c4d, 65535);
    record(s, 1764096000u, 123456789, 60, 60, 60);
    record(s, 0xfffffff0u, 999999999, 60, 60, 60);
    const auto t = same_as_libpcap(d.write("nano.pcap", s), true);
    CHECK(t.starts_with("1764096000123456 1 60 60 "));
  }
  SUBCASE("a record longer than the snapshot length is cut to it") {
    std::string s = pcap_header(0xa1b2c3d4, 100);
    record(s, 1, 2, 150, 150, 150);
    record(s, 3, 4, 80, 80, 80);
    const auto t = same_as_libpcap(d.write("cut.pcap", s), true);
    CHECK(t.starts_with("1000002 1 150 100 "));
  }
  SUBCASE("a capture length above libpcap's maximum is an error, both messages") {
    std::string s = pcap_header(0xa1b2c3d4, 65535);
    record(s, 1, 2, 60, 60, 60);
    std::string a = s;
    record(a, 1, 2, 300000, 300000, 0);
    CHECK(same_as_libpcap(d.write("huge.pcap", a), true).ends_with(
        "truncated or corrupt after 1 packets: invalid packet capture length 300000, bigger than snaplen of 65535"));
  }
  SUBCASE("truncated record header, truncated data, truncated after the snapshot cut") {
    std::string s = pcap_header(0xa1b2c3d4, 100);
    record(s, 1, 2, 60, 60, 60);
    std::string header_cut = s + std::string(10, '\x00');
    CHECK(same_as_libpcap(d.write("h.pcap", header_cut), true)
              .ends_with("after 1 packets: truncated dump file; tried to read 16 header bytes, only got 10"));
    std::string data_cut = s;
    record(data_cut, 1, 2, 90, 90, 50);
    CHECK(same_as_libpcap(d.write("d.pcap", data_cut), true)
              .ends_with("after 1 packets: truncated dump file; tried to read 90 captured bytes, only got 50"));
    std::string before_snap = s;
    record(before_snap, 1, 2, 150, 150, 70);
    CHECK(same_as_libpcap(d.write("b.pcap", before_snap), true)
              .ends_with("after 1 packets: truncated dump file; tried to read 100 captured bytes, only got 70"));
    std::string after_snap = s;
    record(after_snap, 1, 2, 150, 150, 120);
    CHECK(same_as_libpcap(d.write("a.pcap", after_snap), true)
              .ends_with("after 1 packets: truncated dump file; tried to read 150 captured bytes, only got 120"));
  }
  SUBCASE("files our reader leaves to libpcap: other byte order, version 2.3, pcapng, unknown link types") {
    std::string swapped;
    for (const char c : std::string("\xa1\xb2\xc3\xd4\x00\x02\x00\x04", 8)) swapped.push_back(c);
    swapped += std::string("\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\x00\x00\x00\x01", 16);
    swapped += std::string("\x00\x00\x00\x01\x00\x00\x00\x02\x00\x00\x00\x04\x00\x00\x00\x04", 16) + "abcd";
    CHECK(same_as_libpcap(d.write("be.pcap", swapped), false) == "1000002 1 4 4 abcd\nend");
    std::string old = pcap_header(0xa1b2c3d4, 65535, 1, 3);
    record(old, 1, 2, 60, 60, 60);
    same_as_libpcap(d.write("v23.pcap", old), false);
    std::string usb = pcap_header(0xa1b2c3d4, 65535, 220);
    record(usb, 1, 2, 64, 64, 64);
    same_as_libpcap(d.write("usb.pcap", usb), false);
  }
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
