// The detector engine on session records: what must flag, what must not.
#include <algorithm>
#include <doctest/doctest.h>

#include <cmath>
#include <set>

#include "records.hpp"
#include "sensor/detect/engine.hpp"

using namespace botwarden;
using namespace botwarden::testing;
using events::Detector;

namespace {

struct Collect : events::EventSink {
  std::vector<events::DetectionEvent> events;
  void emit(const events::DetectionEvent& e) override { events.push_back(e); }
  std::size_t count(Detector d) const {
    std::size_t n = 0;
    for (const auto& e : events) n += e.detector == d;
    return n;
  }
};

struct Harness {
  DetectConfig config;
  Collect sink;
  std::unique_ptr<detect::Engine> engine;
  explicit Harness(DetectConfig c = {}) : config(std::move(c)) {
    engine = std::make_unique<detect::Engine>("sensor1", config, sink);
  }
  void feed(const smtp::SessionRecord& r) {
    engine->on_time(r.ts);
    engine->on_session(r);
  }
};

constexpr Micros kSecond = kMicrosPerSecond;

}  // namespace

TEST_CASE("the thresholds are Wald's: ln((1-beta)/alpha) and ln(beta/(1-alpha))") {
  Harness h;
  CHECK(h.engine->flag_threshold() == doctest::Approx(std::log(0.99 / 0.001)));
  CHECK(h.engine->normal_threshold() == doctest::Approx(std::log(0.01 / 0.999)));
}

TEST_CASE("a bot saying someone else's address literal to foreign MX servers flags bad_helo within a minute") {
  Harness h;
  for (unsigned i = 0; i < 20; ++i) h.feed(delivery("100.64.3.4", mx(i), "[192.0.2.99]", kT0 + i * 3 * kSecond));
  // Flagged once, re-issued each time the sessions doubled.
  REQUIRE(h.sink.count(Detector::bad_helo) >= 2);
  CHECK(h.sink.events.at(1).evidence.sessions == 2 * h.sink.events.at(0).evidence.sessions);
  const auto& e = h.sink.events.front();
  CHECK(e.detector == Detector::bad_helo);
  CHECK(e.subscriber == "100.64.3.4");
  CHECK(e.address == "100.64.3.4");
  CHECK(e.ts - kT0 <= 60 * kSecond);
  CHECK(e.score >= h.engine->flag_threshold());
  // A public address that is not the client's own, on a port-25 delivery, is
  // a forged identity: it flags at the first session although accepted.
  CHECK(e.evidence.sessions == 1);
  CHECK(e.evidence.helo_classes.at("ip_literal_not_own") == 1);
  CHECK(e.evidence.sample_helos == std::vector<std::string>{"[192.0.2.99]"});
  CHECK_FALSE(e.exempt);
}

TEST_CASE("one session with one kind of evidence never flags, however strong") {
  Harness h;
  // A blocklist refusal naming the address, from a host with a plausible name.
  h.feed(blocklisted("100.64.3.5", mx(1), "mail.smithplumbing.com", kT0));
  // The recipient's domain claimed (a company's server may legitimately say
  // its own domain to a hosted MX), refused recipients, a refused session.
  auto r = delivery("100.64.3.7", mx(2), "example.org", kT0);
  r.data_accepted = false;
  r.rejected = true;
  r.rcpt_rejected = 1;
  r.replies_5xx = 1;
  h.feed(r);
  // A foreign address literal, but not to an MX port and not refused.
  r = delivery("100.64.3.8", mx(3), "[10.9.9.9]", kT0);
  r.resp_p = 2525;
  h.feed(r);
  CHECK(h.sink.events.size() == 0);
  if (!h.sink.events.empty()) MESSAGE(h.sink.events.front().subscriber);
}

TEST_CASE("localhost.localdomain on port 25, refused by a blocklist naming the host, flags at the first session") {
  Harness h;
  h.feed(blocklisted("100.64.3.9", mx(1), "localhost.localdomain", kT0));
  REQUIRE(h.sink.events.size() == 1);
  CHECK(h.sink.events[0].detector == Detector::bad_helo);
  CHECK(h.sink.events[0].evidence.sessions == 1);
  CHECK(h.sink.events[0].score >= h.engine->flag_threshold());
  // A big provider's name claimed on port 25, recipients refused: forged identity.
  auto r = delivery("100.64.3.17", mx(2), "hotmail.com", kT0);
  r.data_accepted = false;
  r.rejected = true;
  r.rcpt_rejected = 1;
  r.replies_5xx = 1;
  h.feed(r);
  // The receiving server's own name, refused by a blocklist naming the host.
  h.feed(blocklisted("100.64.3.18", mx(1), "mx.203.0.113.2.example.net", kT0));
  CHECK(h.sink.events.size() == 3);
}

