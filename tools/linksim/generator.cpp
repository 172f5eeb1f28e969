// Per subscriber: background flows and the SMTP sessions of its role, built
// as packet specs; then one stable sort by time and one pass that frames
// and writes every packet.
#include "tools/linksim/generator.hpp"

#include <algorithm>
#include <filesystem>
#include <set>
#include <stdexcept>
#include <system_error>

#include "tools/linksim/frame.hpp"
#include "tools/linksim/pcap_writer.hpp"
#include "tools/linksim/records.hpp"
#include "tools/linksim/smtp_dialog.hpp"
#include "tools/linksim/world.hpp"

namespace botwarden::linksim {
namespace {

constexpr Micros kSecond = kMicrosPerSecond;

class SubscriberGenerator {
 public:
  SubscriberGenerator(const Scenario& scenario, const World& world, Subscriber& sub, std::vector<Flow>& flows,
                      std::vector<Packet>& packets, SubscriberLabel& label)
      : sc_(scenario), world_(world), sub_(sub), flows_(flows), packets_(packets), label_(label),
        rng_(derive(sub.seed, 0x73657373)) {
    outside_resolver_ = is_bot(sub.kind) && rng_.chance(0.5);
  }

  void run() {
    background();
    switch (sub_.kind) {
      case Kind::web_only: break;
      case Kind::mail_client: mail_client(); break;
      case Kind::relay_user: relay_user(); break;
      case Kind::business_mta:
      case Kind::home_server: direct_mta(); break;
      case Kind::mailing_list: mailing_list(); break;
      case Kind::bot_bad_helo: bot_bad_helo(); break;
      case Kind::bot_direct_mx: bot_direct_mx(); break;
      case Kind::bot_slow: bot_slow(); break;
      case Kind::bot_snowshoe: bot_snowshoe(); break;
      case Kind::count_: break;
    }
  }

 private:
  double hours() const { return static_cast<double>(sc_.duration_seconds) / 3600.0; }
  Micros end() const { return sc_.start + sc_.duration_seconds * kSecond; }
  Micros random_time() { return sc_.start + static_cast<Micros>(rng_.uniform() * static_cast<double>(sc_.duration_seconds * kSecond)); }
  std::vector<Micros> session_times(double per_hour) {
    const auto n = std::max<std::int64_t>(1, rng_.poisson(per_hour * hours()));
    std::vector<Micros> times;
    for (std::int64_t i = 0; i < n; ++i) times.push_back(random_time());
    std::sort(times.begin(), times.end());
    return times;
  }

  std::uint32_t new_flow(Micros t, const IpAddress& server, std::uint16_t port, bool udp) {
    Flow f;
    f.subscriber = sub_.index;
    f.client = sub_.address_at(t, sc_.start);
    f.server = server;
    f.client_port = udp && port == 53 ? static_cast<std::uint16_t>(rng_.between(1024, 65535)) : sub_.take_port();
    f.server_port = port;
    f.udp = udp;
    f.seed = rng_.next();
    f.ttl[kToServer] = sub_.windows ? 128 : 64;
    f.ttl[kToClient] = static_cast<std::uint8_t>(rng_.between(44, 58));
    f.window[kToServer] = sub_.windows ? 64240 : 64800;
    f.window[kToClient] = static_cast<std::uint16_t>(rng_.between(28960, 65535));
    const std::uint16_t mtu = link_mtu(sub_.link.encapsulation);
    const std::uint16_t ip_tcp = f.client.is_v4() ? 40 : 60;
    f.mss[kToServer] = static_cast<std::uint16_t>(mtu - ip_tcp);
    f.mss[kToClient] = static_cast<std::uint16_t>(1500 - ip_tcp);
    label_.addresses.insert(f.client.to_string());
    flows_.push_back(std::move(f));
    return static_cast<std::uint32_t>(flows_.size() - 1);
  }

  LinkTiming timing(Micros rtt) const {
    LinkTiming t;
    t.rtt = rtt;
    t.downlink_bytes_per_us = sc_.background.downlink_mbit / 8.0;
    t.uplink_bytes_per_us = t.downlink_bytes_per_us / 5.0;
    return t;
  }

  const IpAddress& addr(const Server& s) const { return sub_.ipv6 ? s.v6 : s.v4; }

