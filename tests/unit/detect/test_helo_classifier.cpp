// HELO classes (RFC 5321 §4.1.1.1, §4.1.3), judged by where the session goes.
#include <algorithm>
#include <doctest/doctest.h>

#include "records.hpp"
#include "sensor/detect/helo_classifier.hpp"

using namespace botwarden;
using namespace botwarden::detect;

namespace {

const BadHeloConfig kConfig;

std::vector<std::string> classes_of(const std::string& helo, smtp::Path path = smtp::Path::direct,
                                    const char* client = "100.64.1.2",
                                    const std::string& banner = "220 mx1.receiver.net ESMTP Postfix",
                                    std::vector<std::string> rcpt = {"bob@example.org"}) {
  static const HeloClassifier classifier(kConfig);
  const HeloContext context{path, testing::ip(client), 64, banner, rcpt};
  const auto set = classifier.classify(helo, context);
  std::vector<std::string> out;
  for (std::size_t c = 0; c < kHeloClassCount; ++c) {
    if (set.has(static_cast<HeloClass>(c))) out.emplace_back(to_string(static_cast<HeloClass>(c)));
  }
  return out;
}

using V = std::vector<std::string>;

}  // namespace

TEST_CASE("an address literal of someone else's address to a foreign MX is ip_literal_not_own") {
  CHECK(classes_of("[192.0.2.99]") == V{"ip_literal_not_own"});
  CHECK(classes_of("[IPv6:2001:db8:9::1]", smtp::Path::direct, "2001:db8:1000:1200::5") ==
        V{"ip_literal_not_own"});
}

TEST_CASE("the client's own address literal is what RFC 5321 asks for") {
  CHECK(classes_of("[100.64.1.2]").empty());
  // An IPv6 host's privacy address rotates inside its /64: any address there is its own.
  CHECK(classes_of("[IPv6:2001:db8:1000:1200::abcd]", smtp::Path::direct, "2001:db8:1000:1200::5").empty());
}

TEST_CASE("a mail client's HELO to the relay or a submission port is judged by client conventions") {
  for (auto path : {smtp::Path::relay, smtp::Path::submission}) {
    CAPTURE(static_cast<int>(path));
    CHECK(classes_of("[100.64.1.2]", path).empty());
    CHECK(classes_of("[192.168.1.10]", path).empty());  // behind the home router's NAT
    CHECK(classes_of("DESKTOP-ABC123", path).empty());
    CHECK(classes_of("DESKTOP-7F3KQ2L", path).empty());
    CHECK(classes_of("Johns-MacBook-Pro.local", path).empty());
    CHECK(classes_of("localhost", path).empty());
    CHECK(classes_of("John_PC", path).empty());
  }
}

TEST_CASE("a bare address without brackets is bare_ip") {
  CHECK(classes_of("192.0.2.99") == V{"bare_ip"});
  CHECK(classes_of("100.64.1.2") == V{"bare_ip"});
  CHECK(classes_of("2001:db8::1") == V{"bare_ip"});
}

