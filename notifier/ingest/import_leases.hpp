// Importing parsed lease and account files (notifier/mapping parsers) into
// the store in one transaction. Re-importing the same file changes nothing:
// leases are keyed by (source, source_key), accounts by id.
#pragma once
#include <cstdint>

#include "notifier/mapping/parse_result.hpp"
#include "notifier/store/store.hpp"

namespace botwarden::ingest {

struct ImportCounts {
  std::int64_t leases_new = 0;
  std::int64_t leases_updated = 0;
  std::int64_t accounts = 0;
};

ImportCounts import_mapping(store::Store& store, const mapping::ParseResult& parsed);

}  // namespace botwarden::ingest