  // ---- background ----
  void background() {
    const auto& b = sc_.background;
    const double total = b.https + b.http + b.dns + b.quic;
    const auto n = rng_.poisson(b.flows_per_subscriber_per_minute * static_cast<double>(sc_.duration_seconds) / 60.0);
    for (std::int64_t i = 0; i < n; ++i) {
      const Micros t = random_time();
      const auto size = static_cast<std::uint64_t>(rng_.log_uniform(static_cast<double>(b.min_flow_bytes), static_cast<double>(b.max_flow_bytes)));
      double pick = rng_.uniform() * total;
      if ((pick -= b.https) < 0) https(t, size);
      else if ((pick -= b.http) < 0) http(t, size);
      else if ((pick -= b.dns) < 0) dns(t);
      else quic(t, size);
    }
  }

  IpAddress web_server() { return sub_.ipv6 ? random_outside_v6(rng_) : random_outside_v4(rng_); }

  // A TLS 1.2 ClientHello record with SNI and ALPN (RFC 5246 §7.4.1.2, RFC 6066 §3, RFC 7301),
  // as a browser opens a connection; what follows is opaque application data.
  std::string client_hello(const std::string& server_name) {
    const auto u8 = [](unsigned v) { return std::string(1, static_cast<char>(v & 0xff)); };
    const auto u16 = [&](std::size_t v) { return u8(static_cast<unsigned>(v >> 8)) + u8(static_cast<unsigned>(v)); };
    const auto u24 = [&](std::size_t v) { return u8(static_cast<unsigned>(v >> 16)) + u16(v & 0xffff); };
    std::string random_bytes;
    for (int i = 0; i < 64; ++i) random_bytes += u8(static_cast<unsigned>(rng_.next()));
    std::string suites;
    for (unsigned suite : {0xc02bu, 0xc02fu, 0xc02cu, 0xc030u, 0xcca9u, 0xcca8u, 0xc013u, 0xc014u, 0x009cu, 0x009du, 0x002fu, 0x0035u}) {
      suites += u16(suite);
    }
    const std::string sni = u8(0) + u16(server_name.size()) + server_name;
    const std::string alpn = u8(2) + "h2" + u8(8) + "http/1.1";
    std::string extensions = u16(0x0000) + u16(sni.size() + 2) + u16(sni.size()) + sni;
    extensions += u16(0x000a) + u16(8) + u16(6) + u16(0x001d) + u16(0x0017) + u16(0x0018);
    extensions += u16(0x000b) + u16(2) + u8(1) + u8(0);
    std::string algorithms;
    for (unsigned a : {0x0403u, 0x0804u, 0x0401u, 0x0503u, 0x0805u, 0x0501u, 0x0806u, 0x0601u}) algorithms += u16(a);
    extensions += u16(0x000d) + u16(algorithms.size() + 2) + u16(algorithms.size()) + algorithms;
    extensions += u16(0x0010) + u16(alpn.size() + 2) + u16(alpn.size()) + alpn;
    const std::string body = u16(0x0303) + random_bytes.substr(0, 32) + u8(32) + random_bytes.substr(32) +
                             u16(suites.size()) + suites + u8(1) + u8(0) + u16(extensions.size()) + extensions;
    const std::string handshake = u8(1) + u24(body.size()) + body;
    return u8(22) + u16(0x0301) + u16(handshake.size()) + handshake;
  }

  void https(Micros t, std::uint64_t size) {
    const auto index = new_flow(t, web_server(), 443, false);
    flows_[index].stream[0].tail = TailKind::tls_records;
    flows_[index].stream[1].tail = TailKind::tls_records;
    FlowBuilder fb(flows_, index, packets_, t, timing(rng_.between(5000, 120000)), sc_.impairments, rng_);
    fb.connect();
    std::string host = "www." + random_word(rng_);
    host += std::to_string(rng_.between(1, 999)) + ".example";
    fb.write(kToServer, client_hello(host), 300);
    fb.write_generated(kToClient, static_cast<std::uint64_t>(rng_.between(2500, 6000)), 500);
    fb.write_generated(kToServer, static_cast<std::uint64_t>(rng_.between(80, 160)), 300);
    const auto exchanges = rng_.between(1, 4);
    for (std::int64_t k = 0; k < exchanges; ++k) {
      const auto request = static_cast<std::uint64_t>(rng_.between(200, 1500));
      fb.write_generated(kToServer, request, rng_.between(200, 400000));
      fb.write_generated(kToClient, std::max<std::uint64_t>(60, size / static_cast<std::uint64_t>(exchanges)), rng_.between(1000, 50000));
    }
    const Direction closer = rng_.chance(0.7) ? kToServer : kToClient;
    fb.close(closer, rng_.between(1000, 2000000));
  }