TEST_CASE("a public address of the client's family that is not its own is a foreign public address") {
  const auto v4 = testing::ip("100.64.1.2");
  const auto v6 = testing::ip("2001:db8:1000:1200::5");
  CHECK(names_foreign_public_address("[192.0.2.99]", v4, 64));
  CHECK(names_foreign_public_address("192.0.2.99", v4, 64));
  CHECK(names_foreign_public_address(" [198.51.100.7]\r", v4, 64));
  CHECK(names_foreign_public_address("[IPv6:2001:db8:9::1]", v6, 64));
  CHECK(names_foreign_public_address("2001:db8:9::1", v6, 64));
  // Its own address, bracketed or not; an IPv6 address inside its prefix.
  CHECK_FALSE(names_foreign_public_address("[100.64.1.2]", v4, 64));
  CHECK_FALSE(names_foreign_public_address("100.64.1.2", v4, 64));
  CHECK_FALSE(names_foreign_public_address("[IPv6:2001:db8:1000:1200::abcd]", v6, 64));
  CHECK(names_foreign_public_address("[IPv6:2001:db8:1000:12ff::abcd]", v6, 64));
  CHECK_FALSE(names_foreign_public_address("[IPv6:2001:db8:1000:12ff::abcd]", v6, 56));
  // Addresses a host behind NAT or CGNAT holds as its own (RFC 1918, RFC 6598,
  // link-local, RFC 4193 ULA), and loopback.
  for (const char* nat : {"[10.1.2.3]", "[172.16.0.1]", "[172.31.255.254]", "[192.168.1.50]", "[100.64.9.9]",
                          "[100.127.0.1]", "[169.254.3.4]", "[127.0.0.1]", "192.168.0.10"}) {
    CAPTURE(nat);
    CHECK_FALSE(names_foreign_public_address(nat, v4, 64));
  }
  CHECK(names_foreign_public_address("[172.32.0.1]", v4, 64));
  CHECK(names_foreign_public_address("[100.128.0.1]", v4, 64));
  for (const char* nat : {"[IPv6:fd00::25]", "[IPv6:fc12::1]", "[IPv6:fe80::1]", "[IPv6:::1]"}) {
    CAPTURE(nat);
    CHECK_FALSE(names_foreign_public_address(nat, v6, 64));
  }
  // The other family (a dual-stack host), names, and malformed literals.
  CHECK_FALSE(names_foreign_public_address("[198.51.100.7]", v6, 64));
  CHECK_FALSE(names_foreign_public_address("[IPv6:2001:db8:9::1]", v4, 64));
  CHECK(names_foreign_public_address("[IPv6:::2]", v6, 64));
  CHECK_FALSE(names_foreign_public_address("[2001:db8:9::1]", v6, 64));  // IPv6 needs the tag
  CHECK_FALSE(names_foreign_public_address("mail.example.com", v4, 64));
  CHECK_FALSE(names_foreign_public_address("[192.0.2.99", v4, 64));
  CHECK_FALSE(names_foreign_public_address("", v4, 64));
  CHECK_FALSE(names_foreign_public_address("[]", v4, 64));
}

TEST_CASE("localhost in any spelling is localhost") {
  CHECK(classes_of("localhost") == V{"localhost"});
  CHECK(classes_of("LOCALHOST.localdomain") == V{"localhost"});
  CHECK(classes_of("[127.0.0.1]") == V{"localhost"});
  CHECK(classes_of("[IPv6:::1]") == V{"localhost"});
  CHECK(classes_of("127.0.0.1") == V{"bare_ip", "localhost"});
}

TEST_CASE("a single label or a name without a registrable domain is not_fqdn") {
  CHECK(classes_of("EXCH01") == V{"not_fqdn"});
  CHECK(classes_of("mail.local") == V{"not_fqdn"});
  CHECK(classes_of("server.lan") == V{"not_fqdn"});
  CHECK(classes_of("nas.home") == V{"not_fqdn"});
  CHECK(classes_of("mail.localdomain") == V{"not_fqdn"});
  CHECK(classes_of("co.uk") == V{"not_fqdn"});
  CHECK(classes_of("com") == V{"not_fqdn"});
}

TEST_CASE("names outside RFC 5321 Domain syntax are invalid_syntax") {
  CHECK(classes_of("") == V{"invalid_syntax"});
  CHECK(classes_of("mail_server.smith.com") == V{"invalid_syntax"});
  CHECK(classes_of("-mail.smith.com") == V{"invalid_syntax"});
  CHECK(classes_of("mail..smith.com") == V{"invalid_syntax"});
  CHECK(classes_of("mail smith.com") == V{"invalid_syntax"});
  CHECK(classes_of(std::string(64, 'a') + ".com") == V{"invalid_syntax"});
  CHECK(classes_of("[300.1.1.1]") == V{"invalid_syntax"});
  CHECK(classes_of("[2001:db8::1]") == V{"invalid_syntax"});  // IPv6 needs the "IPv6:" tag
  CHECK(classes_of("[192.0.2.1") == V{"invalid_syntax"});
  CHECK(classes_of(std::string("ma\xffil.com", 8)) == V{"invalid_syntax"});
}

TEST_CASE("claiming a big provider's name is claims_provider unless talking to that provider") {
  CHECK(classes_of("gmail.com") == V{"claims_provider"});
  CHECK(classes_of("mail-qk1-f172.google.com") == V{"claims_provider"});
  CHECK(classes_of("outlook.com") == V{"claims_provider"});
  CHECK(classes_of("gmail.com", smtp::Path::submission, "100.64.1.2", "220 smtp.gmail.com ESMTP").empty());
  CHECK(classes_of("gmail.com", smtp::Path::relay) == V{"claims_provider"});
}