TEST_CASE("a generic address name (dyn-a-b-c-d) delivering directly, refused by a blocklist, flags at once") {
  Harness h;
  h.feed(blocklisted("100.64.3.10", mx(1), "dyn-100-64-3-10.pool.isp.example", kT0));
  h.feed(blocklisted("2001:db8:1000:8825::7", mx(2), "dyn-2001-db8-1000-8825.isp.example", kT0));
  h.feed(blocklisted("100.64.3.11", mx(3), "11.3.64.100.dsl.isp.example", kT0));
  REQUIRE(h.sink.events.size() == 3);
  CHECK(h.sink.events[1].subscriber == "2001:db8:1000:8825::/64");
}

TEST_CASE("a generic address name stays silent when the name says static, at the relay, or accepted once") {
  Harness h;
  h.feed(blocklisted("100.64.3.12", mx(1), "static-100-64-3-12.isp.example", kT0));
  for (unsigned i = 0; i < 50; ++i) h.feed(submission("100.64.3.13", "dyn-100-64-3-13.isp.example", kT0 + i * kSecond));
  h.feed(delivery("100.64.3.14", mx(2), "dyn-100-64-3-14.isp.example", kT0));
  // Someone else's digits are not the host's own address.
  h.feed(blocklisted("100.64.3.15", mx(3), "dyn-100-64-3-16.isp.example", kT0));
  CHECK(h.sink.events.empty());
}

TEST_CASE("claiming the receiving server's own name flags at the first session, even accepted") {
  Harness h;
  for (unsigned i = 0; i < 5; ++i) {
    auto r = delivery("100.64.3.6", mx(i), "", kT0 + i * kSecond);
    r.helo = detect::HeloClassifier::banner_host(r.banner);
    h.feed(r);
  }
  REQUIRE(h.sink.count(Detector::bad_helo) >= 1);
  CHECK(h.sink.events.at(0).evidence.sessions == 1);
  CHECK(h.sink.events.at(0).evidence.helo_classes.at("claims_server_name") == 1);
}

TEST_CASE("a public address that is not the client's own flags at the first port-25 session, even accepted") {
  Harness h;
  h.feed(delivery("100.64.3.40", mx(1), "[192.0.2.99]", kT0));
  h.feed(delivery("100.64.3.41", mx(2), "198.51.100.23", kT0));  // bare, and not its own
  h.feed(delivery("2001:db8:1000:40::5", mx(3), "[IPv6:2001:db8:ffff:1::1]", kT0));
  REQUIRE(h.sink.events.size() == 3);
  CHECK(h.sink.events[0].subscriber == "100.64.3.40");
  CHECK(h.sink.events[1].subscriber == "100.64.3.41");
  CHECK(h.sink.events[2].subscriber == "2001:db8:1000:40::/64");
  for (const auto& e : h.sink.events) {
    CHECK(e.detector == Detector::bad_helo);
    CHECK(e.evidence.sessions == 1);
  }
}

TEST_CASE("sloppy but honest literals and names are no forged identity: one accepted session stays silent") {
  Harness h;
  // A scanner behind NAT sending through its company's hosted MX on port 25
  // ("direct send") says its private address; so do NATed and CGNAT hosts.
  h.feed(delivery("100.64.3.50", mx(1), "[192.168.1.50]", kT0, "it@office1.example"));
  h.feed(delivery("100.64.3.51", mx(2), "[10.20.30.40]", kT0, "it@office2.example"));
  h.feed(delivery("100.64.3.52", mx(3), "[100.64.200.9]", kT0, "it@office3.example"));
  h.feed(delivery("100.64.3.53", mx(4), "[172.20.0.3]", kT0, "it@office4.example"));
  h.feed(delivery("2001:db8:1000:53::9", mx(5), "[IPv6:fd00::25]", kT0, "it@office5.example"));
  // Its own address without brackets: against RFC 5321 syntax, not a lie.
  h.feed(delivery("100.64.3.54", mx(6), "100.64.3.54", kT0, "it@office6.example"));
  // A dual-stack host delivering over IPv6 and naming its IPv4 address.
  h.feed(delivery("2001:db8:1000:55::9", mx(7), "[198.51.100.55]", kT0, "it@office7.example"));
  // A single-label server name equal to a single-label banner: sloppy on both sides.
  auto r = delivery("100.64.3.56", mx(8), "mail", kT0, "it@office8.example");
  r.banner = "220 mail ESMTP Postfix";
  h.feed(r);
  // A foreign public literal on a port other than 25 (the other rules still apply).
  r = delivery("100.64.3.57", mx(9), "[192.0.2.57]", kT0, "it@office9.example");
  r.resp_p = 2525;
  h.feed(r);
  // (distinct sender domains: look-alike senders would form a snowshoe cluster)
  CHECK(h.sink.events.empty());
}