  void http(Micros t, std::uint64_t size) {
    const auto index = new_flow(t, web_server(), 80, false);
    flows_[index].stream[1].tail = TailKind::random;
    FlowBuilder fb(flows_, index, packets_, t, timing(rng_.between(5000, 120000)), sc_.impairments, rng_);
    fb.connect();
    std::string host = random_word(rng_);
    host += std::to_string(rng_.between(1, 999)) + ".example";
    std::string path = random_word(rng_);
    path += "/" + rng_.text(8, kLowerDigits);
    fb.write(kToServer, "GET /" + path + ".bin HTTP/1.1\r\nHost: " + host +
                            "\r\nUser-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64)\r\nAccept: */*\r\n\r\n", 300);
    fb.write(kToClient, "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: " +
                            std::to_string(size) + "\r\n\r\n", 2000);
    fb.write_generated(kToClient, size, 50);
    fb.close(kToServer, rng_.between(1000, 100000));
  }

  static std::string dns_name(const std::string& name) {
    std::string out;
    std::size_t start = 0;
    while (start <= name.size()) {
      auto dot = name.find('.', start);
      if (dot == std::string::npos) dot = name.size();
      out += static_cast<char>(dot - start);
      out += name.substr(start, dot - start);
      start = dot + 1;
    }
    out += '\0';
    return out;
  }

  // One DNS query and its answer (RFC 1035 §4.1): A, AAAA or MX, the answer
  // pointing back at the question's name by compression (0xc00c).
  enum class DnsType : std::uint16_t { a = 1, mx = 15, aaaa = 28 };
  void dns_lookup(Micros t, const IpAddress& resolver, const std::string& name, DnsType type, const std::string& rdata) {
    const auto index = new_flow(t, resolver, 53, true);
    FlowBuilder fb(flows_, index, packets_, t, timing(rng_.between(1000, 8000)), sc_.impairments, rng_);
    const auto id = static_cast<std::uint16_t>(rng_.next());
    const auto qtype = static_cast<std::uint16_t>(type);
    const auto u16 = [](unsigned v) { return std::string{static_cast<char>(v >> 8), static_cast<char>(v & 0xff)}; };
    const std::string question = dns_name(name) + u16(qtype) + u16(1);
    fb.datagram(kToServer, u16(id) + u16(0x0100) + u16(1) + u16(0) + u16(0) + u16(0) + question, 0);
    const std::string answer = u16(0xc00c) + u16(qtype) + u16(1) + u16(0) + u16(3600) +
                               u16(static_cast<unsigned>(rdata.size())) + rdata;
    fb.datagram(kToClient, u16(id) + u16(0x8180) + u16(1) + u16(1) + u16(0) + u16(0) + question + answer,
                rng_.between(200, 20000));
  }

  static std::string address_rdata(const IpAddress& a) {
    return std::string(reinterpret_cast<const char*>(a.bytes.data()), a.byte_length());
  }

  void dns(Micros t) {
    const bool aaaa = sub_.ipv6 || rng_.chance(0.3);
    std::string name = "www." + random_word(rng_);
    name += std::to_string(rng_.between(1, 999)) + ".example";
    const IpAddress answer = aaaa ? random_outside_v6(rng_) : random_outside_v4(rng_);
    dns_lookup(t, resolver(false), name, aaaa ? DnsType::aaaa : DnsType::a, address_rdata(answer));
  }

  // The ISP's resolver, or (bots, often) an outside public one.
  const IpAddress& resolver(bool outside) const {
    if (outside) return sub_.ipv6 ? world_.public_resolver_v6 : world_.public_resolver_v4;
    return sub_.ipv6 ? world_.resolver_v6 : world_.resolver_v4;
  }