TEST_CASE("the recipient's domain as HELO is claims_recipient_domain") {
  CHECK(classes_of("example.org") == V{"claims_recipient_domain"});
  CHECK(classes_of("shop.co.uk", smtp::Path::direct, "100.64.1.2", "220 mx.x.net ESMTP", {"a@sales.shop.co.uk"}) ==
        V{"claims_recipient_domain"});
  // A host inside the recipient's domain is not the domain itself.
  CHECK(classes_of("mail.example.org").empty());
}

TEST_CASE("the receiving MX's own name from its banner is claims_server_name") {
  CHECK(classes_of("mx1.receiver.net") == V{"claims_server_name"});
  CHECK(classes_of("MX1.Receiver.NET.") == V{"claims_server_name"});
  CHECK(classes_of("mx1.receiver.net", smtp::Path::relay, "100.64.1.2", "220 mx1.receiver.net ESMTP") ==
        V{"claims_server_name"});
  CHECK(classes_of("mx2.receiver.net").empty());
}

TEST_CASE("random-looking names are random_name") {
  CHECK(classes_of("xkqjzvbw.com") == V{"random_name"});
  CHECK(classes_of("qzxvbnmt.info") == V{"random_name"});
  CHECK(classes_of("WIN-3J9K2L1PQ0A") == V{"not_fqdn", "random_name"});
  CHECK(classes_of("DESKTOP-7F3KQ2L") == V{"not_fqdn", "random_name"});
  CHECK(classes_of("a3f9c2e1b7.net") == V{"random_name"});
  CHECK(classes_of("ansrjfpfg.com") == V{"random_name"});
  CHECK(classes_of("bibdqrwi.info") == V{"random_name"});
  // Few digits in a machine-made token: its letter runs are judged alone.
  CHECK(classes_of("WIN-LMQFRGXF4VM") == V{"not_fqdn", "random_name"});
  CHECK(classes_of("WIN-4XKQZVBWTPJ") == V{"not_fqdn", "random_name"});
  CHECK(classes_of("zqxkvbtw7.com") == V{"random_name"});
}

TEST_CASE("operating systems' default names are random_name whatever their letters; names people chose are not") {
  // Windows Server ("WIN-" + 11), Windows 10/11 ("DESKTOP-" + 7), OEM laptops ("LAPTOP-" + 8).
  for (const char* name : {"WIN-XAKBMAYGCYK", "WIN-HIGMKAPJSIR", "WIN-NHQAH96HRKX", "WIN-7JN6LPEMIDR",
                           "WIN-OWKYXCOSYDR", "win-owkyxcosydr", "WIN-20481632641", "DESKTOP-QWMRTPL",
                           "LAPTOP-6M4T9D1Q"}) {
    const std::string text = name;
    CAPTURE(text);
    CHECK(classes_of(name) == V{"not_fqdn", "random_name"});
  }
  // Only the whole single-label name: a domain someone configured, or another length, is judged as any name.
  for (const char* name : {"WIN-FILESERVER1", "WIN-ACCOUNTING1", "WIN-BUCHHALTUNG", "WIN-HAUPTSERVER", "WIN-SHAREPOINT1",
                           "DESKTOP-BUERO01", "LAPTOP-ANNAMARI", "WIN-XAKBMAYGCY"}) {
    const std::string text = name;
    CAPTURE(text);
    CHECK(classes_of(name) == V{"not_fqdn"});
  }
  CHECK(classes_of("win-xakbmaygcyk.schmidt-gmbh.de").empty());
}

TEST_CASE("human-chosen names with a few digits are not random_name") {
  for (const char* name : {"WIN-FILESERVER1", "EXCHANGE2016", "SBS2011", "mailserver01", "backupexec2",
                           "postfix3.smithplumbing.com", "mail2.schmidtpharmacy.com", "kanzlei2mueller.de",
                           "smtp-out01.greenvalleyfarms.com", "worcestershire1.co.uk", "DC01-EXCHANGE"}) {
    CAPTURE(name);
    const auto classes = classes_of(name);
    CHECK(std::find(classes.begin(), classes.end(), "random_name") == classes.end());
  }
}