TEST_CASE("a blocklist refusal and a HELO no configured server sends flag in one session; a sloppy or plausible name does not") {
  struct Case {
    const char* helo;
    bool flags;
  };
  // The client is 100.64.6.<n>; each case its own subscriber and sender domain.
  const Case cases[] = {
      {"localhost", true},
      {"[192.168.1.50]", true},         // a literal not its own, on port 25
      {"100.64.6.3", true},             // its own address, bare
      {"WIN-3J9K2L1PQ0A", true},        // an operating system's default name
      {"outlook.com", true},            // a big provider's name
      {"dyn-100-64-6-6.isp.example", true},  // a generic address name
      {"example.org", false},           // the recipient's domain: a company's own server may say it
      {"EXCH01", false},                // sloppy single label: a real server on a listed address
      {"exchange.office.local", false},
      {"mail_server.office.example", false},  // underscore: sloppy Windows naming
      {"xkqjzvbw.com", false},          // the random model alone is too weak to pair with a listing
      {"mail.smithplumbing.com", false},
  };
  for (unsigned n = 0; n < std::size(cases); ++n) {
    CAPTURE(cases[n].helo);
    Harness h;
    const std::string client = "100.64.6." + std::to_string(n + 1);
    auto r = blocklisted(client.c_str(), mx(n), cases[n].helo, kT0);
    r.mailfrom = "info@shop" + std::to_string(n) + ".example";
    h.feed(r);
    CHECK(h.sink.events.size() == (cases[n].flags ? 1u : 0u));
  }
}

TEST_CASE("a mail client saying its own address literal to the relay never flags") {
  Harness h;
  for (unsigned i = 0; i < 300; ++i) h.feed(submission("100.64.1.2", "[100.64.1.2]", kT0 + i * 20 * kSecond));
  CHECK(h.sink.events.empty());
}

TEST_CASE("Windows and Mac names to the relay or submission ports never flag") {
  Harness h;
  for (unsigned i = 0; i < 200; ++i) {
    h.feed(submission("100.64.1.3", "DESKTOP-ABC123", kT0 + i * 10 * kSecond, smtp::Path::submission));
    h.feed(submission("100.64.1.4", "Johns-MacBook-Pro.local", kT0 + i * 10 * kSecond));
    h.feed(submission("100.64.1.5", "localhost", kT0 + i * 10 * kSecond, smtp::Path::submission));
  }
  CHECK(h.sink.events.empty());
}

TEST_CASE("a business MTA with a proper FQDN delivering to many MX servers never flags") {
  Harness h;
  for (unsigned i = 0; i < 2000; ++i) {
    auto r = delivery("100.64.2.10", mx(i % 600), "mail.smithplumbing.com", kT0 + i * 15 * kSecond);
    if (i % 40 == 0) {  // a few recipients unknown, a few greylisted
      r.rcpt_rejected = 1;
      r.replies_5xx = 1;
      r.last_reply = "550 5.1.1 <x@example.org>: Recipient address rejected: User unknown";
      r.last_reply_code = 550;
      r.data_accepted = false;
      r.rejected = true;
    } else if (i % 25 == 0) {
      r.replies_4xx = 1;
      r.last_reply = "450 4.2.0 <x@example.org>: Recipient address rejected: Greylisted";
      r.data_accepted = false;
    }
    h.feed(r);
  }
  CHECK(h.sink.events.empty());
}

TEST_CASE("a business MTA with a sloppy single-label HELO, sending all day, never flags") {
  Harness h;
  for (unsigned i = 0; i < 3000; ++i) {
    h.feed(delivery("100.64.2.11", mx(i % 300), "EXCH01", kT0 + i * 28 * kSecond));
    h.feed(delivery("100.64.2.12", mx(i % 200), "mail.local", kT0 + i * 28 * kSecond));
  }
  CHECK(h.sink.events.empty());
}