  // What an MTA does before a direct delivery: MX of the recipient domain, then the MX host's address.
  void mx_lookup(Micros session_start, const Server& mx, bool outside_resolver) {
    const Micros t = std::max(sc_.start, session_start - rng_.between(20'000, 90'000));
    dns_lookup(t, resolver(outside_resolver), mx.domain, DnsType::mx, std::string("\x00\x0a", 2) + dns_name(mx.name));
    dns_lookup(t + rng_.between(9'000, 15'000), resolver(outside_resolver), mx.name, sub_.ipv6 ? DnsType::aaaa : DnsType::a,
               address_rdata(addr(mx)));
  }

  void quic(Micros t, std::uint64_t size) {
    const auto index = new_flow(t, web_server(), 443, true);
    FlowBuilder fb(flows_, index, packets_, t, timing(rng_.between(5000, 120000)), sc_.impairments, rng_);
    Rng bytes(flows_[index].seed);
    const std::string dcid = bytes.text(8, kLowerDigits);
    // QUIC-like: long-header Initial packets padded to 1200 bytes, then short-header packets (RFC 9000 §17).
    const auto long_header = [&](std::size_t length) {
      std::string p = std::string("\xc3\x00\x00\x00\x01\x08", 6) + dcid + std::string("\x00\x00\x44\xd0", 4);
      while (p.size() < length) p += static_cast<char>(bytes.next());
      return p;
    };
    const auto short_header = [&](std::size_t length) {
      std::string p = std::string("\x43", 1) + dcid;
      while (p.size() < length) p += static_cast<char>(bytes.next());
      return p;
    };
    fb.datagram(kToServer, long_header(1200), 0);
    fb.datagram(kToClient, long_header(1200), 0);
    fb.datagram(kToClient, long_header(1200), 100);
    fb.datagram(kToServer, short_header(static_cast<std::size_t>(rng_.between(60, 400))), 200);
    std::uint64_t sent = 0;
    const auto cap = std::min<std::uint64_t>(size, 3'000'000);
    while (sent < cap) {
      const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(1250, cap - sent));
      fb.datagram(kToClient, short_header(std::max<std::size_t>(n, 30)), 200);
      sent += n;
      if ((sent / 1250) % 4 == 0) fb.datagram(kToServer, short_header(40), 50);
    }
  }

  // ---- SMTP ----
  std::string recipient_at(const std::string& domain) { return person_local_part(rng_) + "@" + domain; }
  const Server& any_mx() {
    if (rng_.chance(0.4)) return rng_.pick(world_.providers);
    return rng_.pick(world_.mx);
  }

  SessionOutcome session(Micros t, const Server& server, std::uint16_t port, const SessionPlan& plan) {
    if (port == 25 && server.name != world_.relay.name) mx_lookup(t, server, outside_resolver_);
    const auto index = new_flow(t, addr(server), port, false);
    const Micros rtt = server.name == world_.relay.name ? rng_.between(1500, 8000) : rng_.between(8000, 150000);
    FlowBuilder fb(flows_, index, packets_, t, timing(rtt), sc_.impairments, rng_);
    SessionLabel s;
    s.ts = t;
    s.client = flows_[index].client;
    s.client_port = flows_[index].client_port;
    s.server = flows_[index].server;
    s.server_port = port;
    s.flow = index;
    auto outcome = run_smtp_session(fb, server, plan, sub_.blocklisted, rng_, greylist_, s);
    label_.sessions.push_back(std::move(s));
    return outcome;
  }

  std::string own_literal(Micros t) const {
    const IpAddress a = sub_.address_at(t, sc_.start);
    return a.is_v4() ? "[" + a.to_string() + "]" : "[IPv6:" + a.to_string() + "]";
  }

  Transaction transaction(const std::string& from, const std::string& domain, std::int64_t max_rcpts, bool spam) {
    Transaction t;
    t.mailfrom = from;
    const auto n = rng_.between(1, max_rcpts);
    for (std::int64_t i = 0; i < n; ++i) t.rcpts.push_back(recipient_at(domain));
    static const std::vector<std::string> benign = {"Re: dinner on Saturday", "Invoice 2026-1183", "Meeting notes",
                                                    "Photos from the trip", "Order confirmation", "Weekly newsletter"};
    static const std::vector<std::string> spammy = {"You have won!!!", "Urgent: verify your account", "Cheap pharmacy",
                                                    "Re: your invoice (payment overdue)", "Hot singles near you"};
    t.subject = rng_.pick(spam ? spammy : benign);
    t.spam = spam;
    return t;
  }

