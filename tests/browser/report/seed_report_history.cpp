// Writes the known November of tests/unit/report/report_history.hpp into a
// new database, for the browser test of the report page.
//   botwarden-report-seed DATABASE
#include <cstdio>
#include <exception>

#include "report_history.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: botwarden-report-seed DATABASE\n");
    return 2;
  }
  try {
    botwarden::testing::ReportHistory history(argv[1]);
    history.write();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "botwarden-report-seed: %s\n", e.what());
    return 1;
  }
  return 0;
}