TEST_CASE("a mailing-list server's burst to hundreds of MX servers never flags") {
  Harness h;
  for (unsigned i = 0; i < 5000; ++i) {
    auto r = delivery("100.64.2.20", mx(i % 900), "lists.oakridge-gardeners.org", kT0 + i * 200'000,
                      "list-bounces@oakridge-gardeners.org", "member" + std::to_string(i) + "@example.org");
    if (i % 17 == 0) {
      r.replies_4xx = 1;
      r.data_accepted = false;
      r.last_reply = "451 4.7.1 Please try again later";
    }
    h.feed(r);
  }
  CHECK(h.sink.events.empty());
}

TEST_CASE("a home server sending a few mails directly never flags") {
  Harness h;
  for (unsigned i = 0; i < 30; ++i) {
    h.feed(delivery("100.64.2.30", mx(i % 5), "mail.nguyen-family.net", kT0 + i * 3600 * kSecond,
                    "tuan@nguyen-family.net"));
  }
  CHECK(h.sink.events.empty());
}

TEST_CASE("a direct-to-MX burst with forged senders, refused by blocklists, flags direct_to_mx") {
  Harness h;
  for (unsigned i = 0; i < 40; ++i) {
    const auto at = kT0 + i * 2 * kSecond;
    const std::string sender = "user" + std::to_string(i) + "@shop" + std::to_string(i) + ".com";
    auto r = i % 4 == 0 ? blocklisted("100.64.3.7", mx(i), "mail.greenvalleyfarms.com", at)
                        : delivery("100.64.3.7", mx(i), "mail.greenvalleyfarms.com", at, sender);
    r.mailfrom = sender;
    h.feed(r);
  }
  REQUIRE(h.sink.count(Detector::direct_to_mx) >= 1);
  const auto& e = h.sink.events.front();
  CHECK(e.detector == Detector::direct_to_mx);
  CHECK(e.evidence.distinct_destinations >= 3);
  CHECK(e.evidence.sample_mailfrom_domains.size() >= 3);
  CHECK(e.ts - kT0 <= 60 * kSecond);
  CHECK(e.evidence.sample_destinations.size() == std::min<std::uint64_t>(10, e.evidence.distinct_destinations));
}

TEST_CASE("a server on a listed address, speaking for its own domain, is not flagged for the listing") {
  Harness h;
  for (unsigned i = 0; i < 60; ++i) {
    const auto at = kT0 + i * kSecond;
    auto r = i % 3 == 0 ? blocklisted("100.64.3.10", mx(i), "lists.rowing-club.org", at)
                        : delivery("100.64.3.10", mx(i), "lists.rowing-club.org", at);
    r.mailfrom = "list-bounces@rowing-club.org";
    h.feed(r);
  }
  CHECK(h.sink.events.empty());
}

TEST_CASE("one blocklisting server refusing again and again is one piece of evidence") {
  Harness h;
  for (unsigned i = 0; i < 100; ++i) h.feed(blocklisted("100.64.3.8", mx(1), "mail.example.com", kT0 + i * 60 * kSecond));
  CHECK(h.sink.count(Detector::direct_to_mx) == 0);
}

TEST_CASE("many different HELOs from one subscriber to foreign MX servers flag") {
  Harness h;
  const char* names[] = {"mail.alpha-one.com", "smtp.bravo-shop.net", "mx.charlie-foods.org",
                         "relay.delta-autos.com", "out.echo-travel.net", "mail.foxtrot-bank.com",
                         "smtp.golf-club.org", "mx.hotel-berlin.de"};
  for (unsigned i = 0; i < 16; ++i) h.feed(delivery("100.64.3.9", mx(i), names[i % 8], kT0 + i * 5 * kSecond));
  REQUIRE(h.sink.count(Detector::bad_helo) >= 1);
  CHECK(h.sink.events.at(0).evidence.helo_classes.at("many_helos") >= 2);
}