  std::string random_domain_of_pool() {
    return rng_.chance(0.5) ? rng_.pick(world_.providers).domain : rng_.pick(world_.mx).domain;
  }

  void mail_client() {
    for (const Micros t : session_times(sc_.mail.mail_client_sessions_per_hour)) {
      SessionPlan plan;
      plan.helo = sub_.variant == "own_ip_literal" ? own_literal(t) : sub_.helo;
      plan.starttls = true;
      plan.auth = true;
      plan.sender_name = sub_.name;
      const bool relay = rng_.chance(0.6);
      const Server& server = relay ? world_.relay : rng_.pick(world_.submission);
      const bool implicit = rng_.chance(0.3);
      plan.implicit_tls = implicit;
      if (!rng_.chance(0.1)) {
        const auto n = rng_.chance(0.2) ? 2 : 1;
        for (int k = 0; k < n; ++k) plan.transactions.push_back(transaction(sub_.email, random_domain_of_pool(), 3, false));
      }
      session(t, server, implicit ? 465 : 587, plan);
    }
  }

  void relay_user() {
    for (const Micros t : session_times(sc_.mail.relay_user_sessions_per_hour)) {
      SessionPlan plan;
      plan.helo = sub_.helo;
      plan.auth = true;
      plan.auth_login = rng_.chance(0.5);
      plan.sender_name = sub_.name;
      plan.rset_between = rng_.chance(0.5);
      const auto n = rng_.between(1, 3);
      for (std::int64_t k = 0; k < n; ++k) plan.transactions.push_back(transaction("me@" + sub_.own_domain, random_domain_of_pool(), 3, false));
      session(t, world_.relay, 25, plan);
    }
  }

  // Greylisted recipients are retried 5 to 15 minutes later, as MTAs do.
  void deliver(Micros t, const Server& mx, SessionPlan plan) {
    auto outcome = session(t, mx, 25, plan);
    if (outcome.greylisted.empty()) return;
    const Micros retry = t + rng_.between(300, 900) * kSecond;
    if (retry > end()) return;
    SessionPlan again = plan;
    again.transactions.clear();
    for (const auto& [from, rcpt] : outcome.greylisted) {
      if (again.transactions.empty() || again.transactions.back().mailfrom != from) {
        Transaction tr = plan.transactions.front();
        tr.mailfrom = from;
        tr.rcpts.clear();
        again.transactions.push_back(tr);
      }
      again.transactions.back().rcpts.push_back(rcpt);
    }
    session(retry, mx, 25, again);
  }

  SessionPlan mta_plan() {
    SessionPlan plan;
    plan.helo = sub_.helo;
    plan.starttls = rng_.chance(0.6);
    plan.sender_name = sub_.name;
    plan.rset_between = rng_.chance(0.3);
    plan.helo_unresolvable = sub_.variant != "fqdn";
    // Exchange (sloppy-HELO Windows servers, and 3 in 10 of the rest) sends BDAT to receivers offering CHUNKING.
    const bool exchange = sub_.kind == Kind::business_mta && (sub_.windows || sub_.seed % 10 < 3);
    plan.bdat = exchange && rng_.chance(0.9);
    return plan;
  }

  void direct_mta() {
    const double rate = sub_.kind == Kind::business_mta ? sc_.mail.business_mta_sessions_per_hour
                                                        : sc_.mail.home_server_sessions_per_hour;
    for (const Micros t : session_times(rate)) {
      const Server& mx = any_mx();
      SessionPlan plan = mta_plan();
      const auto n = rng_.chance(0.2) ? 2 : 1;
      for (int k = 0; k < n; ++k) {
        const std::string from = rng_.chance(0.05) ? "" : person_local_part(rng_) + "@" + sub_.own_domain;
        plan.transactions.push_back(transaction(from, mx.domain, 4, false));
      }
      deliver(t, mx, plan);
    }
  }

  void mailing_list() {
    const auto bursts = std::max<std::int64_t>(1, rng_.poisson(sc_.mail.mailing_list_bursts_per_hour * hours()));
    for (std::int64_t b = 0; b < bursts; ++b) {
      Micros t = random_time();
      const std::string subject = "[" + sub_.own_domain.substr(0, sub_.own_domain.find('-')) + "] " +
                                  rng_.pick(std::vector<std::string>{"Meeting on Tuesday", "New season schedule", "Minutes of the AGM"});
      for (std::int64_t k = 0; k < sc_.mail.mailing_list_burst_sessions; ++k) {
        const Server& mx = any_mx();
        SessionPlan plan = mta_plan();
        Transaction tr = transaction("list-bounces@" + sub_.own_domain, mx.domain, 5, false);
        tr.subject = subject;
        plan.transactions.push_back(tr);
        deliver(t, mx, plan);
        t += static_cast<Micros>(rng_.exponential(2.0 * kSecond));
      }
    }
  }

