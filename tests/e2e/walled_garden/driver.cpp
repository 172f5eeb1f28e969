// Test driver for the walled-garden e2e test: moves an account into and out
// of the walled garden through the real incident manager and store, and runs
// the real enforcer (config [enforce], apply command) against them.
//   driver wall DB ACCOUNT PREFIX...    account + leases + detections -> walled_garden
//   driver release DB ACCOUNT           operator release -> acknowledged
//   driver apply DB CONFIG              one enforcer sync now
//   driver enforce DB CONFIG SECONDS    the enforcer loop for SECONDS
#include <atomic>
#include <cstdio>
#include <chrono>
#include <iostream>
#include <string>
#include <thread>

#include "notifier/enforce/enforcer.hpp"
#include "notifier/incident/manager.hpp"
#include "notifier/store/sqlite_store.hpp"

using namespace botwarden;

namespace {

// Every address gets a lease of the account and a detection event; the
// detections continue past walled_garden_after_hours after the notice.
int wall(const std::string& db_path, const std::string& account, const std::vector<std::string>& addresses) {
  store::SqliteStore db(db_path);
  mapping::Account a;
  a.id = account;
  a.email = account + "@customer.example";
  db.upsert_account(a);
  incident::IncidentManager manager(db, incident::Policy{});
  const Micros hour = 3600 * kMicrosPerSecond;
  const Micros t0 = wall_clock_now() - 100 * hour;
  store::IncidentId id = 0;
  int n = 0;
  for (const Micros t : {t0, t0 + 80 * hour}) {
    for (const auto& address : addresses) {
      mapping::Lease lease;
      lease.prefix = *Prefix::parse(address);
      lease.start = 0;
      lease.end = mapping::kOpenEnd;
      lease.account = account;
      lease.source = "static";
      lease.source_key = account + "/" + address;
      db.upsert_lease(lease);
      char event_id[33];
      std::snprintf(event_id, sizeof event_id, "%032x", ++n);
      id = manager.on_detection({event_id, address, account, "bad_helo", t, false}, t);
      store::EventRecord e;
      e.id = event_id;
      e.json = "{}";
      e.subscriber = address;
      e.detector = "bad_helo";
      e.sensor = "e2e";
      e.ts = e.received_at = t;
      e.incident_id = id;
      db.insert_event(e);
    }
    if (t == t0) manager.record_notice_sent(id, t0);
  }
  const auto r = db.find_incident(id);
  std::cout << "incident " << id << " " << incident::to_string(r->state) << "\n";
  return r->state == incident::State::walled_garden ? 0 : 1;
}

int release(const std::string& db_path, const std::string& account) {
  store::SqliteStore db(db_path);
  incident::IncidentManager manager(db, incident::Policy{});
  const auto r = db.find_open_incident("account:" + account);
  if (!r) {
    std::cerr << "no open incident for " << account << "\n";
    return 1;
  }
  const auto result = manager.apply(r->id, incident::Action::operator_release,
                                    {"e2e-operator", incident::ActorKind::operator_}, "cleaned up", wall_clock_now());
  std::cout << "incident " << r->id << " " << incident::to_string(result.to) << "\n";
  return result.applied ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (args.size() >= 4 && args[0] == "wall") return wall(args[1], args[2], {args.begin() + 3, args.end()});
    if (args.size() == 3 && args[0] == "release") return release(args[1], args[2]);
    if ((args.size() == 3 && args[0] == "apply") || (args.size() == 4 && args[0] == "enforce")) {
      store::SqliteStore db(args[1]);
      enforce::Enforcer enforcer(enforce::load_enforce_config(ConfigFile::load(args[2])));
      if (args[0] == "apply") {
        const auto r = enforcer.sync_from(db, wall_clock_now());
        std::cout << (r.applied ? "applied" : "not applied: " + r.error) << "\n";
        return r.applied ? 0 : 1;
      }
      std::atomic<bool> stop{false};
      std::thread timer([&] {
        std::this_thread::sleep_for(std::chrono::duration<double>(std::stod(args[3])));
        stop = true;
      });
      enforcer.run(db, stop);
      timer.join();
      return 0;
    }
  } catch (const std::exception& e) {
    std::cerr << "driver: " << e.what() << "\n";
    return 1;
  }
  std::cerr << "usage: driver wall DB ACCOUNT PREFIX... | release DB ACCOUNT | apply DB CONFIG | enforce DB CONFIG SECONDS\n";
  return 2;
}