TEST_CASE("a snowshoe group of small senders sharing a fingerprint flags every member") {
  Harness h;
  for (unsigned m = 0; m < 6; ++m) {
    const std::string client = "100.64.4." + std::to_string(m + 1);
    const std::string helo = std::string("mail.") + static_cast<char>('a' + m) + "bcdefgh.com";
    for (unsigned k = 0; k < 2; ++k) {
      h.feed(delivery(client.c_str(), mx(m * 2 + k), helo, kT0 + (m * 120 + k * 30) * kSecond,
                      "offers" + std::to_string(m) + "@cheap-deals.biz"));
    }
  }
  REQUIRE(h.sink.count(Detector::snowshoe) == 6);
  std::set<std::string> members;
  for (const auto& e : h.sink.events) {
    CHECK(e.detector == Detector::snowshoe);
    CHECK(e.evidence.cluster_id.value().size() == 16);
    CHECK(e.evidence.cluster_size.value() >= 5);
    CHECK(e.evidence.cluster_id == h.sink.events.front().evidence.cluster_id);
    members.insert(e.subscriber);
  }
  CHECK(members.size() == 6);
}

TEST_CASE("four look-alike senders are below the snowshoe cluster size") {
  Harness h;
  for (unsigned m = 0; m < 4; ++m) {
    const std::string client = "100.64.4." + std::to_string(m + 1);
    h.feed(delivery(client.c_str(), mx(m), "mail.abcdefgh.com", kT0 + m * kSecond, "x@cheap-deals.biz"));
  }
  CHECK(h.sink.events.empty());
}

TEST_CASE("business MTAs sending as their own domains never form a snowshoe cluster") {
  Harness h;
  for (unsigned m = 0; m < 50; ++m) {
    const std::string client = "100.64.5." + std::to_string(m + 1);
    const std::string domain = "firm" + std::to_string(m) + ".com";
    for (unsigned k = 0; k < 3; ++k) {
      h.feed(delivery(client.c_str(), mx(k), "mail." + domain, kT0 + (m + k * 60) * kSecond, "info@" + domain));
    }
    // ... and bounces with the null sender
    h.feed(delivery(client.c_str(), mx(7), "mail." + domain, kT0 + (m + 400) * kSecond, ""));
  }
  CHECK(h.sink.events.empty());
}

namespace {
// A campaign of six members sharing a fingerprint (HELO shape and sender
// domain), each sending twice within ten minutes to two of the three target
// servers mx(100), mx(101), mx(102): each target is tried by four members.
void snowshoe_campaign(Harness& h, Micros from) {
  for (unsigned m = 0; m < 6; ++m) {
    const std::string client = "100.64.4." + std::to_string(m + 1);
    for (unsigned k = 0; k < 2; ++k) {
      h.feed(delivery(client.c_str(), mx(100 + (m + k) % 3), "mail" + std::to_string(100 + m) + ".silver-river.com",
                      from + (m * 90 + k * 40) * kSecond, "offers@cheap-deals.biz"));
    }
  }
}

std::set<std::string> flagged(const Collect& sink, Detector d) {
  std::set<std::string> out;
  for (const auto& e : sink.events) {
    if (e.detector == d) out.insert(e.subscriber);
  }
  return out;
}

const std::set<std::string> kCampaign = {"100.64.4.1", "100.64.4.2", "100.64.4.3",
                                         "100.64.4.4", "100.64.4.5", "100.64.4.6"};
}  // namespace

TEST_CASE("snowshoe members refused at the banner in every session join the cluster by the servers they share") {
  Harness h;
  // Refused twice before the cluster forms: joins when it does.
  h.feed(banner_refusal("100.64.4.50", mx(100), kT0 + 30 * kSecond));
  h.feed(banner_refusal("100.64.4.50", mx(101), kT0 + 200 * kSecond));
  snowshoe_campaign(h, kT0);
  // Refused twice after it formed: joins at the second refusal.
  h.feed(banner_refusal("100.64.4.51", mx(102), kT0 + 900 * kSecond));
  CHECK(flagged(h.sink, Detector::snowshoe).count("100.64.4.51") == 0);
  h.feed(banner_refusal("100.64.4.51", mx(102), kT0 + 1000 * kSecond));

  auto expected = kCampaign;
  expected.insert({"100.64.4.50", "100.64.4.51"});
  CHECK(flagged(h.sink, Detector::snowshoe) == expected);
  CHECK(h.sink.events.size() == 8);
  for (const auto& e : h.sink.events) {
    CAPTURE(e.subscriber);
    CHECK(e.evidence.cluster_id == h.sink.events.front().evidence.cluster_id);
  }
  CHECK(h.sink.events.back().subscriber == "100.64.4.51");
  CHECK(h.sink.events.back().evidence.cluster_size.value() == 8);
  CHECK(h.sink.events.back().evidence.transactions == 0);
}