  std::string bad_helo(const std::string& variant, const Server& mx, const std::string& rcpt_domain, bool& unresolvable) {
    unresolvable = false;
    if (variant == "ip_literal_not_own") return "[" + random_outside_v4(rng_).to_string() + "]";
    if (variant == "bare_ip") return rng_.chance(0.5) && !sub_.ipv6 ? sub_.v4.to_string() : random_outside_v4(rng_).to_string();
    if (variant == "localhost") return rng_.chance(0.5) ? "localhost" : "localhost.localdomain";
    if (variant == "single_label") return rng_.text(static_cast<std::size_t>(rng_.between(5, 10)), kLower);
    if (variant == "windows_default") return "WIN-" + rng_.text(11, kUpperDigits);
    if (variant == "big_provider") return rng_.pick(std::vector<std::string>{"gmail.com", "outlook.com", "yahoo.com", "hotmail.com"});
    if (variant == "recipient_domain") return rcpt_domain;
    if (variant == "mx_own_name") return mx.name;
    if (variant == "random_domain") {
      unresolvable = true;
      std::string name = rng_.text(static_cast<std::size_t>(rng_.between(6, 10)), kLower);
      return name + rng_.pick(std::vector<std::string>{".com", ".net", ".info", ".biz"});
    }
    static const std::vector<std::string> shapes = {"ip_literal_not_own", "localhost", "single_label", "windows_default",
                                                    "big_provider", "random_domain"};
    return bad_helo(rng_.pick(shapes), mx, rcpt_domain, unresolvable);
  }

  SessionPlan bot_plan(const Server& mx, const std::string& helo, bool unresolvable) {
    SessionPlan plan;
    plan.helo = helo;
    plan.helo_unresolvable = unresolvable;
    plan.ehlo = rng_.chance(0.7);
    plan.starttls = rng_.chance(0.1);
    plan.quit = rng_.chance(0.5);
    plan.stop_after_rejection = true;
    plan.sender_name = rng_.pick(std::vector<std::string>{"Support", "Bank Security", "Prize Team", "Pharmacy"});
    std::string spoofed = person_local_part(rng_);
    spoofed += "@" + random_domain_of_pool();
    const double shape = rng_.uniform();
    if (shape < 0.1) return plan;  // a probe: EHLO, then QUIT or hang up
    plan.transactions.push_back(transaction(spoofed, mx.domain, 5, true));
    if (shape > 0.7) plan.transactions.push_back(transaction(spoofed, mx.domain, 3, true));
    return plan;
  }

  void bot_bad_helo() {
    // A bot keeps one HELO per variant (except many_helos), as most malware hard-codes it.
    std::string fixed;
    bool fixed_unresolvable = false;
    for (const Micros t : session_times(sc_.mail.bot_bad_helo_sessions_per_hour)) {
      const Server& mx = any_mx();
      bool unresolvable = false;
      std::string helo;
      const bool per_session = sub_.variant == "many_helos" || sub_.variant == "recipient_domain" ||
                               sub_.variant == "mx_own_name" || sub_.variant == "ip_literal_not_own";
      if (per_session || fixed.empty()) {
        helo = bad_helo(sub_.variant, mx, mx.domain, unresolvable);
        if (!per_session) fixed = helo, fixed_unresolvable = unresolvable;
      } else {
        helo = fixed;
        unresolvable = fixed_unresolvable;
      }
      session(t, mx, 25, bot_plan(mx, helo, unresolvable));
    }
  }