TEST_CASE("real host names are not random_name") {
  for (const char* name :
       {"mail.smithplumbing.com", "smtp.kanzlei-mueller.de", "mx01.bakery.co.uk", "mail.brzezinski.pl",
        "a23-45-67-89.deploy.static.akamaitechnologies.com", "cpe-98-76-54-32.nyc.res.rr.com",
        "mail.schmidt-steuerberater.de", "srv01.architekten-koeln.de", "mail.greenvalleyfarms.com",
        "exchange.lawfirm.com", "mx.tsvetkov.ru", "mail.nguyen-photography.com", "smtp.hetzner.de",
        "mail.worcestershire-dental.co.uk", "postfix.raspberrypi.myfritz.net", "mail.xyz",
        "mail.smithplumbing.example", "mail.schmidtpharmacy.com", "smtp.durandlogistics.fr",
        "mx.bydgoszcz-hurt.pl", "mail.thessaloniki-hotels.gr", "mail.kowalskiauto.pl",
        "mail.knightsbridge-dental.co.uk", "smtp.strengths-coaching.com"}) {
    CAPTURE(name);
    CHECK(classes_of(name).empty());
  }
}

TEST_CASE("registrable domains follow the Public Suffix List") {
  const HeloClassifier c(kConfig);
  CHECK(c.registrable_domain("mail.foo.co.uk") == "foo.co.uk");
  CHECK(c.registrable_domain("MX.Example.COM.") == "example.com");
  CHECK(c.registrable_domain("mail.local") == "");
  CHECK(c.registrable_domain("com") == "");
  CHECK(c.registrable_domain("mail.smith.example") == "smith.example");  // extra_suffixes
}

TEST_CASE("a name's shape keeps the public suffix and the pattern of the rest") {
  const HeloClassifier c(kConfig);
  CHECK(c.shape("xkqjzvbw.com") == "a8.com");
  CHECK(c.shape("WIN-3J9K2L1PQ0A") == "a3-x11");
  CHECK(c.shape("mail7.shop.co.uk") == "x5.a4.co.uk");
  CHECK(c.shape("[192.0.2.1]") == "[v4]");
  CHECK(c.shape("[IPv6:2001:db8::1]") == "[v6]");
  CHECK(c.shape("192.0.2.1") == "v4");
  CHECK(c.shape("bad_name") == "invalid");
}

TEST_CASE("the banner's host name is the first word after the code") {
  CHECK(HeloClassifier::banner_host("220 mx.google.com ESMTP x12si") == "mx.google.com");
  CHECK(HeloClassifier::banner_host("220-MX1.Example.NET. ESMTP") == "mx1.example.net");
  CHECK(HeloClassifier::banner_host("mx.example.net ESMTP Postfix") == "mx.example.net");
  CHECK(HeloClassifier::banner_host("220 ESMTP ready") == "");
  CHECK(HeloClassifier::banner_host("554") == "");
}

TEST_CASE("arbitrary wire bytes never break the classifier or the shape") {
  // A bounded, deterministic fuzz: HELO arguments are attacker-controlled.
  const HeloClassifier c(kConfig);
  static constexpr char kAlphabet[] = "aZ09.-_[]:IPv6 \t\x00\xff\x80@";
  const std::string alphabet(kAlphabet, sizeof kAlphabet - 1);  // keeps the embedded NUL
  std::uint64_t state = 0x9E3779B97F4A7C15ULL;
  auto next = [&] {  // splitmix64
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  };
  std::size_t classified = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string helo;
    const auto len = next() % 300;
    for (std::uint64_t k = 0; k < len; ++k) helo += alphabet[next() % alphabet.size()];
    for (auto path : {smtp::Path::direct, smtp::Path::relay}) {
      const std::vector<std::string> rcpt{"a@" + helo, helo};
      const std::string banner = "220 " + helo;
      const HeloContext context{path, testing::ip("100.64.1.2"), 64, banner, rcpt};
      classified += c.classify(helo, context).bits != 0;
    }
    (void)names_foreign_public_address(helo, testing::ip("100.64.1.2"), 64);
    CHECK_FALSE(c.shape(helo).empty());
    (void)c.registrable_domain(helo);
    (void)c.looks_random(helo);
  }
  CHECK(classified > 0);
}