TEST_CASE("an IPv6 subscriber refused at the banner joins as its /64, whichever privacy address it used") {
  Harness h;
  snowshoe_campaign(h, kT0);
  h.feed(banner_refusal("2001:db8:1000:6b2f:1::7", mx(101), kT0 + 700 * kSecond));
  h.feed(banner_refusal("2001:db8:1000:6b2f:9c2e::41", mx(101), kT0 + 760 * kSecond));
  REQUIRE(h.sink.events.size() == 7);
  CHECK(h.sink.events.back().subscriber == "2001:db8:1000:6b2f::/64");
  CHECK(h.sink.events.back().address == "2001:db8:1000:6b2f:9c2e::41");
  CHECK(h.sink.events.back().detector == Detector::snowshoe);
  CHECK(h.sink.events.back().evidence.cluster_id == h.sink.events.front().evidence.cluster_id);
}

TEST_CASE("a refused subscriber joins no cluster with one session, a delivery, a refusal of another kind, or out of the window") {
  Harness h;
  snowshoe_campaign(h, kT0);
  // One refused session never flags.
  h.feed(banner_refusal("100.64.5.1", mx(100), kT0 + 700 * kSecond));
  // A listed business MTA that delivers elsewhere is more than its refusals.
  h.feed(delivery("100.64.5.2", mx(7), "mail.baeckerei-mueller.de", kT0 + 600 * kSecond, "info@baeckerei-mueller.de"));
  h.feed(banner_refusal("100.64.5.2", mx(100), kT0 + 700 * kSecond));
  h.feed(banner_refusal("100.64.5.2", mx(101), kT0 + 710 * kSecond));
  // A receiver that takes no mail at all (RFC 7505 null MX) says nothing about the address.
  h.feed(banner_refusal("100.64.5.3", mx(101), kT0 + 700 * kSecond, "554 5.7.1 No SMTP service here"));
  h.feed(banner_refusal("100.64.5.3", mx(101), kT0 + 760 * kSecond, "554 5.7.1 No SMTP service here"));
  // Two hours later the campaign's window has passed.
  h.feed(banner_refusal("100.64.5.4", mx(102), kT0 + 7200 * kSecond));
  h.feed(banner_refusal("100.64.5.4", mx(102), kT0 + 7300 * kSecond));
  CHECK(flagged(h.sink, Detector::snowshoe) == kCampaign);
}

TEST_CASE("a server the ISP's ordinary mail reaches as much as the campaign is no campaign target") {
  Harness h;
  snowshoe_campaign(h, kT0);
  // Two members also send to mx(201), which three business MTAs mail too.
  for (unsigned m = 0; m < 3; ++m) {
    const std::string client = "100.64.6." + std::to_string(m + 1);
    const std::string domain = "firm" + std::to_string(m) + ".com";
    h.feed(delivery(client.c_str(), mx(201), "mail." + domain, kT0 + m * kSecond, "info@" + domain));
    if (m < 2) {
      h.feed(delivery(("100.64.4." + std::to_string(m + 1)).c_str(), mx(201), "mail" + std::to_string(100 + m) +
                      ".silver-river.com", kT0 + (610 + m) * kSecond, "offers@cheap-deals.biz"));
    }
  }
  REQUIRE(flagged(h.sink, Detector::snowshoe) == kCampaign);
  h.feed(banner_refusal("100.64.7.1", mx(201), kT0 + 700 * kSecond));
  h.feed(banner_refusal("100.64.7.1", mx(201), kT0 + 800 * kSecond));
  CHECK(flagged(h.sink, Detector::snowshoe) == kCampaign);
  // The same refusals at a server only the campaign reaches join it.
  h.feed(banner_refusal("100.64.7.3", mx(101), kT0 + 700 * kSecond));
  h.feed(banner_refusal("100.64.7.3", mx(101), kT0 + 800 * kSecond));
  CHECK(flagged(h.sink, Detector::snowshoe).count("100.64.7.3") == 1);
}