  void bot_direct_mx() {
    const auto bursts = std::max<std::int64_t>(1, rng_.poisson(sc_.mail.bot_direct_mx_bursts_per_hour * hours()));
    for (std::int64_t b = 0; b < bursts; ++b) {
      Micros t = random_time();
      std::set<std::size_t> used;
      for (std::int64_t k = 0; k < sc_.mail.bot_direct_mx_burst_sessions; ++k) {
        std::size_t pick = rng_.index(world_.mx.size());
        for (int tries = 0; tries < 8 && used.contains(pick); ++tries) pick = rng_.index(world_.mx.size());
        used.insert(pick);
        const Server& mx = world_.mx[pick];
        session(t, mx, 25, bot_plan(mx, sub_.helo, false));
        t += static_cast<Micros>(rng_.exponential(3.0 * kSecond));
      }
    }
  }

  void bot_slow() {
    for (const Micros t : session_times(sc_.mail.bot_slow_sessions_per_hour)) {
      const Server& mx = any_mx();
      session(t, mx, 25, bot_plan(mx, sub_.helo, sub_.variant == "slow_bad_helo"));
    }
  }

  void bot_snowshoe() {
    const auto& group = world_.snowshoe_groups[static_cast<std::size_t>(sub_.snowshoe_group)];
    const auto n = rng_.between(1, 3);
    const std::string helo = "mail" + std::to_string(rng_.between(100, 999)) + "." + group.helo_stem + "-" + group.mailfrom_domain;
    for (std::int64_t k = 0; k < n; ++k) {
      const Micros t = std::min(end() - kSecond, group.window_start + static_cast<Micros>(rng_.uniform() * 600.0 * kSecond));
      const Server& mx = world_.mx[group.targets[rng_.index(group.targets.size())]];
      SessionPlan plan;
      plan.helo = helo;
      plan.helo_unresolvable = false;  // snowshoe senders have proper forward/reverse DNS
      plan.ehlo = true;
      plan.sender_name = "Offers";
      Transaction tr = transaction(random_word(rng_) + "@" + group.mailfrom_domain, mx.domain, 1, true);
      tr.subject = "Exclusive " + group.helo_stem + " offer inside";
      plan.transactions.push_back(tr);
      plan.stop_after_rejection = true;
      session(std::max(sc_.start, t), mx, 25, plan);
    }
  }

  const Scenario& sc_;
  const World& world_;
  Subscriber& sub_;
  std::vector<Flow>& flows_;
  std::vector<Packet>& packets_;
  SubscriberLabel& label_;
  Rng rng_;
  GreylistSeen greylist_;
  bool outside_resolver_ = false;  // bots: MX lookups through a public resolver
};

bool is_smtp_port(std::uint16_t p) { return p == 25 || p == 465 || p == 587; }

}  // namespace

Summary generate(const Scenario& scenario, std::uint64_t seed, const std::string& out_dir) {
  World world = build_world(scenario, seed);
  std::vector<Flow> flows;
  std::vector<Packet> packets;
  std::vector<SubscriberLabel> labels(world.subscribers.size());
  for (std::size_t i = 0; i < world.subscribers.size(); ++i) {
    SubscriberGenerator(scenario, world, world.subscribers[i], flows, packets, labels[i]).run();
  }
  for (auto& label : labels) {
    for (auto& s : label.sessions) s.impaired = flows[s.flow].impaired;
  }
  std::stable_sort(packets.begin(), packets.end(), [](const Packet& a, const Packet& b) { return a.ts < b.ts; });

  std::error_code error;
  std::filesystem::create_directories(out_dir, error);
  if (error) throw std::runtime_error(out_dir + ": cannot create folder: " + error.message());
  Summary summary;
  PcapWriter pcap(out_dir + "/capture.pcap", static_cast<std::uint32_t>(scenario.snaplen));
  for (const Packet& p : packets) {
    const Flow& f = flows[p.flow];
    auto frame = pcap.reserve(kMaxFrame);
    const std::size_t n = build_frame(f, p, world.subscribers[f.subscriber].link, frame);
    pcap.commit(p.ts, n);
    if (!f.udp && is_smtp_port(f.server_port)) ++summary.smtp_packets;
  }
  pcap.close();
  summary.packets = pcap.packets();
  summary.pcap_bytes = pcap.bytes_written();
  summary.flows = flows.size();
  summary.subscribers = world.subscribers.size();
  for (const auto& l : labels) summary.smtp_sessions += l.sessions.size();
  const Micros last = packets.empty() ? scenario.start : packets.back().ts;
  write_records(scenario, seed, world, labels, std::max(last, scenario.start + scenario.duration_seconds * kSecond), out_dir);
  return summary;
}

}  // namespace botwarden::linksim
