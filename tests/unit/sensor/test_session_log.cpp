// Session log lines: field names, JSON escaping of any bytes, rotation.
#include <doctest/doctest.h>

#include <filesystem>
#include <unistd.h>
#include <fstream>
#include <nlohmann/json.hpp>

#include "sensor/smtp/session_log.hpp"

using namespace botwarden;
using namespace botwarden::smtp;

namespace {
std::string json_string(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

SessionRecord sample() {
  SessionRecord r;
  r.ts = 1764096000'123456;
  r.last_ts = 1764096001'000000;
  r.uid = "C0123";
  r.orig_h = *IpAddress::parse("100.64.1.10");
  r.orig_p = 40000;
  r.resp_h = *IpAddress::parse("2001:db8::25");
  r.resp_p = 25;
  r.trans_depth = 1;
  r.helo = "pc1";
  r.mailfrom = "a@b";
  r.rcptto = {"c@d", "e@f"};
  r.ndpi = "SMTP";
  return r;
}
}  // namespace

TEST_CASE("JSON strings: escapes, valid UTF-8 kept, every other byte as \\u00XX") {
  CHECK(json_string("plain") == R"("plain")");
  CHECK(json_string("q\"b\\") == R"("q\"b\\")");
  CHECK(json_string("\r\n\t") == R"("\r\n\t")");
  CHECK(json_string(std::string_view("\x00\x01\x7f", 3)) == R"("\u0000\u0001\u007f")");
  CHECK(json_string("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80") == "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
  CHECK(json_string("\xff\xfe") == R"("\u00ff\u00fe")");
  CHECK(json_string("\xc0\xaf") == R"("\u00c0\u00af")");          // overlong '/'
  CHECK(json_string("\xed\xa0\x80") == R"("\u00ed\u00a0\u0080")");  // a UTF-16 surrogate
  CHECK(json_string("\xe2\x82") == R"("\u00e2\u0082")");          // cut short
}

TEST_CASE("every byte string gives valid JSON") {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  SessionRecord r = sample();
  r.helo = all;
  r.rcptto = {all, "\xc3"};
  const auto parsed = nlohmann::json::parse(format_session_json(r));
  CHECK(parsed["helo"].get<std::string>().size() > 200);
}

TEST_CASE("a record's line uses Zeek's field names") {
  const auto line = format_session_json(sample());
  CHECK(line.rfind(R"({"ts":1764096000.123456,"uid":"C0123","id.orig_h":"100.64.1.10","id.orig_p":40000,)"
                   R"("id.resp_h":"2001:db8::25","id.resp_p":25,"trans_depth":1,"helo":"pc1",)", 0) == 0);
  const auto j = nlohmann::json::parse(line);
  CHECK(j["rcptto"] == nlohmann::json::array({"c@d", "e@f"}));
  CHECK(j["path"] == "direct");
  CHECK(j["ndpi"] == "SMTP");
  CHECK(j["weirds"] == nlohmann::json::array());
  for (const char* key : {"mailfrom", "last_reply", "tls", "auth", "msg_bytes", "rejected", "partial", "banner",
                          "ehlo", "rcpt_rejected", "data_accepted", "last_ts"}) {
    CAPTURE(key);
    CHECK(j.contains(key));
  }
}

TEST_CASE("the log rotates by size into a timestamped file") {
  const auto dir = std::filesystem::temp_directory_path() / ("bw-log-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const auto path = (dir / "smtp.jsonl").string();
  {
    SessionLogWriter w(path, {600, 0}, true);
    for (int i = 0; i < 5; ++i) w.write(sample());
    CHECK(w.rotations() >= 1);
    w.close();
  }
  std::size_t lines = 0, files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    ++files;
    std::ifstream in(e.path());
    for (std::string l; std::getline(in, l);) ++lines;
  }
  CHECK(files >= 2);
  CHECK(lines == 5);  // nothing lost across rotations
  std::filesystem::remove_all(dir);
}

TEST_CASE("a rerun on files starts the log afresh; live appends") {
  const auto path = (std::filesystem::temp_directory_path() / ("bw-log-" + std::to_string(::getpid()) + ".jsonl")).string();
  auto count_lines = [&] {
    std::ifstream in(path);
    std::size_t n = 0;
    for (std::string l; std::getline(in, l);) ++n;
    return n;
  };
  for (int run = 0; run < 2; ++run) {
    SessionLogWriter w(path, {}, false);
    w.write(sample());
  }
  CHECK(count_lines() == 1);
  {
    SessionLogWriter w(path, {}, true, true);
    w.write(sample());
  }
  CHECK(count_lines() == 2);
  std::filesystem::remove(path);
}

TEST_CASE("an unwritable log path is an error naming it") {
  try {
    SessionLogWriter w("/nonexistent-dir/smtp.jsonl", {}, false);
    FAIL("expected an error");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()) == "cannot open session log '/nonexistent-dir/smtp.jsonl': No such file or directory");
  }
}