TEST_CASE("a big provider's server everyone mails is no campaign target, however many members mail it") {
  Harness h;
  // Ten members, each sending to mx(200) and mx(100); then thirty business MTAs mail mx(200).
  for (unsigned m = 0; m < 10; ++m) {
    const std::string client = "100.64.4." + std::to_string(m + 1);
    const std::string helo = "mail" + std::to_string(100 + m) + ".silver-river.com";
    h.feed(delivery(client.c_str(), mx(200), helo, kT0 + m * 30 * kSecond, "offers@cheap-deals.biz"));
    h.feed(delivery(client.c_str(), mx(100), helo, kT0 + (m * 30 + 5) * kSecond, "offers@cheap-deals.biz"));
  }
  for (unsigned m = 0; m < 30; ++m) {
    const std::string client = "100.64.6." + std::to_string(m + 1);
    const std::string domain = "firm" + std::to_string(m) + ".com";
    h.feed(delivery(client.c_str(), mx(200), "mail." + domain, kT0 + (400 + m) * kSecond, "info@" + domain));
  }
  REQUIRE(flagged(h.sink, Detector::snowshoe).size() == 10);
  h.feed(banner_refusal("100.64.7.1", mx(200), kT0 + 700 * kSecond));
  h.feed(banner_refusal("100.64.7.1", mx(200), kT0 + 800 * kSecond));
  CHECK(flagged(h.sink, Detector::snowshoe).size() == 10);
  h.feed(banner_refusal("100.64.7.3", mx(100), kT0 + 700 * kSecond));
  h.feed(banner_refusal("100.64.7.3", mx(100), kT0 + 800 * kSecond));
  CHECK(flagged(h.sink, Detector::snowshoe).count("100.64.7.3") == 1);
}

TEST_CASE("an IPv6 subscriber is its /64 however often the privacy address rotates") {
  Harness h;
  for (unsigned i = 0; i < 20; ++i) {
    const std::string client = "2001:db8:1000:1200:" + std::to_string(1000 + i) + "::9";
    h.feed(delivery(client.c_str(), mx(i), "[IPv6:2001:db8:dead::1]", kT0 + i * 2 * kSecond));
  }
  REQUIRE(h.sink.count(Detector::bad_helo) >= 1);
  CHECK(h.sink.events.at(0).subscriber == "2001:db8:1000:1200::/64");
  CHECK(h.engine->stats().tracked_subscribers == 1);
}

TEST_CASE("the IPv6 subscriber prefix length is configurable") {
  DetectConfig c;
  c.ipv6_subscriber_prefix = 56;
  Harness h(c);
  for (unsigned i = 0; i < 20; ++i) {
    const std::string client = "2001:db8:1000:12" + std::to_string(10 + i) + "::9";
    h.feed(delivery(client.c_str(), mx(i), "[IPv6:2001:db8:dead::1]", kT0 + i * 2 * kSecond));
  }
  REQUIRE(h.sink.count(Detector::bad_helo) >= 1);
  CHECK(h.sink.events.at(0).subscriber == "2001:db8:1000:1200::/56");
}

TEST_CASE("an exempt subscriber's events are emitted with exempt: true") {
  DetectConfig c;
  c.exempt_prefixes = {*Prefix::parse("100.64.9.0/24")};
  Harness h(c);
  for (unsigned i = 0; i < 20; ++i) h.feed(delivery("100.64.9.9", mx(i), "localhost", kT0 + i * kSecond));
  REQUIRE(h.sink.events.size() >= 1);
  for (const auto& e : h.sink.events) CHECK(e.exempt);
}

TEST_CASE("ids are deterministic, and a grown detection gets a new one") {
  std::vector<std::string> first_run;
  Micros tracked_since = 0;
  for (int run = 0; run < 2; ++run) {
    Harness h;
    for (unsigned i = 0; i < 100; ++i) h.feed(delivery("100.64.3.4", mx(i), "[192.0.2.99]", kT0 + i * kSecond));
    REQUIRE(!h.sink.events.empty());
    tracked_since = h.sink.events.front().first_seen;  // the first session's start
    std::vector<std::string> ids;
    for (const auto& e : h.sink.events) ids.push_back(e.id);
    if (run == 0) first_run = ids;
    else CHECK(ids == first_run);
  }
  // Flagged at session n, re-issued when sessions doubled: 2n, 4n, ...
  REQUIRE(first_run.size() >= 2);
  CHECK(std::set<std::string>(first_run.begin(), first_run.end()).size() == first_run.size());
  CHECK(first_run.at(0) == events::make_event_id("sensor1", "100.64.3.4", Detector::bad_helo,
                                                 kT0 / (86400 * kSecond) * 86400 * kSecond, tracked_since, 0));
}

