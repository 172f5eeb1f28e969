// Parsed mapping data -> store, all or nothing.
#include "import_leases.hpp"

namespace botwarden::ingest {

ImportCounts import_mapping(store::Store& store, const mapping::ParseResult& parsed) {
  ImportCounts counts;
  store.transaction([&] {
    counts = {};
    for (const auto& account : parsed.accounts) {
      store.upsert_account(account);
      ++counts.accounts;
    }
    for (const auto& lease : parsed.leases) {
      if (store.upsert_lease(lease)) {
        ++counts.leases_new;
      } else {
        ++counts.leases_updated;
      }
    }
  });
  return counts;
}

}  // namespace botwarden::ingest