TEST_CASE("a sensor restarted within the event window reports the continued evidence under new ids") {
  // The same bot, two hours later, seen by a fresh sensor process: the first
  // run's ids are already at the notifier, and a repeat would be dropped
  // there as a duplicate ("detections continued" would never be seen).
  std::vector<std::string> ids[2];
  for (int run = 0; run < 2; ++run) {
    Harness h;
    const Micros start = kT0 + run * 2 * 3600 * kSecond;
    for (unsigned i = 0; i < 100; ++i) h.feed(delivery("100.64.3.4", mx(i), "[192.0.2.99]", start + i * kSecond));
    for (const auto& e : h.sink.events) ids[run].push_back(e.id);
  }
  REQUIRE(!ids[0].empty());
  REQUIRE(!ids[1].empty());
  for (const auto& id : ids[1]) CHECK(std::find(ids[0].begin(), ids[0].end(), id) == ids[0].end());
}

TEST_CASE("the subscriber cap evicts the least recently active") {
  DetectConfig c;
  c.max_tracked_subscribers = 16;
  Harness h(c);
  for (unsigned i = 0; i < 100; ++i) {
    const std::string client = "100.64.6." + std::to_string(i + 1);
    h.feed(submission(client.c_str(), "[100.64.6.1]", kT0 + i * kSecond));
  }
  CHECK(h.engine->stats().tracked_subscribers == 16);
  CHECK(h.engine->stats().evictions == 84);
}

TEST_CASE("sessions where the subscriber is the server are not its outgoing mail") {
  Harness h;
  for (unsigned i = 0; i < 20; ++i) {
    auto r = delivery("100.64.3.4", mx(i), "[192.0.2.99]", kT0 + i * kSecond);
    r.subscriber_is_orig = false;
    h.feed(r);
  }
  CHECK(h.sink.events.empty());
  CHECK(h.engine->stats().ignored == 20);
}

TEST_CASE("windows expire: idle subscribers are forgotten") {
  Harness h;
  h.feed(delivery("100.64.3.4", mx(1), "mail.example.com", kT0));
  h.engine->on_time(kT0 + 2 * 86400 * kSecond);
  CHECK(h.engine->stats().tracked_subscribers == 0);
}

TEST_CASE("a Windows default name the letter model calls human flags at its second accepted delivery; a chosen name does not") {
  Harness h;
  // WIN-XAKBMAYGCYK: no rare bigram, so the letter model alone said human.
  h.feed(delivery("100.64.3.30", mx(1), "WIN-XAKBMAYGCYK", kT0));
  CHECK(h.sink.events.empty());
  h.feed(delivery("100.64.3.30", mx(2), "WIN-XAKBMAYGCYK", kT0 + 1800 * kSecond));
  REQUIRE(h.sink.events.size() == 1);
  CHECK(h.sink.events[0].detector == Detector::bad_helo);
  CHECK(h.sink.events[0].evidence.helo_classes.at("random_name") == 2);
  for (unsigned i = 0; i < 6; ++i) h.feed(delivery("100.64.3.31", mx(i), "WIN-FILESERVER1", kT0 + i * 600 * kSecond));
  CHECK(h.sink.events.size() == 1);
}

TEST_CASE("STARTTLS excuses a sloppy name (mail.local), not an OS default name (WIN-...) delivering directly") {
  Harness h;
  const auto opaque = [](const char* client, unsigned server, const char* helo, Micros at) {
    auto r = delivery(client, mx(server), helo, at);
    r.trans_depth = 0;  // STARTTLS, then nothing readable
    r.tls = true;
    r.mailfrom.clear();
    r.rcptto.clear();
    r.data_accepted = false;
    r.last_reply = "220 2.0.0 Ready to start TLS";
    r.last_reply_code = 220;
    return r;
  };
  for (unsigned i = 0; i < 40; ++i) h.feed(opaque("100.64.3.20", i, "mail.local", kT0 + i * 30 * kSecond));
  CHECK(h.sink.events.empty());
  h.feed(opaque("100.64.3.21", 1, "WIN-3J9K2L1PQ0A", kT0));
  CHECK(h.sink.events.empty());  // one session: 2.25 + 2.5 < 6.9
  h.feed(opaque("100.64.3.21", 2, "WIN-3J9K2L1PQ0A", kT0 + 60 * kSecond));
  REQUIRE(h.sink.events.size() == 1);
  CHECK(h.sink.events[0].subscriber == "100.64.3.21");
  CHECK(h.sink.events[0].detector == Detector::bad_helo);
}
